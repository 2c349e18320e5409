/*
 * kv.c - keys and values: lookup, set, get, unset, append, list, poll, mop.
 *
 * Every path that changes value bytes, val_len or the key holds the slot's
 * seqlock (even -> odd -> even+2). The original lets unset and
 * set_as_system write without it; here no reader can see those half-done.
 */
#include "store.h"

#include <time.h>

long sr_find(splref_store *st, const char *key, uint64_t h)
{
    return sr_lookup(st, key, h, sr_cmp_len((uint32_t)strnlen(key, SPLINTER_KEY_MAX - 1)));
}

static void copy_key(struct splinter_slot *s, const char *key)
{
    size_t k = strnlen(key, SPLINTER_KEY_MAX - 1);
    sr_wr(s->key, key, k);
    sr_zero(s->key + k, SPLINTER_KEY_MAX - k);
}

/* Writes the value into a locked slot; the caller unlocks. */
static inline __attribute__((always_inline)) int write_locked(splref_store *st, struct splinter_slot *s, const void *val, size_t len)
{
    uint8_t *dst = sr_val_area(st, s, st->max_val);
    if (!dst) return -1;
    if (MUTANT(torn_write) && len > 1) {
        /* publish an even epoch with only half of the new value in place */
        uint64_t e = atomic_load_explicit(&s->epoch, memory_order_relaxed);
        sr_wr(dst, val, len / 2);
        atomic_store_explicit(&s->epoch, e + 1, memory_order_release);
        for (volatile int spin = 0; spin < 2000; spin++) {}
        atomic_store_explicit(&s->epoch, e + 2, memory_order_release);
        sr_wr(dst + len / 2, (const uint8_t *)val + len / 2, len - len / 2);
    } else {
        sr_wr(dst, val, len);
    }
    sr_scrub_tail(st, dst, len);
    atomic_store_explicit(&s->val_len, (uint32_t)len, memory_order_release);
    return 0;
}

/* Another slot of key's chain that holds or claims key, seen from my claim
 * at chain position mine: RIVAL_NONE, RIVAL_YIELD (a rival ahead of me on
 * the chain, or one that has published: mine goes), RIVAL_WAIT (only
 * rivals behind me, still odd: they either see my claim and back off, or
 * publish, and then I yield). */
enum rival { RIVAL_NONE, RIVAL_YIELD, RIVAL_WAIT };

static enum rival other_claim(splref_store *st, const char *key, uint64_t h, size_t mine)
{
    uint32_t n = st->nslots;
    size_t home = (size_t)(h % n);
    enum rival r = RIVAL_NONE;
    for (uint32_t i = 0; i < n; ++i) {
        size_t idx = (home + i) % n;
        struct splinter_slot *s = &st->S[idx];
        uint64_t sh = atomic_load_explicit(&s->hash, memory_order_seq_cst);
        if (idx != mine && sh == h && sr_key_eq(s, key)) {
            if (i < (mine + n - home) % n) return RIVAL_YIELD;
            if (!(atomic_load_explicit(&s->epoch, memory_order_acquire) & 1)) return RIVAL_YIELD;
            r = RIVAL_WAIT;
        }
        if (sh == 0 && atomic_load_explicit(&s->epoch, memory_order_acquire) == 0) break;
    }
    return r;
}

/* Claim key in my locked slot (hash published while the slot is odd, so
 * readers wait), then settle with any other inserter of the same key. Two
 * inserters that picked different free slots (a slot ahead of one of them
 * came free in between) each see at least the other's claim (seq_cst store,
 * then loads): the one further along the chain yields at once, the one
 * ahead waits until the other has yielded or published (then it yields
 * itself). Exactly one stays, and the one ahead never waits on the one
 * behind, so nobody waits in a circle. true: the slot is mine to fill. */
