/* DNS lookups (the resolver), on the offload pool. Shape "lookup": gate,
 * then a job that makes the real call on a pool thread while the green
 * thread parks (lookup.h). They cannot be made green any other way:
 * glibc's resolver uses sockets through internal calls that no wrapper
 * sees (docs/design.md G3). NSS lookups are in nss.c.
 *
 * Which lookups the caller may leave (green_kill, a green_timeout scope,
 * pthread_cancel) before they end: those that may wait on the network
 * and whose results the job can own, getaddrinfo, getnameinfo and
 * gethostby{name,name2,addr}. Their jobs live on the heap with copies of
 * the arguments; the pool frees them (and an addrinfo list) if the caller
 * left. Such a caller gets EAI_SYSTEM or NULL with errno ECANCELED or
 * ETIMEDOUT (h_errno TRY_AGAIN), or unwinds for pthread_cancel. The _r
 * forms and the res_ calls write into the caller's buffers: their
 * callers wait for the end.
 *
 * The non-reentrant forms (gethostbyname, ...) return glibc's
 * process-wide static buffer, which the pool thread fills as any thread
 * would: as natively, the next such call may overwrite it.
 *
 * The resolver state: res_query, res_search, res_querydomain and res_send
 * use the `_res` of the OS thread they run on, as do getaddrinfo and
 * gethostbyname. On a pool thread that is the pool thread's own `_res`,
 * set up from /etc/resolv.conf at its first use, as a new thread's is:
 * lookups then run concurrently. Changes a program makes to its own
 * thread's `_res` after res_init() are not seen by offloaded lookups;
 * res_nquery and the other res_n calls take the program's state
 * explicitly, and run with it on the pool thread. */
#include "interpose.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "cancel.h"
#include "lookup.h"
#include "offload.h"

/* ---- getaddrinfo, getnameinfo: may be left ------------------------------ */

struct gai {
    struct green__lookup l;
    const char *node, *service;  /* copies, after the struct */
    struct addrinfo hints;
    bool has_hints;
    struct addrinfo *res;
    int ret;
};

static void gai_run(struct green__job *job)
{
    struct gai *g = (struct gai *)job;
    green__lookup_enter(&g->l);
    g->ret = green__real.getaddrinfo(g->node, g->service,
                                     g->has_hints ? &g->hints : NULL, &g->res);
    green__lookup_leave(&g->l);
}

static void gai_discard(struct green__job *job)
{
    struct gai *g = (struct gai *)job;
    if (g->ret == 0)
        freeaddrinfo(g->res);
    free(g);
}

/* A copy of s after the job, at *at; NULL stays NULL. */
static const char *copy_str(const char *s, char **at)
{
    if (!s)
        return NULL;
    char *c = *at;
    *at = stpcpy(c, s) + 1;
    return c;
}

static size_t str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

/* Whether getaddrinfo can answer without a lookup: no host or a numeric
 * one, and no service or a numeric one. glibc then reads no database and
 * sends no query, and the hand-off would cost more than the call. */
static bool gai_numeric(const char *node, const char *service)
{
    unsigned char a[sizeof(struct in6_addr)];
    return (!node || inet_pton(AF_INET, node, a) == 1 ||
            inet_pton(AF_INET6, node, a) == 1) &&
           (!service ||
            (*service && !service[strspn(service, "0123456789")]));
}

GREEN__INTERPOSE int getaddrinfo(const char *node, const char *service,
                                 const struct addrinfo *hints,
                                 struct addrinfo **res)
{
    struct gai *g;
    if (!green__gate() || gai_numeric(node, service) ||
        !(g = calloc(1, sizeof *g + str_size(node) + str_size(service))))
        return green__real.getaddrinfo(node, service, hints, res);
    char *at = (char *)(g + 1);
    *g = (struct gai){.l.job = {.run = gai_run, .discard = gai_discard,
                                .call = "getaddrinfo"},
                      .node = copy_str(node, &at),
                      .service = copy_str(service, &at),
                      .hints = hints ? *hints : (struct addrinfo){0},
                      .has_hints = hints != NULL};
    g->l.job.arg = g->node ? g->node : g->service;
    if (green__lookup_offload(&g->l) < 0)
        return EAI_SYSTEM;  /* the pool frees g */
    int ret = g->ret;
    if (ret == 0)
        *res = g->res;
    free(g);
    return ret;
}

struct gni {
    struct green__lookup l;
    struct sockaddr_storage sa;
    socklen_t salen;
    char *host, *serv;  /* the job's own buffers, after the struct */
    socklen_t hostlen, servlen;
    int flags;
    int ret;
};

