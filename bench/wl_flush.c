/*
 * wl_flush.c - making N dirty slots of a persistent store durable.
 *
 * Each iteration writes N slots through the implementation (splinter_set)
 * and then flushes them with one strategy; the figure is flushes/s, with
 * fio-style latency blocks: "lat" = writes + flush, "sync" = the flush alone.
 * Strategies:
 *   impl-*              the implementation's own splinter_flush(strategy)
 *   msync               msync(MS_SYNC) of the whole map (the baseline)
 *   msync-ranges        msync(MS_SYNC) of each dirty page range
 *   fdatasync           fdatasync(fd)
 *   uring-fsync[...]    IORING_OP_FSYNC (DATASYNC) [registered file | SQPOLL]
 *   uring-sfr-linked    sync_file_range over the dirty ranges, linked to a final
 *                       DATASYNC fsync, one submission [registered file | SQPOLL]
 *   uring-sfr-batched   the ranges unlinked in one submission, then the fsync
 *   uring-fsync-iopoll  a polled ring: the kernel rejects fsync there (fio issue
 *                       #1577); shown to be detected, never counted
 * Every strategy ends with an fdatasync-equivalent, so durability is the same.
 * The floor is fio's io_uring/psync job with fdatasync=1: pwrite of one value
 * then fdatasync, on a file in the same directory.
 * With N processes (rows /p:N, --procs), N workers each write their dirty set
 * and flush it, in a loop, on the one store: the figure is their flushes/s
 * together (durable writes/s of the dirty set), and each row says its ratio
 * to the same strategy with one process (group commit: impl-group).
 */
#include "flush.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* The strategies, in row order: impl-<name> for each strategy the reference
 * publishes (splref.h), then the suite's own. */
static const struct flush_strategy own_strats[] = {
    {.name = "msync", .ops = &flush_msync_ops},
    {.name = "msync-ranges", .ops = &flush_msync_ranges_ops},
    {.name = "fdatasync", .ops = &flush_fdatasync_ops},
    {.name = "uring-fsync", .ops = &flush_uring_fsync_ops},
    {.name = "uring-fsync-regfile", .ops = &flush_uring_fsync_ops, .arg = U_REGFILE},
    {.name = "uring-fsync-sqpoll", .ops = &flush_uring_fsync_ops, .arg = U_SQPOLL},
    {.name = "uring-sfr-linked", .ops = &flush_uring_sfr_linked_ops},
    {.name = "uring-sfr-linked-regfile", .ops = &flush_uring_sfr_linked_ops, .arg = U_REGFILE},
    {.name = "uring-sfr-linked-sqpoll", .ops = &flush_uring_sfr_linked_ops, .arg = U_SQPOLL},
    {.name = "uring-sfr-batched", .ops = &flush_uring_sfr_batched_ops},
    {.name = "uring-fsync-iopoll", .ops = &flush_uring_fsync_ops, .arg = U_IOPOLL},
};
#define NOWN (sizeof own_strats / sizeof own_strats[0])
#define MAX_STRAT (NOWN + 16)
static const struct flush_strategy floor_strat = {.name = "floor", .ops = &flush_floor_ops};

static size_t strategies(const struct flush_strategy **out)
{
    static struct flush_strategy all[MAX_STRAT];
    static size_t n;
    if (!n) {
        for (int i = 0; i < spl_flush_nstrategies && n < MAX_STRAT - NOWN; i++)
            all[n++] = (struct flush_strategy){.ops = &flush_impl_ops, .arg = i};
        for (size_t i = 0; i < n; i++) snprintf(all[i].name, sizeof all[i].name, "impl-%s", spl_flush_strategy_name(all[i].arg));
        for (size_t i = 0; i < NOWN; i++) all[n++] = own_strats[i];
    }
    *out = all;
    return n;
}

/* What the worker writes each iteration: the keys of the store and where
 * each lives in the slot table (read from the bytes: hash + linear probing). */
struct dirty_set {
    uint64_t *slot_of;
    char (*keys)[40];
    uint64_t *pages, *cur;
    struct range *ranges;
};

