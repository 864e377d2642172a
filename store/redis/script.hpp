// A Lua script run with EVALSHA, loaded (again) when Redis does not know it —
// the first time, and after a Redis restart emptied its script cache.
#pragma once

#include "store/redis/connection.hpp"

#include <string>
#include <vector>

namespace omx::redis {

class Script {
public:
    explicit Script(std::string source) : source_(std::move(source)) {}

    // The script's reply (an error reply is a Reply). Throws RedisError like
    // Connection::command.
    boost::asio::awaitable<Reply> run(Connection& c, std::vector<std::string> keys, std::vector<std::string> args,
                                      std::chrono::milliseconds timeout);

private:
    std::string source_;
    std::string sha_; // empty until loaded
};

} // namespace omx::redis
