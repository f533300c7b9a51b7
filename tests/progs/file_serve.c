/* Parity program: one thread reads a large regular file (32 MiB, made in
 * TMPDIR or /tmp) in 64 KiB chunks and checksums it, with read, pread,
 * readv and preadv, while two others keep an echo ping-pong going over a
 * socketpair; then the file is rewritten with write, pwrite, writev and
 * pwritev, synced with fsync and fdatasync, and read back. Results are
 * deterministic; stderr (not compared) has "tasks: N", "elapsed: S" and
 * the longest echo round trip, which shows whether file reads held up
 * the other threads. Optional argument: the size in MiB.
 * Knows nothing of libgreen. */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "threaded.h"

#define CHUNK 65536
#define PINGS 2000

static size_t size = 32u << 20;
static int fd, pair[2];
static pthread_barrier_t barrier;
static atomic_int reading = 1;
static double longest;  /* echo round trip, s */
static int pings, exact;

/* The byte at offset i of the file. */
static unsigned char byte_at(uint64_t i)
{
    return (unsigned char)(i * 2654435761u >> 13);
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211u;
    return h;
}

static uint64_t expected(void)
{
    static unsigned char buf[CHUNK];
    uint64_t h = 14695981039346656037u;
    for (size_t off = 0; off < size; off += CHUNK) {
        for (size_t i = 0; i < CHUNK; i++)
            buf[i] = byte_at(off + i);
        h = fnv(h, buf, CHUNK);
    }
    return h;
}

/* Reads the whole file with one of four calls, by chunk. */
static uint64_t checksum(int how)
{
    static unsigned char buf[2][CHUNK / 2];
    uint64_t h = 14695981039346656037u;
    if (lseek(fd, 0, SEEK_SET) != 0)
        die("lseek");
    for (size_t off = 0; off < size; off += CHUNK) {
        struct iovec iov[2] = {{buf[0], CHUNK / 2}, {buf[1], CHUNK / 2}};
        ssize_t n = how == 0 ? read(fd, buf, CHUNK)
                  : how == 1 ? pread(fd, buf, CHUNK, (off_t)off)
                  : how == 2 ? readv(fd, iov, 2)
                             : preadv(fd, iov, 2, (off_t)off);
        if (n != CHUNK)
            return 0;
        h = fnv(h, (unsigned char *)buf, CHUNK);
    }
    return h;
}

/* Writes the file afresh with one of four calls, by chunk. */
static int rewrite(int how)
{
    static unsigned char buf[CHUNK];
    if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) != 0)
        die("ftruncate");
    for (size_t off = 0; off < size; off += CHUNK) {
        for (size_t i = 0; i < CHUNK; i++)
            buf[i] = byte_at(off + i);
        struct iovec iov[2] = {{buf, CHUNK / 2}, {buf + CHUNK / 2, CHUNK / 2}};
        ssize_t n = how == 0 ? write(fd, buf, CHUNK)
                  : how == 1 ? pwrite(fd, buf, CHUNK, (off_t)off)
                  : how == 2 ? writev(fd, iov, 2)
                             : pwritev(fd, iov, 2, (off_t)off);
        if (n != CHUNK)
            return 0;
    }
    return 1;
}

static void *reader(void *arg)
{
    (void)arg;
    roll_call(&barrier, 0);
    uint64_t want = expected();
    static const char *const how[] = {"read", "pread", "readv", "preadv"};
    for (int i = 0; i < 4; i++) {
        char what[64];
        snprintf(what, sizeof what, "%s: checksum of %zu MiB", how[i], size >> 20);
        check(checksum(i) == want, what);
    }
    atomic_store(&reading, 0);
    return NULL;
}

static void *echo(void *arg)
{
    (void)arg;
    roll_call(&barrier, 0);
    char buf[64];
    ssize_t n;
    while ((n = read(pair[1], buf, sizeof buf)) > 0)
        if (write(pair[1], buf, (size_t)n) != n)
            die("echo write");
    return NULL;
}

/* Pings at least PINGS times, and on until the reader is done. */
static void *pinger(void *arg)
{
    (void)arg;
    roll_call(&barrier, 0);
    for (int i = 0; i < PINGS || atomic_load(&reading); i++) {
        char out[64], in[64];
        memset(out, 'a' + i % 26, sizeof out);
        double t0 = now();
        if (write(pair[0], out, sizeof out) != sizeof out ||
            read(pair[0], in, sizeof in) != sizeof in)
            die("ping");
        double dt = now() - t0;
        longest = dt > longest ? dt : longest;
        exact += !memcmp(in, out, sizeof in);
        pings++;
    }
    shutdown(pair[0], SHUT_WR);
    return NULL;
}

int main(int argc, char **argv)
{
    start_program();
    if (argc > 1)
        size = (size_t)atoi(argv[1]) << 20;
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[4096];
    snprintf(path, sizeof path, "%s/file_serve.XXXXXX", dir);
    if ((fd = mkstemp(path)) < 0)
        die("mkstemp");
    unlink(path);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0)
        die("socketpair");
    check(rewrite(0), "write: the file");
    double t0 = now();
    pthread_t t[3];
    if (pthread_barrier_init(&barrier, NULL, 4) != 0)
        die("pthread_barrier_init");
    t[0] = spawn(reader, NULL);
    t[1] = spawn(echo, NULL);
    t[2] = spawn(pinger, NULL);
    roll_call(&barrier, 1);
    join_n(t, 3);
    report_elapsed(t0);
    fprintf(stderr, "longest echo round trip: %.3f ms over %d pings\n",
            longest * 1e3, pings);
    check(pings >= PINGS && exact == pings, "echo: every ping came back exact");
    uint64_t want = expected();
    static const char *const how[] = {"write", "pwrite", "writev", "pwritev"};
    for (int i = 0; i < 4; i++) {
        char what[64];
        snprintf(what, sizeof what, "%s, then read back", how[i]);
        check(rewrite(i) && checksum(1) == want, what);
    }
    show("fsync", fsync(fd));
    show("fdatasync", fdatasync(fd));
    show("fsync(socket)", fsync(pair[0]));
    show("pread(socket)", pread(pair[0], path, 1, 0));
    show("pread(-1 offset)", pread(fd, path, 1, -1));
    show("read(closed)", read(999, path, 1));
    return finish_program("file_serve");
}
