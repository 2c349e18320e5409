/*
 * rules_lcy.c - LCY: store lifecycle races (racing creates, reopens),
 * concurrent claims, sovereign agreement, writers that fail under contention.
 *
 * Races start on a common beat (every process spins until the same
 * CLOCK_MONOTONIC instant) rather than on a barrier's wake-up, which reaches
 * processes tens of microseconds apart: longer than the windows raced for.
 */
#include "conform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LCY_MAXW 32
#define LCY_SLOTS 64
#define LCY_MAXVAL 256

struct lcy_res {
    int rc, err;
    uint64_t t0, t1;
    unsigned lost;        /* keys of other processes it could not read back */
    int open_rc, open_err;
};

struct lcy_shared {
    _Atomic uint64_t go;             /* the beat of the current round */
    char name[512];                  /* the current round's store */
    struct lcy_res res[LCY_MAXW];
    uint32_t votes[LCY_MAXW];        /* LCY-005 */
    uint8_t intents[LCY_MAXW];
    _Atomic int stop;
};

static void wait_beat(struct lcy_shared *sh)
{
    uint64_t go;
    while (!(go = atomic_load(&sh->go))) {}
    while (spl_time_ns() < go) {}
}

struct lcy {
    struct conform *c;
    unsigned rounds;
    bool open_first;                 /* LCY-002: open_or_create; LCY-001: create_or_open */
};

static struct spl_team *lcy_team(struct conform *c, struct rule_out *o, unsigned n)
{
    struct spl_team_opts to = {.workers = n, .seed = c->seed, .log_cap = 1, .shared_len = sizeof(struct lcy_shared),
                               .deadline_ns = 60000000000ull, .barrier_ns = 20000000000ull};
    struct spl_team *t = spl_team_new(&to);
    if (!t) r_error(o, "cannot allocate the team: %s", strerror(errno));
    return t;
}

/* Runs fn in min(--workers, LCY_MAXW) processes (their number in *n): the
 * team, or NULL once the failure is reported (no team, or a process that
 * did not finish cleanly). */
static struct spl_team *lcy_run(struct conform *c, struct rule_out *o, int (*fn)(struct spl_worker *, void *), void *arg,
                                unsigned *n)
{
    *n = c->workers > LCY_MAXW ? LCY_MAXW : c->workers;
    struct spl_team *t = lcy_team(c, o, *n);
    if (!t) return NULL;
    if (spl_team_run(t, fn, arg) != 0) {
        char why[700];
        r_fail(o, "a process did not finish cleanly: %s", spl_team_describe(t, why, sizeof why));
        spl_team_free(t);
        return NULL;
    }
    return t;
}

/* ---- LCY-001/002: racing create_or_open / open_or_create on a new name ------ */

/* Each round races for RACES new names, one every RACE_GAP_NS. In race k
 * process i starts i x d_k after the race's beat, d_k sweeping 0..15 steps (8 us for create_or_open, 1 us for open_or_create), so
 * that a later process's call lands at every point of the first one's create
 * (tens of microseconds to a millisecond) across the races, whatever the machine's
 * speed; d_k = 0 races head on. Racers: --workers, at most the CPUs online
 * (a process that is not running at its start time does not race). */
#define RACES 16
#define RACE_GAP_NS 2000000ull
/* a store of a size applications use: its creation takes long enough (the
 * slot table is initialised) for a racing opener to find it unfinished */
#define RACE_SLOTS 16384u
/* LCY-002's window (open's ENOENT to its create) does not grow with the
 * store, and a racer's open still lands inside the winner's create (its
 * starts are 0..15 us apart): a quarter of the size makes its 640 stores */
#define RACE_SLOTS_OPEN_FIRST 4096u
#define RACE_MAXVAL 64u

struct race_shared {
    _Atomic uint64_t go;
    char names[RACES][256];
    struct lcy_res res[RACES][LCY_MAXW];
};

