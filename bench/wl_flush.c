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
 */
#include "bench.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#ifdef SPLSUITE_HAVE_URING
#include <liburing.h>
#endif

enum kind { K_IMPL, K_MSYNC, K_MSYNC_RANGES, K_FDATASYNC, K_URING_FSYNC, K_URING_SFR_LINKED, K_URING_SFR_BATCHED, K_FLOOR };
enum { U_REGFILE = 1, U_SQPOLL = 2, U_IOPOLL = 4 };

static const struct strat {
    const char *name;
    enum kind kind;
    int arg; /* impl strategy number, or U_* flags */
} strats[] = {
    {"impl-msync", K_IMPL, 0}, {"impl-msync-ranges", K_IMPL, 1}, {"impl-fdatasync", K_IMPL, 2},
    {"impl-uring-fsync", K_IMPL, 3}, {"impl-uring-ranges", K_IMPL, 4},
    {"msync", K_MSYNC, 0}, {"msync-ranges", K_MSYNC_RANGES, 0}, {"fdatasync", K_FDATASYNC, 0},
    {"uring-fsync", K_URING_FSYNC, 0}, {"uring-fsync-regfile", K_URING_FSYNC, U_REGFILE},
    {"uring-fsync-sqpoll", K_URING_FSYNC, U_SQPOLL},
    {"uring-sfr-linked", K_URING_SFR_LINKED, 0}, {"uring-sfr-linked-regfile", K_URING_SFR_LINKED, U_REGFILE},
    {"uring-sfr-linked-sqpoll", K_URING_SFR_LINKED, U_SQPOLL},
    {"uring-sfr-batched", K_URING_SFR_BATCHED, 0},
    {"uring-fsync-iopoll", K_URING_FSYNC, U_IOPOLL},
};
#define NSTRAT (sizeof strats / sizeof strats[0])

struct flush_case {
    const struct bench_opts *o;
    const struct spl_impl *im;
    struct bench_store st; /* the case owns its copy of the store: no pointer to a caller's local */
    const struct strat *s;
    uint64_t dirty, vsize, nkeys;
    char floor_path[4200];
};

struct range { uint64_t off, len; };

static uint64_t fnv1a(const char *k)
{
    uint64_t h = 14695981039346656037ull;
    for (; *k; k++) h = (h ^ (uint8_t)*k) * 1099511628211ull;
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Dirty page ranges of the slots written: the header page (global epoch),
 * each slot record and each value area, coalesced. */
static size_t dirty_ranges(const uint8_t *base, const struct bench_store *st, const uint64_t *slot_idx, uint64_t n,
                           uint64_t vsize, uint64_t *pages, struct range *out)
{
    const uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);
    const struct splinter_slot *S = (const struct splinter_slot *)(base + SPLINTER_HEADER_SIZE);
    const uint64_t voff = SPLINTER_HEADER_SIZE + st->slots * SPLINTER_SLOT_SIZE;
    size_t np = 0;
    pages[np++] = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t so = SPLINTER_HEADER_SIZE + slot_idx[i] * SPLINTER_SLOT_SIZE;
        pages[np++] = so / pg;
        uint64_t a = voff + S[slot_idx[i]].val_off, e = a + (vsize ? vsize : 1) - 1;
        for (uint64_t p = a / pg; p <= e / pg; p++) pages[np++] = p;
    }
    qsort(pages, np, sizeof *pages, cmp_u64);
    size_t nr = 0;
    for (size_t i = 0; i < np; i++) {
        if (nr && out[nr - 1].off + out[nr - 1].len == pages[i] * pg) out[nr - 1].len += pg;
        else if (!nr || out[nr - 1].off + out[nr - 1].len < pages[i] * pg) out[nr++] = (struct range){pages[i] * pg, pg};
    }
    return nr;
}

