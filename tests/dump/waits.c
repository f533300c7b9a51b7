/* An unmodified pthread program whose threads wait in several ways at
 * once, for tests/dump/test_dump.py: a sleep, a read on a TCP socket, a
 * mutex, a condition variable, a semaphore, a join and a waitpid. Once
 * they all wait, it asks for a dump, by mode:
 *   signal SIG  raise(SIG) (the test sets GREEN_DUMP_SIGNAL)
 *   text, json  green_dump(1, ...) found with dlsym (under the preload)
 *   handler SIG installs its own handler for SIG first, then raises it:
 *               prints "handled" if the handler ran
 *   wait        prints "ready" and reads stdin to its end (for
 *               greenrun --dump)
 * then ends the child and exits at once with _exit(0). */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static sem_t sem;
static int sock;
static pid_t child;
static pthread_t sleeper;
static volatile sig_atomic_t handled;

static void nap(long ms)
{
    struct timespec ts = {ms / 1000, ms % 1000 * 1000000};
    nanosleep(&ts, NULL);
}

void *dump_sleeper(void *arg)
{
    (void)arg;
    nap(10000);
    return NULL;
}

void *dump_reader(void *arg)
{
    char c;
    (void)arg;
    return (void *)(long)read(sock, &c, 1);
}

void *dump_locker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&held);
    pthread_mutex_unlock(&held);
    return NULL;
}

void *dump_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cm);
    pthread_cond_wait(&cv, &cm);
    pthread_mutex_unlock(&cm);
    return NULL;
}

void *dump_semwaiter(void *arg)
{
    (void)arg;
    sem_wait(&sem);
    return NULL;
}

void *dump_joiner(void *arg)
{
    (void)arg;
    pthread_join(sleeper, NULL);
    return NULL;
}

void *dump_reaper(void *arg)
{
    (void)arg;
    waitpid(child, NULL, 0);
    return NULL;
}

static void on_signal(int sig)
{
    (void)sig;
    handled = 1;
}

/* A connected TCP pair on 127.0.0.1: sock is one end. */
static int connect_pair(int *other)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 ||
        listen(l, 1) < 0 || getsockname(l, (struct sockaddr *)&a, &len) < 0)
        return -1;
    *other = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(*other, (struct sockaddr *)&a, sizeof a) < 0)
        return -1;
    sock = accept(l, NULL, NULL);
    close(l);
    return sock < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "text";
    int sig = argc > 2 ? atoi(argv[2]) : SIGUSR2;
    int other;
    if (!strcmp(mode, "handler"))
        signal(sig, on_signal);
    if (connect_pair(&other) < 0 || sem_init(&sem, 0, 0) < 0)
        return perror("setup"), 1;
    if ((child = fork()) == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);  /* never outlive the test */
        pause();
        _exit(0);
    }
    pthread_mutex_lock(&held);
    void *(*fns[])(void *) = {dump_reader, dump_locker, dump_waiter,
                              dump_semwaiter, dump_joiner, dump_reaper};
    pthread_t t;
    pthread_create(&sleeper, NULL, dump_sleeper, NULL);
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        pthread_create(&t, NULL, fns[i], NULL);
    nap(100);  /* every thread is waiting now */
    if (!strcmp(mode, "signal") || !strcmp(mode, "handler")) {
        raise(sig);
        nap(200);  /* the hub answers at its next poll */
        if (handled)
            printf("handled\n");
    } else if (!strcmp(mode, "wait")) {
        printf("ready\n");
        fflush(stdout);
        char c;
        while (read(0, &c, 1) > 0)
            ;
    } else {
        int (*dump)(int, int);
        *(void **)&dump = dlsym(RTLD_DEFAULT, "green_dump");  /* POSIX's way */
        if (!dump)
            return printf("no green_dump\n"), 1;
        fflush(stdout);
        if (dump(1, !strcmp(mode, "json") ? 2 : 1) < 0)
            return perror("green_dump"), 1;
    }
    fflush(stdout);
    kill(child, SIGKILL);
    _exit(0);
}