static void map_store(struct flush_ctx *x, struct dirty_set *d)
{
    const struct flush_case *c = x->c;
    struct wres *w = x->w;
    if (c->im->open(c->st.name) != 0) wres_fail(w, "splinter_open(%s): %s", c->st.name, strerror(errno));
    x->fd = open(c->st.path, O_RDWR | O_CLOEXEC);
    if (x->fd < 0) wres_fail(w, "open %s: %s", c->st.path, strerror(errno));
    if (spl_sv_open_fd(&x->view, x->fd, SPL_SV_WRITE) != 0)
        wres_fail(w, "mapping %s as a format-v4 store: %s", c->st.path, strerror(errno));
    x->base = x->view.base;
    x->maplen = x->view.size;
    const uint64_t nkeys = c->nkeys, vs = c->vsize;
    d->slot_of = malloc(nkeys * sizeof *d->slot_of);
    d->keys = malloc(nkeys * sizeof *d->keys);
    d->pages = malloc((c->dirty * (vs / 4096 + 3) + 8) * sizeof *d->pages);
    d->ranges = malloc((c->dirty * (vs / 4096 + 3) + 8) * sizeof *d->ranges);
    d->cur = malloc(c->dirty * sizeof *d->cur);
    if (!d->slot_of || !d->keys || !d->pages || !d->ranges || !d->cur) wres_fail(w, "out of memory");
    for (uint64_t k = 0; k < nkeys; k++) {
        bench_key(d->keys[k], sizeof d->keys[k], k);
        long i = spl_sv_find(&x->view, d->keys[k]);
        if (i < 0) wres_fail(w, "key %s not found in the slot table (layout differs from format v4?)", d->keys[k]);
        d->slot_of[k] = (uint64_t)i;
    }
}

static void unmap_store(struct flush_ctx *x, struct dirty_set *d)
{
    spl_sv_close(&x->view);
    close(x->fd);
    if (x->c->im->close) x->c->im->close();
    free(d->cur);
    free(d->ranges);
    free(d->pages);
    free(d->keys);
    free(d->slot_of);
}

/* One iteration's writes: c->dirty consecutive keys through splinter_set
 * (the floor: one pwrite of a value at a random block of its file). */
static void write_dirty(struct flush_ctx *x, struct dirty_set *d, uint64_t it)
{
    const struct flush_case *c = x->c;
    const uint64_t vs = c->vsize;
    if (c->s->ops->own_file) {
        uint64_t off = spl_rng_below(&x->rng, x->blocks) * vs;
        x->val[0] = (uint8_t)it;
        if (pwrite(x->fd, x->val, vs, (off_t)off) != (ssize_t)vs) wres_fail(x->w, "pwrite: %s", strerror(errno));
        return;
    }
    if (!d->slot_of || !d->cur) wres_fail(x->w, "internal: the store's slots were not mapped (map_store)");
    uint64_t first = c->dirty >= c->nkeys ? 0 : spl_rng_below(&x->rng, c->nkeys);
    for (uint64_t j = 0; j < c->dirty; j++) {
        uint64_t k = (first + j) % c->nkeys;
        d->cur[j] = d->slot_of[k];
        x->val[0] = (uint8_t)it;
        x->val[vs > 1 ? vs - 1 : 0] = (uint8_t)j;
        int rc, tries = 0;
        do rc = c->im->set(d->keys[k], x->val, vs);
        while (rc != 0 && errno == EAGAIN && ++tries < 100);
        if (rc != 0) wres_fail(x->w, "splinter_set(%s): %s", d->keys[k], strerror(errno));
    }
}

/* The worker: set up the strategy, then iterations of (write the dirty set,
 * flush it) with "lat" = both and "sync" = the flush alone, until
 * flush_iters flushes or run_ns (at least 5); two warm-up iterations first
 * (none for the floor, as fio's psync job). */
