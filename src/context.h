/* The context switch: the only code that changes stacks.
 *
 * A suspended context is just a stack pointer. green__switch pushes the
 * callee-saved registers and the floating-point control words onto the
 * current stack, stores the stack pointer in *from, loads `to` and pops the
 * same frame from there. Caller-saved registers need no saving: the C
 * compiler already assumes green__switch clobbers them. errno and the rest
 * of the green thread's state are saved by the caller (thread.c).
 *
 * Implementations: arch/x86_64/switch.S, arch/aarch64/switch.S and, for
 * other CPUs, arch/generic/context.c on top of ucontext. */
#ifndef GREEN_SRC_CONTEXT_H
#define GREEN_SRC_CONTEXT_H

#include <stddef.h>

/* Saves the current context in *from and resumes `to`. Returns when some
 * other context switches back to *from. `to` must differ from the current
 * context. */
void green__switch(void **from, void *to);

/* Prepares the stack [lo, hi) so that the first switch to the returned
 * context calls entry(arg) there, with the floating-point control state of
 * the caller (POSIX: a new thread inherits its creator's). entry must never
 * return. */
void *green__context_make(void *lo, void *hi, void (*entry)(void *),
                          void *arg);

/* Fills *uc (a unw_context_t, which is a ucontext_t on Linux) with the
 * registers a suspended context saved, so that libunwind can walk its
 * stack. Returns 0, or -1 where the arch cannot do it. */
int green__context_unwind_init(void *sp, void *uc);

#endif
