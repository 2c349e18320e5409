/*
 * rules_lin.c - LIN: every key's history, logged by several processes at
 * once, is linearizable against the key's sequential model (lib/lincheck.h).
 *
 * One engine, four mixes: --workers processes open one store and, for
 * --duration, call the implementation on a few shared keys, logging each
 * call with its invocation and completion times, what it asked and what it
 * got back; the orchestrator then checks the whole history per key. The mix
 * decides the model: a register (set/get/unset), a counter (integer_op/get),
 * a sequence (append/get, reset by set) or a tandem group (client_set_tandem
 * / client_unset_tandem / get of a member).
 */
#include "histcheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum mix { MIX_REGISTER, MIX_COUNTER, MIX_APPEND, MIX_TANDEM };
enum { LO_SET = 1, LO_GET, LO_UNSET, LO_INTOP, LO_APPEND, LO_RESET, LO_TSET, LO_TUNSET };

#define LIN_MAXVAL 4096
#define TANDEM_ORDERS 3
#define APP_MAGIC 0x5050414Cu /* "LAPP" */

struct lin {
    struct conform *c;
    enum mix mix;
    char store[512];
    unsigned nkeys;
    uint64_t t0, end;
    uint64_t ctr_init[4];
    unsigned unexpected; /* counted in the orchestrator */
};

static const char *const key_fmts[] = {"conform-lin-%u", "conform-ctr-%u", "conform-app-%u", "conform-tdm (order %u)"};

static void key_name(const struct lin *L, unsigned k, char *b, size_t n)
{
    if (L->mix == MIX_TANDEM) {
        if (k == 0) snprintf(b, n, "conform-tdm");
        else snprintf(b, n, "conform-tdm.%u", k);
        return;
    }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(b, n, key_fmts[L->mix], k);
#pragma GCC diagnostic pop
}

/* ---- append records: 16 bytes that say who appended them, in which order ---- */

struct app_rec { uint32_t magic; uint16_t key, writer; uint32_t seq, check; };
_Static_assert(sizeof(struct app_rec) == 16, "append record size");

static uint32_t app_check(const struct app_rec *r)
{
    uint64_t h = spl_fnv1a64(r, 12);
    return (uint32_t)(h ^ (h >> 32));
}

static void app_make(struct app_rec *r, unsigned key, uint32_t writer, uint32_t seq)
{
    *r = (struct app_rec){.magic = APP_MAGIC, .key = (uint16_t)key, .writer = (uint16_t)writer, .seq = seq};
    r->check = app_check(r);
}

static uint64_t app_token(const struct app_rec *r) { return hc_id(r->writer, r->seq); }

/* The name of the sequence a read returned, or LC_GARBAGE if it is not a
 * whole number of intact records of this key; *last is its last record. */
static uint64_t app_parse(const uint8_t *buf, size_t len, unsigned key, uint64_t *last)
{
    if (len % sizeof(struct app_rec)) return LC_GARBAGE;
    uint64_t h = LC_SEQ_EMPTY;
    *last = 0;
    for (size_t off = 0; off < len; off += sizeof(struct app_rec)) {
        struct app_rec r;
        memcpy(&r, buf + off, sizeof r);
        if (r.magic != APP_MAGIC || r.key != key || r.check != app_check(&r)) return LC_GARBAGE;
        h = lc_seq_extend(h, app_token(&r));
        *last = app_token(&r);
    }
    return h;
}

/* ---- the workers ---------------------------------------------------------- */

/* One worker's state: what it draws, writes and reads back. */
struct lin_call {
    struct spl_worker *w;
    struct spl_impl *im;
    struct spl_rng rng;
    uint64_t seq; /* of this worker's writes */
    uint8_t *buf, *rbuf, *tv[TANDEM_ORDERS];
};

/* A get of key into rbuf: every mix reads the same way. */
static int lin_get(struct lin_call *lc, struct spl_event *ev, const char *key, size_t *got)
{
    ev->op = LO_GET;
    ev->t0 = spl_time_ns();
    errno = 0;
    return lc->im->get(key, lc->rbuf, LIN_MAXVAL, got);
}

static int lin_call_register(struct lin_call *lc, struct spl_event *ev, const char *key, unsigned dice, size_t *got)
{
    /* few unsets: a miss that no unset explains stands out */
    if (dice < 48) {
        size_t len = 256 + (size_t)spl_rng_below(&lc->rng, 1793); /* the copy is the race window */
        ev->op = LO_SET, ev->seq = ++lc->seq;
        spl_payload_make(lc->buf, len, ev->key, lc->w->id, lc->seq);
        ev->t0 = spl_time_ns();
        errno = 0;
        return lc->im->set(key, lc->buf, len);
    }
    if (dice < 96) return lin_get(lc, ev, key, got);
    ev->op = LO_UNSET;
    ev->t0 = spl_time_ns();
    errno = 0;
    return lc->im->unset(key);
}

