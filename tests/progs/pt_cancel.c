/* Parity program: deferred cancellation. One thread for each of these
 * cancellation points blocks in it: sleep, usleep, nanosleep, read (an empty
 * pipe), recv, accept, poll, select, pthread_cond_wait, pthread_cond_timedwait,
 * sem_wait, pthread_join. Each pushed three cleanup handlers (the condition
 * waits a fourth, which unlocks the mutex, held again by then); main cancels
 * them one by one: the handlers run in LIFO order and pthread_join gives
 * PTHREAD_CANCELED. A thread with PTHREAD_CANCEL_DISABLE is not cancelled in
 * a sleep, nor when it re-enables, only at pthread_testcancel;
 * setcancelstate and setcanceltype return the old value; a thread that is
 * never cancelled pops its handlers with execute 1 and 0. Threads only
 * record; main prints. Knows nothing of libgreen. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <semaphore.h>
#include <sys/select.h>
#include <sys/socket.h>

#include "threaded.h"

/* One thread to cancel. */
struct victim {
    const char *name;             /* the call it blocks in */
    void (*block)(struct victim *);
    char log[16];                 /* what its cleanup handlers and code noted */
    pthread_t t;
};

static sem_t ready;       /* posted by each victim just before it blocks */
static int quiet[2];      /* a pipe nobody writes */
static int sv[2];         /* a socketpair nobody writes */
static int listener = -1; /* nobody connects */
static pthread_mutex_t m; /* error-checking */
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static sem_t never;
static pthread_t sleeper; /* blocked in sleep; the pthread_join victim's target */

static void note(struct victim *v, char what)
{
    size_t n = strlen(v->log);
    if (n + 1 < sizeof v->log)
        v->log[n] = what;
}

static void first(void *arg) { note(arg, '1'); }
static void second(void *arg) { note(arg, '2'); }
static void third(void *arg) { note(arg, '3'); }

/* Cleanup of the condition waits: 'u' if the mutex was held again, else 'U'. */
static void unlock_m(void *arg)
{
    note(arg, pthread_mutex_unlock(&m) == 0 ? 'u' : 'U');
}

static void in_sleep(struct victim *v) { (void)v; sleep(10); }
static void in_usleep(struct victim *v) { (void)v; usleep(10000000); }

static void in_nanosleep(struct victim *v)
{
    (void)v;
    struct timespec ts = { 10, 0 };
    nanosleep(&ts, NULL);
}

static void in_read(struct victim *v)
{
    (void)v;
    char b;
    ssize_t n = read(quiet[0], &b, 1);
    (void)n;
}

static void in_recv(struct victim *v)
{
    (void)v;
    char b;
    recv(sv[1], &b, 1, 0);
}

static void in_accept(struct victim *v) { (void)v; accept(listener, NULL, NULL); }

static void in_poll(struct victim *v)
{
    (void)v;
    struct pollfd p = { quiet[0], POLLIN, 0 };
    poll(&p, 1, -1);
}

static void in_select(struct victim *v)
{
    (void)v;
    fd_set r;
    FD_ZERO(&r);
    FD_SET(quiet[0], &r);
    select(quiet[0] + 1, &r, NULL, NULL, NULL);
}

/* Waits on c, for ever (ts NULL) or until ts, with unlock_m pushed. */
static void cond_block(struct victim *v, const struct timespec *ts)
{
    pthread_mutex_lock(&m);
    pthread_cleanup_push(unlock_m, v);
    while (ts ? pthread_cond_timedwait(&c, &m, ts) != ETIMEDOUT : pthread_cond_wait(&c, &m) == 0) {
    }
    pthread_cleanup_pop(1);
}

static void in_cond_wait(struct victim *v) { cond_block(v, NULL); }

static void in_cond_timedwait(struct victim *v)
{
    struct timespec ts = deadline(CLOCK_REALTIME, 10000);
    cond_block(v, &ts);
}

static void in_sem_wait(struct victim *v) { (void)v; sem_wait(&never); }
static void in_join(struct victim *v) { (void)v; pthread_join(sleeper, NULL); }

static struct victim victims[] = {
    { "sleep", in_sleep, "", 0 },
    { "usleep", in_usleep, "", 0 },
    { "nanosleep", in_nanosleep, "", 0 },
    { "read", in_read, "", 0 },
    { "recv", in_recv, "", 0 },
    { "accept", in_accept, "", 0 },
    { "poll", in_poll, "", 0 },
    { "select", in_select, "", 0 },
    { "pthread_cond_wait", in_cond_wait, "", 0 },
    { "pthread_cond_timedwait", in_cond_timedwait, "", 0 },
    { "sem_wait", in_sem_wait, "", 0 },
    { "pthread_join", in_join, "", 0 },
};
#define NVICTIMS (sizeof victims / sizeof victims[0])

