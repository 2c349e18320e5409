/*
 * rules_atm.c - ATM: read-modify-write operations from several processes at
 * once, each retried on EAGAIN until it succeeds, leave a final state that
 * accounts for every successful call exactly: no update lost, none applied
 * twice, none half applied.
 *
 * ATM-001 integer_op (INC/DEC on one counter, XOR on another: both
 * commutative, so the expected final value is known whatever the order),
 * ATM-002 append (every record appended is there exactly once, each process's
 * in its own order), ATM-003 tandem (after the writers stop, every order of
 * the group holds a value of a successful tandem call that no other
 * successful call followed).
 */
#include "histcheck.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A call that keeps failing with EAGAIN is retried, yielding now and then
 * (a writer preempted inside the slot holds it for a time slice), for at
 * most this long before the rule counts it as failed. */
#define ATM_RETRY_NS 2000000000ull

/* true: retry the call that just failed with EAGAIN */
static bool again(uint64_t *tries, uint64_t t0)
{
    if (++*tries % 64 == 0) {
        sched_yield();
        if (spl_time_ns() - t0 > ATM_RETRY_NS) return false;
    }
    return true;
}

struct atm {
    struct conform *c;
    char store[512];
    uint64_t t0, end;
    uint64_t init[2];
    unsigned rounds, per_round;
};

struct atm_tally {          /* per worker, in the team's shared area */
    uint64_t add, xor_acc;  /* what its successful calls added / xored */
    uint64_t ok, eagain, other;
    int first_err;
    uint64_t appended;      /* ATM-002: records appended in the current round */
};

/* ---- ATM-001 ---------------------------------------------------------------- */

static int intop_worker(struct spl_worker *w, void *arg)
{
    struct atm *A = arg;
    struct spl_impl *im = &A->c->im;
    struct atm_tally *T = (struct atm_tally *)w->shared + w->id;
    if (worker_open(w, im, A->store) != 0) return 1;
    struct spl_rng rng;
    spl_rng_seed(&rng, w->seed);
    if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
    while (spl_time_ns() < A->end) {
        bool xk = spl_rng_below(&rng, 4) == 0;
        int op = xk ? SPL_OP_XOR : spl_rng_below(&rng, 4) ? SPL_OP_INC : SPL_OP_DEC;
        uint64_t m = xk ? spl_rng_next(&rng) : 1 + spl_rng_below(&rng, 1000);
        const char *key = xk ? "atm-xor" : "atm-add";
        int rc;
        uint64_t tries = 0, t0 = spl_time_ns();
        for (;;) {
            errno = 0;
            rc = im->integer_op(key, (splinter_integer_op_t)op, &m);
            if (rc == 0 || errno != EAGAIN) break;
            T->eagain++;
            if (!again(&tries, t0)) break;
        }
        if (rc != 0) {
            if (!T->other++) T->first_err = errno;
            continue;
        }
        T->ok++;
        if (xk) T->xor_acc ^= m;
        else T->add += op == SPL_OP_INC ? m : (uint64_t)0 - m;
    }
    spl_worker_sync(w);
    im->close();
    return 0;
}

static int read_u64(struct spl_impl *im, const char *key, uint64_t *v)
{
    size_t got = 0;
    uint8_t buf[64];
    if (im->get(key, buf, sizeof buf, &got) != 0) return -1;
    if (got != 8) { errno = EBADMSG; return -1; }
    memcpy(v, buf, 8);
    return 0;
}

static struct spl_team *atm_team(struct conform *c, struct rule_out *o, int (*fn)(struct spl_worker *, void *), struct atm *A)
{
    struct spl_team_opts to = {.workers = c->workers, .seed = c->seed, .log_cap = 1,
                               .shared_len = (size_t)c->workers * sizeof(struct atm_tally),
                               .deadline_ns = c->duration_ns + 30000000000ull, .barrier_ns = 20000000000ull};
    struct spl_team *t = spl_team_new(&to);
    if (!t) { r_error(o, "cannot allocate the team: %s", strerror(errno)); return NULL; }
    if (spl_team_run(t, fn, A) != 0) {
        char why[700];
        r_fail(o, "a worker did not finish cleanly: %s", spl_team_describe(t, why, sizeof why));
        spl_team_free(t);
        return NULL;
    }
    return t;
}

