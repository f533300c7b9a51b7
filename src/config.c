/* GREEN_* environment settings. Parsing is strict: trailing garbage, empty
 * strings and out-of-range values are rejected with a warning rather than
 * half-read, so a typo never silently changes behaviour. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "common.h"
#include "fiber_san.h"
#include "log.h"

#define KIB 1024ul

struct green__config green__config = {
    .log_level = GREEN__LOG_WARN,
    .stack_size = 256 * KIB,
    .pthread_stack_size = 1024 * KIB,
    .poll_every = 128,
    .stack_cache = 64,
    .guarded_stacks = -1,
    .inherit = 1,
    .offload_threads = 256,
    /* A sanitizer's runtime keeps its per-thread state behind the thread
     * pointer, one per OS thread: own TLS blocks would hide it from the
     * green threads (docs/design.md, "Sanitizers"). */
    .tls_shared = GREEN__SANITIZED,
};

/* Every variable libgreen reads; any other GREEN_* gets a warning. One
 * pass over the environment finds them all (about 1,000 instructions in
 * every process the preload reaches, against ten times that for a
 * getenv each). */
enum var {
    LOG_LEVEL, STACK_SIZE, POLL_EVERY, STACK_CACHE, GUARDED_STACKS, DISABLE,
    INHERIT, CHECK, THREADS, OFFLOAD_THREADS, FILE_IO, TLS, DUMP_SIGNAL,
    STATS, MAX_BLOCKING_MS, HUBS, NVARS
};
static const char known[NVARS][24] = {
    "GREEN_LOG_LEVEL", "GREEN_STACK_SIZE", "GREEN_POLL_EVERY",
    "GREEN_STACK_CACHE", "GREEN_GUARDED_STACKS", "GREEN_DISABLE",
    "GREEN_INHERIT", "GREEN_CHECK", "GREEN_THREADS",
    "GREEN_OFFLOAD_THREADS", "GREEN_FILE_IO", "GREEN_TLS",
    "GREEN_DUMP_SIGNAL", "GREEN_STATS", "GREEN_MAX_BLOCKING_MS",
    "GREEN_HUBS",
};

/* The values of the known variables, as secure_getenv would give them
 * (the first of a name wins, as for getenv; none under AT_SECURE). */
struct env {
    const char *val[NVARS];
    bool unknown;  /* some other GREEN_* variable is set */
};

/* The known variable that the environment entry e (GREEN_...) sets, or
 * NVARS; *len: the length of its name. */
static int which(const char *e, size_t *len)
{
    const char *eq = strchr(e, '=');
    *len = eq ? (size_t)(eq - e) : strlen(e);
    int i = 0;
    while (i < NVARS &&
           !(strlen(known[i]) == *len && !strncmp(known[i], e, *len)))
        i++;
    return i;
}

static void scan(struct env *env)
{
    extern char **environ;
    memset(env, 0, sizeof *env);
    if (getauxval(AT_SECURE))
        return;  /* secure_getenv reads nothing: neither do we */
    for (char **e = environ; e && *e; e++) {
        size_t len;
        if ((*e)[0] != 'G' || strncmp(*e, "GREEN_", 6) != 0)
            continue;
        int i = which(*e, &len);
        if (i == NVARS)
            env->unknown = true;
        else if (!env->val[i] && (*e)[len] == '=')
            env->val[i] = *e + len + 1;
    }
}

int green__parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int green__parse_size(const char *s, size_t *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    }
    if (errno || *end || v > (SIZE_MAX >> shift))
        return -EINVAL;
    *out = (size_t)(v << shift);
    return 0;
}

int green__parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"1", "yes", "on", "true"};
    static const char *const no[] = {"0", "no", "off", "false"};
    for (size_t i = 0; s && i < 4; i++) {
        if (!strcasecmp(s, yes[i]))
            return *out = 1, 0;
        if (!strcasecmp(s, no[i]))
            return *out = 0, 0;
    }
    return -EINVAL;
}

int green__parse_signal(const char *s, int *out)
{
    unsigned long n;
    if (s && green__parse_uint(s, (unsigned long)SIGRTMAX, &n) == 0) {
        if (n == 0 || n == SIGKILL || n == SIGSTOP)
            return -EINVAL;
        return *out = (int)n, 0;
    }
    if (s && !strncasecmp(s, "SIG", 3))
        s += 3;
    for (int sig = 1; s && *s && sig < SIGRTMIN; sig++) {
        const char *name = sigabbrev_np(sig);
        if (name && !strcasecmp(name, s) && sig != SIGKILL && sig != SIGSTOP)
            return *out = sig, 0;
    }
    return -EINVAL;
}

static void bad(const char *var, const char *val, const char *want)
{
    green__log(GREEN__LOG_WARN, "ignoring %s=%s: expected %s", var, val,
               want);
}

/* Returns 1 if var was set to a valid value, stored in *out. */
static int load_uint(const struct env *env, enum var var, unsigned long lo,
                     unsigned long hi, unsigned *out)
{
    const char *s = env->val[var];
    unsigned long v;
    if (!s)
        return 0;
    if (green__parse_uint(s, hi, &v) < 0 || v < lo) {
        bad(known[var], s, "a whole number in range");
        return 0;
    }
    *out = (unsigned)v;
    return 1;
}

