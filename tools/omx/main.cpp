// omx: the command-line client of omxd. Parses the command line, builds the
// context (server, token, output mode) and maps failures to exit codes.
#include "tools/omx/api_calls.hpp"
#include "tools/omx/cli.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace {

using namespace omx::cli;

std::optional<std::string> env(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
}

int usage_failure(const UsageError& e) {
    std::string hint = e.command.empty() ? "omx --help" : "omx " + e.command + " --help";
    std::cerr << "omx: " << e.what() << " (see '" << hint << "')" << std::endl;
    return exit_code::usage;
}

int run(const std::vector<std::string>& argv) {
    auto args = parse_args(argv);
    if (args.command.empty()) {
        if (args.has("--help")) {
            std::cout << main_help();
            return exit_code::ok;
        }
        throw UsageError("missing command");
    }
    const auto* command = find_command(args.command);
    if (args.has("--help")) {
        std::cout << command_help(*command);
        return exit_code::ok;
    }

    auto server_text = args.get("--server");
    if (!server_text) server_text = env("OMX_SERVER");
    auto server = omx::client::parse_server_url(server_text.value_or("http://127.0.0.1:8080"));
    if (auto* problem = std::get_if<std::string>(&server)) throw UsageError(*problem);

    Context ctx{
        std::get<omx::client::ServerUrl>(server), std::nullopt, false, false, std::cout, std::cerr};
    ctx.token = args.get("--token");
    if (!ctx.token) ctx.token = env("OMX_TOKEN");
    if (ctx.token && ctx.token->empty()) ctx.token.reset();
    ctx.json = args.has("--json");
    auto term = env("TERM");
    ctx.color = ::isatty(STDOUT_FILENO) == 1 && !env("NO_COLOR") && !args.has("--no-color") &&
                term.value_or("") != "dumb";
    return command->run(ctx, args);
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    try {
        int code = run(args);
        std::cout.flush();
        return code;
    } catch (const UsageError& e) {
        std::cout.flush();
        return usage_failure(e);
    } catch (const ApiError& e) {
        std::cout.flush();
        std::cerr << "omx: " << e.what() << std::endl;
        return exit_code::error;
    } catch (const omx::client::TransportError& e) {
        std::cout.flush();
        std::cerr << "omx: " << e.what() << std::endl;
        return exit_code::error;
    } catch (const std::exception& e) {
        std::cout.flush();
        std::cerr << "omx: " << e.what() << std::endl;
        return exit_code::error;
    }
}
