/* Keys: the registry, per-thread slots, and destructors at thread end. */
#include "key.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "common.h"
#include "oslock.h"
#include "thread.h"

#define DESTRUCTOR_ROUNDS 4  /* PTHREAD_DESTRUCTOR_ITERATIONS */

static struct {
    atomic_uintptr_t seq;        /* odd: live */
    void (*_Atomic dtor)(void *);
} keys[GREEN_KEYS_MAX];

static struct green__oslock lock;  /* serialises create and delete */

int green_key_create(green_key_t *key, void (*destructor)(void *))
{
    green__oslock_lock(&lock);
    for (unsigned i = 0; i < GREEN_KEYS_MAX; i++) {
        uintptr_t s = atomic_load(&keys[i].seq);
        if (s & 1)
            continue;
        atomic_store(&keys[i].dtor, destructor);
        atomic_store(&keys[i].seq, s + 1);
        green__oslock_unlock(&lock);
        *key = i;
        return 0;
    }
    green__oslock_unlock(&lock);
    return errno = EAGAIN, -1;
}

int green_key_delete(green_key_t key)
{
    int r = -EINVAL;
    green__oslock_lock(&lock);
    if (key < GREEN_KEYS_MAX) {
        uintptr_t s = atomic_load(&keys[key].seq);
        if (s & 1) {
            atomic_store(&keys[key].seq, s + 1);
            r = 0;
        }
    }
    green__oslock_unlock(&lock);
    return (int)green__set_errno(r);
}

void *green_getspecific(green_key_t key)
{
    struct green_thread *t = green__self();
    if (!t || key >= t->nkeys)
        return NULL;
    struct green__key_slot *slot = &t->keys[key];
    return slot->seq == atomic_load_explicit(&keys[key].seq,
                                             memory_order_relaxed)
               ? slot->value : NULL;
}

int green_setspecific(green_key_t key, const void *value)
{
    struct green_thread *t = green__self();
    if (key >= GREEN_KEYS_MAX || !(atomic_load(&keys[key].seq) & 1))
        return errno = EINVAL, -1;
    if (!t)
        return errno = ENOMEM, -1;
    if (key >= t->nkeys) {
        unsigned n = (key + 8) & ~7u;
        struct green__key_slot *a = realloc(t->keys, n * sizeof *a);
        if (!a)
            return errno = ENOMEM, -1;
        for (unsigned i = t->nkeys; i < n; i++)
            a[i] = (struct green__key_slot){0, NULL};
        t->keys = a;
        t->nkeys = n;
    }
    t->keys[key] = (struct green__key_slot){atomic_load(&keys[key].seq),
                                            (void *)value};
    return 0;
}

void green__key_run_destructors(struct green_thread *t)
{
    for (int round = 0; round < DESTRUCTOR_ROUNDS; round++) {
        int ran = 0;
        for (unsigned i = 0; i < t->nkeys; i++) {
            struct green__key_slot *slot = &t->keys[i];
            void (*dtor)(void *) = atomic_load(&keys[i].dtor);
            if (!slot->value || slot->seq != atomic_load(&keys[i].seq) ||
                !dtor)
                continue;
            void *v = slot->value;
            slot->value = NULL;
            dtor(v);  /* may set keys again, or block */
            ran = 1;
        }
        if (!ran)
            break;
    }
    free(t->keys);
    t->keys = NULL;
    t->nkeys = 0;
}
