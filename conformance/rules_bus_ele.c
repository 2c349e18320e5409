/*
 * rules_bus_ele.c - BUS (event bus) and ELE (shard election, cooperative
 * madvise). The election is checked against a model of format-v4.md's
 * rules; madvise calls are counted below the implementation (intercept.c).
 */
#include "conform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- BUS --------------------------------------------------------------- */

struct bus_arg {
    struct conform *c;
    char store[512];
};

/* worker 0 owns the bus and writes; worker 1 opens it and waits. */
static int bus_worker(struct spl_worker *w, void *arg)
{
    struct bus_arg *a = arg;
    struct spl_impl *im = &a->c->im;
    uint64_t *res = w->shared; /* [0] rc [1] errno [2] elapsed ns [3] opened fd */
    if (worker_open(w, im, a->store) != 0) return 1;
    if (w->id == 0 && im->event_bus_init() != 0) {
        spl_worker_msg(w, "event_bus_init: %s", strerror(errno));
        spl_barrier_break(w->bar);
        return 1;
    }
    if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
    int fd = -1;
    if (w->id == 1) {
        fd = im->event_bus_open();
        res[3] = (uint64_t)(int64_t)fd;
        if (fd < 0) spl_worker_msg(w, "event_bus_open: %s", strerror(errno));
        while (fd >= 0 && im->event_bus_wait(fd, 0) == 0) {} /* drain what came before */
    }
    if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
    if (w->id == 0) {
        spl_sleep_ns(80000000);
        uint8_t val[32] = "bus";
        im->set("bus-k", val, sizeof val);
    } else if (fd >= 0) {
        uint64_t t0 = spl_time_ns();
        errno = 0;
        int rc = im->event_bus_wait(fd, 3000);
        res[0] = (uint64_t)(int64_t)rc;
        res[1] = (uint64_t)errno;
        res[2] = spl_time_ns() - t0;
    }
    spl_worker_sync(w); /* the owner stays alive until the waiter is done */
    if (fd >= 0) im->event_bus_close(fd);
    im->close();
    return 0;
}

static void rule_bus001(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "bus1", 16, 64) != 0) return;
    uint8_t val[32] = "x";
    c->im.set("bus-k", val, sizeof val);
    c->im.close();
    struct bus_arg a = {.c = c};
    snprintf(a.store, sizeof a.store, "%s", o->store);
    struct spl_team_opts to = {.workers = 2, .seed = c->seed, .log_cap = 1, .shared_len = 64, .deadline_ns = 20000000000ull};
    struct spl_team *t = spl_team_new(&to);
    if (!t) { r_error(o, "team: %s", strerror(errno)); return; }
    if (spl_team_run(t, bus_worker, &a) != 0) {
        char why[700];
        r_fail(o, "%s", spl_team_describe(t, why, sizeof why));
        spl_team_free(t);
        return;
    }
    uint64_t *res = spl_team_shared(t);
    double el = (double)res[2] / 1e6;
    if ((int64_t)res[3] < 0) r_fail(o, "event_bus_open in a second process failed: %s", spl_team_msg(t, 1));
    else if (r_check(o, (int64_t)res[0] == 0, "event_bus_wait(3000 ms) returned %d (%s) although the owner wrote after 80 ms",
                     (int)(int64_t)res[0], strerror((int)res[1])) &&
             r_check(o, el < 2500.0, "the waiter woke after %.1f ms for a write at 80 ms", el))
        r_pass(o, "a write by the bus owner woke a waiter in another process after %.1f ms", el);
    spl_team_free(t);
}

