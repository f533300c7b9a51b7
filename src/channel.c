/* Channels: a ring buffer and two FIFO queues of blocked waiters (senders,
 * receivers) under one oslock. Every blocking call is a select: send and
 * recv are selects of one operation. A select locks all its channels in
 * address order (so two selects never deadlock), tries each operation in
 * array order, and if none can proceed enqueues one waiter per operation
 * and parks; while it holds the locks nothing can claim it.
 *
 * The waiters of one select share a `struct sel`. A waker claims it with a
 * CAS (WAITING -> CLAIMED) under its channel's lock, copies the message
 * straight into or out of the waiter's buffer, and after unlocking unparks
 * the thread and marks the sel DONE; the selecting thread never returns
 * while its sel is CLAIMED, so no waker touches a record that has gone (the
 * handshake of futex.c). A timeout or kill is the owner's own CAS, WAITING
 * -> DONE: whoever wins decides whether the operation happened. A waiter
 * whose sel was won elsewhere is stale: wakers skip it and only its owner
 * unlinks it, so a channel stays busy (green_chan_free: EBUSY) until every
 * select on it has finished with it.
 *
 * Not handled: an unbounded channel grows (doubling) with realloc under
 * its lock, and a send fails with ENOMEM if that fails. */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "common.h"
#include "green.h"
#include "oslock.h"
#include "thread.h"
#include "wait.h"

enum { WAITING, CLAIMED, DONE };
enum { NLOCAL = 8 };  /* ops a select handles without allocating */

/* One select call (or send, or recv), on the caller's stack. */
struct sel {
    struct green_thread *t;
    atomic_int state;  /* WAITING, CLAIMED (a waker delivers), DONE */
    size_t index;      /* the op that completed; set before DONE */
    int err;           /* its result: 0 or EPIPE; set before DONE */
};

/* One op of a select, queued on its channel. */
struct waiter {
    struct waiter *next, *prev;  /* the channel's sendq or recvq */
    struct waiter *woken;        /* a waker's private list of claimed ones */
    struct sel *sel;
    void *item;                  /* message to send, or buffer to fill */
    size_t index;                /* of the op in the select */
};

struct queue {
    struct waiter *head, *tail;
};

struct green_chan {
    struct green__oslock lock;
    size_t item_size;
    size_t cap;           /* 0: rendezvous; GREEN_CHAN_UNBOUNDED: grows */
    size_t size;          /* slots in buf (cap, unless unbounded) */
    size_t head;          /* slot of the oldest buffered message */
    size_t count;         /* buffered messages */
    unsigned char *buf;
    struct queue sendq;   /* blocked senders, oldest first */
    struct queue recvq;   /* blocked receivers; only when count is 0 */
    bool closed;
};

static void append(struct queue *q, struct waiter *w)
{
    w->next = NULL;
    w->prev = q->tail;
    *(q->tail ? &q->tail->next : &q->head) = w;
    q->tail = w;
}

static void unlink_waiter(struct queue *q, struct waiter *w)
{
    *(w->prev ? &w->prev->next : &q->head) = w->next;
    *(w->next ? &w->next->prev : &q->tail) = w->prev;
}

/* Under the lock: wins w's select for this call (its sel then CLAIMED,
 * with w's op as the one done, with result err) and unlinks w. Fails if
 * the select was already won, elsewhere or by its own timeout or kill;
 * such a stale w stays queued until its owner unlinks it. The caller
 * completes w's op, then deliver()s it. */
static bool take(struct queue *q, struct waiter *w, int err)
{
    int s = WAITING;
    if (!atomic_compare_exchange_strong(&w->sel->state, &s, CLAIMED))
        return false;
    unlink_waiter(q, w);
    w->sel->index = w->index;
    w->sel->err = err;
    w->woken = NULL;
    return true;
}

/* The oldest waiter of q that take() wins, or NULL. */
static struct waiter *claim(struct queue *q)
{
    for (struct waiter *w = q->head; w; w = w->next)
        if (take(q, w, 0))
            return w;
    return NULL;
}

/* After unlocking: wakes each claimed waiter; it may be gone once DONE. */
static void deliver(struct waiter *list)
{
    while (list) {
        struct waiter *next = list->woken;
        struct sel *sel = list->sel;
        green__unpark(sel->t, 0);
        atomic_store_explicit(&sel->state, DONE, memory_order_release);
        list = next;
    }
}

static unsigned char *slot(struct green_chan *ch, size_t i)
{
    return ch->buf + (ch->head + i) % ch->size * ch->item_size;
}