static bool claim_key(splref_store *st, struct splinter_slot *s, const char *key, uint64_t h, size_t mine)
{
    copy_key(s, key);
    atomic_store_explicit(&s->hash, h, memory_order_seq_cst);
    struct sr_wait w = {0};
    for (;;) {
        enum rival r = other_claim(st, key, h, mine);
        if (r == RIVAL_NONE) return true;
        if (r == RIVAL_YIELD || !sr_wait_step(&w)) break;
    }
    atomic_store_explicit(&s->hash, 0, memory_order_release);
    sr_zero(s->key, SPLINTER_KEY_MAX);
    return false;
}

/* One attempt at a set: 0 (slot index in *out), or -1 with errno; EAGAIN
 * means contention (a busy slot, a lost insert race) and is retried.
 * Inlined into the first attempt, so an uncontended set pays no call. */
static inline __attribute__((always_inline)) int set_once(splref_store *st, const char *key, uint64_t h, uint32_t kn,
                                                             const void *val, size_t len, long *out)
{
    uint32_t n = st->nslots;
    size_t idx = (size_t)(h % n);
    long target = -1, free_idx = -1;
    bool filling = false;

    for (uint32_t i = 0; i < n; ++i) {
        struct splinter_slot *s = &st->S[idx];
        uint64_t sh = atomic_load_explicit(&s->hash, memory_order_acquire);
        if (sh == h && sr_key_match(s, key, kn)) { target = (long)idx; break; }
        if (sh == 0) {
            uint64_t e = atomic_load_explicit(&s->epoch, memory_order_acquire);
            if (e & 1) filling = true;
            else if (free_idx < 0) free_idx = (long)idx;
            if (e == 0) break;
        }
        if (++idx == n) idx = 0;
    }
    bool fresh = target < 0;
    if (fresh) target = free_idx;
    /* no free slot, but one is being filled: it may come free again */
    if (target < 0) { if (filling) errno = EAGAIN; else if (!MUTANT(full_no_enospc)) errno = ENOSPC; return -1; }

    struct splinter_slot *s = &st->S[target];
    uint64_t e;
    if (sr_trylock(s, &e) != 0) return -1;
    /* re-check ownership under the lock: the slot may have changed hands */
    uint64_t sh = atomic_load_explicit(&s->hash, memory_order_acquire);
    if (fresh ? sh != 0 : (sh != h || !sr_key_match(s, key, kn))) {
        atomic_store_explicit(&s->epoch, e, memory_order_release);
        errno = EAGAIN;
        return -1;
    }
    if (fresh) {
        if (!sr_val_area(st, s, st->max_val)) {
            atomic_store_explicit(&s->epoch, e, memory_order_release);
            errno = EUCLEAN;
            return -1;
        }
        /* lost to another inserter of the key: retried as an update of its
         * slot. The epoch goes on to e + 2, never back to e: a virgin slot
         * (epoch 0) must not become a chain end again, since the winner may
         * sit further along the chain than this slot */
        if (!claim_key(st, s, key, h, (size_t)target)) {
            sr_abort(s, e);
            errno = EAGAIN;
            return -1;
        }
    }
    if (MUTANT(bus_notify_early)) sr_bus_notify(st, (size_t)target);
    if (MUTANT(pulse_early)) sr_pulse(st, s);
    if (write_locked(st, s, val, len) != 0) {
        int saved = errno;
        sr_abort(s, e);
        errno = saved;
        return -1;
    }
    sr_unlock(s, e);
    *out = target;
    return 0;
}

/* Contention is waited out here; only a slot locked for SR_DEAD_NS (a dead
 * writer) makes the caller see EAGAIN. Called after a failed first try. */
static __attribute__((noinline)) int set_retry(splref_store *st, const char *key, uint64_t h, uint32_t kn,
                                               const void *val, size_t len, long *out)
{
    struct sr_wait w = {0};
    for (;;) {
        if (errno != EAGAIN) return -1;
        if (!sr_wait_step(&w)) { errno = EAGAIN; return -1; }
        if (set_once(st, key, h, kn, val, len, out) == 0) return 0;
    }
}

