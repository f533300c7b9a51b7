/* Channels: rendezvous, bounded and unbounded buffers, FIFO order among
 * waiters, close, deadlines, kills that must lose nothing, select, and
 * producers and consumers on several OS threads. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "green.h"
#include "harness.h"

/* Result of a call as a thread result: 0 or -errno. */
static void *res(int r)
{
    return (void *)(intptr_t)(r < 0 ? -errno : 0);
}

static intptr_t join(green_t t)
{
    void *r = NULL;
    ck_assert_int_eq(green_join(t, &r, GREEN_NEVER), 0);
    return (intptr_t)r;
}

/* Lets every other green thread run until all are parked. */
static void settle(void)
{
    for (int i = 0; i < 20; i++)
        green_yield();
}

struct msg {
    green_chan_t ch;
    int value;
    atomic_int done;  /* set when the call returned */
};

static void *send_msg(void *arg)
{
    struct msg *m = arg;
    int r = green_chan_send(m->ch, &m->value, GREEN_NEVER);
    atomic_store(&m->done, 1);
    return res(r);
}

static void *recv_msg(void *arg)
{
    struct msg *m = arg;
    int r = green_chan_recv(m->ch, &m->value, GREEN_NEVER);
    atomic_store(&m->done, 1);
    return res(r);
}

/* ---- basic ------------------------------------------------------------- */

START_TEST(channel_make_errors)
{
    ck_assert_ptr_null(green_chan_make(0, 1));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_ptr_null(green_chan_make(8, SIZE_MAX / 4));
    ck_assert_int_eq(errno, ENOMEM);
}
END_TEST

static void *send_range(void *arg)
{
    struct msg *m = arg;
    for (int i = 0; i < m->value; i++)
        if (green_chan_send(m->ch, &i, GREEN_NEVER) < 0)
            return res(-1);
    return NULL;
}