#ifdef SPLSUITE_HAVE_URING
/* Reaps want completions; any res < 0 fails the worker with its reason.
 * A polled ring answers fsync with -EOPNOTSUPP/-EINVAL: that is reported as
 * a rejection, never as a flush. */
static void reap(struct io_uring *ring, unsigned want, struct wres *w, int flags)
{
    for (unsigned i = 0; i < want; i++) {
        struct io_uring_cqe *cqe;
        int rc = io_uring_wait_cqe(ring, &cqe);
        if (rc < 0) wres_fail(w, "error: io_uring_wait_cqe: %s", strerror(-rc));
        int res = cqe->res;
        unsigned long long ud = cqe->user_data;
        io_uring_cqe_seen(ring, cqe);
        if (res < 0) {
            if ((flags & U_IOPOLL) && (res == -EOPNOTSUPP || res == -EINVAL))
                wres_fail(w, "rejected: IORING_SETUP_IOPOLL ring answered fsync with res=%d (%s) (fio issue #1577); "
                             "0 flushes counted", res, strerror(-res));
            wres_fail(w, "error: completion %llu res=%d (%s)", ud, res, strerror(-res));
        }
    }
}

static struct io_uring_sqe *sqe_get(struct io_uring *ring, struct wres *w)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    if (!sqe) {
        io_uring_submit(ring);
        sqe = io_uring_get_sqe(ring);
    }
    if (!sqe) wres_fail(w, "error: submission queue full");
    return sqe;
}
#endif

static void flush_worker(int idx, struct wshared *sh, void *arg)
{
    (void)idx;
    const struct flush_case *c = arg;
    const struct spl_impl *im = c->im;
    struct wres *w = &sh->w[0];
    const struct strat *s = c->s;
    uint64_t vs = c->vsize;
    const uint64_t nkeys = c->nkeys; /* key index = (first + j) % nkeys below */
    if (nkeys == 0) wres_fail(w, "error: the store has no keys");
    uint8_t *val = calloc(1, vs + 1);
    if (!val) wres_fail(w, "error: out of memory");
    memset(val, 'd', vs);
    struct spl_rng rng;
    spl_rng_seed(&rng, c->o->seed);

    if (s->kind == K_FLOOR) {
        int fd = open(c->floor_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) wres_fail(w, "error: open %s: %s", c->floor_path, strerror(errno));
        unlink(c->floor_path); /* gone even if we are killed */
        uint64_t fsize = c->st.slots * c->st.max_val + 65536, blocks = fsize / (vs ? vs : 1);
        char *z = calloc(1, 1 << 16);
        if (!z) wres_fail(w, "error: out of memory");
        for (uint64_t off = 0; off < fsize; off += 1 << 16)
            if (pwrite(fd, z, 1 << 16, (off_t)off) != 1 << 16) wres_fail(w, "error: laying out the floor file: %s", strerror(errno));
        free(z);
        fsync(fd);
        struct spl_perfctr pc;
        spl_perfctr_open(&pc, 0, false);
        bench_worker_ready(sh);
        spl_perfctr_start(&pc);
        uint64_t n = 0, start = spl_time_ns();
        while (n < c->o->flush_iters && (n < 5 || spl_time_ns() - start < c->o->run_ns)) {
            uint64_t off = spl_rng_below(&rng, blocks) * vs;
            val[0] = (uint8_t)n;
            uint64_t t0 = spl_time_ns();
            if (pwrite(fd, val, vs, (off_t)off) != (ssize_t)vs) wres_fail(w, "error: pwrite: %s", strerror(errno));
            uint64_t t1 = spl_time_ns();
            if (fdatasync(fd) != 0) wres_fail(w, "error: fdatasync: %s", strerror(errno));
            uint64_t t2 = spl_time_ns();
            wres_hist_record(w, t2 - t0);
            wres_sync_record(w, t2 - t1);
            n++;
        }
        w->ns = spl_time_ns() - start;
        w->ops = n;
        wres_take_perf(w, &pc);
        close(fd);
        free(val);
        return;
    }

    if (im->open(c->st.name) != 0) wres_fail(w, "error: splinter_open(%s): %s", c->st.name, strerror(errno));
    int fd = open(c->st.path, O_RDWR | O_CLOEXEC);
    if (fd < 0) wres_fail(w, "error: open %s: %s", c->st.path, strerror(errno));
    struct stat sb;
    fstat(fd, &sb);
    size_t maplen = (size_t)sb.st_size;
    uint8_t *base = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) wres_fail(w, "error: mmap: %s", strerror(errno));
    /* where each key lives, read from the slot table (hash + linear probing) */
    uint64_t *slot_of = malloc(nkeys * sizeof *slot_of);
    char(*keys)[40] = malloc(nkeys * sizeof *keys);
    uint64_t *pages = malloc((c->dirty * (vs / 4096 + 3) + 8) * sizeof *pages);
    struct range *ranges = malloc((c->dirty * (vs / 4096 + 3) + 8) * sizeof *ranges);
    uint64_t *cur = malloc(c->dirty * sizeof *cur);
    if (!slot_of || !keys || !pages || !ranges || !cur) wres_fail(w, "error: out of memory");
    const struct splinter_slot *S = (const struct splinter_slot *)(base + SPLINTER_HEADER_SIZE);
    for (uint64_t k = 0; k < nkeys; k++) {
        bench_key(keys[k], sizeof keys[k], k);
        uint64_t h = fnv1a(keys[k]), home = h % c->st.slots, i;
        for (i = 0; i < c->st.slots; i++) {
            const struct splinter_slot *sl = &S[(home + i) % c->st.slots];
            if (atomic_load(&sl->hash) == h && strncmp(sl->key, keys[k], SPLINTER_KEY_MAX) == 0) break;
        }
        if (i == c->st.slots) wres_fail(w, "error: key %s not found in the slot table (layout differs from format v4?)", keys[k]);
        slot_of[k] = (home + i) % c->st.slots;
    }

