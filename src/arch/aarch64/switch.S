/* AArch64 (AAPCS64) context switch. The saved frame, from the saved sp up:
 *
 *   offset  size  what
 *        0     8  x19     (entry function, for a new context)
 *        8     8  x20     (its argument, for a new context)
 *       16    64  x21-x28
 *       80     8  x29 fp  (0, for a new context: ends the frame chain)
 *       88     8  x30 lr  (green__trampoline, for a new context)
 *       96    64  d8-d15  (low halves of v8-v15, all AAPCS64 preserves)
 *      160     8  FPCR (8 bytes padding after)
 *
 * 176 bytes in all, a multiple of 16 because sp must stay 16-aligned;
 * context.c checks these offsets. x18 is not saved: Linux treats it as a
 * temporary. */

    .text

/* void green__switch(void **from, void *to) */
    .globl  green__switch
    .hidden green__switch
    .type   green__switch, %function
    .p2align 4
green__switch:
    .cfi_startproc
    sub     sp, sp, #176
    .cfi_def_cfa_offset 176
    stp     x19, x20, [sp, #0]
    .cfi_rel_offset x19, 0
    .cfi_rel_offset x20, 8
    stp     x21, x22, [sp, #16]
    .cfi_rel_offset x21, 16
    .cfi_rel_offset x22, 24
    stp     x23, x24, [sp, #32]
    .cfi_rel_offset x23, 32
    .cfi_rel_offset x24, 40
    stp     x25, x26, [sp, #48]
    .cfi_rel_offset x25, 48
    .cfi_rel_offset x26, 56
    stp     x27, x28, [sp, #64]
    .cfi_rel_offset x27, 64
    .cfi_rel_offset x28, 72
    stp     x29, x30, [sp, #80]
    .cfi_rel_offset x29, 80
    .cfi_rel_offset x30, 88
    stp     d8, d9, [sp, #96]
    .cfi_rel_offset d8, 96
    .cfi_rel_offset d9, 104
    stp     d10, d11, [sp, #112]
    .cfi_rel_offset d10, 112
    .cfi_rel_offset d11, 120
    stp     d12, d13, [sp, #128]
    .cfi_rel_offset d12, 128
    .cfi_rel_offset d13, 136
    stp     d14, d15, [sp, #144]
    .cfi_rel_offset d14, 144
    .cfi_rel_offset d15, 152
    mrs     x9, fpcr
    str     x9, [sp, #160]
    mov     x10, sp
    str     x10, [x0]
    /* From here on the frame is the target's, laid out the same way. */
    mov     sp, x1
    ldr     x10, [sp, #160]
    /* Writing FPCR may stall the pipeline on some cores, and it rarely
     * changes: skip it when equal, as glibc's fesetround does. */
    cmp     x9, x10
    b.eq    1f
    msr     fpcr, x10
1:
    ldp     d8, d9, [sp, #96]
    .cfi_restore d8
    .cfi_restore d9
    ldp     d10, d11, [sp, #112]
    .cfi_restore d10
    .cfi_restore d11
    ldp     d12, d13, [sp, #128]
    .cfi_restore d12
    .cfi_restore d13
    ldp     d14, d15, [sp, #144]
    .cfi_restore d14
    .cfi_restore d15
    ldp     x19, x20, [sp, #0]
    .cfi_restore x19
    .cfi_restore x20
    ldp     x21, x22, [sp, #16]
    .cfi_restore x21
    .cfi_restore x22
    ldp     x23, x24, [sp, #32]
    .cfi_restore x23
    .cfi_restore x24
    ldp     x25, x26, [sp, #48]
    .cfi_restore x25
    .cfi_restore x26
    ldp     x27, x28, [sp, #64]
    .cfi_restore x27
    .cfi_restore x28
    ldp     x29, x30, [sp, #80]
    .cfi_restore x29
    .cfi_restore x30
    add     sp, sp, #176
    .cfi_def_cfa_offset 0
    ret
    .cfi_endproc
    .size   green__switch, .-green__switch

/* The first frame of every new context: calls x19(x20) with sp at the
 * 16-aligned top of the stack and fp = 0 (both set up by context.c). The
 * return address is marked undefined so unwinders stop here. */
    .globl  green__trampoline
    .hidden green__trampoline
    .type   green__trampoline, %function
    .p2align 4
green__trampoline:
    .cfi_startproc
    .cfi_undefined x30
    mov     x0, x20
    blr     x19
    brk     #0
    .cfi_endproc
    .size   green__trampoline, .-green__trampoline

/* uint64_t green__fpcr(void) */
    .globl  green__fpcr
    .hidden green__fpcr
    .type   green__fpcr, %function
    .p2align 4
green__fpcr:
    .cfi_startproc
    mrs     x0, fpcr
    ret
    .cfi_endproc
    .size   green__fpcr, .-green__fpcr

    .section .note.GNU-stack, "", %progbits
