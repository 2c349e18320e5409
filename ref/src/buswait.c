/*
 * buswait.c - waiting on the event bus: every waiter wakes on every write.
 *
 * The bus is the owner's eventfd (format: owner_fd/owner_pid in the header),
 * written once per notifying write by every armed process, ours and the
 * original's alike. The original waits with poll + read: the read drains the
 * counter, so of several waiters only the first reads the write; the others,
 * woken by the same poll, block in read() past their timeout.
 *
 * Here a waiter never reads the counter. Each descriptor handed out by
 * splinter_event_bus_open has its own epoll instance watching the eventfd
 * edge-triggered: the kernel reports every write to every such instance,
 * also writes that land while the waiter is busy elsewhere (they stay
 * pending in its instance), and the counter's value does not matter. An
 * original waiter on the same bus still works: it reads the counter as
 * before (we leave it to it). A wait ends by its timeout at the latest,
 * measured on CLOCK_MONOTONIC.
 *
 * The descriptor -> epoll table is per process, under a mutex; each waiter
 * (thread or process) opens its own descriptor, as with the original.
 *
 * Adaptive mode (SPLREF_BUS_SPIN, off by default; docs/reference.md): a
 * blocked waiter's wake costs a scheduler round trip (2-4 us here), while a
 * data write bumps the global epoch some hundreds of ns before its eventfd
 * write. So a waiter first spins on the global epoch (its own read-only map
 * of the header page, so closing the store never pulls it away) for a
 * budget learned from recent wait-to-wake gaps, as adaptive mutexes do,
 * then blocks as above. The wake itself is still the eventfd edge: once the
 * epoch moved, the spinner polls its epoll instance until the edge lands, so
 * what a wait reports (every notifying write, once, never before its dirty
 * bit) is the same in both modes.
 */
#include "store.h"

#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* One adaptive waiter's state: touched only by the thread in its wait. */
struct spin {
    void *map;                      /* read-only map of the store's first page */
    const _Atomic uint64_t *epoch;  /* the global epoch inside it */
    uint64_t cap_ns, budget_ns, ewma_ns;
};

struct waiter {
    int fd; /* the eventfd descriptor the caller holds */
    int ep; /* its epoll instance, EPOLLET on fd */
    struct spin *sp; /* adaptive mode, or NULL */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct waiter *W;
static size_t nw, cap;

/* Index of fd in the table, or -1. Caller holds mu. */
static long find(int fd)
{
    for (size_t i = 0; i < nw; i++)
        if (W[i].fd == fd) return (long)i;
    return -1;
}

#define SPIN_CAP_DEFAULT_US 50
#define SPIN_CAP_MAX_US 10000
#define EDGE_WAIT_NS 20000u   /* epoch moved: its eventfd write follows within the writer's syscall */
#define PREEMPTED_NS 50000u   /* a gap this long between two looks: we were descheduled */
#define YIELD_EVERY_NS 2000u

/* SPLREF_BUS_SPIN: unset, "", "0" or "off": no spinning; "on" or
 * "adaptive": a cap of 50 us; a number: the cap in microseconds (at most
 * 10000). Read at each event_bus_open. 0 when off or on a machine with
 * one CPU online (a spinner could only delay the writer). A waiter pinned to
 * one CPU still spins: that CPU may be its own. */
static uint64_t spin_cap_ns(void)
{
    const char *v = getenv("SPLREF_BUS_SPIN");
    if (!v || !*v || strcmp(v, "0") == 0 || strcmp(v, "off") == 0) return 0;
    uint64_t us = SPIN_CAP_DEFAULT_US;
    if (strcmp(v, "on") != 0 && strcmp(v, "adaptive") != 0) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(v, &end, 10);
        if (errno || *end || end == v) return 0; /* not a setting we know: the documented default, off */
        us = n > SPIN_CAP_MAX_US ? SPIN_CAP_MAX_US : n;
    }
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2) return 0;
    return us * 1000u;
}

