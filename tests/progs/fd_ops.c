/* Parity program: the fd lifecycle calls (dup, dup2, dup3, fcntl, ioctl,
 * close, close_range, pipe2, socketpair, open, openat, creat, fdopen/fclose)
 * and what they do to later I/O. fd numbers are printed only as relations
 * ("lowest free: yes"). Knows nothing of libgreen. It ends with a daemon-style
 * close_range(3, ~0U) and checks that I/O, poll and sleeps still work. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

static int nonblock(int fd)
{
    return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

static int cloexec(int fd)
{
    return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

/* The open file description's flags as the kernel has them (octal in
 * /proc/self/fdinfo), whatever fcntl(F_GETFL) may be told to say. */
static long kernel_flags(int fd)
{
    char path[64], line[128];
    unsigned long flags = 0;
    int found = 0;
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "flags: %lo", &flags) == 1) {
            found = 1;
            break;
        }
    fclose(f);
    return found ? (long)flags : -1;
}

static void test_dup(void)
{
    int p[2], q[2];
    char buf[16];
    if (pipe(p) < 0 || pipe(q) < 0)
        die("pipe");

    int d = dup(p[0]);
    showfd("dup(pipe read end)", d);
    yesno("  a new fd", d != p[0]);
    close(d);
    int d2 = dup(p[0]);
    yesno("  dup after close reuses the lowest free fd", d2 == d);
    yesno("  dup does not copy FD_CLOEXEC", !cloexec(d2));
    fcntl(d2, F_SETFL, O_NONBLOCK);
    yesno("  O_NONBLOCK set on the dup shows on the original", nonblock(p[0]));
    show("  read(original, empty)", read(p[0], buf, sizeof buf));
    fcntl(d2, F_SETFL, 0);
    close(d2);
    showfd("dup(-1)", dup(-1));
    showfd("dup(closed fd)", dup(closed_fd()));

    int r = dup2(p[0], p[0]);
    showfd("dup2(fd, fd)", r);
    yesno("  returned the same fd", r == p[0]);
    int c = closed_fd();
    showfd("dup2(closed, closed)", dup2(c, c));
    showfd("dup2(closed fd, other)", dup2(c, p[0]));
    showfd("dup2(fd, -1)", dup2(p[0], -1));
    showfd("dup2(fd, 1 << 30)", dup2(p[0], 1 << 30));
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    showfd("dup2(fd, RLIMIT_NOFILE)", dup2(p[0], (int)rl.rlim_cur));
    /* dup2 onto an open fd closes it silently: q's read end is gone. */
    int target = q[0];
    r = dup2(p[0], target);
    showfd("dup2(p read end, onto q read end)", r);
    yesno("  returned the target", r == target);
    signal(SIGPIPE, SIG_IGN);
    show("  write(q write end) now that q has no reader", write(q[1], "x", 1));
    signal(SIGPIPE, SIG_DFL);
    show("  write(p write end)", write(p[1], "dup", 3));
    memset(buf, 0, sizeof buf);
    show("  read(target, now p)", read(target, buf, sizeof buf));
    close(target);
    close(q[1]);

    c = closed_fd();
    showfd("dup3(fd, same fd, 0)", dup3(p[0], p[0], 0));
    showfd("dup3(fd, other, flags 0x1)", dup3(p[0], 150, 0x1));
    showfd("dup3(closed fd, other, 0)", dup3(c, 150, 0));
    r = dup3(p[0], 150, O_CLOEXEC);
    showfd("dup3(fd, 150, O_CLOEXEC)", r);
    yesno("  returned 150", r == 150);
    yesno("  FD_CLOEXEC set", cloexec(150));
    close(150);
    close(p[0]);
    close(p[1]);
}

