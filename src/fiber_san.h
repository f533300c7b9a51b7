/* What AddressSanitizer and ThreadSanitizer must be told about the
 * context switch (docs/design.md, "Sanitizers"). Compiled in only when
 * the build is sanitized (meson's b_sanitize): every function here is
 * then a few calls into the sanitizer's runtime, and otherwise empty.
 *
 * ASan keeps one current stack per OS thread: each switch says where the
 * next stack is before it (start) and that it happened after it, on the
 * new stack (finish), which also hands over the fake stack of
 * use-after-return detection; a context that ends passes no save slot,
 * so its fake stack is freed. TSan keeps one fiber per context, made at
 * spawn and destroyed when the thread is freed; switching to it orders
 * everything before the switch before everything after it.
 *
 * Both runtimes keep their per-thread state behind the thread pointer
 * and in pthread keys, as state of the OS thread that all of its green
 * threads share: sanitized builds default to GREEN_TLS=shared (config.c)
 * and the runtime's own pthread key calls get glibc's keys
 * (green__san_caller). */
#ifndef GREEN_SRC_FIBER_SAN_H
#define GREEN_SRC_FIBER_SAN_H

#include <stdbool.h>
#include <stddef.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GREEN__ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define GREEN__TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(GREEN__ASAN)
#define GREEN__ASAN 1
#endif
#if defined(__SANITIZE_THREAD__) && !defined(GREEN__TSAN)
#define GREEN__TSAN 1
#endif
/* src/meson.build builds a few files of a TSan build without TSan, and
 * says so: they are still part of a sanitized build. */
#if defined(GREEN__EARLY_TSAN) && !defined(GREEN__TSAN)
#define GREEN__TSAN 1
#endif
#if defined(GREEN__ASAN) || defined(GREEN__TSAN)
#define GREEN__SANITIZED 1
#else
#define GREEN__SANITIZED 0
#endif

#ifdef GREEN__ASAN
#include <sanitizer/asan_interface.h>
#endif
#ifdef GREEN__TSAN
#include <sanitizer/tsan_interface.h>
#endif

/* On a function that reads memory ASan would wrongly report: whole stack
 * frames, redzones included, or arguments a caller did not pass. */
#ifdef GREEN__ASAN
#define GREEN__NO_ASAN __attribute__((no_sanitize_address))
#else
#define GREEN__NO_ASAN
#endif

/* On a function that a sanitizer's own start-up may call (its pthread
 * key calls): TSan cannot run instrumented code before it has started. */
#ifdef GREEN__TSAN
#define GREEN__NO_TSAN __attribute__((no_sanitize("thread")))
#else
#define GREEN__NO_TSAN
#endif

/* One context's side of a switch, as the sanitizers see it. */
#if GREEN__SANITIZED
struct green__san {
    void *fake;              /* ASan: its fake stack while switched out */
    const void *lo;          /* ASan: its stack; size 0 until known (an */
    size_t size;             /* OS thread's own stack: see _enter) */
    struct green__san *from; /* ASan: who switched to it, if that one's
                                stack was not known yet */
    void *fiber;             /* TSan: its fiber */
    bool own_fiber;          /* TSan: made here, so destroyed here */
};
#else
struct green__san {
    char unused;
};
#endif

/* A new context on the stack [lo, lo + size): the scheduler's, a green
 * thread's. */
static inline void green__san_make(struct green__san *s, const void *lo,
                                   size_t size)
{
#if GREEN__SANITIZED
    *s = (struct green__san){.lo = lo, .size = size};
#ifdef GREEN__TSAN
    s->fiber = __tsan_create_fiber(0);
    s->own_fiber = true;
#endif
#else
    (void)s, (void)lo, (void)size;
#endif
}

/* The calling OS thread's own context, as adopted by its hub: its stack
 * is learnt the first time it switches away. */
static inline void green__san_adopt(struct green__san *s)
{
#if GREEN__SANITIZED
    *s = (struct green__san){0};
#ifdef GREEN__TSAN
    s->fiber = __tsan_get_current_fiber();
#endif
#else
    (void)s;
#endif
}

/* A context made by green__san_make is gone for good (not running). */
static inline void green__san_free(struct green__san *s)
{
#ifdef GREEN__TSAN
    if (s->own_fiber)
        __tsan_destroy_fiber(s->fiber);
    s->own_fiber = false;
#else
    (void)s;
#endif
}

/* Just before green__switch from `from` to `to`, while TLS is still
 * from's (the runtimes read it): ends is true if from never runs again. */
static inline void green__san_leave(struct green__san *from,
                                    struct green__san *to, bool ends)
{
#ifdef GREEN__ASAN
    to->from = from->size ? NULL : from;
    __sanitizer_start_switch_fiber(ends ? NULL : &from->fake, to->lo, to->size);
#endif
#ifdef GREEN__TSAN
    __tsan_switch_to_fiber(to->fiber, 0);
#endif
    (void)from, (void)to, (void)ends;
}

/* First thing on `self`'s stack after a switch to it: when green__switch
 * returns, and at the entry of a new context. */
static inline void green__san_enter(struct green__san *self)
{
#ifdef GREEN__ASAN
    const void *lo;
    size_t size;
    __sanitizer_finish_switch_fiber(self->fake, &lo, &size);
    self->fake = NULL;
    if (self->from) { /* the switcher was on its OS thread's own stack */
        self->from->lo = lo;
        self->from->size = size;
        self->from = NULL;
    }
#endif
    (void)self;
}

/* Memory that held a stack and may now hold anything: a stack that ended
 * with frames on it leaves their redzones poisoned. */
static inline void green__san_stack_reuse(void *lo, size_t size)
{
#ifdef GREEN__ASAN
    __asan_unpoison_memory_region(lo, size);
#endif
    (void)lo, (void)size;
}

/* The real libc table if ret, a return address, lies in the sanitizer's
 * runtime (a shared library: a runtime linked into the program is not
 * told apart), else NULL. The runtime keeps its own per-OS-thread state
 * in pthread keys (ASan's current thread, TSan's thread finalizer), which
 * green keys would make per green thread; its calls get glibc's keys
 * instead. Safe before TSan has started. */
struct green__real;
#if GREEN__SANITIZED
const struct green__real *green__san_runtime(const void *ret);
#else
static inline const struct green__real *green__san_runtime(const void *ret)
{
    (void)ret;
    return NULL;
}
#endif

#endif
