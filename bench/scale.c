/* Memory per parked green thread: spawn N (default 1,000,000) threads with
 * the default 256 KiB stack, let each one park in green_sleep_until() on a
 * common deadline, then read VmRSS, VmPTE and VmSize from
 * /proc/self/status against a baseline taken before spawning. Stacks are
 * committed lazily, so a parked thread should cost only the few pages it
 * touched. Goal: <= 8 KiB RSS per thread.
 *
 * The anchor is native threads, which stop near 32,000 here (each needs
 * two of vm.max_map_count's mappings, and a PID). By default that limit is
 * derived from /proc, not measured: measuring it with -m CAP exhausts the
 * machine's PIDs for a moment, which other users of the machine notice. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "green.h"

#define GOAL_KIB 8.0
#define NATIVE_TIME_LIMIT 20e9  /* ns: stop creating native threads after */

struct mem {
    long size, rss, pte;  /* KiB: VmSize, VmRSS, VmPTE */
};

static struct mem read_status(void)
{
    struct mem m = {-1, -1, -1};
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        sscanf(line, "VmSize: %ld", &m.size);
        sscanf(line, "VmRSS: %ld", &m.rss);
        sscanf(line, "VmPTE: %ld", &m.pte);
    }
    if (f)
        fclose(f);
    return m;
}

static long read_long(const char *path)
{
    long v = -1;
    FILE *f = fopen(path, "r");
    if (f && fscanf(f, "%ld", &v) != 1)
        v = -1;
    if (f)
        fclose(f);
    return v;
}

/* ---- native anchor ------------------------------------------------------ */

static void *native_sleeper(void *arg)
{
    for (;;)
        pause();
    return arg;
}

struct native {
    long count;     /* threads created before the first failure or the cap */
    int err;        /* pthread_create's error, 0 if the cap was reached */
    double rss_kib; /* RSS per native thread */
};

/* In a child process, so that its 32,000 mappings and threads cannot
 * disturb the green measurement; its exit releases them all at once. */
static struct native native_measure(long cap)
{
    struct native res = {0, 0, 0};
    int fd[2];
    if (pipe(fd) < 0)
        return res;
    pid_t pid = fork();
    if (pid == 0) {
        struct mem m0 = read_status();
        double t0 = bench_now_ns();
        while (res.count < cap && bench_now_ns() - t0 < NATIVE_TIME_LIMIT) {
            pthread_t t;
            res.err = pthread_create(&t, NULL, native_sleeper, NULL);
            if (res.err)
                break;
            res.count++;
        }
        struct mem m1 = read_status();
        if (res.count)
            res.rss_kib = (double)(m1.rss - m0.rss) / (double)res.count;
        if (write(fd[1], &res, sizeof res) != sizeof res)
            _exit(1);
        _exit(0);
    }
    close(fd[1]);
    if (pid < 0 || read(fd[0], &res, sizeof res) != sizeof res)
        res.count = -1;
    close(fd[0]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return res;
}

/* The limits a native thread runs into, read from /proc: two mappings per
 * thread (stack and guard page), one PID, one task, RLIMIT_NPROC. */
static long native_estimate(void)
{
    long maps = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    for (int c; f && (c = getc(f)) != EOF;)
        maps += c == '\n';
    if (f)
        fclose(f);
    long est = (read_long("/proc/sys/vm/max_map_count") - maps) / 2;
    long tasks = 0;  /* the 4th field of loadavg: running/total tasks */
    f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%*f %*f %*f %*d/%ld", &tasks) != 1)
        tasks = 0;
    if (f)
        fclose(f);
    long pids = read_long("/proc/sys/kernel/pid_max") - tasks;
    if (pids < est)
        est = pids;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        (long)rl.rlim_cur - tasks < est)
        est = (long)rl.rlim_cur - tasks;
    return est;
}

/* ---- green threads ------------------------------------------------------ */

static long parked, woke;  /* one OS thread: plain counters suffice */
static int64_t deadline;   /* set after spawning, before any thread runs */

static void *sleeper(void *arg)
{
    parked++;
    green_sleep_until(deadline);
    woke++;
    return arg;
}