static int race_worker(struct spl_worker *w, struct lcy *L, uint32_t nracers)
{
    struct spl_impl *im = &L->c->im;
    struct race_shared *sh = w->shared;
    uint8_t v[RACE_MAXVAL], buf[RACE_MAXVAL];
    char key[32];
    snprintf(key, sizeof key, "lcy-w%u", w->id);
    for (unsigned r = 0; r < L->rounds; r++) {
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1; /* the orchestrator named the stores and set the beat */
        uint64_t base;
        while (!(base = atomic_load(&sh->go))) {}
        for (unsigned k = 0; k < RACES; k++) {
            struct lcy_res *o = &sh->res[k][w->id];
            memset(o, 0, sizeof *o);
            /* create_or_open loses inside the winner's create (up to a ms);
             * open_or_create between its open and its create (microseconds) */
            uint64_t step = L->open_first ? 1000u : 8000u;
            uint64_t start = base + k * RACE_GAP_NS + (uint64_t)w->id * ((k % 16) * step);
            while (spl_time_ns() < start) {}
            o->t0 = spl_time_ns();
            errno = 0;
            o->rc = L->open_first ? im->open_or_create(sh->names[k], RACE_SLOTS_OPEN_FIRST, RACE_MAXVAL)
                                  : im->create_or_open(sh->names[k], RACE_SLOTS, RACE_MAXVAL);
            o->err = o->rc ? errno : 0;
            o->t1 = spl_time_ns();
            if (o->rc != 0) continue;
            spl_payload_make(v, sizeof v, w->id, w->id, (uint64_t)r * RACES + k + 1);
            for (int t = 0; t < 10000 && im->set(key, v, sizeof v) != 0 && errno == EAGAIN; t++) {}
            im->close();
        }
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        /* every process's write is in each store, seen from every process */
        for (unsigned k = 0; k < RACES; k++) {
            struct lcy_res *o = &sh->res[k][w->id];
            if (o->rc != 0) continue;
            if (im->open(sh->names[k]) != 0) { o->lost = nracers; continue; }
            for (uint32_t i = 0; i < nracers; i++) {
                if (sh->res[k][i].rc != 0) continue;
                char ki[32];
                snprintf(ki, sizeof ki, "lcy-w%u", i);
                size_t got = 0;
                int rc = -1;
                for (int t = 0; t < 10000 && (rc = im->get(ki, buf, sizeof buf, &got)) != 0 && errno == EAGAIN; t++) {}
                struct spl_payload_info in;
                if (rc != 0 || spl_payload_check(buf, got, i, &in) != SPL_PAYLOAD_OK || in.seq != (uint64_t)r * RACES + k + 1)
                    o->lost++;
            }
            im->close();
        }
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
    }
    return 0;
}

struct race_orch {
    struct lcy *L;
    uint32_t nracers;
};

/* The orchestrator takes part as an extra party of the barrier: it is the
 * team's last worker, and does not race. */
