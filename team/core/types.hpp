// Domain types of a job and its team run: the state that events fold into.
// Pure data: no I/O, no Asio. JSON field names and shapes are in
// ../shared/spec/schemas.md; the codec is team/core/json_codec.hpp.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace omx::team {

namespace json = boost::json;

// Milliseconds since the Unix epoch (UTC). Rendered as RFC 3339 with millis.
using TimeMs = std::int64_t;

enum class Provider { codex, claude, gemini };
enum class Mode { team, autopilot, ralph, ultrawork, pipeline };
enum class Role { planner, researcher, designer, developer, executor, verifier };
enum class JobStatus { queued, running, waiting_approval, succeeded, failed, canceled };
enum class ApprovalState { none, required, approved, rejected };
enum class TaskStatus { queued, blocked, running, succeeded, failed, canceled };
enum class Phase { team_plan, team_prd, team_exec, team_verify, team_fix, complete, failed, canceled };

inline constexpr Role all_roles[] = {Role::planner,   Role::researcher, Role::designer,
                                     Role::developer, Role::executor,   Role::verifier};

// A task as the client (or a mode preset, or a planner) describes it.
struct TaskTemplate {
    std::string id;
    std::string name;
    Role role = Role::executor;
    std::vector<std::string> dependencies;
    int maxAttempts = 1;
    int timeoutSeconds = 900;
    bool requiresApproval = false;
};

struct TeamOptions {
    int maxFixAttempts = 2;
    int parallelTasks = 1;
    bool tmuxVisualization = false;
    // The client's templates (ids filled in), or nullopt: the mode's default graph.
    std::optional<std::vector<TaskTemplate>> teamTasks;
    json::object extras;
};

// Normalized options: every default filled in, mode presets applied.
struct JobOptions {
    int workers = 1;
    int maxMinutes = 60;
    bool requireApproval = false;
    bool keepTmuxSession = true;
    std::map<Role, std::string> agentCommands;
    std::optional<std::int64_t> maxTokens;
    TeamOptions team;
};

// A validated POST /v1/jobs body.
struct JobRequest {
    Provider provider = Provider::codex;
    Mode mode = Mode::team;
    std::string repo;
    std::string ref;
    std::string task;
    JobOptions options;
};

struct Usage {
    std::int64_t inputTokens = 0;
    std::int64_t cachedInputTokens = 0;
    std::int64_t outputTokens = 0;
    std::int64_t totalTokens = 0;
    std::optional<double> costUsd;
};

struct TaskApproval {
    std::string stage; // "before" | "after"
    std::string reason;
    TimeMs requestedAt = 0;
    int requests = 1;
};

struct Task : TaskTemplate {
    TaskStatus status = TaskStatus::queued;
    int attempt = 0;
    int failures = 0;
    // Kept in the record, not shown (schemas.md has no field for them):
    int reclaims = 0;       // crash reclaims (at most 3)
    int rateLimits = 0;     // rate-limited runs that did not count as failures (at most 3)
    int afterRequests = 0;  // approvals the agent asked for since the task was last reset
    bool beforeApproved = false; // a person approved its `before` gate since the last reset
    json::value feedback;   // null or {error, findings, approved, comment}: for the next prompt
    Usage usageTotal;       // summed over every attempt of the task
    std::optional<TimeMs> notBefore;
    std::optional<TaskApproval> approval;
    std::optional<TimeMs> startedAt, finishedAt;
    std::optional<std::int64_t> durationMs;
    std::optional<std::string> workerId, claimToken;
    std::optional<TimeMs> claimExpiresAt, lastHeartbeatAt;
    std::optional<int> pid;
    std::optional<std::string> error, errorClass;
    json::value output; // null or TaskOutput (schemas.md)
};

struct Message {
    std::string id;
    std::string kind; // question | instruction | notice | reassign
    std::string from; // "leader" or a taskId
    json::value to;   // "leader" | role | [roles]
    std::optional<std::string> taskId;
    std::string message;
    json::value payload; // null or object
    json::value meta;    // null or object
    TimeMs createdAt = 0;
    bool delivered = false;
    std::optional<TimeMs> deliveredAt;
    std::vector<std::string> deliveredTo;
};

struct PhaseEntry {
    Phase phase = Phase::team_plan;
    TimeMs enteredAt = 0;
    std::string reason;
};

struct TeamState {
    Phase phase = Phase::team_plan;
    std::vector<PhaseEntry> phaseHistory;
    int fixAttempts = 0;
    json::value plan; // null or {summary, fromTaskId, taskIds}
    std::vector<Task> tasks;
    std::vector<Message> mailbox;
    std::vector<std::string> fixResetIds; // record only: what the fix round in progress reset
};

struct Job {
    std::string id;
    JobRequest request;
    JobStatus status = JobStatus::queued;
    ApprovalState approvalState = ApprovalState::none;
    bool jobGatePending = false;  // options.requireApproval not yet decided
    bool jobGateApproved = false; // a person approved the job gate (resume keeps it open)
    ApprovalState lastDecision = ApprovalState::none; // shown when no gate is pending
    std::optional<TimeMs> jobGateSince;               // when the pending job gate was set
    bool runStarted = false;     // a worker took the current run
    json::value output;          // null until terminal, then JobOutput
    std::optional<std::string> error;
    TimeMs createdAt = 0, updatedAt = 0;
    std::optional<TimeMs> startedAt, finishedAt;
    TeamState team;
    // Budget clocks of the current run (record only): time spent running, not
    // waiting for a person, and the token total when the run began.
    std::int64_t activeMs = 0;
    std::optional<TimeMs> activeSince;
    std::int64_t tokenBaseline = 0;
    std::uint64_t lastSeq = 0;
    // Idempotency-Key of the creating request and the hash of its body.
    std::optional<std::string> idempotencyKey, requestHash;
};

// Task metrics of a team run (schemas.md, Metrics). Derived, never stored.
struct Metrics {
    int total = 0, queued = 0, running = 0, blocked = 0, succeeded = 0, failed = 0, canceled = 0;
    int waitingApproval = 0, terminal = 0, activeWorkers = 0;
    Usage usage;
    std::int64_t averageDurationMs = 0, maxDurationMs = 0;
};

} // namespace omx::team
