// The API tokens (operations.md, Security): `--api-token-file` holds tokens
// with full access, `--read-token-file` tokens that may only read (GET, SSE).
// One token per line; blank lines and lines starting with `#` are skipped, so
// a file can hold the old and the new token while clients move over. SIGHUP
// reloads both files (HttpServer); a reload that fails keeps the tokens in use.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omx::api {

enum class Access { none, read, full };

struct TokenSet {
    std::vector<std::string> full, read;
};

// The tokens of a file; throws std::runtime_error naming the file and the line
// when it cannot be read, holds no token, or a token is unfit (shorter than 16
// characters, or with characters outside visible ASCII).
std::vector<std::string> read_token_file(const std::filesystem::path& file, std::string_view flag);

// What `presented` may do. Every stored token is compared, each in time that
// depends on the length of `presented` only: no early exit tells a guesser
// how much of a token was right.
Access access_of(const TokenSet& tokens, std::string_view presented);

class AccessTokens {
public:
    AccessTokens(std::optional<std::filesystem::path> full_file, std::optional<std::filesystem::path> read_file);

    // Reads the files; throws std::runtime_error (see read_token_file).
    void load();
    // load() for SIGHUP: on failure the tokens in use stay, and the reason is returned.
    std::optional<std::string> reload();
    // Off when no token file was given: every request is allowed.
    bool enabled() const { return full_file_ || read_file_; }
    std::size_t count() const; // tokens in use, both kinds
    Access check(std::string_view presented) const;

private:
    std::optional<std::filesystem::path> full_file_, read_file_;
    mutable std::mutex mutex_;
    std::shared_ptr<const TokenSet> tokens_ = std::make_shared<TokenSet>();
};

} // namespace omx::api
