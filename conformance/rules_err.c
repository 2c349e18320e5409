/*
 * rules_err.c - ERR: the error contract of every function.
 *
 * Every judged call runs with errno preset to a poison value (CALL in
 * conform.h), so "failed without setting errno" is seen as such. A miss is
 * -1 ENOENT (never EAGAIN: EAGAIN means "contested, retry" and a client
 * would spin on a key that does not exist); a full store or bid table is
 * ENOSPC; a value, append or buffer of the wrong size is EMSGSIZE; a caller
 * error (NULL argument, shard 0, group >= 64, no store open) is -2 and never
 * a crash. Calls that may crash run in a forked child each, so the report
 * names the function that did.
 */
#include "conform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- ERR-001: misses ---------------------------------------------------- */

enum miss_fn {
    M_GET, M_UNSET, M_APPEND, M_POLL, M_NAMED, M_TIME, M_INT, M_EPOCH, M_BUMP, M_RETRAIN, M_LABEL, M_UNLABEL,
    M_WATCH, M_UNWATCH, M_PULSE, M_SNAP, M_SYSTEM, M_RAW, M_SETEMB, M_GETEMB, M__N
};
static const struct {
    const char *fn;
    long want; /* the "not found" return: -1, or 0 for get_epoch / NULL for get_raw_ptr */
} misses[M__N] = {
    [M_GET] = {"get", -1},           [M_UNSET] = {"unset", -1},         [M_APPEND] = {"append", -1},
    [M_POLL] = {"poll", -1},         [M_NAMED] = {"set_named_type", -1}, [M_TIME] = {"set_slot_time", -1},
    [M_INT] = {"integer_op", -1},    [M_EPOCH] = {"get_epoch", 0},      [M_BUMP] = {"bump_slot", -1},
    [M_RETRAIN] = {"retrain_slot", -1}, [M_LABEL] = {"set_label", -1},  [M_UNLABEL] = {"unset_label", -1},
    [M_WATCH] = {"watch_register", -1}, [M_UNWATCH] = {"watch_unregister", -1}, [M_PULSE] = {"pulse_keygroup", -1},
    [M_SNAP] = {"get_slot_snapshot", -1}, [M_SYSTEM] = {"set_as_system", -1}, [M_RAW] = {"get_raw_ptr", 0},
    [M_SETEMB] = {"set_embedding", -1}, [M_GETEMB] = {"get_embedding", -1},
};

/* room for an embeddings build's larger snapshot and vector */
union big { splinter_slot_snapshot_t s; char room[sizeof(splinter_slot_snapshot_t) + SPLINTER_EMBED_DIM * sizeof(float)]; float f[SPLINTER_EMBED_DIM + 64]; };

static struct callres miss_call(struct spl_impl *im, enum miss_fn f, const char *key)
{
    static union big b;
    uint8_t buf[256];
    size_t n = 0;
    uint64_t one = 1, e = 0;
    switch (f) {
    case M_GET: return CALL(im->get(key, buf, sizeof buf, &n));
    case M_UNSET: return CALL(im->unset(key));
    case M_APPEND: return CALL(im->append(key, "x", 1, &n));
    case M_POLL: return CALL(im->poll(key, 0));
    case M_NAMED: return CALL(im->set_named_type(key, SPL_SLOT_TYPE_BIGUINT));
    case M_TIME: return CALL(im->set_slot_time(key, SPL_TIME_CTIME, 1000, 0));
    case M_INT: return CALL(im->integer_op(key, SPL_OP_INC, &one));
    case M_EPOCH: return CALL((long)im->get_epoch(key));
    case M_BUMP: return CALL(im->bump_slot(key));
    case M_RETRAIN: return CALL(im->retrain_slot(key));
    case M_LABEL: return CALL(im->set_label(key, 1));
    case M_UNLABEL: return CALL(im->unset_label(key, 1));
    case M_WATCH: return CALL(im->watch_register(key, 1));
    case M_UNWATCH: return CALL(im->watch_unregister(key, 1));
    case M_PULSE: return CALL(im->pulse_keygroup(key));
    case M_SNAP: return CALL(im->get_slot_snapshot(key, &b.s));
    case M_SYSTEM: return CALL(im->set_as_system(key));
    case M_RAW: return CALLP(im->get_raw_ptr(key, &n, &e));
    case M_SETEMB: memset(b.f, 0, sizeof b.f); return CALL(im->set_embedding(key, b.f));
    case M_GETEMB: return CALL(im->get_embedding(key, b.f));
    case M__N: break;
    }
    return (struct callres){0, 0};
}

static bool has_fn(struct spl_impl *im, const char *fn) { return spl_impl_has(im, fn); }

/* Every miss function on key; returns the number judged. */
static int misses_of(struct conform *c, struct rule_out *o, const char *key, const char *where)
{
    int n = 0;
    for (int f = 0; f < M__N; f++) {
        if (!has_fn(&c->im, misses[f].fn)) continue;
        struct callres r = miss_call(&c->im, (enum miss_fn)f, key);
        want_err(o, r, misses[f].want, ENOENT, "%s of %s", misses[f].fn, where);
        n++;
    }
    struct callres r;
    if (c->im.shard_rebid) {
        r = CALL(c->im.shard_rebid(29, SPL_INTENT_RANDOM, 1, 1000));
        want_err(o, r, -1, ENOENT, "shard_rebid of an unclaimed shard (%s)", where);
        n++;
    }
    if (c->im.shard_release) {
        r = CALL(c->im.shard_release(29));
        want_err(o, r, -1, ENOENT, "shard_release of an unclaimed shard (%s)", where);
        n++;
    }
    return n;
}