static void gni_run(struct green__job *job)
{
    struct gni *g = (struct gni *)job;
    green__lookup_enter(&g->l);
    g->ret = green__real.getnameinfo((struct sockaddr *)&g->sa, g->salen,
                                     g->host, g->hostlen, g->serv,
                                     g->servlen, g->flags);
    green__lookup_leave(&g->l);
}

static void gni_discard(struct green__job *job)
{
    free(job);
}

/* The results go to buffers of the job's own, copied out at the end, so
 * that the caller may leave. An address longer than sockaddr_storage is
 * the real call's to judge, and so is a call that asks for numbers only
 * (no lookup). */
GREEN__INTERPOSE int getnameinfo(const struct sockaddr *sa, socklen_t salen,
                                 char *host, socklen_t hostlen, char *serv,
                                 socklen_t servlen, int flags)
{
    struct gni *g;
    bool numeric = (!host || !hostlen || (flags & NI_NUMERICHOST)) &&
                   (!serv || !servlen || (flags & NI_NUMERICSERV));
    if (!green__gate() || numeric || !sa || salen > sizeof g->sa ||
        !(g = malloc(sizeof *g + (host ? hostlen : 0) + (serv ? servlen : 0))))
        return green__real.getnameinfo(sa, salen, host, hostlen, serv,
                                       servlen, flags);
    *g = (struct gni){.l.job = {.run = gni_run, .discard = gni_discard,
                                .call = "getnameinfo"},
                      .salen = salen, .host = host ? (char *)(g + 1) : NULL,
                      .hostlen = hostlen, .serv = NULL, .servlen = servlen,
                      .flags = flags};
    g->serv = serv ? (char *)(g + 1) + (host ? hostlen : 0) : NULL;
    memcpy(&g->sa, sa, salen);
    if (green__lookup_offload(&g->l) < 0)
        return EAI_SYSTEM;
    int ret = g->ret;
    if (ret == 0 && host && hostlen)
        memcpy(host, g->host, strnlen(g->host, hostlen - 1) + 1);
    if (ret == 0 && serv && servlen)
        memcpy(serv, g->serv, strnlen(g->serv, servlen - 1) + 1);
    free(g);
    return ret;
}

/* ---- gethostbyname, gethostbyname2, gethostbyaddr: may be left ---------- */

struct hent {
    struct green__lookup l;
    int af;               /* AF_UNSPEC: gethostbyname */
    const char *name;     /* a copy, after the struct; or the address */
    socklen_t len;        /* gethostbyaddr's length, else 0 */
    struct hostent *ret;  /* glibc's static buffer */
};

static void hent_run(struct green__job *job)
{
    struct hent *h = (struct hent *)job;
    green__lookup_enter(&h->l);
    if (h->len)
        h->ret = green__real.gethostbyaddr(h->name, h->len, h->af);
    else if (h->af == AF_UNSPEC)
        h->ret = green__real.gethostbyname(h->name);
    else
        h->ret = green__real.gethostbyname2(h->name, h->af);
    green__lookup_leave(&h->l);
}

static void hent_discard(struct green__job *job)
{
    free(job);
}

/* The job of one of the three: name is a string (len 0) or an address
 * of len bytes. NULL if it could not be made. */
static struct hent *hent_new(const void *name, socklen_t len, int af)
{
    size_t size = len ? len : strlen(name) + 1;
    struct hent *h = malloc(sizeof *h + size);
    if (!h)
        return NULL;
    *h = (struct hent){.l.job = {.run = hent_run, .discard = hent_discard,
                                 .call = "gethostbyname"},
                       .af = af, .name = memcpy(h + 1, name, size),
                       .len = len};
    if (len) /* an address: gethostbyaddr */
        h->l.job.call = "gethostbyaddr";
    else
        h->l.job.arg = h->name;
    return h;
}

static struct hostent *hent_offload(struct hent *h)
{
    if (green__lookup_offload(&h->l) < 0)
        return NULL;
    struct hostent *ret = h->ret;
    free(h);
    return ret;
}

GREEN__INTERPOSE struct hostent *gethostbyname(const char *name)
{
    struct hent *h;
    if (!green__gate() || !name || !(h = hent_new(name, 0, AF_UNSPEC)))
        return green__real.gethostbyname(name);
    return hent_offload(h);
}

GREEN__INTERPOSE struct hostent *gethostbyname2(const char *name, int af)
{
    struct hent *h;
    if (!green__gate() || !name || af == AF_UNSPEC ||
        !(h = hent_new(name, 0, af)))
        return green__real.gethostbyname2(name, af);
    return hent_offload(h);
}

