/*
 * uring.c - dlopen of liburing for the io_uring flush strategies (uring.h).
 */
#include "store.h"
#include "uring.h"

#ifdef SPLREF_HAVE_URING
#include <dlfcn.h>

static struct {
    int (*queue_init)(unsigned, struct io_uring *, unsigned);
    void (*queue_exit)(struct io_uring *);
    int (*submit_and_wait)(struct io_uring *, unsigned);
    int (*get_cqe)(struct io_uring *, struct io_uring_cqe **, unsigned, unsigned, sigset_t *);
    int ok;
} L;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    /* RTLD_LOCAL: liburing's names stay out of the client's global scope */
    void *h = dlopen(SR_LIBURING_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) return;
    *(void **)&L.queue_init = dlsym(h, "io_uring_queue_init");
    *(void **)&L.queue_exit = dlsym(h, "io_uring_queue_exit");
    *(void **)&L.submit_and_wait = dlsym(h, "io_uring_submit_and_wait");
    *(void **)&L.get_cqe = dlsym(h, "__io_uring_get_cqe");
    L.ok = L.queue_init && L.queue_exit && L.submit_and_wait && L.get_cqe;
    if (!L.ok) dlclose(h);
}

int sr_uring_load(void)
{
    pthread_once(&once, load);
    if (!L.ok) { errno = ENOTSUP; return -1; }
    return 0;
}

/* Only reached after sr_uring_load() succeeded (a ring exists). */
int sr_uring_queue_init(unsigned entries, struct io_uring *ring, unsigned flags)
{
    return sr_uring_load() == 0 ? L.queue_init(entries, ring, flags) : -ENOTSUP;
}
void sr_uring_queue_exit(struct io_uring *ring) { L.queue_exit(ring); }
int sr_uring_submit_and_wait(struct io_uring *ring, unsigned wait_nr) { return L.submit_and_wait(ring, wait_nr); }
int sr_uring_get_cqe(struct io_uring *ring, struct io_uring_cqe **cqe_ptr, unsigned submit, unsigned wait_nr,
                     sigset_t *sigmask)
{
    return L.get_cqe(ring, cqe_ptr, submit, wait_nr, sigmask);
}
#endif
