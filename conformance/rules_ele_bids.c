/*
 * rules_ele_bids.c - ELE-008..: the bid table record by record. Claims,
 * re-bids and releases are read back from the bytes (lib/storeview), the
 * election is asked in several processes, and where the clock matters it is
 * the trapped rdtsc of intercept.c, so a window's edge is a tick we choose.
 */
#include "conform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t clock_now(struct conform *c) { return c->im.now ? c->im.now() : __builtin_ia32_rdtsc(); }

/* Index of the record holding shard id in the bytes, or -1. */
static int record_of(struct spl_storeview *v, uint32_t id)
{
    for (unsigned b = 0; b < SPLINTER_MAX_SHARDS; b++)
        if (atomic_load(&spl_sv_bid(v, b)->shard_id) == id) return (int)b;
    return -1;
}

static const char *bid_bytes(struct splinter_shard_bid *b, char *buf, size_t n)
{
    snprintf(buf, n, "{shard %u pid %u intent %u prio %u duration %llu claimed_at %llu}", atomic_load(&b->shard_id), atomic_load(&b->pid),
             atomic_load(&b->intent), atomic_load(&b->priority), (unsigned long long)atomic_load(&b->duration_tsc),
             (unsigned long long)atomic_load(&b->claimed_at));
    return buf;
}

/* Pins the implementation's clock to our trapped rdtsc at T. false (why
 * says so) when rdtsc cannot be trapped or the implementation's clock is
 * not rdtsc. */
static bool clock_pinned(struct conform *c, uint64_t T, char *why, size_t len)
{
    if (fakeclock_install(T) != 0) {
        snprintf(why, len, "cannot trap rdtsc on this machine (PR_SET_TSC)");
        return false;
    }
    bool obeys = c->im.now ? c->im.now() == T : false;
    if (!obeys && c->im.shard_rebid && c->im.shard_table_snapshot) {
        /* no exported clock: a re-bid stamps claimed_at with the library's own */
        c->im.shard_claim_ex(30, 1, SPL_INTENT_RANDOM, 1, 1000, 1);
        c->im.shard_rebid(30, SPL_INTENT_RANDOM, 1, 1000);
        struct splinter_shard_bid_snapshot t[SPLINTER_MAX_SHARDS];
        int n = c->im.shard_table_snapshot(t, SPLINTER_MAX_SHARDS);
        for (int i = 0; i < n; i++) if (t[i].shard_id == 30) obeys = t[i].claimed_at == T;
        c->im.shard_release(30);
    }
    if (!obeys) snprintf(why, len, "the implementation's clock is not rdtsc (our trapped clock did not reach it)");
    return obeys;
}

/* ---- ELE-008: a full tie ---------------------------------------------------- */

struct tie_arg {
    struct conform *c;
    uint32_t want;
};

static int peer_elect(struct conform *c, void *arg, char *msg)
{
    struct tie_arg *t = arg;
    uint32_t got = c->im.shard_election(NULL);
    if (got != t->want) {
        snprintf(msg, SPL_MSG_MAX, "another process elected shard %u, want %u", got, t->want);
        return 1;
    }
    return 0;
}

static void rule_ele008(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "ele8", 8, 64) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    uint64_t D = c->tps * 3600, at = clock_now(c) - 1000;
    /* ids 3, 7, 12: same priority, claim time and pid; records filled in
     * several orders (a release frees a record for the next claim) */
    static const uint32_t orders[][3] = {{7, 3, 12}, {3, 12, 7}, {12, 7, 3}, {7, 12, 3}};
    int n = 0;
    for (size_t k = 0; k < sizeof orders / sizeof orders[0]; k++) {
        if (k == 2) c->im.shard_claim_ex(21, 999, SPL_INTENT_NONE, 0, 1, 1); /* a stale record in front: later claims land further on */
        for (int i = 0; i < 3; i++)
            if (c->im.shard_claim_ex(orders[k][i], 4242, SPL_INTENT_RANDOM, 5, D, at) != 0) { r_error(o, "claim: %s", errno_name(errno)); goto out; }
        char tab[256] = "";
        for (int i = 0; i < 3; i++) {
            size_t l = strlen(tab);
            snprintf(tab + l, sizeof tab - l, "%s%u in record %d", i ? ", " : "", orders[k][i], record_of(&v, orders[k][i]));
        }
        uint32_t got = c->im.shard_election(NULL);
        r_check(o, got == 3, "a full tie (priority 5, claimed_at, pid 4242 equal) between shards %s elected %u; the lowest shard id, 3, must win whatever the table order",
                tab, got);
        struct tie_arg ta = {c, 3};
        in_other_process(c, o, o->store, peer_elect, &ta, "the full tie decided in another process");
        for (int i = 0; i < 3; i++) c->im.shard_release(orders[k][i]);
        n++;
    }
