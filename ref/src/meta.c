/*
 * meta.c - snapshots, flags, named types, slot times, integer ops, epochs.
 */
#include "store.h"

#include <stdlib.h>

int splref_get_header_snapshot(splref_store *st, splinter_header_snapshot_t *snap)
{
    if (!st || (!snap && !MUTANT(null_header_snapshot))) return -2;
    memset(snap, 0, sizeof(*snap));
    snap->magic = st->H->magic;
    snap->version = st->H->version;
    snap->slots = st->H->slots;
    snap->max_val_sz = st->H->max_val_sz;
    snap->epoch = atomic_load_explicit(&st->H->epoch, memory_order_acquire);
    snap->core_flags = atomic_load_explicit(&st->H->core_flags, memory_order_acquire);
    snap->user_flags = MUTANT(hdr_snap_no_user_flags) ? 0 : atomic_load_explicit(&st->H->user_flags, memory_order_acquire);
    snap->parse_failures = atomic_load_explicit(&st->H->parse_failures, memory_order_relaxed);
    snap->last_failure_epoch = atomic_load_explicit(&st->H->last_failure_epoch, memory_order_relaxed);
    return 0;
}

int splref_get_slot_snapshot(splref_store *st, const char *key, splinter_slot_snapshot_t *snap)
{
    if (!st || !key || !snap) return -2;
    uint64_t h = sr_fnv1a(key);
    long idx = sr_find(st, key, h);
    if (idx < 0) return -1;
    struct splinter_slot *s = &st->S[idx];
    /* bounded retry: a slot left odd by a dead writer must not hang us */
    for (int tries = 0; tries < 1000; tries++) {
        uint32_t gen = atomic_load_explicit(sr_gen(s), memory_order_acquire);
        uint64_t start = atomic_load_explicit(&s->epoch, memory_order_acquire);
        if (start & 1) continue;
        memset(snap, 0, sizeof(*snap));
        snap->hash = atomic_load_explicit(&s->hash, memory_order_acquire);
        snap->epoch = start;
        snap->val_off = __atomic_load_n(&s->val_off, __ATOMIC_RELAXED);
        snap->val_len = atomic_load_explicit(&s->val_len, memory_order_relaxed);
        snap->type_flag = atomic_load_explicit(&s->type_flag, memory_order_acquire);
        snap->user_flag = atomic_load_explicit(&s->user_flag, memory_order_acquire);
        snap->ctime = atomic_load_explicit(&s->ctime, memory_order_acquire);
        snap->atime = atomic_load_explicit(MUTANT(slot_snap_atime_ctime) ? &s->ctime : &s->atime, memory_order_acquire);
        snap->bloom = atomic_load_explicit(&s->bloom, memory_order_acquire);
        sr_rd(snap->key, s->key, SPLINTER_KEY_MAX);
        snap->key[SPLINTER_KEY_MAX - 1] = '\0';
#ifdef SPLINTER_EMBEDDINGS
        sr_rd(snap->embedding, s->embedding, sizeof(snap->embedding));
#endif
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&s->epoch, memory_order_acquire) != start ||
            atomic_load_explicit(sr_gen(s), memory_order_acquire) != gen)
            continue;
        if (snap->hash != h || !sr_key_eq(s, key)) {
            /* unset since the lookup, or the lookup met another inserter's
             * withdrawn claim of the key (see get_contended): look again */
            idx = sr_find(st, key, h);
            if (idx < 0) return -1;
            s = &st->S[idx];
            continue;
        }
        return 0;
    }
    errno = EAGAIN;
    return -1;
}

