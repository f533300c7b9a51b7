/* Parity program: read/write/readv/writev/pread/pwrite/preadv2/pwritev2 on
 * pipes, files and bad fds. Knows nothing of libgreen; prints one
 * deterministic line per check (no fd numbers, pids or timings) so that a run
 * under LD_PRELOAD can be compared byte for byte with a native run. Children
 * report through their exit status only; the parent prints after reaping. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

/* Deliberately bad arguments, hidden from the compiler's checks. */
static volatile int minus_one = -1;
static void *volatile null_ptr;

static unsigned char pat(size_t i)
{
    return (unsigned char)(i * 7 + (i >> 11) + 3);
}

/* Forks; the child runs fn(arg) and exits with its result. */
static pid_t spawn(int (*fn)(void *), void *arg)
{
    pid_t pid = fork_child();
    if (pid == 0) {
        int r = fn(arg);
        fflush(stdout);
        _exit(r);
    }
    return pid;
}

static void bad_fds(void)
{
    char buf[16];
    struct iovec iov = { buf, sizeof buf };
    int p[2];

    show("read(-1)", read(-1, buf, 1));
    show("write(-1)", write(-1, "x", 1));
    show("readv(-1)", readv(-1, &iov, 1));
    show("writev(-1)", writev(-1, &iov, 1));
    show("pread(-1)", pread(-1, buf, 1, 0));
    show("pwrite(-1)", pwrite(-1, "x", 1, 0));

    int c = closed_fd();
    show("read(closed fd)", read(c, buf, 1));
    show("write(closed fd)", write(c, "x", 1));
    show("readv(closed fd)", readv(c, &iov, 1));
    show("writev(closed fd)", writev(c, &iov, 1));
    show("preadv2(closed fd)", preadv2(c, &iov, 1, -1, 0));
    show("pwritev2(closed fd)", pwritev2(c, &iov, 1, -1, 0));

    if (pipe(p) < 0)
        die("pipe");
    show("read(pipe write end)", read(p[1], buf, 1));
    show("write(pipe read end)", write(p[0], "x", 1));
    show("readv(pipe write end)", readv(p[1], &iov, 1));
    show("writev(pipe read end)", writev(p[0], &iov, 1));
    close(p[0]);
    close(p[1]);
}

static void bad_args(void)
{
    static char buf[64];
    static struct iovec many[IOV_MAX + 1];
    struct iovec iov = { buf, sizeof buf };
    struct iovec neg = { buf, SIZE_MAX };
    struct iovec huge[2] = { { buf, SSIZE_MAX / 2 + 1 }, { buf, SSIZE_MAX / 2 + 1 } };
    int p[2];

    for (int i = 0; i < IOV_MAX + 1; i++)
        many[i] = (struct iovec){ buf, 1 };
    if (pipe(p) < 0)
        die("pipe");
    show("readv(iovcnt -1)", readv(p[0], &iov, minus_one));
    show("writev(iovcnt -1)", writev(p[1], &iov, minus_one));
    show("readv(iovcnt IOV_MAX+1)", readv(p[0], many, IOV_MAX + 1));
    show("writev(iovcnt IOV_MAX+1)", writev(p[1], many, IOV_MAX + 1));
    show("readv(two iovecs of SSIZE_MAX/2+1)", readv(p[0], huge, 2));
    show("writev(two iovecs of SSIZE_MAX/2+1)", writev(p[1], huge, 2));
    show("readv(one iovec of SIZE_MAX)", readv(p[0], &neg, 1));
    show("writev(one iovec of SIZE_MAX)", writev(p[1], &neg, 1));
    /* Zero-length requests return 0 at once, even on an empty pipe: a wrapper
     * that waits for readability first would hang here. */
    show("read(empty pipe, len 0)", read(p[0], buf, 0));
    show("read(empty pipe, NULL, len 0)", read(p[0], NULL, 0));
    show("readv(empty pipe, iovcnt 0)", readv(p[0], &iov, 0));
    show("write(pipe, len 0)", write(p[1], buf, 0));
    show("writev(pipe, iovcnt 0)", writev(p[1], &iov, 0));

    /* EFAULT with data pending; the data stays in the pipe. */
    show("write(pipe, 8 bytes)", write(p[1], "abcdefgh", 8));
    show("read(pipe, NULL, 8) with data pending", read(p[0], null_ptr, 8));
    struct iovec nulliov = { NULL, 8 };
    show("readv(pipe, {NULL, 8}) with data pending", readv(p[0], &nulliov, 1));
    memset(buf, 0, sizeof buf);
    long n = read(p[0], buf, sizeof buf);
    show("read after EFAULT", n);
    printf("read after EFAULT got \"%.*s\"\n", n > 0 ? (int)n : 0, buf);
    close(p[0]);
    close(p[1]);

    /* A write from NULL, on a pipe of its own (it may leave an empty buffer). */
    if (pipe(p) < 0)
        die("pipe");
    show("write(pipe, NULL, 8)", write(p[1], null_ptr, 8));
    close(p[0]);
    close(p[1]);

    int d = open("/", O_RDONLY | O_DIRECTORY);
    if (d < 0)
        die("open /");
    show("read(directory)", read(d, buf, sizeof buf));
    show("readv(directory)", readv(d, &iov, 1));
    show("pread(directory)", pread(d, buf, sizeof buf, 0));
    show("write(directory opened O_RDONLY)", write(d, "x", 1));
    close(d);
}

