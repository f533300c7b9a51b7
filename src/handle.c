/* pthread_t handles of green threads; see handle.h. */
#include "handle.h"

#include <sys/mman.h>

#define CHUNK ((uint32_t)1 << GREEN__HANDLE_CHUNK_BITS)
#define MAX_SLOTS ((uint32_t)1 << GREEN__HANDLE_SLOT_BITS)

struct green__handle_slot *_Atomic green__handle_chunks
    [1u << (GREEN__HANDLE_SLOT_BITS - GREEN__HANDLE_CHUNK_BITS)];

static _Atomic uint32_t used;     /* slots ever handed out */
static _Atomic uint64_t free_top; /* ABA count << 32 | (index + 1), or 0 */

static struct green__handle_slot *slot_at(uint32_t i)
{
    return green__handle_slot(GREEN__HANDLE_TAG | i);
}

/* The chunk of slot i, mapped if it is the first use of it. */
static struct green__handle_slot *chunk_for(uint32_t i)
{
    struct green__handle_slot *_Atomic *p =
        &green__handle_chunks[i >> GREEN__HANDLE_CHUNK_BITS];
    struct green__handle_slot *c = atomic_load(p);
    if (c)
        return c;
    size_t bytes = CHUNK * sizeof *c;
    struct green__handle_slot *fresh = mmap(NULL, bytes,
                                            PROT_READ | PROT_WRITE,
                                            MAP_PRIVATE | MAP_ANONYMOUS,
                                            -1, 0);
    if (fresh == MAP_FAILED)
        return NULL;
    if (atomic_compare_exchange_strong(p, &c, fresh))
        return fresh;
    munmap(fresh, bytes);  /* another thread mapped it first */
    return c;
}

/* A free slot's index, or -1. */
static int64_t take(void)
{
    uint64_t top = atomic_load_explicit(&free_top, memory_order_acquire);
    while ((uint32_t)top) {
        uint32_t i = (uint32_t)top - 1;
        uint32_t next = atomic_load_explicit(&slot_at(i)->next,
                                             memory_order_relaxed);
        uint64_t want = (((top >> 32) + 1) << 32) | next;
        if (atomic_compare_exchange_weak_explicit(&free_top, &top, want,
                                                  memory_order_acquire,
                                                  memory_order_acquire))
            return i;
    }
    uint32_t i = atomic_fetch_add_explicit(&used, 1, memory_order_relaxed);
    if (i >= MAX_SLOTS) {
        atomic_fetch_sub_explicit(&used, 1, memory_order_relaxed);
        return -1;
    }
    if (!chunk_for(i))
        return -1;  /* without memory, the index is lost */
    return i;
}

static void give(uint32_t i)
{
    struct green__handle_slot *s = slot_at(i);
    uint64_t top = atomic_load_explicit(&free_top, memory_order_relaxed);
    do
        atomic_store_explicit(&s->next, (uint32_t)top, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(
        &free_top, &top, (((top >> 32) + 1) << 32) | (i + 1),
        memory_order_release, memory_order_relaxed));
}

uint64_t green__handle_make(struct green_thread *t)
{
    int64_t i = take();
    if (i < 0)
        return 0;
    struct green__handle_slot *s = slot_at((uint32_t)i);
    uint64_t gen = ((atomic_load_explicit(&s->gen, memory_order_relaxed) >>
                     1) + 1) & GREEN__HANDLE_GEN_MASK;
    /* The generation first: a reader that sees the thread sees it. */
    atomic_store_explicit(&s->gen, gen << 1, memory_order_relaxed);
    atomic_store_explicit(&s->thread, t, memory_order_release);
    return GREEN__HANDLE_TAG | gen << GREEN__HANDLE_SLOT_BITS | (uint64_t)i;
}

void green__handle_free(uint64_t h, bool detached)
{
    struct green__handle_slot *s = green__handle_slot(h);
    uint64_t gen = atomic_load_explicit(&s->gen, memory_order_relaxed);
    atomic_store_explicit(&s->gen, (gen & ~(uint64_t)1) | detached,
                          memory_order_relaxed);
    atomic_store_explicit(&s->thread, NULL, memory_order_release);
    give((uint32_t)(h & (MAX_SLOTS - 1)));
}

bool green__handle_detached(uint64_t h)
{
    struct green__handle_slot *s = green__handle_slot(h);
    if (!s || atomic_load_explicit(&s->thread, memory_order_acquire))
        return false;
    uint64_t g = atomic_load_explicit(&s->gen, memory_order_relaxed);
    return (g >> 1) ==
               ((h >> GREEN__HANDLE_SLOT_BITS) & GREEN__HANDLE_GEN_MASK) &&
           (g & 1);
}
