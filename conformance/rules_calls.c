/*
 * rules_calls.c - API-009.. and BUS-004..: each remaining public function
 * checked for what it does. A snapshot or query is compared with the bytes
 * it reports on (lib/storeview); a state change is read back another way
 * (the bytes, another API, another process that opened the store itself).
 */
#include "conform.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* room for an embeddings build's larger slot snapshot */
union slot_snap {
    splinter_slot_snapshot_t s;
    char room[sizeof(splinter_slot_snapshot_t) + SPLINTER_EMBED_DIM * sizeof(float)];
};

static struct splinter_slot *slot_of(struct spl_storeview *v, const char *key)
{
    long i = spl_sv_find(v, key);
    return i < 0 ? NULL : spl_sv_slot(v, (uint32_t)i);
}

/* ---- API-009: list -------------------------------------------------------- */

static int peer_set(struct conform *c, void *arg, char *msg)
{
    const char *key = arg;
    if (c->im.set(key, "from another process", 21) != 0) {
        snprintf(msg, SPL_MSG_MAX, "set(%s) in the other process: %s", key, errno_name(errno));
        return 1;
    }
    return 0;
}

/* keys in list() output vs the live keys of the bytes */
static void list_vs_bytes(struct conform *c, struct rule_out *o, struct spl_storeview *v, const char *when)
{
    char *keys[64];
    size_t n = 999;
    struct callres r = CALL(c->im.list(keys, 64, &n));
    if (!want_err(o, r, 0, 0, "list(64) %s", when)) return;
    size_t live = 0;
    for (uint32_t i = 0; i < v->slots; i++) {
        struct splinter_slot *s = spl_sv_slot(v, i);
        if (!atomic_load(&s->hash) || !atomic_load(&s->val_len)) continue;
        live++;
        bool found = false;
        for (size_t k = 0; k < n && k < 64 && !found; k++) found = keys[k] && !strncmp(keys[k], s->key, SPLINTER_KEY_MAX - 1);
        r_check(o, found, "%s: live key '%.63s' (slot %u) missing from list()", when, s->key, i);
    }
    r_check(o, n == live, "%s: list() said %zu keys, the bytes hold %zu live ones", when, n, live);
    for (size_t k = 0; k < n && k < 64; k++)
        if (!r_check(o, keys[k] && spl_sv_find(v, keys[k]) >= 0, "%s: list() returned '%.63s', which is no live key", when, keys[k] ? keys[k] : "(NULL)"))
            break;
}

static void rule_api009(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api9", 32, 64) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    for (int k = 0; k < 12; k++) {
        char key[32];
        snprintf(key, sizeof key, "list/%d", k);
        c->im.set(key, key, strlen(key));
    }
    c->im.unset("list/3");
    c->im.unset("list/8");
    list_vs_bytes(c, o, &v, "after 12 sets and 2 unsets");
    char *keys[8];
    size_t n = 999;
    struct callres r = CALL(c->im.list(keys, 4, &n));
    r_check(o, r.rc == 0 && n == 4, "list(max 4) of 10 keys returned %s with count %zu, want 0 and 4", CRS(r), n);
    for (size_t k = 0; k < 4 && k < n; k++)
        r_check(o, spl_sv_find(&v, keys[k]) >= 0, "list(max 4) returned '%.63s', no live key", keys[k]);
    n = 999;
    r = CALL(c->im.list(keys, 0, &n));
    r_check(o, r.rc == 0 && n == 0, "list(max 0) returned %s with count %zu, want 0 and 0", CRS(r), n);
    if (in_other_process(c, o, o->store, peer_set, "list/peer", "a key set by another process"))
        list_vs_bytes(c, o, &v, "after another process set list/peer");
    spl_sv_close(&v);
    r_pass(o, "list() returns exactly the live keys of the bytes (after unsets, and one set by another process); max_keys caps it");
}

/* ---- API-010: header snapshot --------------------------------------------- */

static void header_vs_bytes(struct conform *c, struct rule_out *o, struct spl_storeview *v, const char *when)
{
    splinter_header_snapshot_t h;
    memset(&h, 0xA5, sizeof h);
    struct callres r = CALL(c->im.get_header_snapshot(&h));
    if (!want_err(o, r, 0, 0, "get_header_snapshot %s", when)) return;
    struct splinter_header *H = v->H;
    r_check(o, h.magic == H->magic && h.version == H->version && h.slots == H->slots && h.max_val_sz == H->max_val_sz,
            "%s: snapshot geometry %#x v%u %u x %u, bytes %#x v%u %u x %u", when, h.magic, h.version, h.slots, h.max_val_sz, H->magic,
            H->version, H->slots, H->max_val_sz);
    r_check(o, h.epoch == atomic_load(&H->epoch), "%s: snapshot epoch %llu, bytes %llu", when, (unsigned long long)h.epoch,
            (unsigned long long)atomic_load(&H->epoch));
    r_check(o, h.core_flags == atomic_load(&H->core_flags) && h.user_flags == atomic_load(&H->user_flags),
            "%s: snapshot flags core %#x user %#x, bytes core %#x user %#x", when, h.core_flags, h.user_flags,
            atomic_load(&H->core_flags), atomic_load(&H->user_flags));
    r_check(o, h.parse_failures == atomic_load(&H->parse_failures) && h.last_failure_epoch == atomic_load(&H->last_failure_epoch),
            "%s: snapshot parse_failures %llu / last_failure_epoch %llu, bytes %llu / %llu", when, (unsigned long long)h.parse_failures,
            (unsigned long long)h.last_failure_epoch, (unsigned long long)atomic_load(&H->parse_failures),
            (unsigned long long)atomic_load(&H->last_failure_epoch));
}

static void rule_api010(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api10", 24, 96) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, SPL_SV_WRITE) != 0) return;
    header_vs_bytes(c, o, &v, "on a fresh store");
    /* fields only the bytes can change: a snapshot must copy them, not assume */
    atomic_store(&v.H->user_flags, 0x5A);
    atomic_store(&v.H->parse_failures, 123456789);
    atomic_store(&v.H->last_failure_epoch, 987);
    atomic_fetch_or(&v.H->core_flags, SPL_SUSR2);
    header_vs_bytes(c, o, &v, "after the harness set user_flags 0x5A, parse_failures, last_failure_epoch and SUSR2 in the bytes");
    uint64_t e0 = spl_sv_global_epoch(&v);
    if (in_other_process(c, o, o->store, peer_set, "hdr/peer", "a write by another process")) {
        header_vs_bytes(c, o, &v, "after a write by another process");
        r_check(o, spl_sv_global_epoch(&v) > e0, "a write by another process left the global epoch at %llu", (unsigned long long)e0);
    }
    spl_sv_close(&v);
    r_pass(o, "every header snapshot field equals the bytes: fresh, after the harness changed flags and counters in the bytes, after another process wrote");
}

