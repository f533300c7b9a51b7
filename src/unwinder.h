/* libunwind's local unwinder, loaded with dlopen() on first use: a
 * process that never prints a backtrace never maps libunwind (nor the
 * liblzma it needs), which saves every process the preload reaches
 * about 0.2 ms of loading here (docs/BENCHMARKS.md, proc_start).
 *
 * Loading is not async-signal-safe, so whoever may need a backtrace in
 * a signal handler loads it beforehand with green__unwind_load(): the
 * stack-overflow handler's installation does (src/overflow.c). Once
 * loaded, every call is libunwind's own. */
#ifndef GREEN_SRC_UNWINDER_H
#define GREEN_SRC_UNWINDER_H

#include <ucontext.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

/* The functions libgreen calls, as libunwind.h declares them. */
struct green__unw {
    __typeof__(unw_init_local) *init_local;
    __typeof__(unw_init_local2) *init_local2;
    __typeof__(unw_step) *step;
    __typeof__(unw_get_reg) *get_reg;
    __typeof__(unw_get_proc_name) *get_proc_name;
};

/* The unwinder, loaded on the first call on any thread; NULL if
 * libunwind cannot be loaded (then every later call says NULL at once).
 * Thread-safe. */
const struct green__unw *green__unwind_load(void);

/* unw_context_t is glibc's ucontext_t on Linux, so getcontext() fills
 * one as unw_getcontext() would (the caller's registers, and its return
 * address as the pc), without a call into libunwind. Call it in the
 * function whose frame the walk starts from. */
_Static_assert(sizeof(unw_context_t) == sizeof(ucontext_t),
               "unw_context_t is a ucontext_t");

#endif
