/*
 * rules_dwr.c - DWR: writers killed mid-write, for real.
 *
 * A child process writes large values to a key in a loop; the harness
 * SIGKILLs it at a random moment, most likely inside a write (the slot then
 * stays odd: its writer will never finish). Then, in another child with a
 * deadline, every call on that key must return promptly with EAGAIN or a
 * result the protocol allows (never a spin, never the half-written bytes as
 * a value); the store's other keys must work as before; and the recovery the
 * protocol offers (splinter_retrain_slot) must leave the key either absent or
 * holding an intact value, never the half-written one, and writable again.
 */
#include "conform.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DWR_VAL (2u << 20)
#define DWR_ROUNDS 10
/* A call on the dead writer's slot returns within this. Not a speed test:
 * what it tells apart is a call that waits the writer out (seconds, or
 * forever: the checking process's deadline below finds that one) from one
 * that gives up or takes the slot over. A correct set there (a 100 ms
 * dead-writer window, then 2 MiB copied) took 665 ms on a 2-core machine at
 * load 10, against a bound of 500 ms before. */
#define DWR_CALL_NS 1500000000ull
#define DWR_CHECK_NS 6000000000ull /* the checking process's twelve calls, all */
#define DWR_POLL_MS 20

enum call { C_GET, C_SNAP, C_POLL, C_SET, C_GET2, C_OTHER_GET, C_OTHER_SET, C_RETRAIN, C_GET3, C_SET3, C_GET4, C_APPEND, NCALLS };
static const char *const call_name[NCALLS] = {
    "get", "get_slot_snapshot", "poll(20 ms)", "set", "get after that set", "get of another key",
    "set of another key", "retrain_slot", "get after retrain", "set after retrain", "get after that set", "append"};

struct dwr_call {
    int rc, err;
    uint64_t ns;
    uint32_t verdict; /* payload verdict of a successful get (or UINT32_MAX: not a get) */
    uint64_t seq;
    int ran;
};

struct dwr_round {
    _Atomic uint64_t done; /* sets the writer completed */
    uint64_t killed_after_ns;
    uint64_t epoch_before, epoch_after; /* the victim's slot epoch before and after the kill (from the bytes) */
    bool odd;
    struct dwr_call call[NCALLS];
    char msg[256];
};

struct dwr {
    struct conform *c;
    char store[512];
    char key[64];
    struct dwr_round *R;
    unsigned round;
    bool recovery; /* DWR-002: also retrain the slot and judge what it leaves */
};

static void victim_name(char *b, size_t n, unsigned r) { snprintf(b, n, "dwr-victim-%u", r); }

static void writer_child(struct dwr *D, uint8_t *buf)
{
    struct spl_impl *im = &D->c->im;
    if (im->open(D->store) != 0) _exit(1);
    /* the values are made before the first write, so that the loop is all
     * writes and a kill lands inside one (making a 2 MiB payload costs more
     * than writing it in an instrumented build: under ASan no kill landed);
     * 14 of them, so consecutive writes always differ in bytes and size */
    enum { NPRE = 14 };
    uint8_t *pre[NPRE];
    for (unsigned i = 0; i < NPRE; i++) {
        pre[i] = i ? malloc(DWR_VAL) : buf;
        if (!pre[i]) _exit(1);
        spl_payload_make(pre[i], DWR_VAL - ((i + 1) % 7) * 4096, D->round, 1, i + 1);
    }
    for (uint64_t seq = 1;; seq++) {
        unsigned i = (unsigned)((seq - 1) % NPRE);
        if (im->set(D->key, pre[i], DWR_VAL - ((i + 1) % 7) * 4096) == 0) atomic_store(&D->R[D->round].done, seq);
    }
}

static int timed(struct dwr_call *c, uint64_t t0)
{
    c->ns = spl_time_ns() - t0;
    c->ran = 1;
    c->verdict = UINT32_MAX;
    return c->rc;
}