static void rule_atm001(struct conform *c, struct rule_out *o)
{
    struct atm A = {.c = c};
    if (store_create(c, o, "atm1", 16, 64) != 0) return;
    snprintf(A.store, sizeof A.store, "%s", o->store);
    struct spl_rng rng;
    spl_rng_seed(&rng, c->seed ^ 0xA7A7);
    const char *keys[2] = {"atm-add", "atm-xor"};
    for (int k = 0; k < 2; k++) {
        A.init[k] = spl_rng_next(&rng);
        if (c->im.set(keys[k], &A.init[k], 8) != 0 || c->im.set_named_type(keys[k], SPL_SLOT_TYPE_BIGUINT) != 0) {
            r_error(o, "setting up %s as an 8-byte BIGUINT failed: %s", keys[k], strerror(errno));
            return;
        }
    }
    c->im.close();
    A.end = spl_time_ns() + 200000000ull + c->duration_ns / 2;
    struct spl_team *t = atm_team(c, o, intop_worker, &A);
    if (!t) return;
    const struct atm_tally *T = spl_team_shared(t);
    uint64_t add = 0, xr = 0, ok = 0, eagain = 0, other = 0;
    for (uint32_t w = 0; w < spl_team_size(t); w++) {
        add += T[w].add, xr ^= T[w].xor_acc, ok += T[w].ok, eagain += T[w].eagain, other += T[w].other;
        if (T[w].other) r_cex(o, "process %u: %llu integer_op calls failed with errno %d (%s), not EAGAIN", w,
                              (unsigned long long)T[w].other, T[w].first_err, strerror(T[w].first_err));
    }
    uint64_t want[2] = {A.init[0] + add, A.init[1] ^ xr}, got[2] = {0, 0};
    if (c->im.open(A.store) != 0) { r_error(o, "reopen %s: %s", A.store, strerror(errno)); spl_team_free(t); return; }
    bool bad = false;
    for (int k = 0; k < 2; k++) {
        if (read_u64(&c->im, keys[k], &got[k]) != 0) {
            r_fail(o, "get(%s) after the run failed: %s", keys[k], strerror(errno));
            bad = true;
            continue;
        }
        if (got[k] != want[k]) {
            bad = true;
            if (k == 0)
                r_cex(o, "atm-add holds %llu, but its initial value plus every successful INC and minus every DEC is %llu: "
                         "off by %lld", (unsigned long long)got[k], (unsigned long long)want[k],
                      (long long)(got[k] - want[k]));
            else
                r_cex(o, "atm-xor holds 0x%016llx, but its initial value xored with every successful XOR mask is 0x%016llx",
                      (unsigned long long)got[k], (unsigned long long)want[k]);
        }
    }
    c->im.close();
    if (bad && !r_failed(o))
        r_fail(o, "%llu successful integer_op calls by %u processes (%llu EAGAIN retried): the final values do not account "
                  "for them", (unsigned long long)ok, c->workers, (unsigned long long)eagain);
    else if (other) r_fail(o, "%llu integer_op calls failed with an error other than EAGAIN", (unsigned long long)other);
    else if (ok < 1000) r_error(o, "too few successful calls to judge: %llu", (unsigned long long)ok);
    else if (!bad)
        r_pass(o, "%llu successful INC/DEC/XOR calls by %u processes on 2 keys (%llu EAGAIN retried): both final values exact",
               (unsigned long long)ok, c->workers, (unsigned long long)eagain);
    spl_team_free(t);
}

/* ---- ATM-002 ---------------------------------------------------------------- */

#define APP_REC 16
#define ATM2_MAXVAL 65536
#define ATM2_MAGIC 0x504D5441u /* "ATMP" */

struct rec { uint32_t magic, writer, seq, check; };
_Static_assert(sizeof(struct rec) == APP_REC, "record size");

static uint32_t rec_check(const struct rec *r) { return (r->magic * 2654435761u) ^ (r->writer * 40503u) ^ (r->seq * 2246822519u); }

/* Worker 0's extra duty between two rounds: read the round's key and check
 * it accounts for every successful append; then reset it. */