/* BUS-002: the write sets the dirty bit of its slot (slot index mod 1024). */
static void rule_bus002(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "bus2", 64, 64) != 0) return;
    if (c->im.event_bus_init() != 0) { r_fail(o, "event_bus_init: %s", strerror(errno)); return; }
    char path[512];
    store_path(c, o->store, path, sizeof path);
    struct spl_storeview v;
    if (spl_sv_open(&v, path, SPL_SV_WRITE) != 0) { r_error(o, "map %s: %s", path, strerror(errno)); return; }
    uint8_t val[32] = "dirty";
    int n = 0;
    for (unsigned k = 0; k < 6; k++) {
        char key[32];
        snprintf(key, sizeof key, "dirty-%u", k);
        for (int w = 0; w < SPLINTER_EVENT_BUS_MASK_WORDS; w++) atomic_store(&v.H->event_bus.dirty_mask[w], 0);
        if (c->im.set(key, val, sizeof val) != 0) { r_fail(o, "set(%s): %s", key, strerror(errno)); break; }
        long idx = spl_sv_find(&v, key);
        if (!r_check(o, idx >= 0, "%s not found in the bytes", key)) break;
        size_t m = (size_t)idx % 1024;
        uint64_t word = atomic_load(&v.H->event_bus.dirty_mask[m / 64]);
        r_check(o, word & (1ull << (m % 64)), "set(%s) into slot %ld did not set dirty bit %zu (word %zu = %#llx)", key, idx, m,
                m / 64, (unsigned long long)word);
        if (c->im.event_bus_get_dirty) {
            uint64_t out[SPLINTER_EVENT_BUS_MASK_WORDS] = {0};
            c->im.event_bus_get_dirty(out, SPLINTER_EVENT_BUS_MASK_WORDS);
            r_check(o, out[m / 64] == word, "event_bus_get_dirty word %zu = %#llx, header holds %#llx", m / 64,
                    (unsigned long long)out[m / 64], (unsigned long long)word);
        }
        n++;
    }
    spl_sv_close(&v);
    r_pass(o, "%d writes each set the dirty bit of their slot", n);
}

/* BUS-003: a wait with nothing written times out. */
static void rule_bus003(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "bus3", 16, 64) != 0) return;
    if (c->im.event_bus_init() != 0) { r_fail(o, "event_bus_init: %s", strerror(errno)); return; }
    int fd = c->im.event_bus_open();
    if (fd < 0) { r_fail(o, "event_bus_open: %s", strerror(errno)); return; }
    while (c->im.event_bus_wait(fd, 0) == 0) {}
    uint64_t t0 = spl_time_ns();
    struct callres r = CALL(c->im.event_bus_wait(fd, 120));
    double el = (double)(spl_time_ns() - t0) / 1e6;
    want_err(o, r, -1, ETIMEDOUT, "event_bus_wait(120 ms) on a quiet store");
    r_check(o, el >= 119.0 && el < 1200.0, "event_bus_wait(120 ms) returned after %.1f ms", el);
    c->im.event_bus_close(fd);
    r_pass(o, "event_bus_wait(120 ms) timed out after %.1f ms with ETIMEDOUT", el);
}

/* ---- ELE: the model -------------------------------------------------------- */

struct bid {
    uint32_t id, pid;
    uint8_t intent, prio;
    uint64_t dur, at; /* at: absolute claim time; in a scenario() table, ticks
                       * before the scenario starts (scenario() makes it absolute) */
};

static bool live(const struct bid *b, uint64_t now) { return b->id && now - b->at < b->dur; }

/* format-v4.md: bumper, then priority, earliest claim, lowest pid. Returns
 * the set of acceptable winners as a bit mask over shard ids 1..63: a full
 * tie (same priority, claim time and pid) is not ordered by the rules, so any
 * of the tied bids may win; 0 = nobody. */
static uint64_t model_elect_set(const struct bid *t, size_t n, uint64_t now)
{
    bool protective = false;
    for (size_t i = 0; i < n; i++)
        if (live(&t[i], now) && (t[i].intent == SPL_INTENT_WILLNEED || t[i].intent == SPL_INTENT_SEQUENTIAL)) protective = true;
    const struct bid *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct bid *b = &t[i];
        if (!live(b, now) || (protective && b->intent == SPL_INTENT_DONTNEED)) continue;
        if (!best || b->prio > best->prio || (b->prio == best->prio && (b->at < best->at || (b->at == best->at && b->pid < best->pid))))
            best = b;
    }
    if (!best) return 0;
    uint64_t set = 0;
    for (size_t i = 0; i < n; i++) {
        const struct bid *b = &t[i];
        if (live(b, now) && !(protective && b->intent == SPL_INTENT_DONTNEED) && b->prio == best->prio && b->at == best->at &&
            b->pid == best->pid && b->id < 64)
            set |= 1ull << b->id;
    }
    return set;
}