static int lin_call_counter(struct lin_call *lc, struct spl_event *ev, const char *key, unsigned dice, size_t *got)
{
    if (dice >= 55) return lin_get(lc, ev, key, got);
    /* mostly commutative increments, some of every other op */
    static const uint8_t ops[20] = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 2, 2, 0, 1, 3, 4};
    struct spl_rng *rng = &lc->rng;
    uint8_t op = ops[spl_rng_below(rng, 20)];
    uint64_t m = op == 4 || op == 5 ? 1 + spl_rng_below(rng, 1u << 20)
                 : op == 0         ? ~(1ull << spl_rng_below(rng, 64))
                 : op == 1         ? 1ull << spl_rng_below(rng, 64)
                                   : spl_rng_next(rng);
    ev->op = LO_INTOP, ev->peer = op, ev->aux = m;
    ev->t0 = spl_time_ns();
    errno = 0;
    return lc->im->integer_op(key, (splinter_integer_op_t)op, &m);
}

static int lin_call_append(struct lin_call *lc, struct spl_event *ev, const char *key, unsigned dice, size_t *got)
{
    if (dice >= 55 && dice < 92) return lin_get(lc, ev, key, got);
    struct app_rec r;
    app_make(&r, ev->key, lc->w->id, (uint32_t)++lc->seq);
    ev->aux = app_token(&r);
    ev->t0 = spl_time_ns();
    errno = 0;
    if (dice < 55) {
        ev->op = LO_APPEND;
        size_t nl = 0;
        return lc->im->append(key, &r, sizeof r, &nl);
    }
    ev->op = LO_RESET; /* start the key over, so that appends do not run out of room */
    return lc->im->set(key, &r, sizeof r);
}

static int lin_call_tandem(struct lin_call *lc, struct spl_event *ev, const char *key, unsigned dice, size_t *got)
{
    if (dice >= 40) return lin_get(lc, ev, key, got);
    if (dice >= 35) {
        ev->op = LO_TUNSET;
        ev->t0 = spl_time_ns();
        errno = 0;
        lc->im->client_unset_tandem("conform-tdm", TANDEM_ORDERS);
        return 0;
    }
    ev->op = LO_TSET, ev->seq = ++lc->seq;
    const void *vals[TANDEM_ORDERS];
    size_t lens[TANDEM_ORDERS];
    for (unsigned i = 0; i < TANDEM_ORDERS; i++) {
        lens[i] = 512 + (size_t)spl_rng_below(&lc->rng, 1537);
        spl_payload_make(lc->tv[i], lens[i], i, lc->w->id, lc->seq);
        vals[i] = lc->tv[i];
    }
    ev->t0 = spl_time_ns();
    errno = 0;
    return lc->im->client_set_tandem("conform-tdm", vals, lens, TANDEM_ORDERS);
}

/* One call of the mix's (a switch, not a table: conform-coverage follows
 * calls, not function pointers). */
static int lin_call(const struct lin *L, struct lin_call *lc, struct spl_event *ev, const char *key, unsigned dice, size_t *got)
{
    switch (L->mix) {
    case MIX_REGISTER: return lin_call_register(lc, ev, key, dice, got);
    case MIX_COUNTER: return lin_call_counter(lc, ev, key, dice, got);
    case MIX_APPEND: return lin_call_append(lc, ev, key, dice, got);
    case MIX_TANDEM: return lin_call_tandem(lc, ev, key, dice, got);
    }
    return 0;
}

/* What a call returned, and for a read what it read (the checker's input). */
static void lin_record(const struct lin *L, struct spl_event *ev, const uint8_t *rbuf, int rc, size_t got)
{
    ev->t1 = spl_time_ns();
    ev->err = rc ? errno : 0;
    ev->rc = (int16_t)(rc < 0 ? rc : 0);
    if (ev->op == LO_UNSET && rc > 0) ev->aux = (uint64_t)rc;
    if (ev->op != LO_GET || rc != 0) return;
    size_t n = got > LIN_MAXVAL ? LIN_MAXVAL : got;
    ev->aux = got;
    if (L->mix == MIX_COUNTER) {
        ev->verdict = got == 8 ? 0 : 1;
        if (got == 8) memcpy(&ev->seq, rbuf, 8);
    } else if (L->mix == MIX_APPEND) {
        ev->csum = app_parse(rbuf, n, ev->key, &ev->seq);
    } else {
        struct spl_payload_info in;
        ev->verdict = spl_payload_check(rbuf, n, ev->key, &in);
        ev->seq = in.seq, ev->peer = in.writer;
    }
}

