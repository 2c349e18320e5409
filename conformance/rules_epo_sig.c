/*
 * rules_epo_sig.c - EPO (global and slot epochs) and SIG (signal groups,
 * labels, watches, poll). Epochs and counters are read from the store's
 * bytes by the harness, and through the implementation's API where it has one.
 */
#include "conform.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static uint64_t gepoch(const struct spl_storeview *v) { return spl_sv_global_epoch(v); }

/* EPO-001: every data write advances the global epoch. */
static void rule_epo001(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "epo1", 64, 256) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    struct spl_impl *im = &c->im;
    uint8_t val[64];
    memset(val, 'v', sizeof val);
    int checked = 0;
    char skipped[256] = "";
#define STEP(name, call)                                                                              \
    do {                                                                                              \
        uint64_t e0 = gepoch(&v);                                                                     \
        errno = 0;                                                                                    \
        int rc_ = (call);                                                                             \
        uint64_t e1 = gepoch(&v);                                                                     \
        if (rc_ < 0) r_error(o, "%s failed: %d (%s)", name, rc_, strerror(errno));                     \
        else r_check(o, e1 > e0, "%s succeeded but the global epoch stayed at %llu", name, (unsigned long long)e0); \
        checked++;                                                                                    \
    } while (0)
    STEP("set of a new key", im->set("epo-a", val, sizeof val));
    STEP("set of an existing key", im->set("epo-a", val, 32));
    if (im->append) { size_t nl; STEP("append", im->append("epo-a", val, 8, &nl)); }
    else strcat(skipped, " append");
    if (im->set_label) STEP("set_label", im->set_label("epo-a", 1u << 3));
    else strcat(skipped, " set_label");
    if (im->unset_label) STEP("unset_label", im->unset_label("epo-a", 1u << 3));
    else strcat(skipped, " unset_label");
    if (im->set_named_type && im->integer_op) {
        uint64_t one = 1;
        im->set("epo-n", &one, sizeof one);
        STEP("set_named_type(BIGUINT)", im->set_named_type("epo-n", SPL_SLOT_TYPE_BIGUINT));
        STEP("integer_op(INC)", im->integer_op("epo-n", SPL_OP_INC, &one));
    } else strcat(skipped, " integer_op");
    /* many writes: no lost increments in one process */
    uint64_t e0 = gepoch(&v);
    unsigned ok = 0;
    for (unsigned i = 0; i < 200; i++) ok += im->set("epo-b", val, 16 + i % 40) == 0;
    uint64_t e1 = gepoch(&v);
    r_check(o, e1 - e0 >= ok, "%u successful sets advanced the global epoch by only %llu", ok, (unsigned long long)(e1 - e0));
    spl_sv_close(&v);
    r_pass(o, "%d kinds of data write each advanced the global epoch; 200 sets advanced it by %llu%s%s", checked,
           (unsigned long long)(e1 - e0), skipped[0] ? "; not exported:" : "", skipped);
#undef STEP
}

/* EPO-002: bid operations and reads never move the global epoch. */
static void rule_epo002(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "epo2", 64, 256) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    struct spl_impl *im = &c->im;
    uint8_t val[64], buf[256];
    memset(val, 'v', sizeof val);
    im->set("epo-r", val, sizeof val);
    int checked = 0;