static void test_fcntl(void)
{
    int p[2];
    char buf[16];
    if (pipe(p) < 0)
        die("pipe");

    show("fcntl(read end, F_GETFL) & O_ACCMODE", fcntl(p[0], F_GETFL) & O_ACCMODE);
    show("fcntl(write end, F_GETFL) & O_ACCMODE", fcntl(p[1], F_GETFL) & O_ACCMODE);
    show("fcntl(F_GETFL) & O_NONBLOCK", nonblock(p[0]));
    show("fcntl(F_SETFL, O_NONBLOCK)", fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK));
    show("  F_GETFL has O_NONBLOCK", nonblock(p[0]));
    show("  read(empty)", read(p[0], buf, sizeof buf));
    show("fcntl(F_SETFL, O_WRONLY | O_APPEND) (access mode ignored)", fcntl(p[0], F_SETFL, O_WRONLY | O_APPEND));
    show("  F_GETFL & (O_ACCMODE | O_APPEND | O_NONBLOCK)",
         fcntl(p[0], F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK));
    fcntl(p[0], F_SETFL, 0);
    put(p[1], "abc");
    show("  read after clearing O_NONBLOCK", read(p[0], buf, sizeof buf));

    int d = fcntl(p[0], F_DUPFD, 100);
    showfd("fcntl(F_DUPFD, 100)", d);
    yesno("  fd >= 100", d >= 100);
    yesno("  FD_CLOEXEC set", cloexec(d));
    int d2 = fcntl(p[0], F_DUPFD, 100);
    yesno("  next F_DUPFD, 100 gives the next number", d2 == d + 1);
    close(d2);
    close(d);
    d = fcntl(p[0], F_DUPFD_CLOEXEC, 100);
    showfd("fcntl(F_DUPFD_CLOEXEC, 100)", d);
    yesno("  FD_CLOEXEC set", cloexec(d));
    close(d);
    showfd("fcntl(F_DUPFD, -1)", fcntl(p[0], F_DUPFD, -1));
    showfd("fcntl(F_DUPFD, 1 << 30)", fcntl(p[0], F_DUPFD, 1 << 30));

    show("fcntl(F_GETFD)", fcntl(p[0], F_GETFD));
    show("fcntl(F_SETFD, FD_CLOEXEC)", fcntl(p[0], F_SETFD, FD_CLOEXEC));
    show("fcntl(F_GETFD)", fcntl(p[0], F_GETFD));
    show("fcntl(F_SETFD, 0)", fcntl(p[0], F_SETFD, 0));
    show("fcntl(F_GETFD)", fcntl(p[0], F_GETFD));

    int c = closed_fd();
    show("fcntl(closed fd, F_GETFL)", fcntl(c, F_GETFL));
    show("fcntl(closed fd, F_SETFL)", fcntl(c, F_SETFL, O_NONBLOCK));
    show("fcntl(closed fd, F_GETFD)", fcntl(c, F_GETFD));
    show("fcntl(-1, F_GETFD)", fcntl(-1, F_GETFD));
    show("fcntl(cmd 9999)", fcntl(p[0], 9999));

    show("fcntl(F_GETPIPE_SZ)", fcntl(p[0], F_GETPIPE_SZ));
    show("fcntl(F_SETPIPE_SZ, 4096)", fcntl(p[1], F_SETPIPE_SZ, 4096));
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    static char big[8192];
    show("  write(8192) to a 4096-byte O_NONBLOCK pipe", write(p[1], big, sizeof big));
    close(p[0]);
    close(p[1]);
}

