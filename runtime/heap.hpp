// The allocator omxd runs on (jemalloc, or glibc's under the sanitizers).
#pragma once

namespace omx::heap {

// Gives memory freed in bulk (e.g. the parse trees of recovery) back to the
// system, so it does not stay in the process as RSS.
void release_free_memory();

// "jemalloc" or "glibc", for the start-up log.
const char* allocator_name();

} // namespace omx::heap
