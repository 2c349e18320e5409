/*
 * rules_fmt.c - FMT: the bytes the implementation writes, read by the harness
 * itself (format-v4.md), and stores passed between two implementations.
 */
#include "conform.h"
#include "fsck.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* FMT-001: a fresh store's header and size. */
static void rule_fmt001(struct conform *c, struct rule_out *o)
{
    const uint32_t NS = 37, MV = 200;
    if (store_create(c, o, "fmt1", NS, MV) != 0) return;
    char path[512];
    store_path(c, o->store, path, sizeof path);
    struct spl_storeview v;
    /* any size: a wrong one is this rule's finding, said below */
    if (spl_sv_open(&v, path, SPL_SV_ANY_SIZE) != 0) { r_fail(o, "cannot map the new store %s as format v4: %s", path, strerror(errno)); return; }
    const struct splinter_header *H = v.H;
    size_t want = SPLINTER_HEADER_SIZE + (size_t)NS * (v.slot_size + MV);
    r_check(o, v.size == want, "region is %zu bytes, want 5440 + 37 x (128 + 200) = %zu (or 3200-byte slots in an embeddings build)", v.size,
            SPLINTER_HEADER_SIZE + (size_t)NS * (SPL_SV_SLOT_SIZE + MV));
    r_check(o, H->magic == SPLINTER_MAGIC, "magic %#x, want %#x", H->magic, SPLINTER_MAGIC);
    r_check(o, H->version == SPLINTER_VER, "version %u, want 4", H->version);
    r_check(o, H->slots == NS && H->max_val_sz == MV, "geometry %u x %u, want 37 x 200", H->slots, H->max_val_sz);
    r_check(o, atomic_load(&((struct splinter_header *)H)->epoch) == 1, "fresh global epoch %llu, want 1",
            (unsigned long long)atomic_load(&((struct splinter_header *)H)->epoch));
    uint8_t cf = atomic_load(&((struct splinter_header *)H)->core_flags);
    r_check(o, cf == (SPL_SYS_AUTO_SCRUB | SPL_SYS_HYBRID_SCRUB), "fresh core_flags %#x, want AUTO_SCRUB|HYBRID_SCRUB (0x3)", cf);
    r_check(o, H->val_sz == (uint32_t)want, "val_sz %u, want the region size %zu (as the original)", H->val_sz, want);
    for (int b = 0; b < 64; b++)
        if (!r_check(o, H->bloom_watches[b] == 0xFF, "bloom_watches[%d] = %#x, want 0xFF (unwatched)", b, H->bloom_watches[b])) break;
    for (int g = 0; g < 64; g++)
        if (!r_check(o, H->signal_groups[g].counter == 0, "signal group %d counter %llu on a fresh store", g,
                     (unsigned long long)H->signal_groups[g].counter)) break;
    r_check(o, H->event_bus.owner_fd == -1 && H->event_bus.owner_pid == 0, "event bus owner fd %d pid %d, want -1 / 0",
            (int)H->event_bus.owner_fd, (int)H->event_bus.owner_pid);
    for (int b = 0; b < SPLINTER_MAX_SHARDS; b++)
        if (!r_check(o, H->shard_bids[b].shard_id == 0 && H->shard_bids[b].claimed_at == 0, "bid record %d not empty on a fresh store", b)) break;
    spl_sv_close(&v);
    r_pass(o, "size, magic, version, geometry, epoch 1, flags 0x3, val_sz, bloom_watches 0xFF, bus -1/0, empty bid table");
}

