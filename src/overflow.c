/* Stack overflow detection: the SIGSEGV handler and the report. */
#include "overflow.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "common.h"
#include "hub.h"
#include "log.h"

#define ALTSTACK_SIZE (64 * 1024)

static struct sigaction previous;  /* SIGSEGV action before ours */

void green__overflow_report(struct green_thread *t, void *uc)
{
    green__log(GREEN__LOG_ERROR,
               "stack overflow in green thread %llu \"%s\" (stack %zu bytes)",
               (unsigned long long)t->id, t->name,
               (size_t)(t->stack.hi - t->stack.lo));
    green__log_backtrace(uc, uc != NULL);
    abort();
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    struct green__hub *h = green__hub_current();
    struct green_thread *t = h ? h->current : NULL;
    if (t && t->stack.lo && green__stack_below(&t->stack, si->si_addr))
        green__overflow_report(t, uc);
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(sig, si, uc);
    } else if (previous.sa_handler != SIG_DFL &&
               previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
    } else {
        /* Put the default back; returning re-runs the faulting
         * instruction, which now kills the process as it would have. */
        signal(SIGSEGV, SIG_DFL);
    }
}

void green__overflow_init_thread(struct green__stack *alt)
{
    static atomic_flag installed;
    if (!atomic_flag_test_and_set(&installed)) {
        struct sigaction sa = {.sa_sigaction = on_segv,
                               .sa_flags = SA_SIGINFO | SA_ONSTACK};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGSEGV, &sa, &previous);
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