/* ---- API-011: slot snapshot ----------------------------------------------- */

static void slot_vs_bytes(struct conform *c, struct rule_out *o, struct spl_storeview *v, const char *key, const char *when)
{
    union slot_snap ss;
    memset(&ss, 0xA5, sizeof ss);
    struct callres r = CALL(c->im.get_slot_snapshot(key, &ss.s));
    if (!want_err(o, r, 0, 0, "get_slot_snapshot(%s) %s", key, when)) return;
    long i = spl_sv_find(v, key);
    if (!r_check(o, i >= 0, "%s: %s is not in the bytes", when, key)) return;
    struct splinter_slot *s = spl_sv_slot(v, (uint32_t)i);
    const splinter_slot_snapshot_t *p = &ss.s;
#define SAME(f) r_check(o, p->f == atomic_load(&s->f), "%s: snapshot of %s: " #f " %llu, bytes %llu", when, key, (unsigned long long)p->f, \
                        (unsigned long long)atomic_load(&s->f))
    SAME(hash);
    SAME(epoch);
    SAME(val_len);
    SAME(type_flag);
    SAME(user_flag);
    SAME(ctime);
    SAME(atime);
    SAME(bloom);
#undef SAME
    r_check(o, p->val_off == s->val_off, "%s: snapshot of %s: val_off %u, bytes %u", when, key, p->val_off, s->val_off);
    r_check(o, !strncmp(p->key, s->key, SPLINTER_KEY_MAX) && memchr(p->key, 0, SPLINTER_KEY_MAX), "%s: snapshot key '%.63s', bytes '%.63s'",
            when, p->key, s->key);
    float *emb = spl_sv_embedding(v, (uint32_t)i);
    if (emb)
        /* a snapshot is a copy: the same bits, NaN payloads and -0 included */
        // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c)
        r_check(o, !memcmp((const char *)&ss + sizeof(splinter_slot_snapshot_t), emb, SPLINTER_EMBED_DIM * sizeof(float)),
                "%s: the snapshot's embedding differs from the slot's 768 floats", when);
}

static void rule_api011(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api11", 16, 128) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, SPL_SV_WRITE) != 0) return;
    uint8_t val[77];
    memset(val, 's', sizeof val);
    c->im.set("snap", val, sizeof val);
    c->im.set("other", val, 10);
    slot_vs_bytes(c, o, &v, "snap", "after a set");
    int n = 1;
    if (c->im.set_label) { c->im.set_label("snap", 0x0F0); n++; }
    if (c->im.set_slot_time) {
        c->im.set_slot_time("snap", SPL_TIME_CTIME, 50000, 7);
        c->im.set_slot_time("snap", SPL_TIME_ATIME, 60000, 9);
        n++;
    }
    if (c->im.set_named_type) { c->im.set_named_type("snap", SPL_SLOT_TYPE_JSON); n++; }
    struct splinter_slot *s = slot_of(&v, "snap");
    if (s) atomic_store(&s->user_flag, 0x21); /* a field only the bytes set here */
    slot_vs_bytes(c, o, &v, "snap", "after label, slot times, named type and a user flag in the bytes");
    slot_vs_bytes(c, o, &v, "other", "of a second key");
    spl_sv_close(&v);
    r_pass(o, "every slot snapshot field (hash, epoch, val_off, val_len, type, user flag, ctime, atime, bloom, key%s) equals the bytes over %d changes",
           c->im.set_embedding ? ", embedding" : "", n);
}

/* ---- API-012: header flag helpers (on the harness's own mapping) ---------- */

struct flag_want { uint8_t core; };

static int peer_core_flags(struct conform *c, void *arg, char *msg)
{
    const struct flag_want *w = arg;
    splinter_header_snapshot_t h;
    if (c->im.get_header_snapshot(&h) != 0) { snprintf(msg, SPL_MSG_MAX, "get_header_snapshot failed"); return 1; }
    if (h.core_flags != w->core) {
        snprintf(msg, SPL_MSG_MAX, "another process's header snapshot shows core_flags %#x, want %#x", h.core_flags, w->core);
        return 1;
    }
    return 0;
}

static void rule_api012(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api12", 8, 64) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, SPL_SV_WRITE) != 0) return;
    struct splinter_header *H = v.H;
    uint8_t f0 = atomic_load(&H->core_flags);
    c->im.config_set(H, SPL_SUSR1 | SPL_SUSR3);
    uint8_t f1 = atomic_load(&H->core_flags);
    r_check(o, f1 == (uint8_t)(f0 | SPL_SUSR1 | SPL_SUSR3), "config_set(SUSR1|SUSR3) on %#x left core_flags %#x, want %#x", f0, f1,
            f0 | SPL_SUSR1 | SPL_SUSR3);
    r_check(o, c->im.config_snapshot(H) == f1, "config_snapshot = %#x, bytes %#x", c->im.config_snapshot(H), f1);
    r_check(o, c->im.config_test(H, SPL_SUSR1) == 1 && c->im.config_test(H, SPL_SUSR2) == 0 &&
                   c->im.config_test(H, SPL_SUSR2 | SPL_SUSR3) == 1,
            "config_test on %#x: SUSR1 %d, SUSR2 %d, SUSR2|SUSR3 %d, want 1 0 1", f1, c->im.config_test(H, SPL_SUSR1),
            c->im.config_test(H, SPL_SUSR2), c->im.config_test(H, SPL_SUSR2 | SPL_SUSR3));
    struct flag_want w = {f1};
    in_other_process(c, o, o->store, peer_core_flags, &w, "config_set seen by another process");
    c->im.config_clear(H, SPL_SUSR1);
    uint8_t f2 = atomic_load(&H->core_flags);
    r_check(o, f2 == (uint8_t)(f1 & ~SPL_SUSR1), "config_clear(SUSR1) on %#x left %#x, want %#x", f1, f2, f1 & ~SPL_SUSR1);
    if (c->im.get_mop) {
        /* the implementation reads the flags it scrubs by: clearing both mop bits is mop 0 */
        c->im.config_clear(H, SPL_SYS_AUTO_SCRUB | SPL_SYS_HYBRID_SCRUB);
        r_check(o, c->im.get_mop() == 0, "after config_clear(AUTO_SCRUB|HYBRID_SCRUB) get_mop() = %d, want 0", c->im.get_mop());
        c->im.config_set(H, SPL_SYS_AUTO_SCRUB);
        r_check(o, c->im.get_mop() == 2, "after config_set(AUTO_SCRUB) alone get_mop() = %d, want 2 (full)", c->im.get_mop());
    }
    spl_sv_close(&v);
    r_pass(o, "config_set/clear change exactly their bits in the bytes, config_test/snapshot read them, another process and get_mop see them");
}