/* Notes 'X' if the blocking call ever returns. */
static void *victim(void *arg)
{
    struct victim *v = arg;
    pthread_cleanup_push(first, v);
    pthread_cleanup_push(second, v);
    pthread_cleanup_push(third, v);
    sem_post(&ready);
    v->block(v);
    note(v, 'X');
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    pthread_cleanup_pop(0);
    return NULL;
}

static void *sleep_long(void *arg)
{
    (void)arg;
    sleep(10);
    return NULL;
}

static void setup(void)
{
    pthread_mutexattr_t a;
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (pipe(quiet) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("pipe");
    listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 1) < 0)
        die("listen");
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&m, &a);
    sem_init(&ready, 0, 0);
    sem_init(&never, 0, 0);
}

static void blocked(void)
{
    sleeper = spawn(sleep_long, NULL);
    for (size_t i = 0; i < NVICTIMS; i++)
        victims[i].t = spawn(victim, &victims[i]);
    for (size_t i = 0; i < NVICTIMS; i++)
        sem_wait(&ready);
    msleep(50); /* into their calls (a cancel before that acts there too) */
    report_tasks();
    for (size_t i = 0; i < NVICTIMS; i++) {
        struct victim *v = &victims[i];
        int r = pthread_cancel(v->t);
        void *ret = join(v->t);
        printf("cancel in %s: pthread_cancel %s, joined %s, handlers ran %s\n", v->name, r ? ename(r) : "0",
               ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "something else", v->log);
    }
    pthread_cancel(sleeper);
    yesno("the pthread_join victim's target, cancelled too: PTHREAD_CANCELED", join(sleeper) == PTHREAD_CANCELED);
}

/* What the thread with cancellation disabled saw. */
static struct victim held = { "disabled", NULL, "", 0 };
static int old_state, reenabled_old, old_type, async_old;
static sem_t cancel_sent;

static void *disabled(void *arg)
{
    (void)arg;
    pthread_cleanup_push(first, &held);
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old_state);
    sem_post(&ready);
    sem_wait(&cancel_sent); /* a cancellation point, but disabled */
    msleep(20);             /* nanosleep: likewise */
    note(&held, 's');
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &reenabled_old);
    note(&held, 'e');       /* re-enabling in deferred mode does not act */
    pthread_testcancel();
    note(&held, 'X');
    pthread_cleanup_pop(0);
    return NULL;
}

static void disable(void)
{
    sem_init(&cancel_sent, 0, 0);
    pthread_t t = spawn(disabled, NULL);
    sem_wait(&ready);
    showrc("pthread_cancel(thread with cancellation disabled)", pthread_cancel(t));
    sem_post(&cancel_sent);
    void *ret = join(t);
    yesno("  joined: PTHREAD_CANCELED", ret == PTHREAD_CANCELED);
    printf("  noted: %s (s: slept through, e: re-enabled, 1: handler)\n", held.log);
    yesno("  setcancelstate(DISABLE) returned old PTHREAD_CANCEL_ENABLE", old_state == PTHREAD_CANCEL_ENABLE);
    yesno("  setcancelstate(ENABLE) returned old PTHREAD_CANCEL_DISABLE", reenabled_old == PTHREAD_CANCEL_DISABLE);
}

static struct victim spared = { "never cancelled", NULL, "", 0 };

static void *not_cancelled(void *arg)
{
    (void)arg;
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old_type);
    pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, &async_old);
    pthread_cleanup_push(first, &spared);
    pthread_cleanup_push(second, &spared);
    msleep(10);
    pthread_cleanup_pop(1);
    pthread_cleanup_pop(0);
    return (void *)5;
}

static void never_cancelled(void)
{
    show("thread never cancelled: joined", (long)(intptr_t)join(spawn(not_cancelled, NULL)));
    printf("  handlers ran: %s (pop(1) then pop(0))\n", spared.log);
    yesno("  setcanceltype(ASYNCHRONOUS) returned old PTHREAD_CANCEL_DEFERRED", old_type == PTHREAD_CANCEL_DEFERRED);
    yesno("  setcanceltype(DEFERRED) returned old PTHREAD_CANCEL_ASYNCHRONOUS", async_old == PTHREAD_CANCEL_ASYNCHRONOUS);
    showrc("pthread_setcancelstate(bad value)", pthread_setcancelstate(12345, NULL));
    showrc("pthread_setcanceltype(bad value)", pthread_setcanceltype(12345, NULL));
}

int main(void)
{
    start_program();
    setup();
    blocked();
    disable();
    never_cancelled();
    return finish_program("pt_cancel");
}
