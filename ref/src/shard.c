/*
 * shard.c - the 32-record bid table, its election, and cooperative madvise.
 *
 * The election is a pure function of the table and the clock, so every
 * process computes the same sovereign without talking to the others. Bid
 * operations are scheduling metadata: they never touch the global epoch.
 */
#include "store.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>


static void bids_bump(splref_store *st)
{
    if (MUTANT(bid_bumps_epoch)) sr_global_bump(st);
}

static bool bid_expired(const struct splinter_shard_bid *b, uint64_t now)
{
    uint64_t at = atomic_load_explicit(&b->claimed_at, memory_order_acquire);
    uint64_t dur = atomic_load_explicit(&b->duration_tsc, memory_order_acquire);
    /* half-open window: live while elapsed < duration. A claim time ahead of
     * this clock (another socket's TSC, a supervisor's claim_ex) is a window
     * not yet over: elapsed counts as 0, never as an unsigned wrap (the
     * original's now - at makes such a bid "expired" until the clock gets there) */
    uint64_t elapsed = now > at || MUTANT(future_claim_expired) ? now - at : 0;
    if (MUTANT(expiry_off_by_one)) return elapsed > dur;
    return elapsed >= dur;
}

/* ---- the table lock -------------------------------------------------------
 * Claims, re-bids and releases of the reference hold one lock, so two
 * processes claiming the same shard id at once cannot both take an empty
 * record (the original checks for the id and then CASes an empty record:
 * between the two, another claimant does the same). The lock word is the
 * holder's pid, in the header's padding after the event bus (bytes
 * 4360..4363, which the original never writes); a mutex orders the threads
 * of one process. A holder that has held it for SR_DEAD_NS and no longer
 * exists (kill(pid, 0): ESRCH) died inside: the lock is taken over. The
 * empty record is still claimed with a CAS 0 -> id, so a claimant of
 * another implementation, which knows no lock, cannot be overwritten. */
#define SR_BIDLOCK_OFFSET 4360
_Static_assert(offsetof(struct splinter_header, event_bus) + sizeof(struct splinter_event_bus) <= SR_BIDLOCK_OFFSET &&
                   SR_BIDLOCK_OFFSET + 4 <= offsetof(struct splinter_header, shard_bids),
               "the bid table lock lives in the header's padding");

/* The bid-table change word (header bytes 4364..4367, padding too): +2 on
 * every claim, re-bid and release of the reference, bit 0 set by a madvise
 * caller about to sleep on it (FUTEX_WAIT, shared), so a release wakes the
 * waiting bidder at once instead of at its next 5 ms re-election, and a
 * change with nobody asleep costs no system call. */
#define SR_BIDSEQ_OFFSET 4364
_Static_assert(SR_BIDSEQ_OFFSET == SR_BIDLOCK_OFFSET + 4 &&
                   SR_BIDSEQ_OFFSET + 4 <= offsetof(struct splinter_header, shard_bids),
               "the bid table change word lives in the header's padding");

static pthread_mutex_t bid_mu = PTHREAD_MUTEX_INITIALIZER;

static _Atomic uint32_t *bid_seq_word(splref_store *st)
{
    return (_Atomic uint32_t *)(void *)((uint8_t *)st->H + SR_BIDSEQ_OFFSET);
}

static void bids_changed(splref_store *st)
{
    _Atomic uint32_t *q = bid_seq_word(st);
    uint32_t old = atomic_load_explicit(q, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(q, &old, (old + 2) & ~1u, memory_order_acq_rel, memory_order_relaxed)) {}
    if (old & 1) sr_futex_wake_all(q);
}

/* Sleeps until the table changes after seq was read, or at most max_ns. */
static void bids_wait_change(splref_store *st, uint32_t seq, uint64_t max_ns)
{
    _Atomic uint32_t *q = bid_seq_word(st);
    if (!(seq & 1) && !atomic_compare_exchange_strong_explicit(q, &seq, seq | 1, memory_order_acq_rel, memory_order_relaxed))
        return; /* it changed meanwhile */
    sr_futex_wait(q, seq | 1, max_ns); /* EAGAIN: changed; ETIMEDOUT; EINTR: look again */
}