static void append_round_check(struct spl_worker *w, struct atm *A, unsigned r, unsigned *bad, char *first, size_t flen)
{
    struct spl_impl *im = &A->c->im;
    struct atm_tally *T = w->shared;
    char key[32];
    snprintf(key, sizeof key, "atm-app-%u", r % 8);
    uint8_t *buf = malloc(ATM2_MAXVAL);
    uint32_t *next = calloc(w->nworkers, sizeof *next);
    char why[300] = "";
    size_t got = 0;
    uint64_t want = 0;
    for (uint32_t i = 0; i < w->nworkers; i++) want += T[i].appended;
    if (!buf || !next) snprintf(why, sizeof why, "out of memory");
    else if (im->get(key, buf, ATM2_MAXVAL, &got) != 0) snprintf(why, sizeof why, "get(%s) failed: %s", key, strerror(errno));
    else if (got != APP_REC * (want + 1))
        snprintf(why, sizeof why, "%s holds %zu bytes after %llu successful 16-byte appends to one 16-byte record: want %llu",
                 key, got, (unsigned long long)want, (unsigned long long)(APP_REC * (want + 1)));
    for (size_t off = APP_REC; !why[0] && off + APP_REC <= got; off += APP_REC) {
        struct rec x;
        memcpy(&x, buf + off, sizeof x);
        if (x.magic != ATM2_MAGIC || x.check != rec_check(&x) || x.writer >= w->nworkers)
            snprintf(why, sizeof why, "%s: bytes %zu..%zu are not an intact record (torn or overwritten)", key, off, off + 15);
        else if (x.seq != next[x.writer])
            snprintf(why, sizeof why, "%s: at byte %zu process %u's record #%u, where its #%u was due (%s)", key, off, x.writer,
                     x.seq, next[x.writer], x.seq < next[x.writer] ? "applied twice" : "records lost");
        else next[x.writer]++;
    }
    free(buf), free(next);
    if (why[0] && !(*bad)++) snprintf(first, flen, "round %u: %s", r, why);
    struct rec x = {ATM2_MAGIC, UINT32_MAX, 0, 0}; /* the next round on this key starts from one record again */
    for (int tries = 0; tries < 1000 && im->set(key, &x, sizeof x) != 0; tries++) {}
}

static int append_worker(struct spl_worker *w, void *arg)
{
    struct atm *A = arg;
    struct spl_impl *im = &A->c->im;
    struct atm_tally *all = w->shared, *T = all + w->id;
    unsigned *bad = (unsigned *)(all + w->nworkers), *rounds = bad + 1;
    _Atomic int *stop = (_Atomic int *)(rounds + 1);
    char *first = (char *)(stop + 1);
    if (worker_open(w, im, A->store) != 0) return 1;
    char key[32];
    for (unsigned r = 0; !atomic_load(stop); r++) {
        T->appended = 0;
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        snprintf(key, sizeof key, "atm-app-%u", r % 8);
        for (unsigned i = 0; i < A->per_round; i++) {
            struct rec x = {ATM2_MAGIC, w->id, i, 0};
            x.check = rec_check(&x);
            int rc;
            uint64_t tries = 0, t0 = spl_time_ns();
            for (;;) {
                size_t nl = 0;
                errno = 0;
                rc = im->append(key, &x, sizeof x, &nl);
                if (rc == 0 || errno != EAGAIN) break;
                T->eagain++;
                if (!again(&tries, t0)) break;
            }
            if (rc != 0) {
                if (!T->other++) T->first_err = errno;
                break; /* the rest of the round would be out of order */
            }
            T->ok++;
            T->appended++;
        }
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        if (w->id == 0) {
            append_round_check(w, A, r, bad, first, 400);
            *rounds = r + 1;
            if (spl_time_ns() >= A->end || r + 1 >= A->rounds) atomic_store(stop, 1);
        }
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
    }
    im->close();
    return 0;
}

