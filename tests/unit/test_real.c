/* The real-function table: every row resolves to libc's function (its
 * named version where the list gives one), and, with per-row stubs, a row
 * is resolved by its own first call, arguments and all, and no other. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "real.h"

static void *row(unsigned i)
{
    return ((void **)&green__real)[i];
}

static unsigned index_of(const char *name)
{
    for (unsigned i = 0; i < green__real_nrows; i++)
        if (!strcmp(green__real_rows[i].name, name))
            return i;
    ck_abort_msg("no row %s", name);
    return 0;
}

START_TEST(real_every_row_resolves)
{
    green__real_init();
    for (unsigned i = 0; i < green__real_nrows; i++) {
        char buf[18];
        const char *v = green__real_version(i, buf);
        const char *name = green__real_rows[i].name;
        void *want = v ? dlvsym(RTLD_NEXT, name, v) : dlsym(RTLD_NEXT, name);
        ck_assert_msg(want, "libc has %s", name);
        ck_assert_msg(row(i) == want, "row %s is libc's", name);
    }
    char buf[18];
    ck_assert_str_eq(green__real_version(index_of("pthread_cond_wait"), buf),
                     "GLIBC_2.3.2");
    ck_assert_ptr_null(green__real_version(index_of("read"), buf));
}
END_TEST

#if GREEN_LAZY_REALS
/* Variadic (open, fcntl), many-argument (pwritev2) and plain calls go
 * through their stubs with every argument intact. */
START_TEST(real_row_resolves_on_first_call)
{
    unsigned op = index_of("open"), fc = index_of("fcntl"),
             pw = index_of("pwritev2"), rd = index_of("read");
    ck_assert_ptr_ne(row(fc), dlsym(RTLD_NEXT, "fcntl"));
    void *stub_rd = row(rd);
    ck_assert_ptr_ne(row(op), dlsym(RTLD_NEXT, "open"));
    int fd = green__real.open("/dev/null", O_WRONLY | O_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_ptr_eq(row(op), dlsym(RTLD_NEXT, "open"));
    ck_assert_int_eq(green__real.fcntl(fd, F_GETFD), FD_CLOEXEC);
    ck_assert_int_eq(green__real.fcntl(fd, F_SETFD, 0), 0);
    ck_assert_int_eq(green__real.fcntl(fd, F_GETFD), 0);
    ck_assert_ptr_eq(row(fc), dlsym(RTLD_NEXT, "fcntl"));
    char b[3] = "abc";
    struct iovec iov = {b, sizeof b};
    ck_assert_int_eq(green__real.pwritev2(fd, &iov, 1, -1, 0), 3);
    ck_assert_ptr_eq(row(pw), dlsym(RTLD_NEXT, "pwritev2"));
    /* read was not called: its row is still its stub. */
    ck_assert_ptr_eq(row(rd), stub_rd);
    close(fd);
}
END_TEST
#endif

int main(void)
{
    Suite *s = suite_create("real");
    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, real_every_row_resolves);
#if GREEN_LAZY_REALS
    tcase_add_test(tc, real_row_resolves_on_first_call);
#endif
    suite_add_tcase(s, tc);
    return harness_run(s);
}