static int race_team_fn(struct spl_worker *w, void *arg)
{
    struct race_orch *R = arg;
    struct lcy *L = R->L;
    struct race_shared *sh = w->shared;
    if (w->id < R->nracers) return race_worker(w, L, R->nracers);
    struct spl_impl *im = &L->c->im;
    unsigned bad = 0, calls = 0;
    char *msg = w->msg;
    for (unsigned r = 0; r < L->rounds; r++) {
        for (unsigned k = 0; k < RACES; k++) {
            char tag[32];
            snprintf(tag, sizeof tag, "lcy%c-%u-%u", L->open_first ? 'b' : 'a', r, k);
            spl_impl_store_name(im, tag, sh->names[k], sizeof sh->names[k]);
            spl_impl_store_remove(im, sh->names[k]);
        }
        atomic_store(&sh->go, spl_time_ns() + 20000000ull);
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        atomic_store(&sh->go, 0);
        for (unsigned k = 0; k < RACES; k++) {
            for (uint32_t i = 0; i < R->nracers; i++) {
                const struct lcy_res *x = &sh->res[k][i];
                calls++;
                if (x->rc != 0) {
                    if (!bad++)
                        snprintf(msg, SPL_MSG_MAX, "round %u race %u: process %u's %s returned %d (%s) after %.3f ms (it "
                                                   "started %.0f us after process 0)", r, k, i,
                                 L->open_first ? "open_or_create" : "create_or_open", x->rc, strerror(x->err),
                                 (double)(x->t1 - x->t0) / 1e6, (double)(x->t0 - sh->res[k][0].t0) / 1e3);
                } else if (x->lost) {
                    if (!bad++)
                        snprintf(msg, SPL_MSG_MAX, "round %u race %u: process %u could not read back %u of the other processes' "
                                                   "writes (a racing create wiped them, or they went to another store)", r, k, i,
                                 x->lost);
                }
            }
            /* one store, of the geometry asked for */
            char path[512];
            struct spl_storeview v;
            spl_impl_store_path(im, sh->names[k], path, sizeof path);
            if (spl_sv_open(&v, path, 0) != 0) {
                if (!bad++) snprintf(msg, SPL_MSG_MAX, "round %u race %u: no readable store at %s after the race: %s", r, k, path,
                                     strerror(errno));
            } else {
                uint32_t want = L->open_first ? RACE_SLOTS_OPEN_FIRST : RACE_SLOTS;
                if ((v.slots != want || v.max_val != RACE_MAXVAL) && !bad++)
                    snprintf(msg, SPL_MSG_MAX, "round %u race %u: the store has %u slots of %u bytes, not the %u of %u asked for",
                             r, k, v.slots, v.max_val, want, RACE_MAXVAL);
                spl_sv_close(&v);
            }
            spl_impl_store_remove(im, sh->names[k]);
        }
    }
    *(unsigned *)(sh + 1) = bad;
    *((unsigned *)(sh + 1) + 1) = calls;
    return 0;
}

static void race_rule(struct conform *c, struct rule_out *o, bool open_first)
{
    /* open_or_create loses only inside a window of microseconds (between
     * its open's ENOENT and its create): 5 x the races, so that one default
     * run catches a transient-failure mutant in >= 19 of 20 runs (docs/spec.md) */
    struct lcy L = {.c = c, .rounds = open_first ? 40 : 8, .open_first = open_first};
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    uint32_t n = c->workers;
    if (ncpu >= 2 && n > (uint32_t)ncpu) n = (uint32_t)ncpu;
    if (n > LCY_MAXW - 1) n = LCY_MAXW - 1;
    struct spl_team_opts to = {.workers = n + 1, .seed = c->seed, .log_cap = 1,
                               .shared_len = sizeof(struct race_shared) + 2 * sizeof(unsigned),
                               .deadline_ns = 60000000000ull, .barrier_ns = 20000000000ull};
    struct spl_team *t = spl_team_new(&to);
    if (!t) { r_error(o, "cannot allocate the team: %s", strerror(errno)); return; }
    struct race_orch R = {.L = &L, .nracers = n};
    int rc = spl_team_run(t, race_team_fn, &R);
    struct race_shared *sh = spl_team_shared(t);
    for (unsigned k = 0; k < RACES; k++) if (sh->names[k][0]) spl_impl_store_remove(&c->im, sh->names[k]);
    unsigned bad = *(unsigned *)(sh + 1), calls = *((unsigned *)(sh + 1) + 1);
    const char *fn = open_first ? "open_or_create" : "create_or_open";
    if (rc != 0) {
        char why[700];
        r_fail(o, "a process did not finish cleanly: %s", spl_team_describe(t, why, sizeof why));
    } else if (bad) {
        r_cex(o, "%s", spl_team_msg(t, n));
        r_fail(o, "%u of %u %s calls racing on new names failed, or lost a write (first case below)", bad, calls, fn);
    } else {
        r_pass(o, "%u races of %u processes on a new name each, %u slots (starts staggered by 0..15 x %u us): all %u %s calls "
                  "succeeded, one store of the geometry asked for, every process's write seen by all", L.rounds * RACES, n,
               open_first ? RACE_SLOTS_OPEN_FIRST : RACE_SLOTS, open_first ? 1u : 8u, calls, fn);
    }
    spl_team_free(t);
}

