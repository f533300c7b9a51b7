/* pid_t vfork(void), x86_64: a real vfork while nothing green has run in
 * the process (green__proc_vfork_begin, src/proc.h), else fork
 * (green__vfork_fork, preload/process.c).
 *
 * A vfork returns twice from one frame: first in the child, which runs
 * on the parent's stack and may overwrite anything below the caller's
 * frame (its own calls push return addresses there), then in the parent.
 * So, as glibc's vfork does, the return address is popped into rdi,
 * which the system call keeps, before the call and pushed back after it:
 * neither side finds it in memory the other may have written. The
 * parent, back on its own, ends the vfork-child mark in a frame of its
 * own before it returns. */

    .text

    .globl  vfork
    .type   vfork, @function
    .p2align 4
vfork:
    .cfi_startproc
    subq    $8, %rsp                /* aligned for the call */
    .cfi_adjust_cfa_offset 8
    call    green__proc_vfork_begin
    addq    $8, %rsp
    .cfi_adjust_cfa_offset -8
    testb   %al, %al
    jz      green__vfork_fork       /* a tail call: fork it is */
    popq    %rdi
    .cfi_adjust_cfa_offset -8
    .cfi_register %rip, %rdi
    movl    $58, %eax               /* __NR_vfork */
    syscall
    pushq   %rdi
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset %rip, 0
    testq   %rax, %rax
    jz      1f                      /* the child: 0, still marked */
    subq    $8, %rsp                /* the parent: the pid or -errno */
    .cfi_adjust_cfa_offset 8
    movq    %rax, (%rsp)
    call    green__proc_vfork_end
    movq    (%rsp), %rax
    addq    $8, %rsp
    .cfi_adjust_cfa_offset -8
    cmpq    $-4095, %rax
    jae     2f
1:
    ret
2:
    movl    %eax, %edi
    negl    %edi
    jmp     green__vfork_failed     /* errno, and -1 */
    .cfi_endproc
    .size   vfork, .-vfork

    .section .note.GNU-stack, "", @progbits