static void rule_err001(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "err1", 16, 128) != 0) return;
    for (int k = 0; k < 6; k++) {
        char key[16];
        snprintf(key, sizeof key, "here-%d", k);
        c->im.set(key, "v", 1);
    }
    int n = misses_of(c, o, "a key never set", "a key never set");
    c->im.set("gone", "soon", 4);
    c->im.unset("gone");
    n += misses_of(c, o, "gone", "an unset key");
    /* a full store: the probe runs through every slot and still misses */
    store_remove(c, o);
    if (store_create(c, o, "err1f", 8, 64) != 0) return;
    int filled = 0;
    for (int k = 0; k < 64 && filled < 8; k++) {
        char key[16];
        snprintf(key, sizeof key, "fill-%d", k);
        filled += c->im.set(key, "v", 1) == 0;
    }
    if (filled == 8) n += misses_of(c, o, "absent-from-full", "a key absent from a full store");
    else r_cex(o, "only %d of 8 slots could be filled: the full-store case was not judged", filled);
    r_pass(o, "%d misses (never set, unset, absent from a full store) over every key function: -1 ENOENT (0 / NULL for get_epoch / get_raw_ptr), never EAGAIN or an untouched errno", n);
}

/* ---- ERR-002: capacity and sizes ----------------------------------------- */

static void rule_err002(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "err2", 8, 64) != 0) return;
    uint8_t v[64], buf[256];
    int n = 0;
    for (int k = 0; k < 8; k++) {
        char key[16];
        snprintf(key, sizeof key, "cap-%d", k);
        spl_payload_make(v, 40, (uint32_t)k, 0, 1);
        if (c->im.set(key, v, 40) != 0) { r_error(o, "set(%s) into a store with a free slot failed: %s", key, errno_name(errno)); return; }
    }
    struct callres r = CALL(c->im.set("one-too-many", v, 40));
    want_err(o, r, -1, ENOSPC, "set of a 9th key into a full 8-slot store");
    n++;
    for (int k = 0; k < 8; k++) {
        char key[16];
        size_t got = 0;
        snprintf(key, sizeof key, "cap-%d", k);
        int rc = c->im.get(key, buf, sizeof buf, &got);
        if (!r_check(o, rc == 0 && spl_payload_check(buf, got, (uint32_t)k, NULL) == SPL_PAYLOAD_OK,
                     "after the refused 9th set, %s no longer reads back intact", key))
            break;
    }
    spl_payload_make(v, 50, 3, 0, 2);
    r = CALL(c->im.set("cap-3", v, 50));
    want_err(o, r, 0, 0, "an update of an existing key in a full store");
    n++;
    /* oversized value, append and get buffer */
    uint8_t big[65];
    memset(big, 'b', sizeof big);
    r = CALL(c->im.set("cap-1", big, 65));
    want_err(o, r, -1, EMSGSIZE, "set of 65 bytes into 64-byte values");
    n++;
    if (c->im.append) {
        size_t nl = 12345;
        r = CALL(c->im.append("cap-2", big, 25, &nl));
        want_err(o, r, -1, EMSGSIZE, "append of 25 bytes to 40 of 64");
        r_check(o, nl == 12345, "a refused append wrote new_len = %zu", nl);
        n++;
    }
    memset(buf, 0xEE, sizeof buf);
    size_t got = 999;
    r = CALL(c->im.get("cap-3", buf, 49, &got));
    want_err(o, r, -1, EMSGSIZE, "get of a 50-byte value into a 49-byte buffer");
    r_check(o, got == 50, "a get refused with EMSGSIZE set *out_sz = %zu, want the value's length 50 (so the caller can size its buffer)", got);
    bool untouched = true;
    for (size_t i = 0; i < sizeof buf; i++) untouched &= buf[i] == 0xEE;
    r_check(o, untouched, "a get refused with EMSGSIZE wrote into the caller's buffer");
    n++;
    got = 0;
    r = CALL(c->im.get("cap-3", NULL, 0, &got));
    r_check(o, r.rc == 0 && got == 50, "get with a NULL buffer (a size query) returned %s with *out_sz %zu, want 0 and 50", CRS(r), got);
    n++;
    r = CALL(c->im.set("cap-4", v, 0));
    r_check(o, r.rc < 0 && r.err != ERRNO_POISON && r.err != EAGAIN,
            "set of a zero-length value returned %s, want a refusal with its errno (a value has at least one byte)", CRS(r));
    n++;
    if (c->im.client_set_tandem && c->im.unset("cap-6") >= 0 && c->im.unset("cap-7") >= 0) {
        const void *vals[2] = {"base", big};
        size_t lens[2] = {4, 65};
        r = CALL(c->im.client_set_tandem("tan", vals, lens, 2));
        want_err(o, r, -1, EMSGSIZE, "client_set_tandem with a 65-byte second order");
        n++;
    }
    /* madvise as sovereign passes posix_madvise's own error through */
    if (c->im.shard_claim_ex && c->im.madvise) {
        uint64_t now = c->im.now ? c->im.now() : __builtin_ia32_rdtsc();
        c->im.shard_claim_ex(1, (uint32_t)getpid(), SPL_INTENT_WILLNEED, 1, c->tps * 60, now);
        r = CALL(c->im.madvise(1, NULL, 0, 12345, 0));
        want_err(o, r, -1, EINVAL, "splinter_madvise as sovereign with the advice 12345 (posix_madvise says EINVAL)");
        c->im.shard_release(1);
        n++;
    }
    /* BIGUINT promotion needs 8 bytes: in 4-byte values it cannot happen */
    if (c->im.set_named_type) {
        store_remove(c, o);
        if (store_create(c, o, "err2s", 8, 4) == 0) {
            c->im.set("tiny", "12", 2);
            r = CALL(c->im.set_named_type("tiny", SPL_SLOT_TYPE_BIGUINT));
            want_err(o, r, -1, ENOMEM, "set_named_type(BIGUINT) of \"12\" in 4-byte values");
            size_t tl = 0;
            uint8_t small[8];
            r_check(o, c->im.get("tiny", small, sizeof small, &tl) == 0 && tl == 2 && !memcmp(small, "12", 2),
                    "the refused promotion changed the 2-byte value (now %zu bytes)", tl);
            n++;
        }
    }
    r_pass(o, "%d cases: full store ENOSPC (others intact, updates still fine), EMSGSIZE for value/append/buffer with *out_sz = the length and the buffer untouched, size query, zero-length and tandem refusals, madvise's EINVAL, promotion ENOMEM", n);
}