static int lin_worker(struct spl_worker *w, void *arg)
{
    struct lin *L = arg;
    struct lin_call lc = {.w = w, .im = &L->c->im};
    struct spl_impl *im = lc.im;
    if (worker_open(w, im, L->store) != 0) return 1;
    spl_rng_seed(&lc.rng, w->seed);
    lc.buf = malloc(LIN_MAXVAL), lc.rbuf = malloc(LIN_MAXVAL);
    for (int i = 0; i < TANDEM_ORDERS; i++) lc.tv[i] = malloc(2048);
    int ret = 1;
    char key[64];
    if (!lc.buf || !lc.rbuf || !lc.tv[0] || !lc.tv[1] || !lc.tv[2] || spl_worker_sync(w) != SPL_BARRIER_OK) goto out;
    while (spl_time_ns() < L->end && spl_log_len(w->log) < w->log->cap) {
        unsigned k = (unsigned)spl_rng_below(&lc.rng, L->mix == MIX_TANDEM ? TANDEM_ORDERS : L->nkeys);
        key_name(L, k, key, sizeof key);
        struct spl_event ev = {.worker = w->id, .key = k};
        unsigned dice = (unsigned)spl_rng_below(&lc.rng, 100);
        size_t got = 0;
        int rc = lin_call(L, &lc, &ev, key, dice, &got);
        lin_record(L, &ev, lc.rbuf, rc, got);
        spl_log_append(w->log, &ev);
    }
    spl_worker_sync(w);
    ret = 0;
out:
    im->close();
    free(lc.buf), free(lc.rbuf);
    for (int i = 0; i < TANDEM_ORDERS; i++) free(lc.tv[i]);
    return ret;
}

/* ---- setup, conversion, verdict ----------------------------------------- */

static int lin_setup(struct conform *c, struct rule_out *o, struct lin *L, const char *tag)
{
    L->c = c;
    if (store_create(c, o, tag, 64, LIN_MAXVAL) != 0) return -1;
    snprintf(L->store, sizeof L->store, "%s", o->store);
    struct spl_rng rng;
    spl_rng_seed(&rng, c->seed ^ 0x11AC4Eull);
    uint8_t buf[512];
    char key[64];
    unsigned n = L->mix == MIX_TANDEM ? TANDEM_ORDERS : L->nkeys;
    for (unsigned k = 0; k < n; k++) {
        key_name(L, k, key, sizeof key);
        int rc;
        errno = 0;
        if (L->mix == MIX_COUNTER) {
            L->ctr_init[k] = spl_rng_next(&rng) >> 1;
            rc = c->im.set(key, &L->ctr_init[k], 8);
            if (rc == 0) rc = c->im.set_named_type(key, SPL_SLOT_TYPE_BIGUINT);
        } else if (L->mix == MIX_APPEND) {
            struct app_rec r;
            app_make(&r, k, HC_INITIAL, 0);
            rc = c->im.set(key, &r, sizeof r);
        } else {
            spl_payload_make(buf, 256, k, HC_INITIAL, 0);
            rc = c->im.set(key, buf, 256);
        }
        if (rc != 0) {
            r_error(o, "setting up %s in a single process failed: %d (%s)", key, rc, strerror(errno));
            return -1;
        }
    }
    c->im.close();
    return 0;
}

/* One logged call as a call of the model; false (and a counterexample) for a
 * result the protocol never gives (those are reported, not checked). */