static bool model_accepts(uint64_t set, uint32_t got) { return set == 0 ? got == 0 : got < 64 && (set >> got & 1); }

static uint32_t model_elect(const struct bid *t, size_t n, uint64_t now)
{
    uint64_t set = model_elect_set(t, n, now);
    return set ? (uint32_t)__builtin_ctzll(set) : 0;
}

static int claim(struct spl_impl *im, const struct bid *b) { return im->shard_claim_ex(b->id, b->pid, b->intent, b->prio, b->dur, b->at); }

static void release_all(struct spl_impl *im, const struct bid *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].id) im->shard_release(t[i].id);
}

static const char *bid_str(const struct bid *b, char *buf, size_t n, uint64_t base)
{
    static const char *in[] = {"NONE", "WILLNEED", "SEQUENTIAL", "RANDOM", "DONTNEED"};
    snprintf(buf, n, "{shard %u pid %u %s prio %u claimed %+lld}", b->id, b->pid, b->intent < 5 ? in[b->intent] : "?", b->prio,
             (long long)(b->at - base));
    return buf;
}

/* Runs one scenario: claim bids in the given order, compare the election. */
static void scenario(struct conform *c, struct rule_out *o, const char *what, struct bid *t, size_t n, int *count)
{
    uint64_t now = spl_impl_now(&c->im);
    for (size_t i = 0; i < n; i++) {
        /* claim times are relative (ticks ago); windows long enough to stay live */
        t[i].at = now - t[i].at;
        if (claim(&c->im, &t[i]) != 0) { r_fail(o, "%s: shard_claim_ex(%u) failed: %s", what, t[i].id, strerror(errno)); return; }
    }
    uint64_t later = spl_impl_now(&c->im);
    uint32_t want = model_elect(t, n, later);
    uint32_t got = c->im.shard_election(NULL);
    if (!model_accepts(model_elect_set(t, n, later), got)) {
        char line[1024] = "";
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
            char b[128];
            len += (size_t)snprintf(line + len, sizeof line - len, "%s ", bid_str(&t[i], b, sizeof b, now));
        }
        r_fail(o, "%s: election chose shard %u, the rules choose %u", what, got, want);
        r_cex(o, "%s: bids %s-> elected %u, want %u", what, line, got, want);
    }
    release_all(&c->im, t, n);
    (*count)++;
}

/* ELE-002: priority, then earliest claim, then lowest pid, whatever the table order. */
static void rule_ele002(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "ele2", 8, 64) != 0) return;
    uint64_t D = c->tps * 60, ms = ticks_per_ms(c);
    int n = 0;
    for (int order = 0; order < 2; order++) {
        struct bid a1[2] = {{1, 100, SPL_INTENT_RANDOM, 3, D, 10 * ms}, {2, 100, SPL_INTENT_RANDOM, 7, D, 5 * ms}};
        struct bid a2[2] = {{3, 100, SPL_INTENT_RANDOM, 4, D, 20 * ms}, {4, 100, SPL_INTENT_RANDOM, 4, D, 30 * ms}};
        struct bid a3[2] = {{5, 300, SPL_INTENT_RANDOM, 4, D, 20 * ms}, {6, 200, SPL_INTENT_RANDOM, 4, D, 20 * ms}};
        struct bid *s[3] = {a1, a2, a3};
        const char *what[3] = {"higher priority wins", "earlier claim wins a priority tie", "lower pid wins a full tie"};
        for (int k = 0; k < 3; k++) {
            if (order) { struct bid tmp = s[k][0]; s[k][0] = s[k][1]; s[k][1] = tmp; }
            /* a3 needs identical claim times: set both from one clock reading */
            scenario(c, o, what[k], s[k], 2, &n);
        }
    }
    r_pass(o, "%d scenarios (both table orders): priority, then earliest claim, then lowest pid", n);
}

