/*
 * torture_worker.c - what each forked torture worker does until it is killed.
 *
 * The supervisor never loads the implementation: each child dlopens it
 * (spl_impl_attach) and opens the store itself, so it starts from the
 * library's pristine global state exactly like an unrelated process would (a store opened before fork would share one fd/map/flush state among
 * all children, which no real deployment does, and an implementation holding
 * threads or locks would not survive the fork).
 *
 * Writers own keys (key k belongs to writer k % writers), so "the newest
 * completed write" is well defined per key and a reader can tell lost,
 * stale, torn and foreign values apart from the payload alone.
 */
#include "payload.h"
#include "torture.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* errno as a report shows it: a call that failed without setting it says so */
static const char *tt_errstr(int e) { return e ? strerror(e) : "not set"; }

static bool stopping(const struct tt_ctx *c) { return spl_startline_stopping(&c->sh->line); }

static void open_store(struct tt_ctx *c, struct tt_worker *w)
{
    /* a store is briefly EAGAIN-free to open; retry transient errors a little */
    for (int i = 0; i < 50; i++) {
        if (c->im.open(c->store) == 0) return;
        if (stopping(c)) _exit(0);
        spl_sleep_ns(2000000);
    }
    tt_fail(c->sh, "%s %u: splinter_open(%s) failed: %s", w->kind == TT_WRITER ? "writer" : w->kind == TT_READER ? "reader" : "bidder",
            w->index, c->store, strerror(errno));
    _exit(1);
}

static void writer(struct tt_ctx *c, struct tt_worker *w, struct spl_rng *r)
{
    struct tt_shared *sh = c->sh;
    const struct tt_opts *o = &c->o;
    uint32_t nw = o->nkind[TT_WRITER], nown = 0;
    uint32_t *own = malloc(sizeof(uint32_t) * (c->sh->nkeys / nw + 1));
    uint64_t *snap = malloc(sizeof(uint64_t) * (c->sh->nkeys / nw + 1));
    uint8_t *buf = malloc(o->max_size);
    if (!own || !snap || !buf) {
        tt_fail(sh, "writer %u: out of memory", w->index);
        _exit(1);
    }
    for (uint32_t k = w->index; k < sh->nkeys; k += nw) own[nown++] = k;
    uint32_t since_flush = 0;
    char key[32];
    while (!stopping(c)) {
        uint32_t k = own[spl_rng_below(r, nown)];
        struct tt_key *K = &sh->keys[k];
        if (atomic_load_explicit(&K->qgen, memory_order_acquire) & 1) { spl_sleep_ns(100000); continue; }
        uint64_t st = atomic_load(&K->started), dn = atomic_load(&K->done);
        uint64_t seq = (st > dn ? st : dn) + 1;
        uint32_t len = o->min_size + (uint32_t)spl_rng_below(r, o->max_size - o->min_size + 1);
        spl_payload_make(buf, len, k, w->index, seq);
        tt_key_name(k, key, sizeof key);
        atomic_store(&K->started, seq); /* before the call: a kill inside leaves started > done */
        struct tt_hist_ev *he = tt_hist_begin(sh->hist, TT_HIST_SET, k, (uint32_t)(w - sh->workers), w->generation, seq);
        errno = 0; /* a -1 that sets no errno must not show an older one */
        int rc = c->im.set(key, buf, len);
        int e = errno;
        tt_hist_end(he, rc, e, 0, 0);
        atomic_fetch_add_explicit(&w->ops, 1, memory_order_relaxed);
        if (rc == 0) {
            atomic_store(&K->done, seq);
            TT_INC(sh, sets);
            since_flush++;
        } else if (rc == -1 && e == EAGAIN) {
            TT_INC(sh, set_eagain);
        } else {
            tt_fail(sh, "writer %u: set(%s, %u bytes, seq %llu) returned %d errno %s", w->index, key, len,
                    (unsigned long long)seq, rc, tt_errstr(e));
        }
        if (c->durability && since_flush >= o->flush_every) {
            /* what completed before the flush began is what it must cover */
            for (uint32_t j = 0; j < nown; j++) snap[j] = atomic_load(&sh->keys[own[j]].done);
            errno = 0; /* a -1 that sets no errno must not show an older one */
            rc = c->im.flush(o->flush_strategy);
            e = errno;
            if (rc == 0) {
                for (uint32_t j = 0; j < nown; j++) {
                    _Atomic uint64_t *d = &sh->keys[own[j]].durable;
                    uint64_t cur = atomic_load(d);
                    while (cur < snap[j] && !atomic_compare_exchange_weak(d, &cur, snap[j])) {}
                }
                TT_INC(sh, flushes);
            } else {
                TT_INC(sh, flush_fail);
                tt_fail(sh, "writer %u: splinter_flush(%d) returned %d errno %s", w->index, o->flush_strategy, rc,
                        tt_errstr(e));
            }
            since_flush = 0;
        }
    }
    free(own), free(snap), free(buf);
}

