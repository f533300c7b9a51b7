/* Parity program: thread attributes. The setters take what glibc takes
 * and refuse the rest as glibc does (PTHREAD_SCOPE_PROCESS: ENOTSUP; an
 * unknown scope, inheritance, policy or detach state, a priority out of
 * the policy's range, a stack below PTHREAD_STACK_MIN: EINVAL), and the
 * getters read back what was set. A thread made with an attribute is
 * described by pthread_getattr_np, from itself and from main, as that
 * attribute asked: scope, inheritance, policy and priority, detach state,
 * stack size (aligned down as glibc aligns it), and the guard size
 * rounded up to pages; one made with
 * none inherits main's policy and has glibc's default guard. Its affinity
 * is the process's. An explicit priority outside the policy's range fails
 * pthread_create with EINVAL, and so does a guard size that overflows
 * when rounded up. Realtime policies are not started (they
 * need privileges). Threads only record; main prints. Knows nothing of
 * libgreen. */
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

#include "threaded.h"

#define STACK (256 * 1024)

struct desc {
    int rc, scope, inherit, policy, priority, detach;
    size_t guard, stack;
    int affinity_is_process;
};

static pthread_barrier_t both;

static void describe(pthread_t t, struct desc *d)
{
    pthread_attr_t a;
    struct sched_param sp;
    memset(d, 0, sizeof *d);
    d->rc = pthread_getattr_np(t, &a);
    if (d->rc)
        return;
    pthread_attr_getscope(&a, &d->scope);
    pthread_attr_getinheritsched(&a, &d->inherit);
    pthread_attr_getschedpolicy(&a, &d->policy);
    pthread_attr_getschedparam(&a, &sp);
    d->priority = sp.sched_priority;
    pthread_attr_getdetachstate(&a, &d->detach);
    pthread_attr_getguardsize(&a, &d->guard);
    pthread_attr_getstacksize(&a, &d->stack);
    cpu_set_t mine, process;
    CPU_ZERO(&mine);
    d->affinity_is_process =
        pthread_attr_getaffinity_np(&a, sizeof mine, &mine) == 0 &&
        sched_getaffinity(0, sizeof process, &process) == 0 &&
        CPU_EQUAL(&mine, &process);
    pthread_attr_destroy(&a);
}

static void print_desc(const char *who, const struct desc *d, int with_stack)
{
    printf("  %s:\n", who);
    showrc("    pthread_getattr_np", d->rc);
    printf("    scope %s, %s, policy %s, priority %d, %s\n",
           d->scope == PTHREAD_SCOPE_SYSTEM ? "system" : "process",
           d->inherit == PTHREAD_EXPLICIT_SCHED ? "explicit" : "inherit",
           d->policy == SCHED_OTHER ? "SCHED_OTHER"
           : d->policy == SCHED_FIFO ? "SCHED_FIFO" : "other",
           d->priority, d->detach == PTHREAD_CREATE_DETACHED ? "detached" : "joinable");
    printf("    guard size %zu\n", d->guard);
    if (with_stack)
        printf("    stack size %zu\n", d->stack);
    yesno("    affinity is the process's", d->affinity_is_process);
}

static struct desc from_self;

static void *nothing(void *arg)
{
    return arg;
}

static void *worker(void *arg)
{
    (void)arg;
    describe(pthread_self(), &from_self);
    pthread_barrier_wait(&both);  /* main describes it meanwhile */
    pthread_barrier_wait(&both);
    return NULL;
}

/* Starts a thread with attr, describes it from main and from itself. */
static void run(const char *what, const pthread_attr_t *attr, int with_stack)
{
    struct desc from_main;
    printf("%s:\n", what);
    pthread_t t = spawn_attr(attr, worker, NULL);
    pthread_barrier_wait(&both);
    describe(t, &from_main);
    pthread_barrier_wait(&both);
    join(t);
    print_desc("from main", &from_main, with_stack);
    print_desc("from itself", &from_self, with_stack);
}