static void eof_and_short(void)
{
    char buf[128];
    struct iovec iov = { buf, sizeof buf };
    int p[2];

    if (pipe(p) < 0)
        die("pipe");
    show("write(pipe, 10 bytes)", write(p[1], "0123456789", 10));
    show("read(pipe, 100) short read", read(p[0], buf, 100));
    show("writev(pipe, 5 bytes)", writev(p[1], &(struct iovec){ "hello", 5 }, 1));
    close(p[1]);
    show("read after writer closed, data left", read(p[0], buf, sizeof buf));
    show("read at EOF", read(p[0], buf, sizeof buf));
    show("readv at EOF", readv(p[0], &iov, 1));
    show("read at EOF again", read(p[0], buf, sizeof buf));
    close(p[0]);

    /* A blocking read that has to wait for a writer. */
    if (pipe(p) < 0)
        die("pipe");
    pid_t pid = late_write(p[1], -1, 20, "late");
    memset(buf, 0, sizeof buf);
    long n = read(p[0], buf, sizeof buf);
    show("read(pipe, data arrives after 20 ms)", n);
    printf("blocking read got \"%.*s\"\n", n > 0 ? (int)n : 0, buf);
    expect_exit0("late writer", reap(pid));
    close(p[0]);
    close(p[1]);

    /* readv scattering a short read over three buffers. */
    if (pipe(p) < 0)
        die("pipe");
    char a[3], b[4], c[10];
    struct iovec three[3] = { { a, sizeof a }, { b, sizeof b }, { c, sizeof c } };
    struct iovec wv[3] = { { "ab", 2 }, { "cdefg", 5 }, { "hi", 2 } };
    show("writev(pipe, 3 iovecs)", writev(p[1], wv, 3));
    n = readv(p[0], three, 3);
    show("readv(pipe, 3 iovecs of 3+4+10)", n);
    printf("readv got \"%.3s\" \"%.4s\" \"%.2s\"\n", a, b, c);
    close(p[0]);
    close(p[1]);
}

