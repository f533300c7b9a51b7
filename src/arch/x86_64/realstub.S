/* x86_64 stubs of the real-function table (src/real.c): every row of
 * green__real starts out pointing at a stub of its own, which resolves
 * that one row with dlsym on its first call, stores the answer in the row
 * and jumps to it, so a process resolves only the functions it calls
 * (docs/design.md G1; a few hundred dlsym calls took about 0.2 ms of
 * every process's start). Later calls go straight through the row.
 *
 * A stub passes its row's index in r11 (scratch in the System V ABI) to
 * green__real_lazy, which keeps every argument register, rax (the vector
 * count of a variadic call: open, fcntl, ioctl, syscall) and xmm0-7 across
 * green__real_resolve(index), then tail-jumps to the function with the
 * caller's arguments and return address. The frame below the 7 pushes and
 * the xmm save area, from rsp up:
 *
 *   offset  size  what
 *        0   128  xmm0-xmm7
 *      128     8  rax
 *      136     8  r9
 *      144     8  r8
 *      152     8  rcx
 *      160     8  rdx
 *      168     8  rsi
 *      176     8  rdi
 *      184     8  return address into the stub's caller
 *
 * At entry rsp is 8 below a 16-byte boundary; the 7 pushes and 128 bytes
 * make it aligned for the call. */
#include "real.h"

    .text

    .globl  green__real_lazy
    .hidden green__real_lazy
    .type   green__real_lazy, @function
    .p2align 4
green__real_lazy:
    .cfi_startproc
    pushq   %rdi
    .cfi_adjust_cfa_offset 8
    pushq   %rsi
    .cfi_adjust_cfa_offset 8
    pushq   %rdx
    .cfi_adjust_cfa_offset 8
    pushq   %rcx
    .cfi_adjust_cfa_offset 8
    pushq   %r8
    .cfi_adjust_cfa_offset 8
    pushq   %r9
    .cfi_adjust_cfa_offset 8
    pushq   %rax
    .cfi_adjust_cfa_offset 8
    subq    $128, %rsp
    .cfi_adjust_cfa_offset 128
    movaps  %xmm0, 0(%rsp)
    movaps  %xmm1, 16(%rsp)
    movaps  %xmm2, 32(%rsp)
    movaps  %xmm3, 48(%rsp)
    movaps  %xmm4, 64(%rsp)
    movaps  %xmm5, 80(%rsp)
    movaps  %xmm6, 96(%rsp)
    movaps  %xmm7, 112(%rsp)
    movl    %r11d, %edi
    call    green__real_resolve
    movq    %rax, %r11
    movaps  0(%rsp), %xmm0
    movaps  16(%rsp), %xmm1
    movaps  32(%rsp), %xmm2
    movaps  48(%rsp), %xmm3
    movaps  64(%rsp), %xmm4
    movaps  80(%rsp), %xmm5
    movaps  96(%rsp), %xmm6
    movaps  112(%rsp), %xmm7
    addq    $128, %rsp
    .cfi_adjust_cfa_offset -128
    popq    %rax
    .cfi_adjust_cfa_offset -8
    popq    %r9
    .cfi_adjust_cfa_offset -8
    popq    %r8
    .cfi_adjust_cfa_offset -8
    popq    %rcx
    .cfi_adjust_cfa_offset -8
    popq    %rdx
    .cfi_adjust_cfa_offset -8
    popq    %rsi
    .cfi_adjust_cfa_offset -8
    popq    %rdi
    .cfi_adjust_cfa_offset -8
    jmpq    *%r11
    .cfi_endproc
    .size   green__real_lazy, .-green__real_lazy

/* One stub a row, in the table's order (__COUNTER__ numbers them from
 * 0: nothing else in this file uses it), between green__real_stubs and
 * green__real_stubs_end (green__real_init tells a row still unresolved by
 * its pointing there). */
#define GREEN__REAL_STUB(name, version)                 \
    .globl  green__real_stub_##name;                    \
    .hidden green__real_stub_##name;                    \
    .type   green__real_stub_##name, @function;         \
    .p2align 4;                                         \
green__real_stub_##name:                                \
    movl    $__COUNTER__, %r11d;                        \
    jmp     green__real_lazy;                           \
    .size   green__real_stub_##name, .-green__real_stub_##name;

    .globl  green__real_stubs
    .hidden green__real_stubs
    .p2align 4
green__real_stubs:
    GREEN__REAL_SYMBOLS(GREEN__REAL_STUB)
    .globl  green__real_stubs_end
    .hidden green__real_stubs_end
    .p2align 4
green__real_stubs_end:

    .section .note.GNU-stack, "", @progbits