int splref_set(splref_store *st, const char *key, const void *val, size_t len)
{
    if (!st || !key || (!val && len)) return -2;
    if (len == 0) { errno = EINVAL; return -1; }
    if (len > st->max_val) {
        if (!MUTANT(no_emsgsize)) { errno = EMSGSIZE; return -1; }
        len = st->max_val;
    }
    uint32_t klen;
    uint64_t h = sr_hash_len(key, &klen);
    uint32_t kn = sr_cmp_len(klen);
    long target;
    if (__builtin_expect(set_once(st, key, h, kn, val, len, &target) != 0, 0) &&
        set_retry(st, key, h, kn, val, len, &target) != 0)
        return -1;
    struct splinter_slot *s = &st->S[target];
    if (!MUTANT(pulse_early)) sr_pulse(st, s);
    if (!MUTANT(set_no_global_epoch)) sr_global_bump(st);
    if (!MUTANT(bus_notify_early)) sr_bus_notify(st, (size_t)target);
    sr_mark_dirty(st, (size_t)target);
    return 0;
}

static struct { uint64_t h; size_t len; uint8_t b[4096]; } last; /* mut:get_stale_while_locked */

enum { READ_DONE = 0, READ_ODD = 1, READ_MOVED = 2, READ_GONE = 3 };

/* One read window over slot s: READ_DONE (0, or -1 with errno), READ_ODD
 * (a writer holds the slot), READ_MOVED (the epoch moved under the copy) or
 * READ_GONE (the slot no longer holds the key: look it up again). */
static inline __attribute__((always_inline)) int read_window(splref_store *st, struct splinter_slot *s, uint64_t h,
                                                             void *buf, size_t buf_sz, size_t *out_sz, int *rc)
{
    /* generation first: a reader that sees a retrain's bump sees its lock too */
    uint32_t gen = atomic_load_explicit(sr_gen(s), memory_order_acquire);
    uint64_t start = atomic_load_explicit(&s->epoch, memory_order_acquire);
    if (start & 1) return READ_ODD;
    *rc = -1;
    /* the key may have been unset (or its slot reused) since the lookup:
     * check it inside the read window, which the final epoch check closes.
     * The lookup just compared the key; the 64-bit hash tells a reuse. */
    if (atomic_load_explicit(&s->hash, memory_order_acquire) != h) return READ_GONE;
    size_t len = atomic_load_explicit(&s->val_len, memory_order_acquire);
    uint32_t off = __atomic_load_n(&s->val_off, __ATOMIC_RELAXED); /* once: see sr_val_area */
    if (!MUTANT(get_no_bounds) && (len > st->max_val || !sr_in_arena(st, off, len))) {
        /* torn metadata (a writer between checks) or a corrupt slot */
        if (atomic_load_explicit(&s->epoch, memory_order_acquire) != start) return READ_MOVED;
        errno = EUCLEAN;
        return READ_DONE;
    }
    if (buf) {
        if (buf_sz < len) {
            if (out_sz) *out_sz = len;
            errno = EMSGSIZE;
            return READ_DONE;
        }
        sr_rd(buf, st->V + off, len);
    }
    atomic_thread_fence(memory_order_acquire);
    uint64_t end = atomic_load_explicit(&s->epoch, memory_order_acquire);
    if (!MUTANT(reader_no_recheck) && (end != start || atomic_load_explicit(sr_gen(s), memory_order_acquire) != gen))
        return READ_MOVED;
    if (out_sz) *out_sz = len;
    if (MUTANT(get_stale_while_locked) && buf && len <= sizeof last.b) last.h = h, last.len = len, memcpy(last.b, buf, len);
    *rc = 0;
    return READ_DONE;
}

/* A writer is in the slot. It holds it for nanoseconds (the copy of one
 * value), so the read waits for it (a bounded pause spin) and takes its
 * window again, rather than sending the caller round through the hash and
 * the probe. A slot that stays odd (a dead writer) is EAGAIN after the spin.
 * A slot that lost the key since the lookup is not a miss by itself: the
 * lookup may have met another inserter's claim of the key (published while
 * its slot is odd, withdrawn when it finds the key already in a slot further
 * along), while the key lives on in that other slot. So the key is looked
 * up again: a miss then is a real one (an unset in between). */
