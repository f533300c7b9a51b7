/* Logging, backtraces and the two error exits of the library. Everything
 * here is async-signal-safe in practice: a stack buffer, vsnprintf without
 * floating point, write(2), and libunwind's local unwinder (loaded
 * beforehand wherever a signal handler may want it: unwinder.h). */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "green-build.h"
#include "common.h"
#include "config.h"
#include "hub.h"
#include "unwinder.h"

static void put(const char *buf, size_t len)
{
    while (len > 0) {
        green__tls_internal++;  /* never a green wait, even on a pipe */
        ssize_t n = write(STDERR_FILENO, buf, len);
        green__tls_internal--;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

static void vline(const char *fmt, va_list ap)
{
    char buf[512];
    int saved = errno;
    int n = snprintf(buf, sizeof buf, "libgreen[%d]: ", (int)getpid());
    int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    if (m < 0)
        m = 0;
    size_t len = (size_t)n + ((size_t)m < sizeof buf - (size_t)n - 1
                                  ? (size_t)m : sizeof buf - (size_t)n - 2);
    buf[len++] = '\n';
    put(buf, len);
    errno = saved;
}

void green__log(int level, const char *fmt, ...)
{
    if (level > green__config.log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    vline(fmt, ap);
    va_end(ap);
}

void green__say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(fmt, ap);
    va_end(ap);
}

void green__log_backtrace(void *uc, int signal_frame)
{
    const struct green__unw *unw = green__unwind_load();
    unw_context_t here;
    unw_cursor_t cur;
    int r;
    if (!unw) {
        green__say("  (no backtrace: cannot load " GREEN_UNWIND_SONAME ")");
        return;
    }
    if (uc) {
        r = unw->init_local2(&cur, (unw_context_t *)uc,
                             signal_frame ? UNW_INIT_SIGNAL_FRAME : 0);
    } else {
        getcontext((ucontext_t *)&here);
        r = unw->init_local(&cur, &here);
    }
    if (r < 0) {
        green__say("  (no backtrace: libunwind error %d)", r);
        return;
    }
    for (int i = 0; i < 64; i++) {
        unw_word_t ip = 0, off = 0;
        char name[128];
        unw->get_reg(&cur, UNW_REG_IP, &ip);
        if (ip == 0)
            break;
        if (unw->get_proc_name(&cur, name, sizeof name, &off) == 0)
            green__say("  #%-2d 0x%016lx %s+0x%lx", i, (unsigned long)ip, name,
                (unsigned long)off);
        else
            green__say("  #%-2d 0x%016lx ?", i, (unsigned long)ip);
        if (unw->step(&cur) <= 0)
            break;
    }
}

void green__panic(const char *file, int line, const char *what)
{
    green__say("internal error at %s:%d: %s", file, line, what);
    green__log_backtrace(NULL, 0);
    abort();
}
