// The structured result of an attempt: the last JSON object in the agent's result text.
#pragma once

#include <boost/json/value.hpp>

#include <string_view>

namespace omx::process {

// The object of the last fenced ```json block that parses to an object, if any; else the last
// balanced {...} span that parses to an object (braces inside JSON strings do not count);
// else null. "Last" is by where the span ends; among nested spans the outermost is tried first.
boost::json::value extract_structured(std::string_view result_text);

} // namespace omx::process
