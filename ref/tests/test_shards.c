/*
 * test_shards.c - the shard bid table: claim, re-claim, re-bid, release,
 * the full table, election order, expiry and the DONTNEED soft bumper.
 * Bids are placed with splinter_shard_claim_ex and explicit timestamps so
 * the election is deterministic.
 */
#include "common.h"

#include <sched.h>
#include <sys/wait.h>

#define LONG (UINT64_C(1) << 62) /* a window no test outlives */

static void claim(uint32_t id, uint32_t pid, uint8_t intent, uint8_t prio, uint64_t dur, uint64_t at)
{
    cr_assert_eq(splinter_shard_claim_ex(id, pid, intent, prio, dur, at), 0, "claim %u: %s", id, strerror(errno));
}

static int live_records(void)
{
    struct splinter_shard_bid_snapshot s[SPLINTER_MAX_SHARDS];
    int n = splinter_shard_table_snapshot(s, SPLINTER_MAX_SHARDS), live = 0;
    cr_assert_eq(n, SPLINTER_MAX_SHARDS);
    for (int i = 0; i < n; i++) live += s[i].shard_id != 0;
    return live;
}

Test(shards, claim_makes_a_sovereign, .init = t_setup, .fini = t_teardown)
{
    uint64_t g = t_global_epoch();
    cr_assert_eq(splinter_shard_election(NULL), 0, "empty table: nobody");
    cr_assert_eq(splinter_shard_claim(5, SPL_INTENT_WILLNEED, 10, LONG), 0);
    uint8_t it = 0;
    cr_assert_eq(splinter_shard_election(&it), 5);
    cr_assert_eq(it, SPL_INTENT_WILLNEED);
    cr_assert_eq(splinter_shard_is_sovereign(5), 1);
    cr_assert_eq(splinter_shard_is_sovereign(6), 0);
    cr_assert_eq(splinter_shard_is_sovereign(0), 0);
    struct splinter_shard_bid_snapshot s[2];
    cr_assert_eq(splinter_shard_table_snapshot(s, 2), 2, "bounded by max");
    cr_assert_eq(s[0].shard_id, 5);
    cr_assert_eq(s[0].pid, (uint32_t)getpid());
    cr_assert_eq(s[0].priority, 10);
    cr_assert_eq(s[0].expired, 0);
    cr_assert_eq(s[0].sovereign, 1);
    cr_assert_eq(s[1].shard_id, 0);
    cr_assert_eq(s[1].expired, 1, "empty records read as expired");
    cr_assert_eq(t_global_epoch(), g, "bids are not data writes");
}

Test(shards, reclaim_refreshes_in_place, .init = t_setup, .fini = t_teardown)
{
    uint64_t now = splinter_now();
    claim(7, 100, SPL_INTENT_RANDOM, 1, LONG, now);
    claim(7, 101, SPL_INTENT_SEQUENTIAL, 9, LONG, now + 1);
    cr_assert_eq(live_records(), 1);
    struct splinter_shard_bid_snapshot s[1];
    splinter_shard_table_snapshot(s, 1);
    cr_assert_eq(s[0].pid, 101);
    cr_assert_eq(s[0].intent, SPL_INTENT_SEQUENTIAL);
    cr_assert_eq(s[0].priority, 9);
    cr_assert_eq(s[0].claimed_at, now + 1);
}

Test(shards, rebid_and_release, .init = t_setup, .fini = t_teardown)
{
    claim(3, 1, SPL_INTENT_RANDOM, 1, LONG, 1);
    uint64_t before = splinter_now();
    cr_assert_eq(splinter_shard_rebid(3, SPL_INTENT_WILLNEED, 4, LONG), 0);
    struct splinter_shard_bid_snapshot s[1];
    splinter_shard_table_snapshot(s, 1);
    cr_assert_eq(s[0].intent, SPL_INTENT_WILLNEED);
    cr_assert_eq(s[0].priority, 4);
    cr_assert_geq(s[0].claimed_at, before, "rebid restamps the claim");
    cr_assert_eq(s[0].pid, 1, "rebid keeps the pid");
    errno = 0;
    cr_assert_eq(splinter_shard_rebid(99, SPL_INTENT_WILLNEED, 4, LONG), -1);
    cr_assert_eq(errno, ENOENT);
    cr_assert_eq(splinter_shard_release(3), 0);
    splinter_shard_table_snapshot(s, 1);
    cr_assert_eq(s[0].shard_id, 0);
    cr_assert_eq(s[0].pid, 0);
    cr_assert_eq(s[0].duration_tsc, 0);
    cr_assert_eq(splinter_shard_release(3), -1);
    cr_assert_eq(splinter_shard_rebid(0, 1, 1, 1), -2);
    cr_assert_eq(splinter_shard_release(0), -2);
}

