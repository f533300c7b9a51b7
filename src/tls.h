/* A green thread's own TLS block and thread control block (TCB), made as
 * glibc makes a new thread's: at the top of the thread's stack, the TLS
 * images copied and .tbss zeroed by ld.so's own _dl_allocate_tls, with a
 * DTV, so that a module dlopen()ed later gets its TLS in every thread.
 * errno, __thread and thread_local, uselocale, _res and the other
 * per-thread state of glibc then belong to the green thread, as they do
 * to a real thread. Nothing is migrated, so a thread's TLS never moves
 * between OS threads. See docs/design.md, "Thread-local storage".
 *
 * glibc exports what this needs only to its own tools (GLIBC_PRIVATE),
 * and the TCB's layout is glibc's own: green__tls_setup checks both, and
 * where either is not what this file knows, green threads share their OS
 * thread's TLS as before, after one warning saying why. */
#ifndef GREEN_SRC_TLS_H
#define GREEN_SRC_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct green__hub;

/* Checks glibc once; true if green threads may have their own TLS. */
bool green__tls_setup(void);

/* Bytes a TLS block and TCB take at the top of a stack, alignment
 * included, in whole pages. Valid once green__tls_setup returned true. */
size_t green__tls_size(void);

/* The alignment of the static TLS block (glibc aligns a thread's stack
 * size down to it); 64, the TCB's, where green__tls_setup said no. */
size_t green__tls_align(void);

/* Builds a TLS block and TCB for a new green thread of hub h in
 * [lo, top), top aligned to 64. The thread's stack is
 * [stack_lo, stack_hi), for pthread_getattr_np's counterpart in glibc.
 * Returns the thread pointer, and sets *below to the lowest byte used;
 * NULL on ENOMEM (the DTV is malloc'd). Called by the creating thread. */
void *green__tls_make(char *top, struct green__hub *h, void *stack_lo,
                      size_t stack_size, char **below);

/* In the new thread, on its own TLS, before its function runs: what
 * glibc's start_thread sets up per thread (the ctype tables). */
void green__tls_start(void);

/* In the ending thread, on its own TLS, before pthread keys' destructors
 * (glibc's order): runs C++ thread_local and Rust TLS destructors. */
void green__tls_exit(void);

/* Robust mutexes (kept.c). The kernel marks those an OS thread holds
 * when it ends, or when the process dies, from the one list it knows per
 * OS thread: its own TCB's. glibc puts a mutex that a green thread takes
 * on that thread's TCB's list; adopt moves its node (the address of its
 * __list.__next) to the registered list of the calling OS thread, where
 * glibc's unlock takes it off as from any list. unlink takes it off its
 * list, for a mutex whose green owner ended. */
void green__tls_robust_adopt(void *node, bool pi);
void green__tls_robust_unlink(void *node);

/* Frees what the TLS block of an ended thread holds outside its stack
 * (DTV, dynamic TLS, glibc's per-thread buffers). Any thread may call it. */
void green__tls_free(void *tp);

/* After a fork, in the child: the TCB at tp names the new TID. */
void green__tls_fork_child(void *tp);

#endif
