/*
 * rules_api.c - API: the return and errno contract, mop modes, integer ops,
 * tandem keys, append. Single process; values checked through the API and,
 * where the API cannot show it (scrubbed bytes), in the store's bytes.
 */
#include "conform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* API-001: a value larger than max_val_sz is refused with EMSGSIZE, and the old value stays. */
static void rule_api001(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api1", 16, 128) != 0) return;
    uint8_t small[64], big[129], buf[256];
    spl_payload_make(small, sizeof small, 1, 0, 1);
    spl_payload_make(big, sizeof big, 1, 0, 2);
    c->im.set("api-k", small, sizeof small);
    want_err(o, CALL(c->im.set("api-k", big, sizeof big)), -1, EMSGSIZE, "set of 129 bytes into a 128-byte store");
    int rc;
    size_t got = 0;
    rc = c->im.get("api-k", buf, sizeof buf, &got);
    r_check(o, rc == 0 && got == sizeof small && !memcmp(buf, small, sizeof small),
            "after the refused set, get returned %d with %zu bytes (want the old 64-byte value)", rc, got);
    want_err(o, CALL(c->im.set("api-k", big, 128)), 0, 0, "set of exactly max_val_sz (128) bytes");
    want_err(o, CALL(c->im.get("api-k", buf, 16, &got)), -1, EMSGSIZE, "get into a 16-byte buffer of a 128-byte value");
    r_pass(o, "oversized set refused with EMSGSIZE leaving the old value; max_val_sz fits; small get buffer gives EMSGSIZE");
}

/* API-002: unset returns the deleted value's length; the key is gone. */
static void rule_api002(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api2", 16, 256) != 0) return;
    uint8_t v[200], buf[256];
    spl_payload_make(v, sizeof v, 2, 0, 1);
    c->im.set("api-u", v, 77);
    int rc = c->im.unset("api-u");
    r_check(o, rc == 77, "unset of a 77-byte value returned %d (want 77)", rc);
    size_t got;
    errno = 0;
    rc = c->im.get("api-u", buf, sizeof buf, &got);
    r_check(o, rc != 0, "get after unset still found the key (%zu bytes)", got);
    rc = c->im.unset("api-u");
    r_check(o, rc < 0, "a second unset of the same key returned %d", rc);
    r_pass(o, "unset returned the deleted length (77); the key is gone; a second unset fails");
}

/* API-003: mop (scrub) modes: 0 none, 1 hybrid (64-byte rounding), 2 full. */
static void rule_api003(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api3", 8, 512) != 0) return;
    char path[512];
    store_path(c, o->store, path, sizeof path);
    struct spl_storeview v;
    if (spl_sv_open(&v, path, 0) != 0) { r_error(o, "map: %s", strerror(errno)); return; }
    uint8_t longv[400], shortv[10];
    memset(longv, 0xAB, sizeof longv);
    memset(shortv, 0x11, sizeof shortv);
    struct { unsigned mode; size_t zero_to; } cases[] = {{1, 64}, {2, 512}, {0, 10}};
    for (size_t i = 0; i < 3; i++) {
        unsigned m = cases[i].mode;
        if (c->im.set_mop(m) != 0) { r_fail(o, "set_mop(%u) failed: %s", m, strerror(errno)); break; }
        if (c->im.get_mop) r_check(o, c->im.get_mop() == (int)m, "get_mop() = %d after set_mop(%u)", c->im.get_mop(), m);
        char key[16];
        snprintf(key, sizeof key, "mop-%u", m);
        c->im.set(key, longv, sizeof longv);
        c->im.set(key, shortv, sizeof shortv);
        long idx = spl_sv_find(&v, key);
        if (!r_check(o, idx >= 0, "%s not in the bytes", key)) break;
        const uint8_t *p = spl_sv_bytes(&v, (uint32_t)idx, 400);
        if (!r_check(o, p != NULL, "%s: val_off %u leaves no 400 bytes in the arena", key, SV_SLOT(&v, idx).val_off)) break;
        /* expected: [0,10) new; [10, zero_to) zero; [zero_to, 400) old */
        for (size_t b = 10; b < 400; b++) {
            uint8_t want = b < cases[i].zero_to ? 0 : 0xAB;
            if (p[b] != want) {
                r_check(o, false, "mop mode %u: after a 400-byte then a 10-byte write, value byte %zu is %#x, want %#x (%s)", m, b, p[b],
                        want, m == 1 ? "hybrid scrubs up to the 64-byte rounding of the new length" : m == 2 ? "full scrub clears max_val_sz" : "mode 0 scrubs nothing");
                break;
            }
        }
    }
    errno = 0;
    int rc = c->im.set_mop(7);
    r_check(o, rc != 0, "set_mop(7) returned %d, want an error", rc);
    spl_sv_close(&v);
    r_pass(o, "mode 1 scrubs to the 64-byte rounding, mode 2 the whole value area, mode 0 nothing; mode 7 refused");
}

