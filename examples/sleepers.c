/* Three jobs that each sleep 2 s finish together in 2 s, not 6: while one
 * green thread sleeps, the others run. */
#include <green.h>
#include <stdint.h>
#include <stdio.h>

static void *job(void *arg)
{
    green_sleep(2000000000);
    printf("job %d done\n", (int)(intptr_t)arg);
    return arg;
}

int main(void)
{
    int64_t start = green_now();
    green_t jobs[3];
    for (int i = 0; i < 3; i++)
        jobs[i] = green_spawn(job, (void *)(intptr_t)(i + 1), NULL);
    int sum = 0;
    for (int i = 0; i < 3; i++) {
        void *r;
        green_join(jobs[i], &r, GREEN_NEVER);
        sum += (int)(intptr_t)r;
    }
    long s = (long)((green_now() - start) / 1000000000);
    printf("3 jobs of 2 s each took %ld s (results sum %d)\n", s, sum);
    return 0;
}
