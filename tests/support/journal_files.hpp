// Reading the creation journal (store/creation_journal.hpp) as the tests see
// the state directory: a job that never changed after its creation has no
// directory of its own yet, only its lines in <state>/.journal/*.jsonl.
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace omx::test {

// job id -> its journaled event lines (whole lines, in order), for every job in
// the journal that has no events.jsonl of its own at least as long (lines
// whose jobId is not a UUID are skipped, as omxd skips them).
std::map<std::string, std::string> journal_only_jobs(const std::filesystem::path& state_dir);

// A job's event lines: its events.jsonl, or else its journaled lines ("" when neither).
std::string job_log_text(const std::filesystem::path& state_dir, const std::string& job_id);

} // namespace omx::test
