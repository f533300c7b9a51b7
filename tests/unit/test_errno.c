/* errno belongs to each green thread: the switch saves and restores it. */
#include <errno.h>
#include <stdint.h>

#include "green.h"
#include "harness.h"

static void *keeps_errno(void *arg)
{
    int mine = (int)(intptr_t)arg;
    for (int i = 0; i < 1000; i++) {
        errno = mine;
        if (i % 3 == 0)
            green_yield();
        else
            green_sleep(1000);  /* parks: the loop runs, may set errno */
        ck_assert_int_eq(errno, mine);
    }
    return NULL;
}

START_TEST(errno_isolated_between_threads)
{
    green_t t[4];
    for (int i = 0; i < 4; i++)
        t[i] = green_spawn(keeps_errno, (void *)(intptr_t)(i + 1), NULL);
    errno = 99;
    for (int i = 0; i < 4; i++)
        green_join(t[i], NULL, GREEN_NEVER);
    ck_assert_int_eq(errno, 99);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("errno");
    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, errno_isolated_between_threads);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
