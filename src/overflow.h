/* Stack overflow reports. A green thread that runs off its stack hits the
 * guard page (SIGSEGV, handled on an alternate signal stack) or writes the
 * canary zone (found at its next switch); either way one line names the
 * thread, a backtrace follows, and the process aborts. Faults that are not
 * a green stack's overflow go to the handler that was installed before. */
#ifndef GREEN_SRC_OVERFLOW_H
#define GREEN_SRC_OVERFLOW_H

#include <signal.h>

#include "stack.h"

struct green_thread;

/* Installs the SIGSEGV handler once per process and, unless the OS thread
 * has one already, an alternate signal stack for the calling OS thread,
 * stored in *alt (alt->lo stays NULL if none was made). */
void green__overflow_init_thread(struct green__stack *alt);

/* The program's own SIGSEGV action while ours is installed: it becomes
 * the action ours passes other faults on to, and the one the program sees
 * as current (*old), as if ours were not there. Returns 0 then, or -1
 * when ours is not installed (the caller makes the real call). */
int green__overflow_sigaction(const struct sigaction *act,
                              struct sigaction *old);

/* Takes down and frees an alternate signal stack made above. */
void green__overflow_fini_thread(struct green__stack *alt);

/* Reports t's overflow and aborts. uc: the faulting signal context, or
 * NULL to show the caller's own backtrace. */
__attribute__((noreturn, cold)) void
green__overflow_report(struct green_thread *t, void *uc);

#endif