/* ELE-004: a live WILLNEED or SEQUENTIAL bid keeps DONTNEED bids from winning. */
static void rule_ele004(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "ele4", 8, 64) != 0) return;
    uint64_t D = c->tps * 60, ms = ticks_per_ms(c);
    int n = 0;
    struct bid b1[2] = {{1, 10, SPL_INTENT_DONTNEED, 9, D, 5 * ms}, {2, 11, SPL_INTENT_WILLNEED, 1, D, 5 * ms}};
    scenario(c, o, "live WILLNEED bumps a higher-priority DONTNEED", b1, 2, &n);
    struct bid b2[2] = {{1, 10, SPL_INTENT_DONTNEED, 9, D, 5 * ms}, {2, 11, SPL_INTENT_SEQUENTIAL, 1, D, 5 * ms}};
    scenario(c, o, "live SEQUENTIAL bumps a higher-priority DONTNEED", b2, 2, &n);
    struct bid b3[2] = {{1, 10, SPL_INTENT_DONTNEED, 9, D, 5 * ms}, {2, 11, SPL_INTENT_RANDOM, 1, D, 5 * ms}};
    scenario(c, o, "RANDOM does not bump DONTNEED", b3, 2, &n);
    struct bid b4[2] = {{1, 10, SPL_INTENT_DONTNEED, 9, D, 5 * ms}, {2, 11, SPL_INTENT_WILLNEED, 1, 1 * ms, 50 * ms}};
    scenario(c, o, "an expired WILLNEED does not bump", b4, 2, &n);
    struct bid b5[1] = {{1, 10, SPL_INTENT_DONTNEED, 9, D, 5 * ms}};
    scenario(c, o, "a lone DONTNEED wins", b5, 1, &n);
    r_pass(o, "%d scenarios: DONTNEED yields exactly to live WILLNEED/SEQUENTIAL bids", n);
}

/* ELE-005: 32 records; the 33rd claim fails with ENOSPC and overwrites nothing. */
static void rule_ele005(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "ele5", 8, 64) != 0) return;
    uint64_t D = c->tps * 60;
    for (uint32_t i = 1; i <= 32; i++)
        if (c->im.shard_claim_ex(i, 1000 + i, SPL_INTENT_RANDOM, 1, D, 1) != 0) {
            r_fail(o, "claim %u of 32 failed: %s", i, strerror(errno));
            return;
        }
    want_err(o, CALL(c->im.shard_claim_ex(33, 2000, SPL_INTENT_RANDOM, 9, D, 1)), -1, ENOSPC, "the 33rd claim");
    int rc;
    if (c->im.shard_table_snapshot) {
        struct splinter_shard_bid_snapshot t[32];
        int n = c->im.shard_table_snapshot(t, 32);
        bool seen[33] = {false};
        for (int i = 0; i < n; i++)
            if (t[i].shard_id >= 1 && t[i].shard_id <= 32) seen[t[i].shard_id] = true;
        for (uint32_t i = 1; i <= 32; i++)
            if (!seen[i]) { r_check(o, false, "after the 33rd claim, shard %u's record is gone from the table", i); break; }
    }
    rc = c->im.shard_claim_ex(5, 1005, SPL_INTENT_WILLNEED, 2, D, 1);
    r_check(o, rc == 0, "re-claiming shard 5 in a full table returned %d (%s)", rc, strerror(errno));
    c->im.shard_release(7);
    rc = c->im.shard_claim_ex(33, 2000, SPL_INTENT_RANDOM, 9, D, 1);
    r_check(o, rc == 0, "claim after a release in a full table returned %d (%s)", rc, strerror(errno));
    r_pass(o, "32 claims fit, the 33rd failed with ENOSPC leaving the table intact; re-claim and claim-after-release work");
}