/* API-004: the caller-error and errno contract. */
static void rule_api004(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api4", 16, 64) != 0) return;
    uint8_t v[8] = "x", buf[64];
    size_t got;
    int n = 0;
#define WANT(cond, ...) (n++, r_check(o, cond, __VA_ARGS__))
    int rc = c->im.set(NULL, v, 1);
    WANT(rc == -2, "set(NULL key) returned %d, want -2", rc);
    rc = c->im.get(NULL, buf, sizeof buf, &got);
    WANT(rc == -2, "get(NULL key) returned %d, want -2", rc);
    rc = c->im.unset(NULL);
    WANT(rc == -2, "unset(NULL) returned %d, want -2", rc);
    if (c->im.shard_claim_ex) {
        rc = c->im.shard_claim_ex(0, 1, 1, 1, 100, 1);
        WANT(rc == -2, "shard_claim_ex(shard 0) returned %d, want -2", rc);
    }
    rc = c->im.get("no-such-key", buf, sizeof buf, &got);
    WANT(rc == -1, "get of a missing key returned %d, want -1", rc);
    if (c->im.integer_op) {
        c->im.set("api-int", v, 8);
        uint64_t one = 1;
        n++;
        want_err(o, CALL(c->im.integer_op("api-int", SPL_OP_INC, &one)), -1, EPROTOTYPE, "integer_op on a non-BIGUINT slot");
    }
    /* exclusive create */
    struct callres cr = CALL(c->im.create(o->store, 16, 64));
    n++;
    want_err(o, cr, -1, EEXIST, "create of an existing store");
    if (cr.rc == 0) c->im.close();
    c->im.open(o->store);
    c->im.close();
    rc = c->im.set("after-close", v, 1);
    WANT(rc == -2, "set with no store open returned %d, want -2", rc);
#undef WANT
    r_pass(o, "%d caller-error cases return -2 / -1 with the documented errno", n);
}

/* Promoting a short text value to BIGUINT parses it and must not touch any
 * other key's value (the original's val_brk allocation starts at offset 0,
 * inside slot 0's value). Fills every slot, promotes a key not in slot 0. */
static void promote_check(struct conform *c, struct rule_out *o)
{
    char path[512], key[16];
    store_path(c, o->store, path, sizeof path);
    for (unsigned k = 0; k < 15; k++) {
        snprintf(key, sizeof key, "pr-%u", k);
        c->im.set(key, "42", 2);
    }
    struct spl_storeview v;
    if (spl_sv_open(&v, path, 0) != 0) return; /* judged through the API only below */
    long target = -1;
    for (unsigned k = 0; k < 15 && target < 0; k++) {
        snprintf(key, sizeof key, "pr-%u", k);
        long idx = spl_sv_find(&v, key);
        if (idx > 0) target = k;
    }
    spl_sv_close(&v);
    if (target < 0) return;
    uint8_t val[40];
    for (unsigned k = 0; k < 15; k++) {
        if ((long)k == target) continue;
        snprintf(key, sizeof key, "pr-%u", k);
        spl_payload_make(val, sizeof val, k, 0, 1);
        c->im.set(key, val, sizeof val);
    }
    snprintf(key, sizeof key, "pr-%ld", target);
    if (c->im.set_named_type(key, SPL_SLOT_TYPE_BIGUINT) != 0) {
        r_fail(o, "set_named_type(BIGUINT) on the 2-byte text \"42\" failed: %s", strerror(errno));
        return;
    }
    uint64_t n = 0;
    size_t len = 0;
    c->im.get(key, &n, sizeof n, &len);
    r_check(o, len == 8 && n == 42, "promoting the text \"42\" to BIGUINT gave %zu bytes = %llu, want 8 bytes = 42", len, (unsigned long long)n);
    for (unsigned k = 0; k < 15; k++) {
        if ((long)k == target) continue;
        char other[16];
        uint8_t buf[64];
        snprintf(other, sizeof other, "pr-%u", k);
        len = 0;
        int rc = c->im.get(other, buf, sizeof buf, &len);
        enum spl_payload_verdict pv = rc == 0 ? spl_payload_check(buf, len, k, NULL) : SPL_PAYLOAD_SHORT;
        if (!r_check(o, pv == SPL_PAYLOAD_OK, "promoting %s to BIGUINT damaged key %s: %s", key, other,
                     rc ? strerror(errno) : spl_payload_verdict_str(pv)))
            break;
    }
}

