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
 */
#include "store.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

struct waiter {
    int fd; /* the eventfd descriptor the caller holds */
    int ep; /* its epoll instance, EPOLLET on fd */
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

/* Watches fd; with fresh, writes made before now are not reported (the
 * counter may hold writes nobody will ever read). -1 with errno. */
int sr_bus_watch(int fd, bool fresh)
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
    pthread_mutex_lock(&mu);
    long i = find(fd);
    if (i >= 0) { /* a stale entry: fd was closed without event_bus_close and reused */
        close(W[i].ep);
        W[i].ep = ep;
        pthread_mutex_unlock(&mu);
        return 0;
    }
    if (nw == cap) {
        size_t ncap = cap ? cap * 2 : 8;
        struct waiter *n = realloc(W, ncap * sizeof *n);
        if (!n) {
            pthread_mutex_unlock(&mu);
            close(ep);
            errno = ENOMEM;
            return -1;
        }
        W = n, cap = ncap;
    }
    W[nw++] = (struct waiter){fd, ep};
    pthread_mutex_unlock(&mu);
    return 0;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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

int splinter_event_bus_wait(int fd, uint64_t timeout_ms)
{
    if (fd < 0) { errno = EBADF; return -1; }
    if (MUTANT(bus_wait_naps)) return nap_wait(fd, timeout_ms);
    pthread_mutex_lock(&mu);
    long i = find(fd);
    int ep = i >= 0 ? W[i].ep : -1;
    pthread_mutex_unlock(&mu);
    if (ep < 0) {
        /* a descriptor we did not hand out (a dup, or one from elsewhere):
         * watch it from now on; a write before this first wait may show
         * as one early wake, never as a lost one */
        if (sr_bus_watch(fd, false) != 0) return -1;
        return splinter_event_bus_wait(fd, timeout_ms);
    }
    bool forever = timeout_ms == UINT64_MAX;
    uint64_t deadline = 0, now = 0;
    if (!forever && timeout_ms) {
        now = mono_ns();
        deadline = timeout_ms > (UINT64_MAX - now) / 1000000u ? UINT64_MAX : now + timeout_ms * 1000000u;
    }
    for (;;) {
        int ms;
        if (forever) ms = -1;
        else if (!timeout_ms) ms = 0;
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
            if (!timeout_ms) { errno = ETIMEDOUT; return -1; }
            now = mono_ns();
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
        W[i] = W[--nw];
    }
    pthread_mutex_unlock(&mu);
    close(fd);
}
