/* Parity program: thread names. A new thread starts with the name of the
 * thread that created it (main's, the program name, until main renames
 * itself); pthread_setname_np and pthread_getname_np on the calling thread
 * and on another one (main names a thread, the thread reads it, renames
 * itself, main reads that); ERANGE for a name of 16 characters or more
 * (the old name stays) and for a buffer under 16 bytes. Threads only
 * record; main prints. Knows nothing of libgreen. */
#include <semaphore.h>

#include "threaded.h"

/* A thread that reports its name at each step main asks for. */
struct named {
    sem_t go;         /* main: take the next step */
    sem_t done;       /* the thread: step taken */
    char seen[3][32]; /* its own name, as it read it at each step */
    int set_rc;       /* its setname on itself */
};

static void own_name(char *buf)
{
    int r = pthread_getname_np(pthread_self(), buf, 16);
    if (r != 0)
        snprintf(buf, 32, "(%s)", ename(r));
}

static void *named(void *arg)
{
    struct named *n = arg;
    own_name(n->seen[0]);
    sem_post(&n->done);
    sem_wait(&n->go);
    own_name(n->seen[1]);
    n->set_rc = pthread_setname_np(pthread_self(), "self-renamed-15");
    own_name(n->seen[2]);
    sem_post(&n->done);
    sem_wait(&n->go);
    return NULL;
}

static void show_name(const char *what, pthread_t t)
{
    char buf[32];
    int r = pthread_getname_np(t, buf, sizeof buf);
    if (r == 0)
        printf("%s = \"%s\"\n", what, buf);
    else
        showrc(what, r);
}

static void start(struct named *n, pthread_t *t)
{
    sem_init(&n->go, 0, 0);
    sem_init(&n->done, 0, 0);
    *t = spawn(named, n);
    sem_wait(&n->done);
}

int main(void)
{
    start_program();
    pthread_t self = pthread_self();
    struct named first, second;
    pthread_t t1, t2;
    char small[15];

    show_name("main: its name", self);
    start(&first, &t1);
    printf("thread 1, created before main renamed itself, reads its name: \"%s\"\n", first.seen[0]);
    showrc("main: setname(self, \"main-thread\")", pthread_setname_np(self, "main-thread"));
    show_name("main: its name", self);
    showrc("main: setname(self, 16 characters)", pthread_setname_np(self, "sixteen-chars-xx"));
    show_name("main: its name after the ERANGE", self);
    showrc("main: getname(self, buffer of 15 bytes)", pthread_getname_np(self, small, sizeof small));
    start(&second, &t2);
    report_tasks();
    printf("thread 2, created after, reads its name: \"%s\"\n", second.seen[0]);

    showrc("main: setname(thread 1, \"worker-one\")", pthread_setname_np(t1, "worker-one"));
    show_name("main: getname(thread 1)", t1);
    showrc("main: setname(thread 1, 16 characters)", pthread_setname_np(t1, "sixteen-chars-xx"));
    showrc("main: getname(thread 1, buffer of 15 bytes)", pthread_getname_np(t1, small, sizeof small));
    sem_post(&first.go);
    sem_wait(&first.done);
    printf("thread 1 reads its name: \"%s\"\n", first.seen[1]);
    showrc("thread 1: setname(self, \"self-renamed-15\")", first.set_rc);
    printf("thread 1 reads its name: \"%s\"\n", first.seen[2]);
    show_name("main: getname(thread 1)", t1);
    show_name("main: getname(thread 2)", t2);
    show_name("main: its name", self);
    for (int i = 0; i < 2; i++) {
        sem_post(&first.go);
        sem_post(&second.go);
    }
    join(t1);
    join(t2);
    return finish_program("pt_names");
}
