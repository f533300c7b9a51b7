/* x86_64 System V context switch. The saved frame, from the saved sp up:
 *
 *   offset  size  what
 *        0     4  MXCSR
 *        4     2  x87 control word (2 bytes padding after)
 *        8     8  r15
 *       16     8  r14
 *       24     8  r13     (entry function, for a new context)
 *       32     8  r12     (its argument, for a new context)
 *       40     8  rbx
 *       48     8  rbp
 *       56     8  return address (green__trampoline, for a new context)
 *
 * 64 bytes in all; context.c beside this file checks these offsets. */

    .text

/* void green__switch(void **from, void *to) */
    .globl  green__switch
    .hidden green__switch
    .type   green__switch, @function
    .p2align 4
green__switch:
    .cfi_startproc
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbp, 0
    pushq   %rbx
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rbx, 0
    pushq   %r12
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r12, 0
    pushq   %r13
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r13, 0
    pushq   %r14
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r14, 0
    pushq   %r15
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %r15, 0
    subq    $8, %rsp
    .cfi_adjust_cfa_offset 8
    stmxcsr (%rsp)
    fnstcw  4(%rsp)
    movq    %rsp, (%rdi)
    /* From here on the frame is the target's, laid out the same way. */
    movq    %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw   4(%rsp)
    addq    $8, %rsp
    .cfi_adjust_cfa_offset -8
    popq    %r15
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r15
    popq    %r14
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r14
    popq    %r13
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r13
    popq    %r12
    .cfi_adjust_cfa_offset -8
    .cfi_restore %r12
    popq    %rbx
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbx
    popq    %rbp
    .cfi_adjust_cfa_offset -8
    .cfi_restore %rbp
    ret
    .cfi_endproc
    .size   green__switch, .-green__switch

/* The first frame of every new context: calls r13(r12) with an aligned
 * stack. The return address is marked undefined so unwinders stop here. */
    .globl  green__trampoline
    .hidden green__trampoline
    .type   green__trampoline, @function
    .p2align 4
green__trampoline:
    .cfi_startproc
    .cfi_undefined %rip
    xorl    %ebp, %ebp
    movq    %r12, %rdi
    callq   *%r13
    ud2
    .cfi_endproc
    .size   green__trampoline, .-green__trampoline

/* void green__fpstate(unsigned *mxcsr, unsigned short *cw) */
    .globl  green__fpstate
    .hidden green__fpstate
    .type   green__fpstate, @function
    .p2align 4
green__fpstate:
    .cfi_startproc
    stmxcsr (%rdi)
    fnstcw  (%rsi)
    ret
    .cfi_endproc
    .size   green__fpstate, .-green__fpstate

    .section .note.GNU-stack, "", @progbits