#define STILL(name, stmt)                                                                           \
    do {                                                                                            \
        uint64_t e0 = gepoch(&v);                                                                   \
        stmt;                                                                                       \
        uint64_t e1 = gepoch(&v);                                                                   \
        r_check(o, e1 == e0, "%s moved the global epoch %llu -> %llu", name, (unsigned long long)e0, (unsigned long long)e1); \
        checked++;                                                                                  \
    } while (0)
    size_t got;
    STILL("get", im->get("epo-r", buf, sizeof buf, &got));
    if (im->get_epoch) STILL("get_epoch", im->get_epoch("epo-r"));
    if (im->list) { char *keys[8]; size_t n; STILL("list", im->list(keys, 8, &n)); }
    if (im->get_header_snapshot) { splinter_header_snapshot_t hs; STILL("get_header_snapshot", im->get_header_snapshot(&hs)); }
    if (im->get_slot_snapshot) {
        /* an embeddings build's snapshot carries 768 floats more than ours */
        union { splinter_slot_snapshot_t s; char room[sizeof(splinter_slot_snapshot_t) + SPLINTER_EMBED_DIM * sizeof(float)]; } ss;
        STILL("get_slot_snapshot", im->get_slot_snapshot("epo-r", &ss.s));
    }
    if (im->poll) STILL("poll (timing out)", im->poll("epo-r", 1));
    uint64_t now = spl_impl_now(im);
    uint64_t big = c->tps * 100;
    if (im->shard_claim) STILL("shard_claim", im->shard_claim(7, SPL_INTENT_WILLNEED, 3, big));
    if (im->shard_claim_ex) STILL("shard_claim_ex", im->shard_claim_ex(8, 4242, SPL_INTENT_RANDOM, 2, big, now));
    if (im->shard_rebid) STILL("shard_rebid", im->shard_rebid(7, SPL_INTENT_SEQUENTIAL, 4, big));
    if (im->shard_election) STILL("shard_election", im->shard_election(NULL));
    if (im->shard_is_sovereign) STILL("shard_is_sovereign", im->shard_is_sovereign(7));
    if (im->shard_table_snapshot) { struct splinter_shard_bid_snapshot t[32]; STILL("shard_table_snapshot", im->shard_table_snapshot(t, 32)); }
    if (im->shard_release) {
        STILL("shard_release", im->shard_release(7));
        STILL("shard_release", im->shard_release(8));
    }
    spl_sv_close(&v);
    r_pass(o, "%d reads and bid operations left the global epoch unchanged", checked);
#undef STILL
}

/* EPO-003: a slot's epoch never moves backwards, across unset and re-set too
 * (a reader holding the old epoch must not mistake a new value for its own). */
static void rule_epo003(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "epo3", 16, 128) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    struct spl_impl *im = &c->im;
    uint8_t val[64];
    memset(val, 'e', sizeof val);
    uint64_t prev = 0;
    long idx = -1;
    for (unsigned i = 0; i < 6; i++) im->set("epo-k", val, sizeof val);
    idx = spl_sv_find(&v, "epo-k");
    if (idx < 0) { r_fail(o, "epo-k not found in the bytes after set"); spl_sv_close(&v); return; }
    prev = atomic_load(&SV_SLOT(&v, idx).epoch);
    int rc = im->unset("epo-k");
    uint64_t after_unset = atomic_load(&SV_SLOT(&v, idx).epoch);
    r_check(o, rc >= 0, "unset(epo-k) = %d (%s)", rc, strerror(errno));
    r_check(o, after_unset >= prev, "unset moved the slot epoch backwards: %llu -> %llu", (unsigned long long)prev,
            (unsigned long long)after_unset);
    r_check(o, !(after_unset & 1), "unset left the slot epoch odd (%llu)", (unsigned long long)after_unset);
    im->set("epo-k", val, sizeof val);
    long idx2 = spl_sv_find(&v, "epo-k");
    uint64_t after_reset = idx2 >= 0 ? atomic_load(&SV_SLOT(&v, idx2).epoch) : 0;
    if (idx2 == idx)
        r_check(o, after_reset > prev, "set after unset gave the slot epoch %llu, not above %llu it had before the unset",
                (unsigned long long)after_reset, (unsigned long long)prev);
    spl_sv_close(&v);
    r_pass(o, "slot epoch %llu -> unset %llu -> set %llu: never backwards", (unsigned long long)prev,
           (unsigned long long)after_unset, (unsigned long long)after_reset);
}

/* EPO-004: retrain republishes the slot at epoch 4 and advances the global epoch. */
static void rule_epo004(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "epo4", 16, 128) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    uint8_t val[32] = "retrain";
    for (int i = 0; i < 5; i++) c->im.set("epo-t", val, sizeof val);
    long idx = spl_sv_find(&v, "epo-t");
    uint64_t g0 = gepoch(&v);
    int rc = c->im.retrain_slot("epo-t");
    uint64_t g1 = gepoch(&v);
    uint64_t se = idx >= 0 ? atomic_load(&SV_SLOT(&v, idx).epoch) : 0;
    r_check(o, rc == 0, "retrain_slot = %d (%s)", rc, strerror(errno));
    r_check(o, se == 4, "slot epoch after retrain is %llu (want 4)", (unsigned long long)se);
    r_check(o, g1 > g0, "retrain left the global epoch at %llu", (unsigned long long)g0);
    spl_sv_close(&v);
    r_pass(o, "retrain: slot epoch 4, global epoch %llu -> %llu", (unsigned long long)g0, (unsigned long long)g1);
}