static void nonblocking(void)
{
    static char big[65536 + 4096 + 100];
    char buf[64];
    int p[2];
    long total, r;

    if (pipe2(p, O_NONBLOCK) < 0)
        die("pipe2");
    show("read(empty O_NONBLOCK pipe from pipe2)", read(p[0], buf, sizeof buf));
    show("readv(empty O_NONBLOCK pipe)", readv(p[0], &(struct iovec){ buf, 8 }, 1));
    total = 0;
    while ((r = write(p[1], big, 4096)) > 0)
        total += r;
    show("write(full O_NONBLOCK pipe)", r);
    printf("O_NONBLOCK pipe filled with 4096-byte writes holds %ld\n", total);
    show("writev(full O_NONBLOCK pipe)", writev(p[1], &(struct iovec){ big, 1 }, 1));
    show("read(4096) from full pipe", read(p[0], big, 4096));
    show("write(4096+100) to pipe with one free page", write(p[1], big, 4096 + 100));
    show("write(1) to full pipe", write(p[1], big, 1));
    total = 0;
    while ((r = read(p[0], big, sizeof big)) > 0)
        total += r;
    show("read(drained O_NONBLOCK pipe)", r);
    printf("drained %ld bytes\n", total);
    close(p[0]);
    close(p[1]);

    if (pipe(p) < 0)
        die("pipe");
    show("fcntl(F_SETFL, O_NONBLOCK) read end", fcntl(p[0], F_SETFL, O_NONBLOCK));
    show("fcntl(F_SETFL, O_NONBLOCK) write end", fcntl(p[1], F_SETFL, O_NONBLOCK));
    show("read(empty pipe made O_NONBLOCK by fcntl)", read(p[0], buf, sizeof buf));
    show("write(65537) to empty O_NONBLOCK pipe", write(p[1], big, 65537));
    show("write(1) to full pipe", write(p[1], big, 1));
    show("read(100) from full pipe", read(p[0], big, 100));
    /* 100 bytes are free but no whole page: an atomic (<= PIPE_BUF) write fails. */
    show("write(100) after reading 100", write(p[1], big, 100));
    show("fcntl(F_SETFL, 0) read end", fcntl(p[0], F_SETFL, 0));
    show("read(pipe back to blocking, data present)", read(p[0], big, sizeof big));
    close(p[0]);
    close(p[1]);
}

static int sigpipe_child(void *arg)
{
    (void)arg;
    int p[2];
    signal(SIGPIPE, SIG_DFL);
    if (pipe(p) < 0)
        return 3;
    close(p[0]);
    return write(p[1], "x", 1) < 0 ? 5 : 4; /* survived */
}

static void epipe(void)
{
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    show("write(pipe without reader, SIGPIPE ignored)", write(p[1], "x", 1));
    show("writev(pipe without reader, SIGPIPE ignored)", writev(p[1], &(struct iovec){ "xy", 2 }, 1));
    show("pwritev2(pipe without reader, offset -1)", pwritev2(p[1], &(struct iovec){ "xy", 2 }, 1, -1, 0));
    show("write(pipe without reader, len 0)", write(p[1], "x", 0));
    signal(SIGPIPE, SIG_DFL);
    close(p[1]);
    status_line("child writing to a pipe without reader, SIGPIPE default", reap(spawn(sigpipe_child, NULL)));
}