static _Atomic uint32_t *bid_lock_word(splref_store *st)
{
    return (_Atomic uint32_t *)(void *)((uint8_t *)st->H + SR_BIDLOCK_OFFSET);
}

static int bids_lock(splref_store *st)
{
    pthread_mutex_lock(&bid_mu);
    _Atomic uint32_t *L = bid_lock_word(st);
    uint32_t me = (uint32_t)getpid();
    struct sr_wait w = {0};
    for (;;) {
        uint32_t holder = 0;
        if (atomic_compare_exchange_strong_explicit(L, &holder, me, memory_order_acquire, memory_order_relaxed))
            return 0;
        /* our own pid: left by a process whose pid we reuse, or by this
         * process before a fork took it elsewhere; nobody holds it now */
        if (holder == me && atomic_compare_exchange_strong_explicit(L, &holder, me, memory_order_acquire,
                                                                    memory_order_relaxed))
            return 0;
        if (!sr_wait_step(&w)) {
            if (kill((pid_t)holder, 0) != 0 && errno == ESRCH &&
                atomic_compare_exchange_strong_explicit(L, &holder, me, memory_order_acquire, memory_order_relaxed))
                return 0;
            pthread_mutex_unlock(&bid_mu);
            errno = EAGAIN; /* a live process has held the table for SR_DEAD_NS */
            return -1;
        }
    }
}

static void bids_unlock(splref_store *st)
{
    atomic_store_explicit(bid_lock_word(st), 0, memory_order_release);
    pthread_mutex_unlock(&bid_mu);
    bids_changed(st);
}

static void bid_fill(struct splinter_shard_bid *b, uint32_t pid, uint8_t intent, uint8_t prio, uint64_t dur,
                     uint64_t at)
{
    atomic_store_explicit(&b->pid, pid, memory_order_release);
    atomic_store_explicit(&b->intent, intent, memory_order_release);
    atomic_store_explicit(&b->priority, prio, memory_order_release);
    atomic_store_explicit(&b->duration_tsc, dur, memory_order_release);
    atomic_store_explicit(&b->claimed_at, at, memory_order_release);
}

int splref_shard_claim_ex(splref_store *st, uint32_t shard_id, uint32_t pid, uint8_t intent, uint8_t priority,
                          uint64_t duration_tsc, uint64_t claimed_at)
{
    if (!st || shard_id == 0) return -2;
    struct splinter_shard_bid *T = st->H->shard_bids;
    if (!MUTANT(claim_unlocked) && bids_lock(st) != 0) return -1;
    int rc = -1;
    for (size_t b = 0; b < SPLINTER_MAX_SHARDS; b++) {
        if (atomic_load_explicit(&T[b].shard_id, memory_order_acquire) != shard_id) continue;
        if (rc != 0) {
            bid_fill(&T[b], pid, intent, priority, duration_tsc, claimed_at);
            rc = 0;
        } else if (!MUTANT(claim_unlocked)) {
            /* a duplicate (another implementation's claim race): one record per id */
            bid_fill(&T[b], 0, SPL_INTENT_NONE, 0, 0, 0);
            atomic_store_explicit(&T[b].shard_id, 0, memory_order_release);
        }
    }
    for (size_t b = 0; b < SPLINTER_MAX_SHARDS && rc != 0; b++) {
        uint32_t expected = 0;
        if (atomic_compare_exchange_strong_explicit(&T[b].shard_id, &expected, shard_id, memory_order_acq_rel,
                                                    memory_order_relaxed)) {
            bid_fill(&T[b], pid, intent, priority, duration_tsc, claimed_at);
            rc = 0;
        }
    }
    if (rc != 0 && MUTANT(bid_table_unbounded)) {
        size_t b = shard_id % SPLINTER_MAX_SHARDS;
        atomic_store(&T[b].shard_id, shard_id);
        bid_fill(&T[b], pid, intent, priority, duration_tsc, claimed_at);
        rc = 0;
    }
    if (!MUTANT(claim_unlocked)) bids_unlock(st);
    if (rc != 0) { errno = ENOSPC; return -1; }
    bids_bump(st);
    return 0;
}

