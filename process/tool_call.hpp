// How an agent's tool call reads as an output item: a shell tool is a command, an editing tool
// a file change, a todo tool a plan, anything else a tool.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace omx::process {

class ItemSink;

struct ToolCallItem {
    std::string kind; // command | file_change | plan | tool
    std::string text;
};

// `input`: the call's arguments (claude tool_use.input, gemini tool_use.parameters), may be null.
ToolCallItem describe_tool_call(std::string_view name, const boost::json::value& input);

// A todo list, one "[x] text" / "[~] text" / "[ ] text" line per entry; entries are objects
// with the text in text|content|description|step and the state in completed|status.
std::string render_todos(const boost::json::array& todos);

// Tool calls waiting for their result (claude tool_use -> tool_result, gemini likewise): a call
// becomes an item when its result arrives, with the result's exit status.
class PendingToolCalls {
  public:
    // Beyond max_pending calls, the oldest is emitted without an exit status.
    void add(std::string id, ToolCallItem item, ItemSink& sink);
    // Emits the call `id` (a result for an unknown call is ignored).
    void complete(std::string_view id, std::int64_t exit_code, ItemSink& sink);
    // Emits every waiting call without an exit status (the stream has ended).
    void flush(ItemSink& sink);

    static constexpr std::size_t max_pending = 64;

  private:
    struct Call {
        std::string id;
        ToolCallItem item;
    };
    std::vector<Call> calls_;
};

} // namespace omx::process
