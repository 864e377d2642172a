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

} // namespace omx::redis::keys