#define GET_RELOOKUPS 64
static __attribute__((noinline)) int get_contended(splref_store *st, const char *key, uint32_t kn,
                                                   struct splinter_slot *s, uint64_t h, void *buf, size_t buf_sz,
                                                   size_t *out_sz, int why)
{
    struct sr_read_wait rw = {0};
    int rc, relookups = 0;
    for (;;) {
        if (why == READ_GONE) {
            if (++relookups > GET_RELOOKUPS) { errno = EAGAIN; return -1; } /* a key moving all the time */
            long idx = sr_lookup(st, key, h, kn);
            if (idx < 0) return -1;
            s = &st->S[idx];
        } else {
            if (why == READ_ODD) {
                if (MUTANT(get_stale_while_locked) && last.h == h && buf && buf_sz >= last.len) {
                    memcpy(buf, last.b, last.len);
                    if (out_sz) *out_sz = last.len;
                    return 0;
                }
                if (MUTANT(get_miss_while_locked)) { errno = ENOENT; return -1; }
            }
            if (!MUTANT(get_spins_on_odd) && !sr_read_wait_step(&rw)) { errno = EAGAIN; return -1; }
        }
        why = read_window(st, s, h, buf, buf_sz, out_sz, &rc);
        if (why == READ_DONE) return rc;
    }
}

int splref_get(splref_store *st, const char *key, void *buf, size_t buf_sz, size_t *out_sz)
{
    if (!st || !key) return -2;
    if (MUTANT(get_miss_after_eagain)) {
        static _Atomic unsigned calls;
        unsigned n = atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed) % 512;
        if (n == 510) { errno = EAGAIN; return -1; }
        if (n == 511) return -1; /* a miss: errno untouched, still EAGAIN */
    }
    uint32_t klen;
    uint64_t h = sr_hash_len(key, &klen);
    uint32_t kn = sr_cmp_len(klen);
    long idx = sr_lookup(st, key, h, kn);
    if (idx < 0) {
        if (MUTANT(slow_miss)) (void)sr_lookup(st, key, h, kn);
        return -1;
    }
    struct splinter_slot *s = &st->S[idx];
    int rc, why = read_window(st, s, h, buf, buf_sz, out_sz, &rc);
    if (__builtin_expect(why != READ_DONE, 0)) return get_contended(st, key, kn, s, h, buf, buf_sz, out_sz, why);
    return rc;
}

int splref_unset(splref_store *st, const char *key)
{
    if (!st || !key) return -2;
    long idx;
    uint64_t e;
    struct splinter_slot *s = sr_find_locked(st, key, &idx, &e);
    if (!s) return -1;
    int len = (int)atomic_load_explicit(&s->val_len, memory_order_acquire);
    atomic_store_explicit(&s->hash, 0, memory_order_release);
    if (atomic_load_explicit(&st->H->core_flags, memory_order_relaxed) & SPL_SYS_AUTO_SCRUB) {
        uint8_t *area = sr_val_area(st, s, st->max_val);
        if (area) sr_zero(area, st->max_val);
        sr_zero(s->key, MUTANT(unset_keeps_key) ? 1 : SPLINTER_KEY_MAX);
    } else {
        sr_zero(s->key, 1);
    }
    atomic_store_explicit(&s->type_flag, SPL_SLOT_DEFAULT_TYPE, memory_order_release);
    atomic_store_explicit(&s->val_len, 0, memory_order_release);
#ifdef SPLINTER_EMBEDDINGS
    sr_zero(s->embedding, sizeof(s->embedding));
#endif
    atomic_store_explicit(&s->ctime, 0, memory_order_release);
    atomic_store_explicit(&s->atime, 0, memory_order_release);
    atomic_store_explicit(&s->user_flag, 0, memory_order_release);
    atomic_store_explicit(&s->watcher_mask, 0, memory_order_release);
    atomic_store_explicit(&s->bloom, 0, memory_order_release);
    sr_unlock(s, e);
    sr_mark_dirty(st, (size_t)idx);
    return MUTANT(unset_returns_zero) ? 0 : len;
}