#ifdef SPLSUITE_HAVE_URING
    struct io_uring ring;
    bool uring = s->kind == K_URING_FSYNC || s->kind == K_URING_SFR_LINKED || s->kind == K_URING_SFR_BATCHED;
    int ufd = fd; /* or 0 = index of the registered file */
    unsigned sqe_flags = 0;
    if (uring) {
        struct io_uring_params p;
        memset(&p, 0, sizeof p);
        if (s->arg & U_SQPOLL) { p.flags |= IORING_SETUP_SQPOLL; p.sq_thread_idle = 100; }
        if (s->arg & U_IOPOLL) p.flags |= IORING_SETUP_IOPOLL;
        unsigned depth = 1;
        while (depth < c->dirty * (vs / 4096 + 2) + 8 && depth < 4096) depth <<= 1;
        int rc = io_uring_queue_init_params(depth, &ring, &p);
        if (rc < 0) {
            if ((s->arg & U_SQPOLL) && (rc == -EPERM || rc == -EACCES))
                wres_fail(w, "not permitted: IORING_SETUP_SQPOLL: %s (needs CAP_SYS_NICE before 5.11)", strerror(-rc));
            wres_fail(w, "unsupported: io_uring_queue_init(%s): %s", s->name, strerror(-rc));
        }
        if (s->arg & U_REGFILE) {
            rc = io_uring_register_files(&ring, &fd, 1);
            if (rc < 0) wres_fail(w, "unsupported: io_uring_register_files: %s", strerror(-rc));
            ufd = 0;
            sqe_flags |= IOSQE_FIXED_FILE;
        }
    }
#else
    if (s->kind >= K_URING_FSYNC && s->kind <= K_URING_SFR_BATCHED) wres_fail(w, "unsupported: built without liburing");
