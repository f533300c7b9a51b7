/* A thread that counts 10 ms naps until told to stop: its count going up
 * while another thread blocks shows that the block let the others run.
 * C programs only (stdatomic.h). Knows nothing of libgreen. */
#ifndef GREEN_TESTS_PROGS_TICKER_H
#define GREEN_TESTS_PROGS_TICKER_H

#include <stdatomic.h>

#include "report.h"

struct ticker {
    atomic_int ticks;
    atomic_int stop;
};

/* The thread's function; arg is its struct ticker. */
static inline void *ticker_main(void *arg)
{
    struct ticker *t = arg;
    while (!atomic_load(&t->stop)) {
        msleep(10);
        atomic_fetch_add(&t->ticks, 1);
    }
    return NULL;
}

#endif