/* ---- ERR-003 / ERR-004: caller errors and no store, one child per call ---- */

enum bad_kind { B_RC, B_NOCRASH };
struct bad {
    const char *what;
    const char *fn;      /* function that must exist for the case */
    enum bad_kind kind;
    long want, alt;      /* accepted return values (alt = want when only one) */
    int errs[3];         /* accepted errnos for -1 (empty: any but the poison); unjudged for -2 */
};

#define BAD(w, f, rc) {w, f, B_RC, rc, rc, {0}}
#define BAD2(w, f, rc, alt) {w, f, B_RC, rc, alt, {0}}
#define BADE(w, f, rc, alt, e1, e2, e3) {w, f, B_RC, rc, alt, {e1, e2, e3}}
#define SURVIVES(w, f) {w, f, B_NOCRASH, 0, 0, {0}}

static const struct bad bad_args[] = {
    BAD("set(NULL key)", "set", -2),
    BAD("set(key, NULL value, 5)", "set", -2),
    BAD("get(NULL key)", "get", -2),
    BAD("unset(NULL)", "unset", -2),
    BAD("append(NULL key)", "append", -2),
    BAD("append(key, NULL data, 1)", "append", -2),
    BAD("append(key, data, 0 bytes)", "append", -2),
    BAD("poll(NULL)", "poll", -2),
    BAD("set_named_type(NULL)", "set_named_type", -2),
    BAD("set_slot_time(NULL)", "set_slot_time", -2),
    BAD("integer_op(NULL)", "integer_op", -2),
    BAD("bump_slot(NULL)", "bump_slot", -2),
    BAD("retrain_slot(NULL)", "retrain_slot", -2),
    BAD("set_label(NULL)", "set_label", -2),
    BAD("unset_label(NULL)", "unset_label", -2),
    BAD("watch_register(NULL)", "watch_register", -2),
    BAD("watch_unregister(NULL)", "watch_unregister", -2),
    BAD("pulse_keygroup(NULL)", "pulse_keygroup", -2),
    BAD("get_slot_snapshot(NULL key)", "get_slot_snapshot", -2),
    BAD("get_slot_snapshot(key, NULL)", "get_slot_snapshot", -2),
    BAD("set_as_system(NULL)", "set_as_system", -2),
    BAD("get_raw_ptr(NULL)", "get_raw_ptr", 0),
    BAD("get_epoch(NULL)", "get_epoch", 0),
    BAD("get_header_snapshot(NULL)", "get_header_snapshot", -2),
    BAD("list(NULL keys)", "list", -2),
    BAD("list(keys, n, NULL count)", "list", -2),
    BAD("shard_table_snapshot(NULL)", "shard_table_snapshot", -2),
    BAD2("client_set_tandem(NULL base)", "client_set_tandem", -2, -1),
    BAD2("client_set_tandem(base, NULL values)", "client_set_tandem", -2, -1),
    BAD2("client_set_tandem(base, values, NULL lengths)", "client_set_tandem", -2, -1),
    SURVIVES("client_unset_tandem(NULL)", "client_unset_tandem"),
    SURVIVES("enumerate_matches(0, NULL callback)", "enumerate_matches"),
    SURVIVES("event_bus_get_dirty(NULL)", "event_bus_get_dirty"),
    SURVIVES("pulse_watchers(NULL)", "pulse_watchers"),
    SURVIVES("config_set(NULL header)", "config_set"),
    SURVIVES("config_clear(NULL header)", "config_clear"),
    SURVIVES("config_test(NULL header)", "config_test"),
    SURVIVES("config_snapshot(NULL header)", "config_snapshot"),
    SURVIVES("slot_usr_set(NULL slot)", "slot_usr_set"),
    SURVIVES("slot_usr_clear(NULL slot)", "slot_usr_clear"),
    SURVIVES("slot_usr_test(NULL slot)", "slot_usr_test"),
    SURVIVES("slot_usr_snapshot(NULL slot)", "slot_usr_snapshot"),
    BAD("shard_claim(shard 0)", "shard_claim", -2),
    BAD("shard_claim_ex(shard 0)", "shard_claim_ex", -2),
    BAD("shard_rebid(shard 0)", "shard_rebid", -2),
    BAD("shard_release(shard 0)", "shard_release", -2),
    BAD("madvise(shard 0)", "madvise", -2),
    BAD("madvise(a shard that holds no bid)", "madvise", -2),
    BAD("watch_register(key, group 64)", "watch_register", -2),
    BAD("watch_unregister(key, group 64)", "watch_unregister", -2),
    BAD("watch_label_register(mask, group 64)", "watch_label_register", -2),
    BAD("get_signal_count(group 64)", "get_signal_count", 0),
    BADE("set_mop(7)", "set_mop", -1, -1, EOPNOTSUPP, ENOTSUP, EINVAL),
    BADE("set_slot_time(key, mode 9)", "set_slot_time", -2, -1, EOPNOTSUPP, ENOTSUP, EINVAL),
    BADE("integer_op(key, op 9)", "integer_op", -1, -2, EOPNOTSUPP, ENOTSUP, EINVAL),
    BADE("create(name, 0 slots)", "create", -2, -1, EINVAL, ENOTSUP, EOPNOTSUPP),
    BADE("create(name, 16 slots, 0-byte values)", "create", -2, -1, EINVAL, ENOTSUP, EOPNOTSUPP),
    BAD("open(NULL)", "open", -2),
    BADE("event_bus_wait(-1)", "event_bus_wait", -1, -1, EBADF, 0, 0),
    BAD("set_embedding(NULL key)", "set_embedding", -2),
    BAD("set_embedding(key, NULL vector)", "set_embedding", -2),
    BAD("get_embedding(NULL key)", "get_embedding", -2),
    BAD("get_embedding(key, NULL buffer)", "get_embedding", -2),
};

