/* Thread ids (src/tid.h): gettid gives each green thread its own, and the
 * calls that take a thread id from the program translate ours. A signal
 * to a green id goes to that green thread, as pthread_kill would send it;
 * scheduling and priority calls act on its OS thread, whose CPU it shares.
 * An unknown green id fails with ESRCH and reaches no one else. The shape
 * of the translating wrappers: translate, fail as the kernel would, or
 * make the real call with the OS thread's id. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "interpose.h"
#include "intr.h"
#include "pthr.h"
#include "tid.h"
#include "tidcall.h"

pid_t green__tid_self(void)
{
    struct green_thread *t = green__pthr_current();
    return t ? green__tid_of(t) : green__tid_real();
}

GREEN__INTERPOSE pid_t gettid(void)
{
    return green__tid_self();
}

long green__tid_kill(pid_t tgid, pid_t tid, int sig, const siginfo_t *info)
{
    struct green__hub *h;
    struct green_thread *t = green__tid_find(tid, &h);
    if (!t || (tgid != -1 && tgid != getpid()))
        return -ESRCH;
    if (h == green__hub_current() && !info)
        return -green__intr_kill(t, sig, NULL);
    /* Another OS thread's green thread, or queued data: its OS thread. */
    long r = info ? green__reals()->syscall(SYS_rt_tgsigqueueinfo, getpid(),
                                            h->tid, sig, info)
                  : green__reals()->syscall(SYS_tgkill, getpid(), h->tid, sig);
    return r < 0 ? -errno : r;
}

GREEN__INTERPOSE int tgkill(pid_t tgid, pid_t tid, int sig)
{
    if (!green__tid_green(tid))
        return green__reals()->tgkill(tgid, tid, sig);
    return (int)green__set_errno(green__tid_kill(tgid, tid, sig, NULL));
}

/* The OS thread's id for pid, or -1 with errno ESRCH. */
#define OS_ID(pid)                                  \
    pid_t os = green__tid_os(pid);                  \
    if (os < 0)                                     \
        return (int)green__set_errno(os)

GREEN__INTERPOSE int sched_setaffinity(pid_t pid, size_t size,
                                       const cpu_set_t *set)
{
    OS_ID(pid);
    return green__reals()->sched_setaffinity(os, size, set);
}

GREEN__INTERPOSE int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *set)
{
    OS_ID(pid);
    return green__reals()->sched_getaffinity(os, size, set);
}

GREEN__INTERPOSE int sched_setscheduler(pid_t pid, int policy,
                                        const struct sched_param *param)
{
    OS_ID(pid);
    return green__reals()->sched_setscheduler(os, policy, param);
}

GREEN__INTERPOSE int sched_getscheduler(pid_t pid)
{
    OS_ID(pid);
    return green__reals()->sched_getscheduler(os);
}

GREEN__INTERPOSE int sched_setparam(pid_t pid, const struct sched_param *param)
{
    OS_ID(pid);
    return green__reals()->sched_setparam(os, param);
}

GREEN__INTERPOSE int sched_getparam(pid_t pid, struct sched_param *param)
{
    OS_ID(pid);
    return green__reals()->sched_getparam(os, param);
}

GREEN__INTERPOSE int sched_rr_get_interval(pid_t pid, struct timespec *ts)
{
    OS_ID(pid);
    return green__reals()->sched_rr_get_interval(os, ts);
}

/* PRIO_PROCESS names a thread by its id (the kernel's "process" is a
 * task); PRIO_PGRP and PRIO_USER take other ids. */
GREEN__INTERPOSE int setpriority(__priority_which_t which, id_t who, int prio)
{
    if (which != PRIO_PROCESS)
        return green__reals()->setpriority(which, who, prio);
    OS_ID((pid_t)who);
    return green__reals()->setpriority(which, (id_t)os, prio);
}

GREEN__INTERPOSE int getpriority(__priority_which_t which, id_t who)
{
    if (which != PRIO_PROCESS)
        return green__reals()->getpriority(which, who);
    OS_ID((pid_t)who);
    return green__reals()->getpriority(which, (id_t)os);
}

/* The system call with argument `arg` (a thread id) given as its OS
 * thread's; false if it is no green id, so the caller makes it as is. */
static bool translate(long number, const long *a, int arg, long *out)
{
    if (!green__tid_green((pid_t)a[arg]))
        return false;
    pid_t os = green__tid_os((pid_t)a[arg]);
    if (os < 0) {
        *out = green__set_errno(os);
        return true;
    }
    long b[6] = {a[0], a[1], a[2], a[3], a[4], a[5]};
    b[arg] = os;
    *out = green__reals()->syscall(number, b[0], b[1], b[2], b[3], b[4], b[5]);
    return true;
}

int green__fowner_tid(void *arg, struct f_owner_ex *copy, void **out)
{
    const struct f_owner_ex *o = arg;
    if (!o || o->type != F_OWNER_TID || !green__tid_green(o->pid))
        return 0;  /* the kernel rules on it, EFAULT included */
    pid_t os = green__tid_os(o->pid);
    if (os < 0)
        return os;
    *copy = (struct f_owner_ex){F_OWNER_TID, os};
    *out = copy;
    return 0;
}

/* syscall(2) with a thread id: the same translations. */
bool green__tid_syscall(long number, const long *a, long *out)
{
    long r;
    switch (number) {
    case SYS_gettid:
        *out = green__tid_self();
        return true;
    case SYS_tgkill:
    case SYS_tkill:
    case SYS_rt_tgsigqueueinfo: {
        bool tg = number != SYS_tkill;
        pid_t tid = (pid_t)a[tg];
        if (!green__tid_green(tid))
            return false;
        r = green__tid_kill(tg ? (pid_t)a[0] : -1, tid, (int)a[tg + 1],
                            number == SYS_rt_tgsigqueueinfo
                                ? (const siginfo_t *)a[3] : NULL);
        break;
    }
    case SYS_ioprio_set:
    case SYS_ioprio_get:
    case SYS_setpriority:
    case SYS_getpriority:
        /* Only IOPRIO_WHO_PROCESS (1) and PRIO_PROCESS (0) name a thread. */
        if (a[0] != (number == SYS_ioprio_set || number == SYS_ioprio_get))
            return false;
        return translate(number, a, 1, out);
    case SYS_sched_setaffinity:
    case SYS_sched_getaffinity:
    case SYS_sched_setscheduler:
    case SYS_sched_getscheduler:
    case SYS_sched_setparam:
    case SYS_sched_getparam:
    case SYS_sched_rr_get_interval:
    case SYS_sched_setattr:
    case SYS_sched_getattr:
        return translate(number, a, 0, out);
    default:
        return false;
    }
    *out = green__set_errno(r);
    return true;
}
