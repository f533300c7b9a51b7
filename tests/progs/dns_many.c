/* Parity program: 100 threads each make name and user lookups that need
 * no network (/etc/hosts, numeric forms, /etc/passwd and /etc/group):
 * getaddrinfo, getnameinfo, gethostbyname_r, gethostbyaddr_r,
 * getpwnam_r, getpwuid_r, getgrnam_r, getgrgid_r. Each result is
 * checked, and main prints how many threads got it right, then the
 * plain forms once (getpwnam, getpwuid, getgrnam, gethostbyname), and
 * the errors that need no network: a non-numeric name with
 * AI_NUMERICHOST, an unknown service, a bad family, a too small buffer.
 * Knows nothing of libgreen. */
#include <arpa/inet.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "threaded.h"

#define THREADS 100

enum { GAI_NAME, GAI_NUMERIC, GAI_NONAME, GNI_NUMERIC, GNI_NAME, GHBN_R,
       GHBA_R, PWNAM_R, PWUID_R, GRNAM_R, GRGID_R, NCHECKS };
static const char *const names[NCHECKS] = {
    "getaddrinfo localhost:80 gives 127.0.0.1:80",
    "getaddrinfo 127.0.0.1 AI_NUMERICHOST",
    "getaddrinfo not-numeric AI_NUMERICHOST is EAI_NONAME",
    "getnameinfo 127.0.0.1:22 numeric",
    "getnameinfo 127.0.0.1 gives localhost",
    "gethostbyname_r localhost",
    "gethostbyaddr_r 127.0.0.1",
    "getpwnam_r root",
    "getpwuid_r 0",
    "getgrnam_r root",
    "getgrgid_r 0",
};
static atomic_int good[NCHECKS];
static pthread_barrier_t barrier;

static int gai_is(const char *node, const char *serv, int flags, int port)
{
    struct addrinfo hints = {.ai_family = AF_INET,
                             .ai_socktype = SOCK_STREAM, .ai_flags = flags};
    struct addrinfo *res;
    if (getaddrinfo(node, serv, &hints, &res) != 0)
        return 0;
    struct sockaddr_in *a = (struct sockaddr_in *)res->ai_addr;
    int ok = res->ai_family == AF_INET &&
             a->sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
             ntohs(a->sin_port) == port;
    freeaddrinfo(res);
    return ok;
}

static int gni_is(int flags, const char *host, const char *serv)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(22),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char h[NI_MAXHOST], s[NI_MAXSERV];
    if (getnameinfo((struct sockaddr *)&a, sizeof a, h, sizeof h, s,
                    sizeof s, flags) != 0)
        return 0;
    return !strcmp(h, host) && (!serv || !strcmp(s, serv));
}

static void *lookups(void *arg)
{
    (void)arg;
    roll_call(&barrier, 0);
    char buf[4096];
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST};
    struct addrinfo *res = NULL;
    struct hostent he, *hp;
    int herr;
    struct passwd pw, *pp;
    struct group gr, *gp;
    in_addr_t lo = htonl(INADDR_LOOPBACK);
    int ok[NCHECKS] = {
        [GAI_NAME] = gai_is("localhost", "80", 0, 80),
        [GAI_NUMERIC] = gai_is("127.0.0.1", NULL, AI_NUMERICHOST, 0),
        [GAI_NONAME] = getaddrinfo("not-numeric", NULL, &hints, &res) ==
                       EAI_NONAME,
        [GNI_NUMERIC] = gni_is(NI_NUMERICHOST | NI_NUMERICSERV, "127.0.0.1",
                               "22"),
        [GNI_NAME] = gni_is(NI_NAMEREQD, "localhost", NULL),
        [GHBN_R] = gethostbyname_r("localhost", &he, buf, sizeof buf, &hp,
                                   &herr) == 0 && hp &&
                   !memcmp(hp->h_addr_list[0], &lo, 4),
        [GHBA_R] = gethostbyaddr_r(&lo, 4, AF_INET, &he, buf, sizeof buf,
                                   &hp, &herr) == 0 && hp &&
                   !strcmp(hp->h_name, "localhost"),
        [PWNAM_R] = getpwnam_r("root", &pw, buf, sizeof buf, &pp) == 0 &&
                    pp && pp->pw_uid == 0,
        [PWUID_R] = getpwuid_r(0, &pw, buf, sizeof buf, &pp) == 0 && pp &&
                    !strcmp(pp->pw_name, "root"),
        [GRNAM_R] = getgrnam_r("root", &gr, buf, sizeof buf, &gp) == 0 &&
                    gp && gp->gr_gid == 0,
        [GRGID_R] = getgrgid_r(0, &gr, buf, sizeof buf, &gp) == 0 && gp &&
                    !strcmp(gp->gr_name, "root"),
    };
    for (int i = 0; i < NCHECKS; i++)
        atomic_fetch_add(&good[i], ok[i]);
    return NULL;
}

