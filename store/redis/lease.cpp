#include "store/redis/lease.hpp"
#include "store/redis/keys.hpp"

namespace asio = boost::asio;

namespace omx::redis {
asio::awaitable<std::optional<Holder>> Leases::acquire(Connection& c, const std::string& job_id,
                                                       const std::string& worker, std::chrono::milliseconds ttl) {
    std::vector<std::string> job_keys{keys::lease(job_id), keys::fence(job_id)};
    std::vector<std::string> args{worker, std::to_string(ttl.count())};
    auto reply = co_await acquire_.run(c, std::move(job_keys), std::move(args), command_timeout);
    auto token = checked(reply, "taking a job's lease").as_integer();
    if (!token) co_return std::nullopt; // nil: held by another
    co_return Holder{worker, static_cast<std::uint64_t>(*token)};
}

asio::awaitable<bool> Leases::renew(Connection& c, const std::string& job_id, const Holder& holder,
                                    std::chrono::milliseconds ttl) {
    std::vector<std::string> job_keys{keys::lease(job_id)};
    std::vector<std::string> args{holder.value(), std::to_string(ttl.count())};
    auto reply = co_await renew_.run(c, std::move(job_keys), std::move(args), command_timeout);
    co_return checked(reply, "renewing a job's lease").as_integer() == 1;
}

asio::awaitable<void> Leases::release(Connection& c, const std::string& job_id, const Holder& holder) {
    std::vector<std::string> job_keys{keys::lease(job_id)};
    std::vector<std::string> args{holder.value()};
    auto reply = co_await release_.run(c, std::move(job_keys), std::move(args), command_timeout);
    checked(reply, "releasing a job's lease");
}

} // namespace omx::redis