static void nop_cb(const char *k, uint64_t e, void *d) { (void)k, (void)e, (void)d; }

/* The call of case i (by its text: one switch, no function-pointer casts). */
static struct callres bad_call(struct conform *c, const struct bad *b, const char *name)
{
    struct spl_impl *im = &c->im;
    const char *w = b->what, *K = "err-k";
    uint8_t buf[128];
    size_t n = 0;
    uint64_t one = 1, e = 0;
    char *keys[8];
    union big big;
    const void *vals[2] = {"a", "b"};
    size_t lens[2] = {1, 1};
#define IS(s) (!strcmp(w, s))
    if (IS("set(NULL key)")) return CALL(im->set(NULL, "v", 1));
    if (IS("set(key, NULL value, 5)")) return CALL(im->set(K, NULL, 5));
    if (IS("get(NULL key)")) return CALL(im->get(NULL, buf, sizeof buf, &n));
    if (IS("unset(NULL)")) return CALL(im->unset(NULL));
    if (IS("append(NULL key)")) return CALL(im->append(NULL, "x", 1, &n));
    if (IS("append(key, NULL data, 1)")) return CALL(im->append(K, NULL, 1, &n));
    if (IS("append(key, data, 0 bytes)")) return CALL(im->append(K, "x", 0, &n));
    if (IS("poll(NULL)")) return CALL(im->poll(NULL, 0));
    if (IS("set_named_type(NULL)")) return CALL(im->set_named_type(NULL, SPL_SLOT_TYPE_BIGUINT));
    if (IS("set_slot_time(NULL)")) return CALL(im->set_slot_time(NULL, SPL_TIME_CTIME, 1, 0));
    if (IS("integer_op(NULL)")) return CALL(im->integer_op(NULL, SPL_OP_INC, &one));
    if (IS("bump_slot(NULL)")) return CALL(im->bump_slot(NULL));
    if (IS("retrain_slot(NULL)")) return CALL(im->retrain_slot(NULL));
    if (IS("set_label(NULL)")) return CALL(im->set_label(NULL, 1));
    if (IS("unset_label(NULL)")) return CALL(im->unset_label(NULL, 1));
    if (IS("watch_register(NULL)")) return CALL(im->watch_register(NULL, 1));
    if (IS("watch_unregister(NULL)")) return CALL(im->watch_unregister(NULL, 1));
    if (IS("pulse_keygroup(NULL)")) return CALL(im->pulse_keygroup(NULL));
    if (IS("get_slot_snapshot(NULL key)")) return CALL(im->get_slot_snapshot(NULL, &big.s));
    if (IS("get_slot_snapshot(key, NULL)")) return CALL(im->get_slot_snapshot(K, NULL));
    if (IS("set_as_system(NULL)")) return CALL(im->set_as_system(NULL));
    if (IS("get_raw_ptr(NULL)")) return CALLP(im->get_raw_ptr(NULL, &n, &e));
    if (IS("get_epoch(NULL)")) return CALL((long)im->get_epoch(NULL));
    if (IS("get_header_snapshot(NULL)")) return CALL(im->get_header_snapshot(NULL));
    if (IS("list(NULL keys)")) return CALL(im->list(NULL, 8, &n));
    if (IS("list(keys, n, NULL count)")) return CALL(im->list(keys, 8, NULL));
    if (IS("shard_table_snapshot(NULL)")) return CALL(im->shard_table_snapshot(NULL, SPLINTER_MAX_SHARDS));
    if (IS("client_set_tandem(NULL base)")) return CALL(im->client_set_tandem(NULL, vals, lens, 2));
    if (IS("client_set_tandem(base, NULL values)")) return CALL(im->client_set_tandem("tb", NULL, lens, 2));
    if (IS("client_set_tandem(base, values, NULL lengths)")) return CALL(im->client_set_tandem("tb", vals, NULL, 2));
    if (IS("client_unset_tandem(NULL)")) return CALLV(im->client_unset_tandem(NULL, 2));
    if (IS("enumerate_matches(0, NULL callback)")) return CALLV(im->enumerate_matches(0, NULL, NULL));
    if (IS("event_bus_get_dirty(NULL)")) return CALLV(im->event_bus_get_dirty(NULL, SPLINTER_EVENT_BUS_MASK_WORDS));
    if (IS("pulse_watchers(NULL)")) return CALLV(im->pulse_watchers(NULL));
    if (IS("config_set(NULL header)")) return CALLV(im->config_set(NULL, SPL_SUSR1));
    if (IS("config_clear(NULL header)")) return CALLV(im->config_clear(NULL, SPL_SUSR1));
    if (IS("config_test(NULL header)")) return CALLV((void)im->config_test(NULL, SPL_SUSR1));
    if (IS("config_snapshot(NULL header)")) return CALLV((void)im->config_snapshot(NULL));
    if (IS("slot_usr_set(NULL slot)")) return CALLV(im->slot_usr_set(NULL, 1));
    if (IS("slot_usr_clear(NULL slot)")) return CALLV(im->slot_usr_clear(NULL, 1));
    if (IS("slot_usr_test(NULL slot)")) return CALLV((void)im->slot_usr_test(NULL, 1));
    if (IS("slot_usr_snapshot(NULL slot)")) return CALLV((void)im->slot_usr_snapshot(NULL));
    if (IS("shard_claim(shard 0)")) return CALL(im->shard_claim(0, SPL_INTENT_RANDOM, 1, 1000));
    if (IS("shard_claim_ex(shard 0)")) return CALL(im->shard_claim_ex(0, 1, SPL_INTENT_RANDOM, 1, 1000, 1));
    if (IS("shard_rebid(shard 0)")) return CALL(im->shard_rebid(0, SPL_INTENT_RANDOM, 1, 1000));
    if (IS("shard_release(shard 0)")) return CALL(im->shard_release(0));
    if (IS("madvise(shard 0)")) return CALL(im->madvise(0, NULL, 0, POSIX_MADV_WILLNEED, 0));
    if (IS("madvise(a shard that holds no bid)")) return CALL(im->madvise(31, NULL, 0, POSIX_MADV_WILLNEED, 0));
    if (IS("watch_register(key, group 64)")) return CALL(im->watch_register(K, 64));
    if (IS("watch_unregister(key, group 64)")) return CALL(im->watch_unregister(K, 64));
    if (IS("watch_label_register(mask, group 64)")) return CALL(im->watch_label_register(1, 64));
    if (IS("get_signal_count(group 64)")) return CALL((long)im->get_signal_count(64));
    if (IS("set_mop(7)")) return CALL(im->set_mop(7));
    if (IS("set_slot_time(key, mode 9)")) return CALL(im->set_slot_time(K, 9, 1, 0));
    if (IS("integer_op(key, op 9)")) return CALL(im->integer_op("err-n", (splinter_integer_op_t)9, &one));
    if (IS("create(name, 0 slots)")) return CALL(im->create(name, 0, 64));
    if (IS("create(name, 16 slots, 0-byte values)")) return CALL(im->create(name, 16, 0));
    if (IS("open(NULL)")) return CALL(im->open(NULL));
    if (IS("event_bus_wait(-1)")) return CALL(im->event_bus_wait(-1, 0));
    memset(big.f, 0, sizeof big.f);
    if (IS("set_embedding(NULL key)")) return CALL(im->set_embedding(NULL, big.f));
    if (IS("set_embedding(key, NULL vector)")) return CALL(im->set_embedding(K, NULL));
    if (IS("get_embedding(NULL key)")) return CALL(im->get_embedding(NULL, big.f));
    if (IS("get_embedding(key, NULL buffer)")) return CALL(im->get_embedding(K, NULL));
#undef IS
    return (struct callres){-99, 0};
}