Test(shards, full_table_is_enospc, .init = t_setup, .fini = t_teardown)
{
    for (uint32_t id = 1; id <= SPLINTER_MAX_SHARDS; id++) claim(id, id, SPL_INTENT_NONE, 1, LONG, 1);
    errno = 0;
    cr_assert_eq(splinter_shard_claim(SPLINTER_MAX_SHARDS + 1, SPL_INTENT_NONE, 1, LONG), -1);
    cr_assert_eq(errno, ENOSPC);
    cr_assert_eq(live_records(), SPLINTER_MAX_SHARDS, "nothing overwritten");
    claim(10, 10, SPL_INTENT_NONE, 2, LONG, 1);
    cr_assert_eq(live_records(), SPLINTER_MAX_SHARDS, "re-claim of a holder needs no free record");
    cr_assert_eq(splinter_shard_release(17), 0);
    cr_assert_eq(splinter_shard_claim(SPLINTER_MAX_SHARDS + 1, SPL_INTENT_NONE, 1, LONG), 0);
}

Test(shards, election_order, .init = t_setup, .fini = t_teardown)
{
    uint64_t now = splinter_now();
    /* priority first */
    claim(1, 50, SPL_INTENT_RANDOM, 5, LONG, now - 100);
    claim(2, 60, SPL_INTENT_RANDOM, 9, LONG, now - 10);
    cr_assert_eq(splinter_shard_election(NULL), 2);
    /* equal priority: the earlier claim */
    claim(3, 70, SPL_INTENT_RANDOM, 9, LONG, now - 20);
    cr_assert_eq(splinter_shard_election(NULL), 3);
    /* equal priority and claim time: the lower pid */
    claim(4, 65, SPL_INTENT_RANDOM, 9, LONG, now - 20);
    cr_assert_eq(splinter_shard_election(NULL), 4);
    claim(5, 64, SPL_INTENT_RANDOM, 9, LONG, now - 20);
    cr_assert_eq(splinter_shard_election(NULL), 5);
    /* table position does not matter: release and re-add the winner last */
    cr_assert_eq(splinter_shard_release(1), 0);
    claim(6, 1, SPL_INTENT_RANDOM, 200, LONG, now);
    cr_assert_eq(splinter_shard_election(NULL), 6);
}

Test(shards, expiry, .init = t_setup, .fini = t_teardown)
{
    uint64_t now = splinter_now();
    /* elapsed == duration has expired (half-open window) */
    claim(1, 1, SPL_INTENT_RANDOM, 200, 1000, now - 1000);
    claim(2, 2, SPL_INTENT_RANDOM, 100, 0, now);
    cr_assert_eq(splinter_shard_election(NULL), 0, "an expired bid cannot win; duration 0 is expired at once");
    claim(3, 3, SPL_INTENT_RANDOM, 1, LONG, now);
    cr_assert_eq(splinter_shard_election(NULL), 3);
    struct splinter_shard_bid_snapshot s[3];
    splinter_shard_table_snapshot(s, 3);
    cr_assert_eq(s[0].expired, 1);
    cr_assert_eq(s[1].expired, 1);
    cr_assert_eq(s[2].expired, 0);
    cr_assert_eq(s[2].sovereign, 1);
    cr_assert_eq(live_records(), 3, "expired bids stay in the table until released");
}

Test(shards, dontneed_bumper, .init = t_setup, .fini = t_teardown)
{
    uint64_t now = splinter_now();
    claim(1, 1, SPL_INTENT_DONTNEED, 255, LONG, now - 50);
    claim(2, 2, SPL_INTENT_RANDOM, 10, LONG, now);
    cr_assert_eq(splinter_shard_election(NULL), 1, "without protective bids DONTNEED wins on priority");
    claim(3, 3, SPL_INTENT_WILLNEED, 1, LONG, now);
    uint8_t it;
    cr_assert_eq(splinter_shard_election(&it), 2, "a live WILLNEED bumps DONTNEED; RANDOM wins on priority");
    cr_assert_eq(it, SPL_INTENT_RANDOM);
    cr_assert_eq(splinter_shard_release(3), 0);
    claim(4, 4, SPL_INTENT_SEQUENTIAL, 1, LONG, now);
    cr_assert_eq(splinter_shard_election(NULL), 2, "SEQUENTIAL protects too");
    cr_assert_eq(splinter_shard_release(2), 0);
    cr_assert_eq(splinter_shard_election(&it), 4);
    cr_assert_eq(it, SPL_INTENT_SEQUENTIAL);
    /* an expired protective bid protects nothing */
    claim(4, 4, SPL_INTENT_SEQUENTIAL, 1, 10, now - 10);
    cr_assert_eq(splinter_shard_election(NULL), 1);
}

/* ---- concurrent claims --------------------------------------------------
 * Several processes claiming the same shard id at the same moment leave
 * exactly one record for it. (The original looks for the id, then CASes an
 * empty record: two claimants in between both take one.) Each round the
 * children start together on a spin barrier in shared memory and claim a
 * fresh id; the parent counts its records, then releases it. */
enum { CC_PROCS = 4, CC_ROUNDS = 300 };

struct cc_shared {
    _Atomic int round;   /* parent -> children: claim round r */
    _Atomic int ready;   /* children at the barrier of this round */
    _Atomic int claimed; /* children done with this round */
    _Atomic int failed;
};

