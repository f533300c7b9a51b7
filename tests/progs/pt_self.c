/* Parity program: pthread_self and pthread_equal. Each of 8 threads finds
 * in pthread_self the id pthread_create gave main, the same before and
 * after a blocking call; until they are joined, their ids are all different
 * and none is main's; main's id equals itself. Also glibc's
 * __libc_single_threaded, true until the first pthread_create: libstdc++
 * skips wakeups while it is true (std::stop_callback). Threads only record;
 * main prints. Knows nothing of libgreen. */
#include <sys/single_threaded.h>

#include "threaded.h"

#define WORKERS 8

static pthread_barrier_t roll;
static pthread_t before[WORKERS], after[WORKERS]; /* each thread's own pthread_self */

static void *worker(void *arg)
{
    int i = (int)(intptr_t)arg;
    before[i] = pthread_self();
    msleep(10);
    after[i] = pthread_self();
    roll_call(&roll, 0);
    return NULL;
}

int main(void)
{
    start_program();
    pthread_t main_id = pthread_self();
    yesno("__libc_single_threaded before any pthread_create", __libc_single_threaded);
    pthread_t t[WORKERS];
    /* Then they may end, but a joinable thread's id stays its own until the join. */
    spawn_roll_call(&roll, t, WORKERS, worker);
    int same = 0, stable = 0, distinct = 1, not_main = 0;
    for (int i = 0; i < WORKERS; i++) {
        same += pthread_equal(before[i], t[i]) != 0;
        stable += pthread_equal(before[i], after[i]) != 0;
        not_main += !pthread_equal(t[i], main_id);
        for (int j = 0; j < i; j++)
            distinct &= !pthread_equal(t[i], t[j]);
    }
    join_n(t, WORKERS);
    yesno("__libc_single_threaded after", __libc_single_threaded);
    printf("%d threads\n", WORKERS);
    show("pthread_self equals the id from pthread_create", same);
    show("pthread_self the same after a sleep", stable);
    show("ids unlike main's", not_main);
    yesno("ids all different while alive", distinct);
    yesno("pthread_equal(main, main)", pthread_equal(main_id, pthread_self()) != 0);
    return finish_program("pt_self");
}
