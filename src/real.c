/* Resolution of the real-function table; see real.h. The lookups run
 * once, under a flag other OS threads wait on; a wrapper re-entered on
 * the resolving thread itself (only possible where dlsym allocates and
 * the allocator calls a wrapper; docs/design.md G1) cannot be served and
 * stops the program with a message, rather than calling through NULL. */
#include "real.h"

#include <dlfcn.h>
#include <string.h>

#include "common.h"
#include "oslock.h"

struct green__real green__real;
atomic_bool green__real_ready;

#define GREEN__REAL_ROW(name, version) {#name, version},
const struct green__real_row green__real_rows[] = {
    GREEN__REAL_SYMBOLS(GREEN__REAL_ROW)
};
#undef GREEN__REAL_ROW
const unsigned green__real_nrows =
    sizeof green__real_rows / sizeof green__real_rows[0];

static void *lookup(const char *name, const char *version)
{
    void *p = version ? dlvsym(RTLD_NEXT, name, version) : NULL;
    return p ? p : dlsym(RTLD_NEXT, name);
}

void green__real_init(void)
{
    static atomic_int state;  /* 0 unresolved, 1 resolving, 2 done */
    static __thread int resolving;
    int expect = 0;
    if (atomic_load(&green__real_ready))
        return;
    if (resolving)
        green__panic(__FILE__, __LINE__,
                     "a wrapper was called while resolving libc symbols");
    if (!atomic_compare_exchange_strong(&state, &expect, 1)) {
        while (!atomic_load(&green__real_ready))
            green__cpu_relax();  /* another thread's few dlsym calls */
        return;
    }
    resolving = 1;
    struct green__real r;
    void *p;
    /* A data pointer becomes a function pointer through memcpy, as POSIX
     * guarantees for dlsym and ISO C does not for a cast. */
#define GREEN__REAL_RESOLVE(name, version) \
    p = lookup(#name, version);            \
    memcpy(&r.name, &p, sizeof p);
    GREEN__REAL_SYMBOLS(GREEN__REAL_RESOLVE)
#undef GREEN__REAL_RESOLVE
    green__real = r;
    resolving = 0;
    atomic_store(&green__real_ready, true);
}
