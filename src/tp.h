/* The thread pointer: the register through which compiled code reaches
 * TLS (and glibc its thread control block). Each green thread with its
 * own TLS has its own value, written at every switch to or from it
 * (tls.h). Reading is one instruction; writing is one instruction where
 * the CPU and kernel allow it (x86_64 FSGSBASE, measured at about 20 ns
 * here) and a system call otherwise (arch_prctl, 170-375 ns). */
#ifndef GREEN_SRC_TP_H
#define GREEN_SRC_TP_H

#include <stdbool.h>

/* Whether green__tp_set may use wrfsbase: the kernel sets AT_HWCAP2 bit 1
 * when it enables FSGSBASE for user space. Set once by tls.c. */
extern bool green__tp_fast;

#if defined(__x86_64__)
#include <asm/prctl.h>
#include <sys/syscall.h>

static inline void *green__tp_get(void)
{
    void *tp;
    /* glibc's TCB starts with a pointer to itself (tcbhead_t.tcb). */
    __asm__ volatile("mov %%fs:0, %0" : "=r"(tp));
    return tp;
}

static inline void green__tp_set(void *tp)
{
    if (__builtin_expect(green__tp_fast, 1)) {
        __asm__ volatile("wrfsbase %0" : : "r"(tp) : "memory");
        return;
    }
    /* A raw system call: libc's syscall() would write errno, which lives
     * behind the thread pointer being changed. */
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"((long)SYS_arch_prctl), "D"((long)ARCH_SET_FS),
                       "S"(tp)
                     : "rcx", "r11", "memory");
    (void)r;
}
#define GREEN__TP_SUPPORTED 1
#elif defined(__aarch64__)
static inline void *green__tp_get(void)
{
    void *tp;
    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
    return tp;
}

static inline void green__tp_set(void *tp)
{
    __asm__ volatile("msr tpidr_el0, %0" : : "r"(tp) : "memory");
}
#define GREEN__TP_SUPPORTED 1
#else
static inline void *green__tp_get(void) { return (void *)0; }
static inline void green__tp_set(void *tp) { (void)tp; }
#define GREEN__TP_SUPPORTED 0
#endif

#endif
