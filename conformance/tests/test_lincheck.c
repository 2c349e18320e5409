/*
 * test_lincheck - the linearizability checker (lib/lincheck.h) on
 * hand-written histories whose answer is known, on the edge cases (calls
 * that overlap, a read of a value whose write is still running, calls of
 * unknown effect, failed calls, states carried over a quiescent point), on
 * the witness it prints, on its bounds (UNDECIDED, never a hang), and on
 * large random histories generated from a known linearisation.
 */
#include "helpers.h"
#include "lincheck.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A LC_ABSENT
enum { D = LC_DONE, F = LC_FAILED, U = LC_UNKNOWN };

static struct lc_op OP(uint32_t proc, uint64_t call, uint64_t ret, int kind, uint64_t arg, uint64_t res, int outcome)
{
    return (struct lc_op){.call = call, .ret = ret, .proc = proc, .kind = (uint8_t)kind, .arg = arg, .res = res,
                          .outcome = (uint8_t)outcome};
}
#define SET(p, c, r, v) OP(p, c, r, LC_SET, v, 0, D)
#define GET(p, c, r, v) OP(p, c, r, LC_GET, 0, v, D)
#define UNSET(p, c, r, found) OP(p, c, r, LC_UNSET, 0, (found) ? LC_PRESENT : LC_ABSENT, D)

static void print_line(void *arg, const char *text)
{
    (void)arg;
    fprintf(stderr, "    | %s\n", text);
}

static enum lc_verdict run(enum lc_model m, uint64_t init, const struct lc_op *ops, size_t n, size_t *nwit,
                           const struct lc_limits *lim, bool show)
{
    struct lc_history *h = lc_new(m, init);
    for (size_t i = 0; i < n; i++) {
        struct lc_op o = ops[i];
        o.tag = i;
        CHECK(lc_add(h, &o) == 0, "lc_add rejected call %zu", i);
    }
    struct lc_result r;
    enum lc_verdict v = lc_check(h, lim, &r);
    if (nwit) *nwit = r.nwit;
    if (show && v == LC_VIOLATION) lc_explain(h, &r, 0, NULL, print_line, NULL);
    lc_result_free(&r);
    lc_free(h);
    return v;
}

/* HIST(verdict wanted, model, initial state, calls...) */
#define HIST(want, m, init, ...)                                                                                       \
    do {                                                                                                               \
        const struct lc_op ops_[] = {__VA_ARGS__};                                                                     \
        enum lc_verdict v_ = run(m, init, ops_, sizeof ops_ / sizeof ops_[0], NULL, NULL, false);                      \
        CHECK(v_ == (want), "want %s, got %s", lc_verdict_str(want), lc_verdict_str(v_));                             \
    } while (0)

