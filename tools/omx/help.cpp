// The table of omx commands with their options, and the help texts.
#include "tools/omx/cli.hpp"
#include "tools/omx/commands.hpp"

#include <algorithm>
#include <cstdint>

namespace omx::cli {
namespace {

constexpr OptionSpec help_option{"--help", "", "show this help"};
constexpr OptionSpec comment_option{"--comment", "C", "a comment recorded with the action"};
constexpr OptionSpec retry_option{
    "--retry-timeout", "S", "give up after S seconds without reaching the server (default 60)"};

constexpr std::string_view exit_codes_text =
    "Exit codes:\n"
    "  0   success; watch: the job succeeded\n"
    "  1   watch: the job failed\n"
    "  2   watch: the job was canceled\n"
    "  3   the server answered with an HTTP error, or could not be reached\n"
    "      (watch first retries a lost connection for --retry-timeout seconds)\n"
    "  64  bad usage: unknown command or option, missing or invalid argument\n";

std::string option_lines(const std::vector<OptionSpec>& options) {
    std::size_t width = 0;
    auto label = [](const OptionSpec& o) {
        return std::string(o.name) + (o.takes_value() ? " " + std::string(o.value_name) : "");
    };
    for (auto& o : options)
        width = std::max(width, label(o).size());
    std::string out;
    for (auto& o : options) {
        auto l = label(o);
        out += "  " + l + std::string(width - l.size() + 3, ' ') + std::string(o.help) + "\n";
    }
    return out;
}

} // namespace

const std::vector<OptionSpec>& global_options() {
    static const std::vector<OptionSpec> options{
        {"--server", "URL",
         "omxd address (env OMX_SERVER; default http://127.0.0.1:8080); http only"},
        {"--token", "T", "bearer token sent as Authorization (env OMX_TOKEN)"},
        {"--json", "", "machine output: the server's JSON as-is; watch: one event per line"},
        {"--no-color", "", "no colours (colours are used only on a terminal without NO_COLOR)"},
        help_option,
    };
    return options;
}

const std::vector<CommandInfo>& commands() {
    static const std::vector<CommandInfo> table{
        {"submit",
         "--repo R [--ref REF] [--provider P] [--mode M] [options] TASK...",
         "create a job (and follow it with --watch)",
         "Creates a job with POST /v1/jobs. The words of TASK are joined with spaces.\n"
         "Defaults: --ref main, --provider codex, --mode team. Prints the job id and status;\n"
         "with --watch then follows its events like 'omx watch' and exits with its outcome\n"
         "(with --json: one event JSON per line, the creation answer is not printed).",
         {{"--repo", "R", "repository: owner/name or a git URL (required)"},
          {"--ref", "REF", "branch, tag or commit (default main)"},
          {"--provider", "P", "codex, claude or gemini (default codex)"},
          {"--mode", "M", "team, autopilot, ralph, ultrawork or pipeline (default team)"},
          {"--options", "JSON", "the job's options object, e.g. '{\"requireApproval\":true}'"},
          {"--idempotency-key", "K", "sent as Idempotency-Key: a retry returns the same job"},
          {"--watch", "", "follow the job's events until it ends"},
          retry_option},
         1,
         SIZE_MAX,
         run_submit},
        {"get",
         "ID",
         "show a job and its tasks",
         "Shows GET /v1/jobs/ID and the tasks of GET /v1/jobs/ID/team\n"
         "(with --json: the job object only).",
         {},
         1,
         1,
         run_get},
        {"list",
         "[--status S] [--mode M] [--provider P] [--limit N] [--cursor C]",
         "list jobs, newest first",
         "Lists one page of GET /v1/jobs (--limit 1-500, default 50). When there are more,\n"
         "the command for the next page is printed on stderr (--cursor C); with --json the\n"
         "page's nextCursor says the same.",
         {{"--status", "S", "queued, running, waiting_approval, succeeded, failed or canceled"},
          {"--mode", "M", "only jobs of this mode"},
          {"--provider", "P", "only jobs of this provider"},
          {"--limit", "N", "jobs per page (1-500, default 50)"},
          {"--cursor", "C", "the page after a previous one (its nextCursor)"}},
         0,
         0,
         run_list},
        {"watch",
         "ID [--retry-timeout S]",
         "follow a job's events live until it ends",
         "Streams GET /v1/jobs/ID/events (Server-Sent Events) from the first event. A\n"
         "dropped connection or a restarted server is reconnected with backoff and\n"
         "Last-Event-ID, so no event is shown twice or missed. Ends with the stream's end\n"
         "and exits with the job's outcome: 0 succeeded, 1 failed, 2 canceled.",
         {retry_option},
         1,
         1,
         run_watch},
        {"approve",
         "ID [--task T] [--comment C]",
         "approve a job's pending gate, or a task's",
         "POST /v1/jobs/ID/actions/approve; with --task, the task's own gate:\n"
         "POST /v1/jobs/ID/team/tasks/T/actions/approve.",
         {{"--task", "T", "approve this task's pending gate"}, comment_option},
         1,
         1,
         run_approve},
        {"reject",
         "ID [--task T] [--comment C]",
         "reject a job's pending gate, or a task's",
         "POST /v1/jobs/ID/actions/reject; with --task, the task's own gate:\n"
         "POST /v1/jobs/ID/team/tasks/T/actions/reject.",
         {{"--task", "T", "reject this task's pending gate"}, comment_option},
         1,
         1,
         run_reject},
        {"cancel",
         "ID [--comment C]",
         "cancel a job",
         "POST /v1/jobs/ID/actions/cancel.",
         {comment_option},
         1,
         1,
         run_cancel},
        {"resume",
         "ID [--comment C]",
         "resume a failed or canceled job",
         "POST /v1/jobs/ID/actions/resume: the run continues from the tasks that succeeded.",
         {comment_option},
         1,
         1,
         run_resume},
        {"mail",
         "ID --kind K [--to R] [--task T] --message M",
         "post a message to a job's team mailbox",
         "POST /v1/jobs/ID/team/mailbox. --to is 'leader', a role, or roles separated by\n"
         "commas; without --to and --task the message is for the leader. --kind reassign\n"
         "needs --task.",
         {{"--kind", "K", "question, instruction, notice or reassign (required)"},
          {"--to", "R", "leader, a role, or roles separated by commas"},
          {"--task", "T", "the task the message is about (or for)"},
          {"--message", "M", "the text, 1-4000 characters (required)"}},
         1,
         1,
         run_mail},
        {"logs",
         "ID TASK [--attempt N]",
         "print the raw agent output of a task attempt",
         "GET /v1/jobs/ID/team/tasks/TASK/logs: the latest attempt unless --attempt N.\n"
         "The log is text: it is printed as-is, also with --json.",
         {{"--attempt", "N", "which attempt (default: the latest)"}},
         2,
         2,
         run_logs},
        {"overview",
         "[--limit N]",
         "counters, active jobs, running agents, pending approvals",
         "GET /v1/monitor/overview.",
         {{"--limit", "N", "at most N active jobs (1-2000, default 200)"}},
         0,
         0,
         run_overview},
        {"help", "[COMMAND]", "show the help of omx or of a command", "", {}, 0, 1, run_help},
    };
    return table;
}

const CommandInfo* find_command(std::string_view name) {
    const auto& all = commands();
    auto it = std::find_if(all.begin(), all.end(), [&](auto& c) { return c.name == name; });
    return it == all.end() ? nullptr : &*it;
}

std::string main_help() {
    std::string out =
        "omx - command-line client of omxd, the server that runs teams of coding agents\n\n"
        "Usage: omx [global options] COMMAND [arguments]\n\nCommands:\n";
    for (auto& c : commands())
        out += "  " + std::string(c.name) + std::string(10 - c.name.size(), ' ') +
               std::string(c.summary) + "\n";
    out += "\nGlobal options (anywhere on the line):\n" + option_lines(global_options());
    out += "\n" + std::string(exit_codes_text);
    out += "\nRun 'omx COMMAND --help' for the options of a command.\n";
    return out;
}

std::string command_help(const CommandInfo& c) {
    std::string out = "Usage: omx " + std::string(c.name) + " " + std::string(c.synopsis) + "\n\n" +
                      std::string(c.summary) + ".\n";
    if (!c.details.empty()) out += "\n" + std::string(c.details) + "\n";
    if (!c.options.empty()) out += "\nOptions:\n" + option_lines(c.options);
    out += "\nGlobal options:\n" + option_lines(global_options());
    out += "\n" + std::string(exit_codes_text);
    return out;
}

} // namespace omx::cli