/* FMT-002: slot table geometry, fresh and after writes. */
static void rule_fmt002(struct conform *c, struct rule_out *o)
{
    const uint32_t NS = 29, MV = 96;
    if (store_create(c, o, "fmt2", NS, MV) != 0) return;
    char path[512];
    store_path(c, o->store, path, sizeof path);
    struct spl_storeview v;
    if (spl_sv_open(&v, path, 0) != 0) { r_fail(o, "cannot map %s: %s", path, strerror(errno)); return; }
    for (uint32_t i = 0; i < NS; i++) {
        struct splinter_slot *s = &SV_SLOT(&v, i);
        if (!r_check(o, s->val_off == i * MV && s->hash == 0 && s->epoch == 0 && s->val_len == 0 && s->type_flag == SPL_SLOT_TYPE_VOID &&
                            s->key[0] == 0,
                     "fresh slot %u: val_off %u (want %u), hash %#llx, epoch %llu, val_len %u, type %#x", i, s->val_off, i * MV,
                     (unsigned long long)s->hash, (unsigned long long)s->epoch, s->val_len, s->type_flag))
            break;
    }
    uint8_t val[96];
    for (unsigned k = 0; k < 20 && !r_failed(o); k++) {
        char key[32];
        snprintf(key, sizeof key, "fmt-%u", k);
        size_t len = 32 + k * 3;
        spl_payload_make(val, len, k, 0, k);
        if (c->im.set(key, val, len) != 0) { r_fail(o, "set(%s): %s", key, strerror(errno)); break; }
        long idx = spl_sv_find(&v, key);
        if (!r_check(o, idx >= 0, "%s not found by FNV-1a probing in the bytes", key)) break;
        struct splinter_slot *s = &SV_SLOT(&v, idx);
        r_check(o, s->val_off == (uint32_t)idx * MV, "slot %ld of %s moved its value to offset %u (want %u)", idx, key, s->val_off,
                (uint32_t)idx * MV);
        r_check(o, s->val_len == len, "slot of %s has val_len %u, want %zu", key, s->val_len, len);
        const uint8_t *vb = spl_sv_value(&v, (uint32_t)idx, NULL);
        r_check(o, vb && !memcmp(vb, val, len), "value bytes of %s at offset %u differ from what was set", key,
                s->val_off);
    }
    spl_sv_close(&v);
    r_pass(o, "fresh slots zero with val_off = i x max_val_sz and type VOID; 20 written values at their own offsets, byte-exact");
}

/* FMT-003: key/hash agreement: FNV-1a 64 of the key, home slot hash % slots, linear probing. */
static void rule_fmt003(struct conform *c, struct rule_out *o)
{
    const uint32_t NS = 41;
    if (store_create(c, o, "fmt3", NS, 64) != 0) return;
    char path[512];
    store_path(c, o->store, path, sizeof path);
    struct spl_storeview v;
    if (spl_sv_open(&v, path, 0) != 0) { r_fail(o, "cannot map %s: %s", path, strerror(errno)); return; }
    char longkey[128];
    memset(longkey, 'L', 100);
    longkey[100] = 0;
    int n = 0;
    for (unsigned k = 0; k < 32 && !r_failed(o); k++) {
        char key[128];
        if (k == 31) snprintf(key, sizeof key, "%s", longkey);
        else snprintf(key, sizeof key, "hash/%u/%s", k, k % 3 ? "x" : "yy");
        if (c->im.set(key, "v", 1) != 0) { r_fail(o, "set(%.40s): %s", key, strerror(errno)); break; }
        uint64_t h = spl_sv_fnv1a(key);
        /* the slot must sit on key's probe chain: home, home+1, ... with no virgin slot before it */
        long found = -1;
        for (uint32_t i = 0; i < NS; i++) {
            size_t idx = (h % NS + i) % NS;
            if (SV_SLOT(&v, idx).hash == h) { found = (long)idx; break; }
            if (SV_SLOT(&v, idx).hash == 0 && SV_SLOT(&v, idx).epoch == 0) break;
        }
        if (found < 0) {
            long any = -1;
            for (uint32_t i = 0; i < NS; i++)
                if (SV_SLOT(&v, i).hash && !strncmp(SV_SLOT(&v, i).key, key, 63)) any = i;
            r_fail(o, "key '%.40s%s' (%zu bytes) is not on its FNV-1a probe chain", key, strlen(key) > 40 ? "..." : "", strlen(key));
            if (any < 0) {
                r_cex(o, "FNV-1a 64 of the key's first 63 bytes = %#llx, home slot %llu; the key is in no slot", (unsigned long long)h,
                      (unsigned long long)(h % NS));
            } else {
                uint64_t whole = spl_fnv1a64(key, strlen(key)), held = SV_SLOT(&v, any).hash;
                r_cex(o, "FNV-1a 64 of the key's first 63 bytes = %#llx (home slot %llu), but the key sits in slot %ld under hash %#llx%s",
                      (unsigned long long)h, (unsigned long long)(h % NS), any, (unsigned long long)held,
                      held == whole && strlen(key) > 63 ? ": the hash of all its bytes, not of the 63 stored" : "");
            }
            break;
        }
        struct splinter_slot *s = &SV_SLOT(&v, found);
        size_t kl = strnlen(key, 63);
        r_check(o, !memcmp(s->key, key, kl) && s->key[kl] == 0, "slot %ld key bytes '%.40s' differ from the key '%.40s' (truncated to 63)", found,
                s->key, key);
        n++;
    }
    spl_sv_close(&v);
    r_pass(o, "%d keys (one of 100 bytes, stored as its first 63) sit on their FNV-1a probe chains with matching hash and key bytes", n);
}

