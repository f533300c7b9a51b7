/* The I/O wrappers, called from green threads of a program linked with
 * libgreen: blocking reads and writes on pipes and sockets park only
 * their green thread, keep glibc's results (full blocking writes, the
 * program's O_NONBLOCK, SO_RCVTIMEO), wake with EBADF when another
 * thread closes the fd, and leave libgreen's own fds alone. */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "green.h"
#include "harness.h"

struct pipe_job {
    int fd;
    int delay_ms;
    ssize_t n;
    int err;
    char buf[64];
};

static void *write_later(void *arg)
{
    struct pipe_job *j = arg;
    green_sleep(MS(j->delay_ms));
    j->n = write(j->fd, "hello", 5);
    return NULL;
}

static void *read_one(void *arg)
{
    struct pipe_job *j = arg;
    j->n = read(j->fd, j->buf, sizeof j->buf);
    j->err = errno;
    return NULL;
}

/* Two readers each wait 200 ms for a writer: 200 ms in all, and a third
 * green thread keeps running meanwhile. */
START_TEST(io_read_parks_green_thread)
{
    int p[2], q[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(pipe(q), 0);
    struct pipe_job r1 = {.fd = p[0]}, r2 = {.fd = q[0]};
    struct pipe_job w1 = {.fd = p[1], .delay_ms = 200};
    struct pipe_job w2 = {.fd = q[1], .delay_ms = 200};
    int64_t t0 = green_now();
    green_t t[5] = {
        green_spawn(read_one, &r1, NULL), green_spawn(read_one, &r2, NULL),
        green_spawn(write_later, &w1, NULL), green_spawn(write_later, &w2, NULL),
        harness_ticker(MS(150)),
    };
    for (int i = 0; i < 5; i++)
        green_join(t[i], NULL, GREEN_NEVER);
    ck_assert_time(green_now() - t0, MS(200), MS(200), MS(150));
    ck_assert_int_eq(r1.n, 5);
    ck_assert_int_eq(r2.n, 5);
    ck_assert_mem_eq(r1.buf, "hello", 5);
    ck_assert_int_ge(harness_ticks, 10);
}
END_TEST

struct bulk {
    int fd;
    size_t len;
    ssize_t n;
    unsigned sum;
};

static void *bulk_write(void *arg)
{
    struct bulk *b = arg;
    char *buf = malloc(b->len);
    for (size_t i = 0; i < b->len; i++)
        buf[i] = (char)(i * 7 + 3);
    b->n = write(b->fd, buf, b->len);
    free(buf);
    close(b->fd);
    return NULL;
}

static void *bulk_read(void *arg)
{
    struct bulk *b = arg;
    char buf[4096];
    ssize_t n;
    size_t at = 0;
    while ((n = read(b->fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++, at++)
            b->sum += (unsigned char)buf[i] == (unsigned char)(at * 7 + 3);
        green_sleep(MS(1) / 10);  /* a slow reader: the writer must wait */
    }
    b->n = (ssize_t)at;
    return NULL;
}

/* A blocking write of 1 MiB into a pipe returns 1 MiB, every byte in
 * order, though the pipe holds 64 KiB. */
static void write_all(int fds[2])
{
    struct bulk w = {.fd = fds[1], .len = 1 << 20}, r = {.fd = fds[0]};
    green_t a = green_spawn(bulk_write, &w, NULL);
    green_t b = green_spawn(bulk_read, &r, NULL);
    green_join(a, NULL, GREEN_NEVER);
    green_join(b, NULL, GREEN_NEVER);
    ck_assert_int_eq(w.n, 1 << 20);
    ck_assert_int_eq(r.n, 1 << 20);
    ck_assert_uint_eq(r.sum, 1u << 20);
}

START_TEST(io_blocking_write_writes_all_pipe)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    write_all(p);
}
END_TEST

START_TEST(io_blocking_write_writes_all_socket)
{
    int s[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
    write_all(s);
}
END_TEST

/* The program's O_NONBLOCK is kept, however it was set. */
START_TEST(io_user_nonblock_gives_eagain)
{
    int p[2], q[2];
    char c;
    ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
    ck_assert_int_eq(pipe(q), 0);
    green_t t = harness_ticker(MS(50));
    errno = 0;
    ck_assert_int_eq(read(p[0], &c, 1), -1);
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert_int_eq(fcntl(q[0], F_SETFL, O_NONBLOCK), 0);
    ck_assert_int_eq(read(q[0], &c, 1), -1);
    ck_assert_int_eq(errno, EAGAIN);
    int off = 0, on = 1;
    ck_assert_int_eq(ioctl(q[0], FIONBIO, &off), 0);
    ck_assert_int_eq(fcntl(q[0], F_GETFL) & O_NONBLOCK, 0);
    ck_assert_int_eq(ioctl(q[0], FIONBIO, &on), 0);
    ck_assert_int_eq(read(q[0], &c, 1), -1);
    ck_assert_int_eq(errno, EAGAIN);
    /* A dup shares the description: O_NONBLOCK set through it counts. */
    int p2[2];
    ck_assert_int_eq(pipe(p2), 0);
    int d = dup(p2[0]);
    ck_assert_int_eq(fcntl(d, F_SETFL, O_NONBLOCK), 0);
    ck_assert_int_eq(read(p2[0], &c, 1), -1);
    ck_assert_int_eq(errno, EAGAIN);
    green_join(t, NULL, GREEN_NEVER);
}
END_TEST

/* SO_RCVTIMEO passes as EAGAIN, after about the timeout, while others run. */
START_TEST(io_rcvtimeo_gives_eagain)
{
    int s[2];
    char c;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
    struct timeval tv = {0, 100000};
    ck_assert_int_eq(setsockopt(s[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    green_t t = harness_ticker(MS(80));
    int64_t t0 = green_now();
    ck_assert_int_eq(read(s[0], &c, 1), -1);
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert_int_eq(recv(s[0], &c, 1, 0), -1);
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert_time(green_now() - t0, MS(200), MS(200), MS(150));
    green_join(t, NULL, GREEN_NEVER);
    ck_assert_int_ge(harness_ticks, 8);
}
END_TEST

static void *close_later(void *arg)
{
    green_sleep(MS(50));
    close((int)(intptr_t)arg);
    return NULL;
}

/* Closing an fd another green thread reads wakes it with EBADF. */
START_TEST(io_close_wakes_reader_with_ebadf)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    struct pipe_job r = {.fd = p[0]};
    green_t a = green_spawn(read_one, &r, NULL);
    green_t b = green_spawn(close_later, (void *)(intptr_t)p[0], NULL);
    green_join(a, NULL, GREEN_NEVER);
    green_join(b, NULL, GREEN_NEVER);
    ck_assert_int_eq(r.n, -1);
    ck_assert_int_eq(r.err, EBADF);
}
END_TEST

/* A fresh pipe read by `reader` in one green thread while another
 * writes "hello" 30 ms later: returns what the reader got. */
static ssize_t read_while_written(void *(*reader)(void *))
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    struct pipe_job r = {.fd = p[0]}, w = {.fd = p[1], .delay_ms = 30};
    green_t a = green_spawn(reader, &r, NULL);
    green_t b = green_spawn(write_later, &w, NULL);
    green_join(a, NULL, GREEN_NEVER);
    green_join(b, NULL, GREEN_NEVER);
    if (r.n == 5)
        ck_assert_mem_eq(r.buf, "hello", 5);
    return r.n;
}

/* A daemon's close_range(3, ~0) leaves the hub's own fds: green sleeps
 * and reads still work after it. */
START_TEST(io_close_range_spares_hub_fds)
{
    green_t t = harness_ticker(MS(30));
    green_join(t, NULL, GREEN_NEVER);  /* the hub and its fds exist */
    ck_assert_int_eq(close_range(3, ~0u, 0), 0);
    ck_assert_int_eq(read_while_written(read_one), 5);
    /* Closing all fds one by one, as older daemons do: the same. */
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    ck_assert_int_eq(read_while_written(read_one), 5);
}
END_TEST

static void *readv_two(void *arg)
{
    struct pipe_job *j = arg;
    struct iovec v[2] = {{j->buf, 2}, {j->buf + 2, 10}};
    j->n = readv(j->fd, v, 2);
    return NULL;
}

/* readv parks too, and its result is the kernel's (a short read). */
START_TEST(io_readv_parks)
{
    ck_assert_int_eq(read_while_written(readv_two), 5);
}
END_TEST

/* A forked child gets a loop of its own (the parent's epoll instance is
 * shared with it and must not be touched): green reads work in both. */
START_TEST(io_fork_child_waits_on_its_own_loop)
{
    green_t t = harness_ticker(MS(300));
    ck_assert_int_eq(read_while_written(read_one), 5);  /* the loop exists */
    pid_t pid = fork();
    if (pid == 0)
        _exit(read_while_written(read_one) == 5 ? 0 : 1);
    ck_assert_int_eq(read_while_written(read_one), 5);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    green_join(t, NULL, GREEN_NEVER);
}
END_TEST

static void setup(void)
{
    harness_ticks = 0;
    green_self();
}

int main(void)
{
    Suite *s = suite_create("io");
    TCase *tc = tcase_create("basic");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, io_read_parks_green_thread);
    tcase_add_test(tc, io_blocking_write_writes_all_pipe);
    tcase_add_test(tc, io_blocking_write_writes_all_socket);
    tcase_add_test(tc, io_user_nonblock_gives_eagain);
    tcase_add_test(tc, io_rcvtimeo_gives_eagain);
    tcase_add_test(tc, io_close_wakes_reader_with_ebadf);
    tcase_add_test(tc, io_close_range_spares_hub_fds);
    tcase_add_test(tc, io_readv_parks);
    tcase_add_test(tc, io_fork_child_waits_on_its_own_loop);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
