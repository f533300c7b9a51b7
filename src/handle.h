/* pthread_t values for green threads: an index into a table of slots and
 * a generation, never a pointer. The slots are never freed, and a slot's
 * generation changes each time it names a new thread, so a handle kept
 * after its thread was joined (or ended detached) finds no thread, and
 * tells how that one ended, rather than reaching freed or reused memory
 * or a new thread that took its stack.
 *
 * A handle of ours has bit 63 set, which no glibc handle (a user-space
 * address) has: bits 0-23 are the slot, bits 24-62 its generation. The
 * table grows in chunks of mmap'd slots under a fixed top array; readers
 * take no lock, and free slots are kept on a lock-free stack, so any OS
 * thread may make, look up or free a handle, before and after a fork. */
#ifndef GREEN_SRC_HANDLE_H
#define GREEN_SRC_HANDLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct green_thread;

#define GREEN__HANDLE_TAG ((uint64_t)1 << 63)
#define GREEN__HANDLE_SLOT_BITS 24
#define GREEN__HANDLE_GEN_MASK ((((uint64_t)1 << 39) - 1))
#define GREEN__HANDLE_CHUNK_BITS 12

struct green__handle_slot {
    struct green_thread *_Atomic thread;  /* its live thread, or NULL */
    _Atomic uint64_t gen;   /* generation << 1 of the last handle made
                               from it; bit 0: that thread ended
                               detached, not joined */
    _Atomic uint32_t next;  /* free stack link: slot index + 1, or 0 */
};

/* The chunks: slot i is green__handle_chunks[i >> CHUNK_BITS][i & ...]. */
extern struct green__handle_slot *_Atomic green__handle_chunks
    [1u << (GREEN__HANDLE_SLOT_BITS - GREEN__HANDLE_CHUNK_BITS)];

/* Whether h is a handle of ours, naming a thread or not. */
static inline bool green__handle_ours(uint64_t h)
{
    return (h & GREEN__HANDLE_TAG) != 0;
}

static inline struct green__handle_slot *green__handle_slot(uint64_t h)
{
    uint32_t i = (uint32_t)(h & ((1u << GREEN__HANDLE_SLOT_BITS) - 1));
    struct green__handle_slot *c = atomic_load_explicit(
        &green__handle_chunks[i >> GREEN__HANDLE_CHUNK_BITS],
        memory_order_acquire);
    return c ? &c[i & ((1u << GREEN__HANDLE_CHUNK_BITS) - 1)] : NULL;
}

/* The live green thread h names, or NULL: h is glibc's, or its thread
 * was joined or freed after ending detached. */
static inline struct green_thread *green__handle_thread(uint64_t h)
{
    if (!green__handle_ours(h))
        return NULL;
    struct green__handle_slot *s = green__handle_slot(h);
    if (!s)
        return NULL;
    struct green_thread *t =
        atomic_load_explicit(&s->thread, memory_order_acquire);
    uint64_t g = atomic_load_explicit(&s->gen, memory_order_relaxed) >> 1;
    return t && g == ((h >> GREEN__HANDLE_SLOT_BITS) & GREEN__HANDLE_GEN_MASK)
               ? t : NULL;
}

/* A new handle for t (which may be NULL, to name it later with
 * green__handle_bind), or 0 when no slot can be had (ENOMEM, or 2^24
 * handles live at once). */
uint64_t green__handle_make(struct green_thread *t);

/* Makes h, from green__handle_make(NULL), name t. */
static inline void green__handle_bind(uint64_t h, struct green_thread *t)
{
    atomic_store_explicit(&green__handle_slot(h)->thread, t,
                          memory_order_release);
}

/* Called when t's memory goes (thread.c, thread_free): h names no thread
 * from now on, and its slot may be reused. */
void green__handle_free(uint64_t h, bool detached);

/* For a handle of ours that names no thread: whether that thread ended
 * detached (true) or was joined (false). A slot reused since, or never
 * made, answers false. */
bool green__handle_detached(uint64_t h);

#endif
