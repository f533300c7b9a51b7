/* Statistics; see stats.h. The report goes to stderr through log.c, at
 * exit (atexit) and, with a period, from the main hub's timer. Hubs that
 * are freed before (their OS thread ended) leave their counts in
 * `retired`, so that the total covers them. */
#include "stats.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common.h"
#include "green.h"
#include "hub.h"
#include "log.h"
#include "offload.h"
#include "oslock.h"
#include "thread.h"

static struct green__oslock retired_lock;
static struct green__stats retired;  /* freed hubs, summed */
static uint64_t retired_hubs;
static int64_t started;  /* green_now() when the first hub was made */

/* Adds n to the count of `name` in a table of GREEN__STATS_NAMES; a name
 * past the table's end goes to its last row, "other". */
static void count(struct green__stats_count *c, const char *name, uint64_t n)
{
    int i = 0;
    while (i < GREEN__STATS_NAMES - 1 && c[i].name && c[i].name != name &&
           strcmp(c[i].name, name))
        i++;
    if (!c[i].name)
        c[i].name = i == GREEN__STATS_NAMES - 1 ? "other" : name;
    c[i].n += n;
}

static void add(struct green__stats *sum, const struct green__stats *s)
{
    sum->spawned += s->spawned;
    sum->peak += s->peak;
    sum->switches += s->switches;
    for (int i = 0; i < GREEN__WHY_KINDS; i++)
        sum->parks[i] += s->parks[i];
    sum->xwakes += s->xwakes;
    sum->offloads += s->offloads;
    if (s->longest > sum->longest) {
        sum->longest = s->longest;
        sum->longest_id = s->longest_id;
        memcpy(sum->longest_name, s->longest_name, sizeof sum->longest_name);
    }
    for (int i = 0; i < GREEN__STATS_NAMES; i++) {
        if (s->offloaded[i].name)
            count(sum->offloaded, s->offloaded[i].name, s->offloaded[i].n);
        if (s->blocked[i].name)
            count(sum->blocked, s->blocked[i].name, s->blocked[i].n);
    }
}

/* h's counts, with its switch count. */
static void snapshot(const struct green__hub *h, struct green__stats *s)
{
    *s = h->stats;
    s->switches = atomic_load_explicit(&h->switch_seq, memory_order_relaxed);
}

void green__stats_retire(const struct green__hub *h)
{
    struct green__stats s;
    snapshot(h, &s);
    green__oslock_lock(&retired_lock);
    add(&retired, &s);
    retired_hubs++;
    green__oslock_unlock(&retired_lock);
}

void green__stats_ran(struct green__hub *h, const struct green_thread *t)
{
    int64_t now = green_now();
    struct green__stats *s = &h->stats;
    if (s->run_start && t && now - s->run_start > s->longest) {
        s->longest = now - s->run_start;
        s->longest_id = t->id;
        memcpy(s->longest_name, t->name, sizeof s->longest_name);
    }
    s->run_start = now;
}

void green__stats_blocked_slow(const char *call)
{
    struct green__hub *h = green__tls_hub;
    if (h && h->runq_head && !green__tls_internal)
        count(h->stats.blocked, call, 1);
}

void green__stats_offload_slow(struct green__hub *h, const char *call)
{
    count(h->stats.offloaded, call ? call : "call", 1);
}

/* ---- the report -------------------------------------------------------- */

struct line {
    char buf[480];
    size_t len;
};

static __attribute__((format(printf, 2, 3))) void cat(struct line *l,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->buf + l->len, sizeof l->buf - l->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += (size_t)n < sizeof l->buf - l->len
                      ? (size_t)n : sizeof l->buf - l->len - 1;
}

static uint64_t parks(const struct green__stats *s)
{
    uint64_t n = 0;
    for (int i = 0; i < GREEN__WHY_KINDS; i++)
        n += s->parks[i];
    return n;
}

/* Three lines for one hub's counts, or the total's. */
static void report(const char *who, const struct green__stats *s)
{
    struct line l = {{0}, 0};
    cat(&l, "stats %s: %llu threads created, peak %llu; %llu switches; "
            "%llu cross-hub wakes; %llu offloaded",
        who, (unsigned long long)s->spawned, (unsigned long long)s->peak,
        (unsigned long long)s->switches, (unsigned long long)s->xwakes,
        (unsigned long long)s->offloads);
    if (s->longest_id)
        cat(&l, "; longest run %.1f ms (thread %llu%s%.16s%s)",
            (double)s->longest / 1e6, (unsigned long long)s->longest_id,
            s->longest_name[0] ? " \"" : "", s->longest_name,
            s->longest_name[0] ? "\"" : "");
    green__say("%s", l.buf);
    l.len = 0;
    cat(&l, "stats %s: %llu parks:", who, (unsigned long long)parks(s));
    for (int i = 0; i < GREEN__WHY_KINDS; i++)
        if (s->parks[i])
            cat(&l, " %s %llu", green__why_name((enum green__why)i),
                (unsigned long long)s->parks[i]);
    green__say("%s", l.buf);
    if (!s->offloaded[0].name && !s->blocked[0].name)
        return;
    l.len = 0;
    cat(&l, "stats %s: offloaded:", who);
    for (int i = 0; i < GREEN__STATS_NAMES && s->offloaded[i].name; i++)
        cat(&l, " %s %llu", s->offloaded[i].name,
            (unsigned long long)s->offloaded[i].n);
    cat(&l, "; blocked the OS thread:");
    for (int i = 0; i < GREEN__STATS_NAMES && s->blocked[i].name; i++)
        cat(&l, " %s %llu", s->blocked[i].name,
            (unsigned long long)s->blocked[i].n);
    green__say("%s", l.buf);
}

