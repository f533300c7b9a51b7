/* Placement; see place.h.
 *
 * A new thread goes to the least loaded of the GREEN_HUBS hubs and stays
 * there: compiled code caches the addresses of its thread-local
 * variables, so a thread never migrates. A hub's load is its threads
 * that want the CPU, the ready and running ones at its last poll (four
 * each: they compete for it now), plus every thread placed on it and not
 * ended (one each: a sleeper is a future request). Threads placed that
 * have not run yet count as placed only: nothing is known of them, and a
 * burst of spawns then alternates over the hubs. A hub not started
 * yet has none. Ties go to the caller's hub, whose wakes cost nothing,
 * then to the lowest index: an accept loop's threads alternate over the
 * hubs, and compute-bound threads spread first.
 *
 * An attribute with a CPU affinity (pthread_attr_setaffinity_np) pins the
 * thread instead: to hub (the lowest CPU in its set) modulo GREEN_HUBS.
 * Hubs are OS threads the kernel schedules freely; none is bound to a
 * CPU. */
#include "place.h"

#include <sched.h>

#include "config.h"
#include "hub.h"

#define BUSY 4

static long load(struct green__hub *h, bool mine)
{
    long placed = atomic_load_explicit(&h->placed, memory_order_relaxed);
    if (mine) {  /* exact, and without the caller, who runs */
        long ready = (long)h->nready -
                     atomic_load_explicit(&h->unstarted, memory_order_relaxed);
        return placed + BUSY * (ready > 0 ? ready : 0);
    }
    return placed +
           BUSY * (long)atomic_load_explicit(&h->busy, memory_order_relaxed);
}

/* The hub an attribute's affinity pins to, or -1. */
static int pinned(const pthread_attr_t *attr)
{
    cpu_set_t set;
    if (!attr || pthread_attr_getaffinity_np(attr, sizeof set, &set) != 0)
        return -1;
    /* None set reads as all ones. A word at a time: every pthread_create
     * with attributes asks, and CPU_COUNT counts 1024 bits. */
    size_t words = sizeof set.__bits / sizeof set.__bits[0], w = 0;
    while (w < words && set.__bits[w] == ~(__cpu_mask)0)
        w++;
    if (w == words)
        return -1;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set))
            return (int)((unsigned)c % green__config_hubs());
    return -1;
}

struct green__hub *green__place(const pthread_attr_t *attr)
{
    struct green__hub *self = green__hub_current();
    unsigned n = green__config_hubs();
    if (n <= 1 || !self || self->index == GREEN__HUB_FOREIGN)
        return NULL;
    int pin = pinned(attr);
    if (pin >= 0)
        return green__hub_slot((unsigned)pin);
    unsigned best = self->index;
    long least = load(self, true);
    for (unsigned i = 0; i < n && least > 0; i++) {
        if (i == self->index)
            continue;
        struct green__hub *h = green__hub_peek(i);
        long l = h ? load(h, false) : 0;
        if (l < least) {
            least = l;
            best = i;
        }
    }
    return best == self->index ? NULL : green__hub_slot(best);
}
