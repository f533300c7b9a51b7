/* Loading libunwind on demand; see unwinder.h. The library is opened
 * RTLD_LOCAL, so its names never join the program's symbol scope, and
 * never closed. */
#include "unwinder.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <string.h>

#include "green-build.h"
#include "oslock.h"

/* libunwind.h maps each unw_ name to the architecture's own symbol
 * (unw_step is _ULx86_64_step here): look that one up. */
#define GREEN__STR(x) #x
#define GREEN__SYMBOL(x) GREEN__STR(x)

static struct green__unw table;
/* 0 not tried yet, 1 loaded, -1 cannot be loaded. */
static atomic_int state;
static struct green__oslock lock;

/* Looks name up in lib into *field (a data pointer becomes a function
 * pointer through memcpy, as POSIX guarantees for dlsym). */
static int resolve(void *lib, const char *name, void *field)
{
    void *p = dlsym(lib, name);
    memcpy(field, &p, sizeof p);
    return p ? 0 : -1;
}

static int load(void)
{
    void *lib = dlopen(GREEN_UNWIND_SONAME, RTLD_LAZY | RTLD_LOCAL);
    if (!lib)
        return -1;
    return resolve(lib, GREEN__SYMBOL(unw_init_local), &table.init_local) |
           resolve(lib, GREEN__SYMBOL(unw_init_local2), &table.init_local2) |
           resolve(lib, GREEN__SYMBOL(unw_step), &table.step) |
           resolve(lib, GREEN__SYMBOL(unw_get_reg), &table.get_reg) |
           resolve(lib, GREEN__SYMBOL(unw_get_proc_name), &table.get_proc_name);
}

const struct green__unw *green__unwind_load(void)
{
    int s = atomic_load_explicit(&state, memory_order_acquire);
    if (s)
        return s > 0 ? &table : NULL;
    green__oslock_lock(&lock);
    if (!atomic_load(&state))
        atomic_store_explicit(&state, load() < 0 ? -1 : 1,
                              memory_order_release);
    green__oslock_unlock(&lock);
    return atomic_load(&state) > 0 ? &table : NULL;
}