static void rule_lcy001(struct conform *c, struct rule_out *o) { race_rule(c, o, false); }
static void rule_lcy002(struct conform *c, struct rule_out *o) { race_rule(c, o, true); }

/* ---- LCY-003: reopening an existing store never reinitialises it ---------- */

#define KEEP_KEYS 24

struct reopen {
    struct conform *c;
    char name[512];
    unsigned rounds;
};

static int reopen_worker(struct spl_worker *w, void *arg)
{
    struct reopen *X = arg;
    struct spl_impl *im = &X->c->im;
    struct lcy_shared *sh = w->shared;
    uint8_t buf[LCY_MAXVAL], v[128];
    char key[32];
    for (unsigned r = 0; r < X->rounds; r++) {
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        if (w->id == 0) atomic_store(&sh->go, spl_time_ns() + 5000000ull);
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        struct lcy_res *o = &sh->res[w->id];
        wait_beat(sh);
        /* half the processes ask for another geometry: an existing store is opened as it is */
        size_t slots = w->id % 2 ? LCY_SLOTS * 2 : LCY_SLOTS;
        errno = 0;
        int rc = (r + w->id) % 2 ? im->open_or_create(X->name, slots, LCY_MAXVAL) : im->create_or_open(X->name, slots, LCY_MAXVAL);
        if (rc != 0) {
            o->rc = rc, o->err = errno;
            if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
            continue;
        }
        snprintf(key, sizeof key, "keep-w%u", w->id);
        spl_payload_make(v, sizeof v, 100 + w->id, w->id, r + 1);
        for (int t = 0; t < 10000 && im->set(key, v, sizeof v) != 0 && errno == EAGAIN; t++) {}
        im->close();
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        if (w->id != 0) continue;
        /* the harness's keys and every process's latest write survive every reopen */
        if (im->open(X->name) != 0) { o->open_rc = -1, o->open_err = errno; continue; }
        for (unsigned k = 0; k < KEEP_KEYS + w->nworkers; k++) {
            bool own = k >= KEEP_KEYS;
            if (own) snprintf(key, sizeof key, "keep-w%u", k - KEEP_KEYS);
            else snprintf(key, sizeof key, "keep-%u", k);
            if (own && sh->res[k - KEEP_KEYS].rc != 0) continue;
            size_t got = 0;
            int grc = -1;
            for (int t = 0; t < 10000 && (grc = im->get(key, buf, sizeof buf, &got)) != 0 && errno == EAGAIN; t++) {}
            struct spl_payload_info in;
            if (grc != 0 || spl_payload_check(buf, got, own ? 100 + (k - KEEP_KEYS) : k, &in) != SPL_PAYLOAD_OK ||
                (own && in.seq != r + 1)) {
                if (!o->lost++) snprintf(w->msg, SPL_MSG_MAX, "round %u: %s is gone or changed after %u processes reopened the store "
                                                             "(get %d, %zu bytes)", r, key, w->nworkers, grc, got);
            }
        }
        im->close();
    }
    return 0;
}

static void rule_lcy003(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "lcy3", LCY_SLOTS, LCY_MAXVAL) != 0) return;
    struct reopen X = {.c = c, .rounds = 20};
    snprintf(X.name, sizeof X.name, "%s", o->store);
    uint8_t v[128];
    for (unsigned k = 0; k < KEEP_KEYS; k++) {
        char key[32];
        snprintf(key, sizeof key, "keep-%u", k);
        spl_payload_make(v, sizeof v, k, 0, 0);
        if (c->im.set(key, v, sizeof v) != 0) { r_error(o, "set(%s): %s", key, strerror(errno)); return; }
    }
    c->im.close();
    unsigned n;
    struct spl_team *t = lcy_run(c, o, reopen_worker, &X, &n);
    if (!t) return;
    struct lcy_shared *sh = spl_team_shared(t);
    unsigned failed = 0;
    for (uint32_t i = 0; i < n; i++)
        if (sh->res[i].rc != 0 && !failed++)
            r_cex(o, "process %u: reopening the existing store failed: %d (%s)", i, sh->res[i].rc, strerror(sh->res[i].err));
    if (sh->res[0].lost) {
        r_cex(o, "%s", spl_team_msg(t, 0));
        r_fail(o, "a reopen by create_or_open / open_or_create reinitialised the store: %u keys lost", sh->res[0].lost);
    } else if (failed) {
        r_fail(o, "%u processes could not reopen the existing store", failed);
    } else {
        r_pass(o, "%u rounds of %u processes reopening an existing store at once (create_or_open and open_or_create, some "
                  "asking another geometry): nothing reinitialised, every write kept", X.rounds, n);
    }
    spl_team_free(t);
}