/* Header and slot flag helpers take raw pointers, as in the original ABI. */
void splinter_config_set(struct splinter_header *hdr, uint8_t mask) { if (hdr) atomic_fetch_or(&hdr->core_flags, mask); }
void splinter_config_clear(struct splinter_header *hdr, uint8_t mask) { if (hdr) atomic_fetch_and(&hdr->core_flags, MUTANT(config_clear_all) ? 0 : (uint8_t)~mask); }
int splinter_config_test(struct splinter_header *hdr, uint8_t mask) { return hdr ? (atomic_load(&hdr->core_flags) & mask) != 0 : 0; }
uint8_t splinter_config_snapshot(struct splinter_header *hdr) { return hdr ? atomic_load(&hdr->core_flags) : 0; }
void splinter_slot_usr_set(struct splinter_slot *slot, uint16_t mask) { if (slot) atomic_fetch_or(&slot->user_flag, (uint8_t)mask); }
void splinter_slot_usr_clear(struct splinter_slot *slot, uint16_t mask) { if (slot) atomic_fetch_and(&slot->user_flag, (uint8_t)~mask); }
int splinter_slot_usr_test(struct splinter_slot *slot, uint16_t mask) { return slot ? (atomic_load(&slot->user_flag) & (MUTANT(usr_test_any) ? 0xFF : mask)) != 0 : 0; }
uint16_t splinter_slot_usr_snapshot(struct splinter_slot *slot) { return slot ? atomic_load(&slot->user_flag) : 0; }

int splref_set_named_type(splref_store *st, const char *key, uint16_t mask)
{
    if (!st || !key) return -2;
    long idx;
    uint64_t e;
    struct splinter_slot *s = sr_find_locked(st, key, &idx, &e);
    if (!s) return -1;
    uint32_t cur = atomic_load(&s->val_len);
    if ((mask & SPL_SLOT_TYPE_BIGUINT) && cur < 8) {
        /* Promote in place: the slot's own value area always has room for 8
         * bytes when max_val_sz >= 8. (The original bump-allocates from
         * val_brk, which starts at offset 0 and so overwrites slot 0's value.) */
        uint8_t *p = st->max_val < 8 ? NULL : sr_val_area(st, s, st->max_val);
        if (!p) { sr_abort(s, e); errno = ENOMEM; return -1; }
        uint64_t v = 0;
        if (cur > 0 && p[0] >= '0' && p[0] <= '9') {
            char tmp[16] = {0};
            sr_rd(tmp, p, cur < 15 ? cur : 15);
            v = strtoull(tmp, NULL, 0);
        } else {
            sr_rd(&v, p, cur);
        }
        sr_wr(p, &v, 8);
        if (!MUTANT(promote_no_scrub)) sr_scrub_tail(st, p, 8);
        atomic_store_explicit(&s->val_len, 8, memory_order_relaxed);
    }
    atomic_store_explicit(&s->type_flag, (uint8_t)mask, memory_order_release);
    sr_unlock(s, e);
    sr_global_bump(st);
    sr_bus_notify(st, (size_t)idx);
    sr_mark_dirty(st, (size_t)idx);
    return 0;
}

int splref_set_slot_time(splref_store *st, const char *key, unsigned short mode, uint64_t epoch, size_t offset)
{
    if (!st || !key) return -2;
    if (mode != SPL_TIME_CTIME && mode != SPL_TIME_ATIME) { errno = ENOTSUP; return -2; }
    long idx = sr_find(st, key, sr_fnv1a(key));
    if (idx < 0) return -1;
    struct splinter_slot *s = &st->S[idx];
    /* not a seqlock writer (the time is one atomic store), but like the
     * original it does not write into a slot a writer holds: it waits that
     * writer out like every writer does */
    if (atomic_load_explicit(&s->epoch, memory_order_acquire) & 1) {
        struct sr_wait w = {0};
        while (atomic_load_explicit(&s->epoch, memory_order_acquire) & 1)
            if (!sr_wait_step(&w)) { errno = EAGAIN; return -1; }
    }
    atomic_store_explicit(mode == SPL_TIME_CTIME ? &s->ctime : &s->atime, MUTANT(slot_time_no_offset) ? epoch : epoch - offset, memory_order_release);
    sr_mark_dirty(st, (size_t)idx);
    return 0;
}

