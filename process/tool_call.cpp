// Tool calls of claude and gemini (and codex todo lists) rendered as output item text.
#include "process/tool_call.hpp"

#include "process/json_access.hpp"
#include "process/stream_state.hpp"

#include <boost/json/serialize.hpp>

#include <array>

namespace omx::process {
namespace {

constexpr std::array<std::string_view, 4> command_tools{"Bash", "run_shell_command", "shell",
                                                        "exec_command"};
constexpr std::array<std::string_view, 7> edit_tools{
    "Edit", "MultiEdit", "Write", "NotebookEdit", "write_file", "replace", "edit"};
constexpr std::array<std::string_view, 3> todo_tools{"TodoWrite", "write_todos", "update_plan"};

template <std::size_t N>
bool is_one_of(std::string_view name, const std::array<std::string_view, N>& names) {
    for (auto n : names)
        if (n == name) return true;
    return false;
}

// The first of `keys` that holds a string.
std::string_view first_text(const json::object& o, std::initializer_list<std::string_view> keys) {
    for (auto k : keys)
        if (auto s = string_at(o, k)) return *s;
    return {};
}

// A shell command given as a string or as an argv array.
std::string command_text(const json::object& input) {
    if (auto s = string_at(input, "command")) return std::string(*s);
    std::string out;
    if (const auto* argv = array_at(input, "command"))
        for (const auto& arg : *argv)
            if (arg.is_string()) out += (out.empty() ? "" : " ") + std::string(arg.get_string());
    return out;
}

} // namespace

ToolCallItem describe_tool_call(std::string_view name, const json::value& input) {
    static const json::object no_input;
    const json::object& args = input.is_object() ? input.get_object() : no_input;
    if (is_one_of(name, command_tools)) return {"command", command_text(args)};
    if (is_one_of(name, edit_tools)) {
        const auto path = first_text(args, {"file_path", "notebook_path", "path", "absolute_path"});
        return {"file_change", std::string(name) + (path.empty() ? "" : " ") + std::string(path)};
    }
    if (is_one_of(name, todo_tools)) {
        const json::array* todos = array_at(args, "todos");
        if (!todos) todos = array_at(args, "plan");
        return {"plan", todos ? render_todos(*todos) : std::string(name)};
    }
    const bool no_args = input.is_null() || (input.is_object() && input.get_object().empty());
    return {"tool", no_args ? std::string(name) : std::string(name) + " " + json::serialize(input)};
}

std::string render_todos(const json::array& todos) {
    std::string out;
    for (const auto& entry : todos) {
        const json::object* todo = entry.if_object();
        if (!todo) continue;
        const auto status = text_at(*todo, "status");
        const char* mark = is_true_at(*todo, "completed") || status == "completed" ? "[x] "
                           : status == "in_progress"                               ? "[~] "
                                                                                   : "[ ] ";
        if (!out.empty()) out += '\n';
        out += mark;
        out += first_text(*todo, {"text", "content", "description", "step"});
    }
    return out;
}

void PendingToolCalls::add(std::string id, ToolCallItem item, ItemSink& sink) {
    calls_.push_back({std::move(id), std::move(item)});
    if (calls_.size() <= max_pending) return;
    sink.emit(calls_.front().item.kind, calls_.front().item.text);
    calls_.erase(calls_.begin());
}

void PendingToolCalls::complete(std::string_view id, std::int64_t exit_code, ItemSink& sink) {
    for (auto it = calls_.begin(); it != calls_.end(); ++it)
        if (it->id == id) {
            sink.emit(it->item.kind, it->item.text, exit_code);
            calls_.erase(it);
            return;
        }
}

void PendingToolCalls::flush(ItemSink& sink) {
    for (const auto& call : calls_)
        sink.emit(call.item.kind, call.item.text);
    calls_.clear();
}

} // namespace omx::process
