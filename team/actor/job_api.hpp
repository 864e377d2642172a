// What the HTTP API needs of the jobs, whichever process holds them: the
// job service of a single-process server (job_service.hpp, file store) or an
// API node reading and commanding jobs in Redis (team/cluster/redis_jobs.hpp).
#pragma once

#include "runtime/metrics.hpp"
#include "store/job_index.hpp"
#include "team/actor/event_stream.hpp"
#include "team/core/decide.hpp"
#include "team/core/types.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace omx::actor {

enum class Failure { none, not_found, conflict, unavailable, bad_request };

// A job's JSON views (GET /v1/jobs/{id}, /team), rendered once per change of
// the job and shared by every reader until the next change.
enum class ViewKind { job, team };
using ViewRenderer = std::function<std::string(const team::Job&)>;
using ViewBody = std::shared_ptr<const std::string>;
using Views = std::array<ViewBody, 2>; // by ViewKind

struct JobOutcome {
    Failure failure = Failure::none;
    std::string message;
    std::optional<team::Job> job;
};

// What the 201 of a creation names (not the whole job: copying it cost 5 % of a POST).
struct CreatedJob {
    std::string id;
    team::JobStatus status = team::JobStatus::queued;
};

struct CreateOutcome {
    Failure failure = Failure::none;
    std::string message;
    std::optional<CreatedJob> job;
    bool replayed = false; // an Idempotency-Key retry: the job created first
};

// What the API's mailbox validator makes of a body, given the job as it is now.
struct MailboxCheck {
    std::optional<team::Message> message; // id, from and createdAt are filled in by the service
    std::vector<std::string> problems;
};
using MailboxValidator = std::function<MailboxCheck(const team::Job&)>;

struct MessageOutcome {
    Failure failure = Failure::none;
    std::vector<std::string> problems;
    std::optional<team::Message> message;
};

struct JobList {
    std::vector<team::Job> items;
    std::optional<std::string> next_cursor;
};

struct EventPage {
    std::vector<std::string> events; // JSON objects as in SSE data
    std::uint64_t next = 0;
};

struct StreamStart {
    bool found = false;
    std::uint64_t last_seq = 0; // replay up to here, then live frames
    bool terminal = false;
    std::string status;
};

// Thrown by reads when the store cannot answer now (Redis unreachable): the API answers 503.
struct StoreUnavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class JobApi {
public:
    virtual ~JobApi() = default;

    virtual boost::asio::awaitable<CreateOutcome> async_create(team::JobRequest request,
                                                               std::optional<std::string> idempotency_key,
                                                               std::string request_hash) = 0;
    virtual boost::asio::awaitable<std::optional<team::Job>> async_get(std::string id) = 0;
    // The view of the job rendered by `render` (cached per kind), or null when there is no such job.
    virtual boost::asio::awaitable<ViewBody> async_view(std::string id, ViewKind kind, ViewRenderer render) = 0;
    virtual boost::asio::awaitable<std::optional<JobList>> async_list(store::ListFilter filter) = 0;
    virtual boost::asio::awaitable<JobOutcome> async_job_action(std::string id, team::JobAction action,
                                                                std::optional<std::string> comment) = 0;
    virtual boost::asio::awaitable<JobOutcome> async_task_action(std::string id, std::string task_id, bool approve,
                                                                 std::optional<std::string> comment) = 0;
    virtual boost::asio::awaitable<MessageOutcome> async_post_message(std::string id, MailboxValidator validate) = 0;

    // The text of attempt `attempt` of a task's log, or nullopt when it is not kept where this server can read it.
    virtual boost::asio::awaitable<std::optional<std::string>> async_attempt_log(std::string id, std::string task_id,
                                                                                int attempt) = 0;

    virtual boost::asio::awaitable<std::optional<EventPage>> async_events(std::string id, std::uint64_t after,
                                                                          std::size_t limit) = 0;
    // Registers `s` for live frames after the returned last_seq (unless the job is terminal).
    virtual boost::asio::awaitable<StreamStart> async_subscribe(std::string id, std::shared_ptr<Subscriber> s) = 0;
    virtual boost::asio::awaitable<std::vector<FramePtr>> async_frames(std::string id, std::uint64_t after,
                                                                       std::uint64_t up_to, std::size_t max) = 0;
    // All jobs' events; replays the frames after `last_id` that this process still holds.
    virtual boost::asio::awaitable<std::vector<FramePtr>> async_subscribe_monitor(
        std::shared_ptr<Subscriber> s, std::optional<std::uint64_t> last_id) = 0;

    virtual boost::asio::awaitable<boost::json::object> async_overview(std::size_t limit) = 0;
    // Why the server cannot take work now, or nullopt when it can (/v1/readyz).
    virtual boost::asio::awaitable<std::optional<std::string>> async_readiness() = 0;
    // The gauges /metrics samples (jobs by status).
    virtual boost::asio::awaitable<std::vector<metrics::GaugeSample>> async_metric_gauges() = 0;
    // Graceful shutdown: ends every stream, lets admitted commands finish and
    // persists what they changed, within `grace` as far as the store allows.
    virtual boost::asio::awaitable<void> async_shutdown(std::chrono::milliseconds grace) = 0;
};

} // namespace omx::actor
