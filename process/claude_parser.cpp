// The claude `-p --output-format stream-json --verbose` dialect: system, assistant, user, result.
#include "process/json_access.hpp"
#include "process/stream_state.hpp"
#include "process/tool_call.hpp"

#include <algorithm>
#include <cmath>

namespace omx::process {
namespace {

struct Tokens {
    std::int64_t input = 0, cached = 0, output = 0;
};

// schemas.md: input counts cache writes and reads, cached counts reads.
Tokens tokens_of(const json::object& usage) {
    const auto read = count_at(usage, "cache_read_input_tokens");
    return {add_tokens(add_tokens(count_at(usage, "input_tokens"),
                                  count_at(usage, "cache_creation_input_tokens")),
                       read),
            read, count_at(usage, "output_tokens")};
}

Tokens operator+(Tokens a, Tokens b) {
    return {add_tokens(a.input, b.input), add_tokens(a.cached, b.cached),
            add_tokens(a.output, b.output)};
}

// The text blocks of a message's content, joined.
std::string content_text(const json::object& message) {
    std::string out;
    if (const auto* content = array_at(message, "content"))
        for (const auto& b : *content)
            if (const auto* block = b.if_object(); block && text_at(*block, "type") == "text")
                out += text_at(*block, "text");
    return out;
}

class ClaudeParser final : public FormatParser {
  public:
    void on_line(const json::object& line, StreamState& st) override {
        if (auto id = string_at(line, "session_id")) st.threadId = std::string(*id);
        const auto type = text_at(line, "type");
        if (type == "system" && text_at(line, "subtype") == "api_retry")
            on_api_retry(line, st);
        else if (type == "assistant")
            on_assistant(line, st);
        else if (type == "user")
            on_user(line, st);
        else if (type == "result")
            on_result(line, st);
    }

  private:
    void on_api_retry(const json::object& line, StreamState& st) {
        if (auto ms = number_at(line, "retry_delay_ms"); ms && *ms >= 0)
            retry_delay_seconds_ = static_cast<int>(
                std::min(std::ceil(*ms / 1000), double{max_retry_after_seconds}));
        const auto error = text_at(line, "error");
        const auto status = int_at(line, "error_status");
        std::string message = "claude API retry";
        if (auto attempt = int_at(line, "attempt")) message += " " + std::to_string(*attempt);
        message += ": " + std::string(error.empty() ? "error" : error);
        if (status) message += " (HTTP " + std::to_string(*status) + ")";
        st.warning = with_retry_delay(classify_provider_error(message, status, error));
    }

    void on_assistant(const json::object& line, StreamState& st) {
        const json::object* message = object_at(line, "message");
        if (message) track_usage(*message, st);
        // An API failure shows as an assistant line with an error code and the error as text.
        error_hint_ = std::string(text_at(line, "error"));
        if (!error_hint_.empty()) {
            std::string text = message ? content_text(*message) : std::string();
            if (text.empty()) text = "claude API error: " + error_hint_;
            st.items.emit("error", text);
            st.warning = with_retry_delay(classify_provider_error(text, std::nullopt, error_hint_));
            return;
        }
        const json::array* content = message ? array_at(*message, "content") : nullptr;
        if (!content) return;
        // Sub-agent lines (parent_tool_use_id set) are activity, not the final message.
        const json::value* parent = line.if_contains("parent_tool_use_id");
        const bool top_level = !parent || parent->is_null();
        for (const auto& b : *content) {
            const json::object* block = b.if_object();
            if (!block) continue;
            const auto block_type = text_at(*block, "type");
            if (block_type == "text") {
                const auto text = text_at(*block, "text");
                st.items.emit("message", text);
                if (top_level) st.result.assign(text); // until the result line says otherwise
            } else if (block_type == "tool_use") {
                const json::value* input = block->if_contains("input");
                tools_.add(
                    std::string(text_at(*block, "id")),
                    describe_tool_call(text_at(*block, "name"), input ? *input : json::value()),
                    st.items);
            }
        }
    }

    // A tool call completes with its tool_result; is_error is its exit status.
    void on_user(const json::object& line, StreamState& st) {
        const json::object* message = object_at(line, "message");
        const json::array* content = message ? array_at(*message, "content") : nullptr;
        if (!content) return;
        for (const auto& b : *content) {
            const json::object* block = b.if_object();
            if (block && text_at(*block, "type") == "tool_result")
                tools_.complete(text_at(*block, "tool_use_id"),
                                is_true_at(*block, "is_error") ? 1 : 0, st.items);
        }
    }

    void on_result(const json::object& line, StreamState& st) {
        tools_.flush(st.items);
        const auto cost = number_at(line, "total_cost_usd");
        if (const auto* u = object_at(line, "usage")) {
            const Tokens t = tokens_of(*u);
            st.usage = make_usage(t.input, t.cached, t.output, cost);
        } else if (cost) {
            st.usage = make_usage(st.usage.inputTokens, st.usage.cachedInputTokens,
                                  st.usage.outputTokens, cost);
        }
        final_usage_ = true;
        const auto result = string_at(line, "result");
        // Trust is_error (and the exit code), never subtype.
        if (!is_true_at(line, "is_error")) {
            if (result) st.result.assign(*result);
            return;
        }
        const auto status = int_at(line, "api_error_status");
        std::string message(result.value_or(""));
        if (message.empty())
            message = "claude reported an error" +
                      (status ? " (HTTP " + std::to_string(*status) + ")" : std::string());
        st.error = with_retry_delay(classify_provider_error(message, status, error_hint_));
    }

    // Live usage: the latest report of each assistant message, summed over messages.
    void track_usage(const json::object& message, StreamState& st) {
        const json::object* u = object_at(message, "usage");
        if (final_usage_ || !u) return;
        const auto id = text_at(message, "id");
        if (id != current_id_) {
            earlier_ = earlier_ + current_;
            current_id_ = std::string(id);
        }
        current_ = tokens_of(*u);
        const Tokens sum = earlier_ + current_;
        st.usage = make_usage(sum.input, sum.cached, sum.output);
    }

    ProviderError with_retry_delay(ProviderError e) const {
        if (e.errorClass == "rate_limit" && !e.retryAfterSeconds)
            e.retryAfterSeconds = retry_delay_seconds_;
        return e;
    }

    PendingToolCalls tools_;
    std::string error_hint_; // the last assistant line's error code, e.g. "rate_limit"
    std::optional<int> retry_delay_seconds_;
    std::string current_id_;
    Tokens earlier_, current_;
    bool final_usage_ = false;
};

} // namespace

std::unique_ptr<FormatParser> make_claude_parser() {
    return std::make_unique<ClaudeParser>();
}

} // namespace omx::process
