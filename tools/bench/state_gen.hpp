// Generates a state directory of many jobs in the file store's format
// (storage.md): copies of a few real template jobs, each with a new id, new
// event ids, its own task text and creation time, an events.jsonl and the
// record.json its log folds to (as tests/integration/torture_test.cpp does).
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace omx::bench {

// A template job's log, read from a state directory.
struct JobTemplate {
    std::string id, status;
    std::vector<boost::json::object> events;
};

JobTemplate read_template(const std::filesystem::path& state, const std::string& id, const std::string& status);

struct GeneratedJob {
    std::string id, status; // the template's status
    std::string task;
    std::size_t events = 0;
};

// One generated job per entry of `plan` (an index into `templates`), created
// one second apart ending about now - 1 h. Writes <state>/<id>/events.jsonl
// and record.json.
std::vector<GeneratedJob> generate_jobs(const std::filesystem::path& state, const std::vector<JobTemplate>& templates,
                                        const std::vector<std::size_t>& plan);

} // namespace omx::bench
