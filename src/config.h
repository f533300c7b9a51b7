/* GREEN_* settings: read once from the environment with secure_getenv,
 * before the first hub exists. A bad value gets one warning line naming
 * the variable and the default is kept. */
#ifndef GREEN_SRC_CONFIG_H
#define GREEN_SRC_CONFIG_H

#include <stddef.h>

struct green__config {
    int log_level;          /* GREEN_LOG_LEVEL, 0-5; default 2 (warnings) */
    size_t stack_size;      /* GREEN_STACK_SIZE, bytes; default 256 KiB */
    size_t pthread_stack_size; /* for pthread_create without a size of
                               its own: GREEN_STACK_SIZE if set, else
                               1 MiB (glibc's 8 MiB default is too big to
                               multiply by 100,000; 256 KiB too small
                               for programs written for 8 MiB) */
    unsigned poll_every;    /* GREEN_POLL_EVERY: switches between I/O polls */
    unsigned stack_cache;   /* GREEN_STACK_CACHE: free stacks kept per hub */
    long guarded_stacks;    /* GREEN_GUARDED_STACKS: stacks with a guard
                               page; -1 (default): vm.max_map_count / 4 */
    int disable;            /* GREEN_DISABLE: every wrapper passes through */
    int inherit;            /* GREEN_INHERIT: children keep the preload */
    int check;              /* GREEN_CHECK: list the wrappers at start */
    int threads_native;     /* GREEN_THREADS=native (default green) */
    unsigned offload_threads; /* GREEN_OFFLOAD_THREADS: the offload pool's
                               bound; default 256 (see offload.c) */
    int tls_shared;         /* GREEN_TLS=shared (default own): pthreads
                               share their OS thread's TLS, as before */
    int stats;              /* GREEN_STATS: a report at exit */
    unsigned stats_period_ms; /* GREEN_STATS=PERIOD_MS: and a line per
                               period; 0: none */
    unsigned max_blocking_ms; /* GREEN_MAX_BLOCKING_MS: the monitor's
                               threshold; 0 (default): no monitor */
    int dump_signal;        /* GREEN_DUMP_SIGNAL: the signal that dumps
                               the threads to stderr; 0 (default): none */
    unsigned hubs;          /* GREEN_HUBS: hubs (OS threads running green
                               threads), 1 to 256; 0 (default): the CPUs
                               sched_getaffinity allows, which
                               green__config_hubs() reads */
    int file_io_offload;    /* GREEN_FILE_IO=offload (default direct):
                               regular-file I/O on the offload pool */
};

/* The most hubs GREEN_HUBS may ask for. */
#define GREEN__CONFIG_HUBS_MAX 256u

extern struct green__config green__config;

/* Reads the environment once; later calls return at once. Thread-safe. */
void green__config_load(void);

/* How many hubs: GREEN_HUBS, else the CPUs the process may run on, asked
 * of the kernel the first time (the first placement of a thread), not at
 * start: a short process that makes no thread is spared the call. */
unsigned green__config_hubs(void);

/* Parsers, exposed for the tests. Each returns 0, or -EINVAL. */
int green__parse_size(const char *s, size_t *out);     /* 64K, 1M, 2G */
int green__parse_bool(const char *s, int *out);        /* 1/0 yes/no ... */
int green__parse_uint(const char *s, unsigned long max, unsigned long *out);
/* A signal by number or name, with or without SIG: 3, QUIT, SIGQUIT.
 * SIGKILL and SIGSTOP, which no handler can catch, are refused. */
int green__parse_signal(const char *s, int *out);

#endif