static void flush_worker(int idx, struct wshared *sh, void *arg)
{
    const struct flush_case *c = arg;
    const struct flush_ops *ops = c->s->ops;
    struct flush_ctx x = {.c = c, .arg = c->s->arg, .w = &sh->w[idx], .fd = -1, .pagesize = (uint64_t)sysconf(_SC_PAGESIZE)};
    struct dirty_set d = {0};
    if (!ops->own_file && c->nkeys == 0) wres_fail(x.w, "the store has no keys");
    x.val = calloc(1, c->vsize + 1);
    if (!x.val) wres_fail(x.w, "out of memory");
    memset(x.val, 'd', c->vsize);
    spl_rng_seed(&x.rng, c->o->seed + (uint64_t)idx * 0x9E3779B97F4A7C15ull); /* each process its own keys */
    if (!ops->own_file) map_store(&x, &d);
    if (ops->setup) ops->setup(&x);

    struct spl_perfctr pc;
    (void)spl_perfctr_open(&pc, 0, false); /* counters are optional: each unsupported one says so in the row */
    bench_worker_ready(sh);
    const uint64_t warm = ops->own_file ? 0 : 2;
    uint64_t n = 0, start = 0;
    for (uint64_t it = 0;; it++) {
        if (it == warm) {
            start = spl_time_ns();
            spl_perfctr_start(&pc);
        }
        if (it >= warm && (n >= c->o->flush_iters || (n >= 5 && spl_time_ns() - start >= c->o->run_ns))) break;
        uint64_t t0 = spl_time_ns();
        write_dirty(&x, &d, it);
        uint64_t t1 = spl_time_ns();
        if (ops->ranges) {
            x.nr = flush_dirty_ranges(&x.view, d.cur, c->dirty, c->vsize, x.pagesize, d.pages, d.ranges);
            x.ranges = d.ranges;
        }
        ops->flush(&x);
        uint64_t t2 = spl_time_ns();
        if (it >= warm) {
            wres_hist_record(x.w, t2 - t0);
            wres_sync_record(x.w, t2 - t1);
            n++;
        }
    }
    x.w->ns = spl_time_ns() - start;
    x.w->ops = n;
    wres_take_perf(x.w, &pc);
    if (ops->teardown) ops->teardown(&x);
    if (!ops->own_file) unmap_store(&x, &d);
    free(x.val);
}

static const char *fs_name(long t)
{
    switch ((unsigned long)t) {
    case 0xEF53: return "ext4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x01021994: return "tmpfs";
    case 0x2FC12FC1: return "zfs";
    case 0x6969: return "nfs";
    case 0x794c7630: return "overlayfs";
    default: return "other";
    }
}

/* One store per (repetition, value size, implementation), shared by every
 * strategy and dirty-set size of that group: creating and filling it is the
 * slow part. Before each case it is written back (fsync) so every strategy
 * starts from a clean file and never pays for another's dirty pages. */
static void run_one(struct bench_opts *o, int ii, struct flush_case *c, struct bres *r, struct bench_store *shared)
{
    struct spl_impl *im = &o->impls[ii];
    c->st = *shared;
    const struct bench_store *st = &c->st;
    uint64_t nkeys = o->slots;
    int sfd = open(st->path, O_RDWR | O_CLOEXEC);
    if (sfd < 0 || fsync(sfd) != 0) {
        bench_status(r, BENCH_ERROR, "fsync of the store %s: %s", st->path, strerror(errno));
        if (sfd >= 0) close(sfd);
        return;
    }
    close(sfd);
    c->im = im;
    c->nkeys = nkeys;
    snprintf(c->floor_path, sizeof c->floor_path, "%s", st->path);
    char *slash = strrchr(c->floor_path, '/');
    if (slash) snprintf(slash + 1, sizeof c->floor_path - (size_t)(slash + 1 - c->floor_path), "splsuite-bench-floor-%d.dat", (int)getpid());
    if (!json_object_object_get_ex(r->params, "filesystem", NULL)) {
        struct statfs sf;
        char dir[4200];
        snprintf(dir, sizeof dir, "%s", st->path);
        char *sl = strrchr(dir, '/');
        if (sl) *sl = 0;
        if (statfs(dir, &sf) == 0) {
            json_object_object_add(r->params, "filesystem", json_object_new_string(fs_name((long)sf.f_type)));
            json_object_object_add(r->params, "directory", json_object_new_string(dir));
            if ((unsigned long)sf.f_type == 0x01021994)
                json_object_object_add(r->extra, "note", json_object_new_string("tmpfs: nothing reaches a device; use --dir on a disk"));
        }
    }
    const int np = c->procs < 1 ? 1 : c->procs > BENCH_MAX_WORKERS ? BENCH_MAX_WORKERS : c->procs;
    struct wshared *sh = bench_shared_new(np);
    pid_t pids[BENCH_MAX_WORKERS];
    cpu_set_t cpus[BENCH_MAX_WORKERS];
    bench_pin_plan(o, np, cpus);
    char cname[200];
    snprintf(cname, sizeof cname, "flush/%s/%s", r->name, im->label);
    if (!sh || bench_spawn(sh, flush_worker, c, cpus, pids, cname) != 0) {
        bench_status(r, BENCH_ERROR, "cannot start the workers");
    } else if (bench_run_wait(sh, pids, np, 0, 300ull * 1000000000ull) != 0) {
        for (int i = 0; i < np; i++)
            if (sh->w[i].failed) { bench_status_from(r, &sh->w[i]); break; }
        if (r->status == BENCH_OK) bench_status(r, BENCH_ERROR, "a worker did not finish");
    } else if (r->nreps < BENCH_MAX_REPS) {
        /* the processes' rates added up: each ran its own measured stretch */
        double rate = 0;
        uint64_t ops = 0;
        for (int i = 0; i < np; i++) {
            const struct wres *w = &sh->w[i];
            if (wres_hist_to(w, &r->hist, false) != 0 || wres_hist_to(w, &r->sync_hist, true) != 0)
                bench_status(r, BENCH_ERROR, "no memory for the latency histograms");
            rate += w->ns ? (double)w->ops * 1e9 / (double)w->ns : 0;
            ops += w->ops;
            spl_perfctr_add(&r->perf, &w->perf);
        }
        r->rep[r->nreps++] = rate;
        r->iterations = ops;
        r->perf_ops += ops;
    }
    bench_shared_free(sh);
}