#endif

    struct spl_perfctr pc;
    spl_perfctr_open(&pc, 0, false);
    bench_worker_ready(sh);
    uint64_t n = 0, warm = 2, start = 0, it = 0;
    for (;; it++) {
        if (it == warm) {
            start = spl_time_ns();
            spl_perfctr_start(&pc);
        }
        if (it >= warm && (n >= c->o->flush_iters || (n >= 5 && spl_time_ns() - start >= c->o->run_ns))) break;
        uint64_t first = c->dirty >= nkeys ? 0 : spl_rng_below(&rng, nkeys);
        uint64_t t0 = spl_time_ns();
        for (uint64_t j = 0; j < c->dirty; j++) {
            uint64_t k = (first + j) % nkeys;
            cur[j] = slot_of[k];
            val[0] = (uint8_t)it;
            val[vs > 1 ? vs - 1 : 0] = (uint8_t)j;
            int rc, tries = 0;
            do rc = im->set(keys[k], val, vs);
            while (rc != 0 && errno == EAGAIN && ++tries < 100);
            if (rc != 0) wres_fail(w, "error: splinter_set(%s): %s", keys[k], strerror(errno));
        }
        uint64_t t1 = spl_time_ns();
        size_t nr = 0;
        if (s->kind == K_MSYNC_RANGES || s->kind == K_URING_SFR_LINKED || s->kind == K_URING_SFR_BATCHED)
            nr = dirty_ranges(base, &c->st, cur, c->dirty, vs, pages, ranges);
        switch (s->kind) {
        case K_IMPL:
            if (im->flush(s->arg) != 0) wres_fail(w, "error: splinter_flush(%d): %s", s->arg, strerror(errno));
            break;
        case K_MSYNC:
            if (msync(base, maplen, MS_SYNC) != 0) wres_fail(w, "error: msync: %s", strerror(errno));
            break;
        case K_MSYNC_RANGES:
            for (size_t i = 0; i < nr; i++)
                if (msync(base + ranges[i].off, ranges[i].len, MS_SYNC) != 0) wres_fail(w, "error: msync range: %s", strerror(errno));
            break;
        case K_FDATASYNC:
            if (fdatasync(fd) != 0) wres_fail(w, "error: fdatasync: %s", strerror(errno));
            break;
#ifdef SPLSUITE_HAVE_URING
        case K_URING_FSYNC: {
            struct io_uring_sqe *sqe = sqe_get(&ring, w);
            io_uring_prep_fsync(sqe, ufd, IORING_FSYNC_DATASYNC);
            sqe->flags |= sqe_flags;
            sqe->user_data = 1;
            io_uring_submit(&ring);
            reap(&ring, 1, w, s->arg);
            break;
        }
        case K_URING_SFR_LINKED:
        case K_URING_SFR_BATCHED: {
            bool linked = s->kind == K_URING_SFR_LINKED;
            for (size_t i = 0; i < nr; i++) {
                struct io_uring_sqe *sqe = sqe_get(&ring, w);
                io_uring_prep_sync_file_range(sqe, ufd, (unsigned)ranges[i].len, ranges[i].off, (int)c->o->sfr_flags);
                sqe->flags |= sqe_flags | (linked ? IOSQE_IO_LINK : 0);
                sqe->user_data = 100 + i;
            }
            if (!linked) {
                io_uring_submit(&ring);
                reap(&ring, (unsigned)nr, w, s->arg);
            }
            struct io_uring_sqe *sqe = sqe_get(&ring, w);
            io_uring_prep_fsync(sqe, ufd, IORING_FSYNC_DATASYNC);
            sqe->flags |= sqe_flags;
            sqe->user_data = 1;
            io_uring_submit(&ring);
            reap(&ring, linked ? (unsigned)nr + 1 : 1, w, s->arg);
            break;
        }
#endif
        default: wres_fail(w, "unsupported: strategy %s", s->name);
        }
        uint64_t t2 = spl_time_ns();
        if (it >= warm) {
            wres_hist_record(w, t2 - t0);
            wres_sync_record(w, t2 - t1);
            n++;
        }
    }
    w->ns = spl_time_ns() - start;
    w->ops = n;
    wres_take_perf(w, &pc);
