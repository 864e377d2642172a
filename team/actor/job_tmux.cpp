// The tmux view of a job's run (tmux_view.hpp): opened with the workspace,
// fed by every commit, announced as ended just before the run's terminal event,
// then kept (at most max_retained sessions, the oldest closed first) or closed.
#include "team/actor/job_service.hpp"
#include "team/actor/job_slot.hpp"

#include "team/core/enums.hpp"
#include "team/core/role_log.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>

namespace asio = boost::asio;

namespace omx::actor {
namespace {
constexpr std::size_t max_retained = 20;
} // namespace

asio::awaitable<std::optional<TmuxView::Opened>> JobService::open_tmux_view(Slot& slot) {
    if (!slot.job.request.options.team.tmuxVisualization || slot.tmux) co_return std::nullopt;
    auto roles = team::job_roles(slot.job);
    auto run_dir = config_.work_root / slot.job.id;
    auto opened = co_await TmuxView::async_open(strand_, config_, slot.job.id, std::move(roles), std::move(run_dir));
    co_return opened;
}

void JobService::adopt_tmux_view(Slot& slot, std::unique_ptr<TmuxView> view, team::Decision& decision) {
    std::erase(retained_tmux_, view->session()); // replaced by this run's session
    decision.events.push_back({std::string(team::event_type::tmux_started),
                               "tmux session " + view->session() + " started: tmux -L " + config_.tmux_socket +
                                   " attach -t " + view->session(),
                               view->payload()});
    slot.tmux = std::move(view);
}

void JobService::end_tmux_view(Slot& slot, std::vector<team::EventDraft>& drafts) {
    if (!slot.tmux) return;
    auto terminal = std::find_if(drafts.begin(), drafts.end(),
                                 [](const team::EventDraft& d) { return team::is_terminal_event(d.type); });
    if (terminal == drafts.end()) return;
    bool keep = slot.job.request.options.keepTmuxSession;
    auto& session = slot.tmux->session();
    drafts.insert(terminal, {std::string(keep ? team::event_type::tmux_retained : team::event_type::tmux_closed),
                             "tmux session " + session + (keep ? " kept" : " closed"), slot.tmux->payload()});
}

void JobService::close_tmux_view(Slot& slot) {
    std::vector<std::string> to_kill;
    if (slot.job.request.options.keepTmuxSession) {
        retained_tmux_.push_back(slot.tmux->session());
        while (retained_tmux_.size() > max_retained) {
            to_kill.push_back(retained_tmux_.front());
            retained_tmux_.pop_front();
        }
    } else {
        to_kill.push_back(slot.tmux->session());
    }
    slot.tmux.reset();
    for (auto& session : to_kill) asio::co_spawn(strand_, TmuxView::async_kill(strand_, config_, session), asio::detached);
}

} // namespace omx::actor
