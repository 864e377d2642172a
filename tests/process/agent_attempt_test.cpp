// AgentAttempt with real scripted agents: parsed codex-style output, plain
// output, failures of every class, timeouts, hangs, stop, the log file and its
// cap, and the TaskOutput it becomes.
#define BOOST_TEST_MODULE agent_attempt
#include "process/agent_attempt.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace omx::process;
using namespace std::chrono_literals;

namespace {

struct Scratch {
    fs::path dir = fs::temp_directory_path() / ("omx-attempt-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    Scratch() { fs::create_directories(dir / "workspace"); }
    ~Scratch() {
        std::error_code ec;
        if (!std::getenv("OMX_KEEP_TEST_DIRS")) fs::remove_all(dir, ec);
    }
    static inline int counter = 0;
};

struct Run {
    AttemptResult result;
    std::vector<OutputItem> items;
    std::vector<omx::team::Usage> usage_updates;
    pid_t pid = -1;
    std::string log;
};

AttemptSpec spec_for(const Scratch& s, std::string command) {
    AttemptSpec spec;
    spec.command = std::move(command);
    spec.workdir = s.dir / "workspace";
    spec.log_path = s.dir / "tasks" / "t1" / "1.log";
    spec.environment = {"PATH=/usr/bin:/bin", "LANG=C"};
    spec.timeout = 20s;
    spec.idle_timeout = 20s;
    spec.kill_grace = 300ms;
    return spec;
}

enum class StopBy { stop, cancellation }; // attempt.stop() / a terminal cancellation of the awaiting coroutine

// Runs one attempt; `stop_after` stops it (with StopReason::cancel, or by
// cancelling the coroutine awaiting it) after that long; `on_item` replaces
// the item observer.
Run run(AttemptSpec spec, std::optional<std::chrono::milliseconds> stop_after = {}, StopBy by = StopBy::stop,
        std::function<void(const OutputItem&)> on_item = {}) {
    asio::io_context io;
    install_reaper(io.get_executor());
    Run r;
    AttemptObserver observer{[&](pid_t pid) { r.pid = pid; }, [&](const OutputItem& i) { r.items.push_back(i); },
                             [&](const omx::team::Usage& u) { r.usage_updates.push_back(u); }};
    if (on_item) observer.item = on_item;
    auto log_path = spec.log_path;
    AgentAttempt attempt(io.get_executor(), std::move(spec), observer);
    bool done = false;
    asio::cancellation_signal cancel;
    auto body = [&]() -> asio::awaitable<void> {
        r.result = co_await attempt.async_run();
        // The caller's throw_if_cancelled is back: a cancelled caller throws at its next co_await.
        const bool throws_again = co_await asio::this_coro::throw_if_cancelled();
        BOOST_TEST(throws_again);
    };
    asio::co_spawn(io, body(), asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) {
                       done = true;
                       io.stop();
                       if (e) std::rethrow_exception(e);
                   }));
    asio::steady_timer stopper(io);
    if (stop_after) {
        stopper.expires_after(*stop_after);
        stopper.async_wait([&](boost::system::error_code ec) {
            if (ec) return;
            if (by == StopBy::stop) attempt.stop(StopReason::cancel);
            else cancel.emit(asio::cancellation_type::terminal);
        });
    }
    io.run_for(30s);
    BOOST_REQUIRE_MESSAGE(done, "the attempt did not finish");
    std::ifstream in(log_path);
    std::stringstream text;
    text << in.rdbuf();
    r.log = text.str();
    return r;
}

bool group_gone(pid_t pgid) { return ::kill(-pgid, 0) != 0 && errno == ESRCH; }

