// Parity program: N threads (argument, default 20000) created and joined
// one after another, each with a thread_local object that allocates in
// its constructor and frees in its destructor, a malloc of its own, and
// glibc's per-thread strerror buffer. Resident memory must not grow with
// N: it is read after the first tenth and at the end. Knows nothing of
// libgreen.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "threaded.h"
}

struct Held {
    std::vector<char> buf;
    Held() : buf(2000, 'x') {}
};
static thread_local Held held;
static const long slack_kib = 4096;  // allocator and page-table noise

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static void *cycle(void *arg)
{
    char *p = static_cast<char *>(malloc(300));
    memset(p, (int)(intptr_t)arg, 300);
    long sum = held.buf[0] + p[299] + (long)strlen(strerror(4000));
    free(p);
    return reinterpret_cast<void *>(sum);
}

int main(int argc, char **argv)
{
    start_program();
    alarm(120);
    long n = argc > 1 ? atol(argv[1]) : 20000, bad = 0, mid = 0;
    pthread_t first = spawn(cycle, nullptr);
    report_tasks();
    join(first);
    for (long i = 0; i < n; i++) {
        if (i == n / 10)
            mid = rss_kib();
        bad += join(spawn(cycle, reinterpret_cast<void *>(i & 127))) !=
               reinterpret_cast<void *>('x' + (i & 127) + 18);
    }
    long end = rss_kib();
    check(bad == 0, "every thread saw its own object and buffer");
    check(end - mid < slack_kib, "resident memory flat over the cycles");
    if (end - mid >= slack_kib)
        fprintf(stderr, "RSS %ld KiB after %ld threads, %ld KiB after %ld\n",
                mid, n / 10, end, n);
    return finish_program("tls_churn");
}
