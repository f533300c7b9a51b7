/* The hub: a green thread that only yields cannot starve timers or fd
 * readiness; one hub per OS thread; the run queue is FIFO. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "green.h"
#include "harness.h"
#include "hub.h"
#include "stack.h"

static atomic_int stop;

static void *spin_yield(void *arg)
{
    long *n = arg;
    while (!atomic_load(&stop)) {
        green_yield();
        (*n)++;
    }
    return NULL;
}

static void *timed_sleep(void *arg)
{
    int64_t t0 = green_now();
    green_sleep(MS(20));
    *(int64_t *)arg = green_now() - t0;
    atomic_store(&stop, 1);
    return NULL;
}

START_TEST(hub_yielders_cannot_starve_timers)
{
    long n1 = 0, n2 = 0;
    int64_t slept = 0;
    green_t a = green_spawn(spin_yield, &n1, NULL);
    green_t b = green_spawn(spin_yield, &n2, NULL);
    green_t s = green_spawn(timed_sleep, &slept, NULL);
    green_join(s, NULL, GREEN_NEVER);
    green_join(a, NULL, GREEN_NEVER);
    green_join(b, NULL, GREEN_NEVER);
    ck_assert_time(slept, MS(20), MS(20), MS(30));
    ck_assert_int_gt(n1, 1000);  /* the yielders really were busy */
    ck_assert_int_gt(n2, 1000);
}
END_TEST

static void *read_pipe(void *arg)
{
    int fd = *(int *)arg;
    char c;
    ck_assert_int_eq(green_wait_fd(fd, GREEN_IN, GREEN_NEVER), GREEN_IN);
    ck_assert_int_eq(read(fd, &c, 1), 1);
    atomic_store(&stop, 1);
    return NULL;
}

static void *write_later(void *arg)
{
    usleep(20000);
    ck_assert_int_eq(write(*(int *)arg, "x", 1), 1);
    return NULL;
}

START_TEST(hub_yielders_cannot_starve_io)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    long n = 0;
    green_t y = green_spawn(spin_yield, &n, NULL);
    green_t r = green_spawn(read_pipe, &p[0], NULL);
    pthread_t w;  /* a real OS thread makes the fd ready */
    pthread_create(&w, NULL, write_later, &p[1]);
    int64_t t0 = green_now();
    green_join(r, NULL, GREEN_NEVER);
    ck_assert_time(green_now() - t0, MS(20), MS(20), MS(50));
    green_join(y, NULL, GREEN_NEVER);
    pthread_join(w, NULL);
    ck_assert_int_gt(n, 1000);
}
END_TEST

static struct green__hub *other_hub;
static uint64_t other_id;

static void *os_thread(void *arg)
{
    (void)arg;
    other_id = green_id(green_self());
    other_hub = green__hub_current();
    green_sleep(MS(1));
    return NULL;
}

START_TEST(hub_one_per_os_thread)
{
    ck_assert_ptr_null(green__hub_current());  /* created lazily */
    green_t me = green_self();
    struct green__hub *mine = green__hub_current();
    ck_assert_ptr_nonnull(mine);
    ck_assert_uint_eq(green_id(me), 1);
    pthread_t t;
    pthread_create(&t, NULL, os_thread, NULL);
    pthread_join(t, NULL);
    ck_assert_ptr_nonnull(other_hub);
    ck_assert_ptr_ne(other_hub, mine);
    ck_assert_uint_gt(other_id, 1);
}
END_TEST

static void *short_lived(void *arg)
{
    (void)arg;
    green_sleep(MS(1));  /* makes a hub: loop, eventfd, stacks */
    return NULL;
}

/* An OS thread's hub goes with it (regression: each leaked an epoll fd
 * and an eventfd, and a program with many short threads hit EMFILE). */
START_TEST(hub_freed_with_its_os_thread)
{
    int fds = harness_count_entries("/proc/self/fd");
    size_t maps = green__stack_guarded_count();
    for (int i = 0; i < 100; i++) {
        pthread_t t;
        pthread_create(&t, NULL, short_lived, NULL);
        pthread_join(t, NULL);
    }
    ck_assert_int_eq(harness_count_entries("/proc/self/fd"), fds);
    ck_assert_uint_eq(green__stack_guarded_count(), maps);
}
END_TEST

static char trace[64];
static int ntrace;

static void *tracer(void *arg)
{
    for (int i = 0; i < 3; i++) {
        trace[ntrace++] = (char)(intptr_t)arg;
        green_yield();
    }
    return NULL;
}

START_TEST(hub_round_robin)
{
    green_t t[3];
    for (int i = 0; i < 3; i++)
        t[i] = green_spawn(tracer, (void *)(intptr_t)('a' + i), NULL);
    for (int i = 0; i < 3; i++)
        green_join(t[i], NULL, GREEN_NEVER);
    ck_assert_str_eq(trace, "abcabcabc");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hub");
    TCase *tc = tcase_create("fairness");
    tcase_add_test(tc, hub_yielders_cannot_starve_timers);
    tcase_add_test(tc, hub_yielders_cannot_starve_io);
    tcase_add_test(tc, hub_round_robin);
    suite_add_tcase(s, tc);
    tc = tcase_create("threads");
    tcase_add_test(tc, hub_one_per_os_thread);
    tcase_add_test(tc, hub_freed_with_its_os_thread);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