/* ---- SIG --------------------------------------------------------------- */

struct sig_arg {
    struct conform *c;
    char store[512];
    const char *keys[3];
};

/* Workers write keys A, B, C in turn and count their successful sets. */
static int sig_worker(struct spl_worker *w, void *arg)
{
    struct sig_arg *a = arg;
    struct spl_impl *im = &a->c->im;
    if (worker_open(w, im, a->store) != 0) return 1;
    _Atomic uint64_t *ok = w->shared;
    uint8_t val[48];
    if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
    for (unsigned i = 0; i < 300; i++) {
        unsigned k = (i + w->id) % 3;
        spl_payload_make(val, sizeof val, k, w->id, i);
        if (im->set(a->keys[k], val, sizeof val) == 0) atomic_fetch_add(&ok[k], 1);
    }
    spl_worker_sync(w);
    im->close();
    return 0;
}

static struct spl_team *sig_hammer(struct conform *c, struct rule_out *o, struct sig_arg *a, uint64_t ok[3])
{
    c->im.close();
    struct spl_team_opts to = {.workers = c->workers, .seed = c->seed, .log_cap = 1, .shared_len = 64,
                               .deadline_ns = 30000000000ull, .barrier_ns = 10000000000ull};
    struct spl_team *t = spl_team_new(&to);
    if (!t) { r_error(o, "team: %s", strerror(errno)); return NULL; }
    if (spl_team_run(t, sig_worker, a) != 0) {
        char why[700];
        r_fail(o, "a worker did not finish cleanly: %s", spl_team_describe(t, why, sizeof why));
        spl_team_free(t);
        return NULL;
    }
    _Atomic uint64_t *s = spl_team_shared(t);
    for (int i = 0; i < 3; i++) ok[i] = atomic_load(&s[i]);
    return t;
}

static void counters(const struct spl_storeview *v, uint64_t out[64])
{
    for (int g = 0; g < 64; g++) out[g] = atomic_load(&v->H->signal_groups[g].counter);
}

/* SIG-001: a write pulses exactly the groups watching its key, across processes. */
static void rule_sig001(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "sig1", 64, 128) != 0) return;
    struct sig_arg a = {.c = c, .keys = {"sig-a", "sig-b", "sig-c"}};
    snprintf(a.store, sizeof a.store, "%s", o->store);
    uint8_t val[48] = {1};
    for (int k = 0; k < 3; k++) c->im.set(a.keys[k], val, sizeof val);
    int rc = c->im.watch_register("sig-a", 3) | c->im.watch_register("sig-a", 17) | c->im.watch_register("sig-b", 17);
    if (rc != 0) { r_fail(o, "watch_register failed: %s", strerror(errno)); return; }
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    uint64_t before[64], after[64], ok[3];
    counters(&v, before);
    struct spl_team *t = sig_hammer(c, o, &a, ok);
    if (!t) { spl_sv_close(&v); return; }
    spl_team_free(t);
    counters(&v, after);
    uint64_t want[64] = {0};
    want[3] = ok[0];
    want[17] = ok[0] + ok[1];
    for (int g = 0; g < 64; g++)
        r_check(o, after[g] - before[g] == want[g],
                "group %d advanced by %llu after %llu/%llu/%llu successful writes of sig-a/b/c (sig-a watched by 3 and 17, sig-b by 17): want %llu",
                g, (unsigned long long)(after[g] - before[g]), (unsigned long long)ok[0], (unsigned long long)ok[1],
                (unsigned long long)ok[2], (unsigned long long)want[g]);
    if (c->im.get_signal_count && c->im.open(a.store) == 0) {
        r_check(o, c->im.get_signal_count(17) == after[17], "get_signal_count(17) = %llu but the header says %llu",
                (unsigned long long)c->im.get_signal_count(17), (unsigned long long)after[17]);
        /* unregistered: no more pulses */
        if (c->im.watch_unregister && c->im.watch_unregister("sig-a", 3) == 0) {
            uint64_t g3 = atomic_load(&v.H->signal_groups[3].counter);
            c->im.set("sig-a", val, sizeof val);
            r_check(o, atomic_load(&v.H->signal_groups[3].counter) == g3, "group 3 still pulsed after watch_unregister(sig-a, 3)");
        }
    }
    spl_sv_close(&v);
    uint64_t writes = ok[0] + ok[1] + ok[2];
    r_pass(o, "%u processes, %llu writes: groups 3 and 17 advanced exactly once per write of a watching key, no other group moved",
           c->workers, (unsigned long long)writes);
}