GREEN__INTERPOSE struct hostent *gethostbyaddr(const void *addr,
                                               socklen_t len, int type)
{
    struct hent *h;
    if (!green__gate() || !addr || !len || !(h = hent_new(addr, len, type)))
        return green__real.gethostbyaddr(addr, len, type);
    return hent_offload(h);
}

/* ---- the _r forms: into the caller's buffers, so never left ------------- */

struct hent_r {
    struct green__lookup l;
    const void *name;  /* or the address */
    socklen_t len;     /* gethostbyaddr_r's, else 0 */
    int af;            /* AF_UNSPEC: gethostbyname_r */
    struct hostent *out;
    char *buf;
    size_t buflen;
    struct hostent **result;
    int *h_errnop;
    int ret;
};

static void hent_r_run(struct green__job *job)
{
    struct hent_r *h = (struct hent_r *)job;
    green__lookup_enter(&h->l);
    if (h->len)
        h->ret = green__real.gethostbyaddr_r(h->name, h->len, h->af, h->out,
                                             h->buf, h->buflen, h->result,
                                             h->h_errnop);
    else if (h->af == AF_UNSPEC)
        h->ret = green__real.gethostbyname_r(h->name, h->out, h->buf,
                                             h->buflen, h->result, h->h_errnop);
    else
        h->ret = green__real.gethostbyname2_r(h->name, h->af, h->out, h->buf,
                                              h->buflen, h->result,
                                              h->h_errnop);
    green__lookup_leave(&h->l);
}

static int hent_r_offload(struct hent_r h)
{
    h.l.job.run = hent_r_run;
    h.l.job.call = "gethostbyname_r";
    green__lookup_offload(&h.l);
    return h.ret;
}

GREEN__INTERPOSE int gethostbyname_r(const char *name, struct hostent *ret,
                                     char *buf, size_t buflen,
                                     struct hostent **result, int *h_errnop)
{
    if (!green__gate())
        return green__real.gethostbyname_r(name, ret, buf, buflen, result,
                                           h_errnop);
    return hent_r_offload((struct hent_r){
        .name = name, .af = AF_UNSPEC, .out = ret, .buf = buf,
        .buflen = buflen, .result = result, .h_errnop = h_errnop});
}

GREEN__INTERPOSE int gethostbyname2_r(const char *name, int af,
                                      struct hostent *ret, char *buf,
                                      size_t buflen, struct hostent **result,
                                      int *h_errnop)
{
    if (!green__gate() || af == AF_UNSPEC)
        return green__real.gethostbyname2_r(name, af, ret, buf, buflen,
                                            result, h_errnop);
    return hent_r_offload((struct hent_r){
        .name = name, .af = af, .out = ret, .buf = buf, .buflen = buflen,
        .result = result, .h_errnop = h_errnop});
}

GREEN__INTERPOSE int gethostbyaddr_r(const void *addr, socklen_t len,
                                     int type, struct hostent *ret,
                                     char *buf, size_t buflen,
                                     struct hostent **result, int *h_errnop)
{
    if (!green__gate() || !len)
        return green__real.gethostbyaddr_r(addr, len, type, ret, buf, buflen,
                                           result, h_errnop);
    return hent_r_offload((struct hent_r){
        .name = addr, .len = len, .af = type, .out = ret, .buf = buf,
        .buflen = buflen, .result = result, .h_errnop = h_errnop});
}

/* ---- res_query and kin: into the caller's answer buffer ----------------- */

enum res_call { CALL_QUERY, CALL_SEARCH, CALL_QUERYDOMAIN, CALL_SEND };

struct res {
    struct green__lookup l;
    enum res_call call;
    res_state statp;          /* the program's, or NULL: the thread's _res */
    const char *name, *domain;
    const unsigned char *msg; /* res_send's query */
    int class, type, len;     /* len: res_send's query length */
    unsigned char *answer;
    int anslen;
    int ret;
};

static int res_plain(struct res *r)
{
    switch (r->call) {
    case CALL_QUERY:  return green__real.res_query(r->name, r->class, r->type,
                                              r->answer, r->anslen);
    case CALL_SEARCH: return green__real.res_search(r->name, r->class, r->type,
                                               r->answer, r->anslen);
    case CALL_QUERYDOMAIN:
        return green__real.res_querydomain(r->name, r->domain, r->class,
                                           r->type, r->answer, r->anslen);
    default:     return green__real.res_send(r->msg, r->len, r->answer,
                                             r->anslen);
    }
}

