// The codex `exec --json` dialect: thread.started, item.completed, turn.completed/failed, error.
#include "process/json_access.hpp"
#include "process/stream_state.hpp"
#include "process/tool_call.hpp"

#include <boost/json/serialize.hpp>

namespace omx::process {
namespace {

// "add src/a.cpp" per line of a file_change item's changes.
std::string file_changes_text(const json::object& item) {
    std::string out;
    if (const auto* changes = array_at(item, "changes"))
        for (const auto& c : *changes)
            if (const auto* change = c.if_object()) {
                if (!out.empty()) out += '\n';
                const auto kind = text_at(*change, "kind");
                out += std::string(kind.empty() ? "update" : kind) + " " +
                       std::string(text_at(*change, "path"));
            }
    return out;
}

// 0 for a completed call, 1 for a failed one, nothing while unknown.
std::optional<std::int64_t> status_code(const json::object& item) {
    const auto status = text_at(item, "status");
    if (status == "completed") return 0;
    if (status == "failed") return 1;
    return std::nullopt;
}

class CodexParser final : public FormatParser {
  public:
    void on_line(const json::object& line, StreamState& st) override {
        const auto type = text_at(line, "type");
        if (type == "thread.started") {
            if (auto id = string_at(line, "thread_id")) st.threadId = std::string(*id);
        } else if (type == "item.completed") {
            if (const auto* item = object_at(line, "item")) on_item(*item, st);
        } else if (type == "turn.completed") {
            // Cumulative over the thread: the last report replaces the earlier ones.
            if (const auto* u = object_at(line, "usage"))
                st.usage =
                    make_usage(count_at(*u, "input_tokens"), count_at(*u, "cached_input_tokens"),
                               count_at(*u, "output_tokens"));
        } else if (type == "turn.failed") {
            const json::object* err = object_at(line, "error");
            const auto message = err ? text_at(*err, "message") : std::string_view{};
            st.error = classify_provider_error(message.empty() ? "codex turn failed" : message);
        } else if (type == "error") {
            // Not fatal by itself (codex also reports reconnects this way).
            if (auto message = string_at(line, "message"))
                st.warning = classify_provider_error(*message);
        }
    }

  private:
    static void on_item(const json::object& item, StreamState& st) {
        const auto type = text_at(item, "type");
        if (type == "agent_message") {
            const auto text = text_at(item, "text");
            st.result.assign(text);
            st.items.emit("message", text);
        } else if (type == "command_execution") {
            st.items.emit("command", text_at(item, "command"), int_at(item, "exit_code"));
        } else if (type == "file_change") {
            st.items.emit("file_change", file_changes_text(item));
        } else if (type == "mcp_tool_call") {
            std::string text =
                std::string(text_at(item, "server")) + "." + std::string(text_at(item, "tool"));
            if (const auto* args = item.if_contains("arguments"); args && !args->is_null())
                text += " " + json::serialize(*args);
            st.items.emit("tool", text, status_code(item));
        } else if (type == "web_search") {
            st.items.emit("tool", "web_search " + std::string(text_at(item, "query")));
        } else if (type == "todo_list") {
            const auto* todos = array_at(item, "items");
            st.items.emit("plan", todos ? render_todos(*todos) : std::string());
        } else if (type == "error") {
            st.items.emit("error", text_at(item, "message"));
        }
    }
};

} // namespace

std::unique_ptr<FormatParser> make_codex_parser() {
    return std::make_unique<CodexParser>();
}

} // namespace omx::process
