/* Statistics: plain counters in each hub, for GREEN_STATS (a report at
 * exit, and with a period one line per period) and green_stats(). The
 * counts that cost one add (threads, switches, parks by reason, wakes
 * from other hubs, offloads) are always kept; those that need a clock or
 * a lookup (the longest run without a switch, offloads and blocking
 * calls by name) only with GREEN_STATS, behind one predictable branch.
 * Only the hub's own OS thread writes its counters; readers on other OS
 * threads (green_stats, the report) may see them a little stale. */
#ifndef GREEN_SRC_STATS_H
#define GREEN_SRC_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "why.h"

struct green__hub;
struct green_thread;

#define GREEN__STATS_NAMES 16  /* call names counted per hub */

struct green__stats_count {
    const char *name;  /* a static string: compared by address */
    uint64_t n;
};

struct green__stats {
    uint64_t spawned;          /* green threads created */
    uint64_t peak;             /* most live at once */
    uint64_t switches;         /* a copy of the hub's switch_seq, made
                                  when hubs are summed */
    uint64_t parks[GREEN__WHY_KINDS];
    uint64_t xwakes;           /* wakes that came from another OS thread */
    uint64_t offloads;         /* calls run on the offload pool */
    int64_t run_start;         /* GREEN_STATS: when the current thread
                                  was switched to */
    int64_t longest;           /* GREEN_STATS: longest run, ns ... */
    uint64_t longest_id;       /* ... by this thread ... */
    char longest_name[16];     /* ... of this name */
    struct green__stats_count offloaded[GREEN__STATS_NAMES];
    struct green__stats_count blocked[GREEN__STATS_NAMES]; /* real calls
                                  that blocked the OS thread while other
                                  green threads were ready */
};

/* Registers the report at exit, once, if GREEN_STATS is set. */
void green__stats_setup(void);

/* The periodic line (GREEN_STATS=PERIOD_MS), from the main hub's timer. */
void green__stats_tick(void);

/* Adds a hub's counts to the process's before the hub is freed. */
void green__stats_retire(const struct green__hub *h);

/* GREEN_STATS: t, the current thread of h, stops running now. */
void green__stats_ran(struct green__hub *h, const struct green_thread *t);

void green__stats_blocked_slow(const char *call);
void green__stats_offload_slow(struct green__hub *h, const char *call);

/* A wrapper makes the real call, which may block its OS thread, where
 * other green threads may be ready: counted by name with GREEN_STATS,
 * if some are. */
static inline void green__stats_blocked(const char *call)
{
    if (__builtin_expect(green__config.stats != 0, 0))
        green__stats_blocked_slow(call);
}

#endif