static struct spin *spin_new(const splref_store *st)
{
    uint64_t cap_ns = st ? spin_cap_ns() : 0;
    if (!cap_ns || st->fd < 0) return NULL;
    long pg = sysconf(_SC_PAGESIZE);
    size_t len = pg > 0 ? (size_t)pg : 4096;
    void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, st->fd, 0);
    if (m == MAP_FAILED) return NULL; /* no spinning, the blocking wait still works */
    struct spin *sp = calloc(1, sizeof *sp);
    if (!sp) { munmap(m, len); return NULL; }
    sp->map = m;
    sp->epoch = (const _Atomic uint64_t *)((const char *)m + offsetof(struct splinter_header, epoch));
    sp->cap_ns = cap_ns;
    sp->budget_ns = cap_ns; /* optimistic start; the first gaps correct it */
    return sp;
}

static void spin_free(struct spin *sp)
{
    if (!sp) return;
    long pg = sysconf(_SC_PAGESIZE);
    munmap(sp->map, pg > 0 ? (size_t)pg : 4096);
    free(sp);
}

/* Watches fd; with fresh, writes made before now are not reported (the
 * counter may hold writes nobody will ever read); with st, in adaptive mode
 * when SPLREF_BUS_SPIN asks for it. -1 with errno. */
int sr_bus_watch(int fd, bool fresh, const splref_store *st)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return -1;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = fd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        int saved = errno;
        close(ep);
        errno = saved;
        return -1;
    }
    if (fresh) epoll_wait(ep, &ev, 1, 0); /* the edge of the counter as it is now */
    struct spin *sp = spin_new(st);
    pthread_mutex_lock(&mu);
    long i = find(fd);
    if (i >= 0) { /* a stale entry: fd was closed without event_bus_close and reused */
        close(W[i].ep);
        spin_free(W[i].sp);
        W[i].ep = ep;
        W[i].sp = sp;
        pthread_mutex_unlock(&mu);
        return 0;
    }
    if (nw == cap) {
        size_t ncap = cap ? cap * 2 : 8;
        struct waiter *n = realloc(W, ncap * sizeof *n);
        if (!n) {
            pthread_mutex_unlock(&mu);
            close(ep);
            spin_free(sp);
            errno = ENOMEM;
            return -1;
        }
        W = n, cap = ncap;
    }
    W[nw++] = (struct waiter){fd, ep, sp};
    pthread_mutex_unlock(&mu);
    return 0;
}

/* mut:bus_wait_naps: a lazy wait that looks every 10 ms */
static int nap_wait(int fd, uint64_t timeout_ms)
{
    for (uint64_t waited = 0;; waited += 10) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        uint64_t v;
        if (poll(&p, 1, 0) == 1) return read(fd, &v, sizeof v) == (ssize_t)sizeof v ? 0 : -1;
        if (waited >= timeout_ms) { errno = ETIMEDOUT; return -1; }
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
}

static int block_wait(int ep, bool forever, uint64_t deadline, uint64_t now);

/* Spins until the bus edge lands on ep (true), the budget or deadline is
 * spent, or we look preempted (false). Only the global epoch is read while
 * nothing happens; the epoll instance is polled once the epoch moved. */
static bool spin_wait(const struct spin *sp, int ep, uint64_t start, uint64_t end, bool *preempted)
{
    uint64_t e0 = atomic_load_explicit(sp->epoch, memory_order_acquire), last = start, yielded = start;
    for (unsigned n = 1;; n++) {
        uint64_t e = atomic_load_explicit(sp->epoch, memory_order_acquire);
        if (e != e0) {
            e0 = e;
            uint64_t t = sr_mono_ns(), edge_end = t + EDGE_WAIT_NS;
            for (;;) {
                struct epoll_event ev;
                if (epoll_wait(ep, &ev, 1, 0) > 0) return true;
                t = sr_mono_ns();
                if (t >= edge_end || t >= end) break; /* a write that notifies nobody (an unarmed writer) */
            }
            last = t;
        }
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
        if ((n & 7) == 0) {
            uint64_t t = sr_mono_ns();
            if (t - last > PREEMPTED_NS) { *preempted = true; return false; }
            if (t >= end) return false;
            last = t;
            if (t - yielded > YIELD_EVERY_NS) { sched_yield(); yielded = t = sr_mono_ns(); last = t; }
        }
    }
}

/* What the last wait teaches the budget: a gap under the cap (caught by the
 * spin, or by the block when the budget was too short) moves the average
 * and the budget to twice it; a longer gap, a timeout or a preemption
 * halves the budget. */