static bool strat_wanted(const struct bench_opts *o, const char *name) { return bench_list_has(o->only_strategies, name); }

/* The case at (dirty index di, strategy si): di < 0 is the floor. NULL when
 * --strategy leaves it out. */
static const struct flush_strategy *case_strategy(const struct bench_opts *o, int di, size_t si)
{
    const struct flush_strategy *all;
    strategies(&all);
    const struct flush_strategy *s = di < 0 ? &floor_strat : &all[si];
    return di < 0 || strat_wanted(o, s->name) ? s : NULL;
}

static void case_name(char *name, size_t len, const struct flush_strategy *s, uint64_t d, uint64_t vs, int procs)
{
    if (s == &floor_strat) snprintf(name, len, "floor/v:%llu", (unsigned long long)vs);
    else if (procs > 1) snprintf(name, len, "%s/d:%llu/v:%llu/p:%d", s->name, (unsigned long long)d, (unsigned long long)vs, procs);
    else snprintf(name, len, "%s/d:%llu/v:%llu", s->name, (unsigned long long)d, (unsigned long long)vs);
}

/* The process counts of flush: --procs (1 always added, the ratios' base),
 * else 1 and 4. Without --procs the 4-process rows are only those of one
 * dirty slot (every write flushed) at the first value size, which keeps the
 * default run short. */
static int flush_procs(const struct bench_opts *o, int *out)
{
    int n = 0;
    out[n++] = 1;
    if (!o->procs_given) {
        out[n++] = 4;
        return n;
    }
    for (int i = 0; i < o->procs.n && n < BENCH_MAX_LIST; i++)
        if (o->procs.v[i] > 1) out[n++] = (int)(o->procs.v[i] > BENCH_MAX_WORKERS ? BENCH_MAX_WORKERS : o->procs.v[i]);
    return n;
}

static bool procs_apply(const struct bench_opts *o, int procs, int di, int vi)
{
    if (procs <= 1) return true;
    if (di < 0) return false; /* the floor is one process */
    return o->procs_given || (di == 0 && vi == 0);
}

/* One row: its parameters, its histograms, and why it cannot run here. */
static int add_row(struct bench_opts *o, struct bench_results *rs, const struct flush_strategy *s, uint64_t d,
                    uint64_t vs, int ii, int procs)
{
    char name[160];
    case_name(name, sizeof name, s, d, vs, procs);
    struct bres *r = bench_result_new(rs, &bench_wl_flush, name, ii, "flushes/s", false);
    if (!r) return -1;
    json_object_object_add(r->params, "strategy", json_object_new_string(s->name));
    json_object_object_add(r->params, "dirty_slots", json_object_new_uint64(d));
    json_object_object_add(r->params, "value_size", json_object_new_uint64(vs));
    json_object_object_add(r->params, "procs", json_object_new_int(procs));
    char fio[64];
    snprintf(fio, sizeof fio, "%s=%llu", s->ops->fio_sync, (unsigned long long)d);
    json_object_object_add(r->params, "fio_equivalent", json_object_new_string(fio));
    if (s->ops->sfr) {
        char f[64] = "";
        if (o->sfr_flags & 1) strcat(f, "wait_before,");
        if (o->sfr_flags & 2) strcat(f, "write,");
        if (o->sfr_flags & 4) strcat(f, "wait_after,");
        if (*f) f[strlen(f) - 1] = 0;
        json_object_object_add(r->params, "sync_file_range", json_object_new_string(f));
    }
    if (spl_hist_init(&r->hist, SPL_HIST_DEFAULT_SUB_BITS) != 0) return -1;
    r->has_hist = true;
    if (spl_hist_init(&r->sync_hist, SPL_HIST_DEFAULT_SUB_BITS) != 0) return -1;
    r->has_sync_hist = true;
    const struct spl_impl *im = &o->impls[ii];
    if (im->backend != SPL_BACKEND_FILE)
        bench_status(r, BENCH_UNSUPPORTED, "%s is not a persistent (file) store; nothing to make durable", im->label);
    else if (s->ops->impl_flush && !im->flush)
        bench_status(r, BENCH_UNSUPPORTED, "implementation has no splinter_flush");
    return 0;
}

