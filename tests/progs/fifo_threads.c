/* Parity program: a named FIFO between two threads. The reader's open
 * waits for the writer's, which comes 100 ms later from another thread;
 * the writer then sends three messages 50 ms apart and closes; the reader
 * reads to end of file. A third thread ticks meanwhile: every blocking
 * step must let it run. Knows nothing of libgreen. */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "threaded.h"
#include "ticker.h"

static char path[64];
static struct ticker tk;

static void *writer(void *arg)
{
    (void)arg;
    msleep(100);
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        die("open for writing");
    static const char *msgs[] = {"one ", "two ", "three"};
    for (int i = 0; i < 3; i++) {
        msleep(50);
        put(fd, msgs[i]);
    }
    close(fd);
    return NULL;
}

int main(void)
{
    start_program();
    snprintf(path, sizeof path, "/tmp/fifo_threads.%d", (int)getpid());
    if (mkfifo(path, 0600) < 0)
        die("mkfifo");
    pthread_t t = spawn(ticker_main, &tk), w = spawn(writer, NULL);
    report_tasks();
    int before = atomic_load(&tk.ticks);
    int fd = open(path, O_RDONLY);
    yesno("open(O_RDONLY) waited for the writer while the others ran",
          fd >= 0 && atomic_load(&tk.ticks) - before >= 3);
    char buf[64] = {0};
    size_t got = 0;
    ssize_t n;
    before = atomic_load(&tk.ticks);
    while ((n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    printf("read to end of file: \"%s\" (%zu bytes), last read = %zd\n", buf,
           got, n);
    yesno("the reads let the others run", atomic_load(&tk.ticks) - before >= 3);
    close(fd);
    join(w);
    atomic_store(&tk.stop, 1);
    join(t);
    unlink(path);
    return finish_program("fifo_threads");
}
