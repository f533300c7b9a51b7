/* Stacks: sizes, reuse, the guard-page budget, and overflow reports from
 * both the guard page and the canary zone. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "green.h"
#include "harness.h"
#include "hub.h"
#include "stack.h"

START_TEST(stack_sizes_round_to_pages)
{
    struct green__stack_cache c = {0};
    struct green__stack s;
    ck_assert_int_eq(green__stack_alloc(&c, 1, &s), 0);
    ck_assert_int_eq(s.hi - s.lo, GREEN__STACK_MIN);
    green__stack_free(NULL, &s);
    ck_assert_int_eq(green__stack_alloc(&c, 100000, &s), 0);
    ck_assert_int_eq(s.hi - s.lo, 102400);
    memset(s.lo, 0xaa, (size_t)(s.hi - s.lo));  /* all of it is usable */
    green__stack_free(NULL, &s);
    ck_assert_int_eq(green__stack_alloc(&c, (size_t)1 << 41, &s), -EINVAL);
}
END_TEST

START_TEST(stack_cache_reuses)
{
    struct green__stack_cache c = {0};
    struct green__stack a, b, d;
    ck_assert_int_eq(green__stack_alloc(&c, 65536, &a), 0);
    green__stack_free(&c, &a);
    ck_assert_uint_eq(c.count, 1);
    ck_assert_int_eq(green__stack_alloc(&c, 131072, &b), 0);  /* no fit */
    ck_assert_ptr_ne(b.lo, a.lo);
    ck_assert_int_eq(green__stack_alloc(&c, 65536, &d), 0);   /* fits */
    ck_assert_ptr_eq(d.lo, a.lo);
    ck_assert_uint_eq(c.count, 0);
    /* Drained, they give their pages back but stay mapped, guard pages
     * and all, for the next stacks of their sizes: no new mapping. */
    green__stack_free(&c, &b);
    green__stack_free(&c, &d);
    green__stack_cache_drain(&c);
    size_t before = green__stack_guarded_count();
    struct green__stack_cache c2 = {0};
    struct green__stack e, f;
    ck_assert_int_eq(green__stack_alloc(&c2, 65536, &e), 0);
    ck_assert_int_eq(green__stack_alloc(&c2, 131072, &f), 0);
    ck_assert_uint_eq(green__stack_guarded_count(), before);
    ck_assert(e.guarded && f.guarded);
    ck_assert_ptr_eq(e.lo, a.lo);
    ck_assert_ptr_eq(f.lo, b.lo);
    green__stack_free(&c2, &e);
    green__stack_free(&c2, &f);
    green__stack_cache_drain(&c2);
}
END_TEST

static void *sleeper(void *arg)
{
    (void)arg;
    green_sleep(MS(50));
    return NULL;
}

/* Past the guard budget, stacks come from slabs, and every thread works. */
START_TEST(stack_budget_then_slabs)
{
    setenv("GREEN_GUARDED_STACKS", "10", 1);
    size_t before = green__stack_guarded_count();
    green_t t[200];
    for (int i = 0; i < 200; i++)
        ck_assert_ptr_nonnull(t[i] = green_spawn(sleeper, NULL, NULL));
    /* The hub's own scheduler and signal stacks are guarded too. */
    ck_assert_uint_le(green__stack_guarded_count(), 10 + 2);
    ck_assert_uint_ge(green__stack_guarded_count(), before + 8);
    int unguarded = 0;
    for (int i = 0; i < 200; i++)
        unguarded += !((struct green_thread *)t[i])->stack.guarded;
    ck_assert_int_ge(unguarded, 190);
    for (int i = 0; i < 200; i++)
        ck_assert_int_eq(green_join(t[i], NULL, GREEN_NEVER), 0);
}
END_TEST

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[128];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static void *touch_128k(void *arg)
{
    (void)arg;
    volatile char buf[128 * 1024];
    memset((char *)buf, 1, sizeof buf);
    green_yield();
    return (void *)(intptr_t)buf[4096];
}

/* Freed slab stacks give their pages back (regression: madvise on an
 * unaligned range failed, and the free list re-committed a page). */
