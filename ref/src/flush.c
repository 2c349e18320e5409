/*
 * flush.c - durability for persistent stores (an extension of the original).
 *
 * Each handle remembers which slots this process wrote since its last flush.
 * A flush turns that set into page ranges (the header page, the slot records
 * and the value areas) and makes them durable with the chosen strategy.
 * Every strategy ends with the data on stable storage as fdatasync defines
 * it; they differ in how much they ask the kernel to look at.
 */
#include "store.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "uring.h"

struct splref_flush_state {
    pthread_mutex_t lock; /* one flush at a time per handle */
    size_t words;
    _Atomic uint64_t *dirty; /* bit i = slot i written since the last flush */
#ifdef SPLREF_HAVE_URING
    bool ring_ok;
    struct io_uring ring;
#endif
};

enum { RING_DEPTH = 64 };
#define URING_MAX_PIECE ((size_t)1 << 30)

static const char *const names[SPLINTER_FLUSH__COUNT] = SPLINTER_FLUSH_STRATEGY_NAMES;

const char *splinter_flush_strategy_name(int s)
{
    return s >= 0 && s < SPLINTER_FLUSH__COUNT ? names[s] : NULL;
}

int splinter_flush_strategy_parse(const char *name)
{
    for (int i = 0; name && i < SPLINTER_FLUSH__COUNT; i++)
        if (strcmp(name, names[i]) == 0) return i;
    return -1;
}

static struct splref_flush_state *state(splref_store *st)
{
    struct splref_flush_state *fs = atomic_load_explicit((struct splref_flush_state *_Atomic *)&st->flush,
                                                         memory_order_acquire);
    if (fs) return fs;
    fs = calloc(1, sizeof(*fs));
    if (!fs) return NULL;
    fs->words = (st->nslots + 63) / 64;
    fs->dirty = calloc(fs->words, sizeof *fs->dirty);
    if (!fs->dirty) { free(fs); return NULL; }
    pthread_mutex_init(&fs->lock, NULL);
    struct splref_flush_state *expected = NULL;
    if (!atomic_compare_exchange_strong((struct splref_flush_state *_Atomic *)&st->flush, &expected, fs)) {
        free(fs->dirty);
        free(fs);
        return expected;
    }
    return fs;
}

/* Persistent stores get their dirty set at open: a write must never go
 * unrecorded because an allocation failed later. */
int sr_flush_prepare(splref_store *st)
{
    if (st->backend != SPLREF_BACKEND_FILE) return 0;
    return state(st) ? 0 : -1;
}

void sr_mark_dirty(splref_store *st, size_t idx)
{
    if (st->backend != SPLREF_BACKEND_FILE) return;
    struct splref_flush_state *fs = state(st);
    if (fs) atomic_fetch_or_explicit(&fs->dirty[idx / 64], 1ULL << (idx % 64), memory_order_relaxed);
}

void sr_flush_free(splref_store *st)
{
    struct splref_flush_state *fs = st->flush;
    if (!fs) return;
#ifdef SPLREF_HAVE_URING
    if (fs->ring_ok) io_uring_queue_exit(&fs->ring);
#endif
    pthread_mutex_destroy(&fs->lock);
    free(fs->dirty);
    free(fs);
    st->flush = NULL;
}

struct range { size_t off, len; };

static int cmp_range(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

/* Page-aligned, sorted, merged ranges covering the dirty slots (and the header). */
static size_t dirty_ranges(splref_store *st, const uint64_t *snap, size_t words, struct range **out)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = 1, cap = 16;
    struct range *r = malloc(cap * sizeof *r);
    if (!r) return 0;
    r[0] = (struct range){0, SPLINTER_HEADER_SIZE};
    for (size_t w = 0; w < words; w++) {
        for (uint64_t m = snap[w]; m; m &= m - 1) {
            size_t i = w * 64 + (size_t)__builtin_ctzll(m);
            if (n + 2 > cap) {
                cap *= 2;
                struct range *nr = realloc(r, cap * sizeof *r);
                if (!nr) { free(r); return 0; }
                r = nr;
            }
            r[n++] = (struct range){SPLINTER_HEADER_SIZE + i * SPLINTER_SLOT_SIZE, SPLINTER_SLOT_SIZE};
            /* val_off lives in shared memory: a hostile writer may have moved it */
            size_t voff = (size_t)(st->V - (uint8_t *)st->base) + __atomic_load_n(&st->S[i].val_off, __ATOMIC_RELAXED);
            if (voff < st->total) r[n++] = (struct range){voff, st->max_val};
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t a = r[i].off & ~(pg - 1), e = r[i].off + r[i].len;
        if (e > st->total) e = st->total;
        e = (e + pg - 1) & ~(pg - 1);
        if (e > st->total) e = st->total;
        r[i] = (struct range){a, e - a};
    }
    qsort(r, n, sizeof *r, cmp_range);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && r[i].off <= r[m - 1].off + r[m - 1].len) {
            size_t e = r[i].off + r[i].len;
            if (e > r[m - 1].off + r[m - 1].len) r[m - 1].len = e - r[m - 1].off;
        } else {
            r[m++] = r[i];
        }
    }
    *out = r;
    return m;
}

#ifdef SPLREF_HAVE_URING
/* Submits what is queued and checks every completion: a CQE with res < 0
 * (including -ECANCELED on a broken link) fails the flush. */