/* The error cases, once, with their exact codes. */
static void errors(void)
{
    struct addrinfo hints = {.ai_family = AF_INET}, *res;
    printf("getaddrinfo localhost:no-such-service = %s\n",
           gai_strerror(getaddrinfo("localhost", "no-such-service", &hints,
                                    &res)));
    hints.ai_family = 12345;
    printf("getaddrinfo family 12345 = %s\n",
           gai_strerror(getaddrinfo("localhost", NULL, &hints, &res)));
    printf("getaddrinfo NULL NULL = %s\n",
           gai_strerror(getaddrinfo(NULL, NULL, NULL, &res)));
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char h[4];
    printf("getnameinfo into 4 bytes = %s\n",
           gai_strerror(getnameinfo((struct sockaddr *)&a, sizeof a, h,
                                    sizeof h, NULL, 0, 0)));
    struct passwd pw, *pp = &pw;
    char small[8];
    int r = getpwnam_r("root", &pw, small, sizeof small, &pp);
    printf("getpwnam_r root in 8 bytes = %s, result %s\n", ename(r),
           pp ? "set" : "NULL");
    r = getpwnam_r("no-such-user-here", &pw, small, sizeof small, &pp);
    printf("getpwnam_r no-such-user-here = %d, result %s\n", r,
           pp ? "set" : "NULL");
    errno = 0;
    struct passwd *p = getpwnam("no-such-user-here");
    printf("getpwnam no-such-user-here = %s, errno %s\n", p ? "set" : "NULL",
           errno ? ename(errno) : "0");
}

/* A thread that waits until main closes the pipe: under libgreen, the
 * plain lookups of main then have another green thread beside them. */
static int quiet[2];

static void *bystander(void *arg)
{
    (void)arg;
    char c;
    return (void *)(intptr_t)read(quiet[0], &c, 1);
}

int main(void)
{
    start_program();
    double t0 = now();
    pthread_t t[THREADS];
    spawn_roll_call(&barrier, t, THREADS, lookups);
    join_n(t, THREADS);
    report_elapsed(t0);
    for (int i = 0; i < NCHECKS; i++) {
        printf("%s: %d of %d\n", names[i], atomic_load(&good[i]), THREADS);
        check(atomic_load(&good[i]) == THREADS, names[i]);
    }
    if (pipe(quiet) < 0)
        die("pipe");
    pthread_t b = spawn(bystander, NULL);
    struct passwd *p = getpwnam("root");
    check(p && p->pw_uid == 0 && !strcmp(p->pw_dir, "/root"), "getpwnam root");
    p = getpwuid(0);
    check(p && !strcmp(p->pw_name, "root"), "getpwuid 0");
    struct group *g = getgrnam("root");
    check(g && g->gr_gid == 0, "getgrnam root");
    struct hostent *h = gethostbyname("localhost");
    check(h && h->h_addrtype == AF_INET && !strcmp(h->h_name, "localhost"),
          "gethostbyname localhost");
    errors();
    close(quiet[1]);
    check(join(b) == 0, "the bystander read EOF");
    return finish_program("dns_many");
}
