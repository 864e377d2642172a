// The gemini `-p --output-format stream-json` dialect: init, message deltas, tool_use,
// tool_result, error, result.
#include "process/json_access.hpp"
#include "process/stream_state.hpp"
#include "process/tool_call.hpp"

namespace omx::process {
namespace {

constexpr int exit_auth = 41; // gemini-cli: FatalAuthenticationError

class GeminiParser final : public FormatParser {
  public:
    void on_line(const json::object& line, StreamState& st) override {
        const auto type = text_at(line, "type");
        if (type == "message" && text_at(line, "role") == "assistant") {
            // Deltas: the result text is every assistant content, concatenated.
            const auto content = text_at(line, "content");
            st.result.append(content);
            if (message_.size() <= max_item_text_bytes) message_.append(content);
            in_message_ = true;
            return;
        }
        end_message(st); // any other line ends the assistant message being assembled
        if (type == "init") {
            if (auto id = string_at(line, "session_id")) st.threadId = std::string(*id);
        } else if (type == "tool_use") {
            const json::value* params = line.if_contains("parameters");
            tools_.add(
                std::string(text_at(line, "tool_id")),
                describe_tool_call(text_at(line, "tool_name"), params ? *params : json::value()),
                st.items);
        } else if (type == "tool_result") {
            tools_.complete(text_at(line, "tool_id"), text_at(line, "status") == "success" ? 0 : 1,
                            st.items);
        } else if (type == "error") {
            if (auto message = string_at(line, "message"))
                st.warning = classify_provider_error(*message);
        } else if (type == "result") {
            on_result(line, st);
        }
    }

    void on_exit(int exit_code, ParseOutcome& out) const override {
        if (exit_code != exit_auth) return;
        if (!out.error) out.error = "gemini: authentication failed (exit 41)";
        out.errorClass = "auth";
        out.retryAfterSeconds.reset();
    }

  private:
    void end_message(StreamState& st) {
        if (!in_message_) return;
        st.items.emit("message", message_);
        message_.clear();
        in_message_ = false;
    }

    void on_result(const json::object& line, StreamState& st) {
        tools_.flush(st.items);
        if (const auto* stats = object_at(line, "stats"))
            st.usage = make_usage(count_at(*stats, "input_tokens"), count_at(*stats, "cached"),
                                  count_at(*stats, "output_tokens"));
        if (text_at(line, "status") != "error") return;
        const json::object* err = object_at(line, "error");
        const auto kind = err ? text_at(*err, "type") : std::string_view{};
        auto message = err ? text_at(*err, "message") : std::string_view{};
        if (message.empty()) message = kind.empty() ? "gemini reported an error" : kind;
        st.error = classify_provider_error(message, std::nullopt, kind);
    }

    PendingToolCalls tools_;
    std::string message_; // the assistant message being assembled (its head: items are cut)
    bool in_message_ = false;
};

} // namespace

std::unique_ptr<FormatParser> make_gemini_parser() {
    return std::make_unique<GeminiParser>();
}

} // namespace omx::process