static void cc_child(struct cc_shared *sh)
{
    for (int r = 1; r <= CC_ROUNDS; r++) {
        while (atomic_load(&sh->round) < r) sched_yield();
        atomic_fetch_add(&sh->ready, 1);
        while (atomic_load(&sh->ready) < CC_PROCS * r) {} /* everybody at the line: spin, to start together */
        if (splinter_shard_claim_ex(1000 + (uint32_t)r, (uint32_t)getpid(), SPL_INTENT_WILLNEED, 5, LONG,
                                    splinter_now()) != 0)
            atomic_fetch_add(&sh->failed, 1);
        atomic_fetch_add(&sh->claimed, 1);
    }
    _exit(0);
}

Test(shards, concurrent_claims_make_no_duplicates, .init = t_setup, .fini = t_teardown, .timeout = 60)
{
    struct cc_shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(sh, MAP_FAILED);
    memset(sh, 0, sizeof *sh);
    pid_t kids[CC_PROCS];
    for (int i = 0; i < CC_PROCS; i++) {
        kids[i] = t_fork();
        cr_assert_geq(kids[i], 0);
        if (kids[i] == 0) cc_child(sh); /* never returns into Criterion */
    }
    int dup_rounds = 0, worst = 0;
    for (int r = 1; r <= CC_ROUNDS; r++) {
        atomic_store(&sh->round, r);
        while (atomic_load(&sh->claimed) < CC_PROCS * r) sched_yield();
        struct splinter_shard_bid_snapshot s[SPLINTER_MAX_SHARDS];
        splinter_shard_table_snapshot(s, SPLINTER_MAX_SHARDS);
        int n = 0;
        for (int i = 0; i < SPLINTER_MAX_SHARDS; i++) n += s[i].shard_id == 1000 + (uint32_t)r;
        if (n != 1) dup_rounds++;
        if (n > worst) worst = n;
        while (splinter_shard_release(1000 + (uint32_t)r) == 0) {} /* every copy */
    }
    for (int i = 0; i < CC_PROCS; i++) {
        int st = 0;
        waitpid(kids[i], &st, 0);
    }
    cr_assert_eq(atomic_load(&sh->failed), 0, "%d claims failed", atomic_load(&sh->failed));
    cr_assert_eq(dup_rounds, 0, "%d of %d rounds left more than one record for the id (up to %d)", dup_rounds,
                 CC_ROUNDS, worst);
    munmap(sh, sizeof *sh);
}

/* A claim time in the future counts as no time elapsed: the bid is live for
 * its whole window (the original computes now - claimed_at unsigned, which
 * wraps, and treats it as expired at once). Duration 0 is expired anyway. */
Test(shards, future_claim_time_is_live, .init = t_setup, .fini = t_teardown)
{
    uint64_t tpm = t_ticks_per_ms();
    uint64_t later = splinter_now() + 60000 * tpm; /* a minute ahead */
    claim(21, 100, SPL_INTENT_WILLNEED, 1, 1000 * tpm, later);
    claim(22, 101, SPL_INTENT_WILLNEED, 9, 0, later);
    struct splinter_shard_bid_snapshot s[2];
    cr_assert_eq(splinter_shard_table_snapshot(s, 2), 2);
    cr_assert_eq(s[0].shard_id, 21);
    cr_assert_eq(s[0].expired, 0, "a future claim is live");
    cr_assert_eq(s[1].shard_id, 22);
    cr_assert_eq(s[1].expired, 1, "duration 0 is expired whenever it was claimed");
    cr_assert_eq(splinter_shard_election(NULL), 21);
}

/* The reference's table lock (its holder's pid in the header's padding,
 * bytes 4360..4363): a holder that died inside is taken over after the
 * dead-writer bound; a live one that keeps it makes claims fail EAGAIN,
 * never hang. */
Test(shards, table_lock_held_by_the_dead_or_the_living, .init = t_setup, .fini = t_teardown, .timeout = 30)
{
    _Atomic uint32_t *L = (_Atomic uint32_t *)(void *)((uint8_t *)splref_header(t_peek) + 4360);
    pid_t gone = fork();
    cr_assert_geq(gone, 0);
    if (gone == 0) _exit(0);
    waitpid(gone, NULL, 0);
    atomic_store(L, (uint32_t)gone);
    cr_assert_eq(splinter_shard_claim(31, SPL_INTENT_WILLNEED, 1, LONG), 0, "%s", strerror(errno));
    cr_assert_eq(atomic_load(L), 0, "released after the claim");
    atomic_store(L, 1); /* init: alive, and not us */
    errno = 0;
    cr_assert_eq(splinter_shard_claim(32, SPL_INTENT_WILLNEED, 1, LONG), -1);
    cr_assert_eq(errno, EAGAIN);
    cr_assert_eq(splinter_shard_release(31), -1);
    cr_assert_eq(errno, EAGAIN);
    atomic_store(L, 0);
    cr_assert_eq(splinter_shard_release(31), 0);
}
