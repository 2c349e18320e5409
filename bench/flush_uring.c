/*
 * flush_uring.c - the io_uring flush strategies: IORING_OP_FSYNC (DATASYNC),
 * and sync_file_range over the dirty ranges followed by that fsync, linked
 * in one submission or batched in two. Variants (the row's argument): a
 * registered file, an SQPOLL ring, and a polled (IOPOLL) ring, which the
 * kernel answers with a rejection of fsync (fio issue #1577): shown to be
 * detected, never counted as a flush.
 */
#include "flush.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef SPLSUITE_HAVE_URING
#include <liburing.h>

struct uring {
    struct io_uring ring;
    int ufd;            /* the store's fd, or 0 = index of the registered file */
    unsigned sqe_flags; /* IOSQE_FIXED_FILE with a registered file */
};

static void uring_setup(struct flush_ctx *x)
{
    struct uring *u = calloc(1, sizeof *u);
    if (!u) wres_fail(x->w, "out of memory");
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    if (x->arg & U_SQPOLL) { p.flags |= IORING_SETUP_SQPOLL; p.sq_thread_idle = 100; }
    if (x->arg & U_IOPOLL) p.flags |= IORING_SETUP_IOPOLL;
    unsigned depth = 1;
    while (depth < x->c->dirty * (x->c->vsize / 4096 + 2) + 8 && depth < 4096) depth <<= 1;
    int rc = io_uring_queue_init_params(depth, &u->ring, &p);
    if (rc < 0) {
        if ((x->arg & U_SQPOLL) && (rc == -EPERM || rc == -EACCES))
            wres_refuse(x->w, BENCH_NOT_PERMITTED, "IORING_SETUP_SQPOLL: %s (needs CAP_SYS_NICE before 5.11)", strerror(-rc));
        wres_refuse(x->w, BENCH_UNSUPPORTED, "io_uring_queue_init(%s): %s", x->c->s->name, strerror(-rc));
    }
    u->ufd = x->fd;
    if (x->arg & U_REGFILE) {
        rc = io_uring_register_files(&u->ring, &x->fd, 1);
        if (rc < 0) wres_refuse(x->w, BENCH_UNSUPPORTED, "io_uring_register_files: %s", strerror(-rc));
        u->ufd = 0;
        u->sqe_flags |= IOSQE_FIXED_FILE;
    }
    x->priv = u;
}

static void uring_teardown(struct flush_ctx *x)
{
    struct uring *u = x->priv;
    io_uring_queue_exit(&u->ring);
    free(u);
    x->priv = NULL;
}

/* Reaps want completions; any res < 0 fails the worker with its reason.
 * A polled ring answers fsync with -EOPNOTSUPP/-EINVAL: that is reported as
 * a rejection, never as a flush. */
static void reap(struct flush_ctx *x, unsigned want)
{
    struct uring *u = x->priv;
    for (unsigned i = 0; i < want; i++) {
        struct io_uring_cqe *cqe;
        int rc = io_uring_wait_cqe(&u->ring, &cqe);
        if (rc < 0) wres_fail(x->w, "io_uring_wait_cqe: %s", strerror(-rc));
        int res = cqe->res;
        unsigned long long ud = cqe->user_data;
        io_uring_cqe_seen(&u->ring, cqe);
        if (res < 0) {
            if ((x->arg & U_IOPOLL) && (res == -EOPNOTSUPP || res == -EINVAL))
                wres_refuse(x->w, BENCH_REJECTED, "IORING_SETUP_IOPOLL ring answered fsync with res=%d (%s) (fio issue #1577); "
                                "0 flushes counted", res, strerror(-res));
            wres_fail(x->w, "completion %llu res=%d (%s)", ud, res, strerror(-res));
        }
    }
}

static void submit(struct flush_ctx *x)
{
    struct uring *u = x->priv;
    int rc = io_uring_submit(&u->ring);
    if (rc < 0) wres_fail(x->w, "io_uring_submit: %s", strerror(-rc));
}

static struct io_uring_sqe *sqe_get(struct flush_ctx *x)
{
    struct uring *u = x->priv;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
    if (!sqe) {
        submit(x);
        sqe = io_uring_get_sqe(&u->ring);
    }
    if (!sqe) wres_fail(x->w, "submission queue full");
    return sqe;
}

static void prep_fsync(struct flush_ctx *x)
{
    struct uring *u = x->priv;
    struct io_uring_sqe *sqe = sqe_get(x);
    io_uring_prep_fsync(sqe, u->ufd, IORING_FSYNC_DATASYNC);
    sqe->flags |= u->sqe_flags;
    sqe->user_data = 1;
}

static void uring_fsync_flush(struct flush_ctx *x)
{
    prep_fsync(x);
    submit(x);
    reap(x, 1);
}

static void prep_ranges(struct flush_ctx *x, bool linked)
{
    struct uring *u = x->priv;
    for (size_t i = 0; i < x->nr; i++) {
        struct io_uring_sqe *sqe = sqe_get(x);
        io_uring_prep_sync_file_range(sqe, u->ufd, (unsigned)x->ranges[i].len, x->ranges[i].off,
                                      (int)x->c->o->sfr_flags);
        sqe->flags |= u->sqe_flags | (linked ? IOSQE_IO_LINK : 0);
        sqe->user_data = 100 + i;
    }
}

/* the ranges linked to the final fsync: one submission, one wait */
static void uring_sfr_linked_flush(struct flush_ctx *x)
{
    prep_ranges(x, true);
    prep_fsync(x);
    submit(x);
    reap(x, (unsigned)x->nr + 1);
}

/* the ranges unlinked in one submission, then the fsync */
static void uring_sfr_batched_flush(struct flush_ctx *x)
{
    prep_ranges(x, false);
    submit(x);
    reap(x, (unsigned)x->nr);
    prep_fsync(x);
    submit(x);
    reap(x, 1);
}
#else
static void uring_setup(struct flush_ctx *x)
{
    wres_refuse(x->w, BENCH_UNSUPPORTED, "built without liburing");
}
#define uring_teardown NULL
#define uring_fsync_flush NULL
#define uring_sfr_linked_flush NULL
#define uring_sfr_batched_flush NULL
#endif

const struct flush_ops flush_uring_fsync_ops = {
    .fio_sync = "fsync", .setup = uring_setup, .flush = uring_fsync_flush, .teardown = uring_teardown};
const struct flush_ops flush_uring_sfr_linked_ops = {.ranges = true, .fio_sync = "fsync", .sfr = true,
    .setup = uring_setup, .flush = uring_sfr_linked_flush, .teardown = uring_teardown};
const struct flush_ops flush_uring_sfr_batched_ops = {.ranges = true, .fio_sync = "fsync", .sfr = true,
    .setup = uring_setup, .flush = uring_sfr_batched_flush, .teardown = uring_teardown};