/* ---- LCY-004: concurrent claims of one shard id leave one record ---------- */

struct claims {
    struct conform *c;
    char store[512], path[512];
    unsigned rounds;
};

#define CLAIM_IDS 8 /* ids raced for per round, in the same order by every process */

static int claim_worker(struct spl_worker *w, void *arg)
{
    struct claims *C = arg;
    struct spl_impl *im = &C->c->im;
    struct lcy_shared *sh = w->shared;
    if (worker_open(w, im, C->store) != 0) return 1;
    unsigned dups = 0;
    for (unsigned r = 0; r < C->rounds; r++) {
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        if (w->id == 0) atomic_store(&sh->go, spl_time_ns() + 3000000ull);
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        uint32_t id0 = 1000 + r * CLAIM_IDS;
        struct lcy_res *o = &sh->res[w->id];
        o->rc = 0;
        wait_beat(sh);
        for (uint32_t k = 0; k < CLAIM_IDS; k++) {
            errno = 0;
            int rc = im->shard_claim(id0 + k, SPL_INTENT_WILLNEED, (uint8_t)(1 + w->id % 3), 1ull << 40);
            if (rc != 0 && !o->rc) o->rc = rc, o->err = errno;
        }
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        if (w->id == 0) {
            atomic_store(&sh->go, 0);
            struct spl_storeview v;
            int n[CLAIM_IDS] = {0};
            if (spl_sv_open(&v, C->path, 0) == 0) {
                for (unsigned b = 0; b < SPLINTER_MAX_SHARDS; b++) {
                    uint32_t id = atomic_load(&spl_sv_bid(&v, b)->shard_id);
                    if (id >= id0 && id < id0 + CLAIM_IDS) n[id - id0]++;
                }
                spl_sv_close(&v);
            }
            for (uint32_t k = 0; k < CLAIM_IDS; k++)
                if (n[k] != 1 && !dups++)
                    snprintf(w->msg, SPL_MSG_MAX, "round %u: %u processes claimed shard %u at once: %d records hold it", r,
                             w->nworkers, id0 + k, n[k]);
            for (uint32_t k = 0; k < CLAIM_IDS; k++)
                for (int j = 0; j < SPLINTER_MAX_SHARDS && im->shard_release(id0 + k) == 0; j++) {} /* every copy */
            for (uint32_t i = 0; i < w->nworkers; i++)
                if (sh->res[i].rc != 0 && !dups++)
                    snprintf(w->msg, SPL_MSG_MAX, "round %u: a claim by process %u returned %d (%s)", r, i, sh->res[i].rc,
                             strerror(sh->res[i].err));
        }
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
    }
    sh->res[w->id].lost = dups;
    im->close();
    return 0;
}

