/* Wait reasons: each kind of wait names what it waits on in its thread
 * while parked, and the hub lists its live threads. */
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "green.h"
#include "harness.h"
#include "hub.h"
#include "thread.h"
#include "why.h"

static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static green_mutex_t gm = GREEN_MUTEX_INIT;
static green_cond_t gc = GREEN_COND_INIT;
static green_sem_t gs;
static int fds[2];

static void *sleeper(void *arg)
{
    (void)arg;
    green_sleep(MS(10000));
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    green_wait_fd(fds[0], GREEN_IN, GREEN_NEVER);
    return NULL;
}

static void *locker(void *arg)
{
    (void)arg;
    green_mutex_lock(&gm, GREEN_NEVER);
    green_mutex_unlock(&gm);
    return NULL;
}

static void *waiter(void *arg)
{
    static green_mutex_t m = GREEN_MUTEX_INIT;
    (void)arg;
    green_mutex_lock(&m, GREEN_NEVER);
    green_cond_wait(&gc, &m, green_now() + MS(10000));
    green_mutex_unlock(&m);
    return NULL;
}

static void *semwaiter(void *arg)
{
    (void)arg;
    green_sem_wait(&gs, GREEN_NEVER);
    return NULL;
}

static void *joiner(void *arg)
{
    green_join(arg, NULL, GREEN_NEVER);
    return NULL;
}

/* The thread of id `id` on the calling hub's list, or NULL. */
static struct green_thread *listed(uint64_t id)
{
    for (struct green_thread *t = green__hub_current()->threads; t;
         t = t->all_next)
        if (t->id == id)
            return t;
    return NULL;
}

START_TEST(why_each_wait_names_itself)
{
    (void)mtx;
    ck_assert_int_eq(pipe(fds), 0);
    green_sem_init(&gs, 0);
    green_mutex_lock(&gm, GREEN_NEVER);
    green_t s = green_spawn(sleeper, NULL, NULL);
    green_t r = green_spawn(reader, NULL, NULL);
    green_t l = green_spawn(locker, NULL, NULL);
    green_t c = green_spawn(waiter, NULL, NULL);
    green_t e = green_spawn(semwaiter, NULL, NULL);
    green_t j = green_spawn(joiner, s, NULL);
    green_sleep(MS(20));
    ck_assert_int_eq(s->state, GREEN__PARKED);
    ck_assert_int_eq(s->wait.why, GREEN__WHY_SLEEP);
    ck_assert_int_eq(r->wait.why, GREEN__WHY_FD);
    ck_assert_int_eq(r->wait.num, fds[0]);
    ck_assert_int_eq(r->wait.events, GREEN_IN);
    ck_assert_int_eq(l->wait.why, GREEN__WHY_MUTEX);
    ck_assert_ptr_eq(l->wait.obj, &gm);
    ck_assert_int_eq(c->wait.why, GREEN__WHY_COND);
    ck_assert_ptr_eq(c->wait.obj, &gc);
    ck_assert_int_eq(e->wait.why, GREEN__WHY_SEM);
    ck_assert_int_eq(j->wait.why, GREEN__WHY_JOIN);
    ck_assert_int_eq(j->wait.num, (int64_t)green_id(s));
    ck_assert_str_eq(green__why_name(GREEN__WHY_COND), "cond");
    /* Every thread is listed, the adopted one too. */
    green_t all[] = {s, r, l, c, e, j, green_self()};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        ck_assert_ptr_eq(listed(green_id(all[i])), all[i]);
    uint64_t rid = green_id(r);
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    green_mutex_unlock(&gm);
    green_sem_post(&gs);
    green_cond_signal(&gc);
    green_kill(s);
    green_join(r, NULL, GREEN_NEVER);
    ck_assert_ptr_null(listed(rid));  /* reaped: off the list */
    green_join(l, NULL, GREEN_NEVER);
    green_join(c, NULL, GREEN_NEVER);
    green_join(e, NULL, GREEN_NEVER);
    green_join(j, NULL, GREEN_NEVER);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("why");
    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, why_each_wait_names_itself);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
