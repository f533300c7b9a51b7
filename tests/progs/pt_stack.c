/* Parity program: threads on stacks the program provides. A thread made
 * with pthread_attr_setstack runs on that memory: a local variable of its
 * function and its __thread variable (glibc puts the TCB and static TLS
 * at the top of a caller's stack) lie in the buffer, the TLS above the
 * frames; pthread_getattr_np, from the thread and from main, reports the
 * caller's stack and no guard. Four run at once on four buffers; after
 * the joins the memory is still the program's (it writes it) and carries
 * another thread. pthread_attr_setstackaddr (glibc takes the address as
 * the top of the stack) with setstacksize does the same, and so does a
 * stack of PTHREAD_STACK_MIN bytes. Threads only
 * record; main prints. Knows nothing of libgreen. */
#include <dlfcn.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "threaded.h"

#define SIZE (256 * 1024)
#define N 4

static _Alignas(4096) char stacks[N][SIZE];
static __thread int tls_var;
static pthread_barrier_t roll;

struct seen {
    char *buf;                 /* the stack it was given */
    int local_in, tls_in, tls_above, attr_ok, attr_rc, tls_own;
    uintptr_t attr_lo;         /* what pthread_getattr_np said, offsets */
    size_t attr_size, attr_guard;
};
static struct seen seen[N + 2];

static int in_buf(const struct seen *s, const void *p)
{
    return (const char *)p >= s->buf && (const char *)p < s->buf + SIZE;
}

/* What pthread_getattr_np says of t: 0 and the stack, or the error. */
static int stack_of(pthread_t t, void **lo, size_t *size, size_t *guard)
{
    pthread_attr_t a;
    int r = pthread_getattr_np(t, &a);
    if (r)
        return r;
    pthread_attr_getstack(&a, lo, size);
    pthread_attr_getguardsize(&a, guard);
    pthread_attr_destroy(&a);
    return 0;
}

static int small_in;

static void *small(void *arg)
{
    int local;
    small_in = (char *)&local >= (char *)arg &&
               (char *)&local < (char *)arg + PTHREAD_STACK_MIN;
    return NULL;
}

static void *worker(void *arg)
{
    struct seen *s = arg;
    int local = 1;
    tls_var = (int)(s - seen) + 100;
    s->local_in = in_buf(s, &local);
    s->tls_in = in_buf(s, &tls_var);
    s->tls_above = (char *)&tls_var > (char *)&local;
    void *lo;
    s->attr_rc = stack_of(pthread_self(), &lo, &s->attr_size, &s->attr_guard);
    s->attr_ok = s->attr_rc == 0 && lo == s->buf && s->attr_size == SIZE;
    if (s - seen < N)
        roll_call(&roll, 0);
    s->tls_own = tls_var == (int)(s - seen) + 100;
    return NULL;
}

static void report(const char *what, const struct seen *s)
{
    printf("%s:\n", what);
    check(s->local_in, "  a local variable lies in the buffer");
    check(s->tls_in, "  its __thread variable lies in the buffer");
    check(s->tls_above, "  the TLS lies above the frames");
    showrc("  pthread_getattr_np(self)", s->attr_rc);
    check(s->attr_ok, "  it reports the buffer as the stack");
    show("  guard size", (long)s->attr_guard);
    check(s->tls_own, "  its __thread variable kept its own value");
}

static pthread_t start_on(struct seen *s, char *buf, int old_api)
{
    pthread_attr_t a;
    pthread_attr_init(&a);
    s->buf = buf;
    if (old_api) {
        /* Through dlsym: a direct call makes the linker warn. */
        int (*setaddr)(pthread_attr_t *, void *);
        void *f = dlsym(RTLD_DEFAULT, "pthread_attr_setstackaddr");
        memcpy(&setaddr, &f, sizeof f);
        if (!f || setaddr(&a, buf + SIZE) != 0)
            die("pthread_attr_setstackaddr");
        if (pthread_attr_setstacksize(&a, SIZE) != 0)
            die("pthread_attr_setstacksize");
    } else if (pthread_attr_setstack(&a, buf, SIZE) != 0) {
        die("pthread_attr_setstack");
    }
    pthread_t t = spawn_attr(&a, worker, s);
    pthread_attr_destroy(&a);
    return t;
}

int main(void)
{
    start_program();
    pthread_attr_t a;
    pthread_attr_init(&a);
    showrc("pthread_attr_setstack(16 bytes)", pthread_attr_setstack(&a, stacks[0], 16));
    void *lo;
    size_t size;
    showrc("pthread_attr_setstack(the buffer)", pthread_attr_setstack(&a, stacks[0], SIZE));
    pthread_attr_getstack(&a, &lo, &size);
    check(lo == stacks[0] && size == SIZE, "pthread_attr_getstack reads it back");
    pthread_attr_destroy(&a);

    if (pthread_barrier_init(&roll, NULL, N + 1) != 0)
        die("pthread_barrier_init");
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        t[i] = start_on(&seen[i], stacks[i], 0);
    pthread_barrier_wait(&roll);
    report_tasks();
    int main_view = 0;
    for (int i = 0; i < N; i++) {
        size_t guard;
        main_view += stack_of(t[i], &lo, &size, &guard) == 0 && lo == stacks[i] &&
                     size == SIZE && guard == 0;
    }
    pthread_barrier_wait(&roll);
    join_n(t, N);
    show("pthread_getattr_np from main reports each buffer", main_view);
    for (int i = 0; i < N; i++) {
        char what[32];
        snprintf(what, sizeof what, "thread %d", i);
        report(what, &seen[i]);
    }

    /* The memory is still the program's, and carries another thread. */
    memset(stacks[0], 0x5a, SIZE);
    join(start_on(&seen[N], stacks[0], 0));
    report("again on the first buffer", &seen[N]);
    join(start_on(&seen[N + 1], stacks[1], 1));
    report("pthread_attr_setstackaddr + setstacksize", &seen[N + 1]);
    pthread_attr_init(&a);
    if (pthread_attr_setstack(&a, stacks[2], PTHREAD_STACK_MIN) != 0)
        die("pthread_attr_setstack");
    pthread_t st;
    showrc("pthread_create on PTHREAD_STACK_MIN bytes", pthread_create(&st, &a, small, stacks[2]));
    pthread_attr_destroy(&a);
    join(st);
    check(small_in, "  a local variable lies in the buffer");
    return finish_program("pt_stack");
}
