// The omx command line: global options anywhere, the command, its options and arguments.
#include "tools/omx/cli.hpp"

#include <algorithm>
#include <charconv>

namespace omx::cli {
namespace {

const OptionSpec* find_option(const std::vector<OptionSpec>& specs, std::string_view name) {
    auto it = std::find_if(specs.begin(), specs.end(), [&](auto& o) { return o.name == name; });
    return it == specs.end() ? nullptr : &*it;
}

bool is_option(std::string_view arg) {
    return arg.size() > 1 && arg.front() == '-';
}

// "--name=value" -> ("--name", "value"); "-h" -> "--help".
std::pair<std::string, std::optional<std::string>> split_option(std::string_view arg) {
    if (arg == "-h") return {"--help", std::nullopt};
    auto eq = arg.find('=');
    if (eq == std::string_view::npos) return {std::string(arg), std::nullopt};
    return {std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1))};
}

// The command: the first argument that is neither an option nor the value of a
// global option. Options before it can only be global ones.
std::string find_command_name(const std::vector<std::string>& args) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& arg = args[i];
        if (arg == "--") return i + 1 < args.size() ? args[i + 1] : "";
        if (!is_option(arg)) return arg;
        auto [name, inline_value] = split_option(arg);
        const auto* spec = find_option(global_options(), name);
        if (spec && spec->takes_value() && !inline_value) ++i;
    }
    return "";
}

std::string describe_command(const std::string& command) {
    return command.empty() ? "omx" : "'" + command + "'";
}

} // namespace

std::optional<std::string> ParsedArgs::get(std::string_view name) const {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
}

ParsedArgs parse_args(const std::vector<std::string>& args) {
    ParsedArgs out;
    out.command = find_command_name(args);
    const CommandInfo* command = out.command.empty() ? nullptr : find_command(out.command);
    if (!out.command.empty() && !command) throw UsageError("unknown command '" + out.command + "'");

    bool command_seen = false, options_ended = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& arg = args[i];
        if (!options_ended && arg == "--") {
            options_ended = true;
            continue;
        }
        if (options_ended || !is_option(arg)) {
            if (!command_seen)
                command_seen = true; // the command's name itself
            else
                out.positionals.push_back(arg);
            continue;
        }
        auto [name, inline_value] = split_option(arg);
        const auto* spec = find_option(global_options(), name);
        if (!spec && command) spec = find_option(command->options, name);
        if (!spec)
            throw UsageError("unknown option '" + name + "'" +
                                 (command ? " for 'omx " + out.command + "'" : ""),
                             out.command);
        std::string value;
        if (spec->takes_value()) {
            if (inline_value) {
                value = *inline_value;
            } else if (i + 1 < args.size()) {
                value = args[++i];
            } else {
                throw UsageError("option " + name + " needs a value (" +
                                     std::string(spec->value_name) + ")",
                                 out.command);
            }
        } else if (inline_value) {
            throw UsageError("option " + name + " takes no value", out.command);
        }
        out.values[name] = std::move(value);
    }

    if (command && !out.has("--help")) {
        auto n = out.positionals.size();
        if (n < command->min_args)
            throw UsageError("missing argument for " + describe_command(out.command) + ": omx " +
                                 out.command + " " + std::string(command->synopsis),
                             out.command);
        if (n > command->max_args)
            throw UsageError("unexpected argument '" + out.positionals[command->max_args] +
                                 "' for " + describe_command(out.command),
                             out.command);
    }
    return out;
}

std::optional<long> positive_int_option(const ParsedArgs& args, std::string_view name) {
    auto text = args.get(name);
    if (!text) return std::nullopt;
    long value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || end != text->data() + text->size() || value < 1)
        throw UsageError("option " + std::string(name) + " must be a positive integer, not '" +
                             *text + "'",
                         args.command);
    return value;
}

} // namespace omx::cli
