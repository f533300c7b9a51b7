/* The fd table: growth without moving entries, generations, the info
 * cache and its invalidation, probing the kind of an fd, and growth
 * racing from several OS threads. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
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
    green__fd_closed(1 << 30);  /* nothing known: nothing made, no growth */
    ck_assert_ptr_null(green__fd_peek(1 << 30));
    ck_assert_uint_eq(green__fd_watched(77), 0);  /* a hub watches it... */
    green__fd_closed(77);  /* ...so a close is a new generation */
    ck_assert_uint_eq(green__fd_gen(77), 1);
    green__fd_made(77, GREEN__FD_KNOWN | GREEN__FD_SOCKET, true);
    ck_assert_uint_eq(green__fd_gen(77), 2);
    ck_assert(green__fd_internal(77));
    green__fd_closed(77);
    ck_assert_uint_eq(green__fd_gen(77), 3);
    ck_assert(!green__fd_internal(77));
}
END_TEST

/* What the cache says of fd, asserting that it could say. */
static unsigned info_of(int fd, struct green__fdinfo *fi)
{
    ck_assert_int_eq(green__fd_info(fd, fi), 0);
    return fi->info;
}

START_TEST(fdtab_info_probed_and_kept)
{
    struct green__fdinfo fi;
    int p[2], s[2];
    ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, s), 0);
    struct timeval tv = {1, 500000};
    ck_assert_int_eq(setsockopt(s[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    unsigned i = info_of(p[0], &fi);
    ck_assert_uint_eq(i & GREEN__FD_KIND, GREEN__FD_PIPE);
    ck_assert(i & GREEN__FD_NONBLOCK);
    ck_assert(i & GREEN__FD_STREAM);
    ck_assert(i & GREEN__FD_SHARED);  /* not seen being made */
    i = info_of(s[0], &fi);
    ck_assert_uint_eq(i & GREEN__FD_KIND, GREEN__FD_SOCKET);
    ck_assert(!(i & (GREEN__FD_NONBLOCK | GREEN__FD_STREAM)));
    ck_assert_int_eq(fi.rcvtimeo, 1500000000);
    ck_assert_int_eq(fi.sndtimeo, 0);
    /* Cached: a change behind the table's back is not seen... */
    ck_assert_int_eq(fcntl(p[0], F_SETFL, 0), 0);
    ck_assert(info_of(p[0], &fi) & GREEN__FD_NONBLOCK);
    /* ...until told, or the fd is made afresh. */
    green__fd_set_nonblock(p[0], false);
    ck_assert(!(info_of(p[0], &fi) & GREEN__FD_NONBLOCK));
    green__fd_made(p[0], 0, false);
    ck_assert_uint_eq(info_of(p[0], &fi) & GREEN__FD_KIND, GREEN__FD_PIPE);
    errno = 4321;
    ck_assert_int_eq(green__fd_info(9999, &fi), -EBADF);
    ck_assert_int_eq(errno, 4321);  /* internal: errno untouched */
}
END_TEST

START_TEST(fdtab_shared_description_reprobed)
{
    struct green__fdinfo fi;
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    green__fd_made(p[0], GREEN__FD_KNOWN | GREEN__FD_PIPE | GREEN__FD_STREAM,
                   false);
    int d = dup(p[0]);
    green__fd_dup(p[0], d);
    ck_assert(info_of(d, &fi) & GREEN__FD_SHARED);
    ck_assert(info_of(p[0], &fi) & GREEN__FD_SHARED);
    /* O_NONBLOCK set through d is p[0]'s too: the kernel is asked again. */
    ck_assert_int_eq(fcntl(d, F_SETFL, O_NONBLOCK), 0);
    green__fd_set_nonblock(d, true);
    ck_assert(info_of(d, &fi) & GREEN__FD_NONBLOCK);
    ck_assert(info_of(p[0], &fi) & GREEN__FD_NONBLOCK);
    /* Through an fd known to be alone, nothing else is re-asked. */
    int q[2];
    ck_assert_int_eq(pipe(q), 0);
    green__fd_made(q[0], GREEN__FD_KNOWN | GREEN__FD_PIPE, false);
    ck_assert_int_eq(fcntl(p[0], F_SETFL, 0), 0);  /* unseen by the table */
    green__fd_set_nonblock(q[0], true);
    ck_assert(info_of(q[0], &fi) & GREEN__FD_NONBLOCK);
    ck_assert(info_of(p[0], &fi) & GREEN__FD_NONBLOCK);  /* still cached */
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
    tcase_add_test(tc, fdtab_info_probed_and_kept);
    tcase_add_test(tc, fdtab_shared_description_reprobed);
    tcase_add_test(tc, fdtab_probe_kinds);
    tcase_add_test(tc, fdtab_concurrent_growth);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
