/*
 * fsck.c - byte-level checker of a format-v4 store image (see fsck.h).
 *
 * Written from format-v4.md alone, independent of ref/: it must be able to
 * say that the reference itself wrote something wrong. Every field is read
 * once, bounds-checked against the image length, then used from a local.
 */
#include "fsck.h"
#include "storeview.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The layout comes from lib/storeview, the suite's one reader of a store's
 * bytes (itself independent of ref/src and static-asserted against
 * format-v4.md). */
enum { KEY_MAX = SPLINTER_KEY_MAX, NBIDS = SPLINTER_MAX_SHARDS, MASK_WORDS = SPLINTER_EVENT_BUS_MASK_WORDS,
       INTENT_MAX = 4 };

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

static const struct {
    const char *name, *what;
    enum spl_fsck_severity sev;
} codes[SPL_FSCK__NCODES] = {
#define SPL_FSCK_ROW(c, n, s, w) [SPL_FSCK_##c] = {n, w, SPL_FSCK_##s},
    SPL_FSCK_CODES(SPL_FSCK_ROW)
#undef SPL_FSCK_ROW
};

const char *spl_fsck_code_name(enum spl_fsck_code c) { return (unsigned)c < SPL_FSCK__NCODES ? codes[c].name : "?"; }
const char *spl_fsck_code_what(enum spl_fsck_code c) { return (unsigned)c < SPL_FSCK__NCODES ? codes[c].what : "?"; }
const char *spl_fsck_severity_name(enum spl_fsck_severity s) { return s == SPL_FSCK_ERROR ? "error" : "warning"; }

int spl_fsck_code_parse(const char *name)
{
    for (int i = 0; name && i < SPL_FSCK__NCODES; i++)
        if (!strcmp(codes[i].name, name)) return i;
    return -1;
}

struct ctx {
    const struct spl_storeview *v;
    const struct spl_fsck_opts *o;
    struct spl_fsck_result *r;
    size_t cap;
};

__attribute__((format(printf, 4, 5))) static void add(struct ctx *c, enum spl_fsck_code code, long slot,
                                                       const char *fmt, ...)
{
    struct spl_fsck_result *r = c->r;
    enum spl_fsck_severity sev = codes[code].sev;
    if (code == SPL_FSCK_EPOCH_ODD && c->o->stuck) sev = SPL_FSCK_ERROR;
    r->by_code[code]++;
    if (sev == SPL_FSCK_ERROR) r->errors++;
    else r->warnings++;
    if (r->nfindings >= c->cap) { r->dropped++; return; }
    struct spl_fsck_finding *f = &r->findings[r->nfindings++];
    f->code = code;
    f->severity = sev;
    f->slot = slot;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
}

/* Same finding with an explicit severity (overlaps caused by promotion). */
static void add_sev(struct ctx *c, enum spl_fsck_code code, enum spl_fsck_severity sev, long slot, const char *msg)
{
    struct spl_fsck_result *r = c->r;
    r->by_code[code]++;
    if (sev == SPL_FSCK_ERROR) r->errors++;
    else r->warnings++;
    if (r->nfindings >= c->cap) { r->dropped++; return; }
    struct spl_fsck_finding *f = &r->findings[r->nfindings++];
    *f = (struct spl_fsck_finding){.code = code, .severity = sev, .slot = slot};
    snprintf(f->msg, sizeof f->msg, "%s", msg);
}

static bool pid_dead(int32_t pid) { return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH; }

