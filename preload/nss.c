/* NSS lookups (passwd, group, shadow, and the group lists), on the
 * offload pool. Shape "lookup", as dns.c: gate, then a job that makes the
 * real call on a pool thread while the green thread parks (lookup.h).
 * glibc's NSS modules use sockets and files through internal calls that
 * no wrapper sees (docs/design.md G3), and with LDAP or sssd behind them
 * a lookup is a network wait.
 *
 * These lookups write into the caller's buffers (the _r forms) or into
 * glibc's process-wide static one (getpwnam, ...), which the pool thread
 * fills as any thread would: as natively, the next such call may
 * overwrite it. Their callers wait for the end: a kill or timeout does
 * not make them leave. */
#include "interpose.h"

#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <stdbool.h>

#include "lookup.h"

enum nss_call { PWNAM, PWUID, GRNAM, GRGID, SPNAM };
static const char *const nss_names[] = {"getpwnam", "getpwuid", "getgrnam",
                                        "getgrgid", "getspnam"};

/* One NSS lookup by name or id, plain (ptr) or _r (ret). */
struct nss {
    struct green__lookup l;
    enum nss_call call;
    bool reentrant;
    const char *name;
    unsigned id;
    void *out;       /* _r: the caller's struct, buffer, length, result */
    char *buf;
    size_t buflen;
    void **result;
    void *ptr;       /* the plain form's result */
    int ret;         /* the _r form's */
};

static void *nss_plain(struct nss *n)
{
    switch (n->call) {
    case PWNAM: return green__real.getpwnam(n->name);
    case PWUID: return green__real.getpwuid(n->id);
    case GRNAM: return green__real.getgrnam(n->name);
    case GRGID: return green__real.getgrgid(n->id);
    default:    return green__real.getspnam(n->name);
    }
}

static int nss_reentrant(struct nss *n)
{
    switch (n->call) {
    case PWNAM: return green__real.getpwnam_r(n->name, n->out, n->buf,
                                              n->buflen, (void *)n->result);
    case PWUID: return green__real.getpwuid_r(n->id, n->out, n->buf,
                                              n->buflen, (void *)n->result);
    case GRNAM: return green__real.getgrnam_r(n->name, n->out, n->buf,
                                              n->buflen, (void *)n->result);
    case GRGID: return green__real.getgrgid_r(n->id, n->out, n->buf,
                                              n->buflen, (void *)n->result);
    default:    return green__real.getspnam_r(n->name, n->out, n->buf,
                                              n->buflen, (void *)n->result);
    }
}

static void nss_run(struct green__job *job)
{
    struct nss *n = (struct nss *)job;
    green__lookup_enter(&n->l);
    if (n->reentrant)
        n->ret = nss_reentrant(n);
    else
        n->ptr = nss_plain(n);
    green__lookup_leave(&n->l);
}

static void *nss_get(enum nss_call call, const char *name, unsigned id)
{
    struct nss n = {.l.job = {.run = nss_run, .call = nss_names[call],
                              .arg = name},
                    .call = call, .name = name, .id = id};
    green__lookup_offload(&n.l);
    return n.ptr;
}

static int nss_get_r(enum nss_call call, const char *name, unsigned id,
                     void *out, char *buf, size_t buflen, void **result)
{
    struct nss n = {.l.job = {.run = nss_run, .call = nss_names[call],
                              .arg = name},
                    .call = call, .reentrant = true,
                    .name = name, .id = id, .out = out, .buf = buf,
                    .buflen = buflen, .result = result};
    green__lookup_offload(&n.l);
    return n.ret;
}

GREEN__INTERPOSE struct passwd *getpwnam(const char *name)
{
    if (!green__gate())
        return green__real.getpwnam(name);
    return nss_get(PWNAM, name, 0);
}

GREEN__INTERPOSE struct passwd *getpwuid(uid_t uid)
{
    if (!green__gate())
        return green__real.getpwuid(uid);
    return nss_get(PWUID, NULL, uid);
}

