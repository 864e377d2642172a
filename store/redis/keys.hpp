// The Redis key names of storage.md's data model. A job's keys share a hash
// tag ({id}) so that a Redis Cluster keeps them on one node, as the scripts
// that touch several of them need.
#pragma once

#include <string>

namespace omx::redis::keys {

inline std::string job(const std::string& id, const char* what) { return "omx:job:{" + id + "}:" + what; }
inline std::string events(const std::string& id) { return job(id, "events"); } // stream, ids <seq>-0
inline std::string lease(const std::string& id) { return job(id, "lease"); }   // "<worker> <token>", PX
inline std::string fence(const std::string& id) { return job(id, "fence"); }   // the last token handed out
inline std::string record(const std::string& id) { return job(id, "record"); } // hash: version, json
inline std::string commands(const std::string& id) { return job(id, "commands"); } // stream: actions for the owner
inline std::string attempt_log(const std::string& id, const std::string& task, int attempt) { // capped stream of log text
    return "omx:job:{" + id + "}:log:" + task + ":" + std::to_string(attempt);
}

inline const std::string all_jobs = "omx:jobs:all"; // sorted set: id by creation time (ms)
inline const std::string tokens = "omx:jobs:tokens"; // hash: input, output, total, with, without (jobs with/without usage)
inline std::string jobs_with_status(const std::string& status) { return "omx:jobs:status:" + status; } // by update time
inline const std::string feed = "omx:feed";          // capped stream of every job's events (the all-jobs SSE)
inline const std::string queue = "omx:queue";        // stream of job ids to run, group "workers"
inline const std::string wake = "omx:wake";          // stream of job ids with commands and no owner, group "workers"
inline const std::string queue_group = "workers";
inline std::string reply(const std::string& command_id) { return "omx:reply:" + command_id; } // list: the owner's answer
inline std::string idempotency(const std::string& key) { return "omx:idem:" + key; } // "<jobId> <request hash>", EX 1 day

} // namespace omx::redis::keys
