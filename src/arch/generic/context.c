/* The portable context switch, on top of <ucontext.h>, for CPUs without a
 * switch.S. A context is a pointer to the ucontext_t it was saved in: for a
 * suspended context, one in green__switch's own frame; for a new one, one
 * at the top of its stack. Slower than the asm (swapcontext also swaps the
 * signal mask, a system call), and each green thread then has its own
 * signal mask, as a pthread would. */
#include "context.h"

#include <stdint.h>
#include <stdlib.h>
#include <ucontext.h>

/* What green__context_make leaves at the top of a new stack. uc comes
 * first, so a pointer to the struct is also a pointer to uc. */
struct boot {
    ucontext_t uc;
    void (*entry)(void *);
    void *arg;
};

_Static_assert(_Alignof(struct boot) <= 16, "context_make aligns to 16");

/* makecontext passes only ints: the struct boot pointer arrives in two
 * 32-bit halves (hi is 0 where pointers are 32 bits wide). */
static void boot(int hi, int lo)
{
    uint64_t p = (uint64_t)(unsigned)hi << 32 | (unsigned)lo;
    struct boot *b = (struct boot *)(uintptr_t)p;
    b->entry(b->arg);
    /* With uc_link NULL, returning would silently exit the thread. */
    abort();
}

void green__switch(void **from, void *to)
{
    /* This frame stays intact while the context is suspended: it is the
     * stack swapcontext returns on. */
    ucontext_t self;
    *from = &self;
    swapcontext(&self, to);
}

void *green__context_make(void *lo, void *hi, void (*entry)(void *),
                          void *arg)
{
    uintptr_t top = (uintptr_t)hi & ~(uintptr_t)15;
    struct boot *b = (struct boot *)((top - sizeof *b) & ~(uintptr_t)15);
    /* getcontext also captures the caller's floating-point control state
     * (and signal mask), which the new context thus inherits. */
    if (getcontext(&b->uc) != 0)
        abort();
    b->uc.uc_link = NULL;
    b->uc.uc_stack.ss_sp = lo;
    b->uc.uc_stack.ss_size = (size_t)((char *)b - (char *)lo);
    b->uc.uc_stack.ss_flags = 0;
    b->entry = entry;
    b->arg = arg;
    uint64_t p = (uintptr_t)b;
    /* unsigned to int wraps in GCC and Clang; boot() undoes it. */
    makecontext(&b->uc, (void (*)(void))boot, 2, (int)(unsigned)(p >> 32),
                (int)(unsigned)p);
    return &b->uc;
}

int green__context_unwind_init(void *sp, void *uc)
{
    (void)sp;
    (void)uc;
    return -1;
}