/* FMT-004: stores made by one implementation are used by the other, both directions. */
static int interop_write(struct spl_impl *im, const char *name, unsigned who, bool create, struct rule_out *o, const char *label)
{
    if (create ? im->create(name, 64, 256) : im->open(name)) {
        r_fail(o, "%s cannot %s the store: %s", label, create ? "create" : "open", strerror(errno));
        return -1;
    }
    uint8_t val[256];
    for (unsigned k = 0; k < 16; k++) {
        char key[32];
        snprintf(key, sizeof key, "interop-%u-%u", who, k);
        size_t len = 40 + k * 7;
        spl_payload_make(val, len, k, who, k);
        if (im->set(key, val, len) != 0) { r_fail(o, "%s: set(%s): %s", label, key, strerror(errno)); im->close(); return -1; }
    }
    im->close();
    return 0;
}

static int interop_read(struct spl_impl *im, const char *name, unsigned who, struct rule_out *o, const char *label, const char *author)
{
    if (im->open(name) != 0) { r_fail(o, "%s cannot open a store made by %s: %s", label, author, strerror(errno)); return -1; }
    uint8_t buf[256];
    int bad = 0;
    for (unsigned k = 0; k < 16; k++) {
        char key[32];
        snprintf(key, sizeof key, "interop-%u-%u", who, k);
        size_t got = 0;
        int rc = im->get(key, buf, sizeof buf, &got);
        enum spl_payload_verdict pv = rc == 0 ? spl_payload_check(buf, got, k, NULL) : SPL_PAYLOAD_SHORT;
        if ((rc != 0 || pv != SPL_PAYLOAD_OK) && bad++ < 3)
            r_cex(o, "%s reading %s's key %s: %s", label, author, key, rc != 0 ? strerror(errno) : spl_payload_verdict_str(pv));
    }
    im->close();
    if (bad) r_fail(o, "%s could not read %d of 16 keys written by %s", label, bad, author);
    return bad ? -1 : 0;
}

static void rule_fmt004(struct conform *c, struct rule_out *o)
{
    if (!c->have_peer) { r_skip(o, "no peer implementation (--peer)"); return; }
    char a[600], b[600];
    snprintf(a, sizeof a, "%s (impl)", c->im.label);
    snprintf(b, sizeof b, "%s (peer)", c->peer.label);
    spl_impl_store_name(&c->im, "fmt4", o->store, sizeof o->store);
    spl_impl_store_remove(&c->im, o->store);
    /* impl creates, peer reads and adds, impl reads the peer's */
    if (interop_write(&c->im, o->store, 1, true, o, a) == 0 && interop_read(&c->peer, o->store, 1, o, b, a) == 0 &&
        interop_write(&c->peer, o->store, 2, false, o, b) == 0)
        interop_read(&c->im, o->store, 2, o, a, b);
    spl_impl_store_remove(&c->im, o->store);
    /* and the other way round */
    if (!r_failed(o) && interop_write(&c->peer, o->store, 3, true, o, b) == 0 && interop_read(&c->im, o->store, 3, o, a, b) == 0 &&
        interop_write(&c->im, o->store, 4, false, o, a) == 0)
        interop_read(&c->peer, o->store, 4, o, b, a);
    r_pass(o, "%s and %s read and extend each other's stores, both directions (16 self-checking values each way)", c->im.label, c->peer.label);
}

/* FMT-005: after a multi-process workload, the independent checker (lib/fsck,
 * which never calls an implementation) finds no error in the image. */
struct mix_arg {
    struct conform *c;
    char store[512];
    uint64_t end_ns;
};

static int mix_worker(struct spl_worker *w, void *arg)
{
    struct mix_arg *a = arg;
    struct spl_impl *im = &a->c->im;
    if (worker_open(w, im, a->store) != 0) return 1;
    struct spl_rng rng;
    spl_rng_seed(&rng, w->seed);
    uint8_t val[200];
    if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
    for (uint64_t i = 0; spl_time_ns() < a->end_ns; i++) {
        char key[32];
        unsigned k = (unsigned)spl_rng_below(&rng, 24);
        snprintf(key, sizeof key, "mix-%u", k);
        size_t len = SPL_PAYLOAD_MIN + (size_t)spl_rng_below(&rng, 150);
        switch (spl_rng_below(&rng, 8)) {
        case 0: im->unset(key); break;
        case 1: if (im->append) { size_t nl; im->append(key, "++", 2, &nl); } break;
        case 2: if (im->set_label) im->set_label(key, 1ull << spl_rng_below(&rng, 64)); break;
        default: spl_payload_make(val, len, k, w->id, i); im->set(key, val, len); break;
        }
    }
    spl_worker_sync(w);
    im->close();
    return 0;
}