int splref_append(splref_store *st, const char *key, const void *data, size_t data_len, size_t *new_len)
{
    if (!st || !key || !data || data_len == 0) return -2;
    long idx;
    uint64_t e;
    size_t stale = 0; /* mut:append_len_unlocked: the length read before the slot is held */
    if (MUTANT(append_len_unlocked)) {
        long pre = sr_find(st, key, sr_fnv1a(key));
        if (pre >= 0) stale = atomic_load(&st->S[pre].val_len);
    }
    struct splinter_slot *s = sr_find_locked(st, key, &idx, &e);
    if (!s) return -1;
    size_t cur = MUTANT(append_len_unlocked) ? stale : atomic_load_explicit(&s->val_len, memory_order_relaxed);
    if (cur > st->max_val || data_len > st->max_val - cur) {
        atomic_store_explicit(&s->epoch, e, memory_order_release);
        errno = EMSGSIZE;
        return -1;
    }
    /* the whole area: the scrub below may run to its end */
    uint8_t *area = sr_val_area(st, s, MUTANT(append_checks_len_only) ? cur + data_len : st->max_val);
    if (!area) {
        atomic_store_explicit(&s->epoch, e, memory_order_release);
        return -1;
    }
    sr_wr(area + cur, data, data_len);
    /* the new length's rounding may reach bytes an older, longer value left */
    if (!MUTANT(append_no_scrub)) sr_scrub_tail(st, area, cur + data_len);
    atomic_store_explicit(&s->val_len, (uint32_t)(cur + data_len), memory_order_release);
    if (new_len) *new_len = cur + data_len;
    sr_unlock(s, e);
    sr_pulse(st, s);
    sr_global_bump(st);
    sr_bus_notify(st, (size_t)idx);
    sr_mark_dirty(st, (size_t)idx);
    return 0;
}

int splref_list(splref_store *st, char **out_keys, size_t max_keys, size_t *out_count)
{
    if (!st || !out_keys || !out_count) return -2;
    size_t count = 0;
    struct splinter_slot *S = st->S;
    uint32_t ns = st->nslots;
    for (uint32_t i = 0; i < ns && count < max_keys; ++i) {
        if (atomic_load_explicit(&S[i].hash, memory_order_acquire) &&
            atomic_load_explicit(&S[i].val_len, memory_order_acquire) > 0)
            out_keys[count++] = S[i].key;
        if (MUTANT(slow_scan)) sr_mutant_slow_pass(S[i].key, SPLINTER_KEY_MAX);
    }
    if (MUTANT(list_drops_last) && count) count--;
    *out_count = count;
    return 0;
}

int splref_poll(splref_store *st, const char *key, uint64_t timeout_ms)
{
    if (!st || !key) return -2;
    long idx = sr_find(st, key, sr_fnv1a(key));
    if (idx < 0) return -1;
    struct splinter_slot *s = &st->S[idx];
    if (MUTANT(poll_late_sample)) nanosleep(&(struct timespec){0, 2000000}, NULL);
    uint64_t start = atomic_load_explicit(&s->epoch, memory_order_acquire);
    if (start & 1) { errno = EAGAIN; return -1; }
    uint32_t gen = atomic_load_explicit(sr_gen(s), memory_order_acquire);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long nap_ns = 20000; /* back off from 20 us to 2 ms: quick wakes, cheap long waits */
    for (;;) {
        uint64_t cur = atomic_load_explicit(&s->epoch, memory_order_acquire);
        /* a write + retrain between two looks can bring the epoch back to
         * where it was: the generation says it moved */
        if ((MUTANT(poll_odd_wake) || !(cur & 1)) && (cur != start || atomic_load_explicit(sr_gen(s), memory_order_acquire) != gen)) return 0;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        /* whole nanoseconds first: truncating each part to ms could time out early */
        int64_t el_ns = (int64_t)(now.tv_sec - t0.tv_sec) * 1000000000 + (now.tv_nsec - t0.tv_nsec);
        if (timeout_ms != UINT64_MAX && (uint64_t)el_ns / 1000000u >= timeout_ms) { errno = ETIMEDOUT; return -1; }
        struct timespec nap = {0, nap_ns};
        nanosleep(&nap, NULL);
        if (nap_ns < 2000000) nap_ns *= 2;
    }
}