static void load_bool(const struct env *env, enum var var, int *out)
{
    const char *s = env->val[var];
    if (s && green__parse_bool(s, out) < 0)
        bad(known[var], s, "1/0, yes/no, on/off or true/false");
}

/* One warning per unknown GREEN_* variable, in the environment's order. */
static void warn_unknown(void)
{
    extern char **environ;
    for (char **e = environ; e && *e; e++) {
        size_t len;
        if (!strncmp(*e, "GREEN_", 6) && which(*e, &len) == NVARS)
            green__log(GREEN__LOG_WARN, "ignoring unknown variable %.*s",
                       (int)len, *e);
    }
}

void green__config_load(void)
{
    static atomic_int state;  /* 0 unread, 1 reading, 2 done */
    int expect = 0;
    if (atomic_load_explicit(&state, memory_order_acquire) == 2)
        return;
    /* Before libc's own start-up (a program's preinit_array, where ASan
     * starts and makes its pthread keys) there is no environment yet:
     * the defaults stand, and the next call reads it. */
    if (!environ)
        return;
    if (!atomic_compare_exchange_strong(&state, &expect, 1)) {
        while (atomic_load(&state) != 2)
            ;  /* another OS thread is reading a few variables */
        return;
    }
    struct env env;
    scan(&env);
    unsigned level = (unsigned)green__config.log_level;
    load_uint(&env, LOG_LEVEL, 0, 5, &level);
    green__config.log_level = (int)level;
    const char *s = env.val[STACK_SIZE];
    size_t size;
    if (s && (green__parse_size(s, &size) < 0 || size < 16 * KIB ||
              size > 1024 * 1024 * KIB))
        bad("GREEN_STACK_SIZE", s, "a size from 16K to 1G");
    else if (s)
        green__config.stack_size = green__config.pthread_stack_size = size;
    load_uint(&env, POLL_EVERY, 1, 1u << 20, &green__config.poll_every);
    load_uint(&env, STACK_CACHE, 0, 1u << 16, &green__config.stack_cache);
    unsigned guarded;
    if (load_uint(&env, GUARDED_STACKS, 0, 1u << 30, &guarded))
        green__config.guarded_stacks = guarded;
    load_bool(&env, DISABLE, &green__config.disable);
    load_bool(&env, INHERIT, &green__config.inherit);
    load_bool(&env, CHECK, &green__config.check);
    s = env.val[THREADS];
    if (s && strcmp(s, "green") && strcmp(s, "native"))
        bad("GREEN_THREADS", s, "green or native");
    else if (s)
        green__config.threads_native = !strcmp(s, "native");
    green__config.hubs = 0;  /* the CPUs: see green__config_hubs */
    load_uint(&env, HUBS, 1, GREEN__CONFIG_HUBS_MAX, &green__config.hubs);
    load_uint(&env, OFFLOAD_THREADS, 1, 1u << 16,
              &green__config.offload_threads);
    s = env.val[FILE_IO];
    if (s && strcmp(s, "direct") && strcmp(s, "offload"))
        bad("GREEN_FILE_IO", s, "direct or offload");
    else if (s)
        green__config.file_io_offload = !strcmp(s, "offload");
    s = env.val[TLS];
    if (s && strcmp(s, "own") && strcmp(s, "shared"))
        bad("GREEN_TLS", s, "own or shared");
    else if (s)
        green__config.tls_shared = !strcmp(s, "shared");
    s = env.val[STATS];
    unsigned long period;
    int on;
    if (s && green__parse_uint(s, 86400000, &period) == 0) {
        green__config.stats = period != 0;
        green__config.stats_period_ms = period > 1 ? (unsigned)period : 0;
    } else if (s && green__parse_bool(s, &on) == 0) {
        green__config.stats = on;
    } else if (s) {
        bad("GREEN_STATS", s, "1 (a report at exit) or a period in ms");
    }
    load_uint(&env, MAX_BLOCKING_MS, 0, 3600000,
              &green__config.max_blocking_ms);
    s = env.val[DUMP_SIGNAL];
    if (s && green__parse_signal(s, &green__config.dump_signal) < 0)
        bad("GREEN_DUMP_SIGNAL", s, "a signal such as QUIT, USR1 or 10");
    if (env.unknown)
        warn_unknown();
    atomic_store_explicit(&state, 2, memory_order_release);
}

unsigned green__config_hubs(void)
{
    static atomic_uint cpus;  /* several OS threads may ask at once */
    if (green__config.hubs)
        return green__config.hubs;
    unsigned n = atomic_load_explicit(&cpus, memory_order_relaxed);
    if (!n) {
        cpu_set_t set;
        n = sched_getaffinity(0, sizeof set, &set) == 0
                ? (unsigned)CPU_COUNT(&set) : 1;
        n = n < 1 ? 1 : n > GREEN__CONFIG_HUBS_MAX ? GREEN__CONFIG_HUBS_MAX : n;
        atomic_store_explicit(&cpus, n, memory_order_relaxed);
    }
    return n;
}