START_TEST(channel_rendezvous_hands_over)
{
    green_chan_t ch = green_chan_make(sizeof(int), 0);
    /* A send completes only when a receiver takes the message. */
    struct msg m = {ch, 42, 0};
    green_t s = green_spawn(send_msg, &m, NULL);
    settle();
    ck_assert_int_eq(atomic_load(&m.done), 0);
    int v = 0;
    ck_assert_int_eq(green_chan_recv(ch, &v, GREEN_NEVER), 0);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(join(s), 0);
    /* No receiver, no buffer: a send with a past deadline fails. */
    ck_assert_int_eq(green_chan_send(ch, &v, green_now() - 1), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    /* Order is kept. */
    struct msg r = {ch, 1000, 0};
    s = green_spawn(send_range, &r, NULL);
    for (int i = 0; i < 1000; i++) {
        ck_assert_int_eq(green_chan_recv(ch, &v, GREEN_NEVER), 0);
        ck_assert_int_eq(v, i);
    }
    ck_assert_int_eq(join(s), 0);
    ck_assert_int_eq(green_chan_free(ch), 0);
}
END_TEST

START_TEST(channel_bounded_blocks_when_full)
{
    green_chan_t ch = green_chan_make(sizeof(int), 3);
    for (int i = 0; i < 3; i++)  /* room: no wait even with a past deadline */
        ck_assert_int_eq(green_chan_send(ch, &i, green_now() - 1), 0);
    int v = 3;
    ck_assert_int_eq(green_chan_send(ch, &v, green_now() - 1), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    struct msg m = {ch, 3, 0};
    green_t s = green_spawn(send_msg, &m, NULL);
    settle();
    ck_assert_int_eq(atomic_load(&m.done), 0);  /* full: blocked */
    ck_assert_int_eq(green_chan_recv(ch, &v, GREEN_NEVER), 0);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(join(s), 0);  /* resumed by the freed slot */
    for (int i = 1; i <= 3; i++) {
        ck_assert_int_eq(green_chan_recv(ch, &v, green_now() - 1), 0);
        ck_assert_int_eq(v, i);
    }
    ck_assert_int_eq(green_chan_recv(ch, &v, green_now() - 1), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_int_eq(green_chan_free(ch), 0);
}
END_TEST

START_TEST(channel_unbounded_never_blocks)
{
    enum { N = 100000 };
    green_chan_t ch = green_chan_make(sizeof(int), GREEN_CHAN_UNBOUNDED);
    int v;
    /* Interleave a little so that growth happens with a wrapped ring. */
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(green_chan_send(ch, &i, green_now() - 1), 0);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(green_chan_recv(ch, &v, GREEN_NEVER), 0);
        ck_assert_int_eq(v, i);
    }
    for (int i = 10; i < N; i++)
        ck_assert_int_eq(green_chan_send(ch, &i, green_now() - 1), 0);
    for (int i = 5; i < N; i++) {
        ck_assert_int_eq(green_chan_recv(ch, &v, green_now() - 1), 0);
        ck_assert_int_eq(v, i);
    }
    ck_assert_int_eq(green_chan_recv(ch, &v, green_now() - 1), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_int_eq(green_chan_free(ch), 0);
}
END_TEST

START_TEST(channel_fifo_among_waiters)
{
    enum { K = 16 };
    for (size_t cap = 0; cap <= 2; cap += 2) {
        green_chan_t ch = green_chan_make(sizeof(int), cap);
        int v;
        for (size_t i = 0; i < cap; i++)  /* fill the buffer */
            ck_assert_int_eq(green_chan_send(ch, &(int){-1}, GREEN_NEVER), 0);
        /* Senders blocked in order are served in order. */
        struct msg m[K];
        green_t t[K];
        for (int i = 0; i < K; i++) {
            m[i] = (struct msg){ch, i, 0};
            t[i] = green_spawn(send_msg, &m[i], NULL);
            settle();
        }
        for (size_t i = 0; i < cap; i++)
            ck_assert_int_eq(green_chan_recv(ch, &v, GREEN_NEVER), 0);
        for (int i = 0; i < K; i++) {
            ck_assert_int_eq(green_chan_recv(ch, &v, GREEN_NEVER), 0);
            ck_assert_int_eq(v, i);
        }
        for (int i = 0; i < K; i++)
            ck_assert_int_eq(join(t[i]), 0);
        /* Receivers blocked in order are served in order. */
        for (int i = 0; i < K; i++) {
            m[i] = (struct msg){ch, -1, 0};
            t[i] = green_spawn(recv_msg, &m[i], NULL);
            settle();
        }
        for (int i = 0; i < K; i++)
            ck_assert_int_eq(green_chan_send(ch, &i, GREEN_NEVER), 0);
        for (int i = 0; i < K; i++) {
            ck_assert_int_eq(join(t[i]), 0);
            ck_assert_int_eq(m[i].value, i);
        }
        ck_assert_int_eq(green_chan_free(ch), 0);
    }
}
END_TEST

/* ---- close ------------------------------------------------------------- */

START_TEST(channel_close_drains_then_epipe)
{
    green_chan_t ch = green_chan_make(sizeof(int), 4);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(green_chan_send(ch, &i, GREEN_NEVER), 0);
    ck_assert_int_eq(green_chan_close(ch), 0);
    int v = 9;
    ck_assert_int_eq(green_chan_send(ch, &v, GREEN_NEVER), -1);
    ck_assert_int_eq(errno, EPIPE);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(green_chan_recv(ch, &v, GREEN_NEVER), 0);
        ck_assert_int_eq(v, i);
    }
    ck_assert_int_eq(green_chan_recv(ch, &v, GREEN_NEVER), -1);
    ck_assert_int_eq(errno, EPIPE);
    ck_assert_int_eq(green_chan_close(ch), -1);  /* twice */
    ck_assert_int_eq(errno, EPIPE);
    ck_assert_int_eq(green_chan_free(ch), 0);
}
END_TEST

START_TEST(channel_close_wakes_waiters)
{
    green_chan_t full = green_chan_make(sizeof(int), 1);
    green_chan_t empty = green_chan_make(sizeof(int), 0);
    ck_assert_int_eq(green_chan_send(full, &(int){7}, GREEN_NEVER), 0);
    struct msg s[3], r[3];
    green_t ts[3], tr[3];
    for (int i = 0; i < 3; i++) {
        s[i] = (struct msg){full, i, 0};
        ts[i] = green_spawn(send_msg, &s[i], NULL);
        r[i] = (struct msg){empty, -1, 0};
        tr[i] = green_spawn(recv_msg, &r[i], NULL);
    }
    settle();
    ck_assert_int_eq(green_chan_free(full), -1);
    ck_assert_int_eq(errno, EBUSY);
    ck_assert_int_eq(green_chan_free(empty), -1);
    ck_assert_int_eq(errno, EBUSY);
    ck_assert_int_eq(green_chan_close(full), 0);
    ck_assert_int_eq(green_chan_close(empty), 0);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(join(ts[i]), -EPIPE);
        ck_assert_int_eq(join(tr[i]), -EPIPE);
        ck_assert_int_eq(r[i].value, -1);
    }
    /* Blocked senders added nothing; what was buffered drains. */
    int v;
    ck_assert_int_eq(green_chan_recv(full, &v, GREEN_NEVER), 0);
    ck_assert_int_eq(v, 7);
    ck_assert_int_eq(green_chan_recv(full, &v, GREEN_NEVER), -1);
    ck_assert_int_eq(errno, EPIPE);
    ck_assert_int_eq(green_chan_free(full), 0);
    ck_assert_int_eq(green_chan_free(empty), 0);
}
END_TEST

/* ---- deadlines --------------------------------------------------------- */

START_TEST(channel_deadline_send_and_recv)
{
    green_chan_t ch = green_chan_make(sizeof(int), 1);
    int v = 1;
    for (int i = 0; i < 2; i++) {
        int64_t t0 = green_now(), d = t0 + MS(20);
        int r = i ? green_chan_send(ch, &v, d) : green_chan_recv(ch, &v, d);
        ck_assert_int_eq(r, -1);
        ck_assert_int_eq(errno, ETIMEDOUT);
        ck_assert_time(green_now(), d, d, MS(30));
        if (!i)  /* now fill it, so that the send must wait */
            ck_assert_int_eq(green_chan_send(ch, &v, GREEN_NEVER), 0);
    }
    /* The timed-out waiters left nothing behind. */
    ck_assert_int_eq(green_chan_recv(ch, &v, green_now() - 1), 0);
    ck_assert_int_eq(green_chan_free(ch), 0);
}
END_TEST

/* ---- kill -------------------------------------------------------------- */

START_TEST(channel_kill_blocked_recv_and_send)
{
    green_chan_t ch = green_chan_make(sizeof(int), 0);
    struct msg r = {ch, -1, 0}, s = {ch, 5, 0};
    green_t tr = green_spawn(recv_msg, &r, NULL);
    settle();
    green_kill(tr);
    ck_assert_int_eq(join(tr), -ECANCELED);
    green_t ts = green_spawn(send_msg, &s, NULL);
    settle();
    green_kill(ts);
    ck_assert_int_eq(join(ts), -ECANCELED);
    /* Neither took nor left a message. */
    int v = 8;
    ck_assert_int_eq(green_chan_send(ch, &v, green_now() + MS(5)), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_int_eq(green_chan_recv(ch, &v, green_now() + MS(5)), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_int_eq(r.value, -1);
    ck_assert_int_eq(green_chan_free(ch), 0);
}
END_TEST

/* Receives once, then reports how its next blocking call fails. */
static void *recv_then_block(void *arg)
{
    struct msg *m = arg;
    int r = green_chan_recv(m->ch, &m->value, GREEN_NEVER);
    atomic_store(&m->done, r < 0 ? -errno : 1);
    int v;
    return res(green_chan_recv(m->ch, &v, green_now() + MS(200)));
}

START_TEST(channel_kill_after_delivery_is_kept)
{
    green_chan_t ch = green_chan_make(sizeof(int), 0);
    for (int kill_first = 0; kill_first < 2; kill_first++) {
        /* Served and killed before it runs again: the recv happened, so
         * it succeeds, and the kill fails the next call instead. */
        struct msg m = {ch, -1, 0};
        green_t t = green_spawn(recv_then_block, &m, NULL);
        settle();
        if (kill_first)
            green_kill(t);
        ck_assert_int_eq(green_chan_send(ch, &(int){kill_first + 1},
                                         green_now() - 1), 0);
        if (!kill_first)
            green_kill(t);
        ck_assert_int_eq(join(t), -ECANCELED);
        ck_assert_int_eq(atomic_load(&m.done), 1);
        ck_assert_int_eq(m.value, kill_first + 1);
    }
    ck_assert_int_eq(green_chan_free(ch), 0);
}
END_TEST

/* Kills racing with deliveries from another OS thread: a killed call must
 * have done nothing, a call that did something must report success. */
enum { KN = 20000, KW = 8 };
static green_chan_t kch;
static atomic_int seen[KN];
static green_t _Atomic kth[KW];
static atomic_int kills_over;  /* joining (freeing) kth is safe now */
static atomic_int kcanceled;   /* calls that failed with ECANCELED */

static void *kill_receiver(void *arg)
{
    atomic_store(&kth[(intptr_t)arg], green_self());
    for (;;) {
        int v;
        if (green_chan_recv(kch, &v, GREEN_NEVER) == 0)
            atomic_fetch_add(&seen[v], 1);
        else if (errno == EPIPE)
            return NULL;
        else {
            ck_assert_int_eq(errno, ECANCELED);
            atomic_fetch_add(&kcanceled, 1);
        }
    }
}

static void *kill_sender(void *arg)
{
    atomic_store(&kth[(intptr_t)arg], green_self());
    for (int i = (int)(intptr_t)arg; i < KN;) {
        if (green_chan_send(kch, &i, GREEN_NEVER) == 0)
            i += KW;
        else {  /* not sent: again */
            ck_assert_int_eq(errno, ECANCELED);
            atomic_fetch_add(&kcanceled, 1);
        }
    }
    return NULL;
}

/* On its own OS thread: KW green threads, receivers or senders. */
static void *kill_side(void *arg)
{
    void *(*fn)(void *) = arg ? kill_sender : kill_receiver;
    green_t t[KW];
    for (intptr_t i = 0; i < KW; i++)
        t[i] = green_spawn(fn, (void *)i, NULL);
    while (!atomic_load(&kills_over))
        green_sleep(100000);
    for (int i = 0; i < KW; i++)
        join(t[i]);
    return NULL;
}

static void kill_race(size_t cap, bool kill_senders)
{
    kch = green_chan_make(sizeof(int), cap);
    pthread_t p;
    pthread_create(&p, NULL, kill_side, kill_senders ? &p : NULL);
    for (int i = 0; i < KW; i++)
        while (!atomic_load(&kth[i]))
            green_sleep(100000);
    unsigned seed = 1;
    int v = 0, got = 0;
    for (int i = 0; kill_senders ? got < KN : i < KN; i++) {
        if (kill_senders) {
            ck_assert_int_eq(green_chan_recv(kch, &v, GREEN_NEVER), 0);
            atomic_fetch_add(&seen[v], 1);
            got++;
        } else {
            ck_assert_int_eq(green_chan_send(kch, &i, GREEN_NEVER), 0);
        }
        if (i % 3 == 0)
            green_kill(atomic_load(&kth[rand_r(&seed) % KW]));
    }
    atomic_store(&kills_over, 1);
    if (!kill_senders)
        green_chan_close(kch);
    pthread_join(p, NULL);
    for (int i = 0; i < KN; i++)
        ck_assert_msg(seen[i] == 1, "item %d seen %d times", i, seen[i]);
    ck_assert_int_gt(atomic_load(&kcanceled), 0);  /* the race happened */
}

START_TEST(channel_kill_recv_loses_nothing)
{
    kill_race(_i == 0 ? 0 : 4, false);
}
END_TEST

START_TEST(channel_kill_send_loses_nothing)
{
    kill_race(_i == 0 ? 0 : 4, true);
}
END_TEST

static void *select_two(void *arg)
{
    green_chan_op_t *ops = arg;
    int r = green_chan_select(ops, 2, GREEN_NEVER);
    return (void *)(intptr_t)(r < 0 ? -errno : r);
}

START_TEST(channel_kill_blocked_select)
{
    green_chan_t a = green_chan_make(sizeof(int), 0);
    green_chan_t b = green_chan_make(sizeof(int), 1);
    int x = -1, y = -1;
    green_chan_op_t ops[2] = {{a, GREEN_CHAN_RECV, &x, 0},
                              {b, GREEN_CHAN_RECV, &y, 0}};
    green_t t = green_spawn(select_two, ops, NULL);
    settle();
    green_kill(t);
    ck_assert_int_eq(join(t), -ECANCELED);
    ck_assert_int_eq(green_chan_free(a), 0);  /* unregistered from both */
    /* Nothing consumed: a message sent now stays in the buffer. */
    ck_assert_int_eq(green_chan_send(b, &(int){3}, GREEN_NEVER), 0);
    int v;
    ck_assert_int_eq(green_chan_recv(b, &v, green_now() - 1), 0);
    ck_assert_int_eq(v, 3);
    ck_assert_int_eq(x + y, -2);
    ck_assert_int_eq(green_chan_free(b), 0);
}
END_TEST

/* ---- select ------------------------------------------------------------ */

START_TEST(channel_select_ready_and_order)
{
    green_chan_t a = green_chan_make(sizeof(int), 1);
    green_chan_t b = green_chan_make(sizeof(int), 1);
    int x = 0, y = 0;
    green_chan_op_t ops[2] = {{a, GREEN_CHAN_RECV, &x, 0},
                              {b, GREEN_CHAN_RECV, &y, 0}};
    ck_assert_int_eq(green_chan_send(b, &(int){2}, GREEN_NEVER), 0);
    ck_assert_int_eq(green_chan_select(ops, 2, green_now() - 1), 1);
    ck_assert_int_eq(y, 2);
    ck_assert_int_eq(ops[1].err, 0);
    /* Both ready: array order, and only one is performed. */
    ck_assert_int_eq(green_chan_send(a, &(int){10}, GREEN_NEVER), 0);
    ck_assert_int_eq(green_chan_send(b, &(int){20}, GREEN_NEVER), 0);
    ck_assert_int_eq(green_chan_select(ops, 2, GREEN_NEVER), 0);
    ck_assert_int_eq(x, 10);
    ck_assert_int_eq(green_chan_select(ops, 2, GREEN_NEVER), 1);
    ck_assert_int_eq(y, 20);
    /* A send op: a is empty again, b gets it first in array order. */
    green_chan_op_t sends[2] = {{b, GREEN_CHAN_SEND, &(int){30}, 0},
                                {a, GREEN_CHAN_SEND, &(int){40}, 0}};
    ck_assert_int_eq(green_chan_select(sends, 2, GREEN_NEVER), 0);
    ck_assert_int_eq(green_chan_select(sends, 2, GREEN_NEVER), 1);
    ck_assert_int_eq(green_chan_select(sends, 2, green_now() - 1), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_int_eq(green_chan_recv(b, &x, GREEN_NEVER), 0);
    ck_assert_int_eq(x, 30);
    ck_assert_int_eq(green_chan_recv(a, &x, GREEN_NEVER), 0);
    ck_assert_int_eq(x, 40);
    /* Misuse. */
    ck_assert_int_eq(green_chan_select(ops, 0, GREEN_NEVER), -1);
    ck_assert_int_eq(errno, EINVAL);
    ops[1].op = 3;
    ck_assert_int_eq(green_chan_select(ops, 2, GREEN_NEVER), -1);
    ck_assert_int_eq(errno, EINVAL);
    green_chan_free(a);
    green_chan_free(b);
}
END_TEST

static void *send_later(void *arg)
{
    struct msg *m = arg;
    green_sleep(MS(10));
    return res(green_chan_send(m->ch, &m->value, GREEN_NEVER));
}

START_TEST(channel_select_blocks_until_ready)
{
    green_chan_t a = green_chan_make(sizeof(int), 0);
    green_chan_t b = green_chan_make(sizeof(int), 0);
    int x = -1, y = -1;
    green_chan_op_t ops[2] = {{a, GREEN_CHAN_RECV, &x, 0},
                              {b, GREEN_CHAN_RECV, &y, 0}};
    struct msg m = {b, 77, 0};
    green_t t = green_spawn(send_later, &m, NULL);
    int64_t t0 = green_now();
    ck_assert_int_eq(green_chan_select(ops, 2, GREEN_NEVER), 1);
    ck_assert_time(green_now() - t0, MS(10), MS(10), MS(30));
    ck_assert_int_eq(y, 77);
    ck_assert_int_eq(x, -1);
    ck_assert_int_eq(join(t), 0);
    /* Unregistered from a: nobody waits on either now. */
    ck_assert_int_eq(green_chan_free(a), 0);
    ck_assert_int_eq(green_chan_free(b), 0);
}
END_TEST

START_TEST(channel_select_timeout)
{
    green_chan_t a = green_chan_make(sizeof(int), 0);
    green_chan_t b = green_chan_make(sizeof(int), 1);
    ck_assert_int_eq(green_chan_send(b, &(int){1}, GREEN_NEVER), 0);
    int x;
    green_chan_op_t ops[2] = {{a, GREEN_CHAN_RECV, &x, 0},
                              {b, GREEN_CHAN_SEND, &(int){2}, 0}};
    int64_t t0 = green_now(), d = t0 + MS(20);
    ck_assert_int_eq(green_chan_select(ops, 2, d), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    ck_assert_time(green_now(), d, d, MS(30));
    ck_assert_int_eq(green_chan_free(a), 0);
    ck_assert_int_eq(green_chan_recv(b, &x, GREEN_NEVER), 0);
    ck_assert_int_eq(x, 1);  /* and the send did not happen */
    ck_assert_int_eq(green_chan_recv(b, &x, green_now() - 1), -1);
    ck_assert_int_eq(green_chan_free(b), 0);
}
END_TEST

static void *close_later(void *arg)
{
    green_sleep(MS(5));
    return res(green_chan_close(arg));
}

START_TEST(channel_select_closed_reports_err)
{
    green_chan_t a = green_chan_make(sizeof(int), 0);
    green_chan_t b = green_chan_make(sizeof(int), 0);
    int x, y;
    green_chan_op_t ops[2] = {{a, GREEN_CHAN_RECV, &x, 0},
                              {b, GREEN_CHAN_SEND, &y, 0}};
    /* Closed while waiting: the closed channel's op wins. */
    green_t t = green_spawn(close_later, b, NULL);
    ck_assert_int_eq(green_chan_select(ops, 2, GREEN_NEVER), 1);
    ck_assert_int_eq(ops[1].err, EPIPE);
    ck_assert_int_eq(join(t), 0);
    /* Already closed: proceeds at once. */
    ops[1].err = 0;
    ck_assert_int_eq(green_chan_select(ops, 2, GREEN_NEVER), 1);
    ck_assert_int_eq(ops[1].err, EPIPE);
    green_chan_close(a);
    ops[0].err = 0;
    ck_assert_int_eq(green_chan_select(ops, 2, GREEN_NEVER), 0);
    ck_assert_int_eq(ops[0].err, EPIPE);
    green_chan_free(a);
    green_chan_free(b);
}
END_TEST

/* Two selects that each send on one channel and receive on the other
 * must pair up, never both wait, and a select must not pair with itself. */
static void *select_pair(void *arg)
{
    green_chan_t *c = arg;
    int out = 1, in = 0;
    green_chan_op_t ops[2] = {{c[0], GREEN_CHAN_SEND, &out, 0},
                              {c[1], GREEN_CHAN_RECV, &in, 0}};
    int r = green_chan_select(ops, 2, green_now() + MS(2000));
    return (void *)(intptr_t)(r < 0 ? -errno : r);
}

START_TEST(channel_select_many_ops_and_self)
{
    enum { N = 20 };  /* more than a select keeps on its stack */
    green_chan_t c[N];
    int v[N];
    green_chan_op_t ops[N];
    for (int i = 0; i < N; i++) {
        c[i] = green_chan_make(sizeof(int), 0);
        ops[i] = (green_chan_op_t){c[i], GREEN_CHAN_RECV, &v[i], 0};
    }
    struct msg m = {c[N - 1], 99, 0};
    green_t t = green_spawn(send_later, &m, NULL);
    ck_assert_int_eq(green_chan_select(ops, N, GREEN_NEVER), N - 1);
    ck_assert_int_eq(v[N - 1], 99);
    join(t);
    /* One select sending and receiving on the same rendezvous channel
     * cannot meet itself. */
    int out = 5, in = 0;
    green_chan_op_t self[2] = {{c[0], GREEN_CHAN_SEND, &out, 0},
                               {c[0], GREEN_CHAN_RECV, &in, 0}};
    ck_assert_int_eq(green_chan_select(self, 2, green_now() + MS(5)), -1);
    ck_assert_int_eq(errno, ETIMEDOUT);
    /* Crossed selects pair up. */
    green_chan_t ab[2] = {c[1], c[2]}, ba[2] = {c[2], c[1]};
    green_t p = green_spawn(select_pair, ab, NULL);
    green_t q = green_spawn(select_pair, ba, NULL);
    intptr_t rp = join(p), rq = join(q);
    ck_assert_msg((rp == 0 && rq == 1) || (rp == 1 && rq == 0),
                  "selects got %d and %d", (int)rp, (int)rq);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(green_chan_free(c[i]), 0);
}
END_TEST

/* A select's winning channel may be freed as soon as the op is done: the
 * select thread, still to wake, must not touch it again. */
START_TEST(channel_select_free_won_channel)
{
    green_chan_t a = green_chan_make(sizeof(int), 0);
    green_chan_t b = green_chan_make(sizeof(int), 0);
    int x = -1, y = -1;
    green_chan_op_t ops[2] = {{a, GREEN_CHAN_RECV, &x, 0},
                              {b, GREEN_CHAN_RECV, &y, 0}};
    green_t t = green_spawn(select_two, ops, NULL);
    settle();
    ck_assert_int_eq(green_chan_send(a, &(int){4}, GREEN_NEVER), 0);
    ck_assert_int_eq(green_chan_free(b), -1);  /* still queued there */
    ck_assert_int_eq(errno, EBUSY);
    ck_assert_int_eq(green_chan_free(a), 0);
    ck_assert_int_eq(join(t), 0);
    ck_assert_int_eq(x, 4);
    ck_assert_int_eq(green_chan_free(b), 0);
}
END_TEST

/* ---- OS threads -------------------------------------------------------- */

/* 4 OS threads, each with producers and consumers on every shared channel;
 * each message is a distinct number, received exactly once. */
enum { OS = 4, PER = 3, ITEMS = 3000, NCH = 3 };
static green_chan_t shared[NCH];
static atomic_int xseen[OS * PER * NCH * ITEMS];
static atomic_llong xsum_sent, xsum_got;
static atomic_int producers_left;

static void *xproducer(void *arg)
{
    int base = (int)(intptr_t)arg;  /* of this producer's ITEMS numbers */
    green_chan_t ch = shared[base / ITEMS % NCH];
    for (int i = base; i < base + ITEMS; i++) {
        ck_assert_int_eq(green_chan_send(ch, &i, GREEN_NEVER), 0);
        atomic_fetch_add(&xsum_sent, i);
    }
    if (atomic_fetch_sub(&producers_left, 1) == 1)
        for (int c = 0; c < NCH; c++)
            green_chan_close(shared[c]);
    return NULL;
}

static void *xconsumer(void *arg)
{
    int v, c = (int)(intptr_t)arg;
    /* Half the consumers select over all channels. */
    green_chan_op_t ops[NCH];
    for (int i = 0; i < NCH; i++)
        ops[i] = (green_chan_op_t){shared[(i + c) % NCH], GREEN_CHAN_RECV, &v,
                                   0};
    for (size_t open = NCH; open;) {
        if (c & 1) {
            int i = green_chan_select(ops, open, GREEN_NEVER);
            ck_assert_int_ge(i, 0);
            if (ops[i].err) {  /* closed and drained: drop it */
                ops[i] = ops[--open];
                continue;
            }
        } else if (green_chan_recv(shared[c % NCH], &v, GREEN_NEVER) < 0) {
            ck_assert_int_eq(errno, EPIPE);
            c++;  /* try the next channel */
            open--;
            continue;
        }
        atomic_fetch_add(&xseen[v], 1);
        atomic_fetch_add(&xsum_got, v);
    }
    return NULL;
}

static void *xside(void *arg)
{
    int os = (int)(intptr_t)arg;
    green_t t[2 * PER * NCH];
    int n = 0;
    for (int i = 0; i < PER * NCH; i++) {
        int base = (os * PER * NCH + i) * ITEMS;
        t[n++] = green_spawn(xproducer, (void *)(intptr_t)base, NULL);
        t[n++] = green_spawn(xconsumer, (void *)(intptr_t)(os + i), NULL);
    }
    for (int i = 0; i < n; i++)
        join(t[i]);
    return NULL;
}

START_TEST(channel_os_threads_exact_totals)
{
    shared[0] = green_chan_make(sizeof(int), 0);
    shared[1] = green_chan_make(sizeof(int), 4);
    shared[2] = green_chan_make(sizeof(int), GREEN_CHAN_UNBOUNDED);
    atomic_store(&producers_left, OS * PER * NCH);
    pthread_t p[OS];
    for (intptr_t i = 0; i < OS; i++)
        pthread_create(&p[i], NULL, xside, (void *)i);
    for (int i = 0; i < OS; i++)
        pthread_join(p[i], NULL);
    ck_assert_int_eq(atomic_load(&xsum_got), atomic_load(&xsum_sent));
    for (int i = 0; i < OS * PER * NCH * ITEMS; i++)
        ck_assert_msg(xseen[i] == 1, "item %d seen %d times", i, xseen[i]);
    for (int c = 0; c < NCH; c++)
        ck_assert_int_eq(green_chan_free(shared[c]), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("channel");
    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, channel_make_errors);
    tcase_add_test(tc, channel_rendezvous_hands_over);
    tcase_add_test(tc, channel_bounded_blocks_when_full);
    tcase_add_test(tc, channel_unbounded_never_blocks);
    tcase_add_test(tc, channel_fifo_among_waiters);
    suite_add_tcase(s, tc);
    tc = tcase_create("close");
    tcase_add_test(tc, channel_close_drains_then_epipe);
    tcase_add_test(tc, channel_close_wakes_waiters);
    suite_add_tcase(s, tc);
    tc = tcase_create("timeout");
    tcase_add_test(tc, channel_deadline_send_and_recv);
    suite_add_tcase(s, tc);
    tc = tcase_create("kill");
    tcase_add_test(tc, channel_kill_blocked_recv_and_send);
    tcase_add_test(tc, channel_kill_after_delivery_is_kept);
    tcase_add_loop_test(tc, channel_kill_recv_loses_nothing, 0, 2);
    tcase_add_loop_test(tc, channel_kill_send_loses_nothing, 0, 2);
    tcase_add_test(tc, channel_kill_blocked_select);
    suite_add_tcase(s, tc);
    tc = tcase_create("select");
    tcase_add_test(tc, channel_select_ready_and_order);
    tcase_add_test(tc, channel_select_blocks_until_ready);
    tcase_add_test(tc, channel_select_timeout);
    tcase_add_test(tc, channel_select_closed_reports_err);
    tcase_add_test(tc, channel_select_many_ops_and_self);
    tcase_add_test(tc, channel_select_free_won_channel);
    suite_add_tcase(s, tc);
    tc = tcase_create("threads");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, channel_os_threads_exact_totals);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
