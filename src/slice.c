/* Time slices (slice.h): the slow path, once every GREEN__SLICE_CHECK
 * calls. The slice of a green thread starts when it is first seen after a
 * switch of its hub (switch_seq moved) and again after each yield here, so
 * a thread alone with sleepers polls the loop at most once a slice. The
 * state is in TLS, which is each green thread's own (docs/design.md G9);
 * with shared TLS it is the OS thread's, which works the same way, since
 * any switch restarts the slice. */
#include "slice.h"

#include <stdatomic.h>
#include <stdint.h>

#include "green.h"
#include "hub.h"
#include "intr.h"

__thread unsigned green__tls_slice_calls
    __attribute__((tls_model("initial-exec")));
__thread unsigned green__tls_handling
    __attribute__((tls_model("initial-exec")));

static __thread uint64_t seen_seq; /* the hub's switch_seq, last seen */
static __thread int64_t since;     /* when this slice started; 0: none */

void green__slice_check(void)
{
    if (!green__gate() || green__tls_handling)
        return;
    struct green__hub *h = green__tls_hub;
    uint64_t seq = atomic_load_explicit(&h->switch_seq, memory_order_relaxed);
    int64_t now = green_now();
    if (seq != seen_seq || !since) {
        seen_seq = seq;
        since = now;
        return;
    }
    if (now - since < GREEN__SLICE_NS)
        return;
    h->since_poll = (unsigned)h->poll_after; /* poll on the way */
    green__hub_ready(h, h->current);
    green__hub_switch(h);
    struct green_thread *t = h->current;
    if (green__unlikely(
            atomic_load_explicit(&t->sigpend, memory_order_relaxed) &
            ~t->sigmask))
        green__intr_raise(t); /* a signal left for it meanwhile, as park */
    seen_seq = atomic_load_explicit(&h->switch_seq, memory_order_relaxed);
    since = green_now();
}