static void check_header_fields(struct ctx *c, uint64_t arena, uint32_t nslots)
{
    struct splinter_header *H = c->v->H;
    struct spl_fsck_result *r = c->r;
    uint32_t val_sz = H->val_sz;
    if (val_sz != (uint32_t)r->expected_size)
        add(c, SPL_FSCK_VAL_SZ_MISMATCH, -1, "header.val_sz %u, region size %llu (mod 2^32 %u)", val_sz,
            (unsigned long long)r->expected_size, (uint32_t)r->expected_size);
    r->global_epoch = LD(H->epoch);
    if (r->global_epoch == 0) add(c, SPL_FSCK_GLOBAL_EPOCH_ZERO, -1, "global epoch is 0");
    uint8_t core = LD(H->core_flags);
    if (core & 0x0C) add(c, SPL_FSCK_RESERVED_FLAGS, -1, "core_flags 0x%02x has reserved bits 0x%02x", core, core & 0x0C);
    uint32_t brk = LD(H->val_brk);
    if (brk > arena) add(c, SPL_FSCK_VAL_BRK_RANGE, -1, "val_brk %u beyond arena %llu", brk, (unsigned long long)arena);
    for (int i = 0; i < 64; i++) {
        uint8_t g = LD(H->bloom_watches[i]);
        if (g != 0xFF && g >= 64) add(c, SPL_FSCK_BLOOM_WATCH_RANGE, -1, "bloom_watches[%d] = %u (groups are 0..63)", i, g);
    }
    struct splinter_event_bus *bus = spl_sv_bus(c->v);
    int32_t fd = LD(bus->owner_fd), pid = LD(bus->owner_pid);
    if (fd < -1 || pid < 0) add(c, SPL_FSCK_BUS_FIELDS, -1, "event bus owner_fd %d owner_pid %d", fd, pid);
    else if ((fd >= 0) != (pid > 0))
        add(c, SPL_FSCK_BUS_OWNER_STALE, -1, "event bus owner_fd %d with owner_pid %d", fd, pid);
    else if (c->o->check_pids && pid_dead(pid))
        add(c, SPL_FSCK_BUS_OWNER_STALE, -1, "event bus owner pid %d is not running", pid);
    for (unsigned w = 0; w < MASK_WORDS; w++) {
        uint64_t m = LD(bus->dirty_mask[w]);
        if (!m || (uint64_t)w * 64 + 64 <= nslots) continue;
        unsigned first_bad = w * 64 < nslots ? nslots - w * 64 : 0;
        uint64_t bad = first_bad >= 64 ? 0 : m & (~0ULL << first_bad);
        if (bad)
            add(c, SPL_FSCK_BUS_DIRTY_RANGE, -1, "dirty_mask word %u = 0x%016llx marks slots >= %u", w,
                (unsigned long long)m, nslots);
    }
    for (int i = 0; i < NBIDS; i++) {
        struct splinter_shard_bid *p = spl_sv_bid(c->v, (unsigned)i);
        uint32_t id = LD(p->shard_id), bpid = LD(p->pid);
        uint8_t intent = LD(p->intent), prio = LD(p->priority);
        uint64_t dur = LD(p->duration_tsc), at = LD(p->claimed_at);
        if (id == 0) {
            /* the seed's release clears only shard_id; residue is stale, not harmful */
            if (intent > INTENT_MAX)
                add(c, SPL_FSCK_BID_INTENT, i, "empty bid record %d: intent %u", i, intent);
            else if (bpid || intent || prio || dur || at)
                add(c, SPL_FSCK_BID_RESIDUE, i, "empty bid record %d keeps pid %u intent %u", i, bpid, intent);
            continue;
        }
        r->bids_claimed++;
        if (intent > INTENT_MAX) add(c, SPL_FSCK_BID_INTENT, i, "bid record %d (shard %u): intent %u", i, id, intent);
        if (bpid == 0) add(c, SPL_FSCK_BID_NO_PID, i, "bid record %d (shard %u) has pid 0", i, id);
        else if (c->o->check_pids && pid_dead((int32_t)bpid))
            add(c, SPL_FSCK_BID_OWNER_DEAD, i, "bid record %d (shard %u): pid %u is not running", i, id, bpid);
        for (int j = 0; j < i; j++)
            if (LD(spl_sv_bid(c->v, (unsigned)j)->shard_id) == id) {
                add(c, SPL_FSCK_BID_DUPLICATE, i, "bid records %d and %d both claim shard %u", j, i, id);
                break;
            }
    }
}

struct live { uint64_t hash, off, len; uint32_t idx; bool promoted; };

static int cmp_hash(const void *a, const void *b)
{
    const struct live *x = a, *y = b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}
static int cmp_off(const void *a, const void *b)
{
    const struct live *x = a, *y = b;
    if (x->off != y->off) return x->off < y->off ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool area_nonzero(const uint8_t *p, size_t n, size_t *at)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) { *at = i; return true; }
    return false;
}

