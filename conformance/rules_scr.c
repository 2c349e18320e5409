/*
 * rules_scr.c - SCR: no write path leaves a stale byte past the new length
 * beyond what the mop mode allows.
 *
 * The mop (scrub) mode says which bytes past a value's length must be zero
 * after a write: mode 1 (hybrid, the default) up to the 64-byte rounding of
 * the new length (capped at max_val_sz), mode 2 (full) up to max_val_sz,
 * mode 0 none. Each case first fills the slot's value area with 0xAB under
 * mode 0 (stale bytes nobody cleared), switches to the mode, runs one write
 * path, and reads the area from the bytes (lib/storeview).
 */
#include "conform.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MAXV 256u
#define STALE 0xAB

/* bytes past len the mode says must be zero: [len, limit) */
static size_t scrub_limit(unsigned mode, size_t len)
{
    if (mode == 0) return len;
    if (mode == 2) return MAXV;
    size_t r = (len + 63) & ~(size_t)63;
    return r < MAXV ? r : MAXV;
}

/* Leaves key's value area full of stale bytes under mode 0, then sets mode. */
static bool dirty(struct conform *c, struct rule_out *o, const char *key, unsigned mode)
{
    uint8_t junk[MAXV];
    memset(junk, STALE, sizeof junk);
    if (c->im.set_mop(0) != 0 || c->im.set(key, junk, sizeof junk) != 0 || c->im.set_mop(mode) != 0) {
        r_error(o, "setting up stale bytes under %s: %s", key, errno_name(errno));
        return false;
    }
    return true;
}

/* Judges key's area: [0, len) holds want (if non-NULL), [len, limit) zero. */
static bool judge_area(struct rule_out *o, struct spl_storeview *v, const char *key, unsigned mode, const void *want, size_t len, const char *path)
{
    long i = spl_sv_find(v, key);
    if (!r_check(o, i >= 0, "%s: %s is not in the bytes", path, key)) return false;
    struct splinter_slot *s = spl_sv_slot(v, (uint32_t)i);
    size_t vl = atomic_load(&s->val_len);
    const uint8_t *p = spl_sv_bytes(v, (uint32_t)i, MAXV);
    if (!r_check(o, p != NULL, "%s: %s's value area leaves the arena (val_off %u)", path, key, s->val_off)) return false;
    if (!r_check(o, vl == len, "%s (mop %u): val_len is %zu, want %zu", path, mode, vl, len)) return false;
    if (want && !r_check(o, !memcmp(p, want, len), "%s (mop %u): the value's %zu bytes are not what was written", path, mode, len)) return false;
    size_t lim = scrub_limit(mode, len), bad = 0, first = 0;
    for (size_t b = len; b < lim; b++)
        if (p[b] && !bad++) first = b;
    return r_check(o, bad == 0,
                   "%s (mop %u): %zu stale byte(s) past the new length %zu, first at %zu (= %#x); mop %u must clear [%zu, %zu)", path, mode, bad, len,
                   first, bad ? p[first] : 0, mode, len, lim);
}

/* ---- SCR-001: set ------------------------------------------------------------- */

static void rule_scr001(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "scr1", 8, MAXV) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    static const size_t lens[] = {1, 63, 64, 65, 127, 128, 200, MAXV - 1, MAXV};
    uint8_t val[MAXV];
    int n = 0;
    for (unsigned mode = 0; mode < 3 && !r_failed(o); mode++)
        for (size_t k = 0; k < sizeof lens / sizeof lens[0] && !r_failed(o); k++) {
            if (!dirty(c, o, "s", mode)) goto out;
            memset(val, 0x11 + (int)k, lens[k]);
            if (c->im.set("s", val, lens[k]) != 0) { r_error(o, "set: %s", errno_name(errno)); goto out; }
            char what[64];
            snprintf(what, sizeof what, "set of %zu bytes over %u", lens[k], MAXV);
            judge_area(o, &v, "s", mode, val, lens[k], what);
            n++;
        }
out:
    spl_sv_close(&v);
    r_pass(o, "%d sets (lengths 1..max at the 64-byte edges, three mop modes) over stale bytes: nothing stale past the length within the mode's reach", n);
}

/* ---- SCR-002: append ----------------------------------------------------------- */

static void rule_scr002(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "scr2", 8, MAXV) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    static const size_t cases[][2] = {{10, 60}, {60, 10}, {10, 100}, {64, 1}, {100, 90}, {1, 254}};
    uint8_t want[MAXV];
    int n = 0;
    for (unsigned mode = 0; mode < 3 && !r_failed(o); mode++)
        for (size_t k = 0; k < sizeof cases / sizeof cases[0] && !r_failed(o); k++) {
            size_t a = cases[k][0], b = cases[k][1];
            if (!dirty(c, o, "a", mode)) goto out;
            memset(want, 'x', a);
            memset(want + a, 'y', b);
            size_t nl = 0;
            if (c->im.set("a", want, a) != 0 || c->im.append("a", want + a, b, &nl) != 0) { r_error(o, "set/append: %s", errno_name(errno)); goto out; }
            char what[64];
            snprintf(what, sizeof what, "set of %zu then append of %zu", a, b);
            judge_area(o, &v, "a", mode, want, a + b, what);
            n++;
        }
