/* What the lookup wrappers (dns.c, nss.c) share: the job every lookup
 * is, and its trip to the offload pool and back.
 *
 * Each job carries the caller's errno and h_errno to the pool thread and
 * back: both are thread-local, and glibc leaves them as they were on
 * success, so the pool thread starts from the caller's values. */
#ifndef GREEN_PRELOAD_LOOKUP_H
#define GREEN_PRELOAD_LOOKUP_H

#include <errno.h>
#include <netdb.h>

#include "cancel.h"
#include "offload.h"

/* The part every lookup job shares. */
struct green__lookup {
    struct green__job job;
    int err;   /* errno: the caller's, then as the call left it */
    int herr;  /* h_errno, the same */
};

/* On the pool thread (or the caller's, when it runs directly): around
 * the real call. */
static inline void green__lookup_enter(struct green__lookup *l)
{
    errno = l->err;
    h_errno = l->herr;
}

static inline void green__lookup_leave(struct green__lookup *l)
{
    l->err = errno;
    l->herr = h_errno;
}

/* Offloads l and, unless the caller left, gives it errno and h_errno.
 * Returns green__offload's result; after a kill that was a pthread_cancel,
 * does not return. */
static inline int green__lookup_offload(struct green__lookup *l)
{
    l->err = errno;
    l->herr = h_errno;
    int r = green__offload(&l->job, 0);
    if (r == -ECANCELED)
        green__testcancel();
    errno = r < 0 ? -r : l->err;
    h_errno = r < 0 ? TRY_AGAIN : l->herr;
    return r;
}

#endif