/* ---- API-013: slot user flags ---------------------------------------------- */

static int peer_user_flag(struct conform *c, void *arg, char *msg)
{
    const uint8_t *want = arg;
    union slot_snap ss;
    if (c->im.get_slot_snapshot("usr", &ss.s) != 0) { snprintf(msg, SPL_MSG_MAX, "get_slot_snapshot(usr): %s", errno_name(errno)); return 1; }
    if (ss.s.user_flag != *want) {
        snprintf(msg, SPL_MSG_MAX, "another process's slot snapshot shows user_flag %#x, want %#x", ss.s.user_flag, *want);
        return 1;
    }
    return 0;
}

static void rule_api013(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api13", 8, 64) != 0) return;
    c->im.set("usr", "flags", 5);
    struct spl_storeview v;
    if (store_view(c, o, &v, SPL_SV_WRITE) != 0) return;
    struct splinter_slot *s = slot_of(&v, "usr");
    if (!s) { spl_sv_close(&v); r_fail(o, "usr not in the bytes after set"); return; }
    c->im.slot_usr_set(s, 0x05);
    r_check(o, atomic_load(&s->user_flag) == 0x05, "slot_usr_set(0x05) left user_flag %#x", atomic_load(&s->user_flag));
    c->im.slot_usr_set(s, 0x40);
    r_check(o, atomic_load(&s->user_flag) == 0x45, "slot_usr_set(0x40) after 0x05 left user_flag %#x, want 0x45", atomic_load(&s->user_flag));
    r_check(o, c->im.slot_usr_test(s, 0x04) == 1 && c->im.slot_usr_test(s, 0x02) == 0 && c->im.slot_usr_test(s, 0x82) == 0,
            "slot_usr_test on 0x45: 0x04 -> %d, 0x02 -> %d, 0x82 -> %d, want 1 0 0", c->im.slot_usr_test(s, 0x04),
            c->im.slot_usr_test(s, 0x02), c->im.slot_usr_test(s, 0x82));
    r_check(o, c->im.slot_usr_snapshot(s) == 0x45, "slot_usr_snapshot = %#x, bytes 0x45", c->im.slot_usr_snapshot(s));
    c->im.slot_usr_clear(s, 0x01);
    r_check(o, atomic_load(&s->user_flag) == 0x44, "slot_usr_clear(0x01) on 0x45 left %#x, want 0x44", atomic_load(&s->user_flag));
    union slot_snap ss;
    if (c->im.get_slot_snapshot && c->im.get_slot_snapshot("usr", &ss.s) == 0)
        r_check(o, ss.s.user_flag == 0x44, "get_slot_snapshot user_flag %#x after the helpers, bytes 0x44", ss.s.user_flag);
    uint8_t want = 0x44;
    if (c->im.get_slot_snapshot) in_other_process(c, o, o->store, peer_user_flag, &want, "slot user flags seen by another process");
    spl_sv_close(&v);
    r_pass(o, "slot_usr_set/clear change exactly their bits of user_flag, test/snapshot read them, the slot snapshot and another process agree");
}

/* ---- API-014: slot times ----------------------------------------------------- */

static void rule_api014(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api14", 8, 64) != 0) return;
    c->im.set("t", "timed", 5);
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    struct splinter_slot *s = slot_of(&v, "t");
    if (!s) { spl_sv_close(&v); r_fail(o, "t not in the bytes"); return; }
    uint64_t e0 = atomic_load(&s->epoch);
    struct callres r = CALL(c->im.set_slot_time("t", SPL_TIME_CTIME, 1000000, 250));
    want_err(o, r, 0, 0, "set_slot_time(CTIME, 1000000, offset 250)");
    r_check(o, atomic_load(&s->ctime) == 999750 && atomic_load(&s->atime) == 0, "after set_slot_time(CTIME, 1000000, 250): ctime %llu atime %llu, want 999750 and 0",
            (unsigned long long)atomic_load(&s->ctime), (unsigned long long)atomic_load(&s->atime));
    r = CALL(c->im.set_slot_time("t", SPL_TIME_ATIME, 77777, 7));
    want_err(o, r, 0, 0, "set_slot_time(ATIME, 77777, offset 7)");
    r_check(o, atomic_load(&s->atime) == 77770 && atomic_load(&s->ctime) == 999750, "after set_slot_time(ATIME, 77777, 7): atime %llu ctime %llu, want 77770 and 999750",
            (unsigned long long)atomic_load(&s->atime), (unsigned long long)atomic_load(&s->ctime));
    uint8_t buf[16];
    size_t got = 0;
    r_check(o, c->im.get("t", buf, sizeof buf, &got) == 0 && got == 5 && !memcmp(buf, "timed", 5), "setting slot times changed the value");
    uint64_t e1 = atomic_load(&s->epoch);
    r_check(o, !(e1 & 1) && e1 >= e0, "setting slot times left the slot epoch %llu (was %llu)", (unsigned long long)e1, (unsigned long long)e0);
    union slot_snap ss;
    if (c->im.get_slot_snapshot && c->im.get_slot_snapshot("t", &ss.s) == 0)
        r_check(o, ss.s.ctime == 999750 && ss.s.atime == 77770, "slot snapshot times %llu / %llu, bytes 999750 / 77770",
                (unsigned long long)ss.s.ctime, (unsigned long long)ss.s.atime);
    spl_sv_close(&v);
    r_pass(o, "set_slot_time stores epoch - offset into exactly the field its mode names (bytes and snapshot), value and epoch untouched");
}

