/* Three jobs that each sleep 2 s finish together in about 2 s: while one
 * green thread sleeps, the others run. Prints each job's finish time. */
#include <green.h>
#include <stdint.h>
#include <stdio.h>

static int64_t start;

static void *job(void *arg)
{
    green_sleep(2000000000);
    printf("job %d done at %.2f s\n", (int)(intptr_t)arg,
           (double)(green_now() - start) / 1e9);
    return arg;
}

int main(void)
{
    green_t jobs[3];
    start = green_now();
    for (int i = 0; i < 3; i++)
        jobs[i] = green_spawn(job, (void *)(intptr_t)(i + 1), NULL);
    int sum = 0;
    for (int i = 0; i < 3; i++) {
        void *r;
        green_join(jobs[i], &r, GREEN_NEVER);
        sum += (int)(intptr_t)r;
    }
    printf("all done at %.2f s, results sum %d\n",
           (double)(green_now() - start) / 1e9, sum);
    return 0;
}