int main(int argc, char **argv)
{
    struct bench_opts o = {.n = 1000000};
    bench_parse(argc, argv, "[-n threads] [-m native-cap] [--json FILE]", &o);
    long n = o.n;

    /* Before libgreen starts: the child must not inherit a hub. */
    struct native nat = {0, 0, 0};
    if (o.m)
        nat = native_measure(o.m);
    long native_est = native_estimate();

    green_self();  /* creates the hub, which belongs to the baseline */
    /* The handle array is the benchmark's own bookkeeping: touched now,
     * it stays out of the per-thread delta. */
    green_t *ts = malloc((size_t)n * sizeof *ts);
    if (!ts)
        return perror("malloc"), 1;
    memset(ts, 0, (size_t)n * sizeof *ts);

    struct mem m0 = read_status();
    int64_t t0 = green_now();
    long spawned = 0;
    int spawn_err = 0;
    for (; spawned < n; spawned++) {
        ts[spawned] = green_spawn(sleeper, (void *)(intptr_t)spawned, NULL);
        if (!ts[spawned]) {
            spawn_err = errno;
            break;
        }
    }
    int64_t t_spawn = green_now() - t0;
    /* Parking runs each thread once on an already touched stack, far
     * quicker than spawning (which faults the stacks in); the margin keeps
     * every thread asleep while we measure. */
    deadline = green_now() + 2000000000 + t_spawn / 4;
    while (parked < spawned && green_now() < deadline - 500000000)
        green_sleep(10000000);
    int64_t t_parked = green_now() - t0;
    struct mem m1 = read_status();
    long asleep = parked - woke;
    int measured_early = green_now() < deadline;

    long joined = 0;
    for (long i = 0; i < spawned; i++) {
        void *r;
        if (green_join(ts[i], &r, GREEN_NEVER) == 0 && r == (void *)(intptr_t)i)
            joined++;
    }
    int64_t t_total = green_now() - t0;
    struct mem m2 = read_status();

    double k = spawned ? (double)spawned : 1;
    double rss = (double)(m1.rss - m0.rss) / k;
    double pte = (double)(m1.pte - m0.pte) / k;
    double vsz = (double)(m1.size - m0.size) / k;
    double left = (double)(m2.rss - m0.rss) / k;
    int ok = spawned == n && asleep == n && measured_early && joined == n;
    int met = ok && rss <= GOAL_KIB;

    printf("scale: green threads parked in green_sleep_until, "
           "default stack size\n");
    printf("  %-38s %ld / %ld / %ld\n", "threads asked / spawned / asleep", n,
           spawned, asleep);
    if (spawn_err)
        printf("  %-38s %s\n", "spawn stopped by", strerror(spawn_err));
    printf("  %-38s %.2f s (%.2f us each)\n", "spawn time", t_spawn / 1e9,
           t_spawn / 1e3 / k);
    printf("  %-38s %.2f s\n", "spawn until all asleep", t_parked / 1e9);
    printf("  %-38s %.2f s\n", "total wall (spawn to all joined)",
           t_total / 1e9);
    printf("  %-38s %.2f KiB\n", "RSS delta per thread", rss);
    printf("  %-38s %.2f KiB\n", "page tables (VmPTE) per thread", pte);
    printf("  %-38s %.1f KiB\n", "virtual (VmSize) per thread", vsz);
    printf("  %-38s %.2f KiB\n", "RSS still held after join, per thread",
           left);
    printf("  %-38s %ld of %ld\n", "joined with the right result", joined,
           spawned);
    printf("  goal <= %.0f KiB RSS per thread: %s%s\n", GOAL_KIB,
           met ? "met" : "MISSED", ok ? "" : " (run incomplete)");
    if (nat.count > 0)
        printf("  # native anchor (measured): %ld pthreads (default attrs, "
               "blocked in pause) before %s; %.1f KiB RSS each\n",
               nat.count, nat.err ? strerror(nat.err) : "the cap",
               nat.rss_kib);
    printf("  # native anchor (derived, not measured): at most ~%ld "
           "pthreads here (vm.max_map_count %ld, 2 maps each; "
           "kernel.pid_max %ld)\n", native_est,
           read_long("/proc/sys/vm/max_map_count"),
           read_long("/proc/sys/kernel/pid_max"));

    FILE *f = bench_json_open(&o);
    if (f) {
        fprintf(f,
                "{\"bench\": \"scale\", \"threads\": %ld, \"spawned\": %ld,"
                " \"asleep\": %ld, \"joined\": %ld,\n"
                " \"spawn_s\": %.3f, \"parked_s\": %.3f, \"total_s\": %.3f,\n"
                " \"rss_kib_per_thread\": %.3f, \"pte_kib_per_thread\": %.3f,"
                " \"vsz_kib_per_thread\": %.1f,"
                " \"rss_kib_after_join_per_thread\": %.3f,\n"
                " \"native_measured\": %ld, \"native_rss_kib\": %.2f,"
                " \"native_estimate\": %ld,\n"
                " \"goal\": \"rss per thread <= %.0f KiB\", \"met\": %s}\n",
                n, spawned, asleep, joined, t_spawn / 1e9, t_parked / 1e9,
                t_total / 1e9, rss, pte, vsz, left, nat.count, nat.rss_kib,
                native_est, GOAL_KIB, met ? "true" : "false");
        fclose(f);
    }
    free(ts);
    return ok ? 0 : 1;
}