TEST(registers)
{
    /* sequential */
    HIST(LC_LINEARIZABLE, LC_REGISTER, A, SET(0, 0, 1, 1), GET(1, 2, 3, 1), SET(0, 4, 5, 2), GET(1, 6, 7, 2));
    /* a stale read: 2 was written after 1 and before the read began */
    HIST(LC_VIOLATION, LC_REGISTER, A, SET(0, 0, 1, 1), SET(1, 2, 3, 2), GET(2, 4, 5, 1));
    /* a read of a value whose write is still running: fine either way */
    HIST(LC_LINEARIZABLE, LC_REGISTER, A, SET(0, 0, 10, 1), GET(1, 2, 3, 1), GET(2, 4, 5, 1));
    HIST(LC_LINEARIZABLE, LC_REGISTER, A, SET(0, 0, 10, 1), GET(1, 2, 3, A), GET(2, 4, 5, 1));
    /* ... but once a reader saw the new value, a later read cannot see the old */
    HIST(LC_VIOLATION, LC_REGISTER, A, SET(0, 0, 10, 1), GET(1, 2, 3, 1), GET(2, 4, 5, A));
    /* two overlapping writes: readers may see them in either order, but all agree */
    HIST(LC_LINEARIZABLE, LC_REGISTER, A, SET(0, 0, 10, 1), SET(1, 0, 10, 2), GET(2, 11, 12, 2), GET(3, 13, 14, 2));
    HIST(LC_LINEARIZABLE, LC_REGISTER, A, SET(0, 0, 10, 1), SET(1, 0, 10, 2), GET(2, 3, 4, 2), GET(3, 5, 6, 1));
    HIST(LC_VIOLATION, LC_REGISTER, A, SET(0, 0, 10, 1), SET(1, 0, 10, 2), GET(2, 11, 12, 2), GET(3, 13, 14, 1));
    /* touching intervals (one returns at the instant the other begins) count as concurrent */
    HIST(LC_LINEARIZABLE, LC_REGISTER, A, SET(0, 0, 5, 1), GET(1, 5, 6, A));
    /* a read of a value nobody wrote, and of a garbage value */
    HIST(LC_VIOLATION, LC_REGISTER, A, SET(0, 0, 1, 1), GET(1, 2, 3, 7));
    HIST(LC_VIOLATION, LC_REGISTER, A, SET(0, 0, 10, 1), GET(1, 2, 3, LC_GARBAGE));
    /* failed calls have no effect: reading their value is a violation */
    HIST(LC_VIOLATION, LC_REGISTER, A, OP(0, 0, 1, LC_SET, 5, 0, F), GET(1, 2, 3, 5));
    HIST(LC_LINEARIZABLE, LC_REGISTER, 9, OP(0, 0, 1, LC_SET, 5, 0, F), GET(1, 2, 3, 9));
    /* unset: removes; returns "found" only when there was a value */
    HIST(LC_LINEARIZABLE, LC_REGISTER, A, SET(0, 0, 1, 1), UNSET(1, 2, 3, 1), GET(2, 4, 5, A), UNSET(0, 6, 7, 0));
    HIST(LC_VIOLATION, LC_REGISTER, A, UNSET(1, 2, 3, 1));
    HIST(LC_VIOLATION, LC_REGISTER, A, SET(0, 0, 1, 1), UNSET(1, 2, 3, 0));
    HIST(LC_VIOLATION, LC_REGISTER, A, SET(0, 0, 1, 1), UNSET(1, 2, 3, 1), GET(2, 4, 5, 1));
    HIST(LC_LINEARIZABLE, LC_REGISTER, A, SET(0, 0, 1, 1), UNSET(1, 2, 9, 1), GET(2, 4, 5, 1), GET(2, 6, 7, A));
}

TEST(unknown_effects)
{
    /* a write whose process died: it may have taken effect ... */
    HIST(LC_LINEARIZABLE, LC_REGISTER, A, OP(0, 0, LC_NEVER, LC_SET, 1, 0, U), GET(1, 5, 6, 1));
    /* ... or not ... */
    HIST(LC_LINEARIZABLE, LC_REGISTER, A, OP(0, 0, LC_NEVER, LC_SET, 1, 0, U), GET(1, 5, 6, A));
    HIST(LC_LINEARIZABLE, LC_REGISTER, A, OP(0, 0, 3, LC_SET, 1, 0, U), GET(1, 5, 6, A), GET(1, 7, 8, A));
    /* ... but not both, and not after the process was seen dead */
    HIST(LC_VIOLATION, LC_REGISTER, A, OP(0, 0, LC_NEVER, LC_SET, 1, 0, U), GET(1, 5, 6, 1), GET(1, 7, 8, A));
    HIST(LC_VIOLATION, LC_REGISTER, A, OP(0, 0, 3, LC_SET, 1, 0, U), GET(1, 5, 6, A), GET(1, 7, 8, 1));
    /* an unknown write that never returned may land late */
    HIST(LC_LINEARIZABLE, LC_REGISTER, A, OP(0, 0, LC_NEVER, LC_SET, 1, 0, U), GET(1, 5, 6, A), GET(1, 7, 8, 1));
    /* a read of unknown outcome says nothing */
    HIST(LC_LINEARIZABLE, LC_REGISTER, A, SET(0, 0, 1, 1), OP(1, 2, LC_NEVER, LC_GET, 0, 77, U));
    /* counter: an increment of unknown effect */
    struct lc_op inc = OP(0, 0, 3, LC_INTOP, 1, 0, U);
    inc.intop = 4;
    HIST(LC_LINEARIZABLE, LC_COUNTER, 0, inc, GET(1, 5, 6, 0));
    HIST(LC_LINEARIZABLE, LC_COUNTER, 0, inc, GET(1, 5, 6, 1));
    HIST(LC_VIOLATION, LC_COUNTER, 0, inc, GET(1, 5, 6, 2));
}