static void test_ioctl(void)
{
    int p[2], on = 1, off = 0, n = -1;
    char buf[16];
    if (pipe(p) < 0)
        die("pipe");
    show("ioctl(FIONBIO, 1)", ioctl(p[0], FIONBIO, &on));
    show("  F_GETFL has O_NONBLOCK", nonblock(p[0]));
    show("  read(empty)", read(p[0], buf, sizeof buf));
    show("ioctl(FIONBIO, 0)", ioctl(p[0], FIONBIO, &off));
    show("  F_GETFL has O_NONBLOCK", nonblock(p[0]));
    put(p[1], "hello");
    show("ioctl(FIONREAD)", ioctl(p[0], FIONREAD, &n));
    show("  count", n);
    show("  read", read(p[0], buf, sizeof buf));
    show("ioctl(FIOCLEX)", ioctl(p[0], FIOCLEX));
    show("  FD_CLOEXEC set", cloexec(p[0]));
    show("ioctl(FIONCLEX)", ioctl(p[0], FIONCLEX));
    show("  FD_CLOEXEC set", cloexec(p[0]));
    show("ioctl(closed fd, FIONREAD)", ioctl(closed_fd(), FIONREAD, &n));
    show("ioctl(-1, FIONBIO)", ioctl(-1, FIONBIO, &on));
    struct winsize ws;
    show("ioctl(pipe, TIOCGWINSZ)", ioctl(p[0], TIOCGWINSZ, &ws));

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("socketpair");
    show("ioctl(socket, FIONBIO, 1)", ioctl(sv[0], FIONBIO, &on));
    show("  recv(empty)", recv(sv[0], buf, sizeof buf, 0));
    ioctl(sv[0], FIONBIO, &off);
    send(sv[1], "xyz", 3, 0);
    n = -1;
    show("ioctl(socket, FIONREAD)", ioctl(sv[0], FIONREAD, &n));
    show("  count", n);
    close(sv[0]);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
}

static void test_close(void)
{
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    show("close(fd)", close(p[0]));
    show("close(fd) again", close(p[0]));
    show("close(-1)", close(-1));
    show("close(INT_MAX)", close(INT_MAX));
    close(p[1]);

    /* close_range over fds 200..203 (202 left closed on purpose). */
    if (pipe(p) < 0)
        die("pipe");
    dup2(p[0], 200);
    dup2(p[1], 201);
    dup2(p[0], 203);
    show("close_range(200, 203, 0)", close_range(200, 203, 0));
    for (int fd = 200; fd <= 203; fd++) {
        char what[64];
        snprintf(what, sizeof what, "  fcntl(%d, F_GETFD)", fd);
        show(what, fcntl(fd, F_GETFD));
    }
    show("  pipe still open through the originals", write(p[1], "x", 1));
    dup2(p[0], 210);
    dup2(p[1], 211);
    show("close_range(210, 211, CLOSE_RANGE_CLOEXEC)", close_range(210, 211, CLOSE_RANGE_CLOEXEC));
    show("  fcntl(210, F_GETFD)", fcntl(210, F_GETFD));
    show("  fcntl(211, F_GETFD)", fcntl(211, F_GETFD));
    close(210);
    close(211);
    show("close_range(5, 4, 0)", close_range(5, 4, 0));
    show("close_range(200, 203, flags 0x1000)", close_range(200, 203, 0x1000));
    show("close_range(300, 310, 0) over closed fds", close_range(300, 310, 0));
    show("close_range(300, 310, CLOSE_RANGE_UNSHARE)", close_range(300, 310, CLOSE_RANGE_UNSHARE));
    close(p[0]);
    close(p[1]);
}

