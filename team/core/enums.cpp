// Enum <-> JSON name tables: one table per enum, used both ways.
#include "team/core/enums.hpp"

#include <array>
#include <utility>

namespace omx::team {
namespace {

template <class E, std::size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<Provider, 3> provider_names{
    {{Provider::codex, "codex"}, {Provider::claude, "claude"}, {Provider::gemini, "gemini"}}};
constexpr Names<Mode, 5> mode_names{{{Mode::team, "team"},
                                     {Mode::autopilot, "autopilot"},
                                     {Mode::ralph, "ralph"},
                                     {Mode::ultrawork, "ultrawork"},
                                     {Mode::pipeline, "pipeline"}}};
constexpr Names<Role, 6> role_names{{{Role::planner, "planner"},
                                     {Role::researcher, "researcher"},
                                     {Role::designer, "designer"},
                                     {Role::developer, "developer"},
                                     {Role::executor, "executor"},
                                     {Role::verifier, "verifier"}}};
constexpr Names<JobStatus, 6> job_status_names{{{JobStatus::queued, "queued"},
                                                {JobStatus::running, "running"},
                                                {JobStatus::waiting_approval, "waiting_approval"},
                                                {JobStatus::succeeded, "succeeded"},
                                                {JobStatus::failed, "failed"},
                                                {JobStatus::canceled, "canceled"}}};
constexpr Names<ApprovalState, 4> approval_names{{{ApprovalState::none, "none"},
                                                  {ApprovalState::required, "required"},
                                                  {ApprovalState::approved, "approved"},
                                                  {ApprovalState::rejected, "rejected"}}};
constexpr Names<TaskStatus, 6> task_status_names{{{TaskStatus::queued, "queued"},
                                                  {TaskStatus::blocked, "blocked"},
                                                  {TaskStatus::running, "running"},
                                                  {TaskStatus::succeeded, "succeeded"},
                                                  {TaskStatus::failed, "failed"},
                                                  {TaskStatus::canceled, "canceled"}}};
constexpr Names<Phase, 8> phase_names{{{Phase::team_plan, "team-plan"},
                                       {Phase::team_prd, "team-prd"},
                                       {Phase::team_exec, "team-exec"},
                                       {Phase::team_verify, "team-verify"},
                                       {Phase::team_fix, "team-fix"},
                                       {Phase::complete, "complete"},
                                       {Phase::failed, "failed"},
                                       {Phase::canceled, "canceled"}}};

template <class E, std::size_t N>
std::string_view name_of(const Names<E, N>& names, E value) {
    for (auto& [e, n] : names)
        if (e == value) return n;
    return "?";
}

template <class E, std::size_t N>
std::optional<E> value_of(const Names<E, N>& names, std::string_view name) {
    for (auto& [e, n] : names)
        if (n == name) return e;
    return std::nullopt;
}

} // namespace

std::string_view to_string(Provider v) { return name_of(provider_names, v); }
std::string_view to_string(Mode v) { return name_of(mode_names, v); }
std::string_view to_string(Role v) { return name_of(role_names, v); }
std::string_view to_string(JobStatus v) { return name_of(job_status_names, v); }
std::string_view to_string(ApprovalState v) { return name_of(approval_names, v); }
std::string_view to_string(TaskStatus v) { return name_of(task_status_names, v); }
std::string_view to_string(Phase v) { return name_of(phase_names, v); }

std::optional<Provider> parse_provider(std::string_view s) { return value_of(provider_names, s); }
std::optional<Mode> parse_mode(std::string_view s) { return value_of(mode_names, s); }
std::optional<Role> parse_role(std::string_view s) { return value_of(role_names, s); }
std::optional<JobStatus> parse_job_status(std::string_view s) { return value_of(job_status_names, s); }
std::optional<ApprovalState> parse_approval_state(std::string_view s) {
    return value_of(approval_names, s);
}
std::optional<TaskStatus> parse_task_status(std::string_view s) {
    return value_of(task_status_names, s);
}
std::optional<Phase> parse_phase(std::string_view s) { return value_of(phase_names, s); }

const std::array<JobStatus, 6>& all_job_statuses() {
    static const std::array<JobStatus, 6> all = [] {
        std::array<JobStatus, 6> out{};
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = job_status_names[i].first;
        return out;
    }();
    return all;
}

bool is_terminal(JobStatus s) {
    return s == JobStatus::succeeded || s == JobStatus::failed || s == JobStatus::canceled;
}
bool is_finished(TaskStatus s) {
    return s == TaskStatus::succeeded || s == TaskStatus::failed || s == TaskStatus::canceled;
}

} // namespace omx::team