// A scripted agent printing codex JSONL (the shape of spec/formats/codex_tool.jsonl).
const std::string codex_script = R"(cat <<'EOF'
{"type":"thread.started","thread_id":"thread-42"}
{"type":"turn.started"}
{"type":"item.completed","item":{"id":"item_0","type":"command_execution","command":"bash -lc 'make test'","aggregated_output":"ok\n","exit_code":0,"status":"completed"}}
{"type":"turn.completed","usage":{"input_tokens":40,"cached_input_tokens":10,"output_tokens":5,"reasoning_output_tokens":0}}
{"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"All green.\n```json\n{\"status\":\"pass\",\"findings\":[]}\n```"}}
{"type":"turn.completed","usage":{"input_tokens":84,"cached_input_tokens":20,"output_tokens":14,"reasoning_output_tokens":0}}
EOF
echo "a warning" >&2)";

} // namespace

BOOST_AUTO_TEST_CASE(codex_output_is_parsed_live_and_in_the_result) {
    Scratch s;
    auto r = run(spec_for(s, codex_script));
    BOOST_TEST(r.result.ok);
    BOOST_TEST(r.result.exitCode.value() == 0);
    BOOST_TEST(r.result.parsed.resultText.find("All green.") == 0u);
    BOOST_TEST(r.result.parsed.structured.at("status").as_string() == "pass");
    BOOST_TEST(r.result.parsed.usage.inputTokens == 84); // cumulative: the last, not the sum
    BOOST_TEST(r.result.parsed.usage.totalTokens == 98);
    BOOST_TEST(*r.result.parsed.threadId == "thread-42");
    BOOST_REQUIRE(r.items.size() == 2u);
    BOOST_TEST(r.items[0].kind == "command");
    BOOST_TEST(r.items[1].kind == "message");
    BOOST_TEST(!r.usage_updates.empty());
    BOOST_TEST(r.usage_updates.back().totalTokens == 98);
    BOOST_TEST(r.pid > 0);
    BOOST_TEST(r.result.stderrTail == "a warning\n");
    BOOST_TEST(r.log.find(" out | {\"type\":\"thread.started\"") != std::string::npos);
    BOOST_TEST(r.log.find(" err | a warning") != std::string::npos);
    BOOST_TEST(r.log.find(" omx | finished: ok") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(plain_output_is_the_result_text) {
    Scratch s;
    auto r = run(spec_for(s, "echo 'first line'; echo 'verdict: {\"status\": \"fail\"}'"));
    BOOST_TEST(r.result.ok);
    BOOST_TEST(r.result.parsed.resultText.find("first line") != std::string::npos);
    BOOST_TEST(r.result.parsed.structured.at("status").as_string() == "fail");
}

BOOST_AUTO_TEST_CASE(a_non_zero_exit_names_the_code_and_the_last_stderr_line) {
    Scratch s;
    auto r = run(spec_for(s, "echo compiling >&2; echo 'error: tests failed' >&2; exit 3"));
    BOOST_TEST(!r.result.ok);
    BOOST_TEST(*r.result.errorClass == "exit");
    BOOST_TEST(*r.result.error == "exited with code 3: error: tests failed");
}

BOOST_AUTO_TEST_CASE(a_missing_binary_is_a_clear_failure) {
    Scratch s;
    auto r = run(spec_for(s, "nosuchagent exec --json -- \"$JOB_PROMPT\""));
    BOOST_TEST(!r.result.ok);
    BOOST_TEST(*r.result.errorClass == "exit");
    BOOST_TEST(*r.result.error == "agent command not found: nosuchagent");
}

BOOST_AUTO_TEST_CASE(a_provider_error_is_an_agent_error_with_its_message) {
    Scratch s;
    auto r = run(spec_for(s, R"(echo '{"type":"thread.started","thread_id":"t"}'
echo '{"type":"turn.failed","error":{"message":"Connection failed: error sending request"}}'
exit 1)"));
    BOOST_TEST(*r.result.errorClass == "agent_error");
    BOOST_TEST(*r.result.error == "Connection failed: error sending request");
}

BOOST_AUTO_TEST_CASE(killed_by_a_signal_is_told_apart_from_an_exit_code) {
    Scratch s;
    auto r = run(spec_for(s, "echo about to die; kill -KILL $$"));
    BOOST_TEST(!r.result.exitCode.has_value());
    BOOST_TEST(r.result.signal.value() == SIGKILL);
    BOOST_TEST(*r.result.errorClass == "killed");
    BOOST_TEST(*r.result.error == "killed by SIGKILL");
}

BOOST_AUTO_TEST_CASE(a_timeout_stops_the_whole_group) {
    Scratch s;
    auto spec = spec_for(s, "sh -c 'trap \"\" TERM; sleep 30' & echo started; sleep 30");
    spec.timeout = 500ms;
    auto r = run(spec);
    BOOST_TEST(*r.result.errorClass == "timeout");
    BOOST_TEST(*r.result.error == "timed out after 500 ms");
    BOOST_TEST(group_gone(r.pid));
    BOOST_TEST(r.result.durationMs < 5000);
}

BOOST_AUTO_TEST_CASE(no_output_for_the_idle_timeout_is_a_hang) {
    Scratch s;
    auto spec = spec_for(s, "echo working; sleep 30");
    spec.idle_timeout = 400ms;
    auto r = run(spec);
    BOOST_TEST(*r.result.errorClass == "hang");
    BOOST_TEST(*r.result.error == "no output for 400 ms");
    BOOST_TEST(group_gone(r.pid));
}

BOOST_AUTO_TEST_CASE(steady_output_is_not_a_hang) {
    Scratch s;
    auto spec = spec_for(s, "for i in 1 2 3 4 5 6; do echo tick $i; sleep 0.1; done");
    spec.idle_timeout = 400ms;
    auto r = run(spec);
    BOOST_TEST(r.result.ok);
}

BOOST_AUTO_TEST_CASE(stop_cancels_the_attempt_and_its_grandchildren) {
    Scratch s;
    auto r = run(spec_for(s, "sh -c 'trap \"\" TERM; while true; do sleep 0.05; done' & echo running; wait"), 300ms);
    BOOST_TEST(*r.result.errorClass == "canceled");
    BOOST_TEST((r.result.stopped == StopReason::cancel));
    BOOST_TEST(group_gone(r.pid));
    BOOST_TEST(r.log.find("stopped: the job was canceled") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_log_is_capped_with_a_marker_and_the_rest_counted) {
    Scratch s;
    auto spec = spec_for(s, "for i in $(seq 200); do echo \"line $i of the agent output, padded out a little\"; done");
    spec.log_cap = 2048;
    auto r = run(spec);
    BOOST_TEST(r.result.ok);
    BOOST_TEST(r.log.find("log capped at 2048 bytes") != std::string::npos);
    BOOST_TEST(r.result.logBytesStored <= 2048u);
    BOOST_TEST(r.result.logBytesDropped > 5000u);
    BOOST_TEST(r.log.find("line 200 of") == std::string::npos);
    // The parser still saw everything: the plain result ends with the last line.
    BOOST_TEST(r.result.parsed.resultText.find("line 200 of") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(task_output_has_the_schema_fields) {
    Scratch s;
    auto r = run(spec_for(s, codex_script));
    auto out = task_output(r.result, "tasks/t1/1.log");
    std::vector<std::string> keys;
    for (auto& kv : out) keys.emplace_back(kv.key());
    BOOST_TEST(keys == (std::vector<std::string>{"status", "exitCode", "signal", "summary", "structured", "usage",
                                                 "durationMs", "logPath", "stderrTail", "threadId"}));
    BOOST_TEST(out.at("status").as_string() == "ok");
    BOOST_TEST(out.at("usage").at("totalTokens").as_int64() == 98);
    BOOST_TEST(out.at("threadId").as_string() == "thread-42");
    BOOST_TEST(out.at("signal").is_null());
}

// B1: an agent that closes stdout and stderr at once and then stays. The
// pipes are gone, but the timeout, the idle timeout and stop() still hold.
const std::string closes_its_pipes = "echo started; exec >/dev/null 2>&1; sleep 30";

BOOST_AUTO_TEST_CASE(a_leader_that_closed_its_pipes_still_times_out) {
    Scratch s;
    auto spec = spec_for(s, closes_its_pipes);
    spec.timeout = 600ms;
    auto r = run(spec);
    BOOST_TEST(*r.result.errorClass == "timeout");
    BOOST_TEST(r.result.durationMs < 5000);
    BOOST_TEST(group_gone(r.pid));
}

BOOST_AUTO_TEST_CASE(a_leader_that_closed_its_pipes_and_stays_quiet_is_a_hang) {
    Scratch s;
    auto spec = spec_for(s, closes_its_pipes);
    spec.idle_timeout = 400ms;
    auto r = run(spec);
    BOOST_TEST(*r.result.errorClass == "hang");
    BOOST_TEST(*r.result.error == "no output for 400 ms");
    BOOST_TEST(r.result.durationMs < 5000);
    BOOST_TEST(group_gone(r.pid));
}

BOOST_AUTO_TEST_CASE(a_leader_that_closed_its_pipes_can_be_stopped) {
    Scratch s;
    auto r = run(spec_for(s, closes_its_pipes), 300ms);
    BOOST_TEST(*r.result.errorClass == "canceled");
    BOOST_TEST((r.result.stopped == StopReason::cancel));
    BOOST_TEST(r.result.durationMs < 5000);
    BOOST_TEST(group_gone(r.pid));
}

// A finished leader whose background job still holds the pipes: the attempt
// ends 2 s after the leader's exit, with the leader's exit status, and the
// leftover is killed.
BOOST_AUTO_TEST_CASE(a_finished_leader_is_not_held_up_by_its_background_job) {
    Scratch s;
    auto r = run(spec_for(s, "sleep 30 & echo done"));
    BOOST_TEST(r.result.ok, r.result.error.value_or(""));
    BOOST_TEST(r.result.exitCode.value() == 0);
    BOOST_TEST(r.result.durationMs < 5000);
    BOOST_TEST(group_gone(r.pid));
}

// An observer that throws ends the reading: the agent, which writes on and on,
// must not block on a full pipe for ever; the attempt fails naming the exception.
BOOST_AUTO_TEST_CASE(an_observer_that_throws_stops_the_attempt) {
    Scratch s;
    auto spec = spec_for(s, R"(echo '{"type":"thread.started","thread_id":"t"}'
while :; do echo '{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"more"}}'; done)");
    int calls = 0;
    auto r = run(spec, {}, StopBy::stop, [&](const OutputItem&) {
        ++calls;
        throw std::runtime_error("observer exploded");
    });
    BOOST_TEST(calls == 1);
    BOOST_TEST(!r.result.ok);
    BOOST_TEST(*r.result.errorClass == "exit");
    BOOST_TEST(r.result.error->find("observer exploded") != std::string::npos, *r.result.error);
    BOOST_TEST(r.result.durationMs < 5000);
    BOOST_TEST(group_gone(r.pid));
    BOOST_TEST(r.log.find("observer exploded") != std::string::npos);
}

// B2: cancelling the coroutine that awaits async_run does not tear the
// attempt down under its reader: it is stopped like stop(cancel) and returns
// a result instead of throwing.
BOOST_AUTO_TEST_CASE(a_cancelled_caller_stops_the_attempt_and_gets_its_result) {
    Scratch s;
    auto r = run(spec_for(s, "sh -c 'trap \"\" TERM; while true; do echo tick; sleep 0.05; done' & wait"), 300ms,
                 StopBy::cancellation);
    BOOST_TEST(*r.result.errorClass == "canceled");
    BOOST_TEST((r.result.stopped == StopReason::cancel));
    BOOST_TEST(group_gone(r.pid));
    BOOST_TEST(r.log.find(" omx | finished: canceled") != std::string::npos);
}
