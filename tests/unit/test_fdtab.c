/* The fd table: growth without moving entries, generations, probing the
 * kind of an fd, and growth racing from several OS threads. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdtab.h"
#include "green.h"
#include "harness.h"

START_TEST(fdtab_grows_without_moving)
{
    ck_assert_ptr_null(green__fd_entry(-1));
    ck_assert_ptr_null(green__fd_peek(5000));  /* peek never allocates */
    struct green__fd *low = green__fd_entry(3);
    ck_assert_ptr_nonnull(low);
    struct green__fd *high = green__fd_entry(1 << 20);
    ck_assert_ptr_nonnull(high);
    ck_assert_ptr_eq(green__fd_entry(3), low);  /* same entry after growth */
    ck_assert_ptr_eq(green__fd_peek(1 << 20), high);
    ck_assert_ptr_ne(low, high);
}
END_TEST

START_TEST(fdtab_generations)
{
    ck_assert_uint_eq(green__fd_gen(77), 0);
    green__fd_closed(77);  /* never recorded: still a new generation */
    ck_assert_uint_eq(green__fd_gen(77), 1);
    ck_assert_int_eq(green__fd_opened(77, GREEN__FD_SOCKET, 1), 0);
    struct green__fd *e = green__fd_peek(77);
    ck_assert_uint_eq(green__fd_gen(77), 2);
    ck_assert_int_eq(e->kind, GREEN__FD_SOCKET);
    ck_assert_int_eq(e->nonblock, 1);
    e->rcvtimeo = 5;
    green__fd_closed(77);
    ck_assert_uint_eq(green__fd_gen(77), 3);
    ck_assert_int_eq(e->kind, GREEN__FD_UNKNOWN);
    ck_assert_int_eq(e->nonblock, 0);
    ck_assert_int_eq(e->rcvtimeo, 0);
}
END_TEST

START_TEST(fdtab_probe_kinds)
{
    int p[2], s[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
    int file = open("/proc/self/status", O_RDONLY);
    int null = open("/dev/null", O_RDONLY);
    int ev = eventfd(0, 0);
    ck_assert_int_eq(green__fd_probe(p[0]), GREEN__FD_PIPE);
    ck_assert_int_eq(green__fd_probe(s[0]), GREEN__FD_SOCKET);
    ck_assert_int_eq(green__fd_probe(file), GREEN__FD_FILE);
    errno = 1234;
    ck_assert_int_eq(green__fd_probe(null), GREEN__FD_OTHER);
    ck_assert_int_eq(errno, 1234);  /* internal: errno untouched */
    ck_assert_int_eq(green__fd_probe(ev), GREEN__FD_OTHER);
    ck_assert_int_eq(green__fd_probe(9999), -EBADF);
}
END_TEST

static atomic_int go;

static void *grow_racer(void *arg)
{
    int base = (int)(intptr_t)arg;
    while (!atomic_load(&go))
        ;
    for (int fd = base; fd < 200000; fd += 4) {
        struct green__fd *e = green__fd_entry(fd);
        ck_assert_ptr_nonnull(e);
        atomic_fetch_add(&e->gen, 1);
    }
    return NULL;
}

START_TEST(fdtab_concurrent_growth)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, grow_racer, (void *)(intptr_t)i);
    atomic_store(&go, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int fd = 0; fd < 200000; fd++)
        ck_assert_uint_eq(green__fd_gen(fd), 1);  /* no entry lost */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fdtab");
    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, fdtab_grows_without_moving);
    tcase_add_test(tc, fdtab_generations);
    tcase_add_test(tc, fdtab_probe_kinds);
    tcase_add_test(tc, fdtab_concurrent_growth);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