START_TEST(stack_slab_memory_returned)
{
    setenv("GREEN_GUARDED_STACKS", "0", 1);
    setenv("GREEN_STACK_CACHE", "0", 1);
    enum { N = 200 };
    green_t t[N];
    green_yield();
    long before = rss_kib();
    for (int i = 0; i < N; i++)
        t[i] = green_spawn(touch_128k, NULL, NULL);
    green_yield();
    long during = rss_kib();
    for (int i = 0; i < N; i++)
        green_join(t[i], NULL, GREEN_NEVER);
    long after = rss_kib();
    ck_assert_int_ge(during - before, N * 128);  /* really touched */
    ck_assert_msg(after - before < N * 128 / 10,
                  "RSS before %ld, during %ld, after %ld KiB", before, during,
                  after);
}
END_TEST

static int __attribute__((noinline)) recurse(int n)
{
    volatile char frame[512];
    frame[0] = (char)n;
    return n > 0 ? recurse(n - 1) + frame[0] : 0;
}

static void *overflow(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)recurse(1 << 20);
}

static void spawn_overflow(void *arg)
{
    (void)arg;
    green_attr_t a = {.stack_size = 64 * 1024, .name = "deep"};
    green_join(green_spawn(overflow, NULL, &a), NULL, GREEN_NEVER);
}

START_TEST(stack_guard_overflow_reported)
{
    struct harness_child c;
    harness_fork(spawn_overflow, NULL, &c);
    ck_assert_msg(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT,
                  "status %#x, stderr: %s", c.status, c.err);
    ck_assert_msg(strstr(c.err, "stack overflow in green thread"), "%s", c.err);
    ck_assert_msg(strstr(c.err, "\"deep\" (stack 65536 bytes)"), "%s", c.err);
    ck_assert_msg(strstr(c.err, "recurse"), "no backtrace: %s", c.err);
}
END_TEST

/* Writes just below its own stack, as an overflow would, then switches. */
static void *scribble(void *arg)
{
    (void)arg;
    struct green_thread *self = (struct green_thread *)green_self();
    ((volatile char *)self->stack.lo)[-8] = 1;
    green_yield();
    return NULL;
}

static void spawn_scribble(void *arg)
{
    (void)arg;
    setenv("GREEN_GUARDED_STACKS", "0", 1);
    green_attr_t a = {.name = "scribbler"};
    green_t t = green_spawn(scribble, NULL, &a);
    if (((struct green_thread *)t)->stack.guarded)
        _exit(3);  /* the budget was not honoured */
    green_join(t, NULL, GREEN_NEVER);
}

START_TEST(stack_canary_overflow_reported)
{
    struct harness_child c;
    harness_fork(spawn_scribble, NULL, &c);
    ck_assert_msg(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGABRT,
                  "status %#x, stderr: %s", c.status, c.err);
    ck_assert_msg(strstr(c.err, "stack overflow in green thread"), "%s", c.err);
    ck_assert_msg(strstr(c.err, "\"scribbler\""), "%s", c.err);
}
END_TEST

/* A fault that is no green stack's overflow keeps its usual outcome. */
static void null_deref(void *arg)
{
    (void)arg;
    green_yield();  /* the hub and its SIGSEGV handler exist */
    *(volatile int *)arg = 1;
}

START_TEST(stack_other_segv_untouched)
{
    struct harness_child c;
    harness_fork(null_deref, NULL, &c);
#if GREEN__SANITIZED
    /* The sanitizer's own SIGSEGV handler, there before ours, reports
     * and exits (ASan with 1, TSan with 66). */
    ck_assert_msg(WIFEXITED(c.status) && WEXITSTATUS(c.status) != 0 &&
                      strstr(c.err, "Sanitizer:DEADLYSIGNAL"),
                  "status %#x, stderr: %s", c.status, c.err);
#else
    ck_assert_msg(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGSEGV,
                  "status %#x, stderr: %s", c.status, c.err);
#endif
    ck_assert_ptr_null(strstr(c.err, "overflow"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stack");
    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, stack_sizes_round_to_pages);
    tcase_add_test(tc, stack_cache_reuses);
    tcase_add_test(tc, stack_budget_then_slabs);
    harness_add_unsanitized(tc, stack_slab_memory_returned,
                            "resident memory includes the sanitizer's "
                            "shadow memory");
    suite_add_tcase(s, tc);
    tc = tcase_create("overflow");
    tcase_add_test(tc, stack_guard_overflow_reported);
    tcase_add_test(tc, stack_canary_overflow_reported);
    tcase_add_test(tc, stack_other_segv_untouched);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
