/* The C half of the AArch64 context: building a new frame and exposing a
 * saved one to libunwind. The frame layout is documented in switch.S. */
#include "context.h"

#include <stdint.h>
#include <string.h>
#include <ucontext.h>

struct frame {
    uint64_t x[10]; /* x19-x28 */
    uint64_t fp, lr;
    uint64_t d[8]; /* d8-d15 */
    uint64_t fpcr, pad;
};

_Static_assert(sizeof(struct frame) == 176, "switch.S reserves 176 bytes");
_Static_assert(offsetof(struct frame, x) == 0, "switch.S layout");
_Static_assert(offsetof(struct frame, fp) == 80, "switch.S layout");
_Static_assert(offsetof(struct frame, lr) == 88, "switch.S layout");
_Static_assert(offsetof(struct frame, d) == 96, "switch.S layout");
_Static_assert(offsetof(struct frame, fpcr) == 160, "switch.S layout");

void green__trampoline(void);
uint64_t green__fpcr(void);

void *green__context_make(void *lo, void *hi, void (*entry)(void *),
                          void *arg)
{
    (void)lo;
    /* switch.S pops the frame, leaving sp at the 16-aligned top, which is
     * what the trampoline's blr hands to entry. fp = 0 (memset) marks the
     * end of the frame-record chain. */
    uintptr_t top = (uintptr_t)hi & ~(uintptr_t)15;
    struct frame *f = (struct frame *)(top - sizeof *f);
    memset(f, 0, sizeof *f);
    f->fpcr = green__fpcr();
    f->x[0] = (uint64_t)(uintptr_t)entry; /* x19 */
    f->x[1] = (uint64_t)(uintptr_t)arg;   /* x20 */
    f->lr = (uint64_t)(uintptr_t)green__trampoline;
    return f;
}

int green__context_unwind_init(void *sp, void *ucp)
{
    const struct frame *f = sp;
    ucontext_t *uc = ucp;
    /* libunwind's unw_context_t matches ucontext_t only up to pstate: its
     * __reserved (FP/SIMD records) is far shorter than glibc's 4096 bytes,
     * so write nothing past the start of __reserved. */
    memset(uc, 0, offsetof(ucontext_t, uc_mcontext.__reserved));
    mcontext_t *m = &uc->uc_mcontext;
    for (int i = 0; i < 10; i++)
        m->regs[19 + i] = f->x[i];
    m->regs[29] = f->fp;
    m->regs[30] = f->lr;
    m->sp = (uint64_t)(uintptr_t)(f + 1);
    /* As unw_getcontext does: pc is the return address into the caller of
     * green__switch. */
    m->pc = f->lr;
    return 0;
}