static void positioned(void)
{
    char buf[64] = { 0 };
    char b2[8] = { 0 };
    struct iovec iov = { buf, sizeof buf };
    int p[2];

    if (pipe(p) < 0)
        die("pipe");
    show("pwritev2(pipe, offset -1)", pwritev2(p[1], &(struct iovec){ "abc", 3 }, 1, -1, 0));
    show("preadv2(pipe, offset -1)", preadv2(p[0], &iov, 1, -1, 0));
    show("pwritev2(pipe, offset 0)", pwritev2(p[1], &(struct iovec){ "abc", 3 }, 1, 0, 0));
    show("preadv2(pipe, offset 0)", preadv2(p[0], &iov, 1, 0, 0));
    show("pread(pipe)", pread(p[0], buf, 1, 0));
    show("pwrite(pipe)", pwrite(p[1], "x", 1, 0));
    show("preadv(pipe)", preadv(p[0], &iov, 1, 0));
    show("pwritev(pipe)", pwritev(p[1], &iov, 1, 0));
    /* Per-call non-blocking (docs/design.md G8): EAGAIN, flags untouched. */
    show("preadv2(empty blocking pipe, RWF_NOWAIT)", preadv2(p[0], &iov, 1, -1, RWF_NOWAIT));
    show("preadv2(pipe, unknown flag 0x1000)", preadv2(p[0], &iov, 1, -1, 0x1000));
    show("pwritev2(pipe, unknown flag 0x1000)", pwritev2(p[1], &iov, 1, -1, 0x1000));
    show("fcntl(F_GETFL) & O_NONBLOCK after RWF_NOWAIT", fcntl(p[0], F_GETFL) & O_NONBLOCK);
    show("pwritev2(pipe, RWF_NOWAIT)", pwritev2(p[1], &(struct iovec){ "q", 1 }, 1, -1, RWF_NOWAIT));
    show("preadv2(pipe with data, RWF_NOWAIT)", preadv2(p[0], &iov, 1, -1, RWF_NOWAIT));
    close(p[0]);
    close(p[1]);

    char path[] = "/tmp/parity-io-XXXXXX";
    int f = mkstemp(path);
    if (f < 0)
        die("mkstemp");
    unlink(path);
    show("pwrite(file, offset 100)", pwrite(f, "hello", 5, 100));
    show("pread(file, offset 100)", pread(f, b2, 5, 100));
    printf("pread got \"%.5s\"\n", b2);
    show("pread(file, past EOF)", pread(f, buf, 8, 1000));
    show("pread(file, offset -1)", pread(f, buf, 8, -1));
    show("pwrite(file, offset -1)", pwrite(f, "x", 1, -1));
    show("lseek(file) unchanged by pread/pwrite", lseek(f, 0, SEEK_CUR));
    show("pwritev2(file, offset 0)", pwritev2(f, &(struct iovec){ "XY", 2 }, 1, 0, 0));
    show("preadv2(file, offset -1) uses the file position", preadv2(f, &(struct iovec){ b2, 2 }, 1, -1, 0));
    printf("preadv2 got \"%.2s\"\n", b2);
    show("lseek(file) after preadv2(-1)", lseek(f, 0, SEEK_CUR));
    show("read(file) from position 2", read(f, buf, 4));
    show("pread(file, len 0)", pread(f, buf, 0, 0));
    close(f);

    f = open("/dev/null", O_RDWR);
    if (f < 0)
        die("open /dev/null");
    show("write(/dev/null, 64)", write(f, buf, sizeof buf));
    show("read(/dev/null)", read(f, buf, sizeof buf));
    close(f);
}

struct bigread {
    int fd;      /* read end */
    int other;   /* write end, closed in the child */
    size_t len;  /* bytes expected */
};

static int big_reader(void *arg)
{
    struct bigread *br = arg;
    static char buf[1000];
    size_t got = 0;
    close(br->other);
    for (;;) {
        ssize_t n = read(br->fd, buf, sizeof buf);
        if (n < 0)
            return 2;
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            if ((unsigned char)buf[i] != pat((got + (size_t)i) % (1 << 20)))
                return 3;
        got += (size_t)n;
    }
    return got == br->len ? 0 : 4;
}

static void big_write(void)
{
    size_t len = 1 << 20;
    unsigned char *data = malloc(len);
    int p[2];
    if (!data || pipe(p) < 0)
        die("malloc/pipe");
    for (size_t i = 0; i < len; i++)
        data[i] = pat(i);
    struct bigread br = { p[0], p[1], 2 * len };
    pid_t pid = spawn(big_reader, &br);
    close(p[0]);
    show("write(blocking pipe, 1 MiB) to a slow reader", write(p[1], data, len));
    struct iovec v[3] = { { data, 1000 }, { data + 1000, 300000 }, { data + 301000, len - 301000 } };
    show("writev(blocking pipe, 1 MiB in 3 iovecs)", writev(p[1], v, 3));
    close(p[1]);
    expect_exit0("reader checking 2 MiB", reap(pid));
    free(data);
}

int main(void)
{
    start_program();
    bad_fds();
    bad_args();
    eof_and_short();
    nonblocking();
    epipe();
    positioned();
    big_write();
    return finish_program("io_errors");
}
