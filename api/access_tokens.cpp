#include "api/access_tokens.hpp"

#include <fstream>
#include <stdexcept>

namespace omx::api {
namespace {

constexpr std::size_t min_token_length = 16;

std::string_view trimmed(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

// Time depends on presented.size() only, never on where the first difference is.
bool same_token(std::string_view presented, std::string_view stored) {
    std::size_t difference = presented.size() ^ stored.size();
    for (std::size_t i = 0; i < presented.size(); ++i)
        difference |= static_cast<unsigned char>(presented[i]) ^
                      static_cast<unsigned char>(stored.empty() ? 0 : stored[i % stored.size()]);
    return difference == 0;
}

bool matches_any(const std::vector<std::string>& tokens, std::string_view presented) {
    bool found = false;
    for (auto& t : tokens) found |= same_token(presented, t);
    return found;
}

} // namespace

std::vector<std::string> read_token_file(const std::filesystem::path& file, std::string_view flag) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error(std::string(flag) + ": cannot read " + file.string());
    std::vector<std::string> tokens;
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        auto token = trimmed(line);
        if (token.empty() || token.front() == '#') continue;
        auto where = std::string(flag) + ": " + file.string() + " line " + std::to_string(number);
        if (token.size() < min_token_length)
            throw std::runtime_error(where + ": a token must have at least " + std::to_string(min_token_length) +
                                     " characters");
        for (char c : token)
            if (c <= ' ' || c > '~')
                throw std::runtime_error(where + ": a token may hold visible ASCII characters only");
        tokens.emplace_back(token);
    }
    if (in.bad()) throw std::runtime_error(std::string(flag) + ": cannot read " + file.string());
    if (tokens.empty()) throw std::runtime_error(std::string(flag) + ": " + file.string() + " holds no token");
    return tokens;
}

Access access_of(const TokenSet& tokens, std::string_view presented) {
    bool full = matches_any(tokens.full, presented);
    bool read = matches_any(tokens.read, presented);
    return full ? Access::full : read ? Access::read : Access::none;
}

AccessTokens::AccessTokens(std::optional<std::filesystem::path> full_file,
                           std::optional<std::filesystem::path> read_file)
    : full_file_(std::move(full_file)), read_file_(std::move(read_file)) {}

void AccessTokens::load() {
    auto tokens = std::make_shared<TokenSet>();
    if (full_file_) tokens->full = read_token_file(*full_file_, "--api-token-file");
    if (read_file_) tokens->read = read_token_file(*read_file_, "--read-token-file");
    std::lock_guard lock(mutex_);
    tokens_ = std::move(tokens);
}

std::optional<std::string> AccessTokens::reload() {
    try {
        load();
        return std::nullopt;
    } catch (const std::exception& e) {
        return e.what();
    }
}

std::size_t AccessTokens::count() const {
    std::lock_guard lock(mutex_);
    return tokens_->full.size() + tokens_->read.size();
}

Access AccessTokens::check(std::string_view presented) const {
    std::shared_ptr<const TokenSet> tokens;
    {
        std::lock_guard lock(mutex_);
        tokens = tokens_;
    }
    return access_of(*tokens, presented);
}

} // namespace omx::api