/* What one pass over the slot table collects for the cross-slot checks. */
struct scan {
    uint32_t n, mv;
    uint64_t arena, avail; /* slot records wholly inside the image */
    bool all_slots;        /* chain checks need all of them */
    uint8_t *virgin;       /* never-used slots */
    struct live *lv;       /* live slots */
    size_t nlive;
    uint32_t *dist;        /* distance back to the last never-used slot (all_slots only) */
    uint8_t *touched;      /* value areas a live value reaches (values wholly inside only) */
};

static void slot_key(const struct splinter_slot *s, char key[KEY_MAX]) { memcpy(key, s->key, KEY_MAX); }

/* Per-slot checks; fills sc->virgin and sc->lv. */
static void check_slots(struct ctx *c, struct scan *sc)
{
    struct spl_fsck_result *out = c->r;
    const uint64_t arena = sc->arena;
    const uint32_t mv = sc->mv;
    for (uint64_t i = 0; i < sc->avail; i++) {
        struct splinter_slot *s = spl_sv_slot(c->v, (uint32_t)i);
        uint64_t h = LD(s->hash), e = LD(s->epoch);
        uint32_t off = s->val_off, vl = LD(s->val_len);
        uint8_t type = LD(s->type_flag);
        char key[KEY_MAX];
        slot_key(s, key);
        bool terminated = memchr(key, 0, KEY_MAX) != NULL;
        uint64_t own = i * mv;

        if (vl > mv) add(c, SPL_FSCK_VAL_LEN_RANGE, (long)i, "slot %llu: val_len %u > max_val_sz %u", (unsigned long long)i, vl, mv);
        if (off > arena || vl > arena - off)
            add(c, SPL_FSCK_VAL_OUT_OF_ARENA, (long)i, "slot %llu: value [%u, +%u) outside arena of %llu bytes",
                (unsigned long long)i, off, vl, (unsigned long long)arena);
        if (e & 1)
            out->odd++,
                add(c, SPL_FSCK_EPOCH_ODD, (long)i, "slot %llu (%s): epoch %llu is odd%s", (unsigned long long)i,
                    h ? (terminated ? key : "<unterminated>") : "<empty>", (unsigned long long)e,
                    c->o->stuck ? ": stuck, its writer is gone" : ": write in progress");
        if (h == 0 && e == 0) {
            out->virgin++;
            sc->virgin[i] = 1;
            if (key[0] || vl || (type & ~1u) || off != own)
                add(c, SPL_FSCK_VIRGIN_DIRTY, (long)i, "never-used slot %llu: key[0]=0x%02x val_len %u type 0x%02x val_off %u",
                    (unsigned long long)i, (unsigned char)key[0], vl, type, off);
            continue;
        }
        if (h == 0) {
            out->tombstones++;
            if (key[0] || vl)
                add(c, SPL_FSCK_TOMBSTONE_DIRTY, (long)i, "deleted slot %llu keeps key[0]=0x%02x val_len %u",
                    (unsigned long long)i, (unsigned char)key[0], vl);
            continue;
        }
        out->live++;
        if (!terminated) {
            add(c, SPL_FSCK_KEY_UNTERMINATED, (long)i, "slot %llu: key has no NUL in %d bytes", (unsigned long long)i, KEY_MAX);
        } else {
            uint64_t want = spl_sv_fnv1a(key);
            if (want != h)
                add(c, SPL_FSCK_HASH_MISMATCH, (long)i, "slot %llu key \"%.63s\": hash 0x%016llx, FNV-1a is 0x%016llx",
                    (unsigned long long)i, key, (unsigned long long)h, (unsigned long long)want);
        }
        bool promoted = off != own;
        if (promoted && off <= arena)
            add(c, SPL_FSCK_VAL_OFF_FOREIGN, (long)i, "slot %llu: val_off %u lies in slot %llu's area (own area at %llu)",
                (unsigned long long)i, off, (unsigned long long)(off / mv), (unsigned long long)own);
        if ((type & SPL_SLOT_TYPE_BIGUINT) && vl != 8)
            add(c, SPL_FSCK_BIGUINT_LEN, (long)i, "slot %llu: BIGUINT with val_len %u", (unsigned long long)i, vl);
        sc->lv[sc->nlive++] = (struct live){.hash = h, .off = off, .len = vl, .idx = (uint32_t)i,
                                            .promoted = promoted && (type & SPL_SLOT_TYPE_BIGUINT) && vl == 8};
    }
}