static bool to_op(const struct lin *L, const struct spl_event *e, struct lc_op *op, struct rule_out *o, unsigned *unexpected,
                  unsigned *misses)
{
    *op = (struct lc_op){.call = e->t0, .ret = e->t1, .obj = e->key, .proc = e->worker, .outcome = LC_DONE};
    bool failed = e->rc != 0, eagain = failed && e->rc == -1 && e->err == EAGAIN;
    const char *what = NULL;
    switch (e->op) {
    case LO_SET:
    case LO_RESET:
        op->kind = LC_SET;
        op->arg = e->op == LO_SET ? hc_id(e->worker, e->seq) : lc_seq_extend(LC_SEQ_EMPTY, e->aux);
        if (failed && !eagain) what = "set";
        break;
    case LO_GET:
        op->kind = LC_GET;
        if (!failed) {
            if (L->mix == MIX_COUNTER) op->res = e->verdict ? LC_GARBAGE : e->seq;
            else if (L->mix == MIX_APPEND) op->res = e->csum;
            else op->res = e->verdict == SPL_PAYLOAD_OK ? hc_id(e->peer, e->seq) : LC_GARBAGE;
        } else if (e->rc == -1 && !eagain && e->err != EMSGSIZE && L->mix != MIX_COUNTER) {
            /* a miss is a read of "absent" (ENOENT; the original leaves errno
             * alone: the error-contract rules judge errno, this one the order) */
            op->res = LC_ABSENT, failed = false;
            if (e->err != ENOENT) (*misses)++;
        } else if (!eagain) what = "get";
        break;
    case LO_UNSET:
        op->kind = LC_UNSET;
        if (!failed) op->res = LC_PRESENT;
        else if (e->rc == -1 && !eagain) {
            op->res = LC_ABSENT, failed = false;
            if (e->err != ENOENT) (*misses)++;
        }
        break;
    case LO_INTOP:
        op->kind = LC_INTOP, op->intop = (uint8_t)e->peer, op->arg = e->aux;
        if (failed && !eagain) what = "integer_op";
        break;
    case LO_APPEND:
        op->kind = LC_APPEND, op->arg = e->aux;
        if (failed && !eagain && e->err != EMSGSIZE) what = "append"; /* a full value refuses with EMSGSIZE */
        break;
    default:
        return false;
    }
    if (what) {
        if ((*unexpected)++ < 3)
            r_cex(o, "process %u: %s(key %u) returned %d with errno %d (%s), which only EAGAIN may explain here", e->worker, what,
                  e->key, e->rc, e->err, strerror(e->err));
        return false;
    }
    if (failed) op->outcome = LC_FAILED; /* EAGAIN (or a full append): no effect */
    return true;
}

