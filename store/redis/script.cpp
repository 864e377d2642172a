#include "store/redis/script.hpp"

namespace asio = boost::asio;

namespace omx::redis {

asio::awaitable<Reply> Script::run(Connection& c, std::vector<std::string> keys, std::vector<std::string> args,
                                   std::chrono::milliseconds timeout) {
    for (int tries = 0;; ++tries) {
        if (sha_.empty()) {
            std::vector<std::string> load{"SCRIPT", "LOAD", source_};
            auto loaded = co_await c.command(std::move(load), timeout);
            if (loaded.is_error() || !loaded.as_text()) throw RedisError("Redis did not load a script: " + loaded.describe());
            sha_ = loaded.text;
        }
        std::vector<std::string> command{"EVALSHA", sha_, std::to_string(keys.size())};
        command.insert(command.end(), keys.begin(), keys.end());
        command.insert(command.end(), args.begin(), args.end());
        auto reply = co_await c.command(std::move(command), timeout);
        if (reply.is_error() && reply.text.starts_with("NOSCRIPT") && tries == 0) {
            sha_.clear(); // Redis restarted: load it again, once
            continue;
        }
        co_return reply;
    }
}

} // namespace omx::redis