static struct lc_op INTOP(uint32_t p, uint64_t c, uint64_t r, int op, uint64_t m)
{
    struct lc_op o = OP(p, c, r, LC_INTOP, m, 0, D);
    o.intop = (uint8_t)op;
    return o;
}

TEST(counters)
{
    /* three overlapping increments: every intermediate read is possible, the final one is 3 */
    HIST(LC_LINEARIZABLE, LC_COUNTER, 0, INTOP(0, 0, 10, 4, 1), INTOP(1, 0, 10, 4, 1), INTOP(2, 0, 10, 4, 1),
          GET(3, 2, 3, 2), GET(3, 11, 12, 3));
    /* a lost increment */
    HIST(LC_VIOLATION, LC_COUNTER, 0, INTOP(0, 0, 10, 4, 1), INTOP(1, 0, 10, 4, 1), INTOP(2, 0, 10, 4, 1),
          GET(3, 11, 12, 2));
    /* order matters for mixed ops: (5 xor 3) + 1 = 7 or (5 + 1) xor 3 = 5 */
    HIST(LC_LINEARIZABLE, LC_COUNTER, 5, INTOP(0, 0, 10, 2, 3), INTOP(1, 0, 10, 4, 1), GET(2, 11, 12, 7));
    HIST(LC_LINEARIZABLE, LC_COUNTER, 5, INTOP(0, 0, 10, 2, 3), INTOP(1, 0, 10, 4, 1), GET(2, 11, 12, 5));
    HIST(LC_VIOLATION, LC_COUNTER, 5, INTOP(0, 0, 10, 2, 3), INTOP(1, 0, 10, 4, 1), GET(2, 11, 12, 9));
    /* not, and, or, dec with wrap */
    HIST(LC_LINEARIZABLE, LC_COUNTER, 0, INTOP(0, 0, 1, 3, 0), GET(1, 2, 3, UINT64_MAX), INTOP(0, 4, 5, 0, 0xF0),
          INTOP(0, 6, 7, 1, 1), GET(1, 8, 9, 0xF1), INTOP(0, 10, 11, 5, 0xF2), GET(1, 12, 13, UINT64_MAX));
    CHECK(lc_intop_apply(5, 0, 1) == UINT64_MAX, "dec wraps");
}

TEST(sequences)
{
    uint64_t ab[] = {1, 2}, ba[] = {2, 1}, a[] = {1};
    uint64_t e = LC_SEQ_EMPTY, hab = lc_seq_hash(ab, 2), hba = lc_seq_hash(ba, 2), ha = lc_seq_hash(a, 1);
    CHECK(lc_seq_extend(lc_seq_extend(e, 1), 2) == hab && hab != hba, "sequence names");
    struct lc_op ap1 = OP(0, 0, 10, LC_APPEND, 1, 0, D), ap2 = OP(1, 0, 10, LC_APPEND, 2, 0, D);
    HIST(LC_LINEARIZABLE, LC_SEQUENCE, e, ap1, ap2, GET(2, 11, 12, hba));
    HIST(LC_LINEARIZABLE, LC_SEQUENCE, e, ap1, ap2, GET(2, 2, 3, ha), GET(2, 11, 12, hab));
    /* an append lost (both returned, the value holds one) */
    HIST(LC_VIOLATION, LC_SEQUENCE, e, ap1, ap2, GET(2, 11, 12, ha));
    /* the value seen grows only by appends */
    HIST(LC_VIOLATION, LC_SEQUENCE, e, ap1, ap2, GET(2, 2, 3, ha), GET(2, 11, 12, hba));
    /* set resets; append to a missing key cannot succeed */
    HIST(LC_LINEARIZABLE, LC_SEQUENCE, e, SET(0, 0, 1, ha), OP(1, 2, 3, LC_APPEND, 2, 0, D), GET(2, 4, 5, hab));
    HIST(LC_VIOLATION, LC_SEQUENCE, A, OP(1, 2, 3, LC_APPEND, 2, 0, D));
}