/* duplicate keys: equal hashes sorted together, then keys compared */
static void check_duplicates(struct ctx *c, struct scan *sc)
{
    struct live *lv = sc->lv;
    qsort(lv, sc->nlive, sizeof *lv, cmp_hash);
    for (size_t i = 1; i < sc->nlive; i++) {
        for (size_t j = i; j-- > 0 && lv[j].hash == lv[i].hash;) {
            char ka[KEY_MAX], kb[KEY_MAX];
            slot_key(spl_sv_slot(c->v, lv[j].idx), ka);
            slot_key(spl_sv_slot(c->v, lv[i].idx), kb);
            ka[KEY_MAX - 1] = kb[KEY_MAX - 1] = 0;
            if (!strcmp(ka, kb)) {
                add(c, SPL_FSCK_DUP_KEY, lv[i].idx, "key \"%.63s\" is live in slots %u and %u", kb, lv[j].idx, lv[i].idx);
                break;
            }
            if (i - j > 64) break; /* pathological hash flood: enough evidence */
        }
    }
}

/* unreachable keys: a never-used slot between the home slot and the key */
static void check_reachability(struct ctx *c, struct scan *sc)
{
    const uint32_t n = sc->n;
    if (!sc->all_slots || n == 0) return;
    long last = -1;
    for (uint64_t j = 0; j < 2ull * n; j++) {
        uint64_t idx = j % n;
        if (j >= n) sc->dist[idx] = last >= 0 ? (uint32_t)(j - (uint64_t)last) : UINT32_MAX;
        if (sc->virgin[idx]) last = (long)j;
    }
    for (size_t i = 0; i < sc->nlive; i++) {
        uint32_t idx = sc->lv[i].idx;
        char key[KEY_MAX];
        slot_key(spl_sv_slot(c->v, idx), key);
        if (!memchr(key, 0, KEY_MAX) || spl_sv_fnv1a(key) != sc->lv[i].hash) continue;
        uint64_t home = sc->lv[i].hash % n, d = (idx + (uint64_t)n - home) % n;
        if (sc->dist[idx] <= d)
            add(c, SPL_FSCK_UNREACHABLE_KEY, idx, "key \"%.63s\" in slot %u: home %llu, never-used slot %llu on the way",
                key, idx, (unsigned long long)home, (unsigned long long)((idx + (uint64_t)n - sc->dist[idx]) % n));
    }
}

/* overlapping live values; marks the value areas live values reach */
static void check_overlaps(struct ctx *c, struct scan *sc)
{
    struct live *lv = sc->lv;
    const uint64_t arena = sc->arena;
    qsort(lv, sc->nlive, sizeof *lv, cmp_off);
    uint64_t maxend = 0;
    size_t owner = 0;
    bool have = false;
    for (size_t i = 0; i < sc->nlive; i++) {
        if (lv[i].len == 0 || lv[i].off > arena || lv[i].len > arena - lv[i].off) continue;
        if (have && lv[i].off < maxend) {
            char msg[160];
            /* an error whatever made it: two live values in the same bytes
             * means a write to one changed the other (the original's BIGUINT
             * promotion really overwrites the key whose area it lands in) */
            bool promo = lv[i].promoted || lv[owner].promoted;
            snprintf(msg, sizeof msg, "slots %u and %u share value bytes at %llu%s", lv[owner].idx, lv[i].idx,
                     (unsigned long long)lv[i].off, promo ? " (a BIGUINT promotion overwrote another key's value)" : "");
            add_sev(c, SPL_FSCK_VALUE_OVERLAP, SPL_FSCK_ERROR, lv[i].idx, msg);
        }
        if (!have || lv[i].off + lv[i].len > maxend) { maxend = lv[i].off + lv[i].len; owner = i; }
        have = true;
        if (sc->touched) {
            uint64_t a = lv[i].off / sc->mv, z = (lv[i].off + lv[i].len - 1) / sc->mv;
            for (uint64_t k = a; k <= z && k < sc->avail; k++) sc->touched[k] = 1;
        }
    }
}