static void reader(struct tt_ctx *c, struct tt_worker *w, struct spl_rng *r)
{
    struct tt_shared *sh = c->sh;
    const struct tt_opts *o = &c->o;
    uint64_t *last = calloc(sh->nkeys, sizeof *last);
    size_t cap = o->max_size + 64;
    uint8_t *buf = malloc(cap);
    if (!last || !buf) {
        tt_fail(sh, "reader %u: out of memory", w->index);
        _exit(1);
    }
    char key[32], hex[200];
    while (!stopping(c)) {
        uint32_t k = (uint32_t)spl_rng_below(r, sh->nkeys);
        struct tt_key *K = &sh->keys[k];
        uint32_t q1 = atomic_load(&K->qgen);
        if (q1 & 1) { TT_INC(sh, get_discarded); spl_sleep_ns(50000); continue; }
        uint32_t stuck1 = atomic_load(&K->stuck);
        uint64_t done0 = atomic_load(&K->done); /* completed before this read began */
        uint64_t e0 = tt_slot_epoch(c, k);
        tt_key_name(k, key, sizeof key);
        size_t len = 0;
        int rc = -1, e = 0;
        unsigned retries = 0;
        struct tt_hist_ev *he = tt_hist_begin(sh->hist, TT_HIST_GET, k, (uint32_t)(w - sh->workers), w->generation, 0);
        for (;;) {
            len = 0;
            errno = 0; /* a -1 that sets no errno must not show an older one */
            rc = c->im.get(key, buf, cap, &len);
            e = errno;
            if (rc == 0) break;
            if (rc == -1 && e == EAGAIN) {
                TT_INC(sh, get_eagain);
                if (stuck1 || retries >= 1000 || stopping(c)) break;
                retries++;
                continue;
            }
            break;
        }
        tt_hist_stamp(he);
        uint64_t e1 = tt_slot_epoch(c, k);
        uint32_t q2 = atomic_load(&K->qgen), stuck2 = atomic_load(&K->stuck);
        if (he) {
            struct spl_payload_info hin;
            bool ok = rc == 0 && spl_payload_check(buf, len, k, &hin) == SPL_PAYLOAD_OK && hin.writer == tt_owner(c, k);
            tt_hist_end(he, rc, e, ok ? hin.seq : 0, q1 != q2 ? TT_HIST_DISCARDED : ok ? 0 : 1);
        }
        atomic_fetch_add_explicit(&w->ops, 1, memory_order_relaxed);
        if (q1 != q2) { TT_INC(sh, get_discarded); continue; } /* the medic touched the key meanwhile */
        if (rc != 0) {
            if (rc == -1 && e == EAGAIN) {
                if (stuck1 && stuck2) TT_INC(sh, stuck_eagain);
                continue;
            }
            tt_fail(sh, "reader %u: get(%s) returned %d errno %s (keys are never deleted)", w->index, key, rc, tt_errstr(e));
            continue;
        }
        TT_INC(sh, gets);
        if (stuck1 && stuck2) {
            tt_fail(sh, "reader %u: get(%s) returned %zu bytes of data while the slot was stuck odd (epoch %llu, writer dead)",
                    w->index, key, len, (unsigned long long)e0);
            continue;
        }
        struct spl_payload_info in;
        enum spl_payload_verdict v = spl_payload_check(buf, len, k, &in);
        TT_INC(sh, checks);
        if (v != SPL_PAYLOAD_OK) {
            tt_fail(sh, "reader %u: get(%s) succeeded with a %s value (%zu bytes, claims key %u writer %u seq %llu): %s",
                    w->index, key, spl_payload_verdict_str(v), len, in.key, in.writer, (unsigned long long)in.seq,
                    spl_payload_hexdump(buf, len, 48, hex, sizeof hex));
            continue;
        }
        uint32_t owner = tt_owner(c, k);
        uint64_t started = atomic_load(&K->started);
        if (in.writer != owner)
            tt_fail(sh, "reader %u: %s holds a value by writer %u, its only writer is %u", w->index, key, in.writer, owner);
        else if (in.seq < last[k])
            tt_fail(sh, "reader %u: %s went backwards: seq %llu after seq %llu", w->index, key, (unsigned long long)in.seq,
                    (unsigned long long)last[k]);
        else if (in.seq < done0)
            tt_fail(sh, "reader %u: %s lost a write: writer %u completed seq %llu before the read began, read seq %llu",
                    w->index, key, owner, (unsigned long long)done0, (unsigned long long)in.seq);
        else if (in.seq > started)
            tt_fail(sh, "reader %u: %s returned seq %llu, never written (writer at %llu)", w->index, key,
                    (unsigned long long)in.seq, (unsigned long long)started);
        last[k] = in.seq;
        uint64_t pipe = e1 >= (e0 & ~1ull) ? (e1 - (e0 & ~1ull)) / 2 : TT_PIPE_LEN - 1;
        tt_add(&sh->st.pipe[pipe < TT_PIPE_LEN - 1 ? pipe : TT_PIPE_LEN - 1], 1);
        tt_add(&sh->st.retries[retries < TT_PIPE_LEN - 1 ? retries : TT_PIPE_LEN - 1], 1);
    }
    free(last), free(buf);
}

