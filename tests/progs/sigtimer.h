/* A POSIX timer that sends SIGUSR1 to the process (SIGEV_SIGNAL: no
 * thread of its own), for the parity programs that interrupt calls. */
#ifndef GREEN_TESTS_PROGS_SIGTIMER_H
#define GREEN_TESTS_PROGS_SIGTIMER_H

#include <signal.h>
#include <string.h>
#include <time.h>

#include "report.h"

static timer_t sigtimer;

static inline void sigtimer_create(void)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR1;
    if (timer_create(CLOCK_MONOTONIC, &sev, &sigtimer) < 0)
        die("timer_create");
}

/* SIGUSR1 ms milliseconds from now, then every 50 ms (in case the first
 * came before the call blocked, on a loaded machine); 0 disarms. */
static inline void arm(long ms)
{
    long every = ms ? 50 : 0;
    struct itimerspec its = {{0, every * 1000000L},
                             {ms / 1000, (ms % 1000) * 1000000L}};
    if (timer_settime(sigtimer, 0, &its, NULL) < 0)
        die("timer_settime");
}

#endif
