/* GREEN_* parsing: accepted forms, rejected ones, and the one-line
 * warning that names the variable. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "config.h"
#include "green.h"
#include "harness.h"

START_TEST(config_parse_size)
{
    size_t v;
    ck_assert_int_eq(green__parse_size("4096", &v), 0);
    ck_assert_uint_eq(v, 4096);
    ck_assert_int_eq(green__parse_size("64k", &v), 0);
    ck_assert_uint_eq(v, 65536);
    ck_assert_int_eq(green__parse_size("2M", &v), 0);
    ck_assert_uint_eq(v, 2 << 20);
    ck_assert_int_eq(green__parse_size("1G", &v), 0);
    ck_assert_uint_eq(v, 1 << 30);
    const char *bad[] = {"", "k", "-1", "12q", "1KB", " 1", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(green__parse_size(bad[i], &v) < 0, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(config_parse_bool_and_uint)
{
    int b;
    const char *yes[] = {"1", "yes", "ON", "True"}, *no[] = {"0", "No", "off", "FALSE"};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(green__parse_bool(yes[i], &b), 0);
        ck_assert_int_eq(b, 1);
        ck_assert_int_eq(green__parse_bool(no[i], &b), 0);
        ck_assert_int_eq(b, 0);
    }
    ck_assert_int_lt(green__parse_bool("2", &b), 0);
    ck_assert_int_lt(green__parse_bool("", &b), 0);
    unsigned long u;
    ck_assert_int_eq(green__parse_uint("17", 100, &u), 0);
    ck_assert_uint_eq(u, 17);
    ck_assert_int_lt(green__parse_uint("101", 100, &u), 0);
    ck_assert_int_lt(green__parse_uint("1x", 100, &u), 0);
}
END_TEST

static void *noop(void *arg)
{
    return arg;
}

static void with_env(void *arg)
{
    char *kv = arg;
    char *eq = strchr(kv, '=');
    *eq = 0;
    setenv(kv, eq + 1, 1);
    green_join(green_spawn(noop, NULL, NULL), NULL, GREEN_NEVER);
}

START_TEST(config_bad_value_warns_once)
{
    struct harness_child c;
    char kv[] = "GREEN_STACK_SIZE=12 KB";
    harness_fork(with_env, kv, &c);
    ck_assert_int_eq(c.status, 0);  /* runs with the default */
    ck_assert_msg(strstr(c.err, "GREEN_STACK_SIZE"), "stderr: %s", c.err);
    ck_assert_ptr_null(strchr(strchr(c.err, '\n') + 1, '\n'));  /* one line */
    char kv2[] = "GREEN_POLL_EVERY=0";
    harness_fork(with_env, kv2, &c);
    ck_assert_msg(strstr(c.err, "GREEN_POLL_EVERY"), "stderr: %s", c.err);
    static char hubs[][24] = {"GREEN_HUBS=0", "GREEN_HUBS=257", "GREEN_HUBS=two"};
    for (size_t i = 0; i < sizeof hubs / sizeof hubs[0]; i++) {
        harness_fork(with_env, hubs[i], &c);
        ck_assert_int_eq(c.status, 0);
        ck_assert_msg(strstr(c.err, "GREEN_HUBS"), "stderr: %s", c.err);
        ck_assert_ptr_null(strchr(strchr(c.err, '\n') + 1, '\n'));
    }
}
END_TEST

START_TEST(config_parse_signal)
{
    int sig;
    ck_assert_int_eq(green__parse_signal("QUIT", &sig), 0);
    ck_assert_int_eq(sig, SIGQUIT);
    ck_assert_int_eq(green__parse_signal("SIGUSR1", &sig), 0);
    ck_assert_int_eq(sig, SIGUSR1);
    ck_assert_int_eq(green__parse_signal("usr2", &sig), 0);
    ck_assert_int_eq(sig, SIGUSR2);
    ck_assert_int_eq(green__parse_signal("10", &sig), 0);
    ck_assert_int_eq(sig, 10);
    ck_assert_int_eq(green__parse_signal("KILL", &sig), -EINVAL);
    ck_assert_int_eq(green__parse_signal("SIGSTOP", &sig), -EINVAL);
    ck_assert_int_eq(green__parse_signal("0", &sig), -EINVAL);
    ck_assert_int_eq(green__parse_signal("NOSUCH", &sig), -EINVAL);
    ck_assert_int_eq(green__parse_signal("", &sig), -EINVAL);
    ck_assert_int_eq(green__parse_signal("1000", &sig), -EINVAL);
}
END_TEST

/* Each new diagnostics variable warns once, naming itself, on a bad
 * value. */
START_TEST(config_diagnostics_bad_values)
{
    static char bad[][40] = {"GREEN_DUMP_SIGNAL=SIGNOPE",
                             "GREEN_STATS=often",
                             "GREEN_MAX_BLOCKING_MS=-5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct harness_child c;
        char name[40];
        snprintf(name, sizeof name, "%.*s", (int)(strchr(bad[i], '=') - bad[i]),
                 bad[i]);
        harness_fork(with_env, bad[i], &c);
        ck_assert_int_eq(c.status, 0);
        ck_assert_msg(strstr(c.err, name), "stderr: %s", c.err);
        ck_assert_ptr_null(strchr(strchr(c.err, '\n') + 1, '\n'));
    }
}
END_TEST

START_TEST(config_good_value_silent)
{
    struct harness_child c;
    char kv[] = "GREEN_STACK_SIZE=64k";
    harness_fork(with_env, kv, &c);
    ck_assert_int_eq(c.status, 0);
    ck_assert_str_eq(c.err, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("basic");
    tcase_add_test(tc, config_parse_size);
    tcase_add_test(tc, config_parse_bool_and_uint);
    tcase_add_test(tc, config_bad_value_warns_once);
    tcase_add_test(tc, config_good_value_silent);
    tcase_add_test(tc, config_parse_signal);
    tcase_add_test(tc, config_diagnostics_bad_values);
    suite_add_tcase(s, tc);
    return harness_run(s);
}
