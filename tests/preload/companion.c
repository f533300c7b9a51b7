/* Green mode for the parity runs: preloaded after libgreen, this keeps a
 * second green thread parked for the life of the program, so that every
 * wrapped call of the program's main thread takes the green path (park
 * and retry) instead of the real call it gets when nothing else could
 * run. The programs still know nothing of libgreen. */
#include <stdint.h>

#include "green.h"

static void *idle(void *arg)
{
    (void)arg;
    for (;;)
        green_sleep(INT64_C(3600) * 1000000000);
    return NULL;
}

__attribute__((constructor)) static void start(void)
{
    green_detach(green_spawn(idle, NULL, NULL));
}
