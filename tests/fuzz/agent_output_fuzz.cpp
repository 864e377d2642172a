// Fuzz target, built once per agent CLI (OMX_FUZZ_FORMAT = codex, claude or
// gemini): an agent's output through its parser, line by line as the runner
// feeds it. Lines starting with "!" go to stderr instead; the last byte is
// the exit code.
#include "process/output_parser.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    int exit_code = size ? data[size - 1] % 3 : 0;
    omx::process::AgentOutputParser parser(omx::process::OutputFormat::OMX_FUZZ_FORMAT);
    while (!text.empty()) {
        auto end = text.find('\n');
        auto line = text.substr(0, end);
        if (line.starts_with("!")) parser.feed_stderr_line(line.substr(1));
        else (void)parser.feed_stdout_line(line);
        (void)parser.usage();
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    }
    (void)parser.finish(exit_code);
    return 0;
}
