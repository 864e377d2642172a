// What the parts of the omx command line share: exit codes, the parsed
// arguments, the run context and the table of commands.
#pragma once

#include "tools/omx/server_url.hpp"

#include <cstddef>
#include <iosfwd>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omx::cli {

// Documented in `omx --help` and README.md.
namespace exit_code {
constexpr int ok = 0;       // success; watch: the job succeeded
constexpr int failed = 1;   // watch: the job failed
constexpr int canceled = 2; // watch: the job was canceled
constexpr int error = 3;    // an HTTP error answer, or the server could not be reached
constexpr int usage = 64;   // bad usage (EX_USAGE)
} // namespace exit_code

// Bad usage: printed as one line with a hint to --help, exit code 64.
class UsageError : public std::runtime_error {
  public:
    UsageError(const std::string& message, std::string command = {})
        : std::runtime_error(message), command(std::move(command)) {}
    std::string command; // for the hint "omx <command> --help"; "" for the main help
};

struct OptionSpec {
    std::string_view name;       // "--repo"
    std::string_view value_name; // "R"; empty for a flag
    std::string_view help;
    bool takes_value() const { return !value_name.empty(); }
};

struct ParsedArgs {
    std::string command;                       // "" when none was given
    std::vector<std::string> positionals;      // after the command
    std::map<std::string, std::string> values; // "--repo" -> "acme/x"; a flag -> ""

    bool has(std::string_view name) const { return values.count(std::string(name)) != 0; }
    std::optional<std::string> get(std::string_view name) const;
};

struct Context {
    client::ServerUrl server;
    std::optional<std::string> token;
    bool json = false;  // --json: the server's JSON as-is
    bool color = false; // ANSI colours on stdout
    std::ostream& out;
    std::ostream& err;
};

struct CommandInfo {
    std::string_view name;
    std::string_view synopsis; // the arguments after "omx <name>"
    std::string_view summary;  // one line for the main help
    std::string_view details;  // paragraphs for "omx <name> --help"
    std::vector<OptionSpec> options;
    std::size_t min_args = 0;
    std::size_t max_args = 0;
    int (*run)(Context&, const ParsedArgs&) = nullptr;
};

const std::vector<OptionSpec>& global_options();
const std::vector<CommandInfo>& commands();
const CommandInfo* find_command(std::string_view name);
std::string main_help();
std::string command_help(const CommandInfo& command);

// Parses argv[1..]: global options anywhere, then the command's own options
// and arguments (`--name value` or `--name=value`; `--` ends the options).
// Throws UsageError.
ParsedArgs parse_args(const std::vector<std::string>& args);

// A positive integer option, or nullopt if absent; throws UsageError otherwise.
std::optional<long> positive_int_option(const ParsedArgs& args, std::string_view name);

} // namespace omx::cli