int splref_integer_op(splref_store *st, const char *key, splinter_integer_op_t op, const void *mask)
{
    if (!st || !key) return -2;
    if ((unsigned)op > SPL_OP_DEC) { errno = ENOTSUP; return -1; }
    uint64_t m = 0;
    if (mask) memcpy(&m, mask, sizeof m);
    long idx;
    uint64_t e, stale = 0;
    long pre = MUTANT(intop_read_unlocked) ? sr_find(st, key, sr_fnv1a(key)) : -1;
    if (pre >= 0 && sr_in_arena(st, st->S[pre].val_off, 8)) memcpy(&stale, st->V + st->S[pre].val_off, 8);
    struct splinter_slot *s = sr_find_locked(st, key, &idx, &e);
    if (!s) return -1;
    /* the type is checked under the lock: it may change up to the moment we
     * hold the slot */
    if (!(atomic_load_explicit(&s->type_flag, memory_order_relaxed) & SPL_SLOT_TYPE_BIGUINT)) {
        atomic_store_explicit(&s->epoch, e, memory_order_release);
        errno = EPROTOTYPE;
        return -1;
    }
    uint8_t *p = st->max_val < 8 ? NULL : sr_val_area(st, s, st->max_val);
    if (!p) { sr_abort(s, e); errno = EUCLEAN; return -1; }
    /* a BIGUINT value shorter than 8 bytes (set after the promotion) is the
     * integer zero-extended, and becomes 8 bytes: the op never writes past
     * the value's length */
    uint32_t cur = atomic_load_explicit(&s->val_len, memory_order_relaxed);
    uint64_t v = 0;
    if (cur >= 8) sr_rd(&v, p, 8);
    else sr_rd(&v, p, cur);
    if (MUTANT(intop_read_unlocked)) v = stale;
    switch (op) {
    case SPL_OP_AND: v &= m; break;
    case SPL_OP_OR: v |= m; break;
    case SPL_OP_XOR: v ^= m; break;
    case SPL_OP_NOT: v = ~v; break;
    case SPL_OP_INC: v += m; break;
    case SPL_OP_DEC:
        if (MUTANT(dec_no_borrow)) v = (v & ~(uint64_t)0xFF) | (uint8_t)((uint8_t)v - (uint8_t)m);
        else v -= m;
        break;
    }
    sr_wr(p, &v, 8);
    if (cur < 8) {
        sr_scrub_tail(st, p, 8);
        atomic_store_explicit(&s->val_len, 8, memory_order_release);
    }
    sr_unlock(s, e);
    sr_global_bump(st);
    sr_bus_notify(st, (size_t)idx);
    sr_mark_dirty(st, (size_t)idx);
    return 0;
}

uint64_t splref_get_epoch(splref_store *st, const char *key)
{
    if (!st || !key) return 0;
    long idx = sr_find(st, key, sr_fnv1a(key));
    if (idx < 0) return 0;
    return atomic_load_explicit(&st->S[idx].epoch, memory_order_acquire);
}

int splref_bump_slot(splref_store *st, const char *key)
{
    if (!st || !key) return -2;
    long idx;
    uint64_t e;
    struct splinter_slot *s = sr_find_locked(st, key, &idx, &e);
    if (!s) return -1;
    if (!MUTANT(bump_no_pulse)) sr_pulse(st, s);
    sr_unlock(s, e);
    sr_mark_dirty(st, (size_t)idx);
    return 0;
}

/* Recovery of a slot left odd by a dead writer (o, odd, unchanged for
 * SR_DEAD_NS): its value may be half-written, so it is never republished.
 * The key is made absent: value area, key and metadata zeroed as unset
 * does (whatever the mop mode), hash cleared last. 0, or -1 when someone
 * else moved the epoch first (the caller looks again). */
static int recover_dead(splref_store *st, struct splinter_slot *s, uint64_t o)
{
    /* o -> o + 2: still odd, but ours; a second recoverer's CAS fails */
    if (!atomic_compare_exchange_strong_explicit(&s->epoch, &o, o + 2, memory_order_acq_rel, memory_order_relaxed))
        return -1;
    atomic_fetch_add_explicit(sr_gen(s), 1, memory_order_release);
    if (MUTANT(retrain_republishes)) { atomic_store_explicit(&s->epoch, 4, memory_order_release); return 0; }
    sr_pulse(st, s); /* watchers learn the key went away */
    uint8_t *area = sr_val_area(st, s, st->max_val);
    if (area) sr_zero(area, st->max_val);
#ifdef SPLINTER_EMBEDDINGS
    sr_zero(s->embedding, sizeof(s->embedding));
#endif
    atomic_store_explicit(&s->val_len, 0, memory_order_relaxed);
    atomic_store_explicit(&s->type_flag, SPL_SLOT_DEFAULT_TYPE, memory_order_relaxed);
    atomic_store_explicit(&s->ctime, 0, memory_order_relaxed);
    atomic_store_explicit(&s->atime, 0, memory_order_relaxed);
    atomic_store_explicit(&s->user_flag, 0, memory_order_relaxed);
    atomic_store_explicit(&s->watcher_mask, 0, memory_order_relaxed);
    atomic_store_explicit(&s->bloom, 0, memory_order_relaxed);
    sr_zero(s->key, SPLINTER_KEY_MAX);
    atomic_store_explicit(&s->hash, 0, memory_order_release);
    atomic_store_explicit(&s->epoch, 4, memory_order_release);
    return 0;
}