TEST(tandem)
{
    /* a tandem group of 3 orders on objects 10, 11, 12 */
    struct lc_history *h = lc_new(LC_REGISTER, A);
    uint64_t v1[] = {101, 111, 121}, v2[] = {102, 112, 122};
    struct lc_op t1 = SET(0, 0, 10, 0), t2 = SET(1, 20, 30, 0), un = OP(2, 40, 50, LC_UNSET, 0, 0, D);
    lc_add_tandem(h, &t1, 10, 3, v1);
    lc_add_tandem(h, &t2, 10, 3, v2);
    struct lc_op g = GET(3, 32, 33, 112);
    g.obj = 11;
    lc_add(h, &g);
    g = GET(3, 34, 35, 122), g.obj = 12;
    lc_add(h, &g);
    lc_add_tandem(h, &un, 10, 3, NULL);
    g = GET(3, 55, 56, A), g.obj = 10;
    lc_add(h, &g);
    struct lc_result r;
    CHECK(lc_check(h, NULL, &r) == LC_LINEARIZABLE, "tandem: %s", lc_verdict_str(r.verdict));
    CHECK(r.objects == 3, "tandem: 3 member keys, got %zu", r.objects);
    lc_result_free(&r);
    /* order 2 still holding the first call's value after the second returned */
    g = GET(3, 36, 37, 121), g.obj = 12;
    lc_add(h, &g);
    CHECK(lc_check(h, NULL, &r) == LC_VIOLATION && r.obj == 12, "tandem violation on order 2: %s obj %u",
           lc_verdict_str(r.verdict), r.obj);
    lc_result_free(&r);
    lc_free(h);
}

TEST(carried_states)
{
    /* two overlapping writes, then a quiescent gap: both states carry over */
    HIST(LC_LINEARIZABLE, LC_REGISTER, A, SET(0, 0, 10, 1), SET(1, 0, 10, 2), GET(2, 20, 21, 1));
    HIST(LC_LINEARIZABLE, LC_REGISTER, A, SET(0, 0, 10, 1), SET(1, 0, 10, 2), GET(2, 20, 21, 2));
    /* ... but only one of them is the state after the gap */
    HIST(LC_VIOLATION, LC_REGISTER, A, SET(0, 0, 10, 1), SET(1, 0, 10, 2), GET(2, 20, 21, 1), GET(3, 30, 31, 2));
    /* per key: the same history on two keys is judged key by key */
    struct lc_op ops[] = {SET(0, 0, 1, 1), SET(1, 2, 3, 2), GET(2, 4, 5, 2), SET(0, 0, 1, 1), SET(1, 2, 3, 2), GET(2, 4, 5, 1)};
    for (int i = 3; i < 6; i++) ops[i].obj = 7;
    struct lc_history *h = lc_new(LC_REGISTER, A);
    for (int i = 0; i < 6; i++) lc_add(h, &ops[i]);
    struct lc_result r;
    CHECK(lc_check(h, NULL, &r) == LC_VIOLATION && r.obj == 7 && r.objects == 2, "P-compositional: obj %u objects %zu",
           r.obj, r.objects);
    lc_result_free(&r);
    lc_free(h);
}

/* A random history with a known linearisation: each call gets a linearisation
 * point inside its interval, results come from applying the calls in that
 * order. nproc processes, sequential each. */
