/* Resolution of the real-function table; see real.h.
 *
 * With stubs (GREEN_LAZY_REALS), a row is resolved by its first call,
 * through green__real_resolve; two threads that race on one row both
 * look it up and store the same answer. green__real_init resolves the
 * rows left. Without stubs, green__real_init resolves the whole table
 * once, under a flag other OS threads wait on.
 *
 * A wrapper re-entered while its own lookup runs on the same thread
 * (only possible where dlsym allocates and the allocator calls a
 * wrapper; docs/design.md G1) cannot be served, and stops the program
 * with a message rather than recursing or calling through NULL. */
#include "real.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "oslock.h"

#define GREEN__REAL_ROW(name, version) {#name, #version},
const struct green__real_row green__real_rows[] = {
    GREEN__REAL_SYMBOLS(GREEN__REAL_ROW)
};
#undef GREEN__REAL_ROW
const unsigned green__real_nrows =
    sizeof green__real_rows / sizeof green__real_rows[0];

/* The rows, seen as the array of pointers they are laid out as. */
_Static_assert(sizeof(struct green__real) ==
                   sizeof green__real_rows / sizeof green__real_rows[0] *
                       sizeof(void *),
               "struct green__real is one pointer per row");

const char *green__real_version(unsigned i, char buf[18])
{
    const char *v = green__real_rows[i].version;
    size_t n = strlen(v);
    if (v[0] != '"' || n < 2)
        return NULL;  /* NULL in the list */
    memcpy(buf, v + 1, n - 2);
    buf[n - 2] = 0;
    return buf;
}

static void *lookup(const char *name, const char *version)
{
    void *p = version ? dlvsym(RTLD_NEXT, name, version) : NULL;
    return p ? p : dlsym(RTLD_NEXT, name);
}

/* Lookups in progress on this thread: one, or a few nested where a
 * failing dlsym's malloc reached another wrapper's first call. More
 * means the same lookup recurses. */
static __thread unsigned resolving
    __attribute__((tls_model("initial-exec")));

static void *lookup_row(unsigned i)
{
    if (resolving >= 4)
        green__panic(__FILE__, __LINE__,
                     "a wrapper was called while resolving libc symbols");
    resolving++;
    char version[18];
    void *p = lookup(green__real_rows[i].name,
                     green__real_version(i, version));
    resolving--;
    return p;
}

#if GREEN_LAZY_REALS

static void **row(unsigned i)
{
    return (void **)&green__real + i;
}

/* The stubs (src/arch/x86_64/realstub.S), one a row, as initial values. */
#define GREEN__REAL_STUB(name, version) void green__real_stub_##name(void);
GREEN__REAL_SYMBOLS(GREEN__REAL_STUB)
#undef GREEN__REAL_STUB
extern const char green__real_stubs[], green__real_stubs_end[];

/* Deprecated functions (sigset, siginterrupt) have rows too. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#define GREEN__REAL_START(name, version) \
    .name = (__typeof__(name) *)green__real_stub_##name,
struct green__real green__real = {GREEN__REAL_SYMBOLS(GREEN__REAL_START)};
#undef GREEN__REAL_START
#pragma GCC diagnostic pop
atomic_bool green__real_ready = true;

/* Called by row i's stub on its first call: the function, now in the
 * row. A row libc lacks (an older glibc) stops the program, naming it,
 * where a NULL row would have crashed. */
__attribute__((visibility("hidden"))) void *green__real_resolve(unsigned i);
void *green__real_resolve(unsigned i)
{
    void *p = lookup_row(i);
    if (!p) {
        static char what[96];
        snprintf(what, sizeof what, "libc has no %s, which a wrapper calls",
                 green__real_rows[i].name);
        green__panic(__FILE__, __LINE__, what);
    }
    __atomic_store_n(row(i), p, __ATOMIC_RELEASE);
    return p;
}

static bool unresolved(unsigned i)
{
    uintptr_t p = (uintptr_t)__atomic_load_n(row(i), __ATOMIC_ACQUIRE);
    return p >= (uintptr_t)green__real_stubs &&
           p < (uintptr_t)green__real_stubs_end;
}

void green__real_init(void)
{
    static atomic_bool done;
    if (atomic_load_explicit(&done, memory_order_acquire))
        return;
    /* In the table's order, so that the rows an older glibc may lack,
     * whose failing lookups allocate, come last (G1). Those stay at their
     * stubs. */
    for (unsigned i = 0; i < green__real_nrows; i++) {
        void *p;
        if (unresolved(i) && (p = lookup_row(i)))
            __atomic_store_n(row(i), p, __ATOMIC_RELEASE);
    }
    atomic_store_explicit(&done, true, memory_order_release);
}

#else /* !GREEN_LAZY_REALS */

struct green__real green__real;
atomic_bool green__real_ready;

void green__real_init(void)
{
    static atomic_int state;  /* 0 unresolved, 1 resolving, 2 done */
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
    /* Into a copy, published whole: no other thread sees a NULL row of a
     * function libc has. */
    struct green__real r;
    void **rows = (void **)&r;
    for (unsigned i = 0; i < green__real_nrows; i++)
        rows[i] = lookup_row(i);
    green__real = r;
    atomic_store(&green__real_ready, true);
}

#endif