/* Makes room for one more message in an unbounded channel. */
static int grow(struct green_chan *ch)
{
    size_t n = ch->size ? ch->size * 2 : 16;
    if (n < ch->size || n > SIZE_MAX / ch->item_size)
        return -ENOMEM;
    unsigned char *b = realloc(ch->buf, n * ch->item_size);
    if (!b)
        return -ENOMEM;
    /* The ring is full: its messages are at [head, size), then any that
     * wrapped at [0, count - first); move those after the first part. */
    size_t first = ch->size - ch->head;
    if (ch->count > first)
        memcpy(b + ch->size * ch->item_size, b,
               (ch->count - first) * ch->item_size);
    ch->buf = b;
    ch->size = n;
    return 0;
}

/* Under the lock. Returns 1 (sent), 0 (would block), -EPIPE or -ENOMEM;
 * sets *wake to a receiver served directly. */
static int try_send(struct green_chan *ch, const void *item,
                    struct waiter **wake)
{
    if (ch->closed)
        return -EPIPE;
    struct waiter *w = claim(&ch->recvq);
    if (w) {
        memcpy(w->item, item, ch->item_size);
        *wake = w;
        return 1;
    }
    if (ch->count == ch->cap)
        return 0;
    if (ch->count == ch->size) {
        int r = grow(ch);
        if (r < 0)
            return r;
    }
    memcpy(slot(ch, ch->count++), item, ch->item_size);
    return 1;
}

/* Under the lock. Returns 1 (received), 0 (would block) or -EPIPE (closed
 * and drained); sets *wake to a sender it took a message from. */
static int try_recv(struct green_chan *ch, void *item, struct waiter **wake)
{
    if (ch->count) {
        memcpy(item, slot(ch, 0), ch->item_size);
        ch->head = (ch->head + 1) % ch->size;
        ch->count--;
        /* A full buffer: the oldest blocked sender takes the freed slot. */
        struct waiter *w = claim(&ch->sendq);
        if (w) {
            memcpy(slot(ch, ch->count++), w->item, ch->item_size);
            *wake = w;
        }
        return 1;
    }
    struct waiter *w = claim(&ch->sendq);
    if (w) {  /* rendezvous: straight from the sender */
        memcpy(item, w->item, ch->item_size);
        *wake = w;
        return 1;
    }
    return ch->closed ? -EPIPE : 0;
}

/* Locks or unlocks the channels of ops, each once, in address order. */
static void lock_all(struct green_chan **order, size_t n, bool lock)
{
    for (size_t i = 0; i < n; i++) {
        if (i && order[i] == order[i - 1])
            continue;
        if (lock)
            green__oslock_lock(&order[i]->lock);
        else
            green__oslock_unlock(&order[i]->lock);
    }
}

static void sort_chans(const struct green_chan_op *ops, size_t n,
                       struct green_chan **order)
{
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        for (; j && (uintptr_t)order[j - 1] > (uintptr_t)ops[i].ch; j--)
            order[j] = order[j - 1];
        order[j] = ops[i].ch;
    }
}

/* Waits until a waker completes one of the registered ops, the deadline,
 * or a kill. Returns 0 (sel says which op) or -ETIMEDOUT, -ECANCELED. */
static int await(struct sel *sel, int64_t deadline)
{
    for (;;) {
        int s = atomic_load_explicit(&sel->state, memory_order_acquire);
        int r = 0;
        if (s == WAITING) {
            r = green__park(deadline);
            if (r == 0)
                continue;  /* a wake (rechecked) or spurious */
            s = WAITING;
            if (atomic_compare_exchange_strong(&sel->state, &s, DONE))
                return r;  /* nothing happened */
        }
        /* Claimed, maybe as well as timed out or killed: it happened. */
        for (unsigned spins = 0; atomic_load_explicit(
                 &sel->state, memory_order_acquire) != DONE; spins++) {
            if (spins < 1000)
                green__cpu_relax();
            else
                green__os_nap(20000);
        }
        if (r == -ECANCELED)
            green__cancel_keep();
        return 0;
    }
}

