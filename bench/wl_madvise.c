/*
 * wl_madvise.c - the cost of cooperative madvise.
 *
 * Per advice, three ways to issue it over the store's value arena:
 *   raw        posix_madvise on the bench's own mapping of the same file range
 *   sovereign  splinter_madvise by the holder of the only (winning) bid
 *   deferred   splinter_madvise by a lower-priority bidder, blocked until
 *              the sovereign releases: the figure is release -> grant latency
 * raw and sovereign also measure the effect: page-cache residency of the
 * arena (mincore) before and 20 ms after one advice issued on cold pages
 * (file stores are written back and dropped with POSIX_FADV_DONTNEED first;
 * shm pages cannot be dropped, which the row says), and the ns/op of reading
 * every key right after. Advice is per mapping: raw advice lands on the
 * bench's own mapping of the file, so only its page-cache effect (WILLNEED
 * readahead) reaches the implementation's reads; RANDOM/SEQUENTIAL change
 * faults only in the mapping they were given to (the sovereign rows).
 */
#include "bench.h"
#include "storeview.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <poll.h>
#include <unistd.h>

static const struct {
    const char *name;
    int advice;
    uint8_t intent;
} advices[] = {
    {"normal", POSIX_MADV_NORMAL, SPL_INTENT_NONE},
    {"random", POSIX_MADV_RANDOM, SPL_INTENT_RANDOM},
    {"sequential", POSIX_MADV_SEQUENTIAL, SPL_INTENT_SEQUENTIAL},
    {"willneed", POSIX_MADV_WILLNEED, SPL_INTENT_WILLNEED},
    {"dontneed", POSIX_MADV_DONTNEED, SPL_INTENT_DONTNEED},
};
#define NADV (sizeof advices / sizeof advices[0])
#define LONG_WINDOW (1ull << 50) /* ticks: longer than any run */

enum mode { M_RAW, M_SOVEREIGN, M_DEFERRED };
static const char *const modes[] = {"raw", "sovereign", "deferred"};

struct madv_case {
    const struct bench_opts *o;
    const struct spl_impl *im;
    struct bench_store st; /* the case owns its store: no pointer to a caller's local */
    enum mode mode;
    size_t adv;
    uint64_t calls, nkeys;
    int ack;
};

struct mapping {
    struct spl_storeview view; /* the store's bytes (lib/storeview) */
    uint8_t *base;
    size_t len, arena_off, arena_len;
};

/* Maps the store and finds its value arena; the fd stays open for
 * fdatasync and fadvise. 0, or -1 with errno. */
