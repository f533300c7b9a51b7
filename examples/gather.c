/* gather: start many tasks, collect every result in the order the tasks
 * were started, whatever order they finish in. */
#include <green.h>
#include <stdint.h>
#include <stdio.h>

static void *square(void *arg)
{
    intptr_t n = (intptr_t)arg;
    green_sleep((8 - n) * 1000000);  /* later tasks finish first */
    return (void *)(n * n);
}

int main(void)
{
    green_group_t g = green_group_make(0);
    for (intptr_t i = 0; i < 8; i++)
        green_group_spawn(g, square, (void *)i, NULL, GREEN_NEVER);
    void *results[8];
    long n = green_group_gather(g, results, 8, GREEN_NEVER);
    printf("gathered %ld:", n);
    for (long i = 0; i < n; i++)
        printf(" %ld", (long)(intptr_t)results[i]);
    printf("\n");
    green_group_free(g);
    return 0;
}