/* ---- API-015: raw pointers ------------------------------------------------- */

static int peer_overwrite(struct conform *c, void *arg, char *msg)
{
    (void)arg;
    if (c->im.set("raw", "OTHER-PROCESS-WROTE", 19) != 0) { snprintf(msg, SPL_MSG_MAX, "set: %s", errno_name(errno)); return 1; }
    return 0;
}

static void rule_api015(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api15", 16, 256) != 0) return;
    const uint8_t val[19] = "first-value-of-raw!"; /* 19 bytes, no NUL: values are counted */
    for (int i = 0; i < 3; i++) c->im.set("raw", val, sizeof val);
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    long idx = spl_sv_find(&v, "raw");
    if (idx < 0) { spl_sv_close(&v); r_fail(o, "raw not in the bytes"); return; }
    struct splinter_slot *s = spl_sv_slot(&v, (uint32_t)idx);
    size_t sz = 0;
    uint64_t ep = 0;
    errno = ERRNO_POISON;
    const uint8_t *p = c->im.get_raw_ptr("raw", &sz, &ep);
    if (!r_check(o, p != NULL, "get_raw_ptr(raw) returned NULL (%s)", errno_name(errno))) { spl_sv_close(&v); return; }
    r_check(o, sz == 19 && ep == atomic_load(&s->epoch), "get_raw_ptr: *out_sz %zu, *out_epoch %llu; bytes: val_len %u, epoch %llu", sz,
            (unsigned long long)ep, atomic_load(&s->val_len), (unsigned long long)atomic_load(&s->epoch));
    r_check(o, !memcmp(p, val, sizeof val), "the bytes at get_raw_ptr differ from the value");
    /* the pointer is into the shared region itself, at the slot's value */
    char path[512];
    store_path(c, o->store, path, sizeof path);
    const char *base = strrchr(path, '/');
    long long off = mapped_file_offset(p, base ? base + 1 : path);
    long long want = (long long)(v.values - v.base) + s->val_off;
    r_check(o, off == want, "get_raw_ptr points at offset %lld of the store file, the value is at %lld (values + val_off %u)", off, want, s->val_off);
    if (in_other_process(c, o, o->store, peer_overwrite, NULL, "an overwrite by another process"))
        r_check(o, !memcmp(p, "OTHER-PROCESS-WROTE", 19), "after another process overwrote raw, the raw pointer still shows '%.19s'", (const char *)p);
    spl_sv_close(&v);
    r_pass(o, "get_raw_ptr: the slot's value inside the shared mapping (file offset %lld), out_sz and out_epoch equal to the bytes, live to another process's write", off);
}

/* ---- API-016: get_epoch and bump_slot --------------------------------------- */

struct bump_wait {
    _Atomic int ready;
    int rc, err;
    double ms;
};

static int peer_poll(struct conform *c, void *arg, char *msg)
{
    struct bump_wait *w = arg;
    atomic_store(&w->ready, 1);
    uint64_t t0 = spl_time_ns();
    errno = ERRNO_POISON;
    w->rc = c->im.poll("bump", 3000);
    w->err = errno;
    w->ms = (double)(spl_time_ns() - t0) / 1e6;
    (void)msg;
    return 0;
}

struct bump_child {
    struct conform *c;
    const char *store;
    struct bump_wait *w;
};

static int bump_poller(void *arg, char *msg)
{
    struct bump_child *b = arg;
    if (b->c->im.open(b->store) != 0) { snprintf(msg, SPL_MSG_MAX, "open: %s", errno_name(errno)); atomic_store(&b->w->ready, 1); return 1; }
    int rc = peer_poll(b->c, b->w, msg);
    b->c->im.close();
    return rc;
}

static void rule_api016(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api16", 16, 64) != 0) return;
    for (int i = 0; i < 3; i++) c->im.set("bump", "value", 5);
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    struct splinter_slot *s = slot_of(&v, "bump");
    if (!s) { spl_sv_close(&v); r_fail(o, "bump not in the bytes"); return; }
    uint64_t e0 = atomic_load(&s->epoch);
    r_check(o, c->im.get_epoch("bump") == e0, "get_epoch(bump) = %llu, bytes %llu", (unsigned long long)c->im.get_epoch("bump"),
            (unsigned long long)e0);
    bool watch = c->im.watch_register && c->im.watch_register("bump", 5) == 0;
    uint64_t g0 = spl_sv_signal_count(&v, 5);
    struct callres r = CALL(c->im.bump_slot("bump"));
    want_err(o, r, 0, 0, "bump_slot(bump)");
    uint64_t e1 = atomic_load(&s->epoch);
    r_check(o, e1 == e0 + 2, "bump_slot moved the slot epoch %llu -> %llu, want +2", (unsigned long long)e0, (unsigned long long)e1);
    r_check(o, c->im.get_epoch("bump") == e1, "get_epoch after bump = %llu, bytes %llu", (unsigned long long)c->im.get_epoch("bump"),
            (unsigned long long)e1);
    if (watch)
        r_check(o, spl_sv_signal_count(&v, 5) == g0 + 1, "bump_slot moved watching group 5 by %llu, want 1",
                (unsigned long long)(spl_sv_signal_count(&v, 5) - g0));
    uint8_t buf[16];
    size_t got = 0;
    r_check(o, c->im.get("bump", buf, sizeof buf, &got) == 0 && got == 5 && !memcmp(buf, "value", 5), "bump_slot changed the value");
    /* another process polling the key wakes on the bump */
    struct bump_wait *w = spl_shared_alloc(sizeof *w);
    struct bump_child bc = {c, o->store, w};
    pid_t pid = spl_proc_fork(SPL_PROC_PDEATH); /* in the rule's group: a kill of the rule reaches it */
    if (pid < 0) {
        r_error(o, "fork: %s", strerror(errno));
        spl_shared_free(w, sizeof *w);
        spl_sv_close(&v);
        return;
    }
    if (pid == 0) {
        char msg[SPL_MSG_MAX];
        _exit(bump_poller(&bc, msg));
    }
    uint64_t t0 = spl_time_ns();
    while (!atomic_load(&w->ready) && spl_time_ns() - t0 < 5000000000ull) spl_sleep_ns(1000000);
    spl_sleep_ns(60000000);
    c->im.bump_slot("bump");
    struct spl_proc_end end;
    spl_proc_reap(&pid, 1, spl_time_ns() + 10000000000ull, &end); /* its poll gives up after 3 s */
    r_check(o, end.exited && end.code == 0 && w->rc == 0 && w->ms < 2500,
            "a poll(bump, 3 s) in another process returned %d (%s) after %.0f ms for a bump at ~60 ms", w->rc, w->rc ? errno_name(w->err) : "ok",
            w->ms);
    spl_shared_free(w, sizeof *w);
    spl_sv_close(&v);
    r_pass(o, "get_epoch equals the bytes; bump_slot advances the epoch by 2, pulses the watching group once, keeps the value, wakes another process's poll");
}