/* The same functions with good arguments, for ERR-004 (no store open). */
static struct callres closed_call(struct conform *c, const struct bad *b, const char *name)
{
    struct spl_impl *im = &c->im;
    const char *f = b->fn, *K = "err-k";
    uint8_t buf[128];
    size_t n = 0;
    uint64_t one = 1, e = 0, words[SPLINTER_EVENT_BUS_MASK_WORDS];
    char *keys[8];
    union big big;
    struct splinter_shard_bid_snapshot t[SPLINTER_MAX_SHARDS];
    splinter_header_snapshot_t hs;
    const void *vals[2] = {"a", "b"};
    size_t lens[2] = {1, 1};
    (void)name;
    memset(big.f, 0, sizeof big.f);
#define IS(s) (!strcmp(f, s))
    if (IS("set")) return CALL(im->set(K, "v", 1));
    if (IS("get")) return CALL(im->get(K, buf, sizeof buf, &n));
    if (IS("unset")) return CALL(im->unset(K));
    if (IS("append")) return CALL(im->append(K, "x", 1, &n));
    if (IS("poll")) return CALL(im->poll(K, 0));
    if (IS("list")) return CALL(im->list(keys, 8, &n));
    if (IS("set_mop")) return CALL(im->set_mop(1));
    if (IS("get_mop")) return CALL(im->get_mop());
    if (IS("purge")) return CALLV(im->purge());
    if (IS("get_header_snapshot")) return CALL(im->get_header_snapshot(&hs));
    if (IS("get_slot_snapshot")) return CALL(im->get_slot_snapshot(K, &big.s));
    if (IS("set_named_type")) return CALL(im->set_named_type(K, SPL_SLOT_TYPE_JSON));
    if (IS("set_slot_time")) return CALL(im->set_slot_time(K, SPL_TIME_ATIME, 5, 0));
    if (IS("integer_op")) return CALL(im->integer_op(K, SPL_OP_INC, &one));
    if (IS("get_raw_ptr")) return CALLP(im->get_raw_ptr(K, &n, &e));
    if (IS("get_epoch")) return CALL((long)im->get_epoch(K));
    if (IS("bump_slot")) return CALL(im->bump_slot(K));
    if (IS("retrain_slot")) return CALL(im->retrain_slot(K));
    if (IS("set_label")) return CALL(im->set_label(K, 1));
    if (IS("unset_label")) return CALL(im->unset_label(K, 1));
    if (IS("client_set_tandem")) return CALL(im->client_set_tandem("tb", vals, lens, 2));
    if (IS("client_unset_tandem")) return CALLV(im->client_unset_tandem("tb", 2));
    if (IS("watch_register")) return CALL(im->watch_register(K, 1));
    if (IS("watch_unregister")) return CALL(im->watch_unregister(K, 1));
    if (IS("watch_label_register")) return CALL(im->watch_label_register(1, 1));
    if (IS("pulse_keygroup")) return CALL(im->pulse_keygroup(K));
    if (IS("get_signal_count")) return CALL((long)im->get_signal_count(1));
    if (IS("enumerate_matches")) return CALLV(im->enumerate_matches(0, nop_cb, NULL));
    if (IS("event_bus_init")) return CALL(im->event_bus_init());
    if (IS("event_bus_open")) return CALL(im->event_bus_open());
    if (IS("event_bus_get_dirty")) return CALLV(im->event_bus_get_dirty(words, SPLINTER_EVENT_BUS_MASK_WORDS));
    if (IS("set_as_system")) return CALL(im->set_as_system(K));
    if (IS("shard_claim_ex")) return CALL(im->shard_claim_ex(3, 1, SPL_INTENT_RANDOM, 1, 1000, 1));
    if (IS("shard_claim")) return CALL(im->shard_claim(3, SPL_INTENT_RANDOM, 1, 1000));
    if (IS("shard_rebid")) return CALL(im->shard_rebid(3, SPL_INTENT_RANDOM, 1, 1000));
    if (IS("shard_release")) return CALL(im->shard_release(3));
    if (IS("shard_election")) return CALL((long)im->shard_election(NULL));
    if (IS("shard_is_sovereign")) return CALL(im->shard_is_sovereign(3));
    if (IS("shard_table_snapshot")) return CALL(im->shard_table_snapshot(t, SPLINTER_MAX_SHARDS));
    if (IS("madvise")) return CALL(im->madvise(3, NULL, 0, POSIX_MADV_WILLNEED, 0));
    if (IS("close")) return CALLV(im->close());
    if (IS("set_embedding")) return CALL(im->set_embedding(K, big.f));
    if (IS("get_embedding")) return CALL(im->get_embedding(K, big.f));
#undef IS
    return (struct callres){-99, 0};
}