static struct lc_history *gen(enum lc_model m, struct spl_rng *rng, size_t n, unsigned nproc, unsigned nobj, bool crashes)
{
    struct lc_history *h = lc_new(m, m == LC_COUNTER ? 0 : LC_ABSENT);
    struct gop { struct lc_op o; uint64_t lp; } *g = calloc(n, sizeof *g);
    uint64_t *tnow = calloc(nproc, sizeof *tnow);
    for (size_t i = 0; i < n; i++) {
        unsigned p = (unsigned)spl_rng_below(rng, nproc);
        uint64_t c = tnow[p] + spl_rng_below(rng, 50), d = 1 + spl_rng_below(rng, 400);
        struct lc_op o = {.call = c, .ret = c + d, .proc = p, .obj = (uint32_t)spl_rng_below(rng, nobj), .outcome = LC_DONE};
        unsigned k = (unsigned)spl_rng_below(rng, 100);
        /* (with calls that never return, no unsets: see below) */
        if (m == LC_REGISTER) o.kind = k < 45 ? LC_SET : k < 90 || crashes ? LC_GET : LC_UNSET, o.arg = i + 1;
        else if (m == LC_COUNTER) o.kind = k < 50 ? LC_INTOP : LC_GET, o.intop = (uint8_t)spl_rng_below(rng, 6), o.arg = spl_rng_next(rng);
        else o.kind = k < 50 ? LC_APPEND : LC_GET, o.arg = i + 1;
        if (m == LC_COUNTER && o.intop < 3) { /* keep bits alive: the OR of two draws */
            uint64_t r1 = spl_rng_next(rng), r2 = spl_rng_next(rng);
            o.arg &= r1 | r2;
        }
        g[i].o = o;
        g[i].lp = c + spl_rng_below(rng, d + 1);
        tnow[p] = o.ret + 1;
        if (crashes && o.kind != LC_GET && spl_rng_below(rng, 100) < 3) {
            /* this call's process dies: it may take effect (lp inside) or not */
            g[i].o.outcome = LC_UNKNOWN;
            /* a call that never returned keeps every later call concurrent with
             * it: callers give the time the process was seen dead. Register
             * writes that never returned are fine when their effect shows
             * only through reads of their value (tightened to the first one,
             * or left out): hence no unsets in these histories */
            g[i].o.ret = m == LC_REGISTER && spl_rng_below(rng, 2) ? LC_NEVER : o.ret;
            if (spl_rng_below(rng, 2)) g[i].lp = UINT64_MAX; /* no effect */
        }
    }
    /* apply in linearisation order */
    size_t *ord = malloc(n * sizeof *ord);
    for (size_t i = 0; i < n; i++) ord[i] = i;
    for (size_t i = 1; i < n; i++) /* insertion sort is fine: n is moderate and mostly sorted per process */
        for (size_t j = i; j > 0 && g[ord[j]].lp < g[ord[j - 1]].lp; j--) { size_t t = ord[j]; ord[j] = ord[j - 1], ord[j - 1] = t; }
    uint64_t *st = malloc(nobj * sizeof *st);
    for (unsigned i = 0; i < nobj; i++) st[i] = m == LC_COUNTER ? 0 : LC_ABSENT;
    if (m == LC_SEQUENCE)
        for (unsigned i = 0; i < nobj; i++) st[i] = LC_SEQ_EMPTY, lc_set_init(h, i, LC_SEQ_EMPTY);
    for (size_t k = 0; k < n; k++) {
        struct gop *x = &g[ord[k]];
        if (x->lp == UINT64_MAX) continue;
        uint64_t *s = &st[x->o.obj];
        switch (x->o.kind) {
        case LC_SET: *s = x->o.arg; break;
        case LC_GET: x->o.res = *s; break;
        case LC_UNSET: x->o.res = *s == LC_ABSENT ? LC_ABSENT : LC_PRESENT, *s = LC_ABSENT; break;
        case LC_INTOP: *s = lc_intop_apply(x->o.intop, *s, x->o.arg); break;
        case LC_APPEND: *s = lc_seq_extend(*s, x->o.arg); break;
        }
    }
    for (size_t i = 0; i < n; i++) g[i].o.tag = i, lc_add(h, &g[i].o);
    free(g), free(tnow), free(ord), free(st);
    return h;
}

TEST(random_histories)
{
    struct spl_rng rng;
    spl_rng_seed(&rng, 42);
    for (int m = LC_REGISTER; m <= LC_SEQUENCE; m++) {
        for (int round = 0; round < 6; round++) {
            bool crashes = round & 1;
            size_t n = round < 2 ? 600 : round < 4 ? 2000 : 60000; /* one key fully contended: fewer calls */
            struct lc_history *h = gen((enum lc_model)m, &rng, n, 6, round < 2 ? 1 : 3, crashes);
            struct lc_result r;
            uint64_t t0 = spl_time_ns();
            enum lc_verdict v = lc_check(h, NULL, &r);
            CHECK(v == LC_LINEARIZABLE, "model %d round %d (%zu calls%s): %s %s", m, round, n, crashes ? ", crashes" : "",
                   lc_verdict_str(v), r.why);
            if (round == 5)
                fprintf(stderr, "  model %d: %zu calls, %zu segments (longest %zu), %llu steps, %.3f s\n", m, r.ops, r.segments,
                        r.longest_segment, (unsigned long long)r.steps, (double)(spl_time_ns() - t0) / 1e9);
            lc_result_free(&r);
            /* corrupt one completed read in the middle: it now reads what was never there */
            size_t victim = SIZE_MAX;
            for (size_t i = lc_size(h) / 2; i < lc_size(h); i++) {
                const struct lc_op *o = lc_get(h, i);
                if (o->kind == LC_GET && o->outcome == LC_DONE) { victim = i; break; }
            }
            if (victim != SIZE_MAX) {
                ((struct lc_op *)lc_get(h, victim))->res = m == LC_COUNTER ? 0x5EED5EED5EED5EEDull : 0xBAD0000000ull;
                v = lc_check(h, NULL, &r);
                CHECK(v == LC_VIOLATION, "corrupted read %zu: %s", victim, lc_verdict_str(v));
                if (v == LC_VIOLATION) {
                    bool has = false;
                    for (size_t k = 0; k < r.nwit; k++) has |= r.wit[k] == victim;
                    CHECK(has, "model %d: the witness (%zu calls) does not contain the corrupted read", m, r.nwit);
                    CHECK(r.nwit <= 4 || m != LC_REGISTER, "register witness of a never-written read has %zu calls", r.nwit);
                }
                lc_result_free(&r);
            }
            lc_free(h);
        }
    }
}