int splref_shard_rebid(splref_store *st, uint32_t shard_id, uint8_t intent, uint8_t priority, uint64_t duration_tsc)
{
    if (!st || shard_id == 0) return -2;
    struct splinter_shard_bid *T = st->H->shard_bids;
    if (bids_lock(st) != 0) return -1;
    int rc = -1;
    for (size_t b = 0; b < SPLINTER_MAX_SHARDS; b++) {
        if (atomic_load_explicit(&T[b].shard_id, memory_order_acquire) == shard_id) {
            atomic_store_explicit(&T[b].intent, intent, memory_order_release);
            atomic_store_explicit(&T[b].priority, priority, memory_order_release);
            atomic_store_explicit(&T[b].duration_tsc, duration_tsc, memory_order_release);
            if (!MUTANT(rebid_keeps_stamp)) atomic_store_explicit(&T[b].claimed_at, splinter_now(), memory_order_release);
            rc = 0;
        }
    }
    bids_unlock(st);
    if (rc != 0) { errno = ENOENT; return -1; }
    bids_bump(st);
    return 0;
}

int splref_shard_release(splref_store *st, uint32_t shard_id)
{
    if (!st || shard_id == 0) return -2;
    struct splinter_shard_bid *T = st->H->shard_bids;
    if (bids_lock(st) != 0) return -1;
    int rc = -1;
    for (size_t b = 0; b < SPLINTER_MAX_SHARDS; b++) { /* every record of the id, duplicates too */
        if (atomic_load_explicit(&T[b].shard_id, memory_order_acquire) == shard_id) {
            /* payload first, shard_id last: the record is claimable only once clean */
            bid_fill(&T[b], MUTANT(release_keeps_pid) ? atomic_load(&T[b].pid) : 0, SPL_INTENT_NONE, 0, 0, 0);
            atomic_store_explicit(&T[b].shard_id, 0, memory_order_release);
            rc = 0;
        }
    }
    bids_unlock(st);
    if (rc != 0) { errno = ENOENT; return -1; }
    bids_bump(st);
    return 0;
}

