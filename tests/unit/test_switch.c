/* The context switch: round trips, callee-saved registers, per-context
 * floating-point control state, stack alignment, and libunwind walking a
 * suspended context. */
#include <fenv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "context.h"
#include "harness.h"

#define STACK (64 * 1024)

static void *main_ctx, *co_ctx;
static long counter;

static void pingpong(void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 0; i < n; i++) {
        counter++;
        green__switch(&co_ctx, main_ctx);
    }
    abort();  /* never resumed again */
}

static void *make(void (*fn)(void *), void *arg)
{
    char *stack = malloc(STACK);
    ck_assert_ptr_nonnull(stack);
    return green__context_make(stack, stack + STACK, fn, arg);
}

START_TEST(switch_round_trips)
{
    co_ctx = make(pingpong, (void *)(intptr_t)100000);
    for (long i = 0; i < 100000; i++) {
        green__switch(&main_ctx, co_ctx);
        ck_assert_int_eq(counter, i + 1);
    }
}
END_TEST

/* Many live values across a switch: the compiler keeps some in callee-saved
 * registers, which the other context clobbers with its own. */
static volatile long seed = 7;

static void clobber(void *arg)
{
    (void)arg;
    for (;;) {
        long a = seed * 3, b = seed * 5, c = seed * 7, d = seed * 11,
             e = seed * 13, f = seed * 17;
        green__switch(&co_ctx, main_ctx);
        seed = a + b + c + d + e + f;
    }
}

START_TEST(switch_preserves_callee_saved)
{
    co_ctx = make(clobber, NULL);
    for (int round = 0; round < 1000; round++) {
        long a = round + 1, b = round * 2, c = round * 3, d = round * 4,
             e = round * 5, f = round * 6;
        double x = round * 0.5, y = round * 0.25;
        green__switch(&main_ctx, co_ctx);
        ck_assert_int_eq(a + b + c + d + e + f, 1 + 21L * round);
        ck_assert(x + y == round * 0.75);
    }
}
END_TEST

static int co_round;

static void rounding(void *arg)
{
    (void)arg;
    co_round = fegetround();  /* inherited from the creator */
    fesetround(FE_DOWNWARD);
    green__switch(&co_ctx, main_ctx);
    co_round = fegetround();  /* its own, despite main's change */
    green__switch(&co_ctx, main_ctx);
    abort();
}

START_TEST(switch_fpenv_per_context)
{
    fesetround(FE_UPWARD);
    co_ctx = make(rounding, NULL);  /* captures FE_UPWARD now */
    fesetround(FE_TONEAREST);
    green__switch(&main_ctx, co_ctx);
    ck_assert_int_eq(co_round, FE_UPWARD);
    ck_assert_int_eq(fegetround(), FE_TONEAREST);
    fesetround(FE_TOWARDZERO);
    green__switch(&main_ctx, co_ctx);
    ck_assert_int_eq(co_round, FE_DOWNWARD);
    ck_assert_int_eq(fegetround(), FE_TOWARDZERO);
    fesetround(FE_TONEAREST);
}
END_TEST

static uintptr_t co_local;

static void aligned(void *arg)
{
    (void)arg;
    _Alignas(16) volatile char probe[16];
    co_local = (uintptr_t)probe;
    green__switch(&co_ctx, main_ctx);
    abort();
}

START_TEST(switch_new_context_aligned)
{
    char *stack = malloc(STACK + 8);
    /* A deliberately misaligned top must still give an aligned frame. */
    co_ctx = green__context_make(stack, stack + STACK + 5, aligned, NULL);
    green__switch(&main_ctx, co_ctx);
    ck_assert_uint_eq(co_local % 16, 0);
    ck_assert(co_local < (uintptr_t)stack + STACK + 5);
}
END_TEST

static void __attribute__((noinline)) parked_leaf(void)
{
    green__switch(&co_ctx, main_ctx);
    __asm__ volatile("");  /* keep the call from becoming a tail call */
}

static void __attribute__((noinline)) parked_mid(void)
{
    parked_leaf();
    __asm__ volatile("");  /* keep the call from becoming a tail call */
}

static void parked_entry(void *arg)
{
    (void)arg;
    parked_mid();
    abort();
}

START_TEST(context_unwinds_suspended)
{
    co_ctx = make(parked_entry, NULL);
    green__switch(&main_ctx, co_ctx);
    unw_context_t uc;
    if (green__context_unwind_init(co_ctx, &uc) < 0)
        return;  /* the ucontext fallback cannot */
    unw_cursor_t cur;
    ck_assert_int_eq(unw_init_local(&cur, &uc), 0);
    char seen[512] = "";
    for (int i = 0; i < 10; i++) {
        char name[64];
        unw_word_t off;
        if (unw_get_proc_name(&cur, name, sizeof name, &off) == 0) {
            strcat(seen, name);
            strcat(seen, " ");
        }
        if (unw_step(&cur) <= 0)
            break;
    }
    ck_assert_msg(strstr(seen, "parked_leaf parked_mid parked_entry"),
                  "walk: %s", seen);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("switch");
    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, switch_round_trips);
    tcase_add_test(tc, switch_preserves_callee_saved);
    tcase_add_test(tc, switch_fpenv_per_context);
    tcase_add_test(tc, switch_new_context_aligned);
    tcase_add_test(tc, context_unwinds_suspended);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
