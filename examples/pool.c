/* A pool bounds concurrency: 10 jobs of 100 ms through a pool of 3 run in
 * 4 waves (400 ms), never more than 3 at once. */
#include <green.h>
#include <stdint.h>
#include <stdio.h>

static int running, peak;

static void *job(void *arg)
{
    if (++running > peak)
        peak = running;
    green_sleep(100000000);
    running--;
    return arg;
}

int main(void)
{
    green_group_t pool = green_group_make(3);
    int64_t start = green_now();
    for (intptr_t i = 0; i < 10; i++)
        green_group_spawn(pool, job, (void *)i, NULL, GREEN_NEVER);
    long n = green_group_gather(pool, NULL, 0, GREEN_NEVER);
    long waves = (long)((green_now() - start) / 100000000);
    printf("%ld jobs, pool of 3: at most %d at once, %ld waves of 100 ms\n",
           n, peak, waves);
    green_group_free(pool);
    return 0;
}
