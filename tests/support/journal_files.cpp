#include "tests/support/journal_files.hpp"

#include "runtime/ids.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/json/parse.hpp>

#include <set>

namespace fs = std::filesystem;

namespace omx::test {

std::map<std::string, std::string> journal_only_jobs(const fs::path& state_dir) {
    std::map<std::string, std::string> jobs;
    std::set<fs::path> segments;
    std::error_code ec;
    for (auto it = fs::directory_iterator(state_dir / ".journal", ec); !ec && it != fs::directory_iterator(); ++it)
        if (it->path().extension() == ".jsonl") segments.insert(it->path());
    for (auto& segment : segments) {
        auto text = read_file(segment);
        std::size_t pos = 0;
        for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', pos)) {
            auto line = text.substr(pos, nl + 1 - pos);
            pos = nl + 1;
            boost::system::error_code parse_error;
            auto v = boost::json::parse(line, parse_error);
            if (parse_error || !v.is_object() || !v.as_object().contains("jobId")) continue;
            std::string id(v.as_object().at("jobId").as_string());
            if (!omx::is_canonical_uuid(id)) continue; // omxd skips these too
            jobs[id] += line;
        }
    }
    std::erase_if(jobs, [&](auto& kv) {
        std::error_code size_error;
        auto size = fs::file_size(state_dir / kv.first / "events.jsonl", size_error);
        return !size_error && size >= kv.second.size();
    });
    return jobs;
}

std::string job_log_text(const fs::path& state_dir, const std::string& job_id) {
    auto log = state_dir / job_id / "events.jsonl";
    if (fs::exists(log)) return read_file(log);
    auto journaled = journal_only_jobs(state_dir);
    auto it = journaled.find(job_id);
    return it == journaled.end() ? std::string() : it->second;
}

} // namespace omx::test