/* API-005: integer ops on BIGUINT slots match 64-bit arithmetic. */
static void rule_api005(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api5", 16, 64) != 0) return;
    promote_check(c, o);
    struct spl_rng rng;
    spl_rng_seed(&rng, c->seed ^ 0xA5ull);
    uint64_t model = 0x100; /* borrow out of the low byte on the first DEC by > 0 */
    c->im.set("api-n", &model, 8);
    if (c->im.set_named_type("api-n", SPL_SLOT_TYPE_BIGUINT) != 0) { r_fail(o, "set_named_type(BIGUINT): %s", strerror(errno)); return; }
    static const char *names[] = {"AND", "OR", "XOR", "NOT", "INC", "DEC"};
    int n = 0;
    for (int i = 0; i < 300 && !r_failed(o); i++) {
        splinter_integer_op_t op = i == 0 ? SPL_OP_DEC : (splinter_integer_op_t)spl_rng_below(&rng, 6);
        uint64_t m = i == 0 ? 1 : spl_rng_next(&rng) >> spl_rng_below(&rng, 64);
        uint64_t before = model;
        switch (op) {
        case SPL_OP_AND: model &= m; break;
        case SPL_OP_OR: model |= m; break;
        case SPL_OP_XOR: model ^= m; break;
        case SPL_OP_NOT: model = ~model; break;
        case SPL_OP_INC: model += m; break;
        case SPL_OP_DEC: model -= m; break;
        }
        if (c->im.integer_op("api-n", op, &m) != 0) { r_fail(o, "integer_op(%s) failed: %s", names[op], strerror(errno)); break; }
        uint64_t got = 0;
        size_t len = 0;
        c->im.get("api-n", &got, sizeof got, &len);
        r_check(o, len == 8 && got == model, "op %d: %#llx %s %#llx gave %#llx, want %#llx", i, (unsigned long long)before, names[op],
                (unsigned long long)m, (unsigned long long)got, (unsigned long long)model);
        n++;
    }
    r_pass(o, "text \"42\" promoted to BIGUINT 42 leaving 14 other values intact; %d random integer ops (AND OR XOR NOT INC DEC, seed %llu) matched 64-bit arithmetic", n, (unsigned long long)c->seed);
}

/* API-006: tandem keys: base, base.1, base.2 ... set and removed together. */
static void rule_api006(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api6", 32, 64) != 0) return;
    const void *vals[3] = {"zero", "one", "two"};
    size_t lens[3] = {5, 4, 4};
    int rc = c->im.client_set_tandem("car", vals, lens, 3);
    r_check(o, rc == 0, "client_set_tandem(car, 3 orders) returned %d (%s)", rc, strerror(errno));
    const char *keys[3] = {"car", "car.1", "car.2"};
    char buf[64];
    for (int i = 0; i < 3; i++) {
        size_t got = 0;
        rc = c->im.get(keys[i], buf, sizeof buf, &got);
        r_check(o, rc == 0 && got == lens[i] && !memcmp(buf, vals[i], lens[i]), "after set_tandem, get(%s) returned %d, %zu bytes", keys[i], rc, got);
    }
    c->im.client_unset_tandem("car", 3);
    for (int i = 0; i < 3; i++) {
        size_t got;
        r_check(o, c->im.get(keys[i], buf, sizeof buf, &got) != 0, "after unset_tandem, %s still exists", keys[i]);
    }
    r_pass(o, "car, car.1, car.2 written together and removed together");
}

/* API-007: append concatenates, reports the new length, refuses overflow. */
static void rule_api007(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api7", 16, 64) != 0) return;
    c->im.set("log", "abc", 3);
    size_t nl = 0;
    int rc = c->im.append("log", "defg", 4, &nl);
    r_check(o, rc == 0 && nl == 7, "append of 4 bytes to 3 returned %d, new_len %zu (want 0, 7)", rc, nl);
    char buf[64];
    size_t got = 0;
    c->im.get("log", buf, sizeof buf, &got);
    r_check(o, got == 7 && !memcmp(buf, "abcdefg", 7), "value after append is %zu bytes '%.*s', want 'abcdefg'", got, (int)got, buf);
    uint8_t big[60];
    memset(big, 'z', sizeof big);
    want_err(o, CALL(c->im.append("log", big, sizeof big, &nl)), -1, EMSGSIZE, "append past max_val_sz (7 + 60 > 64)");
    c->im.get("log", buf, sizeof buf, &got);
    r_check(o, got == 7, "a refused append changed the length to %zu", got);
    r_pass(o, "append concatenates and reports the new length; overflow refused with EMSGSIZE, value unchanged");
}