/* ELE-001: N processes agree on every sovereign over a scripted schedule. */
#define ELE_STEPS 40
#define ELE_IDS 12
struct ele_arg {
    struct conform *c;
    char store[512];
    struct bid sched[ELE_STEPS][ELE_IDS]; /* desired table at each step (id 0 = released) */
};

static int ele_worker(struct spl_worker *w, void *arg)
{
    struct ele_arg *a = arg;
    struct spl_impl *im = &a->c->im;
    uint32_t *votes = w->shared; /* [step][worker] */
    if (worker_open(w, im, a->store) != 0) return 1;
    for (int s = 0; s < ELE_STEPS; s++) {
        if (w->id == 0) {
            for (int i = 0; i < ELE_IDS; i++) {
                const struct bid *b = &a->sched[s][i];
                if (b->id) claim(im, b);
                else im->shard_release((uint32_t)i + 1);
            }
        }
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        votes[s * w->nworkers + w->id] = im->shard_election(NULL);
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
    }
    im->close();
    return 0;
}

static void rule_ele001(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "ele1", 8, 64) != 0) return;
    c->im.close();
    struct ele_arg *a = calloc(1, sizeof *a);
    if (!a) return;
    a->c = c;
    snprintf(a->store, sizeof a->store, "%s", o->store);
    struct spl_rng rng;
    spl_rng_seed(&rng, c->seed ^ 0xE1Eull);
    uint64_t now = spl_impl_now(&c->im);
    uint64_t D = c->tps * 3600;
    for (int s = 0; s < ELE_STEPS; s++)
        for (int i = 0; i < ELE_IDS; i++) {
            struct bid *b = &a->sched[s][i];
            if (s > 0 && spl_rng_below(&rng, 3)) { *b = a->sched[s - 1][i]; continue; } /* keep most bids */
            if (spl_rng_below(&rng, 4) == 0) { memset(b, 0, sizeof *b); continue; }
            b->id = (uint32_t)i + 1;
            b->pid = 100 + (uint32_t)spl_rng_below(&rng, 3);        /* few pids: ties */
            b->intent = (uint8_t)spl_rng_below(&rng, 5);
            b->prio = (uint8_t)spl_rng_below(&rng, 3);                /* few priorities: ties */
            b->at = now - 1000000 * (1 + spl_rng_below(&rng, 3));    /* few claim times: ties */
            b->dur = spl_rng_below(&rng, 8) ? D : 1;                  /* some already expired */
        }
    struct spl_team_opts to = {.workers = c->workers, .seed = c->seed, .log_cap = 1,
                               .shared_len = sizeof(uint32_t) * ELE_STEPS * c->workers, .deadline_ns = 30000000000ull};
    struct spl_team *t = spl_team_new(&to);
    if (!t) { free(a); r_error(o, "team: %s", strerror(errno)); return; }
    if (spl_team_run(t, ele_worker, a) != 0) {
        char why[700];
        r_fail(o, "%s", spl_team_describe(t, why, sizeof why));
    } else {
        uint32_t *votes = spl_team_shared(t);
        uint64_t at_eval = spl_impl_now(&c->im);
        int bad = 0;
        for (int s = 0; s < ELE_STEPS; s++) {
            uint64_t ok = model_elect_set(a->sched[s], ELE_IDS, at_eval);
            uint32_t want = model_elect(a->sched[s], ELE_IDS, at_eval), first = votes[s * c->workers];
            for (uint32_t w = 0; w < c->workers; w++) {
                uint32_t v = votes[s * c->workers + w];
                if ((!model_accepts(ok, v) || v != first) && bad++ < 4) {
                    char line[2048] = "";
                    size_t len = 0;
                    for (int i = 0; i < ELE_IDS; i++) {
                        char b[128];
                        if (a->sched[s][i].id && live(&a->sched[s][i], at_eval))
                            len += (size_t)snprintf(line + len, sizeof line - len, "%s ", bid_str(&a->sched[s][i], b, sizeof b, now));
                    }
                    r_cex(o, "step %d: worker %u elected shard %u, the rules elect %u; live bids: %s", s, w, v, want, line);
                }
            }
        }
        if (bad) r_fail(o, "%d votes over %d steps disagree with the rules or with each other", bad, ELE_STEPS);
        else r_pass(o, "%u processes agreed with each other and with the rules on all %d steps of a random bid schedule", c->workers, ELE_STEPS);
    }
    spl_team_free(t);
    free(a);
}