/* ---- API-017: pulse_keygroup and pulse_watchers ------------------------------ */

static void counts(struct spl_storeview *v, uint64_t out[64])
{
    for (unsigned g = 0; g < 64; g++) out[g] = spl_sv_signal_count(v, g);
}

static void pulse_check(struct rule_out *o, struct spl_storeview *v, const uint64_t before[64], const char *what)
{
    uint64_t after[64];
    counts(v, after);
    for (int g = 0; g < 64; g++) {
        uint64_t want = (g == 4 || g == 9 || g == 20) ? 1 : 0;
        if (!r_check(o, after[g] - before[g] == want, "%s moved group %d by %llu, want %llu (key watched by 4 and 9, label 12 -> group 20)", what, g,
                     (unsigned long long)(after[g] - before[g]), (unsigned long long)want))
            break;
    }
}

struct want_count { uint8_t g; uint64_t n; };

static int peer_count(struct conform *c, void *arg, char *msg)
{
    const struct want_count *w = arg;
    uint64_t n = c->im.get_signal_count(w->g);
    if (n != w->n) { snprintf(msg, SPL_MSG_MAX, "get_signal_count(%u) in another process = %llu, bytes %llu", w->g, (unsigned long long)n, (unsigned long long)w->n); return 1; }
    return 0;
}

static void rule_api017(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api17", 16, 64) != 0) return;
    c->im.set("pk", "v", 1);
    c->im.set("quiet", "v", 1);
    int rc = c->im.watch_register("pk", 4) | c->im.watch_register("pk", 9);
    if (c->im.watch_label_register && c->im.set_label) rc |= c->im.watch_label_register(1ull << 12, 20) | c->im.set_label("pk", 1ull << 12);
    if (rc) { r_error(o, "watch_register / label setup failed"); return; }
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    struct splinter_slot *s = slot_of(&v, "pk");
    uint64_t e0 = s ? atomic_load(&s->epoch) : 0, before[64];
    counts(&v, before);
    struct callres r = CALL(c->im.pulse_keygroup("pk"));
    want_err(o, r, 0, 0, "pulse_keygroup(pk)");
    if (c->im.watch_label_register && c->im.set_label) pulse_check(o, &v, before, "pulse_keygroup(pk)");
    if (s && c->im.pulse_watchers) {
        counts(&v, before);
        c->im.pulse_watchers(s); /* the harness's own pointer to the slot: the ABI takes any mapping of the store */
        if (c->im.watch_label_register && c->im.set_label) pulse_check(o, &v, before, "pulse_watchers(slot of pk)");
    }
    r_check(o, !s || atomic_load(&s->epoch) == e0, "pulsing moved pk's slot epoch");
    for (uint8_t g = 0; g < 64; g += 1)
        if (!r_check(o, c->im.get_signal_count(g) == spl_sv_signal_count(&v, g), "get_signal_count(%u) = %llu, bytes %llu", g,
                     (unsigned long long)c->im.get_signal_count(g), (unsigned long long)spl_sv_signal_count(&v, g)))
            break;
    struct want_count w = {9, spl_sv_signal_count(&v, 9)};
    in_other_process(c, o, o->store, peer_count, &w, "signal counts seen by another process");
    spl_sv_close(&v);
    r_pass(o, "pulse_keygroup and pulse_watchers each advance exactly the key's watching and label-mapped groups once; get_signal_count equals the bytes, here and in another process");
}

/* ---- API-018: enumerate_matches ------------------------------------------------ */

struct seen { char key[8][SPLINTER_KEY_MAX]; uint64_t epoch[8]; int n, calls; };

static void collect(const char *key, uint64_t epoch, void *data)
{
    struct seen *s = data;
    s->calls++;
    if (s->n < 8) {
        snprintf(s->key[s->n], SPLINTER_KEY_MAX, "%s", key ? key : "(NULL)");
        s->epoch[s->n++] = epoch;
    }
}

static void rule_api018(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api18", 32, 64) != 0) return;
    const char *keys[] = {"ea", "eb", "ec", "ed", "ee"};
    uint64_t blooms[] = {0x3, 0x7, 0x4, 0, 0x3};
    for (int k = 0; k < 5; k++) {
        c->im.set(keys[k], "v", 1);
        if (blooms[k]) c->im.set_label(keys[k], blooms[k]);
    }
    c->im.set("ea", "vv", 2); /* a second write: an epoch other than the first */
    c->im.unset("ee");         /* unset: never enumerated */
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    struct { uint64_t mask; const char *want; } q[] = {{0x3, "ea eb"}, {0x4, "eb ec"}, {0x7, "eb"}, {0, "ea eb ec ed"}, {1ull << 63, ""}};
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        struct seen s = {0};
        c->im.enumerate_matches(q[i].mask, collect, &s);
        char got[256] = "";
        /* every match: a wanted key, once, with its slot's epoch */
        for (int k = 0; k < s.n; k++) {
            size_t l = strlen(got);
            snprintf(got + l, sizeof got - l, "%s%s", l ? " " : "", s.key[k]);
            struct splinter_slot *sl = slot_of(&v, s.key[k]);
            r_check(o, sl && s.epoch[k] == atomic_load(&sl->epoch), "enumerate_matches(%#llx) gave %s with epoch %llu, bytes %llu",
                    (unsigned long long)q[i].mask, s.key[k], (unsigned long long)s.epoch[k], sl ? (unsigned long long)atomic_load(&sl->epoch) : 0ull);
        }
        /* compare as sets: slot order is the implementation's */
        int want_n = 0;
        bool all = true;
        char wbuf[64];
        snprintf(wbuf, sizeof wbuf, "%s", q[i].want);
        for (char *t = strtok(wbuf, " "); t; t = strtok(NULL, " ")) {
            want_n++;
            bool f = false;
            for (int k = 0; k < s.n; k++) f |= !strcmp(s.key[k], t);
            all &= f;
        }
        r_check(o, all && s.calls == want_n, "enumerate_matches(%#llx) called back for {%s} (%d calls), want {%s}", (unsigned long long)q[i].mask, got,
                s.calls, q[i].want);
    }
    spl_sv_close(&v);
    r_pass(o, "enumerate_matches calls back exactly once per live key whose labels contain the mask (mask 0: every key), with the slot's epoch; never for an unset key");
}

