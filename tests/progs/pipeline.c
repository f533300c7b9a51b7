/* Parity program: a 3-process pipeline through pipes. The parent writes
 * 8 MiB of a deterministic pattern into child 1 in writes of odd sizes;
 * child 1 reads with readv, transforms each byte and writes to child 2 with
 * writev; child 2 reads, counts and checksums (FNV-1a), prints the result and
 * exits 0 only if it equals the checksum the parent computed before forking.
 * The parent prints the expected checksum and both exit statuses after
 * reaping the children. Knows nothing of libgreen. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

#define TOTAL (8u << 20)

static unsigned char pat(size_t i)
{
    return (unsigned char)(i ^ (i >> 8) ^ (i >> 16) ^ (i * 13));
}

static unsigned char transform(unsigned char b)
{
    return (unsigned char)(b * 5 + 17);
}

static uint32_t fnv1a(uint32_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

/* Writes all of buf; a blocking pipe write never returns short. */
static int write_all(int fd, const void *buf, size_t len)
{
    ssize_t n = write(fd, buf, len);
    return n == (ssize_t)len ? 0 : -1;
}

static int stage1(int in, int out)
{
    static char a[3000], b[1096];
    struct iovec iov[2] = { { a, sizeof a }, { b, sizeof b } };
    for (;;) {
        ssize_t n = readv(in, iov, 2);
        if (n < 0)
            return 2;
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            char *p = i < (ssize_t)sizeof a ? &a[i] : &b[i - (ssize_t)sizeof a];
            *p = (char)transform((unsigned char)*p);
        }
        size_t la = (size_t)n < sizeof a ? (size_t)n : sizeof a;
        struct iovec wv[2] = { { a, la }, { b, (size_t)n - la } };
        if (writev(out, wv, 2) != n)
            return 3;
    }
    return 0;
}

static int stage2(int in, uint32_t expect)
{
    static unsigned char buf[10000];
    uint32_t h = 2166136261u;
    size_t total = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0)
            return 2;
        if (n == 0)
            break;
        h = fnv1a(h, buf, (size_t)n);
        total += (size_t)n;
    }
    printf("stage 2: %zu bytes, checksum %08x\n", total, h);
    fflush(stdout);
    if (total != TOTAL)
        return 3;
    return h == expect ? 0 : 4;
}

int main(void)
{
    start_program();
    int a[2], b[2];
    if (pipe(a) < 0 || pipe(b) < 0)
        die("pipe");
    unsigned char *data = malloc(TOTAL);
    if (!data)
        die("malloc");
    uint32_t expect = 2166136261u;
    for (size_t i = 0; i < TOTAL; i++) {
        data[i] = pat(i);
        unsigned char t = transform(data[i]);
        expect = fnv1a(expect, &t, 1);
    }
    printf("pipeline: %u bytes through 2 pipes\n", TOTAL);

    pid_t p1 = fork_child();
    if (p1 == 0) {
        close(a[1]);
        close(b[0]);
        _exit(stage1(a[0], b[1]));
    }
    pid_t p2 = fork_child();
    if (p2 == 0) {
        close(a[0]);
        close(a[1]);
        close(b[1]);
        _exit(stage2(b[0], expect));
    }
    close(a[0]);
    close(b[0]);
    close(b[1]);

    /* Writes of varied sizes: 1, 7, 4096, 65537, 1 MiB, ... */
    static const size_t chunks[] = { 1, 7, 4096, 65537, 1 << 20, 12345, 300000 };
    size_t off = 0;
    int short_writes = 0;
    for (size_t k = 0; off < TOTAL; k = (k + 1) % (sizeof chunks / sizeof chunks[0])) {
        size_t n = chunks[k] < TOTAL - off ? chunks[k] : TOTAL - off;
        if (write_all(a[1], data + off, n) < 0)
            short_writes++;
        off += n;
    }
    close(a[1]);

    int st1 = reap(p1);
    int st2 = reap(p2);
    printf("parent: expected checksum %08x\n", expect);
    printf("parent: short or failed writes: %d\n", short_writes);
    status_line("stage 1", st1);
    status_line("stage 2", st2);
    free(data);
    int ok = !short_writes && WIFEXITED(st1) && WEXITSTATUS(st1) == 0 && WIFEXITED(st2) &&
             WEXITSTATUS(st2) == 0;
    return ok ? 0 : 1;
}
