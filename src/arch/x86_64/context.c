/* The C half of the x86_64 context: building a new frame and exposing a
 * saved one to libunwind. The frame layout is documented in switch.S. */
#include "context.h"

#include <stdint.h>
#include <string.h>
#include <ucontext.h>

struct frame {
    uint32_t mxcsr;
    uint16_t fpucw;
    uint16_t pad;
    uint64_t r15, r14, r13, r12, rbx, rbp;
    uint64_t ret;
};

_Static_assert(sizeof(struct frame) == 64, "switch.S pushes 64 bytes");
_Static_assert(offsetof(struct frame, r13) == 24, "switch.S layout");
_Static_assert(offsetof(struct frame, r12) == 32, "switch.S layout");
_Static_assert(offsetof(struct frame, ret) == 56, "switch.S layout");

void green__trampoline(void);
void green__fpstate(uint32_t *mxcsr, uint16_t *cw);

void *green__context_make(void *lo, void *hi, void (*entry)(void *),
                          void *arg)
{
    (void)lo;
    /* After `ret` pops the trampoline's address, rsp is the 16-aligned top:
     * the trampoline's call then gives entry the ABI's rsp % 16 == 8. */
    uintptr_t top = (uintptr_t)hi & ~(uintptr_t)15;
    struct frame *f = (struct frame *)(top - sizeof *f);
    memset(f, 0, sizeof *f);
    green__fpstate(&f->mxcsr, &f->fpucw);
    f->r13 = (uint64_t)(uintptr_t)entry;
    f->r12 = (uint64_t)(uintptr_t)arg;
    f->ret = (uint64_t)(uintptr_t)green__trampoline;
    return f;
}

int green__context_unwind_init(void *sp, void *ucp)
{
    const struct frame *f = sp;
    ucontext_t *uc = ucp;
    memset(uc, 0, sizeof *uc);
    greg_t *r = uc->uc_mcontext.gregs;
    r[REG_RIP] = (greg_t)f->ret;
    r[REG_RSP] = (greg_t)(uintptr_t)(f + 1);
    r[REG_RBP] = (greg_t)f->rbp;
    r[REG_RBX] = (greg_t)f->rbx;
    r[REG_R12] = (greg_t)f->r12;
    r[REG_R13] = (greg_t)f->r13;
    r[REG_R14] = (greg_t)f->r14;
    r[REG_R15] = (greg_t)f->r15;
    return 0;
}