/* Every call on the victim and on another key, each timed (in a child with a deadline). */
static int check_child(void *arg, char *msg)
{
    struct dwr *D = arg;
    struct spl_impl *im = &D->c->im;
    struct dwr_round *R = &D->R[D->round];
    if (im->open(D->store) != 0) { snprintf(msg, SPL_MSG_MAX, "splinter_open: %s", strerror(errno)); return 1; }
    uint8_t *buf = malloc(DWR_VAL);
    if (!buf) return 1;
    struct dwr_call *c = R->call;
    size_t got;
    uint64_t t;
#define DWR_CALL(i, expr)                                                                                                  \
    do {                                                                                                               \
        snprintf(msg, SPL_MSG_MAX, "inside %s on %s", call_name[i], i == C_OTHER_GET || i == C_OTHER_SET ? "dwr-other" : D->key); \
        errno = 0;                                                                                                     \
        t = spl_time_ns();                                                                                             \
        c[i].rc = (expr);                                                                                              \
        c[i].err = c[i].rc ? errno : 0;                                                                                \
        timed(&c[i], t);                                                                                               \
    } while (0)
#define VERDICT(i, key_id)                                                                                             \
    do {                                                                                                               \
        if (c[i].rc == 0) {                                                                                            \
            struct spl_payload_info in;                                                                                \
            c[i].verdict = spl_payload_check(buf, got > DWR_VAL ? DWR_VAL : got, key_id, &in);                          \
            c[i].seq = in.seq;                                                                                         \
        }                                                                                                              \
    } while (0)
    got = 0;
    DWR_CALL(C_GET, im->get(D->key, buf, DWR_VAL, &got));
    VERDICT(C_GET, D->round);
    if (D->recovery) goto recovery; /* DWR-001 judges the other calls */
    if (im->get_slot_snapshot) {
        splinter_slot_snapshot_t snap;
        DWR_CALL(C_SNAP, im->get_slot_snapshot(D->key, &snap));
    }
    if (im->poll) DWR_CALL(C_POLL, im->poll(D->key, DWR_POLL_MS));
    uint8_t small[256];
    spl_payload_make(small, sizeof small, D->round, 2, 1000001);
    DWR_CALL(C_SET, im->set(D->key, small, sizeof small));
    if (c[C_SET].rc == 0) {
        got = 0;
        DWR_CALL(C_GET2, im->get(D->key, buf, DWR_VAL, &got));
        VERDICT(C_GET2, D->round);
    }
    got = 0;
    DWR_CALL(C_OTHER_GET, im->get("dwr-other", buf, DWR_VAL, &got));
    VERDICT(C_OTHER_GET, 999);
    spl_payload_make(small, sizeof small, 999, 2, D->round + 1);
    DWR_CALL(C_OTHER_SET, im->set("dwr-other", small, sizeof small));
recovery:
    if (D->recovery && im->retrain_slot) {
        DWR_CALL(C_RETRAIN, im->retrain_slot(D->key));
        got = 0;
        DWR_CALL(C_GET3, im->get(D->key, buf, DWR_VAL, &got));
        VERDICT(C_GET3, D->round);
        spl_payload_make(small, sizeof small, D->round, 2, 1000002);
        DWR_CALL(C_SET3, im->set(D->key, small, sizeof small));
        got = 0;
        DWR_CALL(C_GET4, im->get(D->key, buf, DWR_VAL, &got));
        VERDICT(C_GET4, D->round);
    }
    if (!D->recovery && im->append) { /* last: it changes the value (timed only) */
        size_t nl;
        DWR_CALL(C_APPEND, im->append(D->key, "x", 1, &nl));
    }
#undef DWR_CALL
#undef VERDICT
    msg[0] = '\0';
    free(buf);
    im->close();
    return 0;
}

static uint64_t victim_epoch(struct conform *c, struct rule_out *o, const char *key, bool *found)
{
    struct spl_storeview v;
    *found = false;
    if (store_view(c, o, &v, 0) != 0) return 0;
    long i = spl_sv_find(&v, key);
    uint64_t e = i >= 0 ? atomic_load(&SV_SLOT(&v, i).epoch) : 0;
    *found = i >= 0;
    spl_sv_close(&v);
    return e;
}