out:
    spl_sv_close(&v);
    r_pass(o, "%d appends over stale bytes (three mop modes): nothing stale past the new length within the mode's reach", n);
}

/* ---- SCR-003: integer values (promotion to BIGUINT, integer ops) ----------------- */

static void rule_scr003(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "scr3", 8, MAXV) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    int n = 0;
    for (unsigned mode = 0; mode < 3 && !r_failed(o); mode++) {
        /* "123" written under mode 0 keeps the stale bytes behind it */
        if (!dirty(c, o, "n", mode) || c->im.set_mop(0) != 0 || c->im.set("n", "123", 3) != 0 || c->im.set_mop(mode) != 0) {
            r_error(o, "setup: %s", errno_name(errno));
            break;
        }
        if (c->im.set_named_type("n", SPL_SLOT_TYPE_BIGUINT) != 0) { r_fail(o, "set_named_type(BIGUINT) of \"123\": %s", errno_name(errno)); break; }
        uint64_t want = 123;
        judge_area(o, &v, "n", mode, &want, 8, "promotion of \"123\" to an 8-byte BIGUINT");
        uint64_t one = 1;
        if (c->im.integer_op("n", SPL_OP_INC, &one) != 0) { r_fail(o, "integer_op(INC): %s", errno_name(errno)); break; }
        want = 124;
        judge_area(o, &v, "n", mode, &want, 8, "integer_op(INC) on it");
        n += 2;
    }
    spl_sv_close(&v);
    r_pass(o, "%d integer writes (promotion of a 3-byte text to 8 bytes, INC) over stale bytes: nothing stale within the mode's reach", n);
}

/* ---- SCR-004: set_as_system ------------------------------------------------------- */

static void rule_scr004(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "scr4", 8, MAXV) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    int n = 0;
    for (unsigned mode = 0; mode < 3 && !r_failed(o); mode++) {
        if (!dirty(c, o, "sys", mode) || c->im.set("sys", "short", 5) != 0) { r_error(o, "setup: %s", errno_name(errno)); break; }
        if (c->im.set_as_system("sys") != 0) { r_fail(o, "set_as_system: %s", errno_name(errno)); break; }
        /* the value is now max_val_sz long: every byte of it past the 5
         * written is part of the value, and none may be a leftover */
        uint8_t buf[MAXV];
        size_t got = 0;
        int rc = c->im.get("sys", buf, sizeof buf, &got);
        size_t stale = 0, first = 0;
        for (size_t b = 5; rc == 0 && b < got; b++)
            if (buf[b] && !stale++) first = b;
        r_check(o, rc == 0 && got == MAXV && !memcmp(buf, "short", 5) && stale == 0,
                "set_as_system (mop %u) over a 5-byte value: get returned %d with %zu bytes; %zu bytes past the 5 written are leftovers of an older value (first at %zu)",
                mode, rc, got, stale, first);
        n++;
    }
    spl_sv_close(&v);
    r_pass(o, "%d set_as_system calls (three mop modes): the value grows to max_val_sz with zeroes, never with an older value's bytes", n);
}

/* ---- SCR-005: purge ----------------------------------------------------------------- */

static void rule_scr005(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "scr5", 16, MAXV) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    char key[16];
    uint8_t junk[MAXV], val[40];
    memset(junk, STALE, sizeof junk);
    c->im.set_mop(0);
    for (int k = 0; k < 8; k++) {
        snprintf(key, sizeof key, "p%d", k);
        spl_payload_make(val, sizeof val, (uint32_t)k, 0, 1);
        c->im.set(key, junk, sizeof junk);
        c->im.set(key, val, sizeof val); /* stale past 40 under mop 0 */
    }
    long gone[2];
    for (int k = 0; k < 2; k++) {
        snprintf(key, sizeof key, "gone%d", k);
        c->im.set(key, junk, sizeof junk);
        gone[k] = spl_sv_find(&v, key);
        c->im.unset(key); /* mop 0: the value area keeps its bytes */
    }
    c->im.purge();
    int n = 0;
    for (int k = 0; k < 8; k++) {
        snprintf(key, sizeof key, "p%d", k);
        spl_payload_make(val, sizeof val, (uint32_t)k, 0, 1);
        judge_area(o, &v, key, 2, val, sizeof val, "purge of a live key"); /* purge clears to max_val_sz */
        long i = spl_sv_find(&v, key);
        if (i >= 0) r_check(o, !(atomic_load(&spl_sv_slot(&v, (uint32_t)i)->epoch) & 1), "purge left %s's epoch odd", key);
        n++;
    }
    for (int k = 0; k < 2; k++) {
        if (gone[k] < 0) continue;
        const uint8_t *p = spl_sv_home_area(&v, (uint32_t)gone[k]);
        size_t bad = 0;
        for (size_t b = 0; p && b < MAXV; b++) bad += p[b] != 0;
        r_check(o, p && bad == 0, "purge left %zu non-zero bytes in the value area of unset slot %ld", bad, gone[k]);
        n++;
    }
    for (int k = 0; k < 8; k++) {
        uint8_t buf[MAXV];
        size_t got = 0;
        snprintf(key, sizeof key, "p%d", k);
        if (!r_check(o, c->im.get(key, buf, sizeof buf, &got) == 0 && spl_payload_check(buf, got, (uint32_t)k, NULL) == SPL_PAYLOAD_OK,
                     "after purge %s no longer reads back its value", key))
            break;
    }
    spl_sv_close(&v);
    r_pass(o, "purge cleared every byte past each live value's length to max_val_sz and every unset slot's whole area, values intact (%d slots)", n);
}