static int res_state_given(struct res *r)
{
    switch (r->call) {
    case CALL_QUERY:  return green__real.res_nquery(r->statp, r->name, r->class,
                                               r->type, r->answer, r->anslen);
    case CALL_SEARCH: return green__real.res_nsearch(r->statp, r->name, r->class,
                                                r->type, r->answer, r->anslen);
    case CALL_QUERYDOMAIN:
        return green__real.res_nquerydomain(r->statp, r->name, r->domain,
                                            r->class, r->type, r->answer,
                                            r->anslen);
    default:     return green__real.res_nsend(r->statp, r->msg, r->len,
                                              r->answer, r->anslen);
    }
}

static void res_run(struct green__job *job)
{
    struct res *r = (struct res *)job;
    green__lookup_enter(&r->l);
    r->ret = r->statp ? res_state_given(r) : res_plain(r);
    green__lookup_leave(&r->l);
}

static int res_offload(struct res r)
{
    r.l.job.run = res_run;
    r.l.job.call = "res_query";
    green__lookup_offload(&r.l);
    return r.ret;
}

GREEN__INTERPOSE int res_query(const char *dname, int class, int type,
                               unsigned char *answer, int anslen)
{
    if (!green__gate())
        return green__real.res_query(dname, class, type, answer, anslen);
    return res_offload((struct res){.call = CALL_QUERY, .name = dname,
                                    .class = class, .type = type,
                                    .answer = answer, .anslen = anslen});
}

GREEN__INTERPOSE int res_search(const char *dname, int class, int type,
                                unsigned char *answer, int anslen)
{
    if (!green__gate())
        return green__real.res_search(dname, class, type, answer, anslen);
    return res_offload((struct res){.call = CALL_SEARCH, .name = dname,
                                    .class = class, .type = type,
                                    .answer = answer, .anslen = anslen});
}

GREEN__INTERPOSE int res_querydomain(const char *name, const char *domain,
                                     int class, int type,
                                     unsigned char *answer, int anslen)
{
    if (!green__gate())
        return green__real.res_querydomain(name, domain, class, type, answer,
                                           anslen);
    return res_offload((struct res){.call = CALL_QUERYDOMAIN, .name = name,
                                    .domain = domain, .class = class,
                                    .type = type, .answer = answer,
                                    .anslen = anslen});
}

GREEN__INTERPOSE int res_send(const unsigned char *msg, int msglen,
                              unsigned char *answer, int anslen)
{
    if (!green__gate())
        return green__real.res_send(msg, msglen, answer, anslen);
    return res_offload((struct res){.call = CALL_SEND, .msg = msg, .len = msglen,
                                    .answer = answer, .anslen = anslen});
}

GREEN__INTERPOSE int res_nquery(res_state statp, const char *dname,
                                int class, int type, unsigned char *answer,
                                int anslen)
{
    if (!green__gate() || !statp)
        return green__real.res_nquery(statp, dname, class, type, answer,
                                      anslen);
    return res_offload((struct res){.call = CALL_QUERY, .statp = statp,
                                    .name = dname, .class = class,
                                    .type = type, .answer = answer,
                                    .anslen = anslen});
}

GREEN__INTERPOSE int res_nsearch(res_state statp, const char *dname,
                                 int class, int type, unsigned char *answer,
                                 int anslen)
{
    if (!green__gate() || !statp)
        return green__real.res_nsearch(statp, dname, class, type, answer,
                                       anslen);
    return res_offload((struct res){.call = CALL_SEARCH, .statp = statp,
                                    .name = dname, .class = class,
                                    .type = type, .answer = answer,
                                    .anslen = anslen});
}

GREEN__INTERPOSE int res_nquerydomain(res_state statp, const char *name,
                                      const char *domain, int class, int type,
                                      unsigned char *answer, int anslen)
{
    if (!green__gate() || !statp)
        return green__real.res_nquerydomain(statp, name, domain, class, type,
                                            answer, anslen);
    return res_offload((struct res){.call = CALL_QUERYDOMAIN, .statp = statp,
                                    .name = name, .domain = domain,
                                    .class = class, .type = type,
                                    .answer = answer, .anslen = anslen});
}

GREEN__INTERPOSE int res_nsend(res_state statp, const unsigned char *msg,
                               int msglen, unsigned char *answer, int anslen)
{
    if (!green__gate() || !statp)
        return green__real.res_nsend(statp, msg, msglen, answer, anslen);
    return res_offload((struct res){.call = CALL_SEND, .statp = statp, .msg = msg,
                                    .len = msglen, .answer = answer,
                                    .anslen = anslen});
}
