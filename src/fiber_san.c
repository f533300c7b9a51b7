/* The sanitizer runtime's address range; see fiber_san.h. Empty unless
 * the build is sanitized. */
#include "fiber_san.h"

#if GREEN__SANITIZED
#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <sanitizer/common_interface_defs.h>

#include "real.h"

static uintptr_t base, lo;
static atomic_uintptr_t hi; /* 0: not looked up; 1: no shared runtime */

static int find(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size, (void)arg;
    if (info->dlpi_addr != base)
        return 0;
    if (!info->dlpi_name || !info->dlpi_name[0])
        return 1; /* the program itself: the runtime is linked into it */
    uintptr_t l = 0, h = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type != PT_LOAD)
            continue;
        uintptr_t a = info->dlpi_addr + p->p_vaddr;
        if (!l || a < l)
            l = a;
        if (a + p->p_memsz > h)
            h = a + p->p_memsz;
    }
    lo = l;
    atomic_store_explicit(&hi, h, memory_order_release);
    return 1;
}

const struct green__real *green__san_runtime(const void *ret)
{
    uintptr_t h = atomic_load_explicit(&hi, memory_order_acquire);
    if (!h) {
        /* Racing lookups find the same answer. */
        void (*probe)(void) = __sanitizer_print_stack_trace;
        void *at;
        Dl_info di;
        memcpy(&at, &probe, sizeof at);
        if (dladdr(at, &di) && di.dli_fbase) {
            base = (uintptr_t)di.dli_fbase;
            dl_iterate_phdr(find, NULL);
        }
        h = atomic_load_explicit(&hi, memory_order_acquire);
        if (!h)
            atomic_store_explicit(&hi, h = 1, memory_order_release);
    }
    if ((uintptr_t)ret < lo || (uintptr_t)ret >= h)
        return NULL;
    return green__reals();
}
#endif

#ifdef GREEN__ASAN
/* libgreen must come before ASan's runtime in the lookup order, so that
 * a program's pthread_create reaches the wrapper, not ASan's interceptor
 * (which would make a green thread an ASan thread of an OS thread that
 * has one); the wrappers' real calls still go through ASan's. ASan
 * refuses such an order unless told, and reads its defaults from here:
 * LD_PRELOAD=libgreen.so alone then works. ASAN_OPTIONS still wins. */
__attribute__((visibility("default"))) const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "verify_asan_link_order=0";
}
#endif