const void *splref_get_raw_ptr(splref_store *st, const char *key, size_t *out_sz, uint64_t *out_epoch)
{
    if (!st || !key) { errno = EINVAL; return NULL; }
    uint32_t klen;
    uint64_t h = sr_hash_len(key, &klen);
    long idx = sr_lookup(st, key, h, sr_cmp_len(klen));
    if (idx < 0) return NULL;
    struct splinter_slot *s = &st->S[idx];
    uint64_t e = atomic_load_explicit(&s->epoch, memory_order_acquire);
    size_t len = atomic_load_explicit(&s->val_len, memory_order_relaxed);
    const uint8_t *p = sr_val_area(st, s, len);
    if (!p) return NULL;
    if (out_epoch) *out_epoch = MUTANT(raw_ptr_no_epoch) ? 0 : e;
    if (out_sz) *out_sz = len;
    return p;
}

int splref_set_as_system(splref_store *st, const char *key)
{
    if (!st || !key) return -2;
    long idx;
    uint64_t e;
    struct splinter_slot *s = sr_find_locked(st, key, &idx, &e);
    if (!s) return -1;
    uint8_t *area = sr_val_area(st, s, st->max_val);
    if (!area) { sr_abort(s, e); return -1; }
    /* the value grows to max_val_sz: bytes past the written length become
     * value bytes, so they are zeroed whatever the mop mode (whatever an
     * older value left there was never written as this value) */
    uint32_t cur = atomic_load_explicit(&s->val_len, memory_order_relaxed);
    if (cur < st->max_val && !MUTANT(system_stale)) sr_zero(area + cur, st->max_val - cur);
    atomic_store_explicit(&s->type_flag, SPL_SLOT_TYPE_BINARY, memory_order_release);
    atomic_store_explicit(&s->val_len, st->max_val, memory_order_release);
    sr_unlock(s, e);
    sr_mark_dirty(st, (size_t)idx);
    return 0;
}

int splref_set_mop(splref_store *st, unsigned int mode)
{
    if (!st) return -2;
    switch (mode) {
    case 0: atomic_fetch_and(&st->H->core_flags, (uint8_t)~(SPL_SYS_AUTO_SCRUB | SPL_SYS_HYBRID_SCRUB)); break;
    case 1: atomic_fetch_or(&st->H->core_flags, SPL_SYS_AUTO_SCRUB | SPL_SYS_HYBRID_SCRUB); break;
    case 2:
        atomic_fetch_or(&st->H->core_flags, SPL_SYS_AUTO_SCRUB);
        atomic_fetch_and(&st->H->core_flags, (uint8_t)~SPL_SYS_HYBRID_SCRUB);
        break;
    default: errno = EOPNOTSUPP; return -1;
    }
    return 0;
}

int splref_get_mop(splref_store *st)
{
    if (!st) return -2;
    uint8_t f = atomic_load(&st->H->core_flags);
    if (f & SPL_SYS_HYBRID_SCRUB) return 1;
    if (f & SPL_SYS_AUTO_SCRUB) return 2;
    return 0;
}

void splref_purge(splref_store *st)
{
    if (!st) return;
    for (uint32_t i = 0; i < st->nslots; ++i) {
        struct splinter_slot *s = &st->S[i];
        uint64_t e;
        if (sr_slot_virgin(s)) continue; /* never written: already zero, keep it a chain end */
        if (sr_trylock(s, &e) != 0) continue; /* a writer is in: its write scrubs */
        uint8_t *dst = sr_val_area(st, s, st->max_val);
        if (!dst) { sr_abort(s, e); continue; }
        uint32_t len = atomic_load_explicit(&s->val_len, memory_order_relaxed);
        if (atomic_load_explicit(&s->hash, memory_order_acquire) == 0) { if (!MUTANT(purge_skips_tombstones)) sr_zero(dst, st->max_val); }
        else if (len < st->max_val) sr_zero(dst + len, st->max_val - len);
        sr_unlock(s, e);
        sr_mark_dirty(st, i);
    }
}