/* One repetition of every case of (value size, implementation) on one store. */
static void run_group(struct bench_opts *o, struct bench_results *rs, int rep, int vi, int ii)
{
    const struct flush_strategy *all;
    const size_t nstrat = strategies(&all);
    const uint64_t vs = o->vsizes.v[vi];
    struct bench_store st;
    char why[256], name[160];
    bool have = false;
    int procs[BENCH_MAX_LIST];
    const int nprocs = flush_procs(o, procs);
    for (int pi = 0; pi < nprocs; pi++)
    for (int di = -1; di < o->dirty.n; di++)
        for (size_t si = 0; si < (di < 0 ? 1 : nstrat); si++) {
            const struct flush_strategy *s = case_strategy(o, di, si);
            if (!s || !procs_apply(o, procs[pi], di, vi)) continue;
            uint64_t d = di < 0 ? 1 : o->dirty.v[di];
            case_name(name, sizeof name, s, d, vs, procs[pi]);
            struct bres *r = bench_result_find(rs, &bench_wl_flush, name, ii);
            if (!r || r->status != BENCH_OK) continue;
            if (!have) {
                if (bench_store_create(o, &o->impls[ii], "bench-flush", o->slots, vs, o->slots, vs, &st, r->extra, why,
                                       sizeof why) != 0) {
                    bench_status(r, BENCH_ERROR, "store setup: %s", why);
                    continue;
                }
                have = true;
            }
            bench_progress(o, "flush %s [%s] rep %d/%d", name, o->impls[ii].label, rep + 1, o->reps);
            struct flush_case c = {.o = o, .s = s, .dirty = d, .vsize = vs, .procs = procs[pi]};
            run_one(o, ii, &c, r, &st);
        }
    if (have) bench_store_remove(&o->impls[ii], &st);
}

/* Two-sided 95 % Student t quantile for df degrees of freedom. */
static double t95(int df)
{
    static const double t[] = {0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                               2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086};
    return df < 1 ? NAN : df <= 20 ? t[df] : df <= 30 ? 2.042 : 1.960;
}

/* The geometric mean of per-repetition ratios a[q] / b[q] and its 95 %
 * confidence interval (t on the log ratios), into JSON. */
static json_object *rep_ratios(const struct bres *r, const struct bres *base)
{
    int n = r->nreps < base->nreps ? r->nreps : base->nreps, k = 0;
    double sum = 0, sq = 0;
    json_object *a = json_object_new_array();
    for (int q = 0; q < n; q++) {
        if (!(r->rep[q] > 0) || !(base->rep[q] > 0)) continue;
        double x = r->rep[q] / base->rep[q];
        json_object_array_add(a, json_object_new_double(x));
        sum += log(x), sq += log(x) * log(x), k++;
    }
    json_object *v = json_object_new_object();
    json_object_object_add(v, "per_repetition", a);
    if (k > 0) {
        double m = sum / k, sd = k > 1 ? sqrt((sq - k * m * m) / (k - 1)) : NAN, hw = t95(k - 1) * sd / sqrt(k);
        json_object_object_add(v, "geomean", json_object_new_double(exp(m)));
        json_object_object_add(v, "ci95_low", bench_json_double(exp(m - hw)));
        json_object_object_add(v, "ci95_high", bench_json_double(exp(m + hw)));
    }
    json_object_object_add(v, "repetitions", json_object_new_int(k));
    return v;
}

