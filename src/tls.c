/* Own TLS per green thread; see tls.h and docs/design.md, "Thread-local
 * storage". The layout of glibc's struct pthread and of libc's own TLS
 * block that this file writes is glibc 2.36's on x86_64 (read from its
 * debug information); the rest comes from ld.so at run time. */
#include "tls.h"

#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "common.h"
#include "hub.h"
#include "log.h"
#include "tid.h"
#include "tp.h"

bool green__tp_fast;

/* glibc 2.36, x86_64: offsets in struct pthread (2368 bytes), whose
 * first 704 bytes are tcbhead_t; the thread pointer points at it. The
 * ones _thread_db_* descriptors also give are checked against them. */
enum {
    TCB_SIZE = 2368,
    TCB_HEADER = 704,        /* tcbhead_t: self pointers, dtv, guards */
    TCB_SELF0 = 0,           /* header.tcb */
    TCB_DTV = 8,             /* header.dtv */
    TCB_SELF = 16,           /* header.self */
    TCB_MULTI = 24,          /* header.multiple_threads */
    TCB_GSCOPE = 28,         /* header.gscope_flag */
    TCB_LIST = 704,
    TCB_TID = 720,
    TCB_ROBUST = 736,        /* robust_head: list, futex_offset, pending */
    TCB_CANCEL = 776,
    TCB_SPECIFIC_1ST = 784,
    TCB_SPECIFIC = 1296,
    TCB_REPORT_EVENTS = 1553,
    TCB_USER_STACK = 1554,
    TCB_SCHEDPOLICY = 1588,
    TCB_START = 1592,
    TCB_STACKBLOCK = 1680,   /* stackblock, stackblock_size, guardsize */
    TCB_RES = 1720,          /* struct __res_state res */
    TCB_TLS_STATE = 2304,    /* strsignal_buf, strerror_l_buf */
    TCB_RSEQ = 2336,         /* struct rseq rseq_area */
};

/* libc.so.6's own TLS block (PT_TLS: 0x10 bytes of image, 0x90 in all). */
enum {
    LIBC_TLS_FILESZ = 0x10,
    LIBC_TLS_MEMSZ = 0x90,
    LIBC_RESP = 0x08,        /* __resp, exported: checked */
    LIBC_ERRNO = 0x10,       /* errno: checked */
    LIBC_TCACHE = 0x48,      /* malloc's tcache: checked by its size */
    LIBC_ARENA = 0x58,       /* malloc's thread_arena */
};
#define TCACHE_CHUNK 0x290   /* sizeof(tcache_perthread_struct) + header */

static struct {
    size_t static_size, static_align;
    ptrdiff_t hub;   /* &green__tls_hub - tp */
    ptrdiff_t libc;  /* libc's block - tp */
    void *(*allocate)(void *);
    void (*deallocate)(void *, bool);
    void (*ctype_init)(void);
    void (*call_dtors)(void);
    void *(*libc_malloc)(size_t);
    void (*libc_free)(void *);
} g;

#define AT(tp, off, type) ((type *)((char *)(tp) + (off)))

/* libc's PT_TLS segment and this thread's copy of it. */
struct libc_tls {
    uintptr_t base;
    const ElfW(Phdr) *tls;
    void *data;
};

static int find_libc(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct libc_tls *l = arg;
    if (info->dlpi_addr != l->base)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_TLS)
            l->tls = &info->dlpi_phdr[i];
    l->data = info->dlpi_tls_data;
    return 1;
}

/* One descriptor of struct pthread's layout that libthread_db reads:
 * {bits, count, offset} (glibc's nptl_db/structs.def). */
static bool field_at(const char *name, uint32_t offset)
{
    const uint32_t *d = dlsym(RTLD_DEFAULT, name);
    return d && d[2] == offset;
}

/* A function of ld.so or libc by name: a data pointer becomes a function
 * pointer through memcpy, as POSIX guarantees for dlsym. */
/* An address inside libc.so.6, for dladdr. */
static void fn_addr(void **out)
{
    const char *(*f)(void) = gnu_get_libc_version;
    memcpy(out, &f, sizeof *out);
}

static void fn(const char *name, void *out, size_t size)
{
    void *p = dlsym(RTLD_DEFAULT, name);
    memcpy(out, &p, size);
}

