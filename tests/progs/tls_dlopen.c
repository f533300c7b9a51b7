/* Parity program: a library with TLS, dlopen()ed after 4 threads exist.
 * Each thread then finds the library's initial value in its own copy,
 * sets its own, blocks while the others set theirs, and reads its own
 * back. Knows nothing of libgreen. */
#include <dlfcn.h>
#include <libgen.h>

#include "threaded.h"

#define WORKERS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int (*get)(void);
static void (*set)(int);
static int got_initial[WORKERS], kept[WORKERS];

static void *worker(void *arg)
{
    int i = (int)(intptr_t)arg;
    pthread_mutex_lock(&lock);
    while (!set)  /* until main has loaded the library */
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    got_initial[i] = get() == 5;
    set(100 + i);
    msleep(10 * (WORKERS - i));
    kept[i] = get() == 100 + i;
    return NULL;
}

int main(void)
{
    start_program();
    pthread_t t[WORKERS];
    spawn_n(t, WORKERS, worker);
    msleep(20);  /* the threads exist, and wait */
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 32);
    if (n < 0)
        die("readlink");
    exe[n] = 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/libtlsmod.so", dirname(exe));
    void *lib = dlopen(path, RTLD_NOW);
    if (!lib) {
        printf("dlopen: %s\n", dlerror());
        return 1;
    }
    pthread_mutex_lock(&lock);
    get = (int (*)(void))(intptr_t)dlsym(lib, "mod_get");
    *(void **)&set = dlsym(lib, "mod_set");
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    report_tasks();
    join_n(t, WORKERS);
    for (int i = 0; i < WORKERS; i++) {
        printf("thread %d: initial value %s, own value kept %s\n", i,
               got_initial[i] ? "yes" : "NO", kept[i] ? "yes" : "NO");
        failures += !got_initial[i] + !kept[i];
    }
    check(get() == 5, "main's copy has the initial value");
    return finish_program("tls_dlopen");
}
