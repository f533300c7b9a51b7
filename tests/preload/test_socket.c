/* The socket wrappers, from green threads of a linked program: an echo
 * server and fifty clients on 127.0.0.1 in one OS thread, byte for byte;
 * connect's errors; MSG_WAITALL across pieces; accept with SO_RCVTIMEO. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "green.h"
#include "harness.h"

#define CLIENTS 50

static int listener(struct sockaddr_in *addr)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    *addr = (struct sockaddr_in){.sin_family = AF_INET,
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof *addr;
    ck_assert_int_eq(bind(s, (struct sockaddr *)addr, len), 0);
    ck_assert_int_eq(listen(s, 128), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)addr, &len), 0);
    return s;
}

static void *echo_conn(void *arg)
{
    int c = (int)(intptr_t)arg;
    char buf[1024];
    ssize_t n;
    while ((n = read(c, buf, sizeof buf)) > 0)
        ck_assert_int_eq(write(c, buf, (size_t)n), n);
    close(c);
    return NULL;
}

static void *serve(void *arg)
{
    int s = (int)(intptr_t)arg;
    for (int i = 0; i < CLIENTS; i++) {
        int c = accept(s, NULL, NULL);
        ck_assert_int_ge(c, 0);
        green_detach(green_spawn(echo_conn, (void *)(intptr_t)c, NULL));
    }
    return NULL;
}

static struct sockaddr_in addr;

static void *client(void *arg)
{
    int id = (int)(intptr_t)arg;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&addr, sizeof addr), 0);
    size_t len = 20000 + (size_t)id * 997;
    char *out = malloc(len), *in = malloc(len);
    for (size_t i = 0; i < len; i++)
        out[i] = (char)(i * 31 + (size_t)id);
    ck_assert_int_eq(send(c, out, len, 0), (ssize_t)len);
    ck_assert_int_eq(recv(c, in, len, MSG_WAITALL), (ssize_t)len);
    ck_assert_mem_eq(in, out, len);
    shutdown(c, SHUT_WR);
    ck_assert_int_eq(read(c, in, 1), 0);  /* the server closed: EOF */
    close(c);
    free(out);
    free(in);
    return NULL;
}

START_TEST(socket_echo_fifty_clients)
{
    int s = listener(&addr);
    int64_t t0 = green_now();
    green_t srv = green_spawn(serve, (void *)(intptr_t)s, NULL);
    green_t c[CLIENTS];
    for (int i = 0; i < CLIENTS; i++)
        c[i] = green_spawn(client, (void *)(intptr_t)i, NULL);
    for (int i = 0; i < CLIENTS; i++)
        green_join(c[i], NULL, GREEN_NEVER);
    green_join(srv, NULL, GREEN_NEVER);
    ck_assert_int_lt(green_now() - t0, MS(5000));
    ck_assert_int_eq(harness_os_threads(), 1);
    close(s);
}
END_TEST

static void *idle(void *arg)
{
    green_sleep(MS((intptr_t)arg));
    return NULL;
}

START_TEST(socket_connect_errors)
{
    green_t t = green_spawn(idle, (void *)(intptr_t)200, NULL);
    int s = listener(&addr);
    close(s);  /* nobody listens there now */
    int c = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(c, (struct sockaddr *)&addr, sizeof addr), -1);
    ck_assert_int_eq(errno, ECONNREFUSED);
    ck_assert_int_eq(fcntl(c, F_GETFL) & O_NONBLOCK, 0);  /* as it was */
    close(c);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(connect(p[0], (struct sockaddr *)&addr, sizeof addr), -1);
    ck_assert_int_eq(errno, ENOTSOCK);
    ck_assert_int_eq(connect(-1, (struct sockaddr *)&addr, sizeof addr), -1);
    ck_assert_int_eq(errno, EBADF);
    green_join(t, NULL, GREEN_NEVER);
}
END_TEST

static int pair[2];

static void *send_in_pieces(void *arg)
{
    (void)arg;
    for (int i = 0; i < 4; i++) {
        green_sleep(MS(10));
        ck_assert_int_eq(write(pair[1], "abcd" + i, 1), 1);
    }
    return NULL;
}

START_TEST(socket_recv_waitall_gathers_pieces)
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    green_t t = green_spawn(send_in_pieces, NULL, NULL);
    char buf[4];
    ck_assert_int_eq(recv(pair[0], buf, 4, MSG_WAITALL), 4);
    ck_assert_mem_eq(buf, "abcd", 4);
    green_join(t, NULL, GREEN_NEVER);
}
END_TEST

START_TEST(socket_accept_rcvtimeo)
{
    green_t t = green_spawn(idle, (void *)(intptr_t)300, NULL);
    int s = listener(&addr);
    struct timeval tv = {0, 100000};
    ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    int64_t t0 = green_now();
    ck_assert_int_eq(accept(s, NULL, NULL), -1);
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert_time(green_now() - t0, MS(100), MS(100), MS(100));
    green_join(t, NULL, GREEN_NEVER);
}
END_TEST

static void setup(void)
{
    green_self();
}

int main(void)
{
    Suite *s = suite_create("socket");
    TCase *tc = tcase_create("basic");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, socket_echo_fifty_clients);
    tcase_add_test(tc, socket_connect_errors);
    tcase_add_test(tc, socket_recv_waitall_gathers_pieces);
    tcase_add_test(tc, socket_accept_rcvtimeo);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