static const char *check(void)
{
#ifndef __x86_64__
    return "no TCB layout known for this CPU";
#endif
    if (strcmp(gnu_get_libc_version(), "2.36") != 0)
        return "no TCB layout known for this glibc version";
    const uint32_t *sz = dlsym(RTLD_DEFAULT, "_thread_db_sizeof_pthread");
    if (!sz || sz[0] != TCB_SIZE || !field_at("_thread_db_pthread_tid", TCB_TID) ||
        !field_at("_thread_db_pthread_list", TCB_LIST) ||
        !field_at("_thread_db_pthread_dtvp", TCB_DTV) ||
        !field_at("_thread_db_pthread_cancelhandling", TCB_CANCEL) ||
        !field_at("_thread_db_pthread_specific", TCB_SPECIFIC) ||
        !field_at("_thread_db_pthread_report_events", TCB_REPORT_EVENTS) ||
        !field_at("_thread_db_pthread_schedpolicy", TCB_SCHEDPOLICY) ||
        !field_at("_thread_db_pthread_start_routine", TCB_START))
        return "glibc's struct pthread is not laid out as expected";
    const ptrdiff_t *rseq_off = dlsym(RTLD_DEFAULT, "__rseq_offset");
    if (!rseq_off || (*rseq_off && *rseq_off != TCB_RSEQ))
        return "glibc's rseq area is not where expected";
    void (*info)(size_t *, size_t *) = NULL;
    fn("_dl_get_tls_static_info", &info, sizeof info);
    fn("_dl_allocate_tls", &g.allocate, sizeof g.allocate);
    fn("_dl_deallocate_tls", &g.deallocate, sizeof g.deallocate);
    fn("__ctype_init", &g.ctype_init, sizeof g.ctype_init);
    fn("__call_tls_dtors", &g.call_dtors, sizeof g.call_dtors);
    fn("__libc_malloc", &g.libc_malloc, sizeof g.libc_malloc);
    fn("__libc_free", &g.libc_free, sizeof g.libc_free);
    if (!info || !g.allocate || !g.deallocate || !g.ctype_init ||
        !g.call_dtors || !g.libc_malloc || !g.libc_free)
        return "ld.so or libc lacks the TLS functions libthread_db uses";
    info(&g.static_size, &g.static_align);
    if (g.static_size <= TCB_SIZE || g.static_align < 16 ||
        (g.static_align & (g.static_align - 1)))
        return "ld.so reports an unexpected static TLS size";

    Dl_info di;
    void *in_libc;
    fn_addr(&in_libc);
    if (!dladdr(in_libc, &di))
        return "libc.so.6 not found";
    struct libc_tls l = {(uintptr_t)di.dli_fbase, NULL, NULL};
    dl_iterate_phdr(find_libc, &l);
    char *tp = green__tp_get();
    if (!l.tls || !l.data || l.tls->p_filesz != LIBC_TLS_FILESZ ||
        l.tls->p_memsz != LIBC_TLS_MEMSZ ||
        (char *)&errno != (char *)l.data + LIBC_ERRNO ||
        dlsym(RTLD_DEFAULT, "__resp") != (char *)l.data + LIBC_RESP ||
        (char *)l.data >= tp || *AT(tp, TCB_SELF, char *) != tp)
        return "libc's TLS block is not laid out as expected";
    g.libc = (char *)l.data - tp;
    /* malloc's cache must exist in this OS thread before green threads
     * share it: glibc's own malloc, even when another one interposes. */
    g.libc_free(g.libc_malloc(1));
    void *tc = *AT(l.data, LIBC_TCACHE, void *);
    if (!tc || (((size_t *)tc)[-1] & ~(size_t)7) != TCACHE_CHUNK ||
        !*AT(l.data, LIBC_ARENA, void *))
        return "malloc's per-thread state is not where expected";
    g.hub = (char *)&green__tls_hub - tp;
    green__tp_fast = (getauxval(AT_HWCAP2) & 2) != 0;  /* HWCAP2_FSGSBASE */
    return NULL;
}

static bool usable;

static void setup_once(void)
{
    const char *why = check();
    usable = !why;
    if (why)
        green__log(GREEN__LOG_WARN, "green threads share their OS thread's "
                   "TLS (errno, __thread): %s (glibc %s)", why,
                   gnu_get_libc_version());
}

bool green__tls_setup(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    green__reals()->pthread_once(&once, setup_once);
    return usable;
}

size_t green__tls_size(void)
{
    /* Whole pages, so that the stack below keeps the size asked for. */
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return (g.static_size + g.static_align + page - 1) & ~(page - 1);
}

size_t green__tls_align(void)
{
    return green__tls_setup() ? g.static_align : 64;
}