/* ELE-003: a bid expires exactly when elapsed == duration (half-open window),
 * checked with the implementation's rdtsc answered by a clock we set. */
static void rule_ele003(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "ele3", 8, 64) != 0) return;
    const uint64_t T = 1000000000000ull;
    if (fakeclock_install(T) != 0) { r_skip(o, "cannot trap rdtsc on this machine (PR_SET_TSC): expiry cannot be pinned to a tick"); return; }
    /* does the implementation's clock obey? rebid stamps claimed_at = now */
    c->im.shard_claim_ex(9, 1, SPL_INTENT_RANDOM, 1, 1000, T);
    fakeclock_set(T + 777);
    bool obeys = false;
    if (c->im.shard_rebid && c->im.shard_table_snapshot) {
        c->im.shard_rebid(9, SPL_INTENT_RANDOM, 1, 1000);
        struct splinter_shard_bid_snapshot t[32];
        int n = c->im.shard_table_snapshot(t, 32);
        for (int i = 0; i < n; i++) if (t[i].shard_id == 9) obeys = t[i].claimed_at == T + 777;
    } else if (c->im.now) {
        obeys = c->im.now() == T + 777;
    }
    c->im.shard_release(9);
    if (!obeys) { r_skip(o, "the implementation's clock is not rdtsc (our trapped clock did not reach it)"); return; }
    const uint64_t at = T + 5000, dur = 400;
    struct { uint64_t now; bool live; } pts[] = {
        {at, true}, {at + 1, true}, {at + dur - 1, true}, {at + dur, false}, {at + dur + 1, false},
    };
    c->im.shard_claim_ex(3, 42, SPL_INTENT_RANDOM, 5, dur, at);
    int n = 0;
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        fakeclock_set(pts[i].now);
        uint32_t got = c->im.shard_election(NULL);
        r_check(o, (got == 3) == pts[i].live, "bid claimed at tick %llu for %llu ticks: at tick %llu (elapsed %llu) the election says %s, want %s",
                (unsigned long long)at, (unsigned long long)dur, (unsigned long long)pts[i].now, (unsigned long long)(pts[i].now - at),
                got == 3 ? "live" : "expired", pts[i].live ? "live" : "expired");
        n++;
    }
    /* duration 0 is expired at once */
    fakeclock_set(at);
    c->im.shard_claim_ex(4, 43, SPL_INTENT_RANDOM, 9, 0, at);
    r_check(o, c->im.shard_election(NULL) != 4, "a bid of duration 0 won the election at its own claim tick");
    r_pass(o, "%d ticks around the boundary: live while elapsed < duration, expired at elapsed == duration; duration 0 never lives", n);
}

/* ELE-006 / ELE-007: cooperative madvise. */
static bool madvise_ready(struct conform *c, struct rule_out *o)
{
    char why[256];
    if (madvise_counter_open(MADV_WILLNEED, why, sizeof why) != 0) {
        r_skip(o, "cannot count madvise(2) calls in the kernel: %s", why);
        return false;
    }
    return store_create(c, o, "ele6", 16, 4096) == 0;
}