uint32_t splref_shard_election(splref_store *st, uint8_t *out_intent)
{
    if (out_intent) *out_intent = SPL_INTENT_NONE;
    if (!st) return 0;
    static uint64_t cached_ns; /* mut:election_cached */
    static uint32_t cached_id;
    struct timespec ts;
    if (MUTANT(election_cached) && clock_gettime(CLOCK_MONOTONIC, &ts) == 0 &&
        (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec - cached_ns < 50000000u)
        return cached_id;
    struct splinter_shard_bid *T = st->H->shard_bids;
    uint64_t now = splinter_now();
    bool protective = false;
    for (size_t b = 0; b < SPLINTER_MAX_SHARDS && !protective; b++) {
        if (atomic_load_explicit(&T[b].shard_id, memory_order_acquire) == 0 || bid_expired(&T[b], now)) continue;
        uint8_t it = atomic_load_explicit(&T[b].intent, memory_order_acquire);
        protective = it == SPL_INTENT_WILLNEED || it == SPL_INTENT_SEQUENTIAL;
    }
    bool have = false;
    uint32_t best_id = 0, best_pid = 0;
    uint8_t best_it = SPL_INTENT_NONE, best_pr = 0;
    uint64_t best_at = 0;
    for (size_t b = 0; b < SPLINTER_MAX_SHARDS; b++) {
        uint32_t id = atomic_load_explicit(&T[b].shard_id, memory_order_acquire);
        if (id == 0 || bid_expired(&T[b], now)) continue;
        uint8_t it = atomic_load_explicit(&T[b].intent, memory_order_acquire);
        uint8_t pr = atomic_load_explicit(&T[b].priority, memory_order_acquire);
        uint64_t at = atomic_load_explicit(&T[b].claimed_at, memory_order_acquire);
        uint32_t pid = atomic_load_explicit(&T[b].pid, memory_order_acquire);
        if (it == SPL_INTENT_DONTNEED && protective && !MUTANT(dontneed_wins)) continue;
        bool beats;
        if (!have) beats = true;
        else if (pr != best_pr) beats = pr > best_pr;
        else if (at != best_at) beats = MUTANT(reversed_tiebreak) ? at > best_at : at < best_at;
        else if (pid != best_pid) beats = pid < best_pid;
        else beats = !MUTANT(tie_table_order) && id < best_id; /* a full tie: the lowest shard id, whatever the record order */
        if (beats) {
            have = true;
            best_id = id, best_it = it, best_pr = pr, best_at = at, best_pid = pid;
        }
    }
    if (out_intent) *out_intent = have ? best_it : SPL_INTENT_NONE;
    if (MUTANT(election_cached) && clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
        cached_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec, cached_id = have ? best_id : 0;
    return have ? best_id : 0;
}

int splref_shard_is_sovereign(splref_store *st, uint32_t shard_id)
{
    if (!st) return -2;
    return shard_id != 0 && splref_shard_election(st, NULL) == shard_id;
}

int splref_shard_table_snapshot(splref_store *st, struct splinter_shard_bid_snapshot *out, size_t max)
{
    if (!st || !out) return -2;
    struct splinter_shard_bid *T = st->H->shard_bids;
    uint64_t now = splinter_now();
    uint32_t sov = splref_shard_election(st, NULL);
    size_t n = max < SPLINTER_MAX_SHARDS ? max : SPLINTER_MAX_SHARDS;
    for (size_t b = 0; b < n; b++) {
        uint32_t id = atomic_load_explicit(&T[b].shard_id, memory_order_acquire);
        memset(&out[b], 0, sizeof out[b]);
        out[b].shard_id = id;
        out[b].pid = atomic_load_explicit(&T[b].pid, memory_order_acquire);
        out[b].intent = atomic_load_explicit(&T[b].intent, memory_order_acquire);
        out[b].priority = atomic_load_explicit(&T[b].priority, memory_order_acquire);
        out[b].duration_tsc = atomic_load_explicit(&T[b].duration_tsc, memory_order_acquire);
        out[b].claimed_at = atomic_load_explicit(&T[b].claimed_at, memory_order_acquire);
        out[b].expired = id ? bid_expired(&T[b], now) : 1;
        out[b].sovereign = id != 0 && id == sov;
    }
    return (int)n;
}

int splref_madvise(splref_store *st, uint32_t shard_id, void *addr, size_t len, int advice, uint64_t timeout_ticks)
{
    if (!st) return -2;
    if (shard_id == 0) { errno = EINVAL; return -2; }
    bool present = false;
    for (size_t b = 0; b < SPLINTER_MAX_SHARDS && !present; b++)
        present = atomic_load_explicit(&st->H->shard_bids[b].shard_id, memory_order_acquire) == shard_id;
    if (!present) { errno = EINVAL; return -2; }
    if (!addr) {
        addr = st->V;
        len = st->arena;
    }
    long pg = sysconf(_SC_PAGESIZE);
    if (pg > 0) {
        uintptr_t a = (uintptr_t)addr, al = a & ~((uintptr_t)pg - 1);
        len += a - al;
        addr = (void *)al;
    }
    uint64_t t0 = splinter_now();
    /* a timeout that would wrap the clock is as good as forever */
    bool deadline_set = timeout_ticks != UINT64_MAX && timeout_ticks <= UINT64_MAX - t0;
    uint64_t deadline = t0 + timeout_ticks;
    int rc;
    for (;;) {
        uint32_t seq = atomic_load_explicit(bid_seq_word(st), memory_order_acquire);
        if (MUTANT(madvise_not_sovereign) || splref_shard_election(st, NULL) == shard_id) {
            rc = posix_madvise(addr, len, advice);
            if (rc != 0) { errno = rc; rc = -1; }
            break;
        }
        if (timeout_ticks == 0) { errno = EAGAIN; rc = -1; break; }
        if (deadline_set && splinter_now() >= deadline) { errno = ETIMEDOUT; rc = -1; break; }
        /* woken by the reference's claim, re-bid or release; re-elect at
         * least every 5 ms all the same, so a window that simply expires, or
         * a release by another implementation, is noticed without one */
        bids_wait_change(st, seq, 5 * NS_PER_MS);
    }
    return rc;
}
