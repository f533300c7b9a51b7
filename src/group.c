/* Groups and pools: spawn members, wait for all (gather) or for the first
 * to end, kill all; with a limit, spawn waits for a free place.
 *
 * A group belongs to one OS thread, so its members all run on that hub and
 * plain fields need no atomics. Members stay joinable: their handles are
 * valid until collected, when the group joins them. Every member's end
 * wakes every green thread waiting on the group; each rechecks. */
#include <errno.h>
#include <stdlib.h>

#include "common.h"
#include "green.h"
#include "thread.h"
#include "wait.h"

/* A doubly linked list: members in spawn order, and ended ones in end
 * order, each with O(1) removal. */
struct link {
    struct link *next, *prev;
};

struct list {
    struct link *head, *tail;
};

static void list_add(struct list *l, struct link *k)
{
    k->next = NULL;
    k->prev = l->tail;
    *(l->tail ? &l->tail->next : &l->head) = k;
    l->tail = k;
}

static void list_del(struct list *l, struct link *k)
{
    *(k->prev ? &k->prev->next : &l->head) = k->next;
    *(k->next ? &k->next->prev : &l->tail) = k->prev;
}

struct member {
    struct link all;           /* in group.members, spawn order */
    struct link done;          /* in group.ended once fn returned */
    green_t t;
    struct green_group *g;
    void *(*fn)(void *);
    void *arg;
    int ended;
};

struct waiter {
    struct waiter *next;
    struct green_thread *t;
};

struct green_group {
    size_t limit;              /* 0: none */
    size_t running;            /* members whose fn has not returned */
    size_t count;              /* members not yet collected */
    struct list members;        /* not yet collected */
    struct list ended;          /* ended, not yet collected */
    struct waiter *waiters;    /* threads parked in spawn/gather/wait_any */
};

static void wake_all(struct green_group *g)
{
    for (struct waiter *w = g->waiters; w; w = w->next)
        green__unpark(w->t, 0);
}

/* Parks until ready(g) holds. Returns 0, -ETIMEDOUT or -ECANCELED. */
static int wait_until(struct green_group *g, int (*ready)(struct green_group *),
                      int64_t deadline)
{
    struct waiter w = {g->waiters, green__self()};
    int r = 0;
    g->waiters = &w;
    green__wait_why(GREEN__WHY_GROUP, g, 0);
    while (!ready(g) && (r = green__park(deadline)) >= 0)
        ;
    for (struct waiter **p = &g->waiters; *p; p = &(*p)->next) {
        if (*p == &w) {
            *p = w.next;
            break;
        }
    }
    return ready(g) ? 0 : r;
}

static int has_room(struct green_group *g)
{
    return !g->limit || g->running < g->limit;
}

static int all_ended(struct green_group *g)
{
    return g->running == 0;
}

static int some_ended(struct green_group *g)
{
    return g->ended.head != NULL;
}

static void *member_main(void *arg)
{
    struct member *m = arg;
    void *r = m->fn(m->arg);
    struct green_group *g = m->g;
    m->ended = 1;
    g->running--;
    list_add(&g->ended, &m->done);
    wake_all(g);
    return r;
}

green_group_t green_group_make(size_t limit)
{
    struct green_group *g = calloc(1, sizeof *g);
    if (!g)
        return errno = ENOMEM, NULL;
    g->limit = limit;
    return g;
}

green_t green_group_spawn(green_group_t g, void *(*fn)(void *), void *arg,
                          const green_attr_t *attr, int64_t deadline)
{
    int r = wait_until(g, has_room, deadline);
    if (r < 0)
        return green__set_errno(r), NULL;
    struct member *m = calloc(1, sizeof *m);
    if (!m)
        return errno = EAGAIN, NULL;
    green_attr_t a = attr ? *attr : (green_attr_t){0};
    a.detached = 0;  /* the group collects it */
    *m = (struct member){.g = g, .fn = fn, .arg = arg};
    if (!(m->t = green_spawn(member_main, m, &a))) {
        free(m);
        return NULL;
    }
    list_add(&g->members, &m->all);
    g->running++;
    g->count++;
    return m->t;
}

/* Joins m (it has ended, or is about to), unlinks and frees it. */
static void collect(struct green_group *g, struct member *m, void **result)
{
    void *r = NULL;
    green_join(m->t, &r, GREEN_NEVER);
    if (result)
        *result = r;
    list_del(&g->members, &m->all);
    list_del(&g->ended, &m->done);
    g->count--;
    free(m);
}

long green_group_gather(green_group_t g, void **results, size_t n,
                        int64_t deadline)
{
    int r = wait_until(g, all_ended, deadline);
    if (r < 0)
        return green__set_errno(r);
    long got = 0;
    while (g->members.head) {
        void **slot = results && (size_t)got < n ? &results[got] : NULL;
        collect(g, green__container_of(g->members.head, struct member, all),
                slot);
        got++;
    }
    return got;
}

int green_group_wait_any(green_group_t g, uint64_t *id, void **result,
                         int64_t deadline)
{
    if (!g->count)
        return errno = ENOENT, -1;
    int r = wait_until(g, some_ended, deadline);
    if (r < 0)
        return (int)green__set_errno(r);
    struct member *m = green__container_of(g->ended.head, struct member, done);
    if (id)
        *id = green_id(m->t);
    collect(g, m, result);
    return 0;
}

long green_group_kill(green_group_t g)
{
    long n = 0;
    for (struct link *k = g->members.head; k; k = k->next) {
        struct member *m = green__container_of(k, struct member, all);
        if (!m->ended) {
            green_kill(m->t);
            n++;
        }
    }
    return n;
}

size_t green_group_size(green_group_t g)
{
    return g->count;
}

int green_group_free(green_group_t g)
{
    if (g->count)
        return errno = EBUSY, -1;
    free(g);
    return 0;
}
