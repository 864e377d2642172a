// omxd on the Redis backend (--redis): the API role (cluster::RedisJobs behind
// the HTTP server), the worker role (the job engine over a RedisJobStore, fed
// by cluster::Worker), or both in one process. Returns the exit code.
#pragma once

#include "runtime/config.hpp"

namespace omx {

int serve_with_redis(const Config& config);

} // namespace omx