/* SIG-002: label-mapped groups are pulsed by writes of labelled keys. */
static void rule_sig002(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "sig2", 64, 128) != 0) return;
    struct sig_arg a = {.c = c, .keys = {"lab-a", "lab-b", "lab-c"}};
    snprintf(a.store, sizeof a.store, "%s", o->store);
    uint8_t val[48] = {1};
    for (int k = 0; k < 3; k++) c->im.set(a.keys[k], val, sizeof val);
    int rc = c->im.watch_label_register(1ull << 7, 21);
    rc |= c->im.watch_label_register(1ull << 40, 33);
    rc |= c->im.set_label("lab-a", 1ull << 7);
    rc |= c->im.set_label("lab-b", (1ull << 7) | (1ull << 40));
    if (rc != 0) { r_fail(o, "watch_label_register/set_label failed: %s", strerror(errno)); return; }
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    r_check(o, v.H->bloom_watches[7] == 21 && v.H->bloom_watches[40] == 33,
            "bloom_watches[7] = %u, [40] = %u after mapping labels 7 -> 21, 40 -> 33", v.H->bloom_watches[7], v.H->bloom_watches[40]);
    uint64_t before[64], after[64], ok[3];
    counters(&v, before);
    struct spl_team *t = sig_hammer(c, o, &a, ok);
    if (!t) { spl_sv_close(&v); return; }
    spl_team_free(t);
    counters(&v, after);
    uint64_t want[64] = {0};
    want[21] = ok[0] + ok[1];
    want[33] = ok[1];
    for (int g = 0; g < 64; g++)
        r_check(o, after[g] - before[g] == want[g],
                "group %d advanced by %llu after %llu/%llu writes of lab-a (label 7 -> group 21) / lab-b (labels 7, 40 -> groups 21, 33): want %llu",
                g, (unsigned long long)(after[g] - before[g]), (unsigned long long)ok[0], (unsigned long long)ok[1],
                (unsigned long long)want[g]);
    /* removing the label stops the pulses */
    if (c->im.open(a.store) == 0 && c->im.unset_label && c->im.unset_label("lab-a", 1ull << 7) == 0) {
        uint64_t g21 = atomic_load(&v.H->signal_groups[21].counter);
        c->im.set("lab-a", val, sizeof val);
        r_check(o, atomic_load(&v.H->signal_groups[21].counter) == g21, "group 21 still pulsed after unset_label(lab-a, label 7)");
    }
    spl_sv_close(&v);
    uint64_t writes = ok[0] + ok[1] + ok[2];
    r_pass(o, "%llu writes of labelled keys pulsed the mapped groups 21 and 33 exactly; no other group moved",
           (unsigned long long)writes);
}

/* SIG-003: poll wakes when another process writes the key, and times out. */
struct poll_arg {
    struct conform *c;
    char store[512];
};

static int poll_worker(struct spl_worker *w, void *arg)
{
    struct poll_arg *a = arg;
    struct spl_impl *im = &a->c->im;
    if (worker_open(w, im, a->store) != 0) return 1;
    uint64_t *res = w->shared; /* [0] rc, [1] errno, [2] elapsed ns */
    if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
    if (w->id == 0) {
        uint64_t t0 = spl_time_ns();
        errno = 0;
        int rc = im->poll("poll-k", 3000);
        res[0] = (uint64_t)(int64_t)rc;
        res[1] = (uint64_t)errno;
        res[2] = spl_time_ns() - t0;
    } else {
        spl_sleep_ns(80000000);
        uint8_t val[32] = "wake up";
        im->set("poll-k", val, sizeof val);
    }
    spl_worker_sync(w);
    im->close();
    return 0;
}

