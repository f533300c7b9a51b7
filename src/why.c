/* The names of the wait reasons; see why.h. */
#include "why.h"

static const char *const names[GREEN__WHY_KINDS] = {
    [GREEN__WHY_NONE] = "other",     [GREEN__WHY_FD] = "fd",
    [GREEN__WHY_POLL] = "poll",      [GREEN__WHY_SLEEP] = "sleep",
    [GREEN__WHY_MUTEX] = "mutex",    [GREEN__WHY_COND] = "cond",
    [GREEN__WHY_RWLOCK] = "rwlock",  [GREEN__WHY_SEM] = "sem",
    [GREEN__WHY_BARRIER] = "barrier", [GREEN__WHY_ONCE] = "once",
    [GREEN__WHY_EVENT] = "event",    [GREEN__WHY_FUTEX] = "futex",
    [GREEN__WHY_SHARED] = "shared",  [GREEN__WHY_JOIN] = "join",
    [GREEN__WHY_GROUP] = "group",    [GREEN__WHY_CHANNEL] = "channel",
    [GREEN__WHY_CHILD] = "child",    [GREEN__WHY_OFFLOAD] = "offload",
    [GREEN__WHY_SIGNAL] = "signal",
};

const char *green__why_name(enum green__why why)
{
    return (unsigned)why < GREEN__WHY_KINDS ? names[why] : "other";
}
