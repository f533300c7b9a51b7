/* Parity program: the three sleepers. 3 threads each call sleep(2); joined,
 * they took less than 3 s in all, because they slept at the same time (green
 * threads park instead of blocking the one OS thread). stderr has the time.
 * Knows nothing of libgreen. */
#include "threaded.h"

#define SLEEPERS 3

static void *sleeper(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)sleep(2);
}

int main(void)
{
    start_program();
    double t0 = now();
    pthread_t t[SLEEPERS];
    for (int i = 0; i < SLEEPERS; i++)
        t[i] = spawn(sleeper, NULL);
    report_tasks();
    int unslept = 0;
    for (int i = 0; i < SLEEPERS; i++)
        unslept += (int)(intptr_t)join(t[i]);
    double dt = now() - t0;
    report_elapsed(t0);
    printf("%d threads called sleep(2): %d seconds left unslept\n", SLEEPERS, unslept);
    check(dt >= 2.0, "all slept at least 2 s");
    check(dt < 3.0, "all joined within 3 s");
    return finish_program("sleepers");
}
