/* Thread start-up cost: spawn and join of a trivial function, one at a
 * time, with pthreads (the anchor) and with green threads, in the same
 * run. Sequential on purpose: this is the latency of one create + join,
 * with both sides reusing cached stacks in the steady state. Green runs
 * more iterations (-m, default 10 x -n) because each is far shorter, and
 * a short timed interval is at the mercy of a single VM hiccup.
 * Goal: pthread/green >= 30. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "green.h"

#define MAX_REPS 100
#define GOAL 30.0

static void *trivial(void *arg)
{
    return arg;
}

/* The result is checked so the call cannot be skipped, and so a broken
 * join shows up here rather than as a suspiciously good figure. */
static void check(void *got, long want)
{
    if ((intptr_t)got != want) {
        fprintf(stderr, "join returned %p, expected %ld\n", got, want);
        exit(1);
    }
}

static double pthread_run(long n)
{
    double t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        pthread_t t;
        void *r;
        if (pthread_create(&t, NULL, trivial, (void *)(intptr_t)i) ||
            pthread_join(t, &r)) {
            fprintf(stderr, "pthread_create/join failed\n");
            exit(1);
        }
        check(r, i);
    }
    return (bench_now_ns() - t0) / (double)n;
}

static double green_run(long n)
{
    double t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        void *r;
        green_t t = green_spawn(trivial, (void *)(intptr_t)i, NULL);
        if (!t || green_join(t, &r, GREEN_NEVER)) {
            perror("green_spawn/green_join");
            exit(1);
        }
        check(r, i);
    }
    return (bench_now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
    struct bench_opts o = {.n = 20000, .reps = 5};
    bench_parse(argc, argv,
                "[-n pthread-iters] [-m green-iters] [-r reps] [--json FILE]",
                &o);
    if (!o.m)
        o.m = 10 * o.n;
    if (o.reps > MAX_REPS)
        o.reps = MAX_REPS;

    /* Untimed warm-up: fills glibc's and the hub's stack caches and
     * creates the hub, so both sides are measured in their steady state. */
    pthread_run(o.n / 20 + 1);
    green_run(o.m / 20 + 1);

    double pt[MAX_REPS], gr[MAX_REPS];
    for (int r = 0; r < o.reps; r++) {  /* interleaved: same noise for both */
        pt[r] = pthread_run(o.n);
        gr[r] = green_run(o.m);
    }
    struct bench_stat st_pt = bench_stat(pt, o.reps);
    struct bench_stat st_gr = bench_stat(gr, o.reps);
    double ratio = st_pt.min / st_gr.min;
    double ratio_med = st_pt.median / st_gr.median;
    int met = ratio >= GOAL;

    printf("spawn: create + join of a trivial function, sequential, "
           "best and median of %d runs\n", o.reps);
    printf("  %-40s %10s %10s\n", "", "best ns", "median ns");
    printf("  %-40s %10.0f %10.0f\n", "pthread_create + pthread_join (anchor)",
           st_pt.min, st_pt.median);
    printf("  %-40s %10.0f %10.0f\n", "green_spawn + green_join", st_gr.min,
           st_gr.median);
    printf("  %-40s %9.1fx %9.1fx\n", "ratio pthread/green", ratio, ratio_med);
    printf("  (%ld pthread and %ld green iterations per run)\n", o.n, o.m);
    printf("  goal pthread/green >= %.0fx: %s\n", GOAL, met ? "met" : "MISSED");

    FILE *f = bench_json_open(&o);
    if (f) {
        fprintf(f,
                "{\"bench\": \"spawn\", \"n_pthread\": %ld, \"n_green\": %ld,"
                " \"reps\": %d,\n"
                " \"pthread_ns\": {\"min\": %.1f, \"median\": %.1f},\n"
                " \"green_ns\": {\"min\": %.1f, \"median\": %.1f},\n"
                " \"ratio\": %.2f, \"ratio_median\": %.2f,\n"
                " \"goal\": \"pthread/green >= %.0f\", \"met\": %s}\n",
                o.n, o.m, o.reps, st_pt.min, st_pt.median, st_gr.min,
                st_gr.median, ratio, ratio_med, GOAL, met ? "true" : "false");
        fclose(f);
    }
    return 0;
}