#ifdef SPLSUITE_HAVE_URING
    if (uring) io_uring_queue_exit(&ring);
#endif
    munmap(base, maplen);
    close(fd);
    if (im->close) im->close();
    free(cur);
    free(ranges);
    free(pages);
    free(keys);
    free(slot_of);
    free(val);
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
        bench_status(r, "error: fsync of the store %s: %s", st->path, strerror(errno));
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
    struct wshared *sh = bench_shared_new(1);
    pid_t pids[1];
    cpu_set_t cpus[1];
    bench_pin_plan(o, 1, cpus);
    char cname[200];
    snprintf(cname, sizeof cname, "flush/%s/%s", r->name, im->label);
    if (!sh || bench_spawn(sh, flush_worker, c, cpus, pids, cname) != 0) {
        bench_status(r, "error: cannot start the worker");
    } else if (bench_run_wait(sh, pids, 1, 0, 300ull * 1000000000ull) != 0) {
        const char *w = sh->w[0].why;
        if (!strncmp(w, "error: ", 7) || !strncmp(w, "rejected: ", 10) || !strncmp(w, "unsupported: ", 13) ||
            !strncmp(w, "not permitted: ", 15))
            bench_status(r, "%s", w); /* already classified by the worker */
        else bench_status(r, "error: %s", w);
    } else if (r->nreps < BENCH_MAX_REPS) {
        const struct wres *w = &sh->w[0];
        wres_hist_to(w, &r->hist, false);
        wres_hist_to(w, &r->sync_hist, true);
        r->rep[r->nreps++] = w->ns ? (double)w->ops * 1e9 / (double)w->ns : 0;
        r->iterations = w->ops;
        spl_perfctr_add(&r->perf, &w->perf);
        r->perf_ops += w->ops;
    }
    bench_shared_free(sh);
}

static bool strat_wanted(const struct bench_opts *o, const char *name)
{
    if (!o->only_strategies) return true;
    size_t l = strlen(name);
    for (const char *p = o->only_strategies; (p = strstr(p, name)); p += l)
        if ((p == o->only_strategies || p[-1] == ',') && (p[l] == 0 || p[l] == ',')) return true;
    return false;
}

