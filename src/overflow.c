/* Stack overflow detection: the SIGSEGV handler and the report. */
#include "overflow.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "common.h"
#include "hub.h"
#include "log.h"
#include "real.h"
#include "unwinder.h"

#define ALTSTACK_SIZE (64 * 1024)

static struct sigaction previous;  /* SIGSEGV action before ours, or the
                                      program's since (see below) */
static atomic_bool active;         /* ours is installed */

void green__overflow_report(struct green_thread *t, void *uc)
{
    green__log(GREEN__LOG_ERROR,
               "stack overflow in green thread %llu \"%s\" (stack %zu bytes)",
               (unsigned long long)t->id, t->name,
               (size_t)(t->stack.hi - t->stack.lo) - t->tls_size);
    green__log_backtrace(uc, uc != NULL);
    abort();
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    struct green__hub *h = green__hub_current();
    struct green_thread *t = h ? h->current : NULL;
    if (t && t->stack.lo && green__stack_below(&t->stack, si->si_addr))
        green__overflow_report(t, uc);
    struct sigaction p = previous;
    if (p.sa_flags & SA_RESETHAND)
        previous.sa_handler = SIG_DFL;
    if ((p.sa_flags & SA_SIGINFO) && p.sa_sigaction) {
        p.sa_sigaction(sig, si, uc);
    } else if (p.sa_handler != SIG_DFL && p.sa_handler != SIG_IGN) {
        p.sa_handler(sig);
    } else {
        /* Put the default back; returning re-runs the faulting
         * instruction, which now kills the process as it would have. */
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        atomic_store(&active, false);
        green__real.sigaction(SIGSEGV, &dfl, NULL);
    }
}

int green__overflow_sigaction(const struct sigaction *act,
                              struct sigaction *old)
{
    if (!atomic_load(&active))
        return -1;
    if (old)
        *old = previous;
    if (act)
        previous = *act;
    return 0;
}

void green__overflow_init_thread(struct green__stack *alt)
{
    static atomic_flag installed;
    if (!atomic_flag_test_and_set(&installed)) {
        /* The report walks the stack inside the handler, where libunwind
         * cannot be loaded safely: load it now. And, since threads and
         * signal handlers are about to run, the rest of the real table:
         * no first dlsym inside a handler or on a small stack. */
        green__unwind_load();
        green__real_init();
        struct sigaction sa = {.sa_sigaction = on_segv,
                               .sa_flags = SA_SIGINFO | SA_ONSTACK};
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGSEGV, &sa, &previous) == 0)
            atomic_store(&active, true);
    }
    stack_t old;
    if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE))
        return;  /* the program has its own */
    if (green__stack_map(ALTSTACK_SIZE, alt) < 0)
        return;  /* overflows then die without the message */
    stack_t ss = {.ss_sp = alt->lo, .ss_size = (size_t)(alt->hi - alt->lo)};
    if (sigaltstack(&ss, NULL) < 0) {
        green__stack_unmap(alt);
        alt->lo = NULL;
    }
}

void green__overflow_fini_thread(struct green__stack *alt)
{
    if (!alt->lo)
        return;
    stack_t ss = {.ss_flags = SS_DISABLE};
    sigaltstack(&ss, NULL);
    green__stack_unmap(alt);
    alt->lo = NULL;
}
