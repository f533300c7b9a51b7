/* The wrapper matrix: the snippet from another library's constructor,
 * from main, from an OS thread of the program's own, and in a forked
 * child. Knows nothing of libgreen. */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "snippet.h"

static void *thread(void *arg)
{
    snippet(arg);
    return NULL;
}

int main(void)
{
    snippet("main");
    pthread_t t;
    if (pthread_create(&t, NULL, thread, "thread") != 0 ||
        pthread_join(t, NULL) != 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        snippet("child");
        _exit(0);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || st != 0)
        return 2;
    snippet("after");
    return 0;
}