static void setters(void)
{
    pthread_attr_t a;
    int v;
    size_t z;
    struct sched_param sp = {0};
    pthread_attr_init(&a);
    printf("attribute setters:\n");
    showrc("  setscope(PTHREAD_SCOPE_SYSTEM)", pthread_attr_setscope(&a, PTHREAD_SCOPE_SYSTEM));
    showrc("  setscope(PTHREAD_SCOPE_PROCESS)", pthread_attr_setscope(&a, PTHREAD_SCOPE_PROCESS));
    showrc("  setscope(42)", pthread_attr_setscope(&a, 42));
    pthread_attr_getscope(&a, &v);
    yesno("  getscope: PTHREAD_SCOPE_SYSTEM", v == PTHREAD_SCOPE_SYSTEM);
    showrc("  setinheritsched(PTHREAD_EXPLICIT_SCHED)",
           pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED));
    showrc("  setinheritsched(42)", pthread_attr_setinheritsched(&a, 42));
    pthread_attr_getinheritsched(&a, &v);
    yesno("  getinheritsched: PTHREAD_EXPLICIT_SCHED", v == PTHREAD_EXPLICIT_SCHED);
    showrc("  setschedpolicy(SCHED_FIFO)", pthread_attr_setschedpolicy(&a, SCHED_FIFO));
    showrc("  setschedpolicy(42)", pthread_attr_setschedpolicy(&a, 42));
    pthread_attr_getschedpolicy(&a, &v);
    yesno("  getschedpolicy: SCHED_FIFO", v == SCHED_FIFO);
    sp.sched_priority = 10;
    showrc("  setschedparam(10) under SCHED_FIFO", pthread_attr_setschedparam(&a, &sp));
    sp.sched_priority = 1000;
    showrc("  setschedparam(1000) under SCHED_FIFO", pthread_attr_setschedparam(&a, &sp));
    pthread_attr_getschedparam(&a, &sp);
    show("  getschedparam", sp.sched_priority);
    pthread_attr_setschedpolicy(&a, SCHED_OTHER);
    showrc("  setschedparam(10) under SCHED_OTHER", pthread_attr_setschedparam(&a, &sp));
    showrc("  setguardsize(10000)", pthread_attr_setguardsize(&a, 10000));
    pthread_attr_getguardsize(&a, &z);
    show("  getguardsize", (long)z);
    showrc("  setstacksize(PTHREAD_STACK_MIN - 1)",
           pthread_attr_setstacksize(&a, PTHREAD_STACK_MIN - 1));
    showrc("  setstacksize(256 KiB)", pthread_attr_setstacksize(&a, STACK));
    pthread_attr_getstacksize(&a, &z);
    show("  getstacksize", (long)z);
    showrc("  setdetachstate(42)", pthread_attr_setdetachstate(&a, 42));
    pthread_attr_destroy(&a);
}

int main(void)
{
    start_program();
    if (pthread_barrier_init(&both, NULL, 2) != 0)
        die("pthread_barrier_init");
    setters();

    pthread_attr_t a;
    struct sched_param sp = {0};
    /* First, and each size larger than the last: glibc would run a
     * thread on a cached stack bigger than it asked, and report that. */
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 100000);
    pthread_attr_setguardsize(&a, 5000);
    run("stack 100000 bytes, guard 5000", &a, 1);
    pthread_attr_destroy(&a);

    pthread_attr_init(&a);
    pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&a, SCHED_OTHER);
    pthread_attr_setschedparam(&a, &sp);
    pthread_attr_setguardsize(&a, 10000);
    pthread_attr_setstacksize(&a, STACK);
    run("explicit SCHED_OTHER, guard 10000, stack 256 KiB", &a, 1);
    pthread_attr_destroy(&a);

    pthread_attr_init(&a);
    pthread_attr_setguardsize(&a, 0);
    pthread_attr_setstacksize(&a, 2 * STACK);
    run("no guard, stack 512 KiB", &a, 1);
    pthread_attr_destroy(&a);

    run("no attribute", NULL, 0);
    report_tasks();

    /* A priority valid for SCHED_FIFO, then the policy changed under it. */
    pthread_attr_init(&a);
    pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&a, SCHED_FIFO);
    sp.sched_priority = 10;
    pthread_attr_setschedparam(&a, &sp);
    pthread_attr_setschedpolicy(&a, SCHED_OTHER);
    pthread_t t;
    int r = pthread_create(&t, &a, nothing, NULL);
    showrc("pthread_create, explicit SCHED_OTHER at priority 10", r);
    if (r == 0)
        join(t);
    pthread_attr_destroy(&a);

    /* A guard size that overflows when rounded up to pages. */
    pthread_attr_init(&a);
    pthread_attr_setguardsize(&a, SIZE_MAX);
    r = pthread_create(&t, &a, nothing, NULL);
    showrc("pthread_create, guard size SIZE_MAX", r);
    if (r == 0)
        join(t);
    pthread_attr_destroy(&a);

    /* New defaults, for threads made without attributes (the largest
     * stack yet, as above). */
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 3 * STACK);
    pthread_attr_setguardsize(&a, 8192);
    showrc("pthread_setattr_default_np(stack 768 KiB, guard 8192)",
           pthread_setattr_default_np(&a));
    pthread_attr_destroy(&a);
    pthread_getattr_default_np(&a);
    size_t z;
    pthread_attr_getstacksize(&a, &z);
    show("pthread_getattr_default_np: stack size", (long)z);
    pthread_attr_destroy(&a);
    run("no attribute, after the defaults changed", NULL, 1);
    return finish_program("pt_attr");
}