/* orphaned value bytes: an area whose slot holds no key and no live value reaches */
static void check_orphans(struct ctx *c, struct scan *sc)
{
    if (!sc->touched || !c->o->scan_values) return;
    for (uint64_t i = 0; i < sc->avail; i++) {
        if (LD(spl_sv_slot(c->v, (uint32_t)i)->hash) != 0 || sc->touched[i]) continue;
        const uint8_t *area = spl_sv_home_area(c->v, (uint32_t)i);
        size_t at;
        if (area && area_nonzero(area, sc->mv, &at))
            add(c, SPL_FSCK_ORPHAN_VALUE, (long)i, "slot %llu is empty but its value area has data at +%zu",
                (unsigned long long)i, at);
    }
}

/* Magic, version and geometry; 0 when the slot table can be read (g filled). */
static int check_preamble(struct ctx *c, const uint8_t *b, size_t len, struct spl_sv_geometry *g)
{
    struct spl_fsck_result *out = c->r;
    uint32_t magic = 0, version = 0;
    if (b && len >= 4) memcpy(&magic, b + offsetof(struct splinter_header, magic), 4);
    if (!b || len < SPLINTER_HEADER_SIZE) {
        add(c, SPL_FSCK_TRUNCATED, -1, "image is %zu bytes, a header alone is %d", len, (int)SPLINTER_HEADER_SIZE);
        if (b && len >= 4 && magic != SPLINTER_MAGIC) add(c, SPL_FSCK_BAD_MAGIC, -1, "magic 0x%08x", magic);
        return -1;
    }
    memcpy(&version, b + offsetof(struct splinter_header, version), 4);
    if (magic != SPLINTER_MAGIC) {
        add(c, SPL_FSCK_BAD_MAGIC, -1, "magic 0x%08x, want 0x%08x: not a Splinter store", magic, SPLINTER_MAGIC);
        return -1;
    }
    if (version != SPLINTER_VER) {
        add(c, SPL_FSCK_BAD_VERSION, -1, "format version %u, this checker knows %d", version, SPLINTER_VER);
        return -1;
    }
    int grc = spl_sv_geometry(b, len, SPL_SV_ANY_HEADER, g);
    memcpy(&out->slots, b + offsetof(struct splinter_header, slots), 4);
    memcpy(&out->max_val_sz, b + offsetof(struct splinter_header, max_val_sz), 4);
    if (grc != 0) {
        add(c, SPL_FSCK_BAD_GEOMETRY, -1, "slots %u, max_val_sz %u: not a usable geometry", out->slots, out->max_val_sz);
        return -1;
    }
    out->slot_size = g->slot_size;
    out->expected_size = g->expected_size;
    out->header_ok = true;
    if (len < out->expected_size)
        add(c, SPL_FSCK_TRUNCATED, -1, "image is %zu bytes, geometry %u x (%zu + %u) needs %llu", len, g->slots,
            g->slot_size, g->max_val, (unsigned long long)out->expected_size);
    else if (len > out->expected_size)
        add(c, SPL_FSCK_TRAILING_BYTES, -1, "image is %zu bytes, geometry needs %llu", len,
            (unsigned long long)out->expected_size);
    return 0;
}

