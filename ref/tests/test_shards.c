/*
 * test_shards.c - the shard bid table: claim, re-claim, re-bid, release,
 * the full table, election order, expiry and the DONTNEED soft bumper.
 * Bids are placed with splinter_shard_claim_ex and explicit timestamps so
 * the election is deterministic.
 */
#include "common.h"

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