/* Each strategy against msync of the same dirty set, value size and
 * implementation, repetition by repetition (both ran in the same
 * repetition, back to back, so a repetition's ratio cancels the drift that
 * moves both): the ratios, their geometric mean and its 95 % confidence
 * interval (t on the log ratios). */
static void versus_msync(struct bench_results *rs)
{
    for (int i = 0; i < rs->n; i++) {
        struct bres *r = &rs->r[i];
        if (r->wl != &bench_wl_flush || r->status != BENCH_OK || r->nreps < 1) continue;
        const char *sn = bench_param_str(r, "strategy");
        if (!strcmp(sn, "msync") || !strcmp(sn, "floor")) continue;
        const struct bres *ms = NULL;
        for (int j = 0; j < rs->n && !ms; j++) {
            const struct bres *u = &rs->r[j];
            if (u->wl == &bench_wl_flush && u->impl == r->impl && u->status == BENCH_OK &&
                !strcmp(bench_param_str(u, "strategy"), "msync") &&
                bench_param_u64(u, "dirty_slots") == bench_param_u64(r, "dirty_slots") &&
                bench_param_u64(u, "value_size") == bench_param_u64(r, "value_size") &&
                bench_param_u64(u, "procs") == bench_param_u64(r, "procs"))
                ms = u;
        }
        if (!ms) continue;
        json_object_object_add(r->extra, "flushes_per_s_vs_msync", rep_ratios(r, ms));
    }
}

/* The same strategy, dirty set, value size and implementation with one
 * process, or NULL. */
static const struct bres *one_proc_row(const struct bench_results *rs, const struct bres *r)
{
    for (int j = 0; j < rs->n; j++) {
        const struct bres *u = &rs->r[j];
        if (u->wl == &bench_wl_flush && u->impl == r->impl && u->status == BENCH_OK && bench_param_u64(u, "procs") == 1 &&
            !strcmp(bench_param_str(u, "strategy"), bench_param_str(r, "strategy")) &&
            bench_param_u64(u, "dirty_slots") == bench_param_u64(r, "dirty_slots") &&
            bench_param_u64(u, "value_size") == bench_param_u64(r, "value_size"))
            return u;
    }
    return NULL;
}

/* Rows of N processes against one process, repetition by repetition (the
 * two ran in the same repetition of the same store). */
static void versus_one_proc(struct bench_results *rs)
{
    for (int i = 0; i < rs->n; i++) {
        struct bres *r = &rs->r[i];
        if (r->wl != &bench_wl_flush || r->status != BENCH_OK || bench_param_u64(r, "procs") <= 1) continue;
        const struct bres *one = one_proc_row(rs, r);
        if (one) json_object_object_add(r->extra, "flushes_per_s_vs_1_proc", rep_ratios(r, one));
    }
}

static int wl_flush_run(struct bench_opts *o, struct bench_results *rs)
{
    const struct flush_strategy *all;
    const size_t nstrat = strategies(&all);
    /* rows: the floor per value size, then strategy x dirty x value size */
    int procs[BENCH_MAX_LIST];
    const int nprocs = flush_procs(o, procs);
    for (int vi = 0; vi < o->vsizes.n; vi++)
        for (int pi = 0; pi < nprocs; pi++)
        for (int di = -1; di < o->dirty.n; di++)
            for (size_t si = 0; si < (di < 0 ? 1 : nstrat); si++)
                for (int ii = 0; ii < o->nimpls; ii++) {
                    const struct flush_strategy *s = case_strategy(o, di, si);
                    if (s && procs_apply(o, procs[pi], di, vi) &&
                        add_row(o, rs, s, di < 0 ? 1 : o->dirty.v[di], o->vsizes.v[vi], ii, procs[pi]) != 0)
                        return -1;
                }
    for (int rep = 0; rep < o->reps; rep++)
        for (int vi = 0; vi < o->vsizes.n; vi++)
            for (int ii = 0; ii < o->nimpls; ii++)
                if (o->impls[ii].backend == SPL_BACKEND_FILE) run_group(o, rs, rep, vi, ii);
    for (int i = 0; i < rs->n; i++)
        if (rs->r[i].wl == &bench_wl_flush) {
            bench_result_finish(&rs->r[i]);
            rs->r[i].rate_median = rs->r[i].median;
        }
    versus_msync(rs);
    versus_one_proc(rs);
    return 0;
}