/* ---- API-019: create_or_open, open_or_create --------------------------------- */

static bool geometry_is(struct conform *c, struct rule_out *o, const char *name, uint32_t slots, uint32_t mv, const char *when)
{
    char path[600];
    store_path(c, name, path, sizeof path);
    struct spl_storeview v;
    if (spl_sv_open(&v, path, 0) != 0) return r_check(o, false, "%s: the store's bytes cannot be mapped: %s", when, errno_name(errno));
    bool ok = r_check(o, v.slots == slots && v.max_val == mv, "%s: geometry %u x %u in the bytes, want %u x %u", when, v.slots, v.max_val, slots, mv);
    spl_sv_close(&v);
    return ok;
}

static void rule_api019(struct conform *c, struct rule_out *o)
{
    spl_impl_store_name(&c->im, "api19", o->store, sizeof o->store);
    spl_impl_store_remove(&c->im, o->store);
    struct callres r = CALL(c->im.create_or_open(o->store, 16, 64));
    if (!want_err(o, r, 0, 0, "create_or_open of a new name")) return;
    geometry_is(c, o, o->store, 16, 64, "create_or_open of a new name");
    c->im.set("kept", "across reopen", 13);
    c->im.close();
    r = CALL(c->im.create_or_open(o->store, 32, 128));
    want_err(o, r, 0, 0, "create_or_open of an existing store");
    uint8_t buf[32];
    size_t got = 0;
    r_check(o, c->im.get("kept", buf, sizeof buf, &got) == 0 && got == 13, "create_or_open of an existing store lost its key (reinitialised?)");
    geometry_is(c, o, o->store, 16, 64, "create_or_open(32, 128) of an existing 16 x 64 store");
    c->im.close();
    r = CALL(c->im.open_or_create(o->store, 8, 8));
    want_err(o, r, 0, 0, "open_or_create of an existing store");
    got = 0;
    r_check(o, c->im.get("kept", buf, sizeof buf, &got) == 0 && got == 13, "open_or_create of an existing store lost its key");
    geometry_is(c, o, o->store, 16, 64, "open_or_create(8, 8) of an existing 16 x 64 store");
    c->im.close();
    char other[512];
    spl_impl_store_name(&c->im, "api19b", other, sizeof other);
    spl_impl_store_remove(&c->im, other);
    r = CALL(c->im.open_or_create(other, 8, 32));
    if (want_err(o, r, 0, 0, "open_or_create of a new name")) {
        geometry_is(c, o, other, 8, 32, "open_or_create of a new name");
        c->im.close();
    }
    spl_impl_store_remove(&c->im, other);
    /* a damaged store is neither opened nor re-created over */
    char path[600];
    store_path(c, o->store, path, sizeof path);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    uint32_t bad = 0xDEADBEEF;
    if (fd >= 0 && pwrite(fd, &bad, 4, 0) == 4) {
        close(fd);
        uint64_t sum = file_sum(path);
        r = CALL(c->im.open_or_create(o->store, 16, 64));
        r_check(o, r.rc != 0, "open_or_create of a store with a bad magic returned %s", CRS(r));
        if (r.rc == 0) c->im.close();
        r_check(o, file_sum(path) == sum, "open_or_create changed the bytes of a store it could not open (re-created it?)");
        r = CALL(c->im.create_or_open(o->store, 16, 64));
        r_check(o, r.rc != 0, "create_or_open of a store with a bad magic returned %s", CRS(r));
        if (r.rc == 0) c->im.close();
        r_check(o, file_sum(path) == sum, "create_or_open changed the bytes of a store it could not open");
    } else if (fd >= 0) {
        close(fd);
    }
    r_pass(o, "create_or_open and open_or_create create a new name with the geometry asked, open an existing store as it is (keys and geometry kept), touch no damaged store");
}

/* ---- API-020: open_numa --------------------------------------------------------- */

#ifndef MPOL_F_ADDR
#define MPOL_F_ADDR (1 << 1)
#endif

static void rule_api020(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "api20", 16, 4096) != 0) return;
    c->im.set("numa", "on a node", 9);
    c->im.close();
    errno = ERRNO_POISON;
    void *p = c->im.open_numa(o->store, 0);
    int err = errno;
    if (!p && (err == ENOSYS || err == EOPNOTSUPP)) { /* ENOTSUP is EOPNOTSUPP on Linux */
        r_skip(o, "open_numa(node 0) is not supported by this build or machine (%s)", errno_name(err));
        return;
    }
    if (!r_check(o, p != NULL, "open_numa(%s, node 0) returned NULL (%s)", o->store, errno_name(err))) return;
    char path[512];
    store_path(c, o->store, path, sizeof path);
    const char *b = strrchr(path, '/');
    r_check(o, mapped_file_offset(p, b ? b + 1 : path) == 0, "open_numa's pointer is not the start of a mapping of the store file");
    r_check(o, ((struct splinter_header *)p)->magic == SPLINTER_MAGIC, "open_numa's pointer does not show the store's magic");
    int mode = -1;
    unsigned long mask[16] = {0};
    long rc = syscall(SYS_get_mempolicy, &mode, mask, 64 * 16, p, MPOL_F_ADDR);
    if (rc == 0) r_check(o, mode == 2 /* MPOL_BIND */ && (mask[0] & 1), "open_numa(node 0): the mapping's policy is mode %d, nodes %#lx; want MPOL_BIND to node 0", mode, mask[0]);
    else r_cex(o, "get_mempolicy: %s: binding not judged", errno_name(errno));
    errno = ERRNO_POISON;
    void *q = c->im.open_numa(o->store, 4095);
    r_check(o, q == NULL && errno != ERRNO_POISON, "open_numa(node 4095) returned %p (%s), want NULL with errno", q, errno_name(errno));
    c->im.close();
    r_pass(o, "open_numa maps the store at the returned pointer bound to node 0 (MPOL_BIND); a node that does not exist is refused");
}