static void lin_rule(struct conform *c, struct rule_out *o, enum mix mix, unsigned nkeys, const char *tag)
{
    struct lin L = {.mix = mix, .nkeys = nkeys};
    if (lin_setup(c, o, &L, tag) != 0) return;
    uint64_t cap = 60000 + 150000 * (c->duration_ns / 1000000000ull);
    struct spl_team_opts to = {.workers = c->workers, .seed = c->seed, .log_cap = cap > 600000 ? 600000 : cap,
                               .deadline_ns = c->duration_ns + 20000000000ull, .barrier_ns = 15000000000ull};
    struct spl_team *t = spl_team_new(&to);
    if (!t) { r_error(o, "cannot allocate the team: %s", strerror(errno)); return; }
    L.t0 = spl_time_ns();
    L.end = L.t0 + c->duration_ns + 200000000ull; /* + time for everyone to open */
    if (spl_team_run(t, lin_worker, &L) != 0) {
        char why[700];
        r_fail(o, "a worker did not finish cleanly: %s", spl_team_describe(t, why, sizeof why));
        spl_team_free(t);
        return;
    }
    uint64_t init = LC_ABSENT;
    if (mix == MIX_APPEND) {
        /* every key starts as one record by the harness */
        struct app_rec r;
        app_make(&r, 0, HC_INITIAL, 0);
        init = lc_seq_extend(LC_SEQ_EMPTY, app_token(&r));
    } else if (mix != MIX_COUNTER) {
        init = hc_id(HC_INITIAL, 0);
    }
    struct lc_history *h = lc_new(mix == MIX_COUNTER ? LC_COUNTER : mix == MIX_APPEND ? LC_SEQUENCE : LC_REGISTER, init);
    if (!h) { r_error(o, "out of memory"); spl_team_free(t); return; }
    if (mix == MIX_COUNTER)
        for (unsigned k = 0; k < nkeys; k++) lc_set_init(h, k, L.ctr_init[k]);
    unsigned unexpected = 0, misses = 0;
    uint64_t calls = 0, failed = 0;
    struct hc_names nm;
    hc_names_init(&nm, key_fmts[mix], mix == MIX_COUNTER);
    if (mix == MIX_APPEND) {
        struct app_rec r;
        app_make(&r, 0, HC_INITIAL, 0);
        hc_names_seq(&nm, init, 1, app_token(&r));
    }
    for (uint32_t w = 0; w < spl_team_size(t); w++) {
        struct spl_log *l = spl_team_log(t, w);
        for (size_t i = 0; i < spl_log_len(l); i++) {
            const struct spl_event *e = &l->ev[i];
            struct lc_op op;
            calls++;
            if (e->op == LO_TSET || e->op == LO_TUNSET) {
                op = (struct lc_op){.call = e->t0, .ret = e->t1, .proc = e->worker, .outcome = LC_DONE};
                uint64_t vals[TANDEM_ORDERS];
                for (unsigned j = 0; j < TANDEM_ORDERS; j++) vals[j] = hc_id(e->worker, e->seq);
                if (e->op == LO_TSET) {
                    op.kind = LC_SET;
                    /* a failed tandem set wrote the orders before the one that failed: which, we cannot tell */
                    if (e->rc != 0) op.outcome = LC_UNKNOWN, failed++;
                } else {
                    /* client_unset_tandem reports nothing: an order it could not remove stays */
                    op.kind = LC_UNSET, op.outcome = LC_UNKNOWN;
                }
                if (lc_add_tandem(h, &op, 0, TANDEM_ORDERS, vals) != 0) { r_error(o, "out of memory"); goto out; }
                continue;
            }
            if (!to_op(&L, e, &op, o, &unexpected, &misses)) continue;
            if (mix == MIX_APPEND && e->op == LO_GET && e->rc == 0 && e->csum != LC_GARBAGE)
                hc_names_seq(&nm, e->csum, (uint32_t)(e->aux / sizeof(struct app_rec)), e->seq);
            if (mix == MIX_APPEND && e->op == LO_RESET) hc_names_seq(&nm, op.arg, 1, e->aux);
            failed += op.outcome == LC_FAILED;
            if (lc_add(h, &op) != 0) { r_error(o, "out of memory"); goto out; }
        }
    }
    char what[256];
    int wn = snprintf(what, sizeof what, "%llu calls by %u processes (%llu failed with EAGAIN%s)", (unsigned long long)calls,
                      c->workers, (unsigned long long)failed, mix == MIX_APPEND ? " or a full value" : "");
    if (misses && wn > 0 && (size_t)wn < sizeof what)
        snprintf(what + wn, sizeof what - (size_t)wn, "; %u misses without errno ENOENT, taken as misses", misses);
    if (calls < 200) r_error(o, "too few calls to judge: %llu", (unsigned long long)calls);
    else hc_judge(o, h, c, L.t0, &nm, what);
    if (unexpected) r_fail(o, "%u calls returned an error other than EAGAIN (first ones above)", unexpected);
out:
    hc_names_free(&nm);
    lc_free(h);
    spl_team_free(t);
}

static void rule_lin001(struct conform *c, struct rule_out *o) { lin_rule(c, o, MIX_REGISTER, 2, "lin1"); }
static void rule_lin002(struct conform *c, struct rule_out *o) { lin_rule(c, o, MIX_COUNTER, 2, "lin2"); }
static void rule_lin003(struct conform *c, struct rule_out *o) { lin_rule(c, o, MIX_APPEND, 2, "lin3"); }
static void rule_lin004(struct conform *c, struct rule_out *o) { lin_rule(c, o, MIX_TANDEM, TANDEM_ORDERS, "lin4"); }

static const char *const needs_reg[] = {"set", "get", "unset", NULL};
static const char *const needs_ctr[] = {"set", "get", "set_named_type", "integer_op", NULL};
static const char *const needs_app[] = {"set", "get", "append", NULL};
static const char *const needs_tdm[] = {"set", "get", "client_set_tandem", "client_unset_tandem", NULL};

const struct rule lin_rules[] = {
    {.id = "LIN-001", .severity = SEV_CRITICAL, .title = "set/get/unset from several processes are linearizable per key (a register)",
     .needs = needs_reg, .run = rule_lin001, .timeout_s = 60},
    {.id = "LIN-002", .severity = SEV_CRITICAL, .title = "integer_op/get from several processes are linearizable per key (a counter)",
     .needs = needs_ctr, .run = rule_lin002, .timeout_s = 60},
    {.id = "LIN-003", .severity = SEV_CRITICAL, .title = "append/get/set from several processes are linearizable per key (a sequence)",
     .needs = needs_app, .run = rule_lin003, .timeout_s = 60},
    {.id = "LIN-004", .severity = SEV_MAJOR, .title = "tandem set/unset and member gets are linearizable per member key",
     .needs = needs_tdm, .run = rule_lin004, .timeout_s = 60},
};
const size_t lin_nrules = sizeof lin_rules / sizeof lin_rules[0];
