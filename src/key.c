/* Keys: the registry, per-thread slots, and destructors at thread end. */
#include "key.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "common.h"
#include "hub.h"
#include "real.h"
#include "oslock.h"
#include "thread.h"

#define DESTRUCTOR_ROUNDS 4  /* PTHREAD_DESTRUCTOR_ITERATIONS */

static struct {
    atomic_uintptr_t seq;        /* odd: live */
    void (*_Atomic dtor)(void *);
} keys[GREEN_KEYS_MAX];

static struct green__oslock lock;  /* serialises create and delete */

int green__key_create(unsigned *key, void (*destructor)(void *))
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
    return -EAGAIN;
}

int green__key_delete(unsigned key)
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
    return r;
}

/* An OS thread's own context (adopted by a hub or not) keeps its values
 * here, not in a hub's struct: a pthread_setspecific must not make a hub
 * (and allocate) in a thread that never goes green, and allocators such
 * as jemalloc call it from inside malloc. As in glibc, the first 32 keys
 * need no allocation; a real key's destructor runs ours at thread exit. */
#define OS_INLINE 32
static __thread struct green__key_slot os_inline[OS_INLINE];
static __thread struct green__key_slot *os_extra;  /* keys >= OS_INLINE */
static __thread unsigned os_nextra;
static pthread_key_t os_exit_key;

static void run_destructors(struct green__key_slot *(*at)(void *, unsigned),
                            void *owner, unsigned nkeys);

static struct green__key_slot *os_at(void *unused, unsigned key)
{
    (void)unused;
    if (key < OS_INLINE)
        return &os_inline[key];
    return key - OS_INLINE < os_nextra ? &os_extra[key - OS_INLINE] : NULL;
}

static void os_exit(void *unused)
{
    (void)unused;
    run_destructors(os_at, NULL, OS_INLINE + os_nextra);
    free(os_extra);
    os_extra = NULL;
    os_nextra = 0;
}

static void make_os_exit_key(void)
{
    if (green__reals()->pthread_key_create(&os_exit_key, os_exit) != 0)
        green__panic(__FILE__, __LINE__, "no pthread key for key values");
}

static struct green__key_slot *green_at(void *owner, unsigned key)
{
    struct green_thread *t = owner;
    return key < t->nkeys ? &t->keys[key] : NULL;
}

/* The calling context's slot for key, or NULL if it has none yet. */
static struct green__key_slot *slot(unsigned key, struct green_thread **t)
{
    struct green__hub *h = green__hub_current();
    *t = h && h->current != &h->first ? h->current : NULL;
    return *t ? green_at(*t, key) : os_at(NULL, key);
}

/* Grows *keys (of *n) to hold key; new slots are empty. */
static int grow(struct green__key_slot **keys, unsigned *n, unsigned key)
{
    unsigned want = (key + 8) & ~7u;
    struct green__key_slot *a = realloc(*keys, want * sizeof *a);
    if (!a)
        return -ENOMEM;
    for (unsigned i = *n; i < want; i++)
        a[i] = (struct green__key_slot){0, NULL};
    *keys = a;
    *n = want;
    return 0;
}

void *green_getspecific(green_key_t key)
{
    struct green_thread *t;
    struct green__key_slot *s = key < GREEN_KEYS_MAX ? slot(key, &t) : NULL;
    return s && s->seq == atomic_load_explicit(&keys[key].seq,
                                               memory_order_relaxed)
               ? s->value : NULL;
}

int green__setspecific(unsigned key, const void *value)
{
    if (key >= GREEN_KEYS_MAX || !(atomic_load(&keys[key].seq) & 1))
        return -EINVAL;
    struct green_thread *t;
    struct green__key_slot *s = slot(key, &t);
    if (!s) {
        int r = t ? grow(&t->keys, &t->nkeys, key)
                  : grow(&os_extra, &os_nextra, key - OS_INLINE);
        if (r < 0)
            return r;
        s = slot(key, &t);
    }
    if (!t && value) {  /* have os_exit run at this OS thread's exit */
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        const struct green__real *real = green__reals();
        real->pthread_once(&once, make_os_exit_key);
        if (!real->pthread_getspecific(os_exit_key))
            real->pthread_setspecific(os_exit_key, os_inline);
    }
    *s = (struct green__key_slot){atomic_load(&keys[key].seq), (void *)value};
    return 0;
}

int green_key_create(green_key_t *key, void (*destructor)(void *))
{
    return (int)green__set_errno(green__key_create(key, destructor));
}

int green_key_delete(green_key_t key)
{
    return (int)green__set_errno(green__key_delete(key));
}

int green_setspecific(green_key_t key, const void *value)
{
    return (int)green__set_errno(green__setspecific(key, value));
}

static void run_destructors(struct green__key_slot *(*at)(void *, unsigned),
                            void *owner, unsigned nkeys)
{
    for (int round = 0; round < DESTRUCTOR_ROUNDS; round++) {
        int ran = 0;
        for (unsigned i = 0; i < nkeys && i < GREEN_KEYS_MAX; i++) {
            struct green__key_slot *s = at(owner, i);
            void (*dtor)(void *) = atomic_load(&keys[i].dtor);
            if (!s || !s->value || s->seq != atomic_load(&keys[i].seq) ||
                !dtor)
                continue;
            void *v = s->value;
            s->value = NULL;
            dtor(v);  /* may set keys again (growing them), or block */
            ran = 1;
        }
        if (!ran)
            break;
    }
}

void green__key_run_destructors(struct green_thread *t)
{
    if (t == &t->hub->first)
        return;  /* an OS thread's own: os_exit runs them at its exit */
    run_destructors(green_at, t, t->nkeys);
    free(t->keys);
    t->keys = NULL;
    t->nkeys = 0;
}
