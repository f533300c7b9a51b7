/* The test harness; see harness.h. */
#include "harness.h"

#include "fiber_san.h"
#include "green.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int harness_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_set_tap(sr, "-");
    srunner_run_all(sr, CK_SILENT);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

void harness_add_unsanitized(TCase *tc, const TTest *t, const char *why)
{
    if (!GREEN__SANITIZED) {
        tcase_add_test(tc, t);
        return;
    }
    printf("# skipped in a sanitized build: %s: %s\n", t->name, why);
    fflush(stdout);  /* before Check forks */
}

int64_t harness_slack(int64_t base_ns)
{
    const char *m = getenv("CK_TIMEOUT_MULTIPLIER");
    double f = m ? atof(m) : 1.0;
    return (int64_t)(base_ns * (f > 1.0 ? f : 1.0));
}

static void drain(int fd, char *buf, size_t cap, size_t *len)
{
    ssize_t n = read(fd, buf + *len, cap - 1 - *len);
    if (n > 0)
        *len += (size_t)n;
}

void harness_fork(void (*fn)(void *), void *arg, struct harness_child *c)
{
    int out[2], err[2];
    ck_assert_int_eq(pipe(out), 0);
    ck_assert_int_eq(pipe(err), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        close(out[0]), close(err[0]), close(out[1]), close(err[1]);
        fn(arg);
        fflush(stdout);
        _exit(0);
    }
    close(out[1]);
    close(err[1]);
    size_t no = 0, ne = 0;
    struct pollfd p[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    while (p[0].fd >= 0 || p[1].fd >= 0) {
        if (poll(p, 2, -1) < 0 && errno == EINTR)
            continue;
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            size_t *len = i ? &ne : &no;
            size_t before = *len;
            drain(p[i].fd, i ? c->err : c->out, sizeof c->out, len);
            if (*len == before) {  /* EOF (or buffer full) */
                close(p[i].fd);
                p[i].fd = -1;
            }
        }
    }
    c->out[no] = 0;
    c->err[ne] = 0;
    ck_assert_int_eq(waitpid(pid, &c->status, 0), pid);
}

void *harness_crew_main(void *crew)
{
    struct harness_crew *c = crew;
    green_t g[32];
    ck_assert_int_le(c->greens, 32);
    for (int i = 0; i < c->greens; i++)
        ck_assert_ptr_nonnull(g[i] = green_spawn(c->fn, c->arg, NULL));
    for (int i = 0; i < c->greens; i++)
        ck_assert_int_eq(green_join(g[i], NULL, GREEN_NEVER), 0);
    return NULL;
}

void harness_crews(int os, int greens, void *(*fn)(void *), void *arg)
{
    pthread_t t[16];
    struct harness_crew c = {fn, arg, greens};
    ck_assert_int_le(os, 16);
    for (int i = 0; i < os; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, harness_crew_main, &c),
                         0);
    for (int i = 0; i < os; i++)
        pthread_join(t[i], NULL);
}

int harness_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* TSan's own OS threads, counted by harness_tsan_start. */
static int tsan_own;

#ifdef GREEN__TSAN
static void *nothing(void *arg)
{
    return arg;
}
#endif

void harness_tsan_start(void)
{
#ifdef GREEN__TSAN
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, nothing, NULL), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    /* The joined thread's entry goes a moment after its join returns. */
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    /* The test made no thread yet: all but main are TSan's. */
    tsan_own = harness_count_entries("/proc/self/task") - 1;
#endif
}

int harness_os_threads(void)
{
    return harness_count_entries("/proc/self/task") - tsan_own;
}

atomic_int harness_ticks;

static void *tick(void *arg)
{
    int64_t until = green_now() + (int64_t)(intptr_t)arg;
    while (green_now() < until) {
        harness_ticks++;
        green_sleep(MS(5));
    }
    return NULL;
}

green_t harness_ticker(int64_t ns)
{
    return green_spawn(tick, (void *)(intptr_t)ns, NULL);
}
