/* pthread_t handles (src/handle.c): a handle names its thread until the
 * thread is freed, then names none and tells how it ended; a slot reused
 * by a new thread gives a new handle, and the old one stays stale. */
#include <stdint.h>
#include <stdlib.h>

#include "handle.h"
#include "harness.h"

/* Stand-ins for threads: only their addresses are used. */
static char threads[4];
#define T(i) ((struct green_thread *)&threads[i])

START_TEST(handle_names_thread_until_freed)
{
    uint64_t h = green__handle_make(T(0));
    ck_assert(h != 0);
    ck_assert(green__handle_ours(h));
    ck_assert_ptr_eq(green__handle_thread(h), T(0));
    green__handle_free(h, false);
    ck_assert_ptr_null(green__handle_thread(h));
    ck_assert(green__handle_ours(h));
    ck_assert(!green__handle_detached(h));
}
END_TEST

START_TEST(handle_detached_end_is_told)
{
    uint64_t h = green__handle_make(T(1));
    green__handle_free(h, true);
    ck_assert_ptr_null(green__handle_thread(h));
    ck_assert(green__handle_detached(h));
}
END_TEST

START_TEST(handle_reused_slot_is_a_new_handle)
{
    uint64_t old = green__handle_make(T(0));
    green__handle_free(old, true);
    uint64_t h = green__handle_make(T(1));  /* takes the same slot */
    ck_assert(h != old);
    ck_assert_uint_eq(h & 0xffffff, old & 0xffffff);
    ck_assert_ptr_eq(green__handle_thread(h), T(1));
    ck_assert_ptr_null(green__handle_thread(old));  /* never the new one */
    ck_assert(!green__handle_detached(old));  /* what it was is lost */
    green__handle_free(h, false);
}
END_TEST

START_TEST(handle_not_ours)
{
    int x;
    ck_assert(!green__handle_ours((uint64_t)(uintptr_t)&x));
    ck_assert_ptr_null(green__handle_thread((uint64_t)(uintptr_t)&x));
    /* A handle never made: no thread, and no crash. */
    uint64_t forged = GREEN__HANDLE_TAG | ((uint64_t)1 << 24) | 0xfffffe;
    ck_assert_ptr_null(green__handle_thread(forged));
    ck_assert(!green__handle_detached(forged));
}
END_TEST

START_TEST(handle_many_live_are_distinct)
{
    enum { N = 10000 };  /* past one chunk of slots */
    uint64_t *h = malloc(N * sizeof *h);
    ck_assert_ptr_nonnull(h);
    for (int i = 0; i < N; i++) {
        h[i] = green__handle_make(T(i % 4));
        ck_assert(h[i] != 0);
    }
    for (int i = 0; i < N; i++) {
        ck_assert_ptr_eq(green__handle_thread(h[i]), T(i % 4));
        if (i)
            ck_assert(h[i] != h[i - 1]);
    }
    for (int i = 0; i < N; i++)
        green__handle_free(h[i], false);
    for (int i = 0; i < N; i++)
        ck_assert_ptr_null(green__handle_thread(h[i]));
    free(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("handle");
    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, handle_names_thread_until_freed);
    tcase_add_test(tc, handle_detached_end_is_told);
    tcase_add_test(tc, handle_reused_slot_is_a_new_handle);
    tcase_add_test(tc, handle_not_ours);
    tcase_add_test(tc, handle_many_live_are_distinct);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