/* ---- API-021: splinter_now ----------------------------------------------------- */

static void rule_api021(struct conform *c, struct rule_out *o)
{
    uint64_t prev = c->im.now(), back = 0;
    for (int i = 0; i < 200000; i++) {
        uint64_t t = c->im.now();
        if (t < prev && back++ < 3) r_cex(o, "call %d: now() = %llu after %llu", i, (unsigned long long)t, (unsigned long long)prev);
        prev = t;
    }
    r_check(o, back == 0, "now() went backwards %llu times in 200000 calls", (unsigned long long)back);
    /* a steady rate: two windows against CLOCK_MONOTONIC agree */
    double rate[2];
    uint64_t win[2] = {20000000, 120000000};
    for (int k = 0; k < 2; k++) {
        uint64_t t0 = spl_time_ns(), n0 = c->im.now();
        spl_sleep_ns(win[k]);
        uint64_t t1 = spl_time_ns(), n1 = c->im.now();
        rate[k] = (double)(n1 - n0) / (double)(t1 - t0);
    }
    r_check(o, rate[0] > 0 && rate[1] > 0 && rate[0] / rate[1] > 0.8 && rate[0] / rate[1] < 1.25,
            "now() advanced %.3f ticks/ns over 20 ms and %.3f over 120 ms: not a steady clock", rate[0], rate[1]);
    r_pass(o, "now() never went backwards in 200000 calls and ticks at a steady %.3f per ns (20 ms vs 120 ms windows)", rate[1]);
}

/* ---- BUS-004: bus descriptors ---------------------------------------------------- */

static bool is_eventfd(int fd)
{
    char p[64], l[128];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(p, l, sizeof l - 1);
    if (n < 0) return false;
    l[n] = 0;
    return strstr(l, "eventfd") != NULL;
}

static void rule_bus004(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "bus4", 16, 64) != 0) return;
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    struct callres r = CALL(c->im.event_bus_open());
    r_check(o, r.rc == -1 && r.err != ERRNO_POISON, "event_bus_open before any event_bus_init returned %s, want -1 with errno (ENODEV)", CRS(r));
    if (r.rc >= 0) c->im.event_bus_close((int)r.rc);
    r = CALL(c->im.event_bus_init());
    if (!want_err(o, r, 0, 0, "event_bus_init")) { spl_sv_close(&v); return; }
    struct splinter_event_bus *bus = spl_sv_bus(&v);
    int ofd = atomic_load(&bus->owner_fd), opid = atomic_load(&bus->owner_pid);
    r_check(o, opid == getpid() && ofd >= 0 && is_eventfd(ofd), "after event_bus_init the bytes say owner pid %d fd %d (an eventfd: %s); want pid %d and its eventfd",
            opid, ofd, ofd >= 0 && is_eventfd(ofd) ? "yes" : "no", (int)getpid());
    int fd = c->im.event_bus_open();
    r_check(o, fd >= 0 && fd != ofd && is_eventfd(fd), "event_bus_open returned %d: want a new eventfd descriptor (the owner's is %d)", fd, ofd);
    if (fd >= 0) {
        while (c->im.event_bus_wait(fd, 0) == 0) {}
        c->im.set("bus-k", "x", 1);
        r = CALL(c->im.event_bus_wait(fd, 0));
        want_err(o, r, 0, 0, "event_bus_wait(fd, 0) after a write");
        r = CALL(c->im.event_bus_wait(fd, 0));
        want_err(o, r, -1, ETIMEDOUT, "event_bus_wait(fd, 0) with nothing new");
        c->im.event_bus_close(fd);
        errno = 0;
        r_check(o, fcntl(fd, F_GETFD) == -1 && errno == EBADF, "event_bus_close(%d) left the descriptor open", fd);
        r_check(o, is_eventfd(ofd), "event_bus_close of an opened descriptor closed the owner's eventfd %d", ofd);
        /* the bus still works for a descriptor opened after that */
        int fd2 = c->im.event_bus_open();
        if (r_check(o, fd2 >= 0, "event_bus_open after a close failed: %s", errno_name(errno))) {
            while (c->im.event_bus_wait(fd2, 0) == 0) {}
            c->im.set("bus-k", "y", 1);
            r = CALL(c->im.event_bus_wait(fd2, 100));
            want_err(o, r, 0, 0, "event_bus_wait on a descriptor opened after another was closed");
            c->im.event_bus_close(fd2);
        }
    }
    spl_sv_close(&v);
    r_pass(o, "event_bus_open fails with errno before init; init publishes this pid and its eventfd in the bytes; open gives a new eventfd descriptor; close closes only it");
}

/* ---- BUS-005: dirty mask words ------------------------------------------------------ */

static void rule_bus005(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "bus5", 200, 32) != 0) return;
    if (c->im.event_bus_init() != 0) { r_error(o, "event_bus_init: %s", errno_name(errno)); return; }
    for (int k = 0; k < 60; k++) {
        char key[16];
        snprintf(key, sizeof key, "d%d", k);
        c->im.set(key, "x", 1);
    }
    struct spl_storeview v;
    if (store_view(c, o, &v, 0) != 0) return;
    struct splinter_event_bus *bus = spl_sv_bus(&v);
    uint64_t out[48];
    memset(out, 0xAA, sizeof out);
    c->im.event_bus_get_dirty(out, SPLINTER_EVENT_BUS_MASK_WORDS);
    for (int w = 0; w < SPLINTER_EVENT_BUS_MASK_WORDS; w++)
        if (!r_check(o, out[w] == atomic_load(&bus->dirty_mask[w]), "event_bus_get_dirty word %d = %#llx, bytes %#llx", w,
                     (unsigned long long)out[w], (unsigned long long)atomic_load(&bus->dirty_mask[w])))
            break;
    memset(out, 0xAA, sizeof out);
    c->im.event_bus_get_dirty(out, 3);
    r_check(o, out[0] == atomic_load(&bus->dirty_mask[0]) && out[2] == atomic_load(&bus->dirty_mask[2]) && out[3] == 0xAAAAAAAAAAAAAAAAull,
            "event_bus_get_dirty(out, 3) wrote %s", out[3] != 0xAAAAAAAAAAAAAAAAull ? "past the 3 words asked" : "other words than the bytes hold");
    memset(out, 0xAA, sizeof out);
    c->im.event_bus_get_dirty(out, 48);
    r_check(o, out[15] == atomic_load(&bus->dirty_mask[15]) && out[16] == 0xAAAAAAAAAAAAAAAAull,
            "event_bus_get_dirty(out, 48) wrote %s", out[16] != 0xAAAAAAAAAAAAAAAAull ? "past the 16 words of the mask" : "a last word other than the bytes");
    spl_sv_close(&v);
    r_pass(o, "event_bus_get_dirty copies the bytes' 16 mask words, exactly the words asked, never more than 16");
}

