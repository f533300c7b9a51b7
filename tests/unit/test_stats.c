/* green_stats: the counts a linked program reads. */
#include <string.h>

#include "green.h"
#include "harness.h"

static void *napper(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++)
        green_sleep(MS(1));
    return NULL;
}

START_TEST(stats_counts_threads_switches_and_parks)
{
    struct green_stats before, after;
    ck_assert_int_eq(green_stats(&before), 0);
    green_t t[3];
    for (int i = 0; i < 3; i++)
        t[i] = green_spawn(napper, NULL, NULL);
    for (int i = 0; i < 3; i++)
        green_join(t[i], NULL, GREEN_NEVER);
    ck_assert_int_eq(green_stats(&after), 0);
    ck_assert_uint_eq(after.threads_created - before.threads_created, 3);
    ck_assert_uint_ge(after.threads_peak, 4);
    ck_assert_uint_ge(after.parks_sleep - before.parks_sleep, 15);
    ck_assert_uint_ge(after.parks_join - before.parks_join, 1);
    ck_assert_uint_ge(after.switches - before.switches, 15);
    ck_assert_uint_eq(after.parks,
                      after.parks_fd + after.parks_sleep + after.parks_sync +
                          after.parks_join + after.parks_child +
                          after.parks_offload + after.parks_other);
    ck_assert_uint_ge(after.hubs, 1);
    ck_assert_uint_gt(after.peak_rss_kb, 0);
    ck_assert_int_eq(green_stats(NULL), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, stats_counts_threads_switches_and_parks);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
