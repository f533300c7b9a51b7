/* Switch cost: green_yield() between two green threads against the bare
 * register switch (green__switch) between two hand-made contexts, in the
 * same run. The difference is what the scheduler adds per switch: run
 * queue, errno save, stack canary check, and an I/O poll every
 * GREEN_POLL_EVERY switches. Goal: green/bare <= 2.0, for threads that
 * share their OS thread's TLS. Threads with TLS of their own (the default)
 * also write the thread pointer at each switch: the bare switch is timed
 * with that write too, and their goal is 2 x bare + one write. */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "context.h"
#include "tls.h"
#include "tp.h"
#include "green.h"

#define STACK (64 * 1024)
#define MAX_REPS 100
#define GOAL 2.0

static long iters;

/* ---- anchor: the bare switch ------------------------------------------- */

static void *ctx_main, *ctx_a, *ctx_b;
static int write_tp;  /* also write the thread pointer (its own value) */

/* A and B bounce control N times each way; then A returns to main and B
 * stays suspended, which is fine: its context is simply rebuilt. */
static void bare_a(void *arg)
{
    (void)arg;
    void *tp = green__tp_get();
    for (long i = 0; i < iters; i++) {
        if (write_tp)
            green__tp_set(tp);
        green__switch(&ctx_a, ctx_b);
    }
    green__switch(&ctx_a, ctx_main);
    abort();  /* never resumed */
}

static void bare_b(void *arg)
{
    (void)arg;
    void *tp = green__tp_get();
    for (;;) {
        if (write_tp)
            green__tp_set(tp);
        green__switch(&ctx_b, ctx_a);
    }
}

static double bare_run(char *sa, char *sb, int tp)
{
    write_tp = tp;
    ctx_a = green__context_make(sa, sa + STACK, bare_a, NULL);
    ctx_b = green__context_make(sb, sb + STACK, bare_b, NULL);
    double t0 = bench_now_ns();
    green__switch(&ctx_main, ctx_a);
    return (bench_now_ns() - t0) / (2.0 * (double)iters);
}

/* ---- green: two threads yielding to each other -------------------------- */

static void *yielder(void *arg)
{
    for (long i = 0; i < iters; i++)
        green_yield();
    return arg;
}

/* Main is parked in green_join while the two run, so each yield is one
 * switch to the other thread; the few switches to and from main at the
 * ends are lost in 2N. */
static double green_run(int shared_tls)
{
    green_attr_t attr = {.shared_tls = shared_tls};
    double t0 = bench_now_ns();
    green_t a = green_spawn(yielder, NULL, &attr);
    green_t b = green_spawn(yielder, NULL, &attr);
    if (!a || !b || green_join(a, NULL, GREEN_NEVER) ||
        green_join(b, NULL, GREEN_NEVER)) {
        perror("green_spawn/green_join");
        exit(1);
    }
    return (bench_now_ns() - t0) / (2.0 * (double)iters);
}

int main(int argc, char **argv)
{
    struct bench_opts o = {.n = 10000000, .reps = 5};
    bench_parse(argc, argv, "[-n yields-per-thread] [-r reps] [--json FILE]",
                &o);
    if (o.reps > MAX_REPS)
        o.reps = MAX_REPS;
    char *sa = malloc(STACK), *sb = malloc(STACK);
    if (!sa || !sb)
        return perror("malloc"), 1;

    /* One short untimed round of each, so that first-touch page faults and
     * the hub's creation are not charged to either side. */
    iters = o.n / 10 + 1;
    int own = green__tls_setup();
    bare_run(sa, sb, 0);
    bare_run(sa, sb, own);
    green_run(1);
    green_run(0);

    iters = o.n;
    double bare[MAX_REPS], bare_tp[MAX_REPS], shared[MAX_REPS],
        green[MAX_REPS];
    for (int r = 0; r < o.reps; r++) {  /* interleaved: same noise for all */
        bare[r] = bare_run(sa, sb, 0);
        bare_tp[r] = bare_run(sa, sb, own);
        shared[r] = green_run(1);
        green[r] = green_run(0);
    }
    struct bench_stat st_bare = bench_stat(bare, o.reps);
    struct bench_stat st_tp = bench_stat(bare_tp, o.reps);
    struct bench_stat st_shared = bench_stat(shared, o.reps);
    struct bench_stat st_green = bench_stat(green, o.reps);
    double ratio = st_shared.min / st_bare.min;
    double ratio_med = st_shared.median / st_bare.median;
    double tp_write = st_tp.min - st_bare.min;
    double goal_own = GOAL * st_bare.min + tp_write;
    int met = ratio <= GOAL, met_own = st_green.min <= goal_own;

    printf("yield: %ld switches each way, best and median of %d runs%s\n",
           o.n, o.reps, own ? "" : " (no own TLS here: both share)");
    printf("  %-40s %10s %10s\n", "", "best ns", "median ns");
    printf("  %-40s %10.2f %10.2f\n", "bare green__switch (anchor)",
           st_bare.min, st_bare.median);
    printf("  %-40s %10.2f %10.2f\n", "bare switch + thread-pointer write",
           st_tp.min, st_tp.median);
    printf("  %-40s %10.2f %10.2f\n", "green_yield, shared TLS",
           st_shared.min, st_shared.median);
    printf("  %-40s %10.2f %10.2f\n", "green_yield, own TLS (default)",
           st_green.min, st_green.median);
    printf("  %-40s %9.2fx %9.2fx\n", "ratio shared/bare", ratio, ratio_med);
    printf("  goal shared/bare <= %.1fx: %s\n", GOAL, met ? "met" : "MISSED");
    printf("  goal own <= %.1f x bare + write = %.2f ns: %s\n", GOAL, goal_own,
           met_own ? "met" : "MISSED");

    FILE *f = bench_json_open(&o);
    if (f) {
        fprintf(f,
                "{\"bench\": \"yield\", \"n\": %ld, \"reps\": %d,\n"
                " \"bare_ns\": {\"min\": %.3f, \"median\": %.3f},\n"
                " \"bare_tp_ns\": {\"min\": %.3f, \"median\": %.3f},\n"
                " \"shared_ns\": {\"min\": %.3f, \"median\": %.3f},\n"
                " \"green_ns\": {\"min\": %.3f, \"median\": %.3f},\n"
                " \"own_tls\": %s, \"ratio\": %.3f, \"ratio_median\": %.3f,\n"
                " \"goal\": \"shared/bare <= %.1f\", \"met\": %s,\n"
                " \"goal_own_ns\": %.3f, \"met_own\": %s}\n",
                o.n, o.reps, st_bare.min, st_bare.median, st_tp.min,
                st_tp.median, st_shared.min, st_shared.median, st_green.min,
                st_green.median, own ? "true" : "false", ratio, ratio_med,
                GOAL, met ? "true" : "false", goal_own,
                met_own ? "true" : "false");
        fclose(f);
    }
    free(sa);
    free(sb);
    return 0;
}