static void rule_atm002(struct conform *c, struct rule_out *o)
{
    struct atm AA = {.c = c}, *A = &AA;
    if (store_create(c, o, "atm2", 16, ATM2_MAXVAL) != 0) return;
    snprintf(A->store, sizeof A->store, "%s", o->store);
    struct rec x = {ATM2_MAGIC, UINT32_MAX, 0, 0};
    for (unsigned k = 0; k < 8; k++) {
        char key[32];
        snprintf(key, sizeof key, "atm-app-%u", k);
        if (c->im.set(key, &x, sizeof x) != 0) { r_error(o, "set(%s) failed: %s", key, strerror(errno)); return; }
    }
    c->im.close();
    /* every round fills one key to the brim: (value - one record) / processes */
    A->per_round = (ATM2_MAXVAL / APP_REC - 1) / c->workers;
    /* rounds of a few ms each, for half of --duration (at most 10000) */
    A->rounds = 10000;
    A->end = spl_time_ns() + 100000000ull + c->duration_ns / 2;
    struct spl_team_opts to = {.workers = c->workers, .seed = c->seed, .log_cap = 1,
                               .shared_len = (size_t)c->workers * sizeof(struct atm_tally) + 2 * sizeof(unsigned) + sizeof(int) + 400,
                               .deadline_ns = c->duration_ns + 40000000000ull, .barrier_ns = 20000000000ull};
    struct spl_team *t = spl_team_new(&to);
    if (!t) { r_error(o, "cannot allocate the team: %s", strerror(errno)); return; }
    if (spl_team_run(t, append_worker, A) != 0) {
        char why[700];
        r_fail(o, "a worker did not finish cleanly: %s", spl_team_describe(t, why, sizeof why));
        spl_team_free(t);
        return;
    }
    const struct atm_tally *T = spl_team_shared(t);
    const unsigned *bad = (const unsigned *)(T + c->workers), *rounds = bad + 1;
    const char *first = (const char *)(rounds + 1) + sizeof(int);
    uint64_t ok = 0, eagain = 0, other = 0;
    for (uint32_t w = 0; w < spl_team_size(t); w++) {
        ok += T[w].ok, eagain += T[w].eagain, other += T[w].other;
        if (T[w].other) r_cex(o, "process %u: append failed with errno %d (%s), not EAGAIN", w, T[w].first_err,
                              strerror(T[w].first_err));
    }
    if (*bad) {
        r_cex(o, "%s", first);
        r_fail(o, "%u of %u rounds of concurrent appends (%u records per process per round) left a value that does not "
                  "account for every successful append", *bad, *rounds, A->per_round);
    } else if (other) {
        r_fail(o, "%llu appends failed with an error other than EAGAIN", (unsigned long long)other);
    } else {
        r_pass(o, "%u rounds, %llu successful 16-byte appends by %u processes (%llu EAGAIN retried): every record there once, "
                  "in each process's order", *rounds, (unsigned long long)ok, c->workers, (unsigned long long)eagain);
    }
    spl_team_free(t);
}

/* ---- ATM-003 ---------------------------------------------------------------- */

#define ORDERS 3

static int tandem_worker(struct spl_worker *w, void *arg)
{
    struct atm *A = arg;
    struct spl_impl *im = &A->c->im;
    struct atm_tally *T = (struct atm_tally *)w->shared + w->id;
    if (worker_open(w, im, A->store) != 0) return 1;
    struct spl_rng rng;
    spl_rng_seed(&rng, w->seed);
    uint8_t v[ORDERS][600];
    if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
    uint64_t seq = 0;
    while (spl_time_ns() < A->end && spl_log_len(w->log) < w->log->cap) {
        seq++;
        const void *vals[ORDERS];
        size_t lens[ORDERS];
        for (unsigned i = 0; i < ORDERS; i++) {
            lens[i] = 64 + (size_t)spl_rng_below(&rng, 512);
            spl_payload_make(v[i], lens[i], i, w->id, seq);
            vals[i] = v[i];
        }
        /* a failed tandem call is retried whole, under the next sequence */
        struct spl_event ev = {.worker = w->id, .seq = seq, .t0 = spl_time_ns()};
        errno = 0;
        int rc = im->client_set_tandem("atm-tdm", vals, lens, ORDERS);
        ev.t1 = spl_time_ns();
        ev.rc = (int16_t)rc, ev.err = rc ? errno : 0;
        spl_log_append(w->log, &ev);
        if (rc == 0) T->ok++;
        else if (errno == EAGAIN) T->eagain++;
        else if (!T->other++) T->first_err = errno;
    }
    spl_worker_sync(w);
    im->close();
    return 0;
}