static void rule_dwr(struct conform *c, struct rule_out *o, bool recovery)
{
    struct dwr D = {.c = c, .recovery = recovery};
    if (recovery && !c->im.retrain_slot) { r_skip(o, "%s does not export splinter_retrain_slot: no recovery to judge", c->im.label); return; }
    if (store_create(c, o, recovery ? "dwr2" : "dwr1", 2 * DWR_ROUNDS + 4, DWR_VAL) != 0) return;
    snprintf(D.store, sizeof D.store, "%s", o->store);
    uint8_t *buf = malloc(DWR_VAL);
    D.R = spl_shared_alloc(DWR_ROUNDS * sizeof *D.R);
    if (!buf || !D.R) { r_error(o, "out of memory"); free(buf); return; }
    spl_payload_make(buf, 300, 999, 0, 0);
    if (c->im.set("dwr-other", buf, 300) != 0) { r_error(o, "set(dwr-other): %s", strerror(errno)); goto out; }
    for (unsigned r = 0; r < DWR_ROUNDS; r++) {
        victim_name(D.key, sizeof D.key, r);
        spl_payload_make(buf, 4096, r, 0, 0);
        if (c->im.set(D.key, buf, 4096) != 0) { r_error(o, "set(%s): %s", D.key, strerror(errno)); goto out; }
    }
    c->im.close();
    struct spl_rng rng;
    spl_rng_seed(&rng, c->seed ^ 0xD3AD);
    unsigned odd = 0, bad = 0;
    uint64_t worst = 0;
    for (unsigned r = 0; r < DWR_ROUNDS; r++) {
        struct dwr_round *R = &D.R[r];
        D.round = r;
        victim_name(D.key, sizeof D.key, r);
        pid_t p = spl_proc_fork(SPL_PROC_PDEATH);
        if (p < 0) { r_error(o, "fork: %s", strerror(errno)); goto out; }
        if (p == 0) writer_child(&D, buf);
        /* let it complete one write, then kill it at a random point of the next ones */
        uint64_t t0 = spl_time_ns();
        while (!atomic_load(&R->done) && spl_time_ns() - t0 < 5000000000ull) spl_sleep_ns(100000);
        spl_sleep_ns(500000 + spl_rng_below(&rng, 3000000));
        bool found;
        R->epoch_before = victim_epoch(c, o, D.key, &found);
        struct spl_proc_end end;
        spl_proc_kill(p, &end);
        R->epoch_after = victim_epoch(c, o, D.key, &found);
        R->odd = found && (R->epoch_after & 1);
        odd += R->odd;
        struct spl_child_result cr;
        if (spl_child_run(check_child, &D, DWR_CHECK_NS, &cr) != 0) { r_error(o, "fork: %s", strerror(errno)); goto out; }
        char where[80];
        snprintf(where, sizeof where, "round %u (writer killed %s)", r, R->odd ? "inside a write: slot left odd" : "between writes");
        if (cr.timed_out || cr.signal) {
            char d[64];
            bad++;
            r_cex(o, "%s: the checking process %s %s", where, spl_child_describe(&cr, d, sizeof d), cr.msg);
            if (cr.timed_out) break; /* a call that spins on a dead writer's slot: once is enough */
            continue;
        }
        const struct dwr_call *k = R->call;
        for (int i = 0; i < NCALLS; i++) {
            if (!k[i].ran) continue;
            uint64_t limit = DWR_CALL_NS + (i == C_POLL ? DWR_POLL_MS * 1000000ull : 0);
            if (k[i].ns > worst) worst = k[i].ns;
            if (k[i].ns > limit) {
                bad++;
                r_cex(o, "%s: %s took %.1f ms (bound %.0f ms)", where, call_name[i], (double)k[i].ns / 1e6, (double)limit / 1e6);
            }
        }
        /* the dead writer's half-written bytes never come back as a value */
        for (int i = C_GET; i < NCALLS; i++) {
            if (i != C_GET && i != C_GET2 && i != C_GET3 && i != C_GET4 && i != C_OTHER_GET) continue;
            if (!k[i].ran || k[i].rc != 0 || k[i].verdict == SPL_PAYLOAD_OK) continue;
            bad++;
            r_cex(o, "%s: %s returned 0 with a %s value (%s)", where, call_name[i],
                  spl_payload_verdict_str((enum spl_payload_verdict)k[i].verdict),
                  i == C_GET3 ? "retrain republished the half-written bytes as the value" : "torn bytes read as a value");
        }
        if (R->odd && k[C_GET].rc == -1 && k[C_GET].err != EAGAIN) {
            bad++;
            r_cex(o, "%s: get failed with %s; a slot a writer holds says EAGAIN", where, strerror(k[C_GET].err));
        }
        if (k[C_SET].ran && k[C_SET].rc != 0 && !(k[C_SET].rc == -1 && k[C_SET].err == EAGAIN)) {
            bad++;
            r_cex(o, "%s: set returned %d (%s): want 0, or EAGAIN while the slot is held", where, k[C_SET].rc, strerror(k[C_SET].err));
        }
        if (k[C_SET].ran && k[C_SET].rc == 0 && (k[C_GET2].rc != 0 || k[C_GET2].seq != 1000001)) {
            bad++;
            r_cex(o, "%s: set returned 0 but the get after it returned %d, #%llu", where, k[C_GET2].rc, (unsigned long long)k[C_GET2].seq);
        }
        if (k[C_OTHER_GET].ran && (k[C_OTHER_GET].rc != 0 || k[C_OTHER_SET].rc != 0)) {
            bad++;
            r_cex(o, "%s: another key stopped working: get %d (%s), set %d (%s)", where, k[C_OTHER_GET].rc,
                  strerror(k[C_OTHER_GET].err), k[C_OTHER_SET].rc, strerror(k[C_OTHER_SET].err));
        }
        if (k[C_RETRAIN].ran) {
            if (R->odd && k[C_RETRAIN].rc != 0) {
                bad++;
                r_cex(o, "%s: retrain_slot, the sanctioned recovery, failed: %d (%s)", where, k[C_RETRAIN].rc,
                      strerror(k[C_RETRAIN].err));
            }
            if (k[C_GET3].rc == -1 && k[C_GET3].err == EAGAIN && k[C_RETRAIN].rc == 0) {
                bad++;
                r_cex(o, "%s: after retrain_slot returned 0 the key still says EAGAIN", where);
            }
            if (k[C_RETRAIN].rc == 0 && (k[C_SET3].rc != 0 || k[C_GET4].rc != 0 || k[C_GET4].seq != 1000002)) {
                bad++;
                r_cex(o, "%s: after retrain_slot the key is not writable: set %d (%s), get %d, #%llu", where, k[C_SET3].rc,
                      strerror(k[C_SET3].err), k[C_GET4].rc, (unsigned long long)k[C_GET4].seq);
            }
        }
    }
    if (bad)
        r_fail(o, "%u findings over %u writers killed (%u inside a write) on 2 MiB values", bad, DWR_ROUNDS, odd);
    else if (!odd)
        r_error(o, "none of %u kills landed inside a write: nothing to judge", DWR_ROUNDS);
    else if (recovery)
        r_pass(o, "%u writers killed, %u inside a write: retrain_slot left each key absent or intact, and writable; never the "
                  "half-written value", DWR_ROUNDS, odd);
    else
        r_pass(o, "%u writers killed, %u inside a write: every call on the slot returned within %.1f ms (EAGAIN while held, "
                  "never a torn value), other keys unaffected", DWR_ROUNDS, odd, (double)worst / 1e6);
out:
    spl_shared_free(D.R, DWR_ROUNDS * sizeof *D.R);
    free(buf);
}

static void rule_dwr001(struct conform *c, struct rule_out *o) { rule_dwr(c, o, false); }
static void rule_dwr002(struct conform *c, struct rule_out *o) { rule_dwr(c, o, true); }

static const char *const needs_dwr[] = {"set", "get", NULL};

const struct rule dwr_rules[] = {
    {.id = "DWR-001", .severity = SEV_CRITICAL, .title = "a writer killed mid-write: every call on its slot returns promptly (EAGAIN, never torn bytes), other keys work",
     .needs = needs_dwr, .run = rule_dwr001, .timeout_s = 120},
    {.id = "DWR-002", .severity = SEV_CRITICAL, .title = "recovering a dead writer's slot (retrain_slot) leaves it absent or intact, and writable: never the half-written value",
     .needs = needs_dwr, .run = rule_dwr002, .timeout_s = 120},
};
const size_t dwr_nrules = sizeof dwr_rules / sizeof dwr_rules[0];