int spl_fsck_image(const void *buf, size_t len, const struct spl_fsck_opts *opts, struct spl_fsck_result *out)
{
    static const struct spl_fsck_opts defaults = SPL_FSCK_OPTS_INIT;
    memset(out, 0, sizeof *out);
    struct ctx c = {.o = opts ? opts : &defaults, .r = out};
    c.cap = c.o->max_findings ? c.o->max_findings : 1000;
    out->image_size = len;
    out->findings = calloc(c.cap, sizeof *out->findings);
    if (!out->findings) { errno = ENOMEM; return -1; }
    struct spl_sv_geometry g;
    if (check_preamble(&c, buf, len, &g) != 0) return out->errors ? 1 : 0;

    /* the view wants its slots 64-byte aligned, as any map is; an odd
     * caller's buffer (a fuzzer's) is read from an aligned copy */
    void *copy = NULL;
    const void *img = buf;
    if ((uintptr_t)buf % 64) {
        copy = aligned_alloc(64, (len + 63) & ~(size_t)63);
        if (!copy) { spl_fsck_result_free(out); errno = ENOMEM; return -1; }
        memcpy(copy, buf, len);
        img = copy;
    }
    struct spl_storeview v;
    if (spl_sv_wrap(&v, (void *)img, len, SPL_SV_ANY_HEADER | SPL_SV_ANY_SIZE) != 0) {
        free(copy);
        spl_fsck_result_free(out);
        return -1;
    }
    c.v = &v;
    check_header_fields(&c, g.arena, g.slots);

    struct scan sc = {.n = g.slots, .mv = g.max_val, .arena = g.arena};
    sc.avail = (len - SPLINTER_HEADER_SIZE) / g.slot_size;
    if (sc.avail > g.slots) sc.avail = g.slots;
    sc.all_slots = sc.avail == g.slots;
    uint64_t vbase = SPLINTER_HEADER_SIZE + (uint64_t)g.slots * g.slot_size; /* value arena offset in the image */
    bool values_in = vbase <= len && g.arena <= len - vbase;
    size_t na = sc.avail ? sc.avail : 1;
    sc.virgin = calloc(na, 1);
    sc.lv = calloc(na, sizeof *sc.lv);
    sc.dist = sc.all_slots ? calloc(na, sizeof *sc.dist) : NULL;
    sc.touched = values_in ? calloc(na, 1) : NULL;
    int rc = 0;
    if (!sc.virgin || !sc.lv || (sc.all_slots && !sc.dist) || (values_in && !sc.touched)) {
        errno = ENOMEM;
        rc = -1;
    } else {
        check_slots(&c, &sc);
        check_duplicates(&c, &sc);
        check_reachability(&c, &sc);
        check_overlaps(&c, &sc);
        check_orphans(&c, &sc);
        rc = out->errors ? 1 : 0;
    }
    free(sc.virgin), free(sc.lv), free(sc.dist), free(sc.touched);
    spl_sv_close(&v);
    free(copy);
    return rc;
}

void spl_fsck_result_free(struct spl_fsck_result *r)
{
    free(r->findings);
    r->findings = NULL;
    r->nfindings = 0;
}

struct json_object *spl_fsck_result_json(const struct spl_fsck_result *r, const char *store)
{
    struct json_object *o = json_object_new_object();
    if (store) json_object_object_add(o, "store", json_object_new_string(store));
    json_object_object_add(o, "verdict", json_object_new_string(r->errors ? "damaged" : "clean"));
    struct json_object *g = json_object_new_object();
    json_object_object_add(g, "header_ok", json_object_new_boolean(r->header_ok));
    json_object_object_add(g, "slots", json_object_new_int64(r->slots));
    json_object_object_add(g, "max_val_sz", json_object_new_int64(r->max_val_sz));
    json_object_object_add(g, "slot_size", json_object_new_int64((int64_t)r->slot_size));
    json_object_object_add(g, "expected_size", json_object_new_int64((int64_t)r->expected_size));
    json_object_object_add(g, "image_size", json_object_new_int64((int64_t)r->image_size));
    json_object_object_add(g, "global_epoch", json_object_new_int64((int64_t)r->global_epoch));
    json_object_object_add(o, "geometry", g);
    struct json_object *cz = json_object_new_object();
    json_object_object_add(cz, "live", json_object_new_int64((int64_t)r->live));
    json_object_object_add(cz, "tombstones", json_object_new_int64((int64_t)r->tombstones));
    json_object_object_add(cz, "never_used", json_object_new_int64((int64_t)r->virgin));
    json_object_object_add(cz, "odd_epochs", json_object_new_int64((int64_t)r->odd));
    json_object_object_add(cz, "bids_claimed", json_object_new_int64((int64_t)r->bids_claimed));
    json_object_object_add(o, "census", cz);
    json_object_object_add(o, "errors", json_object_new_int64((int64_t)r->errors));
    json_object_object_add(o, "warnings", json_object_new_int64((int64_t)r->warnings));
    struct json_object *bc = json_object_new_object();
    for (int i = 0; i < SPL_FSCK__NCODES; i++)
        if (r->by_code[i]) json_object_object_add(bc, codes[i].name, json_object_new_int64((int64_t)r->by_code[i]));
    json_object_object_add(o, "by_code", bc);
    struct json_object *fa = json_object_new_array();
    for (size_t i = 0; i < r->nfindings; i++) {
        const struct spl_fsck_finding *f = &r->findings[i];
        struct json_object *fo = json_object_new_object();
        json_object_object_add(fo, "code", json_object_new_string(codes[f->code].name));
        json_object_object_add(fo, "severity", json_object_new_string(spl_fsck_severity_name(f->severity)));
        json_object_object_add(fo, "slot", json_object_new_int64(f->slot));
        json_object_object_add(fo, "message", json_object_new_string(f->msg));
        json_object_array_add(fa, fo);
    }
    json_object_object_add(o, "findings", fa);
    json_object_object_add(o, "dropped", json_object_new_int64((int64_t)r->dropped));
    return o;
}

