/* What preload/tid.c gives the other wrapper files: the caller's thread id
 * and the syscall(2) numbers that take one (futex.c's syscall wrapper). */
#ifndef GREEN_PRELOAD_TIDCALL_H
#define GREEN_PRELOAD_TIDCALL_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/* gettid(): the calling green thread's id, or its OS thread's. */
pid_t green__tid_self(void);

/* tgkill (tgid -1: tkill) or, with info, rt_tgsigqueueinfo to the green
 * thread of id tid. Returns 0 or -errno. */
long green__tid_kill(pid_t tgid, pid_t tid, int sig, const siginfo_t *info);

/* fcntl(F_SETOWN_EX) with F_OWNER_TID and a green id: *out becomes copy,
 * naming its OS thread. Returns 0, or -ESRCH for an unknown green id. */
struct f_owner_ex;
int green__fowner_tid(void *arg, struct f_owner_ex *copy, void **out);

/* syscall(number, a...) when number takes a thread id and a green one was
 * given: makes the call, sets *out (errno set as libc's syscall() would)
 * and returns true. Otherwise returns false: the caller makes it as is. */
bool green__tid_syscall(long number, const long *a, long *out);

#endif