/* N processes each flushing its own writes on one store, against one
 * process: what group commit (impl-group) is for. */
static void flush_scaling(const struct bench_opts *o, const struct bench_results *rs, json_object *arr, FILE *human)
{
    for (int i = 0; i < rs->n; i++) {
        const struct bres *r = &rs->r[i];
        json_object *vp, *g, *lo, *hi;
        if (r->wl != &bench_wl_flush || r->status != BENCH_OK || bench_param_u64(r, "procs") <= 1 ||
            !json_object_object_get_ex(r->extra, "flushes_per_s_vs_1_proc", &vp))
            continue;
        const struct bres *one = one_proc_row(rs, r);
        double x = json_object_object_get_ex(vp, "geomean", &g) ? json_object_get_double(g) : NAN;
        double l = json_object_object_get_ex(vp, "ci95_low", &lo) && lo ? json_object_get_double(lo) : NAN;
        double h = json_object_object_get_ex(vp, "ci95_high", &hi) && hi ? json_object_get_double(hi) : NAN;
        json_object *t = json_object_new_object();
        json_object_object_add(t, "comparison", json_object_new_string("flushes/s of N processes flushing one store, over one process"));
        json_object_object_add(t, "case", json_object_new_string(r->name));
        json_object_object_add(t, "implementation", json_object_new_string(o->impls[r->impl].label));
        json_object_object_add(t, "procs", json_object_new_uint64(bench_param_u64(r, "procs")));
        json_object_object_add(t, "flushes_per_s", bench_json_double(r->median));
        json_object_object_add(t, "flushes_per_s_1_proc", bench_json_double(one ? one->median : NAN));
        json_object_object_add(t, "flushes_per_s_vs_1_proc", json_object_get(vp));
        json_object_array_add(arr, t);
        if (human) {
            char ci[64] = "95% CI needs 2+ repetitions";
            if (isfinite(l) && isfinite(h)) snprintf(ci, sizeof ci, "per-repetition 95%% CI %.2f-%.2f", l, h);
            fprintf(human, "  flush %s [%s]: %.0f flushes/s, %.2fx one process's %.0f (%s)\n", r->name, o->impls[r->impl].label,
                    r->median, x, one ? one->median : NAN, ci);
        }
    }
}

/* Target 3 of issue 5: on sparse dirty sets the best io_uring strategy makes
 * >= 1.5x the flushes/s of whole-map msync, with a sync p99 <= 1.5x the
 * pwrite+fdatasync floor. */