int spl_store_map(const char *store, bool writable, struct spl_store_map *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->fd = -1;
    struct stat sb;
    if (!store || !*store) return spl_fail(EINVAL, err, errlen, "no store given");
    /* a path that exists wins; otherwise a shm name lives in /dev/shm */
    if (stat(store, &sb) == 0 || strchr(store + 1, '/')) snprintf(m->path, sizeof m->path, "%s", store);
    else spl_sv_shm_path(store, m->path, sizeof m->path);
    int fd = open(m->path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return spl_fail(errno, err, errlen, "%s: %s", m->path, strerror(errno));
    int e = 0;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        e = spl_fail(EINVAL, err, errlen, "%s: not a regular file or shm object", m->path);
    else if (sb.st_size == 0) e = spl_fail(EBADMSG, err, errlen, "%s: empty (0 bytes)", m->path);
    void *p = e ? MAP_FAILED
                : mmap(NULL, (size_t)sb.st_size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
    if (!e && p == MAP_FAILED) e = spl_fail(errno, err, errlen, "%s: mmap: %s", m->path, strerror(errno));
    if (e) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    m->base = p;
    m->len = (size_t)sb.st_size;
    m->fd = fd;
    m->writable = writable;
    return 0;
}

void spl_store_unmap(struct spl_store_map *m)
{
    if (m->base) munmap(m->base, m->len);
    if (m->fd >= 0) close(m->fd);
    m->base = NULL;
    m->fd = -1;
}

/* ---- repair ------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static void say(void (*log)(const char *, void *), void *arg, const char *fmt, ...)
{
    if (!log) return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log(msg, arg);
}

/* Turns slot s into a tombstone under its seqlock: chains through it stay
 * intact (epoch stays non-zero) and no reader sees the change half-done. */
static bool make_tombstone(struct splinter_slot *s, uint32_t own_off)
{
    uint64_t e = atomic_load_explicit(&s->epoch, memory_order_acquire);
    /* even: lock it like a writer; odd: a stuck writer, take over its odd state */
    if (!(e & 1) && !atomic_compare_exchange_strong_explicit(&s->epoch, &e, e + 1, memory_order_acq_rel,
                                                             memory_order_relaxed))
        return false;
    uint64_t odd = e | 1;
    atomic_store_explicit(&s->hash, 0, memory_order_release);
    memset(s->key, 0, KEY_MAX);
    atomic_store_explicit(&s->val_len, 0, memory_order_release);
    s->val_off = own_off;
    atomic_store_explicit(&s->type_flag, 1, memory_order_release);
    atomic_store_explicit(&s->epoch, odd + 1, memory_order_release);
    return true;
}

/* One finding's fix on the view; true when it changed something. */
static bool repair_one(struct spl_storeview *v, const struct spl_fsck_result *r, const struct spl_fsck_finding *f,
                       unsigned fixes, void (*log)(const char *, void *), void *arg)
{
    long k = f->slot;
    struct splinter_slot *s = k >= 0 && (uint64_t)k < r->slots ? spl_sv_slot(v, (uint32_t)k) : NULL;
    struct splinter_event_bus *bus = spl_sv_bus(v);
    switch (f->code) {
    case SPL_FSCK_EPOCH_ODD:
        if ((fixes & SPL_FSCK_FIX_STUCK) && s) {
            uint64_t e = atomic_load_explicit(&s->epoch, memory_order_acquire);
            if ((e & 1) && atomic_compare_exchange_strong_explicit(&s->epoch, &e, e + 1, memory_order_acq_rel,
                                                                   memory_order_relaxed)) {
                say(log, arg, "slot %ld: released stuck epoch %llu -> %llu", k, (unsigned long long)e,
                    (unsigned long long)e + 1);
                return true;
            }
        }
        return false;
    case SPL_FSCK_KEY_UNTERMINATED:
    case SPL_FSCK_HASH_MISMATCH:
    case SPL_FSCK_VAL_LEN_RANGE:
    case SPL_FSCK_VAL_OUT_OF_ARENA:
    case SPL_FSCK_DUP_KEY:
        if ((fixes & SPL_FSCK_FIX_SLOTS) && s && make_tombstone(s, (uint32_t)((uint64_t)k * r->max_val_sz))) {
            say(log, arg, "slot %ld: cleared (%s)", k, spl_fsck_code_name(f->code));
            return true;
        }
        return false;
    case SPL_FSCK_BUS_FIELDS:
    case SPL_FSCK_BUS_OWNER_STALE:
        if (!(fixes & SPL_FSCK_FIX_BUS)) return false;
        atomic_store_explicit(&bus->owner_fd, -1, memory_order_release);
        atomic_store_explicit(&bus->owner_pid, 0, memory_order_release);
        say(log, arg, "event bus: owner reset to fd -1 pid 0");
        return true;
    case SPL_FSCK_BUS_DIRTY_RANGE:
        if (!(fixes & SPL_FSCK_FIX_BUS)) return false;
        for (unsigned w = 0; w < MASK_WORDS; w++) {
            unsigned first_bad = w * 64 < r->slots ? r->slots - w * 64 : 0;
            if (first_bad >= 64) continue;
            atomic_fetch_and_explicit(&bus->dirty_mask[w], ~(~0ULL << first_bad), memory_order_acq_rel);
        }
        say(log, arg, "event bus: dirty bits beyond slot %u cleared", r->slots);
        return true;
    case SPL_FSCK_BID_INTENT:
    case SPL_FSCK_BID_OWNER_DEAD:
    case SPL_FSCK_BID_RESIDUE:
    case SPL_FSCK_BID_NO_PID:
        if ((fixes & SPL_FSCK_FIX_BIDS) && k >= 0 && k < NBIDS) {
            struct splinter_shard_bid *p = spl_sv_bid(v, (unsigned)k);
            memset((uint8_t *)p + sizeof p->shard_id, 0, sizeof *p - sizeof p->shard_id);
            atomic_store_explicit(&p->shard_id, 0, memory_order_release);
            say(log, arg, "bid record %ld: emptied (%s)", k, spl_fsck_code_name(f->code));
            return true;
        }
        return false;
    default: return false;
    }
}

size_t spl_fsck_repair(void *buf, size_t len, const struct spl_fsck_result *r, unsigned fixes,
                       void (*log)(const char *msg, void *arg), void *arg)
{
    if (!buf || !r->header_ok || len < SPLINTER_HEADER_SIZE || len < r->expected_size) return 0;
    /* a live store is mapped, so aligned: fixed in place with atomics; an odd
     * caller's buffer (a fuzzer's) is fixed in an aligned copy, copied back */
    void *copy = NULL, *img = buf;
    if ((uintptr_t)buf % 64) {
        if (!(copy = aligned_alloc(64, (len + 63) & ~(size_t)63))) return 0;
        memcpy(copy, buf, len);
        img = copy;
    }
    struct spl_storeview v;
    size_t changes = 0;
    if (spl_sv_wrap(&v, img, len, SPL_SV_WRITE | SPL_SV_ANY_HEADER | SPL_SV_ANY_SIZE) == 0) {
        for (size_t i = 0; i < r->nfindings; i++) changes += repair_one(&v, r, &r->findings[i], fixes, log, arg);
        spl_sv_close(&v);
    }
    if (copy) {
        memcpy(buf, copy, len);
        free(copy);
    }
    return changes;
}