TEST(witnesses)
{
    /* 1000 fine calls, then a stale read: the witness is the three calls at fault */
    struct lc_op *ops = calloc(1004, sizeof *ops);
    size_t n = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        ops[n++] = i % 2 ? GET((uint32_t)(i % 3), i * 10, i * 10 + 5, i) : SET((uint32_t)(i % 3), i * 10, i * 10 + 5, i + 1);
    }
    ops[n++] = SET(0, 20000, 20010, 5000);
    ops[n++] = SET(1, 20020, 20030, 5001);
    ops[n++] = GET(2, 20040, 20050, 5000);
    ops[n++] = GET(2, 20060, 20070, 5001);
    size_t nwit = 0;
    fprintf(stderr, "  witness of a stale read after 1000 fine calls:\n");
    enum lc_verdict v = run(LC_REGISTER, A, ops, n, &nwit, NULL, true);
    CHECK(v == LC_VIOLATION && nwit == 3, "stale read witness: %s, %zu calls (want 3)", lc_verdict_str(v), nwit);
    /* a lost increment among overlapping ones */
    n = 0;
    for (uint64_t i = 0; i < 200; i++) ops[n++] = INTOP((uint32_t)(i % 4), i * 10, i * 10 + 25, 4, 1);
    ops[n++] = GET(5, 3000, 3001, 199);
    fprintf(stderr, "  witness of a lost increment:\n");
    v = run(LC_COUNTER, 0, ops, n, &nwit, NULL, true);
    CHECK(v == LC_VIOLATION, "lost increment: %s", lc_verdict_str(v));
    free(ops);
}

TEST(bounds)
{
    /* 10 overlapping writes and reads that only a deep search can order */
    struct lc_op ops[30];
    size_t n = 0;
    for (uint32_t p = 0; p < 10; p++) ops[n++] = SET(p, 0, 100, p + 1);
    for (uint32_t p = 0; p < 10; p++) ops[n++] = GET(p + 20, 1, 99, 10 - p);
    struct lc_limits tiny = {.max_steps = 50};
    uint64_t t0 = spl_time_ns();
    enum lc_verdict v = run(LC_REGISTER, A, ops, n, NULL, &tiny, false);
    CHECK(v == LC_UNDECIDED, "tiny step bound: want undecided, got %s", lc_verdict_str(v));
    struct lc_limits few = {.max_cache = 16};
    v = run(LC_REGISTER, A, ops, n, NULL, &few, false);
    CHECK(v == LC_UNDECIDED, "tiny memo bound: want undecided, got %s", lc_verdict_str(v));
    v = run(LC_REGISTER, A, ops, n, NULL, NULL, false);
    CHECK(v == LC_LINEARIZABLE, "the same history with the default bounds: %s", lc_verdict_str(v));
    CHECK(spl_time_ns() - t0 < 10000000000ull, "bounded searches took %.1f s", (double)(spl_time_ns() - t0) / 1e9);
    /* bad input is refused, not stored */
    struct lc_history *h = lc_new(LC_COUNTER, 0);
    struct lc_op bad = OP(0, 0, 1, LC_APPEND, 1, 0, D);
    CHECK(lc_add(h, &bad) != 0 && lc_size(h) == 0, "an append in a counter history is refused");
    lc_free(h);
    CHECK(lc_new((enum lc_model)9, 0) == NULL, "unknown model refused");
}

int main(void)
{
    RUN(registers);
    RUN(unknown_effects);
    RUN(counters);
    RUN(sequences);
    RUN(tandem);
    RUN(carried_states);
    RUN(witnesses);
    RUN(bounds);
    RUN(random_histories);
    return T_DONE("lincheck");
}