static void rule_ele006(struct conform *c, struct rule_out *o)
{
    if (!madvise_ready(c, o)) return;
    uint64_t D = c->tps * 60, now = spl_impl_now(&c->im);
    pid_t me = getpid();
    c->im.shard_claim_ex(1, (uint32_t)me, SPL_INTENT_WILLNEED, 1, D, now);
    c->im.shard_claim_ex(2, (uint32_t)me + 1, SPL_INTENT_WILLNEED, 9, D, now); /* a stronger bid */
    madvise_counter_reset();
    struct callres cr = CALL(c->im.madvise(1, NULL, 0, POSIX_MADV_WILLNEED, 0));
    unsigned long calls = madvise_counter_get();
    r_check(o, calls == 0, "splinter_madvise(shard 1) reached madvise(2) %lu time(s) while shard 2 was sovereign", calls);
    want_err(o, cr, -1, EAGAIN, "splinter_madvise as non-sovereign with timeout 0");
    int rc;
    c->im.shard_release(2);
    madvise_counter_reset();
    rc = c->im.madvise(1, NULL, 0, POSIX_MADV_WILLNEED, 0);
    calls = madvise_counter_get();
    r_check(o, rc == 0, "splinter_madvise as sovereign returned %d (%s)", rc, strerror(errno));
    r_check(o, calls == 1, "splinter_madvise as sovereign reached madvise(2) %lu times, want 1", calls);
    madvise_counter_reset();
    rc = c->im.madvise(77, NULL, 0, POSIX_MADV_WILLNEED, 0);
    calls = madvise_counter_get();
    r_check(o, rc != 0 && calls == 0, "splinter_madvise for an unclaimed shard returned %d and reached madvise(2) %lu times", rc, calls);
    r_pass(o, "madvise(2) reached the kernel exactly once, only as sovereign (non-sovereign: EAGAIN, 0 calls; unclaimed shard refused)");
}

struct wake_arg {
    struct conform *c;
    char store[512];
};

static void rule_ele007(struct conform *c, struct rule_out *o)
{
    if (!madvise_ready(c, o)) return;
    uint64_t ms = ticks_per_ms(c), now = spl_impl_now(&c->im);
    pid_t me = getpid();
    c->im.shard_claim_ex(1, (uint32_t)me, SPL_INTENT_WILLNEED, 1, c->tps * 60, now);
    c->im.shard_claim_ex(2, (uint32_t)me + 1, SPL_INTENT_WILLNEED, 9, c->tps * 60, now);
    /* timeout 0: EAGAIN at once */
    madvise_counter_reset();
    uint64_t t0 = spl_time_ns();
    struct callres cr = CALL(c->im.madvise(1, NULL, 0, POSIX_MADV_WILLNEED, 0));
    double el = (double)(spl_time_ns() - t0) / 1e6;
    want_err(o, cr, -1, EAGAIN, "timeout 0 as non-sovereign");
    /* "at once" against the other bid's 60 s window; 500 ms leaves a loaded
     * machine room to deschedule the caller */
    r_check(o, el < 500.0, "timeout 0 as non-sovereign returned only after %.1f ms, want at once", el);
    /* a deadline: ETIMEDOUT, not before it */
    t0 = spl_time_ns();
    cr = CALL(c->im.madvise(1, NULL, 0, POSIX_MADV_WILLNEED, 120 * ms));
    double el2 = (double)(spl_time_ns() - t0) / 1e6;
    want_err(o, cr, -1, ETIMEDOUT, "timeout 120 ms as non-sovereign");
    r_check(o, el2 >= 115.0 && el2 < 2000.0, "timeout 120 ms returned after %.1f ms", el2);
    r_check(o, madvise_counter_get() == 0, "madvise(2) reached the kernel %lu times while deferring", madvise_counter_get());
    /* the sovereign's window ends 150 ms from now: the waiter must take over.
     * Timed from before the claim: a caller descheduled between the claim
     * and its call (a loaded machine) finds less of the window left, and
     * timing from the call made that a wake "before the window ended". */
    t0 = spl_time_ns();
    c->im.shard_claim_ex(2, (uint32_t)me + 1, SPL_INTENT_WILLNEED, 9, 150 * ms, spl_impl_now(&c->im));
    madvise_counter_reset();
    cr = CALL(c->im.madvise(1, NULL, 0, POSIX_MADV_WILLNEED, 3000 * ms));
    double el3 = (double)(spl_time_ns() - t0) / 1e6;
    r_check(o, cr.rc == 0, "waiting for a 150 ms window to end (timeout 3 s) returned %s after %.1f ms", CRS(cr), el3);
    r_check(o, el3 >= 120.0 && el3 < 2500.0, "the waiter became sovereign after %.1f ms; the window ended at 150 ms", el3);
    r_check(o, madvise_counter_get() == 1, "madvise(2) reached the kernel %lu times after the wait, want 1", madvise_counter_get());
    r_pass(o, "EAGAIN at once (%.1f ms), ETIMEDOUT at the deadline (%.1f of 120 ms), woke %.1f ms after a 150 ms window began", el, el2, el3);
}