static int uring_reap(struct io_uring *ring, unsigned want)
{
    int err = 0;
    int rc = io_uring_submit_and_wait(ring, want);
    if (rc < 0) return rc;
    for (unsigned got = 0; got < want; got++) {
        struct io_uring_cqe *cqe;
        rc = io_uring_wait_cqe(ring, &cqe);
        if (rc < 0) return rc;
        if (cqe->res < 0 && !err) err = cqe->res;
        io_uring_cqe_seen(ring, cqe);
    }
    return err;
}

static int uring_flush(splref_store *st, struct splref_flush_state *fs, const struct range *r, size_t n, bool ranges)
{
    if (!fs->ring_ok) {
        int rc = io_uring_queue_init(RING_DEPTH, &fs->ring, 0);
        if (rc < 0) return rc;
        fs->ring_ok = true;
    }
    struct io_uring *ring = &fs->ring;
    size_t i = 0, done = 0;
    if (ranges) {
        /* batches of linked sync_file_range; the last batch ends in a linked
         * DATASYNC fsync, which also flushes the device cache */
        do {
            unsigned q = 0;
            struct io_uring_sqe *sqe = NULL;
            for (; i < n && q < RING_DEPTH - 1; q++) {
                /* the SQE length is 32 bits: long merged ranges go in pieces */
                size_t piece = r[i].len - done < URING_MAX_PIECE ? r[i].len - done : URING_MAX_PIECE;
                sqe = io_uring_get_sqe(ring);
                io_uring_prep_sync_file_range(sqe, st->fd, (unsigned)piece, (uint64_t)(r[i].off + done),
                                              SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                                  SYNC_FILE_RANGE_WAIT_AFTER);
                sqe->flags |= IOSQE_IO_LINK;
                done += piece;
                if (done == r[i].len) { i++; done = 0; }
            }
            if (i == n) {
                sqe = io_uring_get_sqe(ring);
                io_uring_prep_fsync(sqe, st->fd, IORING_FSYNC_DATASYNC);
                q++;
            } else {
                sqe->flags &= (uint8_t)~IOSQE_IO_LINK; /* a chain never spans submissions */
            }
            int rc = uring_reap(ring, q);
            if (rc < 0) return rc;
        } while (i < n);
        return 0;
    }
    struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
    io_uring_prep_fsync(sqe, st->fd, IORING_FSYNC_DATASYNC);
    return uring_reap(ring, 1);
}
#endif

int splref_flush(splref_store *st, int strategy)
{
    if (!st) return -2;
    if (strategy < 0 || strategy >= SPLINTER_FLUSH__COUNT) { errno = EINVAL; return -1; }
    if (st->backend != SPLREF_BACKEND_FILE) { errno = ENOTSUP; return -1; }
#ifndef SPLREF_HAVE_URING
    if (strategy == SPLINTER_FLUSH_URING_FSYNC || strategy == SPLINTER_FLUSH_URING_RANGES) {
        errno = ENOTSUP;
        return -1;
    }
#endif
    struct splref_flush_state *fs = state(st);
    if (!fs) { errno = ENOMEM; return -1; }
    if (MUTANT(flush_noop)) return 0;
    pthread_mutex_lock(&fs->lock);
    uint64_t *snap = malloc(fs->words * sizeof(uint64_t));
    if (!snap) { pthread_mutex_unlock(&fs->lock); errno = ENOMEM; return -1; }
    for (size_t w = 0; w < fs->words; w++) snap[w] = atomic_exchange_explicit(&fs->dirty[w], 0, memory_order_acq_rel);

    int rc = 0;
    struct range *r = NULL;
    size_t n = 0;
    if (strategy == SPLINTER_FLUSH_MSYNC_RANGES || strategy == SPLINTER_FLUSH_URING_RANGES) {
        n = dirty_ranges(st, snap, fs->words, &r);
        if (!r) { rc = -ENOMEM; goto out; }
    }
    switch (strategy) {
    case SPLINTER_FLUSH_MSYNC:
        if (msync(st->base, st->total, MS_SYNC) != 0) rc = -errno;
        break;
    case SPLINTER_FLUSH_MSYNC_RANGES:
        for (size_t i = 0; i < n && !rc; i++)
            if (msync((uint8_t *)st->base + r[i].off, r[i].len, MS_SYNC) != 0) rc = -errno;
        break;
    case SPLINTER_FLUSH_FDATASYNC:
        if (fdatasync(st->fd) != 0) rc = -errno;
        break;
    case SPLINTER_FLUSH_GROUP: rc = sr_group_flush(st); break;
#ifdef SPLREF_HAVE_URING
    case SPLINTER_FLUSH_URING_FSYNC: rc = uring_flush(st, fs, NULL, 0, false); break;
    case SPLINTER_FLUSH_URING_RANGES: rc = uring_flush(st, fs, r, n, true); break;
#endif
    default: rc = -ENOTSUP; break;
    }
out:
    if (rc < 0) /* keep the set: a later flush must still cover it */
        for (size_t w = 0; w < fs->words; w++) atomic_fetch_or(&fs->dirty[w], snap[w]);
    free(r);
    free(snap);
    pthread_mutex_unlock(&fs->lock);
    if (rc < 0) { errno = -rc; return -1; }
    return 0;
}