/* Retrain takes the slot like a writer (waiting out live writers), zeroes
 * the embedding and republishes at epoch 4, the original's "revalidate"
 * signal; the generation bump makes that backward move safe for our
 * readers. A slot that stays odd at one epoch for SR_DEAD_NS is a dead
 * writer's: recover_dead() makes the key absent instead. */
int splref_retrain_slot(splref_store *st, const char *key)
{
    if (!st || !key) return -2;
    uint64_t h = sr_fnv1a(key);
    long idx = sr_find(st, key, h);
    if (idx < 0) return -1;
    struct splinter_slot *s = &st->S[idx];
    struct sr_wait w = {0};
    uint64_t e, odd = 0;
    bool recovered = false;
    for (;;) {
        if (sr_trylock_key(s, h, key, &e) == 0) break;
        if (errno == ENOENT) { /* unset or moved meanwhile: look again */
            if ((idx = sr_find(st, key, h)) < 0) return -1;
            s = &st->S[idx];
            continue;
        }
        uint64_t cur = atomic_load_explicit(&s->epoch, memory_order_acquire);
        if (!(cur & 1)) continue;
        if (cur != odd) { /* a different writer: the dead-writer clock restarts */
            odd = cur;
            w = (struct sr_wait){0};
        }
        if (!sr_wait_step(&w)) {
            /* the holder of the odd epoch is gone; it must still hold our key */
            if (atomic_load_explicit(&s->hash, memory_order_acquire) != h || !sr_key_eq(s, key)) return -1;
            if (recover_dead(st, s, cur) == 0) { recovered = true; break; }
            w = (struct sr_wait){0};
        }
    }
    if (!recovered) {
        atomic_fetch_add_explicit(sr_gen(s), 1, memory_order_release);
#ifdef SPLINTER_EMBEDDINGS
        sr_zero(s->embedding, sizeof(s->embedding));
#endif
        atomic_store_explicit(&s->epoch, 4, memory_order_release);
        sr_pulse(st, s);
    }
    sr_global_bump(st);
    sr_bus_notify(st, (size_t)idx);
    sr_mark_dirty(st, (size_t)idx);
    return 0;
}

#ifdef SPLINTER_EMBEDDINGS
int splref_set_embedding(splref_store *st, const char *key, const float *vec)
{
    if (!st || !key || !vec) return -2;
    long idx;
    uint64_t e;
    struct splinter_slot *s = sr_find_locked(st, key, &idx, &e);
    if (!s) return -1;
    sr_wr(s->embedding, vec, sizeof(s->embedding));
    sr_unlock(s, e);
    sr_global_bump(st);
    sr_bus_notify(st, (size_t)idx);
    sr_mark_dirty(st, (size_t)idx);
    return 0;
}

int splref_get_embedding(splref_store *st, const char *key, float *out)
{
    if (!st || !key || !out) return -2;
    long idx = sr_find(st, key, sr_fnv1a(key));
    if (idx < 0) return -1;
    struct splinter_slot *s = &st->S[idx];
    uint32_t gen = atomic_load_explicit(sr_gen(s), memory_order_acquire);
    uint64_t start = atomic_load_explicit(&s->epoch, memory_order_acquire);
    if (start & 1) { errno = EAGAIN; return -1; }
    sr_rd(out, s->embedding, sizeof(s->embedding));
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&s->epoch, memory_order_acquire) != start ||
        atomic_load_explicit(sr_gen(s), memory_order_acquire) != gen) {
        errno = EAGAIN;
        return -1;
    }
    return 0;
}
#endif