typedef struct callres (*bad_fn)(struct conform *c, const struct bad *b, const char *name);

struct bad_arg {
    struct conform *c;
    const struct bad *b;
    bad_fn call;
    const char *name;  /* a store name that does not exist, for create cases */
    const char *fresh; /* a store the child creates for itself (NULL: no store open) */
};

/* Each case on a store of its own: an earlier case that crashed holding a
 * slot must not make a later one fail. */
static int fresh_store(struct conform *c, const char *name, char *msg)
{
    spl_impl_store_remove(&c->im, name);
    if (c->im.create(name, 16, 64) != 0) {
        snprintf(msg, SPL_MSG_MAX, "cannot create the case's store: %s", errno_name(errno));
        return -1;
    }
    uint64_t seven = 7;
    c->im.set("err-k", "value", 5);
    c->im.set("err-n", &seven, 8);
    if (c->im.set_named_type) c->im.set_named_type("err-n", SPL_SLOT_TYPE_BIGUINT);
    return 0;
}

static int bad_child(void *arg, char *msg)
{
    struct bad_arg *a = arg;
    if (a->fresh && fresh_store(a->c, a->fresh, msg) != 0) return 2;
    struct callres r = a->call(a->c, a->b, a->name);
    snprintf(msg, SPL_MSG_MAX, "%ld %d", r.rc, r.err);
    if (a->fresh && !strcmp(a->b->what, "integer_op(key, op 9)")) {
        /* an unknown op must leave the value alone */
        uint64_t v = 0;
        size_t len = 0;
        if (a->c->im.get("err-n", &v, sizeof v, &len) == 0 && (len != 8 || v != 7))
            snprintf(msg, SPL_MSG_MAX, "%ld %d changed", r.rc, r.err);
    }
    return 0;
}

