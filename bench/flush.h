/*
 * flush.h - flush strategies of `splsuite bench flush` as ops vectors (fio's
 * ioengine_ops): the worker loop in wl_flush.c writes the dirty slots and
 * calls one strategy's flush; the strategy only knows how to make them
 * durable. A new strategy is one struct flush_ops and a row in the table of
 * wl_flush.c.
 */
#ifndef SPLSUITE_BENCH_FLUSH_H
#define SPLSUITE_BENCH_FLUSH_H

#include "bench.h"
#include "storeview.h"
#include "util.h"

struct range { uint64_t off, len; };

struct flush_strategy;

/* One measured case, owned by the driver, read by the worker. */
struct flush_case {
    const struct bench_opts *o;
    const struct spl_impl *im;
    struct bench_store st; /* the case owns its copy of the store: no pointer to a caller's local */
    const struct flush_strategy *s;
    uint64_t dirty, vsize, nkeys;
    int procs; /* worker processes flushing the store at once, each its own writes */
    char floor_path[4200];
};

/* What a strategy sees inside the worker. */
struct flush_ctx {
    const struct flush_case *c;
    int arg;                 /* the strategy row's argument (impl strategy number, U_* flags) */
    struct wres *w;          /* wres_fail(w, "<class>: ...") ends the worker with a classified reason */
    int fd;                  /* the store's file (the floor: its own file) */
    struct spl_storeview view; /* the store's bytes, mapped MAP_SHARED (unused by the floor) */
    uint8_t *base;           /* view.base (NULL for the floor) */
    size_t maplen;
    uint64_t pagesize;
    const struct range *ranges; /* dirty page ranges of this iteration, when ops->ranges */
    size_t nr;
    uint8_t *val;            /* the value written, vsize bytes */
    uint64_t blocks;         /* floor: value-sized blocks in its file */
    struct spl_rng rng;
    void *priv;              /* the strategy's own state (an io_uring) */
};

struct flush_ops {
    /* wants the dirty page ranges of each iteration in ctx->ranges */
    bool ranges;
    /* the fio job it is compared with: "fdatasync" or "fsync" (fio_equivalent) */
    const char *fio_sync;
    /* uses sync_file_range flags (--sync-file-range, recorded in the row) */
    bool sfr;
    /* calls the implementation's splinter_flush (unsupported without one) */
    bool impl_flush;
    /* the floor: no store; its own file, one pwrite per iteration and no warm-up */
    bool own_file;
    /* before the start line; may wres_fail (unsupported, not permitted) */
    void (*setup)(struct flush_ctx *x);
    /* makes this iteration's writes durable; wres_fail on an error */
    void (*flush)(struct flush_ctx *x);
    void (*teardown)(struct flush_ctx *x);
};

/* A row of the strategy table: a name, its ops, and the ops' argument. */
struct flush_strategy {
    char name[40];
    const struct flush_ops *ops;
    int arg;
};

/* The page ranges a flush of the slots slot_idx[0..n) (values of vsize
 * bytes) must cover: the header page (global epoch), the page where each slot
 * record starts, and each value's pages, sorted and coalesced into out.
 * pages needs room for 1 + n x (vsize / pagesize + 3) entries, out as many.
 * Returns the number of ranges. A slot outside the view is skipped. */
size_t flush_dirty_ranges(const struct spl_storeview *v, const uint64_t *slot_idx, uint64_t n, uint64_t vsize,
                          uint64_t pagesize, uint64_t *pages, struct range *out);

enum { U_REGFILE = 1, U_SQPOLL = 2, U_IOPOLL = 4 }; /* io_uring variants (arg of the uring ops) */

extern const struct flush_ops flush_impl_ops, flush_msync_ops, flush_msync_ranges_ops, flush_fdatasync_ops,
    flush_floor_ops;                                            /* flush_sync.c */
extern const struct flush_ops flush_uring_fsync_ops, flush_uring_sfr_linked_ops,
    flush_uring_sfr_batched_ops;                                /* flush_uring.c */

#endif