static void rule_atm003(struct conform *c, struct rule_out *o)
{
    struct atm A = {.c = c};
    if (store_create(c, o, "atm3", 16, 1024) != 0) return;
    snprintf(A.store, sizeof A.store, "%s", o->store);
    c->im.close();
    A.t0 = spl_time_ns();
    A.end = A.t0 + 200000000ull + c->duration_ns / 2;
    uint64_t cap = 20000 + 300000 * (c->duration_ns / 1000000000ull);
    struct spl_team_opts to = {.workers = c->workers, .seed = c->seed, .log_cap = cap,
                               .shared_len = (size_t)c->workers * sizeof(struct atm_tally),
                               .deadline_ns = c->duration_ns + 30000000000ull, .barrier_ns = 20000000000ull};
    struct spl_team *t = spl_team_new(&to);
    if (!t) { r_error(o, "cannot allocate the team: %s", strerror(errno)); return; }
    if (spl_team_run(t, tandem_worker, &A) != 0) {
        char why[700];
        r_fail(o, "a worker did not finish cleanly: %s", spl_team_describe(t, why, sizeof why));
        spl_team_free(t);
        return;
    }
    const struct atm_tally *T = spl_team_shared(t);
    uint64_t ok = 0, eagain = 0, other = 0, latest_call = 0;
    for (uint32_t w = 0; w < spl_team_size(t); w++) {
        ok += T[w].ok, eagain += T[w].eagain, other += T[w].other;
        struct spl_log *l = spl_team_log(t, w);
        for (size_t i = 0; i < spl_log_len(l); i++)
            if (l->ev[i].rc == 0 && l->ev[i].t0 > latest_call) latest_call = l->ev[i].t0;
    }
    if (c->im.open(A.store) != 0) { r_error(o, "reopen %s: %s", A.store, strerror(errno)); spl_team_free(t); return; }
    unsigned bad = 0;
    for (unsigned i = 0; i < ORDERS; i++) {
        char key[64];
        if (i == 0) snprintf(key, sizeof key, "atm-tdm");
        else snprintf(key, sizeof key, "atm-tdm%s%u", SPL_ORDER_ACCESSOR, i);
        uint8_t buf[1024];
        size_t got = 0;
        if (c->im.get(key, buf, sizeof buf, &got) != 0) {
            if (ok) { bad++; r_cex(o, "get(%s) failed after %llu successful tandem calls: %s", key, (unsigned long long)ok, strerror(errno)); }
            continue;
        }
        struct spl_payload_info in;
        enum spl_payload_verdict pv = spl_payload_check(buf, got, i, &in);
        if (pv != SPL_PAYLOAD_OK || in.writer >= spl_team_size(t)) {
            bad++;
            r_cex(o, "%s holds a %s value (%zu bytes), not one a tandem call wrote", key, spl_payload_verdict_str(pv), got);
            continue;
        }
        /* the call that wrote it: it succeeded, and no successful call began after it returned */
        const struct spl_event *e = NULL;
        struct spl_log *l = spl_team_log(t, in.writer);
        for (size_t k = 0; k < spl_log_len(l) && !e; k++)
            if (l->ev[k].seq == in.seq) e = &l->ev[k];
        if (!e) {
            bad++;
            r_cex(o, "%s holds process %u's #%llu, a call that was never made", key, in.writer, (unsigned long long)in.seq);
        } else if (latest_call > e->t1) {
            /* (a failed call may have written the orders before the one that
             * failed: its value is fine where no later success overwrote it) */
            bad++;
            r_cex(o, "%s holds process %u's #%llu (its call returned %d at +%.6f s), but a successful tandem call began at "
                     "+%.6f s, after it: that call's order %u was lost", key, in.writer, (unsigned long long)in.seq, e->rc,
                  (double)(e->t1 - A.t0) / 1e9, (double)(latest_call - A.t0) / 1e9, i);
        }
    }
    c->im.close();
    if (bad) r_fail(o, "%u of %u orders of the tandem group do not hold the value of a last successful tandem call "
                       "(%llu successful calls by %u processes)", bad, ORDERS, (unsigned long long)ok, c->workers);
    else if (other) r_fail(o, "%llu tandem calls failed with an error other than EAGAIN", (unsigned long long)other);
    else if (ok < 100) r_error(o, "too few successful tandem calls to judge: %llu", (unsigned long long)ok);
    else r_pass(o, "%llu successful tandem calls (3 orders) by %u processes (%llu failed with EAGAIN): every order holds a "
                   "value of a call no successful call followed", (unsigned long long)ok, c->workers, (unsigned long long)eagain);
    spl_team_free(t);
}

static const char *const needs_intop[] = {"set", "get", "set_named_type", "integer_op", NULL};
static const char *const needs_append[] = {"set", "get", "append", NULL};
static const char *const needs_tandem[] = {"get", "client_set_tandem", NULL};

const struct rule atm_rules[] = {
    {.id = "ATM-001", .severity = SEV_CRITICAL, .title = "concurrent integer_op calls (retried on EAGAIN): the final values account for every success exactly",
     .needs = needs_intop, .run = rule_atm001, .timeout_s = 60},
    {.id = "ATM-002", .severity = SEV_CRITICAL, .title = "concurrent appends (retried on EAGAIN): every record appended is there once, in its process's order",
     .needs = needs_append, .run = rule_atm002, .timeout_s = 90},
    {.id = "ATM-003", .severity = SEV_MAJOR, .title = "concurrent tandem sets: every order ends with the value of a successful call no other followed",
     .needs = needs_tandem, .run = rule_atm003, .timeout_s = 60},
};
const size_t atm_nrules = sizeof atm_rules / sizeof atm_rules[0];