/* Runs every case of tab in its own child; no_store: the variant with no
 * store open, where every call must refuse (-2 / 0 / NULL) or do nothing. */
static int judge_bad(struct conform *c, struct rule_out *o, const struct bad *tab, size_t n, bad_fn call, bool no_store, char *skipped,
                     size_t sl)
{
    int judged = 0, bad = 0;
    char name[512], list[1536] = "";
    spl_impl_store_name(&c->im, "err-nx", name, sizeof name);
    for (size_t i = 0; i < n; i++) {
        const struct bad *b = &tab[i];
        if (!spl_impl_has(&c->im, b->fn)) {
            size_t l = strlen(skipped);
            if (!strstr(skipped, b->fn)) snprintf(skipped + l, sl - l, " %s", b->fn);
            continue;
        }
        char fresh[512];
        spl_impl_store_name(&c->im, "err-case", fresh, sizeof fresh);
        struct bad_arg a = {c, b, call, name, no_store ? NULL : fresh};
        struct spl_child_result cr;
        if (spl_child_run(bad_child, &a, 5000000000ull, &cr) != 0) { r_error(o, "fork: %s", strerror(errno)); return judged; }
        spl_impl_store_remove(&c->im, name);
        spl_impl_store_remove(&c->im, fresh);
        judged++;
        char why[128];
        size_t ll = strlen(list);
        int before = o->ncex;
        if (cr.signal || cr.timed_out) {
            snprintf(list + ll, sizeof list - ll, "%s%s (crash)", bad++ ? "; " : "", b->what);
            r_check(o, false, "%s%s: the implementation %s (a caller error must return, not crash)", b->what,
                    no_store ? " with no store open" : "", spl_child_describe(&cr, why, sizeof why));
            continue;
        }
        struct callres r = {0, 0};
        if (cr.exited && cr.code == 2) { r_error(o, "%s: %s", b->what, cr.msg); continue; }
        if (sscanf(cr.msg, "%ld %d", &r.rc, &r.err) != 2) { r_error(o, "%s: child said '%s'", b->what, cr.msg); continue; }
        if (strstr(cr.msg, "changed")) {
            snprintf(list + ll, sizeof list - ll, "%s%s (changed the value)", bad++ ? "; " : "", b->what);
            r_check(o, false, "%s returned %s and changed the value 7", b->what, CRS(r));
            continue;
        }
        if (b->kind == B_NOCRASH) continue;
        long want = b->want, alt = b->alt;
        if (no_store && want == -1) want = -2; /* with no store a bad mode is refused first, either way */
        bool ok = r.rc == want || r.rc == alt || (no_store && r.rc == -2);
        if (ok && r.rc == -1 && b->errs[0])
            ok = r.err == b->errs[0] || r.err == b->errs[1] || r.err == b->errs[2];
        else if (ok && r.rc == -1)
            ok = r.err != ERRNO_POISON;
        if (!ok) snprintf(list + ll, sizeof list - ll, "%s%s", bad++ ? "; " : "", b->what);
        (void)before;
        if (!ok && no_store && r.rc == -1) {
            r_check(o, false, "%s with no store open returned %s, want -2, or -1 with errno set", b->what, CRS(r));
        } else if (!ok) {
            char w[96];
            if (b->errs[0]) snprintf(w, sizeof w, "%ld%s%s (%s)", want, alt != want ? " or " : "", alt != want ? (alt == -1 ? "-1" : "-2") : "",
                                     errno_name(b->errs[0]));
            else snprintf(w, sizeof w, "%ld%s%s", want, alt != want ? " or " : "", alt != want ? (alt == -1 ? "-1" : "-2") : "");
            r_check(o, false, "%s%s returned %s, want %s", b->what, no_store ? " with no store open" : "", CRS(r), w);
        }
    }
    if (bad) {
        o->ncex = o->ncex < 8 ? o->ncex : 7; /* the summary line is always kept */
        r_cex(o, "all %d of %d mishandled: %s", bad, judged, list);
    }
    return judged;
}