static void rule_lcy004(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "lcy4", 16, 64) != 0) return;
    /* a claim race is a window of a few loads wide: 512 rounds for >= 19 of
     * 20 catches of an unlocked look-then-CAS (docs/spec.md, statistical power) */
    struct claims C = {.c = c, .rounds = 512};
    snprintf(C.store, sizeof C.store, "%s", o->store);
    store_path(c, o->store, C.path, sizeof C.path);
    c->im.close();
    unsigned n;
    struct spl_team *t = lcy_run(c, o, claim_worker, &C, &n);
    if (!t) return;
    struct lcy_shared *sh = spl_team_shared(t);
    if (sh->res[0].lost) {
        r_cex(o, "%s", spl_team_msg(t, 0));
        r_fail(o, "%u of %u shard ids claimed by several processes at once did not end in exactly one record (or a claim "
                  "failed)", sh->res[0].lost, C.rounds * CLAIM_IDS);
    } else {
        r_pass(o, "%u rounds of %u processes claiming %u new shard ids at once, in one order: one record per id each time, "
                  "every claim 0", C.rounds, n, CLAIM_IDS);
    }
    spl_team_free(t);
}

/* ---- LCY-005: every process computes the same sovereign at every step ----- */

#define SOV_STEPS 80
#define SOV_IDS 8

struct sov {
    struct conform *c;
    char store[512], path[512];
    uint64_t base; /* claim times: base or base + 1, so ties are frequent */
};

/* The rules (format-v4.md): live bids only; WILLNEED/SEQUENTIAL alive -> no
 * DONTNEED; highest priority, then earliest claim, then lowest pid; a full
 * tie may go to any of the tied bids. Returns the allowed winners as a mask
 * over record indexes, and sets ids[] to the records' shard ids. */
static uint64_t allowed_winners(const struct spl_storeview *v, uint64_t now, uint32_t ids[SPLINTER_MAX_SHARDS])
{
    bool protective = false;
    for (unsigned b = 0; b < SPLINTER_MAX_SHARDS; b++) {
        struct splinter_shard_bid *x = spl_sv_bid(v, b);
        ids[b] = atomic_load(&x->shard_id);
        uint8_t it = atomic_load(&x->intent);
        if (ids[b] && now - atomic_load(&x->claimed_at) < atomic_load(&x->duration_tsc) &&
            (it == SPL_INTENT_WILLNEED || it == SPL_INTENT_SEQUENTIAL))
            protective = true;
    }
    uint64_t best = 0;
    int bp = -1;
    uint64_t bat = 0;
    uint32_t bpid = 0;
    for (unsigned b = 0; b < SPLINTER_MAX_SHARDS; b++) {
        struct splinter_shard_bid *x = spl_sv_bid(v, b);
        if (!ids[b] || now - atomic_load(&x->claimed_at) >= atomic_load(&x->duration_tsc)) continue;
        if (protective && atomic_load(&x->intent) == SPL_INTENT_DONTNEED) continue;
        int p = atomic_load(&x->priority);
        uint64_t at = atomic_load(&x->claimed_at);
        uint32_t pid = atomic_load(&x->pid);
        if (bp < 0 || p > bp || (p == bp && (at < bat || (at == bat && pid < bpid)))) {
            best = 1ull << b, bp = p, bat = at, bpid = pid;
        } else if (p == bp && at == bat && pid == bpid) {
            best |= 1ull << b;
        }
    }
    return best;
}