void *green__tls_make(char *top, struct green__hub *h, void *stack_lo,
                      size_t stack_size, char **below)
{
    char *cur = green__tp_get();
    char *tcb = (char *)((uintptr_t)(top - TCB_SIZE) & ~(g.static_align - 1));
    /* A cached stack's TCB holds its last thread's; glibc reads fields of
     * it that nothing here sets (a fresh mapping is zero already). */
    memset(tcb, 0, TCB_SIZE);
    /* The stack-protector canary, the pointer guard, sysinfo and the CET
     * word are the process's: the same in every thread. */
    memcpy(tcb, cur, TCB_HEADER);
    *AT(tcb, TCB_SELF0, void *) = tcb;
    *AT(tcb, TCB_SELF, void *) = tcb;
    *AT(tcb, TCB_DTV, void *) = NULL;
    *AT(tcb, TCB_MULTI, int) = 1;
    *AT(tcb, TCB_GSCOPE, int) = 0;
    if (!g.allocate(tcb))  /* DTV, TLS images, .tbss */
        return NULL;
    /* The real TID: glibc's raise, abort and tgkill users name the OS
     * thread, which is what a signal to this thread must reach. */
    *AT(tcb, TCB_TID, pid_t) = *AT(cur, TCB_TID, pid_t);
    /* Not on glibc's thread lists, but a fork's child puts its forker
     * there (reclaim_stacks): unlinking it must find a valid empty list,
     * and it goes with the user stacks, which glibc never frees. */
    void **list = AT(tcb, TCB_LIST, void *);
    list[0] = list[1] = list;
    *AT(tcb, TCB_USER_STACK, bool) = true;
    void **robust = AT(tcb, TCB_ROBUST, void *);
    robust[0] = robust;  /* an empty list */
    robust[1] = AT(cur, TCB_ROBUST, void *)[1];  /* futex_offset */
    *AT(tcb, TCB_SPECIFIC, void *) = tcb + TCB_SPECIFIC_1ST;
    /* Sizes glibc's own alloca cutoff (a quarter of the stack). */
    *AT(tcb, TCB_STACKBLOCK, void *) = stack_lo;
    AT(tcb, TCB_STACKBLOCK, size_t)[1] = stack_size;
    /* The kernel updates only the OS thread's registered rseq area; this
     * copy says "not registered", so sched_getcpu asks the kernel. */
    AT(tcb, TCB_RSEQ, uint32_t)[1] = (uint32_t)-2;
    char *libc = tcb + g.libc;
    char *cur_libc = cur + g.libc;
    *AT(libc, LIBC_RESP, void *) = tcb + TCB_RES;
    /* malloc's cache and arena stay the OS thread's: its green threads
     * never run at once, and nothing would free a cache of their own. */
    if (!*AT(cur_libc, LIBC_TCACHE, void *))
        g.libc_free(g.libc_malloc(1));
    *AT(libc, LIBC_TCACHE, void *) = *AT(cur_libc, LIBC_TCACHE, void *);
    *AT(libc, LIBC_ARENA, void *) = *AT(cur_libc, LIBC_ARENA, void *);
    *AT(tcb, g.hub, struct green__hub *) = h;
    *below = tcb + TCB_SIZE - g.static_size;
    return tcb;
}

void green__tls_start(void)
{
    g.ctype_init();
}

void green__tls_exit(void)
{
    g.call_dtors();
}

/* glibc's robust lists (nptl/descr.h, pthreadP.h): a node is the
 * address of a mutex's __list.__next, which points at the next node (bit
 * 0 set for a PI mutex), with __list.__prev just below it pointing at the
 * previous node; the head is the TCB's robust_head, whose `list` is its
 * next and whose previous sits just below it (struct pthread's
 * robust_prev). The kernel walks an OS thread's registered list when it
 * ends; only the one of the OS thread's own TCB is registered. */
#define NODE_PTR(p) ((void **)((uintptr_t)(p) & ~(uintptr_t)1))

static void **robust_head(void *tp)
{
    return AT(tp, TCB_ROBUST, void *);
}

void green__tls_robust_unlink(void *node)
{
    void **n = node;
    NODE_PTR(n[0])[-1] = n[-1];
    NODE_PTR(n[-1])[0] = n[0];
    n[0] = n[-1] = NULL;
}

void green__tls_robust_adopt(void *node, bool pi)
{
    struct green__hub *h = green__hub_current();
    void *tp = green__tp_get();
    if (!usable || tp == h->first.tp)
        return;  /* already on the registered list */
    green__tls_robust_unlink(node);
    void **head = robust_head(h->first.tp), **n = node;
    NODE_PTR(head[0])[-1] = n;
    n[0] = head[0];
    n[-1] = head;
    head[0] = (void *)((uintptr_t)n | pi);
}

void green__tls_free(void *tp)
{
    char **bufs = AT(tp, TCB_TLS_STATE, char *);
    free(bufs[0]);
    free(bufs[1]);
    g.deallocate(tp, false);
}

void green__tls_fork_child(void *tp)
{
    if (usable)
        *AT(tp, TCB_TID, pid_t) = green__tid_real();
}
