// A scenario's results: human lines first, then one JSON line.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace omx::bench {

// JSON text with doubles written plainly (12.5, not 1.25E1).
std::string json_line(const boost::json::value& v);

class Report {
public:
    explicit Report(std::string scenario);
    boost::json::object json;            // {"scenario": …} first, then the results
    void say(std::string line);          // one human summary line
    void error(const std::string& what); // counts an error; the first few are kept
    // `count` errors of which `samples` describe the first few.
    void errors(std::int64_t count, const std::vector<std::string>& samples, const std::string& prefix = {});
    std::int64_t errors() const { return errors_; }
    // Prints the summary and the JSON line (with errors and errorSamples);
    // returns the exit code (0 without errors).
    int finish();

private:
    std::vector<std::string> lines_;
    std::vector<std::string> samples_;
    std::int64_t errors_ = 0;
};

} // namespace omx::bench