static int sov_worker(struct spl_worker *w, void *arg)
{
    struct sov *S = arg;
    struct spl_impl *im = &S->c->im;
    struct lcy_shared *sh = w->shared;
    if (worker_open(w, im, S->store) != 0) return 1;
    struct spl_rng common;
    spl_rng_seed(&common, S->c->seed ^ 0x50E7);
    unsigned bad = 0;
    for (unsigned step = 0; step < SOV_STEPS; step++) {
        /* the same schedule in every process; the step's actor applies it */
        uint32_t actor = (uint32_t)(step % w->nworkers), id = 1 + (uint32_t)spl_rng_below(&common, SOV_IDS);
        unsigned what = (unsigned)spl_rng_below(&common, 10);
        uint8_t prio = (uint8_t)(1 + spl_rng_below(&common, 2));
        static const uint8_t intents[] = {SPL_INTENT_WILLNEED, SPL_INTENT_RANDOM, SPL_INTENT_DONTNEED, SPL_INTENT_SEQUENTIAL};
        uint8_t intent = intents[spl_rng_below(&common, 4)];
        uint64_t at = S->base + spl_rng_below(&common, 2);
        uint32_t pid = 100 + (uint32_t)spl_rng_below(&common, 2);
        if (w->id == actor) {
            if (what < 6) im->shard_claim_ex(id, pid, intent, prio, 1ull << 50, at);
            else if (what < 8) im->shard_release(id);
            else im->shard_rebid(id, intent, prio, 1ull << 50); /* may be ENOENT: fine */
        }
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        uint8_t it = 0;
        sh->votes[w->id] = im->shard_election(&it);
        sh->intents[w->id] = it;
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        if (w->id == 0) {
            struct spl_storeview v;
            uint32_t ids[SPLINTER_MAX_SHARDS] = {0};
            uint64_t ok = 0;
            if (spl_sv_open(&v, S->path, 0) == 0) {
                ok = allowed_winners(&v, spl_impl_now(im), ids);
                spl_sv_close(&v);
            }
            uint32_t v0 = sh->votes[0];
            bool agree = true, allowed = false;
            for (uint32_t i = 1; i < w->nworkers; i++) agree &= sh->votes[i] == v0;
            if (!ok) allowed = v0 == 0;
            for (unsigned b = 0; b < SPLINTER_MAX_SHARDS; b++)
                if ((ok >> b) & 1 && ids[b] == v0) allowed = true;
            if ((!agree || !allowed) && !bad++) {
                int off = snprintf(w->msg, SPL_MSG_MAX, "step %u (process %u %s shard %u): votes", step, actor,
                                   what < 6 ? "claimed" : what < 8 ? "released" : "rebid", id);
                for (uint32_t i = 0; i < w->nworkers && off > 0 && off < SPL_MSG_MAX; i++)
                    off += snprintf(w->msg + off, SPL_MSG_MAX - (size_t)off, " %u", sh->votes[i]);
                if (off > 0 && off < SPL_MSG_MAX)
                    snprintf(w->msg + off, SPL_MSG_MAX - (size_t)off, "%s", !agree ? ": the processes disagree" : ": not a winner the rules allow");
            }
        }
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
    }
    sh->res[w->id].lost = bad;
    im->close();
    return 0;
}

static void rule_lcy005(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "lcy5", 16, 64) != 0) return;
    struct sov S = {.c = c};
    snprintf(S.store, sizeof S.store, "%s", o->store);
    store_path(c, o->store, S.path, sizeof S.path);
    S.base = spl_impl_now(&c->im) - 1000;
    c->im.close();
    unsigned n;
    struct spl_team *t = lcy_run(c, o, sov_worker, &S, &n);
    if (!t) return;
    struct lcy_shared *sh = spl_team_shared(t);
    if (sh->res[0].lost) {
        r_cex(o, "%s", spl_team_msg(t, 0));
        r_fail(o, "%u of %u steps (claims, releases and re-bids by every process in turn, full ties frequent): a vote "
                  "disagreed or broke the rules", sh->res[0].lost, SOV_STEPS);
    } else {
        r_pass(o, "%u steps, each applied by one of %u processes in turn, with frequent full ties: every process elected the "
                  "same sovereign, one the rules allow", SOV_STEPS, n);
    }
    spl_team_free(t);
}

static const char *const needs_reopen[] = {"create_or_open", "open_or_create", "set", "get", NULL};
/* ---- LCY-006: writers under contention do not fail when no writer is dead -- */

static int contend_worker(struct spl_worker *w, void *arg)
{
    struct claims *C = arg;
    struct spl_impl *im = &C->c->im;
    struct lcy_shared *sh = w->shared;
    if (worker_open(w, im, C->store) != 0) return 1;
    struct spl_rng rng;
    spl_rng_seed(&rng, w->seed);
    uint8_t v[256];
    uint64_t n = 0, failed = 0;
    int first = 0;
    if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
    uint64_t end = atomic_load(&sh->go);
    while (spl_time_ns() < end) {
        char key[16];
        snprintf(key, sizeof key, "hot-%u", (unsigned)spl_rng_below(&rng, 2));
        size_t len = 64 + (size_t)spl_rng_below(&rng, 192);
        spl_payload_make(v, len, 0, w->id, ++n);
        errno = 0;
        if (im->set(key, v, len) != 0 && !failed++) first = errno;
    }
    sh->res[w->id].rc = (int)(failed > INT32_MAX ? INT32_MAX : failed);
    sh->res[w->id].err = first;
    sh->res[w->id].t0 = n;
    im->close();
    return 0;
}

