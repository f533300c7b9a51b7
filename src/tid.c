/* Green thread ids; see tid.h. Ids are handed out lazily: most threads
 * never ask for theirs, so spawning costs nothing, and only a thread that
 * called gettid() enters the table through which a later tgkill or
 * sched_setaffinity finds it. The table is open addressing with linear
 * probing on the id, under one lock (ids are asked for rarely, and looked
 * up more rarely still). */
#include "tid.h"

#include <errno.h>
#include <stdlib.h>

#include "hub.h"
#include "oslock.h"
#include "thread.h"

#define TOMB ((struct green_thread *)1)

static struct green__oslock lock;
static struct green_thread **slots;  /* NULL, TOMB or a thread */
static size_t cap, used;             /* used counts tombstones too */

static pid_t id_of(const struct green_thread *t)
{
    return GREEN__TID_BASE + (pid_t)(t->id & 0x3fffffff);
}

static size_t home(pid_t tid)
{
    return ((size_t)tid * 0x9e3779b97f4a7c15u) >> 20 & (cap - 1);
}

static int grow(void)
{
    size_t ncap = cap ? cap * 2 : 64;
    struct green_thread **n = calloc(ncap, sizeof *n);
    if (!n)
        return -ENOMEM;
    struct green_thread **old = slots;
    size_t ocap = cap;
    slots = n;
    cap = ncap;
    used = 0;
    for (size_t i = 0; i < ocap; i++) {
        if (old[i] && old[i] != TOMB) {
            size_t j = home(id_of(old[i]));
            while (slots[j])
                j = (j + 1) & (cap - 1);
            slots[j] = old[i];
            used++;
        }
    }
    free(old);
    return 0;
}

/* The slot of tid, or NULL. Under the lock. */
static struct green_thread **find(pid_t tid)
{
    if (!cap)
        return NULL;
    for (size_t j = home(tid);; j = (j + 1) & (cap - 1)) {
        if (!slots[j])
            return NULL;
        if (slots[j] != TOMB && id_of(slots[j]) == tid)
            return &slots[j];
    }
}

pid_t green__tid_of(struct green_thread *t)
{
    if (t == &t->hub->first)
        return t->hub->tid;
    if (!t->tid_known) {
        green__oslock_lock(&lock);
        /* Without room the id is still given, only not findable. */
        if ((used + 1) * 2 <= cap || grow() == 0) {
            size_t j = home(id_of(t));
            while (slots[j] && slots[j] != TOMB)
                j = (j + 1) & (cap - 1);
            used += !slots[j];
            slots[j] = t;
            t->tid_known = true;
        }
        green__oslock_unlock(&lock);
    }
    return id_of(t);
}

void green__tid_forget(struct green_thread *t)
{
    green__oslock_lock(&lock);
    struct green_thread **s = find(id_of(t));
    if (s)
        *s = TOMB;
    green__oslock_unlock(&lock);
}

struct green_thread *green__tid_find(pid_t tid, struct green__hub **hub)
{
    green__oslock_lock(&lock);
    struct green_thread **s = find(tid);
    struct green_thread *t = s && (*s)->state != GREEN__ENDED ? *s : NULL;
    if (t)
        *hub = t->hub;
    green__oslock_unlock(&lock);
    return t;
}

pid_t green__tid_os(pid_t tid)
{
    struct green__hub *h;
    if (!green__tid_green(tid))
        return tid;
    return green__tid_find(tid, &h) ? h->tid : -ESRCH;
}