out:
    spl_sv_close(&v);
    r_pass(o, "%d table orders of a full tie (same priority, claim time and pid): the lowest shard id won in this and another process", n);
}

/* ---- ELE-009: a claim time in the future --------------------------------------- */

static void rule_ele009(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "ele9", 8, 64) != 0) return;
    const uint64_t T = 5000000000000ull;
    char why[160];
    if (!clock_pinned(c, T, why, sizeof why)) { r_skip(o, "%s: a claim time in the future cannot be placed at a known tick", why); return; }
    /* claimed 1000 ticks ahead of now, for 500 ticks: the window is [T+1000, T+1500) */
    c->im.shard_claim_ex(4, 44, SPL_INTENT_RANDOM, 5, 500, T + 1000);
    struct splinter_shard_bid_snapshot t[SPLINTER_MAX_SHARDS];
    struct { uint64_t now; bool live; const char *what; } pts[] = {
        {T, true, "1000 ticks before its claim time"},
        {T + 999, true, "one tick before its claim time"},
        {T + 1000, true, "at its claim time"},
        {T + 1499, true, "at the last tick of its window"},
        {T + 1500, false, "at the end of its window"},
    };
    int n = 0;
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        fakeclock_set(pts[i].now);
        uint32_t got = c->im.shard_election(NULL);
        r_check(o, (got == 4) == pts[i].live, "a bid claimed for tick %llu (duration 500), asked %s: the election says %s, want %s",
                (unsigned long long)T + 1000, pts[i].what, got == 4 ? "live" : "expired", pts[i].live ? "live" : "expired");
        if (c->im.shard_table_snapshot) {
            int m = c->im.shard_table_snapshot(t, SPLINTER_MAX_SHARDS);
            for (int k = 0; k < m; k++)
                if (t[k].shard_id == 4)
                    r_check(o, t[k].expired == !pts[i].live, "%s the table snapshot says expired = %d, want %d", pts[i].what, t[k].expired, !pts[i].live);
        }
        n++;
    }
    r_pass(o, "%d ticks: a bid claimed in the future is live until its window [claimed_at, claimed_at + duration) ends, never expired by an unsigned wrap", n);
}

/* ---- ELE-010: a re-bid restamps the window ---------------------------------------- */

static void rule_ele010(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "ele10", 8, 64) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    const uint64_t T = 7000000000000ull;
    char why[160];
    bool pinned = clock_pinned(c, T, why, sizeof why); /* else judged with the real clock, window edges unpinned */
    c->im.shard_claim_ex(5, 555, SPL_INTENT_WILLNEED, 2, 1000, pinned ? T : clock_now(c));
    int rec = record_of(&v, 5);
    if (!r_check(o, rec >= 0, "shard 5 is in no record after its claim")) { spl_sv_close(&v); return; }
    struct splinter_shard_bid *b = spl_sv_bid(&v, (unsigned)rec);
    uint64_t before = atomic_load(&b->claimed_at);
    if (pinned) fakeclock_set(T + 900);
    else spl_sleep_ns(2000000);
    uint64_t lo = pinned ? T + 900 : clock_now(c);
    struct callres r = CALL(c->im.shard_rebid(5, SPL_INTENT_SEQUENTIAL, 7, 2000));
    uint64_t hi = pinned ? T + 900 : clock_now(c);
    want_err(o, r, 0, 0, "shard_rebid(5)");
    char bb[256];
    uint64_t at = atomic_load(&b->claimed_at);
    r_check(o, at >= lo && at <= hi && at != before, "the re-bid left claimed_at %llu (claim %llu; the re-bid ran between %llu and %llu): %s", (unsigned long long)at,
            (unsigned long long)before, (unsigned long long)lo, (unsigned long long)hi, bid_bytes(b, bb, sizeof bb));
    r_check(o, atomic_load(&b->duration_tsc) == 2000 && atomic_load(&b->intent) == SPL_INTENT_SEQUENTIAL && atomic_load(&b->priority) == 7 &&
                   atomic_load(&b->pid) == 555 && atomic_load(&b->shard_id) == 5,
            "after shard_rebid(5, SEQUENTIAL, prio 7, 2000) the record is %s; want the new intent, priority and duration, pid 555 kept", bid_bytes(b, bb, sizeof bb));
    r_check(o, record_of(&v, 5) == rec, "the re-bid moved shard 5 from record %d to %d", rec, record_of(&v, 5));
    if (pinned) {
        /* the old window ended at T+1000; the new one runs to T+2900 */
        fakeclock_set(T + 2500);
        r_check(o, c->im.shard_election(NULL) == 5, "at tick T+2500, inside the re-bid's window [T+900, T+2900), shard 5 did not win");
        fakeclock_set(T + 2900);
        r_check(o, c->im.shard_election(NULL) != 5, "at tick T+2900, the end of the re-bid's window, shard 5 still won");
    }
    spl_sv_close(&v);
    if (!pinned) r_pass(o, "a re-bid restamped claimed_at with the current clock and replaced intent, priority and duration (window edges not judged: %s)", why);
    else r_pass(o, "a re-bid restamped claimed_at at the current tick, replaced intent, priority and duration, kept pid and record; the new window decides");
}

