/* Green-thread stacks: mmap'd with MAP_NORESERVE, so only the pages a
 * thread touches cost memory; pooled per hub for reuse.
 *
 * While the process holds few mappings, each stack is its own mapping with
 * a PROT_NONE guard page below it (two entries against vm.max_map_count).
 * Past a share of that limit, stacks are carved from large slabs with no
 * guard page; the bottom of each such stack is a zero canary zone that
 * green__stack_intact() checks at every switch. Reading the untouched zone
 * maps the kernel's shared zero page, so the check costs no memory. A
 * freed stack beyond the hub's cache gives its pages back but keeps its
 * address range (and its guard page) for the next thread of its size. */
#ifndef GREEN_SRC_STACK_H
#define GREEN_SRC_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GREEN__STACK_MIN (16 * 1024)
#define GREEN__CANARY_ZONE 256  /* bytes below lo that must stay zero */

/* The canary of stacks that need none (guarded, or the OS thread's own). */
extern const uint64_t green__stack_zero[GREEN__CANARY_ZONE / 8];

struct green__stack {
    char *lo;               /* lowest usable byte */
    char *hi;               /* one past the highest usable byte */
    const uint64_t *canary; /* zone start; a static zero for guarded stacks */
    bool guarded;           /* own mapping, guard page just below lo */
    bool user;              /* the program's memory (pthread_attr_setstack):
                               never unmapped, never cached */
};

struct green__stack_cache {
    struct green__stack_free *head;  /* free stacks, most recent first */
    unsigned count;
    size_t hot;  /* bytes at the top that a new thread writes at once (its
                    TLS block, thread.c): committed in batches for new slab
                    stacks; 0 for the top page alone */
};

/* Gets a stack with at least `size` usable bytes (rounded up to pages),
 * from the cache if one fits. Returns 0 or -ENOMEM / -EINVAL. */
int green__stack_alloc(struct green__stack_cache *c, size_t size,
                       struct green__stack *out);

/* Gives a stack back to the cache of the calling OS thread's hub, or to
 * the system when the cache is full; a user stack is left alone. The
 * stack must not be in use. */
void green__stack_free(struct green__stack_cache *c,
                       const struct green__stack *s);

/* Releases every cached stack (hub teardown). */
void green__stack_cache_drain(struct green__stack_cache *c);

/* False if the canary zone of an unguarded stack was written: the stack
 * overflowed. */
static inline bool green__stack_intact(const struct green__stack *s)
{
    const uint64_t *z = s->canary;
    return (z[0] | z[GREEN__CANARY_ZONE / 8 - 1]) == 0;
}

/* True if addr lies in the guard page or canary zone just below s. */
bool green__stack_below(const struct green__stack *s, const void *addr);

/* Allocates and frees raw guarded stacks for internal contexts (the hub's
 * scheduler, the signal stack); no cache. */
int green__stack_map(size_t size, struct green__stack *out);
void green__stack_unmap(const struct green__stack *s);

/* Number of guarded stacks currently mapped (for tests and stats). */
size_t green__stack_guarded_count(void);

#endif