static void spin_learn(struct spin *sp, bool woke, uint64_t gap, bool preempted)
{
    if (woke && !preempted && gap <= sp->cap_ns) {
        int64_t d = (int64_t)gap - (int64_t)sp->ewma_ns;
        sp->ewma_ns = sp->ewma_ns ? (uint64_t)((int64_t)sp->ewma_ns + d / 8) : gap;
        uint64_t b = 2 * sp->ewma_ns;
        sp->budget_ns = b < sp->cap_ns ? b : sp->cap_ns;
    } else {
        sp->budget_ns /= 2;
    }
}

int splinter_event_bus_wait(int fd, uint64_t timeout_ms)
{
    if (fd < 0) { errno = EBADF; return -1; }
    if (MUTANT(bus_wait_naps)) return nap_wait(fd, timeout_ms);
    pthread_mutex_lock(&mu);
    long i = find(fd);
    int ep = i >= 0 ? W[i].ep : -1;
    struct spin *sp = i >= 0 ? W[i].sp : NULL;
    pthread_mutex_unlock(&mu);
    if (ep < 0) {
        /* a descriptor we did not hand out (a dup, or one from elsewhere):
         * watch it from now on; a write before this first wait may show
         * as one early wake, never as a lost one */
        if (sr_bus_watch(fd, false, NULL) != 0) return -1;
        return splinter_event_bus_wait(fd, timeout_ms);
    }
    bool forever = timeout_ms == UINT64_MAX;
    uint64_t deadline = 0, now = 0, start = 0;
    if (!forever && timeout_ms) {
        now = sr_mono_ns();
        deadline = timeout_ms > (UINT64_MAX - now) / 1000000u ? UINT64_MAX : now + timeout_ms * 1000000u;
    }
    if (sp && timeout_ms) {
        struct epoll_event ev;
        if (epoll_wait(ep, &ev, 1, 0) > 0) return 0; /* reported now: nothing to learn */
        start = now ? now : sr_mono_ns();
        bool preempted = false;
        uint64_t end = start + sp->budget_ns;
        if (!forever && end > deadline) end = deadline;
        if (sp->budget_ns && spin_wait(sp, ep, start, end, &preempted)) {
            spin_learn(sp, true, sr_mono_ns() - start, false);
            return 0;
        }
        if (!forever) {
            now = sr_mono_ns();
            if (now >= deadline) {
                spin_learn(sp, false, 0, preempted);
                errno = ETIMEDOUT;
                return -1;
            }
        }
        int rc = block_wait(ep, forever, deadline, now);
        int saved = errno;
        spin_learn(sp, rc == 0, sr_mono_ns() - start, preempted);
        errno = saved;
        return rc;
    }
    return block_wait(ep, forever, timeout_ms ? deadline : 0, now);
}

/* The blocking wait on ep until deadline (0: do not block; forever: none). */
static int block_wait(int ep, bool forever, uint64_t deadline, uint64_t now)
{
    bool nonblock = !forever && deadline == 0;
    for (;;) {
        int ms;
        if (forever) ms = -1;
        else if (nonblock) ms = 0;
        else {
            uint64_t left = deadline > now ? deadline - now : 0;
            uint64_t lms = (left + 999999u) / 1000000u; /* round up: never back before the timeout */
            ms = lms > (uint64_t)INT32_MAX ? INT32_MAX : (int)lms;
        }
        struct epoll_event ev;
        int n = epoll_wait(ep, &ev, 1, ms);
        if (n > 0) return 0;
        if (n < 0 && errno != EINTR) return -1;
        if (n < 0 && !forever) return -1; /* EINTR: a finite wait reports the signal, as before */
        if (!forever) {
            if (nonblock) { errno = ETIMEDOUT; return -1; }
            now = sr_mono_ns();
            if (now >= deadline) { errno = ETIMEDOUT; return -1; }
        }
    }
}

void splinter_event_bus_close(int fd)
{
    if (fd < 0 || MUTANT(bus_close_noop)) return;
    pthread_mutex_lock(&mu);
    long i = find(fd);
    if (i >= 0) {
        close(W[i].ep);
        spin_free(W[i].sp);
        W[i] = W[--nw];
    }
    pthread_mutex_unlock(&mu);
    close(fd);
}