/* ---- SCR-006: tandem and unset ------------------------------------------------------- */

static void rule_scr006(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "scr6", 16, MAXV) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    int n = 0;
    const char *names[3] = {"car", "car.1", "car.2"};
    for (unsigned mode = 0; mode < 3 && !r_failed(o); mode++) {
        for (int k = 0; k < 3; k++)
            if (!dirty(c, o, names[k], mode)) goto out;
        const void *vals[3] = {"zero", "one-one", "two-two-two"};
        size_t lens[3] = {4, 7, 11};
        if (c->im.client_set_tandem("car", vals, lens, 3) != 0) { r_fail(o, "client_set_tandem: %s", errno_name(errno)); break; }
        for (int k = 0; k < 3; k++) {
            char what[64];
            snprintf(what, sizeof what, "client_set_tandem, order %d (%s)", k, names[k]);
            judge_area(o, &v, names[k], mode, vals[k], lens[k], what);
            n++;
        }
        if (mode == 0) continue;
        /* unset under a scrubbing mode: value area and key bytes cleared */
        long idx[3];
        for (int k = 0; k < 3; k++) idx[k] = spl_sv_find(&v, names[k]);
        c->im.client_unset_tandem("car", 3);
        for (int k = 0; k < 3; k++) {
            if (idx[k] < 0) continue;
            struct splinter_slot *s = spl_sv_slot(&v, (uint32_t)idx[k]);
            const uint8_t *p = spl_sv_home_area(&v, (uint32_t)idx[k]);
            size_t bad = 0, kb = 0;
            for (size_t b = 0; p && b < MAXV; b++) bad += p[b] != 0;
            for (size_t b = 0; b < SPLINTER_KEY_MAX; b++) kb += s->key[b] != 0;
            r_check(o, bad == 0 && kb == 0, "client_unset_tandem under mop %u left %zu value bytes and %zu key bytes of %s in slot %ld", mode, bad, kb, names[k],
                    idx[k]);
            n++;
        }
    }
out:
    spl_sv_close(&v);
    r_pass(o, "%d checks: every tandem order scrubbed like a set, and unsetting them under mop 1/2 cleared their value areas and keys", n);
}

static const char *const needs_scr_set[] = {"set", "set_mop", NULL};
static const char *const needs_scr_app[] = {"set", "set_mop", "append", NULL};
static const char *const needs_scr_int[] = {"set", "set_mop", "set_named_type", "integer_op", NULL};
static const char *const needs_scr_sys[] = {"set", "set_mop", "get", "set_as_system", NULL};
static const char *const needs_scr_purge[] = {"set", "set_mop", "unset", "get", "purge", NULL};
static const char *const needs_scr_tan[] = {"set", "set_mop", "client_set_tandem", "client_unset_tandem", NULL};

const struct rule scr_rules[] = {
    {.id = "SCR-001", .severity = SEV_MAJOR, .title = "set: no stale byte past the new length within the mop mode's reach (every mode, lengths at the 64-byte edges)",
     .needs = needs_scr_set, .run = rule_scr001, .timeout_s = 20},
    {.id = "SCR-002", .severity = SEV_MAJOR, .title = "append: no stale byte past the new length within the mop mode's reach",
     .needs = needs_scr_app, .run = rule_scr002, .timeout_s = 20},
    {.id = "SCR-003", .severity = SEV_MAJOR, .title = "integer writes (BIGUINT promotion, integer ops): no stale byte past the 8 bytes within the mop mode's reach",
     .needs = needs_scr_int, .run = rule_scr003, .timeout_s = 20},
    {.id = "SCR-004", .severity = SEV_CRITICAL, .title = "set_as_system grows the value with zeroes, never with an older value's bytes (every mop mode)",
     .needs = needs_scr_sys, .run = rule_scr004, .timeout_s = 20},
    {.id = "SCR-005", .severity = SEV_MAJOR, .title = "purge clears every byte past each live value and every unset slot's area, values intact",
     .needs = needs_scr_purge, .run = rule_scr005, .timeout_s = 20},
    {.id = "SCR-006", .severity = SEV_MAJOR, .title = "tandem orders scrub like a set; unsetting them under mop 1/2 clears value areas and keys",
     .needs = needs_scr_tan, .run = rule_scr006, .timeout_s = 20},
};
const size_t scr_nrules = sizeof scr_rules / sizeof scr_rules[0];