enum { BID_CLAIM, BID_REBID, BID_RELEASE, BID_MADVISE, BID_DONTNEED };

static int pick_op(const struct tt_opts *o, struct spl_rng *r)
{
    uint32_t tot = 0;
    for (int i = 0; i < 5; i++) tot += o->bid_mix[i];
    uint64_t x = spl_rng_below(r, tot);
    for (int i = 0; i < 5; i++) {
        if (x < o->bid_mix[i]) return i;
        x -= o->bid_mix[i];
    }
    return BID_CLAIM;
}

static void bidder(struct tt_ctx *c, struct tt_worker *w, struct spl_rng *r)
{
    struct tt_shared *sh = c->sh;
    struct spl_impl *im = &c->im;
    bool held[4] = {false};
    while (!stopping(c)) {
        uint32_t slot = (uint32_t)spl_rng_below(r, 4);
        uint32_t id = 1 + w->index * 4 + slot;
        uint8_t intent = (uint8_t)(1 + spl_rng_below(r, 4)), prio = (uint8_t)spl_rng_below(r, 8);
        uint64_t dur = 100000 + spl_rng_below(r, 100000000); /* ~30 us .. 30 ms of TSC ticks */
        int op = pick_op(&c->o, r);
        if (op != BID_CLAIM && op != BID_DONTNEED && !held[slot]) op = BID_CLAIM;
        int rc = 0, e = 0;
        switch (op) {
        case BID_CLAIM:
            errno = 0; /* a -1 that sets no errno must not show an older one */
            rc = im->shard_claim(id, intent, prio, dur);
            e = errno;
            if (rc == 0) { held[slot] = true; TT_INC(sh, claims); }
            else if (rc == -1 && e == ENOSPC) TT_INC(sh, claim_enospc);
            else tt_fail(sh, "bidder %u: shard_claim(%u) returned %d errno %s", w->index, id, rc, tt_errstr(e));
            break;
        case BID_REBID:
            errno = 0; /* a -1 that sets no errno must not show an older one */
            rc = im->shard_rebid(id, intent, prio, dur);
            e = errno;
            if (rc == 0) TT_INC(sh, rebids);
            else tt_fail(sh, "bidder %u: shard_rebid(%u) of a held bid returned %d errno %s", w->index, id, rc, tt_errstr(e));
            break;
        case BID_RELEASE:
            errno = 0; /* a -1 that sets no errno must not show an older one */
            rc = im->shard_release(id);
            e = errno;
            held[slot] = false;
            if (rc == 0) TT_INC(sh, releases);
            else tt_fail(sh, "bidder %u: shard_release(%u) of a held bid returned %d errno %s", w->index, id, rc, tt_errstr(e));
            break;
        case BID_MADVISE: {
            static const int adv[] = {POSIX_MADV_WILLNEED, POSIX_MADV_SEQUENTIAL, POSIX_MADV_RANDOM, POSIX_MADV_NORMAL};
            errno = 0; /* a -1 that sets no errno must not show an older one */
            rc = im->madvise(id, NULL, 0, adv[spl_rng_below(r, 4)], 0);
            e = errno;
            if (rc == 0) TT_INC(sh, madvises);
            else if (rc == -1 && (e == EAGAIN || e == ETIMEDOUT)) TT_INC(sh, madv_eagain);
            else tt_fail(sh, "bidder %u: madvise(shard %u) returned %d errno %s", w->index, id, rc, tt_errstr(e));
            break;
        }
        case BID_DONTNEED:
            /* a storm: a high-priority DONTNEED bid dropping the arena again and again */
            errno = 0; /* a -1 that sets no errno must not show an older one */
            rc = im->shard_claim(id, SPL_INTENT_DONTNEED, 7, dur);
            e = errno;
            if (rc != 0) {
                if (rc == -1 && e == ENOSPC) TT_INC(sh, claim_enospc);
                else tt_fail(sh, "bidder %u: DONTNEED claim(%u) returned %d errno %s", w->index, id, rc, tt_errstr(e));
                break;
            }
            held[slot] = true;
            TT_INC(sh, claims);
            for (int i = 0; i < 32 && !stopping(c); i++) {
                errno = 0; /* a -1 that sets no errno must not show an older one */
                rc = im->madvise(id, NULL, 0, POSIX_MADV_DONTNEED, 0);
                e = errno;
                if (rc == 0) TT_INC(sh, dontneeds);
                else if (rc == -1 && (e == EAGAIN || e == ETIMEDOUT)) TT_INC(sh, madv_eagain);
                else { tt_fail(sh, "bidder %u: DONTNEED madvise(%u) returned %d errno %s", w->index, id, rc, tt_errstr(e)); break; }
            }
            break;
        }
        atomic_fetch_add_explicit(&w->ops, 1, memory_order_relaxed);
        spl_sleep_ns(20000); /* bids are scheduling metadata: a few thousand per second is a storm */
    }
}

void tt_worker_main(struct tt_ctx *c, uint32_t wi)
{
    struct tt_worker *w = &c->sh->workers[wi];
    /* die with the supervisor: an orphaned worker must not keep writing */
    signal(SIGINT, SIG_IGN);
    struct spl_rng r;
    spl_rng_seed(&r, c->o.seed ^ ((uint64_t)wi << 32) ^ ((uint64_t)w->generation * 0x9E3779B97F4A7C15ull));
    char err[600];
    if (spl_impl_attach(&c->im, err, sizeof err) != 0) {
        tt_fail(c->sh, "worker %u: %s", wi, err);
        _exit(1);
    }
    open_store(c, w);
    if (!spl_startline_arrive(&c->sh->line, false)) _exit(0);
    switch (w->kind) {
    case TT_WRITER: writer(c, w, &r); break;
    case TT_READER: reader(c, w, &r); break;
    default: bidder(c, w, &r); break;
    }
    _exit(0);
}
