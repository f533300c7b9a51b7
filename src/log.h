/* Messages from libgreen: one line each, "libgreen: ...", written with
 * write(2) to stderr (never stdio, which may block or allocate and shares
 * buffers with the program). Safe in signal handlers. */
#ifndef GREEN_SRC_LOG_H
#define GREEN_SRC_LOG_H

#include <stdarg.h>

enum { GREEN__LOG_ERROR = 1, GREEN__LOG_WARN = 2, GREEN__LOG_INFO = 3,
       GREEN__LOG_DEBUG = 4 };

/* Prints one formatted line if level <= GREEN_LOG_LEVEL (default: warnings). */
void green__log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints one formatted line whatever the level: for what was asked for
 * (GREEN_CHECK's listing, crash reports). */
void green__say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a backtrace of the calling context, or of the context a signal
 * interrupted when uc is a handler's ucontext (signal_frame nonzero) or a
 * context filled by green__context_unwind_init (signal_frame zero). */
void green__log_backtrace(void *uc, int signal_frame);

#endif