static void rule_fmt005(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "fmt5", 48, 256) != 0) return;
    c->im.close();
    struct mix_arg a = {.c = c};
    snprintf(a.store, sizeof a.store, "%s", o->store);
    struct spl_team_opts to = {.workers = c->workers, .seed = c->seed, .log_cap = 1, .deadline_ns = 30000000000ull};
    struct spl_team *t = spl_team_new(&to);
    if (!t) { r_error(o, "team: %s", strerror(errno)); return; }
    a.end_ns = spl_time_ns() + c->duration_ns / 2 + 100000000ull;
    if (spl_team_run(t, mix_worker, &a) != 0) {
        char why[700];
        r_fail(o, "%s", spl_team_describe(t, why, sizeof why));
        spl_team_free(t);
        return;
    }
    spl_team_free(t);
    char path[512];
    store_path(c, o->store, path, sizeof path);
    struct spl_storeview v;
    if (spl_sv_open(&v, path, 0) != 0) { r_fail(o, "cannot map the store after the workload: %s", strerror(errno)); return; }
    struct spl_fsck_opts fo = SPL_FSCK_OPTS_INIT;
    fo.stuck = true; /* every writer has returned: an odd epoch is stuck */
    struct spl_fsck_result fr;
    int rc = spl_fsck_image(v.base, v.size, &fo, &fr);
    if (rc < 0) r_error(o, "fsck: %s", strerror(errno));
    else if (fr.errors) {
        r_fail(o, "lib/fsck found %llu errors in the image after %u processes mixed set/unset/append/label", (unsigned long long)fr.errors,
               c->workers);
        char codes[512] = "";
        size_t cl = 0;
        for (int k = 0; k < SPL_FSCK__NCODES; k++)
            if (fr.by_code[k])
                cl += (size_t)snprintf(codes + cl, cl < sizeof codes ? sizeof codes - cl : 0, "%s%s %llu", cl ? ", " : "",
                                       spl_fsck_code_name((enum spl_fsck_code)k), (unsigned long long)fr.by_code[k]);
        r_cex(o, "findings by code: %s", codes);
        for (size_t i = 0; i < fr.nfindings; i++)
            if (fr.findings[i].severity == SPL_FSCK_ERROR)
                r_cex(o, "fsck %s (slot %ld): %s", spl_fsck_code_name(fr.findings[i].code), fr.findings[i].slot, fr.findings[i].msg);
    } else {
        r_pass(o, "lib/fsck: no error after %u processes mixed set/unset/append/label (%llu live, %llu tombstones, %llu warnings)",
               c->workers, (unsigned long long)fr.live, (unsigned long long)fr.tombstones, (unsigned long long)fr.warnings);
    }
    if (rc >= 0) spl_fsck_result_free(&fr);
    spl_sv_close(&v);
}

static const char *const needs_basic[] = {"set", "get", NULL};
static const char *const needs_create[] = {"create", NULL};
static const char *const needs_set[] = {"set", NULL};
static const char *const needs_mix[] = {"set", "unset", NULL};

const struct rule fmt_rules[] = {
    {.id = "FMT-001", .severity = SEV_CRITICAL, .title = "a fresh store's header: size, magic, version, geometry, epoch 1, flags, bloom_watches, bus, bids",
     .needs = needs_create, .run = rule_fmt001, .timeout_s = 20},
    {.id = "FMT-002", .severity = SEV_CRITICAL, .title = "slot table: fresh slots zero with val_off = i x max_val_sz; values stored byte-exact at their offsets",
     .needs = needs_set, .run = rule_fmt002, .timeout_s = 20},
    {.id = "FMT-003", .severity = SEV_CRITICAL, .title = "keys sit on their FNV-1a 64 probe chain (hash % slots, linear) with matching hash and key bytes",
     .needs = needs_set, .run = rule_fmt003, .timeout_s = 20},
    {.id = "FMT-004", .severity = SEV_CRITICAL, .title = "interop: stores made by the implementation are read and extended by the peer, and vice versa",
     .needs = needs_basic, .run = rule_fmt004, .timeout_s = 30},
    {.id = "FMT-005", .severity = SEV_CRITICAL, .title = "after a multi-process workload the independent checker (lib/fsck) finds no error in the image",
     .needs = needs_mix, .run = rule_fmt005, .timeout_s = 40},
};
const size_t fmt_nrules = sizeof fmt_rules / sizeof fmt_rules[0];
