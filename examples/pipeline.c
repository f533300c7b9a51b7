/* A three-stage pipeline over channels: a generator sends 1..10, a squarer
 * squares each number, a printer prints the squares and their sum. No
 * stage knows how many numbers there are: each closes its output once its
 * input is closed and drained (recv fails with EPIPE), which shuts the
 * next stage down in turn. */
#include <errno.h>
#include <green.h>
#include <stdio.h>
#include <string.h>

struct stage {
    green_chan_t in, out;  /* in is NULL for the generator */
};

static void *generate(void *arg)
{
    struct stage *s = arg;
    for (int n = 1; n <= 10; n++)
        if (green_chan_send(s->out, &n, GREEN_NEVER) < 0)
            break;
    green_chan_close(s->out);
    return NULL;
}

static void *square(void *arg)
{
    struct stage *s = arg;
    int n;
    while (green_chan_recv(s->in, &n, GREEN_NEVER) == 0) {
        int sq = n * n;
        if (green_chan_send(s->out, &sq, GREEN_NEVER) < 0)
            break;
    }
    green_chan_close(s->out);
    return NULL;
}

static void *print(void *arg)
{
    struct stage *s = arg;
    int sq;
    long sum = 0;
    while (green_chan_recv(s->in, &sq, GREEN_NEVER) == 0) {
        printf("%d\n", sq);
        sum += sq;
    }
    if (errno != EPIPE)
        fprintf(stderr, "recv: %s\n", strerror(errno));
    printf("sum %ld\n", sum);
    return NULL;
}

int main(void)
{
    /* A rendezvous channel, then a small buffer: either kind works. */
    green_chan_t numbers = green_chan_make(sizeof(int), 0);
    green_chan_t squares = green_chan_make(sizeof(int), 4);
    if (!numbers || !squares) {
        perror("green_chan_make");
        return 1;
    }
    struct stage stages[3] = {{NULL, numbers}, {numbers, squares},
                              {squares, NULL}};
    void *(*fns[3])(void *) = {generate, square, print};
    green_t t[3];
    for (int i = 0; i < 3; i++)
        if (!(t[i] = green_spawn(fns[i], &stages[i], NULL))) {
            perror("green_spawn");
            return 1;
        }
    for (int i = 0; i < 3; i++)
        green_join(t[i], NULL, GREEN_NEVER);
    green_chan_free(numbers);
    green_chan_free(squares);
    return 0;
}