static int wl_flush_run(struct bench_opts *o, struct bench_results *rs)
{
    static const struct strat floor_s = {"floor", K_FLOOR, 0};
    char name[160];
    /* rows: the floor per value size, then strategy x dirty x value size */
    for (int vi = 0; vi < o->vsizes.n; vi++)
        for (int di = -1; di < o->dirty.n; di++)
            for (size_t si = 0; si < (di < 0 ? 1 : NSTRAT); si++)
                for (int ii = 0; ii < o->nimpls; ii++) {
                    const struct strat *s = di < 0 ? &floor_s : &strats[si];
                    if (di >= 0 && !strat_wanted(o, s->name)) continue;
                    uint64_t vs = o->vsizes.v[vi], d = di < 0 ? 1 : o->dirty.v[di];
                    if (di < 0) snprintf(name, sizeof name, "floor/v:%llu", (unsigned long long)vs);
                    else snprintf(name, sizeof name, "%s/d:%llu/v:%llu", s->name, (unsigned long long)d, (unsigned long long)vs);
                    struct bres *r = bench_result_new(rs, &bench_wl_flush, name, ii, "flushes/s", false);
                    json_object_object_add(r->params, "strategy", json_object_new_string(s->name));
                    json_object_object_add(r->params, "dirty_slots", json_object_new_uint64(d));
                    json_object_object_add(r->params, "value_size", json_object_new_uint64(vs));
                    char fio[64];
                    snprintf(fio, sizeof fio, "%s=%llu", s->kind == K_FDATASYNC || s->kind == K_FLOOR ? "fdatasync" : "fsync", (unsigned long long)d);
                    json_object_object_add(r->params, "fio_equivalent", json_object_new_string(fio));
                    if (s->kind == K_URING_SFR_LINKED || s->kind == K_URING_SFR_BATCHED) {
                        char f[64] = "";
                        if (o->sfr_flags & 1) strcat(f, "wait_before,");
                        if (o->sfr_flags & 2) strcat(f, "write,");
                        if (o->sfr_flags & 4) strcat(f, "wait_after,");
                        if (*f) f[strlen(f) - 1] = 0;
                        json_object_object_add(r->params, "sync_file_range", json_object_new_string(f));
                    }
                    spl_hist_init(&r->hist, SPL_HIST_DEFAULT_SUB_BITS);
                    spl_hist_init(&r->sync_hist, SPL_HIST_DEFAULT_SUB_BITS);
                    r->has_hist = r->has_sync_hist = true;
                    const struct spl_impl *im = &o->impls[ii];
                    if (im->backend != SPL_BACKEND_FILE)
                        bench_status(r, "unsupported: %s is not a persistent (file) store; nothing to make durable", im->label);
                    else if (s->kind == K_IMPL && !im->flush)
                        bench_status(r, "unsupported: implementation has no splinter_flush");
                }
    for (int rep = 0; rep < o->reps; rep++)
        for (int vi = 0; vi < o->vsizes.n; vi++)
            for (int ii = 0; ii < o->nimpls; ii++) {
                if (o->impls[ii].backend != SPL_BACKEND_FILE) continue;
                uint64_t vs = o->vsizes.v[vi];
                struct bench_store st;
                char why[256];
                bool have = false;
                for (int di = -1; di < o->dirty.n; di++)
                    for (size_t si = 0; si < (di < 0 ? 1 : NSTRAT); si++) {
                        const struct strat *s = di < 0 ? &floor_s : &strats[si];
                        if (di >= 0 && !strat_wanted(o, s->name)) continue;
                        uint64_t d = di < 0 ? 1 : o->dirty.v[di];
                        if (di < 0) snprintf(name, sizeof name, "floor/v:%llu", (unsigned long long)vs);
                        else snprintf(name, sizeof name, "%s/d:%llu/v:%llu", s->name, (unsigned long long)d, (unsigned long long)vs);
                        struct bres *r = bench_result_find(rs, &bench_wl_flush, name, ii);
                        if (r->status[0]) continue;
                        if (!have) {
                            if (bench_store_create(o, &o->impls[ii], "bench-flush", o->slots, vs, o->slots, vs, &st,
                                                   r->extra, why, sizeof why) != 0) {
                                bench_status(r, "error: store setup: %s", why);
                                continue;
                            }
                            have = true;
                        }
                        bench_progress(o, "flush %s [%s] rep %d/%d", name, o->impls[ii].label, rep + 1, o->reps);
                        struct flush_case c = {.o = o, .s = s, .dirty = d, .vsize = vs};
                        run_one(o, ii, &c, r, &st);
                    }
                if (have) bench_store_remove(&o->impls[ii], &st);
            }
    for (int i = 0; i < rs->n; i++)
        if (rs->r[i].wl == &bench_wl_flush) {
            bench_result_finish(&rs->r[i]);
            rs->r[i].rate_median = rs->r[i].median;
        }
    return 0;
}

static const char *const flush_options[] = {"flush-iterations", "time", "slots", "value-size", "dirty", "fsync",
                                            "fdatasync", "sync-file-range", "strategy", "dir", "seed", NULL};
const struct bench_workload bench_wl_flush = {
    .name = "flush",
    .help = "flushes/s making N dirty slots of a file store durable, per strategy",
    .options = flush_options,
    .run = wl_flush_run,
};