/* API-008: embeddings (embeddings builds only): 768 floats round-trip
 * exactly, and setting them is a data write (global epoch advances). */
static void rule_api008(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api8", 8, 64) != 0) return;
    float *v = calloc(SPLINTER_EMBED_DIM, sizeof *v), *back = calloc(SPLINTER_EMBED_DIM, sizeof *back);
    if (!v || !back) { free(v); free(back); r_error(o, "out of memory"); return; }
    struct spl_rng rng;
    spl_rng_seed(&rng, c->seed ^ 0xE8ull);
    for (int i = 0; i < SPLINTER_EMBED_DIM; i++) v[i] = (float)((double)(int64_t)spl_rng_next(&rng) / 9.2e18);
    c->im.set("emb", "x", 1);
    splinter_header_snapshot_t h0, h1;
    bool snap = c->im.get_header_snapshot && c->im.get_header_snapshot(&h0) == 0;
    int rc = c->im.set_embedding("emb", v);
    r_check(o, rc == 0, "set_embedding returned %d (%s)", rc, strerror(errno));
    if (snap && c->im.get_header_snapshot(&h1) == 0)
        r_check(o, h1.epoch > h0.epoch, "set_embedding left the global epoch at %llu", (unsigned long long)h0.epoch);
    rc = c->im.get_embedding("emb", back);
    bool same = true; /* v holds finite values only: == is exact, and no NaN to trip it */
    for (int i = 0; i < SPLINTER_EMBED_DIM; i++) same = same && v[i] == back[i];
    r_check(o, rc == 0 && same, "get_embedding returned %d and %s", rc,
            rc ? strerror(errno) : "different floats");
    rc = c->im.get_embedding("no-such-key", back);
    r_check(o, rc != 0, "get_embedding of a missing key returned 0");
    free(v);
    free(back);
    r_pass(o, "768 floats round-trip bit-exactly; set_embedding advances the global epoch");
}

static const char *const needs_basic[] = {"set", "get", NULL};
static const char *const needs_unset[] = {"set", "get", "unset", NULL};
static const char *const needs_mop[] = {"set", "set_mop", NULL};
static const char *const needs_int[] = {"set", "get", "set_named_type", "integer_op", NULL};
static const char *const needs_tandem[] = {"client_set_tandem", "client_unset_tandem", "get", NULL};
static const char *const needs_append[] = {"set", "get", "append", NULL};
static const char *const needs_emb[] = {"set", "set_embedding", "get_embedding", NULL};

const struct rule api_rules[] = {
    {.id = "API-001", .severity = SEV_CRITICAL, .title = "values larger than max_val_sz are refused with EMSGSIZE; a small get buffer gives EMSGSIZE",
     .needs = needs_basic, .run = rule_api001, .timeout_s = 20},
    {.id = "API-002", .severity = SEV_MAJOR, .title = "unset returns the deleted value's length and removes the key",
     .needs = needs_unset, .run = rule_api002, .timeout_s = 20},
    {.id = "API-003", .severity = SEV_MAJOR, .title = "mop modes: 1 scrubs to the 64-byte rounding of the new length, 2 the whole area, 0 nothing",
     .needs = needs_mop, .run = rule_api003, .timeout_s = 20},
    {.id = "API-004", .severity = SEV_MAJOR, .title = "caller errors return -2; failures -1 with the documented errno (EPROTOTYPE, EEXIST)",
     .needs = needs_basic, .run = rule_api004, .timeout_s = 20},
    {.id = "API-005", .severity = SEV_MAJOR, .title = "BIGUINT promotion parses the text and touches no other value; integer ops match 64-bit arithmetic",
     .needs = needs_int, .run = rule_api005, .timeout_s = 20},
    {.id = "API-006", .severity = SEV_MINOR, .title = "tandem keys base, base.1, base.2 are set and unset together",
     .needs = needs_tandem, .run = rule_api006, .timeout_s = 20},
    {.id = "API-007", .severity = SEV_MINOR, .title = "append concatenates, returns the new length, refuses overflow with EMSGSIZE",
     .needs = needs_append, .run = rule_api007, .timeout_s = 20},
    {.id = "API-008", .severity = SEV_MINOR, .title = "embeddings builds: 768 floats per slot round-trip bit-exactly; setting them is a data write",
     .needs = needs_emb, .run = rule_api008, .timeout_s = 20},
};
const size_t api_nrules = sizeof api_rules / sizeof api_rules[0];