/* ---- ELE-011: a release empties the record ------------------------------------------ */

static void rule_ele011(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "ele11", 8, 64) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    uint64_t D = c->tps * 3600, now = clock_now(c);
    c->im.shard_claim_ex(9, 909, SPL_INTENT_DONTNEED, 200, D, now);
    c->im.shard_claim_ex(10, 910, SPL_INTENT_RANDOM, 1, D, now);
    int rec = record_of(&v, 9);
    if (!r_check(o, rec >= 0, "shard 9 is in no record after its claim")) { spl_sv_close(&v); return; }
    struct callres r = CALL(c->im.shard_release(9));
    want_err(o, r, 0, 0, "shard_release(9)");
    static const uint8_t zero[sizeof(struct splinter_shard_bid)];
    char bb[256];
    struct splinter_shard_bid *b = spl_sv_bid(&v, (unsigned)rec);
    /* all 32 bytes, padding included: a released record is zeroed whole */
    // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c)
    r_check(o, !memcmp(b, zero, sizeof zero), "after shard_release(9) its record %d still holds %s (want all 32 bytes zero)", rec, bid_bytes(b, bb, sizeof bb));
    r_check(o, c->im.shard_election(NULL) == 10, "after releasing the winner 9, the election says %u, want 10", c->im.shard_election(NULL));
    if (c->im.shard_table_snapshot) {
        struct splinter_shard_bid_snapshot t[SPLINTER_MAX_SHARDS];
        int n = c->im.shard_table_snapshot(t, SPLINTER_MAX_SHARDS);
        if (rec < n)
            r_check(o, t[rec].shard_id == 0 && t[rec].pid == 0 && t[rec].expired == 1 && t[rec].sovereign == 0,
                    "the table snapshot shows the released record %d as shard %u pid %u expired %d sovereign %d; want an empty record", rec, t[rec].shard_id,
                    t[rec].pid, t[rec].expired, t[rec].sovereign);
    }
    /* the freed record is claimable again */
    c->im.shard_claim_ex(11, 911, SPL_INTENT_RANDOM, 1, D, now);
    r_check(o, record_of(&v, 11) >= 0 && record_of(&v, 9) < 0, "after the release, shard 11's claim found no record (or 9 is back)");
    spl_sv_close(&v);
    r_pass(o, "a release zeroes all 32 bytes of its record, the election and the table snapshot forget it, and the record is claimable again");
}

/* ---- ELE-012: shard_claim and the queries, against the bytes --------------------------- */