struct sum {
    struct green__stats total;
    uint64_t hubs;
    uint64_t live;
    uint64_t ready;
    bool each;  /* report each hub as it is summed */
};

static void sum_hub(struct green__hub *h, void *arg)
{
    struct sum *s = arg;
    s->hubs++;
    s->live += h->live;
    s->ready += h->nready;
    struct green__stats mine;
    snapshot(h, &mine);
    add(&s->total, &mine);
    if (s->each) {
        char who[64];
        snprintf(who, sizeof who, "hub OS thread %d%s", (int)h->tid,
                 h->is_main ? " (main)" : "");
        report(who, &mine);
    }
}

static void sum_all(struct sum *s)
{
    green__hub_each(sum_hub, s);
    green__oslock_lock(&retired_lock);
    add(&s->total, &retired);
    s->hubs += retired_hubs;
    green__oslock_unlock(&retired_lock);
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

static void at_exit(void)
{
    struct sum s = {.each = true};
    sum_all(&s);
    report("total", &s.total);
    green__say("stats total: %llu hubs; offload pool peak %u threads; "
               "peak RSS %ld KiB",
               (unsigned long long)s.hubs, green__offload_peak(),
               peak_rss_kb());
}

void green__stats_setup(void)
{
    static atomic_flag done;
    if (green__config.stats && !atomic_flag_test_and_set(&done)) {
        started = green_now();
        atexit(at_exit);
    }
}

void green__stats_tick(void)
{
    static uint64_t last_switches, last_parks;
    struct sum s = {.each = false};
    sum_all(&s);
    int64_t now = green_now();
    uint64_t p = parks(&s.total);
    green__say("stats +%.1f s: %llu hubs, %llu threads live, %llu ready; "
               "%llu switches (+%llu), %llu parks (+%llu), %llu offloaded",
               (double)(now - started) / 1e9, (unsigned long long)s.hubs,
               (unsigned long long)s.live, (unsigned long long)s.ready,
               (unsigned long long)s.total.switches,
               (unsigned long long)(s.total.switches - last_switches),
               (unsigned long long)p, (unsigned long long)(p - last_parks),
               (unsigned long long)s.total.offloads);
    last_switches = s.total.switches;
    last_parks = p;
}

int green_stats(struct green_stats *out)
{
    if (!out)
        return (int)green__set_errno(-EINVAL);
    struct sum s = {.each = false};
    sum_all(&s);
    const struct green__stats *t = &s.total;
    memset(out, 0, sizeof *out);
    out->hubs = s.hubs;
    out->threads_created = t->spawned;
    out->threads_peak = t->peak;
    out->threads_live = s.live;
    out->switches = t->switches;
    out->parks = parks(t);
    out->parks_fd = t->parks[GREEN__WHY_FD] + t->parks[GREEN__WHY_POLL];
    out->parks_sleep = t->parks[GREEN__WHY_SLEEP];
    for (int i = GREEN__WHY_MUTEX; i <= GREEN__WHY_SHARED; i++)
        out->parks_sync += t->parks[i];
    out->parks_join = t->parks[GREEN__WHY_JOIN] + t->parks[GREEN__WHY_GROUP];
    out->parks_child = t->parks[GREEN__WHY_CHILD];
    out->parks_offload = t->parks[GREEN__WHY_OFFLOAD];
    out->parks_other = out->parks - out->parks_fd - out->parks_sleep -
                       out->parks_sync - out->parks_join - out->parks_child -
                       out->parks_offload;
    out->cross_hub_wakes = t->xwakes;
    out->offloaded = t->offloads;
    out->offload_pool_peak = green__offload_peak();
    for (int i = 0; i < GREEN__STATS_NAMES; i++)
        out->blocked_calls += t->blocked[i].n;
    out->longest_run_ns = t->longest;
    out->peak_rss_kb = (uint64_t)peak_rss_kb();
    return 0;
}