static void rule_lcy006(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "lcy6", 16, 256) != 0) return;
    struct claims C = {.c = c};
    snprintf(C.store, sizeof C.store, "%s", o->store);
    c->im.close();
    unsigned n = c->workers > LCY_MAXW ? LCY_MAXW : c->workers;
    struct spl_team *t = lcy_team(c, o, n);
    if (!t) return;
    struct lcy_shared *sh = spl_team_shared(t);
    atomic_store(&sh->go, spl_time_ns() + 200000000ull + c->duration_ns / 2);
    if (spl_team_run(t, contend_worker, &C) != 0) {
        char why[700];
        r_fail(o, "a process did not finish cleanly: %s", spl_team_describe(t, why, sizeof why));
        spl_team_free(t);
        return;
    }
    uint64_t calls = 0, failed = 0;
    for (uint32_t i = 0; i < n; i++) {
        calls += sh->res[i].t0, failed += (uint64_t)sh->res[i].rc;
        if (sh->res[i].rc)
            r_cex(o, "process %u: %d of %llu sets failed, the first with errno %d (%s)", i, sh->res[i].rc,
                  (unsigned long long)sh->res[i].t0, sh->res[i].err, strerror(sh->res[i].err));
    }
    if (failed)
        r_fail(o, "%llu of %llu sets by %u processes contending for 2 keys failed (no writer was dead): clients of the "
                  "original never retry a set", (unsigned long long)failed, (unsigned long long)calls, n);
    else
        r_pass(o, "%llu sets by %u processes contending for 2 keys, no writer dead: none failed", (unsigned long long)calls, n);
    spl_team_free(t);
}

static const char *const needs_set[] = {"set", NULL};
static const char *const needs_race1[] = {"create_or_open", "open", "set", "get", NULL};
static const char *const needs_race2[] = {"open_or_create", "open", "set", "get", NULL};
static const char *const needs_claim[] = {"shard_claim", "shard_release", NULL};
static const char *const needs_sov[] = {"shard_claim_ex", "shard_release", "shard_rebid", "shard_election", NULL};

const struct rule lcy_rules[] = {
    {.id = "LCY-001", .severity = SEV_CRITICAL, .title = "processes racing create_or_open on a new name: all succeed, one store, no write lost",
     .needs = needs_race1, .run = rule_lcy001, .timeout_s = 90},
    {.id = "LCY-002", .severity = SEV_CRITICAL, .title = "processes racing open_or_create on a new name: all succeed, one store, no write lost",
     .needs = needs_race2, .run = rule_lcy002, .timeout_s = 90},
    {.id = "LCY-003", .severity = SEV_CRITICAL, .title = "reopening an existing store (create_or_open, open_or_create, from many processes) never reinitialises it",
     .needs = needs_reopen, .run = rule_lcy003, .timeout_s = 90},
    {.id = "LCY-004", .severity = SEV_MAJOR, .title = "concurrent claims of one shard id from several processes leave exactly one record",
     .needs = needs_claim, .run = rule_lcy004, .timeout_s = 90},
    {.id = "LCY-005", .severity = SEV_CRITICAL, .title = "every process computes the same sovereign at every step, ties included, and one the rules allow",
     .needs = needs_sov, .run = rule_lcy005, .timeout_s = 90},
    {.id = "LCY-006", .severity = SEV_MAJOR, .title = "writers under writer-writer contention do not fail (EAGAIN) when no writer is dead",
     .needs = needs_set, .run = rule_lcy006, .timeout_s = 60},
};
const size_t lcy_nrules = sizeof lcy_rules / sizeof lcy_rules[0];