static void rule_ele012(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "ele12", 8, 64) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    uint64_t D = c->tps * 3600;
    uint64_t lo = clock_now(c);
    struct callres r = CALL(c->im.shard_claim(11, SPL_INTENT_RANDOM, 4, D));
    uint64_t hi = clock_now(c);
    want_err(o, r, 0, 0, "shard_claim(11, RANDOM, 4, D)");
    int rec = record_of(&v, 11);
    char bb[256];
    if (r_check(o, rec >= 0, "shard 11 is in no record after shard_claim")) {
        struct splinter_shard_bid *b = spl_sv_bid(&v, (unsigned)rec);
        uint64_t at = atomic_load(&b->claimed_at);
        r_check(o, atomic_load(&b->pid) == (uint32_t)getpid() && atomic_load(&b->intent) == SPL_INTENT_RANDOM && atomic_load(&b->priority) == 4 &&
                       atomic_load(&b->duration_tsc) == D && at >= lo && at <= hi,
                "shard_claim wrote %s; want pid %d, intent RANDOM, prio 4, duration %llu, claimed_at in [%llu, %llu]", bid_bytes(b, bb, sizeof bb), (int)getpid(),
                (unsigned long long)D, (unsigned long long)lo, (unsigned long long)hi);
    }
    uint64_t now = clock_now(c);
    c->im.shard_claim_ex(12, 1212, SPL_INTENT_WILLNEED, 9, D, now);
    c->im.shard_claim_ex(13, 1313, SPL_INTENT_DONTNEED, 99, D, now); /* bumped by 12's WILLNEED */
    c->im.shard_claim_ex(14, 1414, SPL_INTENT_SEQUENTIAL, 99, 1, 1);   /* long expired */
    uint8_t intent = 0xEE;
    uint32_t sov = c->im.shard_election(&intent);
    r_check(o, sov == 12 && intent == SPL_INTENT_WILLNEED, "shard_election says %u with intent %u, want 12 with WILLNEED (%u)", sov, intent, SPL_INTENT_WILLNEED);
    for (uint32_t id = 11; id <= 15; id++) {
        int s = c->im.shard_is_sovereign(id);
        r_check(o, s == (id == sov), "shard_is_sovereign(%u) = %d while the election says %u", id, s, sov);
    }
    struct splinter_shard_bid_snapshot t[SPLINTER_MAX_SHARDS + 4];
    memset(t, 0xA5, sizeof t);
    r = CALL(c->im.shard_table_snapshot(t, SPLINTER_MAX_SHARDS + 4));
    r_check(o, r.rc == SPLINTER_MAX_SHARDS, "shard_table_snapshot(36) returned %s, want 32 records", CRS(r));
    uint64_t then = clock_now(c);
    for (int i = 0; i < SPLINTER_MAX_SHARDS && i < r.rc; i++) {
        struct splinter_shard_bid *b = spl_sv_bid(&v, (unsigned)i);
        uint32_t id = atomic_load(&b->shard_id);
        bool live = id && then - atomic_load(&b->claimed_at) < atomic_load(&b->duration_tsc);
        if (!r_check(o, t[i].shard_id == id && t[i].pid == atomic_load(&b->pid) && t[i].intent == atomic_load(&b->intent) &&
                            t[i].priority == atomic_load(&b->priority) && t[i].duration_tsc == atomic_load(&b->duration_tsc) &&
                            t[i].claimed_at == atomic_load(&b->claimed_at),
                     "snapshot record %d {shard %u pid %u intent %u prio %u} differs from the bytes %s", i, t[i].shard_id, t[i].pid, t[i].intent, t[i].priority,
                     bid_bytes(b, bb, sizeof bb)))
            break;
        r_check(o, t[i].expired == !live && t[i].sovereign == (id && id == sov), "snapshot record %d (shard %u): expired %d sovereign %d, want %d and %d", i, id,
                t[i].expired, t[i].sovereign, !live, id && id == sov);
    }
    memset(t, 0xA5, sizeof t);
    r = CALL(c->im.shard_table_snapshot(t, 2));
    r_check(o, r.rc == 2 && t[2].shard_id == 0xA5A5A5A5u, "shard_table_snapshot(2) returned %s and %s", CRS(r), t[2].shard_id == 0xA5A5A5A5u ? "stayed in 2 records" : "wrote a third");
    struct tie_arg ta = {c, sov};
    in_other_process(c, o, o->store, peer_elect, &ta, "the election in another process");
    spl_sv_close(&v);
    r_pass(o, "shard_claim stamps this pid and the clock; election, out_intent, is_sovereign and every field of the table snapshot agree with the bytes and another process");
}

static const char *const needs_tie[] = {"shard_claim_ex", "shard_release", "shard_election", NULL};
static const char *const needs_future[] = {"shard_claim_ex", "shard_election", NULL};
static const char *const needs_rebid[] = {"shard_claim_ex", "shard_rebid", "shard_election", NULL};
static const char *const needs_release[] = {"shard_claim_ex", "shard_release", "shard_election", NULL};
static const char *const needs_claim[] = {"shard_claim", "shard_claim_ex", "shard_election", "shard_is_sovereign", "shard_table_snapshot", NULL};

const struct rule ele2_rules[] = {
    {.id = "ELE-008", .severity = SEV_CRITICAL, .title = "a full tie (priority, claim time and pid equal) goes to the lowest shard id, whatever the table order, in every process",
     .needs = needs_tie, .run = rule_ele008, .timeout_s = 20},
    {.id = "ELE-009", .severity = SEV_MAJOR, .title = "a bid claimed in the future is live until its window ends, not expired by an unsigned wrap",
     .needs = needs_future, .run = rule_ele009, .timeout_s = 20},
    {.id = "ELE-010", .severity = SEV_MAJOR, .title = "a re-bid restamps claimed_at and replaces intent, priority and duration in its record; the new window decides",
     .needs = needs_rebid, .run = rule_ele010, .timeout_s = 20},
    {.id = "ELE-011", .severity = SEV_MAJOR, .title = "a release zeroes its whole record; the election and the snapshot forget it; the record is claimable again",
     .needs = needs_release, .run = rule_ele011, .timeout_s = 20},
    {.id = "ELE-012", .severity = SEV_MAJOR, .title = "shard_claim stamps pid and clock; election, out_intent, is_sovereign and the table snapshot agree with the bytes",
     .needs = needs_claim, .run = rule_ele012, .timeout_s = 20},
};
const size_t ele2_nrules = sizeof ele2_rules / sizeof ele2_rules[0];
