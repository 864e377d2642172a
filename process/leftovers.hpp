// Leftover agent processes of an earlier server (agents.md "Process
// handling"): found by the OMX_CLAIM_TOKEN in their environment
// (/proc/<pid>/environ) — also those that left their process group — and
// killed before their task runs again. Process ids alone are never trusted.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace omx::process {

// Processes of this user whose environment holds OMX_CLAIM_TOKEN=<one of tokens>.
std::vector<pid_t> find_claimed_processes(const std::set<std::string>& tokens);

// SIGKILLs every such process and waits (up to `wait`) until none is left;
// returns how many were killed. Synchronous: for start-up, before serving.
int kill_claimed_processes(const std::set<std::string>& tokens, std::chrono::milliseconds wait);

} // namespace omx::process