static void flush_targets(const struct bench_opts *o, const struct bench_results *rs, json_object *arr, FILE *human)
{
    for (int ii = 0; ii < o->nimpls; ii++) {
        for (int i = 0; i < rs->n; i++) {
            const struct bres *ms = &rs->r[i];
            if (ms->wl != &bench_wl_flush || ms->impl != ii || ms->status != BENCH_OK ||
                strcmp(bench_param_str(ms, "strategy"), "msync") != 0 || bench_param_u64(ms, "procs") > 1)
                continue;
            const uint64_t d = bench_param_u64(ms, "dirty_slots"), v = bench_param_u64(ms, "value_size");
            if (d * 16 > o->slots) continue; /* sparse only */
            char rest[64];
            snprintf(rest, sizeof rest, "d:%llu/v:%llu", (unsigned long long)d, (unsigned long long)v);
            const struct bres *best = NULL, *fl = NULL;
            for (int j = 0; j < rs->n; j++) {
                const struct bres *u = &rs->r[j];
                if (u->wl != &bench_wl_flush || u->impl != ii || bench_param_u64(u, "value_size") != v ||
                    bench_param_u64(u, "procs") > 1)
                    continue;
                const char *us = bench_param_str(u, "strategy");
                if (strcmp(us, "floor") == 0) fl = u;
                if (u->status != BENCH_OK || !strstr(us, "uring") || strstr(us, "iopoll") ||
                    bench_param_u64(u, "dirty_slots") != d)
                    continue;
                if (!best || u->median > best->median) best = u;
            }
            if (!best) continue;
            double q = best->median / ms->median;
            /* a p99 only from >= 1000 samples (fewer: NaN, and the counts say why) */
            uint64_t pn = best->has_sync_hist ? best->sync_hist.count : 0;
            uint64_t fpn = fl && fl->has_sync_hist && fl->status == BENCH_OK ? fl->sync_hist.count : 0;
            double p99 = pn >= 1000 ? (double)spl_hist_percentile(&best->sync_hist, 99) : NAN;
            double fp99 = fpn >= 1000 ? (double)spl_hist_percentile(&fl->sync_hist, 99) : NAN;
            json_object *t = json_object_new_object();
            json_object_object_add(t, "target", json_object_new_string("sparse dirty set: best io_uring flushes/s over whole-map msync's, sync p99 over the pwrite+fdatasync floor's"));
            json_object_object_add(t, "implementation", json_object_new_string(o->impls[ii].label));
            json_object_object_add(t, "case", json_object_new_string(rest));
            json_object_object_add(t, "best_uring", json_object_new_string(best->name));
            json_object_object_add(t, "flushes_per_s_ratio", bench_json_double(q));
            json_object_object_add(t, "p99_ns", bench_json_double(p99));
            json_object_object_add(t, "floor_p99_ns", bench_json_double(fp99));
            json_object_object_add(t, "p99_samples", json_object_new_uint64(pn));
            json_object *vm, *lo_j, *hi_j;
            double ci_lo = NAN, ci_hi = NAN;
            if (json_object_object_get_ex(best->extra, "flushes_per_s_vs_msync", &vm)) {
                if (json_object_object_get_ex(vm, "ci95_low", &lo_j) && lo_j) ci_lo = json_object_get_double(lo_j);
                if (json_object_object_get_ex(vm, "ci95_high", &hi_j) && hi_j) ci_hi = json_object_get_double(hi_j);
                json_object_object_add(t, "flushes_per_s_vs_msync", json_object_get(vm));
            }
            json_object_object_add(t, "floor_p99_samples", json_object_new_uint64(fpn));
            double pq = fp99 > 0 ? p99 / fp99 : NAN;
            json_object_object_add(t, "p99_ratio", bench_json_double(pq));
            /* the p50 of the flush call alone is steadier than flushes/s on a loaded machine */
            double mp50 = ms->has_sync_hist ? (double)spl_hist_percentile(&ms->sync_hist, 50) : NAN;
            double bp50 = best->has_sync_hist ? (double)spl_hist_percentile(&best->sync_hist, 50) : NAN;
            json_object_object_add(t, "msync_p50_over_best_p50", bench_json_double(bp50 > 0 ? mp50 / bp50 : NAN));
            json_object_object_add(t, "note", json_object_new_string(
                "best of several io_uring strategies against one msync: on a noisy machine the maximum of several "
                "medians is biased upwards; check the spread and repeat"));
            json_object_array_add(arr, t);
            if (human) {
                char ci[64] = "95% CI needs 2+ repetitions";
                if (isfinite(ci_lo) && isfinite(ci_hi)) snprintf(ci, sizeof ci, "per-repetition 95%% CI %.2f-%.2f", ci_lo, ci_hi);
                fprintf(human, "  flush %s [%s]: %s %.2fx msync flushes/s (%s), sync p99 %.2fx floor (%llu and %llu samples%s);"
                               " msync/best sync p50 %.2fx\n",
                        rest, o->impls[ii].label, best->name, q, ci, pq, (unsigned long long)pn, (unsigned long long)fpn,
                        pn < 1000 || fpn < 1000 ? ", p99 needs 1000" : "", bp50 > 0 ? mp50 / bp50 : NAN);
            }
        }
    }
    flush_scaling(o, rs, arr, human);
}

static const char *const flush_options[] = {"flush-iterations", "time", "slots", "value-size", "dirty", "fsync",
                                            "fdatasync", "sync-file-range", "strategy", "procs", "store-dir", "seed", NULL};
/* --strategy accepts the names of the table's rows */
static const char *const *flush_choices(const char *option)
{
    static const char *names[MAX_STRAT + 1];
    if (strcmp(option, "strategy") != 0) return NULL;
    const struct flush_strategy *all;
    size_t n = strategies(&all);
    for (size_t i = 0; i < n; i++) names[i] = all[i].name;
    names[n] = NULL;
    return names;
}

const struct bench_workload bench_wl_flush = {
    .name = "flush",
    .help = "flushes/s making N dirty slots of a file store durable, per strategy",
    .options = flush_options,
    .run = wl_flush_run,
    .targets = flush_targets,
    .choices = flush_choices,
};
