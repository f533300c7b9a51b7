/* What the benchmarks share: a clock, best-and-median of repetitions, and
 * option parsing. The machine is a noisy nested VM (timings vary by about
 * 30 %), so per-op figures are the best of several runs: noise only ever
 * adds time. The median is printed beside it to show the spread. */
#ifndef GREEN_BENCH_BENCH_H
#define GREEN_BENCH_BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct bench_stat {
    double min, median;
};

/* Sorts v in place. */
static inline struct bench_stat bench_stat(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return (struct bench_stat){v[0], med};
}

/* Options every benchmark takes; a field left at zero was not given. */
struct bench_opts {
    long n;            /* -n: iterations (or threads) */
    long m;            /* -m: a second count, meaning per benchmark */
    int reps;          /* -r: repetitions */
    const char *json;  /* --json FILE */
};

static inline long parse_count(const char *s, const char *opt)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || errno || *end || v <= 0) {
        fprintf(stderr, "%s wants a positive whole number\n", opt);
        exit(2);
    }
    return v;
}

static inline void bench_parse(int argc, char **argv, const char *usage,
                               struct bench_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-n"))
            o->n = parse_count(v, a), i++;
        else if (!strcmp(a, "-m"))
            o->m = parse_count(v, a), i++;
        else if (!strcmp(a, "-r"))
            o->reps = (int)parse_count(v, a), i++;
        else if (!strcmp(a, "--json") && v)
            o->json = v, i++;
        else {
            fprintf(stderr, "usage: %s %s\n", argv[0], usage);
            exit(2);
        }
    }
}

/* Opens the --json file, or returns NULL if none was asked for. */
static inline FILE *bench_json_open(const struct bench_opts *o)
{
    if (!o->json)
        return NULL;
    FILE *f = fopen(o->json, "w");
    if (!f) {
        perror(o->json);
        exit(1);
    }
    return f;
}

#endif
