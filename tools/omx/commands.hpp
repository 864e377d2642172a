// One function per omx command (commands.cpp; watch in watch.cpp). Each returns
// the exit code and throws UsageError, ApiError or client::TransportError.
#pragma once

#include "tools/omx/cli.hpp"

#include <chrono>
#include <string>

namespace omx::cli {

int run_submit(Context& ctx, const ParsedArgs& args);
int run_get(Context& ctx, const ParsedArgs& args);
int run_list(Context& ctx, const ParsedArgs& args);
int run_watch(Context& ctx, const ParsedArgs& args);
int run_approve(Context& ctx, const ParsedArgs& args);
int run_reject(Context& ctx, const ParsedArgs& args);
int run_cancel(Context& ctx, const ParsedArgs& args);
int run_resume(Context& ctx, const ParsedArgs& args);
int run_mail(Context& ctx, const ParsedArgs& args);
int run_logs(Context& ctx, const ParsedArgs& args);
int run_overview(Context& ctx, const ParsedArgs& args);
int run_help(Context& ctx, const ParsedArgs& args);

// Follows the job's events until the stream's end (watch.cpp); returns the
// outcome's exit code (0 succeeded, 1 failed, 2 canceled). A lost connection
// is retried with backoff and Last-Event-ID until `retry_for` passes without
// progress; then client::TransportError.
int watch_job(Context& ctx, const std::string& job_id, std::chrono::milliseconds retry_for);

// --retry-timeout SECONDS of watch and submit --watch (default 60).
std::chrono::milliseconds retry_timeout(const ParsedArgs& args);

} // namespace omx::cli