static long chan_select(struct green_chan_op *ops, size_t n, int64_t deadline)
{
    if (n == 0)
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!ops[i].ch || (ops[i].op != GREEN_CHAN_SEND &&
                           ops[i].op != GREEN_CHAN_RECV))
            return -EINVAL;
    struct sel sel = {.t = green__self()};
    if (!sel.t)
        return -ENOMEM;
    struct waiter lw[NLOCAL], *ws = lw;
    struct green_chan *lo[NLOCAL], **order = lo;
    if (n > NLOCAL) {
        ws = malloc(n * (sizeof *ws + sizeof *order));
        if (!ws)
            return -ENOMEM;
        order = (struct green_chan **)(ws + n);
    }
    sort_chans(ops, n, order);
    lock_all(order, n, true);
    struct waiter *wake = NULL;
    long r = 0;
    size_t i = 0;
    for (; i < n && !r; i++) {
        struct green_chan *ch = ops[i].ch;
        r = ops[i].op == GREEN_CHAN_SEND ? try_send(ch, ops[i].item, &wake)
                                         : try_recv(ch, ops[i].item, &wake);
    }
    for (size_t j = 0; j < n && !r; j++) {
        ws[j] = (struct waiter){.sel = &sel, .item = ops[j].item, .index = j};
        struct green_chan *ch = ops[j].ch;
        append(ops[j].op == GREEN_CHAN_SEND ? &ch->sendq : &ch->recvq, &ws[j]);
    }
    lock_all(order, n, false);
    deliver(wake);
    if (r == 1 || r == -EPIPE) {  /* done at once */
        ops[i - 1].err = r < 0 ? EPIPE : 0;
        r = (long)(i - 1);
    } else if (r == 0) {
        green__wait_why(GREEN__WHY_CHANNEL, ops[0].ch, (int64_t)n);
        r = await(&sel, deadline);
        /* Every waiter but the one a waker took is still queued: so a
         * channel this touches cannot have been freed meanwhile. */
        for (size_t j = 0; j < n; j++) {
            struct green_chan *ch = ops[j].ch;
            if (r == 0 && j == sel.index)
                continue;
            green__oslock_lock(&ch->lock);
            unlink_waiter(ops[j].op == GREEN_CHAN_SEND ? &ch->sendq
                                                       : &ch->recvq,
                          &ws[j]);
            green__oslock_unlock(&ch->lock);
        }
        if (r == 0) {
            ops[sel.index].err = sel.err;
            r = (long)sel.index;
        }
    }
    if (ws != lw)
        free(ws);
    return r;
}

green_chan_t green_chan_make(size_t item_size, size_t capacity)
{
    if (item_size == 0)
        return errno = EINVAL, NULL;
    struct green_chan *ch = calloc(1, sizeof *ch);
    if (!ch)
        return errno = ENOMEM, NULL;
    ch->item_size = item_size;
    ch->cap = capacity;
    if (capacity && capacity != GREEN_CHAN_UNBOUNDED) {
        ch->buf = capacity <= SIZE_MAX / item_size
                      ? malloc(capacity * item_size) : NULL;
        if (!ch->buf) {
            free(ch);
            return errno = ENOMEM, NULL;
        }
        ch->size = capacity;
    }
    return ch;
}

int green_chan_send(green_chan_t ch, const void *item, int64_t deadline)
{
    green_chan_op_t op = {ch, GREEN_CHAN_SEND, (void *)item, 0};
    long r = chan_select(&op, 1, deadline);
    return (int)green__set_errno(r < 0 ? r : -op.err);
}

int green_chan_recv(green_chan_t ch, void *item, int64_t deadline)
{
    green_chan_op_t op = {ch, GREEN_CHAN_RECV, item, 0};
    long r = chan_select(&op, 1, deadline);
    return (int)green__set_errno(r < 0 ? r : -op.err);
}

int green_chan_select(green_chan_op_t *ops, size_t n, int64_t deadline)
{
    return (int)green__set_errno(chan_select(ops, n, deadline));
}

int green_chan_close(green_chan_t ch)
{
    struct waiter *list = NULL, **tail = &list;
    green__oslock_lock(&ch->lock);
    bool was = ch->closed;
    ch->closed = true;
    /* Receivers wait only on an empty buffer, which now stays empty. */
    struct queue *qs[2] = {&ch->sendq, &ch->recvq};
    for (int i = 0; i < 2 && !was; i++)
        for (struct waiter *w = qs[i]->head, *next; w; w = next) {
            next = w->next;
            if (take(qs[i], w, EPIPE)) {
                *tail = w;
                tail = &w->woken;
            }
        }
    green__oslock_unlock(&ch->lock);
    deliver(list);
    return was ? (int)green__set_errno(-EPIPE) : 0;
}

int green_chan_free(green_chan_t ch)
{
    green__oslock_lock(&ch->lock);
    bool busy = ch->sendq.head || ch->recvq.head;
    green__oslock_unlock(&ch->lock);
    if (busy)
        return (int)green__set_errno(-EBUSY);
    free(ch->buf);
    free(ch);
    return 0;
}