static void test_create(void)
{
    int p[2], sv[2];
    char buf[16];

    show("pipe2(O_NONBLOCK | O_CLOEXEC)", pipe2(p, O_NONBLOCK | O_CLOEXEC));
    printf("  read end: O_NONBLOCK %d FD_CLOEXEC %d; write end: O_NONBLOCK %d FD_CLOEXEC %d\n",
           nonblock(p[0]), cloexec(p[0]), nonblock(p[1]), cloexec(p[1]));
    close(p[0]);
    close(p[1]);
    show("pipe2(O_CLOEXEC)", pipe2(p, O_CLOEXEC));
    printf("  read end: O_NONBLOCK %d FD_CLOEXEC %d\n", nonblock(p[0]), cloexec(p[0]));
    close(p[0]);
    close(p[1]);
    show("pipe2(flags 0x1)", pipe2(p, 0x1));
    show("pipe2(O_DIRECT)", pipe2(p, O_DIRECT));
    put(p[1], "abc");
    put(p[1], "defgh");
    show("  read(16) of packet-mode pipe gets one write", read(p[0], buf, sizeof buf));
    show("  read(2) of a 5-byte packet", read(p[0], buf, 2));
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    show("  read(16) the rest of the packet was dropped", read(p[0], buf, sizeof buf));
    close(p[0]);
    close(p[1]);

    show("socketpair(SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC)",
         socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
    printf("  O_NONBLOCK %d %d, FD_CLOEXEC %d %d\n", nonblock(sv[0]), nonblock(sv[1]), cloexec(sv[0]),
           cloexec(sv[1]));
    show("  recv(empty)", recv(sv[0], buf, sizeof buf, 0));
    show("  read(empty)", read(sv[1], buf, sizeof buf));
    close(sv[0]);
    close(sv[1]);
    show("socketpair(SOCK_DGRAM)", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    printf("  O_NONBLOCK %d, FD_CLOEXEC %d\n", nonblock(sv[0]), cloexec(sv[0]));
    close(sv[0]);
    close(sv[1]);
}

static void test_open(void)
{
    char dir[] = "/tmp/parity-fd-XXXXXX";
    char path[128];
    if (!mkdtemp(dir))
        die("mkdtemp");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    showfd("open(temp dir, O_DIRECTORY)", dfd);

    snprintf(path, sizeof path, "%s/missing", dir);
    showfd("open(missing, O_RDONLY)", open(path, O_RDONLY));
    showfd("open(dir, O_WRONLY)", open(dir, O_WRONLY));
    showfd("open(dir, O_RDWR)", open(dir, O_RDWR));
    showfd("openat(dirfd, \"missing\")", openat(dfd, "missing", O_RDONLY));
    showfd("openat(-1, \"missing\")", openat(-1, "missing", O_RDONLY));
    showfd("openat(closed fd, \"x\")", openat(closed_fd(), "x", O_RDONLY));
    showfd("creat(missing dir/f)", creat("/nonexistent-parity-dir/f", 0600));

    snprintf(path, sizeof path, "%s/f", dir);
    int f = creat(path, 0600);
    showfd("creat(f)", f);
    show("  F_GETFL & O_ACCMODE", fcntl(f, F_GETFL) & O_ACCMODE);
    show("  write", write(f, "file data", 9));
    char one;
    show("  read(O_WRONLY fd)", read(f, &one, 1));
    close(f);
    showfd("open(f, O_CREAT | O_EXCL)", open(path, O_CREAT | O_EXCL | O_WRONLY, 0600));
    showfd("open(f, O_DIRECTORY)", open(path, O_RDONLY | O_DIRECTORY));
    showfd("openat(dirfd, \"f/x\")", openat(dfd, "f/x", O_RDONLY));
    f = openat(dfd, "f", O_RDONLY | O_NONBLOCK);
    showfd("openat(dirfd, \"f\", O_NONBLOCK)", f);
    char buf[32] = { 0 };
    show("  read (O_NONBLOCK does nothing to a regular file)", read(f, buf, sizeof buf));
    printf("  got \"%s\"\n", buf);
    show("  read at EOF", read(f, buf, sizeof buf));
    close(f);
    f = open(path, O_RDWR | O_APPEND);
    showfd("open(f, O_RDWR | O_APPEND)", f);
    show("  write", write(f, "!", 1));
    show("  lseek(0, SEEK_END)", lseek(f, 0, SEEK_END));
    close(f);

    f = open(path, O_RDONLY);
    FILE *fp = fdopen(f, "r");
    show("fdopen(fd, \"r\")", fp ? 0 : -1);
    show("  fgetc", fp ? fgetc(fp) : -1);
    show("fclose", fp ? fclose(fp) : -1);
    show("  fcntl(the old fd, F_GETFD)", fcntl(f, F_GETFD));
    show("  close(the old fd)", close(f));

    /* The daemon idiom relies on open returning the lowest free fd. */
    int saved = dup(0);
    close(0);
    int z = open("/dev/null", O_RDONLY);
    yesno("close(0); open(\"/dev/null\") returns 0", z == 0);
    if (saved >= 0) {
        dup2(saved, 0);
        close(saved);
    }

    unlinkat(dfd, "f", 0);
    close(dfd);
    show("rmdir(temp dir)", rmdir(dir));
}

static void test_blocking_flags(void)
{
    int p[2], sv[2];
    char buf[16];
    if (pipe(p) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("pipe/socketpair");

    /* Reads that really had to wait must leave the description blocking:
     * O_NONBLOCK belongs to the open file description (docs/design.md G8). */
    pid_t pid = late_write(p[1], -1, 20, "late");
    show("read(pipe, writer 20 ms late)", read(p[0], buf, sizeof buf));
    expect_exit0("  writer", reap(pid));
    show("  F_GETFL has O_NONBLOCK", nonblock(p[0]));
    long kf = kernel_flags(p[0]);
    yesno("  /proc/self/fdinfo flags have O_NONBLOCK", kf >= 0 && (kf & O_NONBLOCK));
    yesno("  /proc/self/fdinfo flags readable", kf >= 0);

    pid = late_write(sv[1], -1, 20, "late");
    show("recv(socketpair, writer 20 ms late)", recv(sv[0], buf, sizeof buf, 0));
    expect_exit0("  writer", reap(pid));
    show("  F_GETFL has O_NONBLOCK", nonblock(sv[0]));
    kf = kernel_flags(sv[0]);
    yesno("  /proc/self/fdinfo flags have O_NONBLOCK", kf >= 0 && (kf & O_NONBLOCK));
    kf = kernel_flags(sv[1]);
    yesno("  peer's /proc/self/fdinfo flags have O_NONBLOCK", kf >= 0 && (kf & O_NONBLOCK));

    /* A forked child shares the description and sees the same flags. */
    pid = fork_child();
    if (pid == 0)
        _exit(nonblock(p[0]) ? 3 : 0);
    expect_exit0("  child sees the pipe blocking", reap(pid));

    /* The user's O_NONBLOCK is visible to a child sharing the description. */
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    pid = fork_child();
    if (pid == 0) {
        char b;
        _exit(read(p[0], &b, 1) < 0 && errno == EAGAIN ? 0 : 3);
    }
    expect_exit0("  child reading the O_NONBLOCK pipe gets EAGAIN", reap(pid));
    kf = kernel_flags(p[0]);
    yesno("  /proc/self/fdinfo flags have O_NONBLOCK after F_SETFL", kf >= 0 && (kf & O_NONBLOCK));
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

/* What daemons do: close every fd above 2. Everything must keep working. */
static void test_close_all(void)
{
    int p[2];
    char buf[16];
    show("close_range(3, ~0U, 0)", close_range(3, ~0U, 0));
    show("pipe after close_range", pipe(p));
    show("  write", write(p[1], "alive", 5));
    struct pollfd pfd = { p[0], POLLIN, 0 };
    show("  poll", poll(&pfd, 1, 1000));
    memset(buf, 0, sizeof buf);
    show("  read", read(p[0], buf, sizeof buf));
    printf("  got \"%s\"\n", buf);
    pfd.revents = 0;
    show("  poll(empty, 20 ms)", poll(&pfd, 1, 20));
    show("  nanosleep(10 ms)", nanosleep(&(struct timespec){ 0, 10000000L }, NULL));
    pid_t pid = late_write(p[1], -1, 20, "late");
    show("  read(writer 20 ms late)", read(p[0], buf, sizeof buf));
    expect_exit0("  writer", reap(pid));
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    start_program();
    test_dup();
    test_fcntl();
    test_ioctl();
    test_close();
    test_create();
    test_open();
    test_blocking_flags();
    test_close_all();
    return finish_program("fd_ops");
}