static int map_store(const struct bench_store *st, struct mapping *m, int *fd_out)
{
    int fd = open(st->path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return -1;
    if (spl_sv_open_fd(&m->view, fd, SPL_SV_WRITE) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    m->base = m->view.base;
    m->len = m->view.size;
    /* the value arena, widened to whole pages as madvise requires (the
     * implementations round the start down the same way) */
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t off = (size_t)(m->view.values - m->view.base);
    m->arena_off = off & ~(pg - 1);
    m->arena_len = (size_t)m->view.arena + (off - m->arena_off);
    *fd_out = fd;
    return 0;
}

static double resident_pct(const struct mapping *m)
{
    long pg = sysconf(_SC_PAGESIZE);
    uintptr_t a = ((uintptr_t)m->base + m->arena_off) & ~((uintptr_t)pg - 1);
    size_t len = (uintptr_t)m->base + m->arena_off + m->arena_len - a;
    size_t n = (len + (size_t)pg - 1) / (size_t)pg;
    unsigned char *v = malloc(n);
    if (!v || mincore((void *)a, len, v) != 0) { free(v); return -1; }
    size_t in = 0;
    for (size_t i = 0; i < n; i++) in += v[i] & 1;
    free(v);
    return 100.0 * (double)in / (double)n;
}

static void madv_worker(int idx, struct wshared *sh, void *arg)
{
    const struct madv_case *c = arg;
    const struct spl_impl *im = c->im;
    struct wres *w = &sh->w[idx];
    int adv = advices[c->adv].advice;
    int fd = -1;
    struct mapping m;
    bool file = im->backend == SPL_BACKEND_FILE;
    /* read once: the mapping is set up and used under the same mode */
    const enum mode mode = c->mode;

    if (mode != M_DEFERRED) {
        if (im->open(c->st.name) != 0) wres_fail(w, "splinter_open: %s", strerror(errno));
        if (map_store(&c->st, &m, &fd) != 0) wres_fail(w, "mapping %s: %s", c->st.path, strerror(errno));
        /* cold pages: written back and dropped after the implementation has
         * opened the store, since its first fault on the header reads around
         * (read_ahead_kb) and would bring the arena back in */
        bool evicted = false;
        if (file) {
            evicted = fdatasync(fd) == 0 && posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
        }
        if (mode == M_SOVEREIGN && im->shard_claim(1, advices[c->adv].intent, 200, LONG_WINDOW) != 0)
            wres_fail(w, "splinter_shard_claim: %s", strerror(errno));
        w->x[0] = resident_pct(&m);
        int rc = mode == M_RAW ? posix_madvise(m.base + m.arena_off, m.arena_len, adv)
                                  : im->madvise(1, NULL, 0, adv, 0);
        if (rc != 0) wres_fail(w, "%s madvise(%s): rc %d errno %s", modes[mode], advices[c->adv].name, rc, strerror(errno));
        spl_sleep_ns(20000000); /* WILLNEED readahead is asynchronous */
        w->x[1] = resident_pct(&m);
        char *buf = malloc(c->st.max_val);
        uint64_t t0 = spl_time_ns(), got = 0;
        for (uint64_t i = 0; i < c->nkeys; i++) {
            char key[40];
            size_t out;
            bench_key(key, sizeof key, i);
            if (im->get(key, buf, c->st.max_val, &out) == 0) got++;
        }
        w->x[2] = c->nkeys ? (double)(spl_time_ns() - t0) / (double)c->nkeys : 0;
        w->x[3] = evicted;
        free(buf);
        if (got == 0) wres_fail(w, "read pass found none of the %llu keys", (unsigned long long)c->nkeys);
    } else {
        if (im->open(c->st.name) != 0) wres_fail(w, "splinter_open: %s", strerror(errno));
        /* worker 0 holds the high bid, worker 1 bids low and waits */
        if (idx == 1 && im->shard_claim(1, advices[c->adv].intent, 10, LONG_WINDOW) != 0)
            wres_fail(w, "splinter_shard_claim(low): %s", strerror(errno));
    }

    struct spl_perfctr pc;
    (void)spl_perfctr_open(&pc, 0, false); /* optional: unsupported counters say so in the row */
    bench_worker_ready(sh);
    spl_perfctr_start(&pc);
    if (mode != M_DEFERRED) {
        for (uint64_t i = 0; i < c->calls; i++) {
            uint64_t t0 = spl_time_ns();
            int rc = mode == M_RAW ? posix_madvise(m.base + m.arena_off, m.arena_len, adv)
                                      : im->madvise(1, NULL, 0, adv, 0);
            uint64_t t1 = spl_time_ns();
            if (rc != 0) wres_fail(w, "call %llu: rc %d (%s)", (unsigned long long)i, rc, strerror(errno));
            wres_hist_record(w, t1 - t0);
        }
        w->ops = c->calls;
    } else {
        for (uint64_t i = 0; i < c->calls; i++) {
            if (idx == 0) {
                if (im->shard_claim(2, advices[c->adv].intent, 250, LONG_WINDOW) != 0)
                    wres_fail(w, "round %llu: splinter_shard_claim(high): %s", (unsigned long long)i, strerror(errno));
                atomic_store(&sh->seq, 2 * i + 1); /* held: the bidder may start waiting */
                spl_sleep_ns(2000000);
                uint64_t t0 = spl_time_ns();
                atomic_store(&sh->t0, t0);
                if (im->shard_release(2) != 0) wres_fail(w, "splinter_shard_release: %s", strerror(errno));
                struct pollfd p = {.fd = c->ack, .events = POLLIN};
                uint64_t v;
                if (poll(&p, 1, 5000) != 1 || read(c->ack, &v, sizeof v) != sizeof v)
                    wres_fail(w, "round %llu: bidder never got the grant (5 s)", (unsigned long long)i);
            } else {
                uint64_t dl = spl_time_ns() + 5000000000ull;
                while (atomic_load(&sh->seq) != 2 * i + 1)
                    if (spl_time_ns() > dl) wres_fail(w, "round %llu: holder never claimed", (unsigned long long)i);
                int rc = im->madvise(1, NULL, 0, adv, UINT64_MAX);
                uint64_t t1 = spl_time_ns();
                if (rc != 0) wres_fail(w, "round %llu: deferred madvise rc %d (%s)", (unsigned long long)i, rc, strerror(errno));
                uint64_t t0 = atomic_load(&sh->t0);
                wres_hist_record(w, t1 > t0 ? t1 - t0 : 0);
                uint64_t one = 1;
                if (write(c->ack, &one, sizeof one) != sizeof one) wres_fail(w, "ack: %s", strerror(errno));
            }
        }
        w->ops = c->calls;
    }
    wres_take_perf(w, &pc);
    if (im->close) im->close();
}

/* read_ahead_kb of the device under path (the partition's disk), -1 unknown:
 * a fault on a file mapping reads around that much, which decides how much
 * an advice can still change */
static long read_ahead_kb(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return -1;
    for (int i = 0; i < 2; i++) {
        char p[128]; /* a partition has no queue/: its disk is the parent */
        snprintf(p, sizeof p, "/sys/dev/block/%u:%u/%squeue/read_ahead_kb", major(sb.st_dev), minor(sb.st_dev),
                 i ? "../" : "");
        FILE *f = fopen(p, "r");
        long v = -1;
        if (!f) continue;
        if (fscanf(f, "%ld", &v) != 1) v = -1;
        fclose(f);
        if (v >= 0) return v;
    }
    return -1;
}

static void run_one(struct bench_opts *o, int ii, struct madv_case *c, struct bres *r)
{
    struct spl_impl *im = &o->impls[ii];
    char why[256];
    struct bench_store *st = &c->st;
    uint64_t vs = 4096, nkeys = o->slots;
    if (bench_store_create(o, im, "bench-madv", o->slots, vs, nkeys, vs, st, r->extra, why, sizeof why) != 0) {
        bench_status(r, BENCH_ERROR, "store setup: %s", why);
        return;
    }
    c->im = im;
    c->nkeys = nkeys;
    c->ack = eventfd(0, EFD_CLOEXEC);
    int nw = c->mode == M_DEFERRED ? 2 : 1;
    struct wshared *sh = bench_shared_new(nw);
    pid_t pids[2];
    cpu_set_t cpus[2];
    bench_pin_plan(o, nw, cpus);
    char cname[200];
    snprintf(cname, sizeof cname, "madvise/%s/%s", r->name, im->label);
    if (!sh || c->ack < 0 || bench_spawn(sh, madv_worker, c, cpus, pids, cname) != 0) {
        bench_status(r, BENCH_ERROR, "cannot start workers");
    } else if (bench_run_wait(sh, pids, nw, 0, 120ull * 1000000000ull) != 0) {
        for (int i = 0; i < nw; i++)
            if (sh->w[i].failed) { bench_status_from(r, &sh->w[i]); break; }
    } else if (r->nreps < BENCH_MAX_REPS) {
        const struct wres *w = &sh->w[nw - 1];
        double p50;
        if (wres_hist_p50(w, &p50, &r->iterations) != 0 || wres_hist_to(w, &r->hist, false) != 0)
            bench_status(r, BENCH_ERROR, "no memory for the latency histogram");
        else r->rep[r->nreps++] = p50;
        for (int i = 0; i < nw; i++) spl_perfctr_add(&r->perf, &sh->w[i].perf);
        r->perf_ops += c->calls;
        if (c->mode != M_DEFERRED) {
            json_object_object_add(r->extra, "resident_before_pct", json_object_new_double(w->x[0]));
            json_object_object_add(r->extra, "resident_after_pct", json_object_new_double(w->x[1]));
            json_object_object_add(r->extra, "next_read_ns_per_op", json_object_new_double(w->x[2]));
            json_object_object_add(r->extra, "evicted_before", json_object_new_boolean(w->x[3] != 0));
            if (im->backend == SPL_BACKEND_FILE)
                json_object_object_add(r->extra, "read_ahead_kb", json_object_new_int64(read_ahead_kb(st->path)));
            if (w->x[3] == 0)
                json_object_object_add(r->extra, "evict_note", json_object_new_string(
                    im->backend == SPL_BACKEND_SHM ? "shm pages cannot be dropped: residency starts at 100%" : "POSIX_FADV_DONTNEED failed"));
        }
        if (advices[c->adv].advice == POSIX_MADV_DONTNEED)
            json_object_object_add(r->extra, "note", json_object_new_string(
                "glibc's posix_madvise(POSIX_MADV_DONTNEED) does nothing on Linux (MADV_DONTNEED would discard data)"));
    }
    if (c->ack >= 0) close(c->ack);
    bench_shared_free(sh);
    bench_store_remove(im, st);
}

static int wl_madvise_run(struct bench_opts *o, struct bench_results *rs)
{
    char name[64];
    uint64_t calls[3] = {o->quick ? 50 : 300, o->quick ? 50 : 300, o->quick ? 5 : 20};
    for (int mo = 0; mo < 3; mo++)
        for (size_t a = 0; a < NADV; a++)
            for (int ii = 0; ii < o->nimpls; ii++) {
                snprintf(name, sizeof name, "%s/%s", modes[mo], advices[a].name);
                struct bres *r = bench_result_new(rs, &bench_wl_madvise, name, ii, "ns", true);
                if (!r) return -1;
                json_object_object_add(r->params, "mode", json_object_new_string(modes[mo]));
                json_object_object_add(r->params, "advice", json_object_new_string(advices[a].name));
                json_object_object_add(r->params, "calls", json_object_new_uint64(calls[mo]));
                json_object_object_add(r->params, "arena_bytes", json_object_new_uint64(o->slots * 4096));
                json_object_object_add(r->params, "figure", json_object_new_string(
                    mo == M_DEFERRED ? "p50 latency from the sovereign's release to the bidder's madvise returning"
                                     : "p50 latency of one madvise call over the whole value arena"));
                if (spl_hist_init(&r->hist, SPL_HIST_DEFAULT_SUB_BITS) != 0)
                    bench_status(r, BENCH_ERROR, "no memory for the latency histogram");
                else r->has_hist = true;
                const char *const need[] = {"create", "open", "get", "shard_claim", "shard_release", "madvise", NULL};
                const char *miss = mo == M_RAW ? NULL : spl_impl_missing(&o->impls[ii], need);
                if (miss) bench_status(r, BENCH_UNSUPPORTED, "implementation lacks splinter_%s", miss);
            }
    for (int rep = 0; rep < o->reps; rep++)
        for (int mo = 0; mo < 3; mo++)
            for (size_t a = 0; a < NADV; a++)
                for (int ii = 0; ii < o->nimpls; ii++) {
                    snprintf(name, sizeof name, "%s/%s", modes[mo], advices[a].name);
                    struct bres *r = bench_result_find(rs, &bench_wl_madvise, name, ii);
                    if (!r || r->status != BENCH_OK) continue;
                    bench_progress(o, "madvise %s [%s] rep %d/%d", name, o->impls[ii].label, rep + 1, o->reps);
                    struct madv_case c = {.o = o, .mode = (enum mode)mo, .adv = a, .calls = calls[mo]};
                    run_one(o, ii, &c, r);
                }
    for (int i = 0; i < rs->n; i++)
        if (rs->r[i].wl == &bench_wl_madvise) bench_result_finish(&rs->r[i]);
    return 0;
}

static const char *const madvise_options[] = {"slots", NULL};
const struct bench_workload bench_wl_madvise = {
    .name = "madvise",
    .help = "cost and effect of cooperative madvise: raw, as sovereign, deferred",
    .options = madvise_options,
    .run = wl_madvise_run,
};