static void rule_sig003(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "sig3", 16, 64) != 0) return;
    uint8_t val[32] = "first";
    c->im.set("poll-k", val, sizeof val);
    /* timeout */
    uint64_t t0 = spl_time_ns();
    struct callres cr = CALL(c->im.poll("poll-k", 150));
    double el = (double)(spl_time_ns() - t0) / 1e6;
    want_err(o, cr, -1, ETIMEDOUT, "poll(150 ms) with no writer");
    r_check(o, el >= 149.0, "poll(150 ms) gave up after %.1f ms", el);
    r_check(o, el < 1500.0, "poll(150 ms) took %.1f ms", el);
    c->im.close();
    struct poll_arg a = {.c = c};
    snprintf(a.store, sizeof a.store, "%s", o->store);
    struct spl_team_opts to = {.workers = 2, .seed = c->seed, .log_cap = 1, .shared_len = 64, .deadline_ns = 20000000000ull};
    struct spl_team *t = spl_team_new(&to);
    if (!t) { r_error(o, "team: %s", strerror(errno)); return; }
    if (spl_team_run(t, poll_worker, &a) != 0) {
        char why[700];
        r_fail(o, "a worker did not finish cleanly: %s", spl_team_describe(t, why, sizeof why));
        spl_team_free(t);
        return;
    }
    uint64_t *res = spl_team_shared(t);
    double wel = (double)res[2] / 1e6;
    r_check(o, (int64_t)res[0] == 0, "poll(3000 ms) while another process wrote after 80 ms returned %d (%s)", (int)(int64_t)res[0],
            strerror((int)res[1]));
    r_check(o, wel < 2500.0, "poll woke only after %.1f ms although the write came at 80 ms", wel);
    spl_team_free(t);
    r_pass(o, "poll timed out after %.1f ms (asked 150), woke %.1f ms after a write by another process at ~80 ms", el, wel);
}

static const char *const needs_epo1[] = {"set", NULL};
static const char *const needs_epo2[] = {"set", "get", NULL};
static const char *const needs_epo3[] = {"set", "unset", NULL};
static const char *const needs_epo4[] = {"set", "retrain_slot", NULL};
static const char *const needs_sig1[] = {"set", "watch_register", NULL};
static const char *const needs_sig2[] = {"set", "watch_label_register", "set_label", NULL};
static const char *const needs_sig3[] = {"set", "poll", NULL};

const struct rule epo_rules[] = {
    {.id = "EPO-001", .severity = SEV_MAJOR, .title = "every data write (set, append, integer op, named type, label set/unset) advances the global epoch",
     .needs = needs_epo1, .run = rule_epo001, .timeout_s = 20},
    {.id = "EPO-002", .severity = SEV_MAJOR, .title = "reads and shard bid operations never advance the global epoch",
     .needs = needs_epo2, .run = rule_epo002, .timeout_s = 20},
    {.id = "EPO-003", .severity = SEV_MAJOR, .title = "a slot epoch never moves backwards, also across unset and re-set (only retrain may)",
     .needs = needs_epo3, .run = rule_epo003, .timeout_s = 20},
    {.id = "EPO-004", .severity = SEV_MINOR, .title = "retrain republishes the slot at epoch 4 and advances the global epoch",
     .needs = needs_epo4, .run = rule_epo004, .timeout_s = 20},
};
const size_t epo_nrules = sizeof epo_rules / sizeof epo_rules[0];

const struct rule sig_rules[] = {
    {.id = "SIG-001", .severity = SEV_MAJOR, .title = "a write pulses exactly the signal groups watching its key (multi-process, exact counts)",
     .needs = needs_sig1, .run = rule_sig001, .timeout_s = 30},
    {.id = "SIG-002", .severity = SEV_MAJOR, .title = "a write pulses the groups mapped to the labels of its key (bloom_watches)",
     .needs = needs_sig2, .run = rule_sig002, .timeout_s = 30},
    {.id = "SIG-003", .severity = SEV_MAJOR, .title = "poll wakes when another process writes the key, and times out with ETIMEDOUT",
     .needs = needs_sig3, .run = rule_sig003, .timeout_s = 30},
};
const size_t sig_nrules = sizeof sig_rules / sizeof sig_rules[0];
