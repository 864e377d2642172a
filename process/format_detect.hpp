// Which agent CLI wrote a JSON line: the auto-detection of the output format.
#pragma once

#include "process/output_types.hpp"

#include <boost/json/object.hpp>

namespace omx::process {

// codex: type thread.started, turn.*, item.*; claude: type system with subtype init, or
// assistant/user/result with a session_id; gemini: type init with session_id and model, or
// message with a role. unknown for anything else.
OutputFormat detect_format(const json::object& line);

} // namespace omx::process
