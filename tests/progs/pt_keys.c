/* Parity program: thread-specific data. Keys a, b, c, r and d are created in
 * that order, each with a destructor. 4 threads set a, b, r and d to values
 * of their own and leave c NULL; after a sleep and a barrier, each still
 * reads its own values. Main deletes d while they run. At each thread's exit
 * the destructors run once per non-NULL key in creation order (a, b, r),
 * none for c or the deleted d, and r's destructor, which sets r again the
 * first time, runs a second time. Main's own values are its own. Threads
 * only record (each its own row); main prints. Knows nothing of libgreen. */
#include <stdatomic.h>

#include "threaded.h"

#define WORKERS 4
#define NKEYS 4 /* a, b, r, d: the keys the workers set */

static pthread_key_t a, b, c, r, d;
static pthread_barrier_t roll;
static atomic_int c_calls, d_calls;

/* What a worker stores: the value of key k of worker w. */
struct value {
    int worker;
    int key;    /* index in keys[] */
    int again;  /* r's destructor has set it again */
};
static struct value values[WORKERS][NKEYS];
static char order[WORKERS][16]; /* the destructors run for each worker */

static void note(void *p, char what)
{
    struct value *v = p;
    char *o = order[v->worker];
    size_t n = strlen(o);
    if (n + 1 < sizeof order[0])
        o[n] = what;
}

static void dtor_a(void *p) { note(p, 'a'); }
static void dtor_b(void *p) { note(p, 'b'); }
static void dtor_c(void *p) { (void)p; atomic_fetch_add(&c_calls, 1); }
static void dtor_d(void *p) { (void)p; atomic_fetch_add(&d_calls, 1); }

static void dtor_r(void *p)
{
    struct value *v = p;
    note(p, 'r');
    if (!v->again) {
        v->again = 1;
        pthread_setspecific(r, p);
    }
}

/* Returns 1 if it read back its own values, c NULL. */
static void *worker(void *arg)
{
    int w = (int)(intptr_t)arg;
    pthread_key_t keys[NKEYS] = { a, b, r, d };
    for (int k = 0; k < NKEYS; k++) {
        values[w][k] = (struct value){ w, k, 0 };
        pthread_setspecific(keys[k], &values[w][k]);
    }
    msleep(10);
    roll_call(&roll, 0); /* main deletes d in between */
    int own = pthread_getspecific(c) == NULL;
    for (int k = 0; k < NKEYS - 1; k++)
        own &= pthread_getspecific(keys[k]) == &values[w][k];
    return (void *)(intptr_t)own;
}

int main(void)
{
    start_program();
    if (pthread_key_create(&a, dtor_a) || pthread_key_create(&b, dtor_b) || pthread_key_create(&c, dtor_c) ||
        pthread_key_create(&r, dtor_r) || pthread_key_create(&d, dtor_d))
        die("pthread_key_create");
    yesno("5 distinct keys", a != b && b != c && c != r && r != d && a != d);
    int mine = 42;
    showrc("main: pthread_setspecific(a)", pthread_setspecific(a, &mine));

    pthread_t t[WORKERS];
    pthread_barrier_init(&roll, NULL, WORKERS + 1);
    spawn_n(t, WORKERS, worker);
    pthread_barrier_wait(&roll);
    report_tasks();
    showrc("pthread_key_delete(d) while the threads hold values", pthread_key_delete(d));
    pthread_barrier_wait(&roll);
    for (int i = 0; i < WORKERS; i++) {
        int own = join(t[i]) != NULL;
        printf("thread %d: read its own values: %s; destructors ran: %s\n", i, own ? "yes" : "no", order[i]);
    }
    show("destructor calls for c (NULL)", atomic_load(&c_calls));
    show("destructor calls for d (deleted)", atomic_load(&d_calls));
    yesno("main: a is still its own", pthread_getspecific(a) == &mine);
    yesno("main: b is NULL", pthread_getspecific(b) == NULL);
    showrc("pthread_setspecific(deleted key d)", pthread_setspecific(d, &mine));
    return finish_program("pt_keys");
}