GREEN__INTERPOSE struct group *getgrnam(const char *name)
{
    if (!green__gate())
        return green__real.getgrnam(name);
    return nss_get(GRNAM, name, 0);
}

GREEN__INTERPOSE struct group *getgrgid(gid_t gid)
{
    if (!green__gate())
        return green__real.getgrgid(gid);
    return nss_get(GRGID, NULL, gid);
}

GREEN__INTERPOSE struct spwd *getspnam(const char *name)
{
    if (!green__gate())
        return green__real.getspnam(name);
    return nss_get(SPNAM, name, 0);
}

GREEN__INTERPOSE int getpwnam_r(const char *name, struct passwd *pwd,
                                char *buf, size_t buflen,
                                struct passwd **result)
{
    if (!green__gate())
        return green__real.getpwnam_r(name, pwd, buf, buflen, result);
    return nss_get_r(PWNAM, name, 0, pwd, buf, buflen, (void **)result);
}

GREEN__INTERPOSE int getpwuid_r(uid_t uid, struct passwd *pwd, char *buf,
                                size_t buflen, struct passwd **result)
{
    if (!green__gate())
        return green__real.getpwuid_r(uid, pwd, buf, buflen, result);
    return nss_get_r(PWUID, NULL, uid, pwd, buf, buflen, (void **)result);
}

GREEN__INTERPOSE int getgrnam_r(const char *name, struct group *grp,
                                char *buf, size_t buflen,
                                struct group **result)
{
    if (!green__gate())
        return green__real.getgrnam_r(name, grp, buf, buflen, result);
    return nss_get_r(GRNAM, name, 0, grp, buf, buflen, (void **)result);
}

GREEN__INTERPOSE int getgrgid_r(gid_t gid, struct group *grp, char *buf,
                                size_t buflen, struct group **result)
{
    if (!green__gate())
        return green__real.getgrgid_r(gid, grp, buf, buflen, result);
    return nss_get_r(GRGID, NULL, gid, grp, buf, buflen, (void **)result);
}

GREEN__INTERPOSE int getspnam_r(const char *name, struct spwd *spbuf,
                                char *buf, size_t buflen,
                                struct spwd **result)
{
    if (!green__gate())
        return green__real.getspnam_r(name, spbuf, buf, buflen, result);
    return nss_get_r(SPNAM, name, 0, spbuf, buf, buflen, (void **)result);
}

/* getgrouplist and initgroups walk every group of the NSS group
 * database: with LDAP or sssd behind it, that is a network wait. */
struct groups {
    struct green__lookup l;
    const char *user;
    gid_t group;
    gid_t *list;  /* getgrouplist's, or NULL: initgroups */
    int *ngroups;
    int ret;
};

static void groups_run(struct green__job *job)
{
    struct groups *g = (struct groups *)job;
    green__lookup_enter(&g->l);
    g->ret = g->list ? green__real.getgrouplist(g->user, g->group, g->list,
                                                g->ngroups)
                     : green__real.initgroups(g->user, g->group);
    green__lookup_leave(&g->l);
}

GREEN__INTERPOSE int getgrouplist(const char *user, gid_t group,
                                  gid_t *groups, int *ngroups)
{
    if (!green__gate() || !groups)
        return green__real.getgrouplist(user, group, groups, ngroups);
    struct groups g = {.l.job = {.run = groups_run, .call = "getgrouplist",
                                 .arg = user},
                       .user = user, .group = group,
                       .list = groups, .ngroups = ngroups};
    green__lookup_offload(&g.l);
    return g.ret;
}

/* initgroups sets the groups of the process (setgroups: every OS thread
 * at once, through glibc's SIGSETXID broadcast), so it may run on any. */
GREEN__INTERPOSE int initgroups(const char *user, gid_t group)
{
    if (!green__gate())
        return green__real.initgroups(user, group);
    struct groups g = {.l.job = {.run = groups_run, .call = "getgrouplist",
                                 .arg = user},
                       .user = user, .group = group};
    green__lookup_offload(&g.l);
    return g.ret;
}
