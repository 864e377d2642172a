// Failure classes of provider errors (rate_limit, auth, agent_error) and retry-after delays.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace omx::process {

// The longest retry delay taken from a provider: a day.
inline constexpr int max_retry_after_seconds = 24 * 3600;

// An error the provider reported, classified.
struct ProviderError {
    std::string message;                  // at most max_error_bytes
    std::string errorClass;               // rate_limit | auth | agent_error
    std::optional<int> retryAfterSeconds; // only with rate_limit
};

// "rate_limit" (HTTP 429, "rate limit", "rate_limit", "too many requests", "quota exceeded",
// RESOURCE_EXHAUSTED) or "auth" (401, 403, "authentication", "unauthorized", "api key"), from
// free text such as an error message or a stderr line; nullopt for anything else.
std::optional<std::string> classify_text(std::string_view text);

// The provider's error event: http_status 429 -> rate_limit, 401/403 -> auth, else the class
// of `hint` (a provider's error code, e.g. claude's "rate_limit") and the message, else
// agent_error. A rate limit carries the delay the message names, if any.
ProviderError classify_provider_error(std::string_view message,
                                      std::optional<std::int64_t> http_status = std::nullopt,
                                      std::string_view hint = {});

// The delay in whole seconds (rounded up, at most a day) that `text` asks for: "retry after
// 30s", "Retry-After: 30", "retry in 36.5s", "retryDelay": "36s", "retry_delay_ms": 5000,
// "try again in 4.2s".
std::optional<int> retry_after_seconds(std::string_view text);

} // namespace omx::process