static void rule_err003(struct conform *c, struct rule_out *o)
{
    char skipped[512] = "";
    /* each case in a child of its own, on a store of its own */
    int n = judge_bad(c, o, bad_args, sizeof bad_args / sizeof bad_args[0], bad_call, false, skipped, sizeof skipped);
    r_pass(o, "%d caller errors (NULL keys, values, out-parameters and callbacks; shard 0; group 64; unknown modes and ops; empty geometry) refused with -2 or their errno, none crashed%s%s",
           n, skipped[0] ? "; not exported:" : "", skipped);
}

static void rule_err004(struct conform *c, struct rule_out *o)
{
    /* a store that was open, then closed: nothing of it may still answer */
    if (store_create(c, o, "err4", 16, 64) != 0) return;
    c->im.set("err-k", "value", 5);
    c->im.close();
    static const struct bad no_store[] = {
        BAD("set", "set", -2), BAD("get", "get", -2), BAD("unset", "unset", -2), BAD("append", "append", -2),
        BAD("poll", "poll", -2), BAD("list", "list", -2), BAD("set_mop", "set_mop", -2), BAD("get_mop", "get_mop", -2),
        SURVIVES("purge", "purge"), BAD("get_header_snapshot", "get_header_snapshot", -2),
        BAD("get_slot_snapshot", "get_slot_snapshot", -2), BAD("set_named_type", "set_named_type", -2),
        BAD("set_slot_time", "set_slot_time", -2), BAD("integer_op", "integer_op", -2), BAD("get_raw_ptr", "get_raw_ptr", 0),
        BAD("get_epoch", "get_epoch", 0), BAD("bump_slot", "bump_slot", -2), BAD("retrain_slot", "retrain_slot", -2),
        BAD("set_label", "set_label", -2), BAD("unset_label", "unset_label", -2), BAD2("client_set_tandem", "client_set_tandem", -2, -1),
        SURVIVES("client_unset_tandem", "client_unset_tandem"), BAD("watch_register", "watch_register", -2),
        BAD("watch_unregister", "watch_unregister", -2), BAD("watch_label_register", "watch_label_register", -2),
        BAD("pulse_keygroup", "pulse_keygroup", -2), BAD("get_signal_count", "get_signal_count", 0),
        SURVIVES("enumerate_matches", "enumerate_matches"), BAD2("event_bus_init", "event_bus_init", -2, -1),
        BAD2("event_bus_open", "event_bus_open", -2, -1), SURVIVES("event_bus_get_dirty", "event_bus_get_dirty"),
        BAD("set_as_system", "set_as_system", -2), BAD("shard_claim_ex", "shard_claim_ex", -2), BAD("shard_claim", "shard_claim", -2),
        BAD("shard_rebid", "shard_rebid", -2), BAD("shard_release", "shard_release", -2), BAD("shard_election", "shard_election", 0),
        BAD("shard_is_sovereign", "shard_is_sovereign", -2), BAD("shard_table_snapshot", "shard_table_snapshot", -2),
        BAD("madvise", "madvise", -2), SURVIVES("close", "close"), BAD("set_embedding", "set_embedding", -2),
        BAD("get_embedding", "get_embedding", -2),
    };
    char skipped[512] = "";
    int n = judge_bad(c, o, no_store, sizeof no_store / sizeof no_store[0], closed_call, true, skipped, sizeof skipped);
    r_pass(o, "after close, %d functions refused (-2, or 0 / NULL where they return a count or pointer) or did nothing, none crashed or answered from the closed store%s%s",
           n, skipped[0] ? "; not exported:" : "", skipped);
}

static const char *const needs_err1[] = {"set", "unset", "get", NULL};
static const char *const needs_err2[] = {"set", "get", NULL};
static const char *const needs_err3[] = {"set", NULL};
static const char *const needs_err4[] = {"set", "close", NULL};

const struct rule err_rules[] = {
    {.id = "ERR-001", .severity = SEV_MAJOR,
     .title = "a miss in every key function is -1 ENOENT (0 / NULL where a count or pointer is returned), never EAGAIN, never errno untouched",
     .needs = needs_err1, .run = rule_err001, .timeout_s = 20},
    {.id = "ERR-002", .severity = SEV_MAJOR,
     .title = "full store ENOSPC; oversized value, append and buffer EMSGSIZE (out_sz = length, buffer untouched); size query; zero length",
     .needs = needs_err2, .run = rule_err002, .timeout_s = 20},
    {.id = "ERR-003", .severity = SEV_CRITICAL,
     .title = "caller errors (NULL arguments, shard 0, group 64, unknown modes and ops) return -2 or their errno, never crash",
     .needs = needs_err3, .run = rule_err003, .timeout_s = 60},
    {.id = "ERR-004", .severity = SEV_MAJOR, .title = "with no store open every function refuses (-2, 0, NULL) or does nothing, never crashes",
     .needs = needs_err4, .run = rule_err004, .timeout_s = 60},
};
const size_t err_nrules = sizeof err_rules / sizeof err_rules[0];