static const char *const needs_bus[] = {"set", "event_bus_init", "event_bus_open", "event_bus_wait", "event_bus_close", NULL};
static const char *const needs_bus3[] = {"event_bus_init", "event_bus_open", "event_bus_wait", "event_bus_close", NULL};
static const char *const needs_ele5[] = {"shard_claim_ex", "shard_release", NULL};
static const char *const needs_mad7[] = {"shard_claim_ex", "madvise", NULL};
static const char *const needs_bus2[] = {"set", "event_bus_init", NULL};
static const char *const needs_ele[] = {"shard_claim_ex", "shard_release", "shard_election", NULL};
static const char *const needs_mad[] = {"shard_claim_ex", "shard_release", "madvise", NULL};

const struct rule bus_rules[] = {
    {.id = "BUS-001", .severity = SEV_MAJOR, .title = "a write in one process wakes an event-bus waiter in another",
     .needs = needs_bus, .run = rule_bus001, .timeout_s = 30},
    {.id = "BUS-002", .severity = SEV_MAJOR, .title = "a write sets the dirty bit of its slot (index mod 1024)",
     .needs = needs_bus2, .run = rule_bus002, .timeout_s = 20},
    {.id = "BUS-003", .severity = SEV_MINOR, .title = "event_bus_wait on a quiet store times out with ETIMEDOUT, not before",
     .needs = needs_bus3, .run = rule_bus003, .timeout_s = 20},
};
const size_t bus_nrules = sizeof bus_rules / sizeof bus_rules[0];

const struct rule ele_rules[] = {
    {.id = "ELE-001", .severity = SEV_CRITICAL, .title = "all processes agree on every sovereign over a random bid schedule, and it is the one the rules elect",
     .needs = needs_ele, .run = rule_ele001, .timeout_s = 30},
    {.id = "ELE-002", .severity = SEV_CRITICAL, .title = "election order: higher priority, then earliest claim, then lowest pid",
     .needs = needs_ele, .run = rule_ele002, .timeout_s = 20},
    {.id = "ELE-003", .severity = SEV_MAJOR, .title = "a bid expires exactly when elapsed == duration (checked tick by tick with a trapped rdtsc)",
     .needs = needs_ele, .run = rule_ele003, .timeout_s = 20},
    {.id = "ELE-004", .severity = SEV_MAJOR, .title = "a live WILLNEED/SEQUENTIAL bid keeps DONTNEED bids from winning (soft bumper)",
     .needs = needs_ele, .run = rule_ele004, .timeout_s = 20},
    {.id = "ELE-005", .severity = SEV_MAJOR, .title = "the table holds 32 bids: the 33rd claim fails with ENOSPC and overwrites nothing",
     .needs = needs_ele5, .run = rule_ele005, .timeout_s = 20},
    {.id = "ELE-006", .severity = SEV_CRITICAL, .title = "splinter_madvise reaches madvise(2) only as sovereign (syscalls counted by a perf tracepoint)",
     .needs = needs_mad, .run = rule_ele006, .timeout_s = 20},
    {.id = "ELE-007", .severity = SEV_MAJOR, .title = "splinter_madvise defers: EAGAIN with timeout 0, ETIMEDOUT at the deadline, wakes when the window ends",
     .needs = needs_mad7, .run = rule_ele007, .timeout_s = 30},
};
const size_t ele_nrules = sizeof ele_rules / sizeof ele_rules[0];
