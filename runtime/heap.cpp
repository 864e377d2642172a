#include "runtime/heap.hpp"

#ifdef OMX_JEMALLOC
#include <jemalloc/jemalloc.h>

static_assert(MALLCTL_ARENAS_ALL == 4096);

// Two arenas (the io thread and the blocking pool) instead of four per CPU: fewer
// half-empty arenas, less idle RSS. Read by jemalloc at its initialization.
extern "C" const char* malloc_conf = "narenas:2";
#else
#include <malloc.h>
#endif

namespace omx::heap {

void release_free_memory() {
#ifdef OMX_JEMALLOC
    mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0); // 4096: MALLCTL_ARENAS_ALL
#else
    ::malloc_trim(0);
#endif
}

const char* allocator_name() {
#ifdef OMX_JEMALLOC
    return "jemalloc";
#else
    return "glibc";
#endif
}

} // namespace omx::heap