static const char *const needs_list[] = {"set", "unset", "list", NULL};
static const char *const needs_hsnap[] = {"set", "get_header_snapshot", NULL};
static const char *const needs_ssnap[] = {"set", "get_slot_snapshot", NULL};
static const char *const needs_config[] = {"config_set", "config_clear", "config_test", "config_snapshot", "get_header_snapshot", NULL};
static const char *const needs_usr[] = {"set", "slot_usr_set", "slot_usr_clear", "slot_usr_test", "slot_usr_snapshot", NULL};
static const char *const needs_time[] = {"set", "get", "set_slot_time", NULL};
static const char *const needs_raw[] = {"set", "get_raw_ptr", NULL};
static const char *const needs_bump[] = {"set", "get", "get_epoch", "bump_slot", "poll", NULL};
static const char *const needs_pulse[] = {"set", "watch_register", "pulse_keygroup", "get_signal_count", NULL};
static const char *const needs_enum[] = {"set", "unset", "set_label", "enumerate_matches", NULL};
static const char *const needs_coo[] = {"create_or_open", "open_or_create", "set", "get", "close", NULL};
static const char *const needs_numa[] = {"set", "open_numa", "close", NULL};
static const char *const needs_now[] = {"now", NULL};
static const char *const needs_bus4[] = {"set", "event_bus_init", "event_bus_open", "event_bus_wait", "event_bus_close", NULL};
static const char *const needs_bus5[] = {"set", "event_bus_init", "event_bus_get_dirty", NULL};

const struct rule api2_rules[] = {
    {.id = "API-009", .severity = SEV_MAJOR, .title = "list returns exactly the live keys of the bytes (also one set by another process); max_keys caps it",
     .needs = needs_list, .run = rule_api009, .timeout_s = 20},
    {.id = "API-010", .severity = SEV_MAJOR, .title = "every header snapshot field equals the bytes (fresh, after byte-level changes, after another process wrote)",
     .needs = needs_hsnap, .run = rule_api010, .timeout_s = 20},
    {.id = "API-011", .severity = SEV_MAJOR, .title = "every slot snapshot field equals the slot's bytes, after set, label, times, type and user flag",
     .needs = needs_ssnap, .run = rule_api011, .timeout_s = 20},
    {.id = "API-012", .severity = SEV_MINOR, .title = "config_set/clear/test/snapshot act on exactly their bits; get_mop and another process see them",
     .needs = needs_config, .run = rule_api012, .timeout_s = 20},
    {.id = "API-013", .severity = SEV_MINOR, .title = "slot_usr_set/clear/test/snapshot act on exactly their bits of user_flag; snapshots and another process agree",
     .needs = needs_usr, .run = rule_api013, .timeout_s = 20},
    {.id = "API-014", .severity = SEV_MINOR, .title = "set_slot_time stores epoch - offset in the field its mode names, nothing else",
     .needs = needs_time, .run = rule_api014, .timeout_s = 20},
    {.id = "API-015", .severity = SEV_MAJOR, .title = "get_raw_ptr points at the slot's value inside the shared mapping; out_sz and out_epoch equal the bytes",
     .needs = needs_raw, .run = rule_api015, .timeout_s = 20},
    {.id = "API-016", .severity = SEV_MAJOR, .title = "get_epoch equals the bytes; bump_slot advances the epoch by 2, pulses watchers, keeps the value, wakes a poll",
     .needs = needs_bump, .run = rule_api016, .timeout_s = 20},
    {.id = "API-017", .severity = SEV_MAJOR, .title = "pulse_keygroup / pulse_watchers advance exactly the key's groups once; get_signal_count equals the bytes",
     .needs = needs_pulse, .run = rule_api017, .timeout_s = 20},
    {.id = "API-018", .severity = SEV_MAJOR, .title = "enumerate_matches calls back once per live key whose labels contain the mask, with its epoch",
     .needs = needs_enum, .run = rule_api018, .timeout_s = 20},
    {.id = "API-019", .severity = SEV_CRITICAL, .title = "create_or_open / open_or_create: create a new name as asked, open an existing store untouched, never re-create over a damaged one",
     .needs = needs_coo, .run = rule_api019, .timeout_s = 20},
    {.id = "API-020", .severity = SEV_MINOR, .title = "open_numa maps the store bound to the node (MPOL_BIND); an absent node is refused",
     .needs = needs_numa, .run = rule_api020, .timeout_s = 20},
    {.id = "API-021", .severity = SEV_MINOR, .title = "splinter_now never goes backwards and ticks at a steady rate",
     .needs = needs_now, .run = rule_api021, .timeout_s = 20},
};
const size_t api2_nrules = sizeof api2_rules / sizeof api2_rules[0];

const struct rule bus2_rules[] = {
    {.id = "BUS-004", .severity = SEV_MAJOR, .title = "bus descriptors: open fails before init; init publishes pid and eventfd; open gives a new eventfd; close closes only it",
     .needs = needs_bus4, .run = rule_bus004, .timeout_s = 20},
    {.id = "BUS-005", .severity = SEV_MINOR, .title = "event_bus_get_dirty copies the 16 mask words of the bytes, exactly the words asked, at most 16",
     .needs = needs_bus5, .run = rule_bus005, .timeout_s = 20},
};
const size_t bus2_nrules = sizeof bus2_rules / sizeof bus2_rules[0];
