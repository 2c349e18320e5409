/*
 * fsck.c - byte-level checker of a format-v4 store image (see fsck.h).
 *
 * Written from format-v4.md alone, independent of ref/: it must be able to
 * say that the reference itself wrote something wrong. Every field is read
 * once, bounds-checked against the image length, then used from a local.
 */
#include "fsck.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Format v4 offsets (format-v4.md), spelled out rather than taken from
 * splinter.h so a layout slip in the reference header cannot hide here. */
enum {
    HDR_SIZE = 5440,
    H_MAGIC = 0, H_VERSION = 4, H_SLOTS = 8, H_MAXVAL = 12, H_EPOCH = 16, H_CORE = 24, H_VAL_BRK = 28,
    H_VAL_SZ = 32, H_BLOOM = 56, H_BUS = 4224, H_BUS_FD = 4224 + 128, H_BUS_PID = 4224 + 132, H_BIDS = 4416,
    BID_SIZE = 32, NBIDS = 32, B_ID = 0, B_PID = 4, B_INTENT = 8, B_PRIO = 9, B_DUR = 16, B_AT = 24,
    SLOT_SIZE = 128, SLOT_SIZE_EMB = 3200,
    S_HASH = 0, S_EPOCH = 8, S_VOFF = 16, S_VLEN = 20, S_TYPE = 24, S_KEY = 64, KEY_MAX = 64,
    MAGIC = 0x534C4E54, VERSION = 4, MASK_WORDS = 16, TYPE_BIGUINT = 1 << 2, INTENT_MAX = 4,
};

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

uint64_t spl_fsck_fnv1a(const char *key, size_t maxlen)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < maxlen && i < KEY_MAX - 1 && key[i]; i++) h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
    return h;
}

/* Single reads of possibly shared, possibly unaligned fields. */
static uint64_t rd64(const uint8_t *p)
{
    if (((uintptr_t)p & 7) == 0) return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static uint32_t rd32(const uint8_t *p)
{
    if (((uintptr_t)p & 3) == 0) return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static uint8_t rd8(const uint8_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }

struct ctx {
    const uint8_t *b;
    size_t len;
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
    const uint8_t *b = c->b;
    struct spl_fsck_result *r = c->r;
    uint32_t val_sz = rd32(b + H_VAL_SZ);
    if (val_sz != (uint32_t)r->expected_size)
        add(c, SPL_FSCK_VAL_SZ_MISMATCH, -1, "header.val_sz %u, region size %llu (mod 2^32 %u)", val_sz,
            (unsigned long long)r->expected_size, (uint32_t)r->expected_size);
    r->global_epoch = rd64(b + H_EPOCH);
    if (r->global_epoch == 0) add(c, SPL_FSCK_GLOBAL_EPOCH_ZERO, -1, "global epoch is 0");
    uint8_t core = rd8(b + H_CORE);
    if (core & 0x0C) add(c, SPL_FSCK_RESERVED_FLAGS, -1, "core_flags 0x%02x has reserved bits 0x%02x", core, core & 0x0C);
    uint32_t brk = rd32(b + H_VAL_BRK);
    if (brk > arena) add(c, SPL_FSCK_VAL_BRK_RANGE, -1, "val_brk %u beyond arena %llu", brk, (unsigned long long)arena);
    for (int i = 0; i < 64; i++) {
        uint8_t g = rd8(b + H_BLOOM + i);
        if (g != 0xFF && g >= 64) add(c, SPL_FSCK_BLOOM_WATCH_RANGE, -1, "bloom_watches[%d] = %u (groups are 0..63)", i, g);
    }
    int32_t fd = (int32_t)rd32(b + H_BUS_FD), pid = (int32_t)rd32(b + H_BUS_PID);
    if (fd < -1 || pid < 0) add(c, SPL_FSCK_BUS_FIELDS, -1, "event bus owner_fd %d owner_pid %d", fd, pid);
    else if ((fd >= 0) != (pid > 0))
        add(c, SPL_FSCK_BUS_OWNER_STALE, -1, "event bus owner_fd %d with owner_pid %d", fd, pid);
    else if (c->o->check_pids && pid_dead(pid))
        add(c, SPL_FSCK_BUS_OWNER_STALE, -1, "event bus owner pid %d is not running", pid);
    for (unsigned w = 0; w < MASK_WORDS; w++) {
        uint64_t m = rd64(b + H_BUS + 8 * w);
        if (!m || (uint64_t)w * 64 + 64 <= nslots) continue;
        unsigned first_bad = w * 64 < nslots ? nslots - w * 64 : 0;
        uint64_t bad = first_bad >= 64 ? 0 : m & (~0ULL << first_bad);
        if (bad)
            add(c, SPL_FSCK_BUS_DIRTY_RANGE, -1, "dirty_mask word %u = 0x%016llx marks slots >= %u", w,
                (unsigned long long)m, nslots);
    }
    for (int i = 0; i < NBIDS; i++) {
        const uint8_t *p = b + H_BIDS + BID_SIZE * i;
        uint32_t id = rd32(p + B_ID), bpid = rd32(p + B_PID);
        uint8_t intent = rd8(p + B_INTENT), prio = rd8(p + B_PRIO);
        uint64_t dur = rd64(p + B_DUR), at = rd64(p + B_AT);
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
            if (rd32(b + H_BIDS + BID_SIZE * j + B_ID) == id) {
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

int spl_fsck_image(const void *buf, size_t len, const struct spl_fsck_opts *opts, struct spl_fsck_result *out)
{
    static const struct spl_fsck_opts defaults = SPL_FSCK_OPTS_INIT;
    memset(out, 0, sizeof *out);
    struct ctx c = {.b = buf, .len = len, .o = opts ? opts : &defaults, .r = out};
    c.cap = c.o->max_findings ? c.o->max_findings : 1000;
    out->image_size = len;
    out->findings = calloc(c.cap, sizeof *out->findings);
    if (!out->findings) { errno = ENOMEM; return -1; }
    const uint8_t *b = buf;
    int rc = 0;

    if (!buf || len < HDR_SIZE) {
        add(&c, SPL_FSCK_TRUNCATED, -1, "image is %zu bytes, a header alone is %d", len, HDR_SIZE);
        if (buf && len >= 4 && rd32(b) != MAGIC) add(&c, SPL_FSCK_BAD_MAGIC, -1, "magic 0x%08x", rd32(b));
        goto done;
    }
    uint32_t magic = rd32(b + H_MAGIC), version = rd32(b + H_VERSION);
    if (magic != MAGIC) {
        add(&c, SPL_FSCK_BAD_MAGIC, -1, "magic 0x%08x, want 0x%08x: not a Splinter store", magic, MAGIC);
        goto done;
    }
    if (version != VERSION) {
        add(&c, SPL_FSCK_BAD_VERSION, -1, "format version %u, this checker knows %d", version, VERSION);
        goto done;
    }
    uint32_t n = rd32(b + H_SLOTS), mv = rd32(b + H_MAXVAL);
    out->slots = n;
    out->max_val_sz = mv;
    uint64_t arena, t128, t3200;
    if (n == 0 || mv == 0 || __builtin_mul_overflow((uint64_t)n, (uint64_t)mv, &arena) ||
        __builtin_mul_overflow((uint64_t)n, ((uint64_t)SLOT_SIZE + mv), &t128) ||
        __builtin_add_overflow(t128, (uint64_t)HDR_SIZE, &t128) ||
        __builtin_mul_overflow((uint64_t)n, ((uint64_t)SLOT_SIZE_EMB + mv), &t3200) ||
        __builtin_add_overflow(t3200, (uint64_t)HDR_SIZE, &t3200)) {
        add(&c, SPL_FSCK_BAD_GEOMETRY, -1, "slots %u, max_val_sz %u: not a usable geometry", n, mv);
        goto done;
    }
    size_t ss = (len == t3200 && len != t128) ? SLOT_SIZE_EMB : SLOT_SIZE;
    out->slot_size = ss;
    out->expected_size = ss == SLOT_SIZE ? t128 : t3200;
    out->header_ok = true;
    if (len < out->expected_size)
        add(&c, SPL_FSCK_TRUNCATED, -1, "image is %zu bytes, geometry %u x (%zu + %u) needs %llu", len, n, ss, mv,
            (unsigned long long)out->expected_size);
    else if (len > out->expected_size)
        add(&c, SPL_FSCK_TRAILING_BYTES, -1, "image is %zu bytes, geometry needs %llu", len,
            (unsigned long long)out->expected_size);
    check_header_fields(&c, arena, n);

    /* Slot records wholly inside the image; chain checks need all of them. */
    uint64_t avail = (len - HDR_SIZE) / ss;
    if (avail > n) avail = n;
    bool all_slots = avail == n;
    const uint8_t *S = b + HDR_SIZE;
    uint64_t vbase = HDR_SIZE + (uint64_t)n * ss; /* value arena offset in the image */
    bool values_in = vbase <= len && arena <= len - vbase;

    uint8_t *virgin = calloc(avail ? avail : 1, 1);
    struct live *lv = calloc(avail ? avail : 1, sizeof *lv);
    uint32_t *dist = all_slots ? calloc(avail ? avail : 1, sizeof *dist) : NULL;
    uint8_t *touched = values_in ? calloc(avail ? avail : 1, 1) : NULL;
    if (!virgin || !lv || (all_slots && !dist) || (values_in && !touched)) {
        free(virgin), free(lv), free(dist), free(touched);
        errno = ENOMEM;
        return -1;
    }
    size_t nlive = 0;
    for (uint64_t i = 0; i < avail; i++) {
        const uint8_t *s = S + i * ss;
        uint64_t h = rd64(s + S_HASH), e = rd64(s + S_EPOCH);
        uint32_t off = rd32(s + S_VOFF), vl = rd32(s + S_VLEN);
        uint8_t type = rd8(s + S_TYPE);
        char key[KEY_MAX];
        memcpy(key, s + S_KEY, KEY_MAX);
        bool terminated = memchr(key, 0, KEY_MAX) != NULL;
        uint64_t own = i * mv;

        if (vl > mv) add(&c, SPL_FSCK_VAL_LEN_RANGE, (long)i, "slot %llu: val_len %u > max_val_sz %u", (unsigned long long)i, vl, mv);
        if (off > arena || vl > arena - off)
            add(&c, SPL_FSCK_VAL_OUT_OF_ARENA, (long)i, "slot %llu: value [%u, +%u) outside arena of %llu bytes",
                (unsigned long long)i, off, vl, (unsigned long long)arena);
        if (e & 1)
            out->odd++,
                add(&c, SPL_FSCK_EPOCH_ODD, (long)i, "slot %llu (%s): epoch %llu is odd%s", (unsigned long long)i,
                    h ? (terminated ? key : "<unterminated>") : "<empty>", (unsigned long long)e,
                    c.o->stuck ? ": stuck, its writer is gone" : ": write in progress");
        if (h == 0 && e == 0) {
            out->virgin++;
            virgin[i] = 1;
            if (key[0] || vl || (type & ~1u) || off != own)
                add(&c, SPL_FSCK_VIRGIN_DIRTY, (long)i, "never-used slot %llu: key[0]=0x%02x val_len %u type 0x%02x val_off %u",
                    (unsigned long long)i, (unsigned char)key[0], vl, type, off);
            continue;
        }
        if (h == 0) {
            out->tombstones++;
            if (key[0] || vl)
                add(&c, SPL_FSCK_TOMBSTONE_DIRTY, (long)i, "deleted slot %llu keeps key[0]=0x%02x val_len %u",
                    (unsigned long long)i, (unsigned char)key[0], vl);
            continue;
        }
        out->live++;
        if (!terminated) {
            add(&c, SPL_FSCK_KEY_UNTERMINATED, (long)i, "slot %llu: key has no NUL in %d bytes", (unsigned long long)i, KEY_MAX);
        } else {
            uint64_t want = spl_fsck_fnv1a(key, KEY_MAX);
            if (want != h)
                add(&c, SPL_FSCK_HASH_MISMATCH, (long)i, "slot %llu key \"%.63s\": hash 0x%016llx, FNV-1a is 0x%016llx",
                    (unsigned long long)i, key, (unsigned long long)h, (unsigned long long)want);
        }
        bool promoted = off != own;
        if (promoted && off <= arena)
            add(&c, SPL_FSCK_VAL_OFF_FOREIGN, (long)i, "slot %llu: val_off %u lies in slot %llu's area (own area at %llu)",
                (unsigned long long)i, off, (unsigned long long)(off / mv), (unsigned long long)own);
        if ((type & TYPE_BIGUINT) && vl != 8)
            add(&c, SPL_FSCK_BIGUINT_LEN, (long)i, "slot %llu: BIGUINT with val_len %u", (unsigned long long)i, vl);
        lv[nlive++] = (struct live){.hash = h, .off = off, .len = vl, .idx = (uint32_t)i,
                                    .promoted = promoted && (type & TYPE_BIGUINT) && vl == 8};
    }

    /* duplicate keys: equal hashes sorted together, then keys compared */
    qsort(lv, nlive, sizeof *lv, cmp_hash);
    for (size_t i = 1; i < nlive; i++) {
        for (size_t j = i; j-- > 0 && lv[j].hash == lv[i].hash;) {
            char ka[KEY_MAX], kb[KEY_MAX];
            memcpy(ka, S + (uint64_t)lv[j].idx * ss + S_KEY, KEY_MAX);
            memcpy(kb, S + (uint64_t)lv[i].idx * ss + S_KEY, KEY_MAX);
            ka[KEY_MAX - 1] = kb[KEY_MAX - 1] = 0;
            if (!strcmp(ka, kb)) {
                add(&c, SPL_FSCK_DUP_KEY, lv[i].idx, "key \"%.63s\" is live in slots %u and %u", kb, lv[j].idx, lv[i].idx);
                break;
            }
            if (i - j > 64) break; /* pathological hash flood: enough evidence */
        }
    }

    /* unreachable keys: a never-used slot between the home slot and the key */
    if (all_slots && n > 0) {
        long last = -1;
        for (uint64_t j = 0; j < 2ull * n; j++) {
            uint64_t idx = j % n;
            if (j >= n) dist[idx] = last >= 0 ? (uint32_t)(j - (uint64_t)last) : UINT32_MAX;
            if (virgin[idx]) last = (long)j;
        }
        for (size_t i = 0; i < nlive; i++) {
            uint32_t idx = lv[i].idx;
            const uint8_t *s = S + (uint64_t)idx * ss;
            char key[KEY_MAX];
            memcpy(key, s + S_KEY, KEY_MAX);
            if (!memchr(key, 0, KEY_MAX) || spl_fsck_fnv1a(key, KEY_MAX) != lv[i].hash) continue;
            uint64_t home = lv[i].hash % n, d = (idx + (uint64_t)n - home) % n;
            if (dist[idx] <= d)
                add(&c, SPL_FSCK_UNREACHABLE_KEY, idx, "key \"%.63s\" in slot %u: home %llu, never-used slot %llu on the way",
                    key, idx, (unsigned long long)home, (unsigned long long)((idx + (uint64_t)n - dist[idx]) % n));
        }
    }

    /* overlapping live values */
    qsort(lv, nlive, sizeof *lv, cmp_off);
    {
        uint64_t maxend = 0;
        size_t owner = 0;
        bool have = false;
        for (size_t i = 0; i < nlive; i++) {
            if (lv[i].len == 0 || lv[i].off > arena || lv[i].len > arena - lv[i].off) continue;
            if (have && lv[i].off < maxend) {
                char msg[160];
                bool benign = lv[i].promoted || lv[owner].promoted;
                snprintf(msg, sizeof msg, "slots %u and %u share value bytes at %llu%s", lv[owner].idx, lv[i].idx,
                         (unsigned long long)lv[i].off, benign ? " (BIGUINT promotion into another slot's area)" : "");
                add_sev(&c, SPL_FSCK_VALUE_OVERLAP, benign ? SPL_FSCK_WARNING : SPL_FSCK_ERROR, lv[i].idx, msg);
            }
            if (!have || lv[i].off + lv[i].len > maxend) { maxend = lv[i].off + lv[i].len; owner = i; }
            have = true;
            if (touched) {
                uint64_t a = lv[i].off / mv, z = (lv[i].off + lv[i].len - 1) / mv;
                for (uint64_t k = a; k <= z && k < avail; k++) touched[k] = 1;
            }
        }
    }

    /* orphaned value bytes: an area whose slot holds no key and no live value reaches */
    if (touched && c.o->scan_values) {
        const uint8_t *V = b + vbase;
        for (uint64_t i = 0; i < avail; i++) {
            const uint8_t *s = S + i * ss;
            if (rd64(s + S_HASH) != 0 || touched[i]) continue;
            size_t at;
            if (area_nonzero(V + i * mv, mv, &at))
                add(&c, SPL_FSCK_ORPHAN_VALUE, (long)i, "slot %llu is empty but its value area has data at +%zu",
                    (unsigned long long)i, at);
        }
    }
    free(virgin), free(lv), free(dist), free(touched);
done:
    if (out->errors) rc = 1;
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
    if (!store || !*store) { snprintf(err, errlen, "no store given"); return -1; }
    /* a path that exists wins; otherwise a shm name lives in /dev/shm */
    if (stat(store, &sb) == 0 || strchr(store + 1, '/')) snprintf(m->path, sizeof m->path, "%s", store);
    else snprintf(m->path, sizeof m->path, "/dev/shm/%s", store[0] == '/' ? store + 1 : store);
    int fd = open(m->path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) { snprintf(err, errlen, "%s: %s", m->path, strerror(errno)); return -1; }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file or shm object", m->path);
        close(fd);
        return -1;
    }
    if (sb.st_size == 0) {
        snprintf(err, errlen, "%s: empty (0 bytes)", m->path);
        close(fd);
        return -1;
    }
    void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "%s: mmap: %s", m->path, strerror(errno));
        close(fd);
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
static bool make_tombstone(uint8_t *s, uint32_t own_off)
{
    uint64_t *ep = (uint64_t *)(s + S_EPOCH);
    uint64_t e = __atomic_load_n(ep, __ATOMIC_ACQUIRE);
    /* even: lock it like a writer; odd: a stuck writer, take over its odd state */
    if (!(e & 1) && !__atomic_compare_exchange_n(ep, &e, e + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) return false;
    uint64_t odd = e | 1;
    __atomic_store_n((uint64_t *)(s + S_HASH), 0, __ATOMIC_RELEASE);
    memset(s + S_KEY, 0, KEY_MAX);
    __atomic_store_n((uint32_t *)(s + S_VLEN), 0, __ATOMIC_RELEASE);
    memcpy(s + S_VOFF, &own_off, 4);
    __atomic_store_n(s + S_TYPE, 1, __ATOMIC_RELEASE);
    __atomic_store_n(ep, odd + 1, __ATOMIC_RELEASE);
    return true;
}

size_t spl_fsck_repair(void *buf, size_t len, const struct spl_fsck_result *r, unsigned fixes,
                       void (*log)(const char *msg, void *arg), void *arg)
{
    if (!buf || !r->header_ok || len < HDR_SIZE || len < r->expected_size) return 0;
    if (((uintptr_t)buf & 7) != 0) return 0; /* the 64-bit fields must be naturally aligned for atomics */
    uint8_t *b = buf, *S = b + HDR_SIZE;
    size_t changes = 0;
    for (size_t i = 0; i < r->nfindings; i++) {
        const struct spl_fsck_finding *f = &r->findings[i];
        long k = f->slot;
        switch (f->code) {
        case SPL_FSCK_EPOCH_ODD:
            if ((fixes & SPL_FSCK_FIX_STUCK) && k >= 0 && (uint64_t)k < r->slots) {
                uint64_t *ep = (uint64_t *)(S + (uint64_t)k * r->slot_size + S_EPOCH);
                uint64_t e = __atomic_load_n(ep, __ATOMIC_ACQUIRE);
                if ((e & 1) && __atomic_compare_exchange_n(ep, &e, e + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
                    say(log, arg, "slot %ld: released stuck epoch %llu -> %llu", k, (unsigned long long)e,
                        (unsigned long long)e + 1);
                    changes++;
                }
            }
            break;
        case SPL_FSCK_KEY_UNTERMINATED:
        case SPL_FSCK_HASH_MISMATCH:
        case SPL_FSCK_VAL_LEN_RANGE:
        case SPL_FSCK_VAL_OUT_OF_ARENA:
        case SPL_FSCK_DUP_KEY:
            if ((fixes & SPL_FSCK_FIX_SLOTS) && k >= 0 && (uint64_t)k < r->slots) {
                if (make_tombstone(S + (uint64_t)k * r->slot_size, (uint32_t)((uint64_t)k * r->max_val_sz))) {
                    say(log, arg, "slot %ld: cleared (%s)", k, spl_fsck_code_name(f->code));
                    changes++;
                }
            }
            break;
        case SPL_FSCK_BUS_FIELDS:
        case SPL_FSCK_BUS_OWNER_STALE:
            if (fixes & SPL_FSCK_FIX_BUS) {
                __atomic_store_n((int32_t *)(b + H_BUS_FD), -1, __ATOMIC_RELEASE);
                __atomic_store_n((int32_t *)(b + H_BUS_PID), 0, __ATOMIC_RELEASE);
                say(log, arg, "event bus: owner reset to fd -1 pid 0");
                changes++;
            }
            break;
        case SPL_FSCK_BUS_DIRTY_RANGE:
            if (fixes & SPL_FSCK_FIX_BUS) {
                for (unsigned w = 0; w < MASK_WORDS; w++) {
                    unsigned first_bad = w * 64 < r->slots ? r->slots - w * 64 : 0;
                    if (first_bad >= 64) continue;
                    __atomic_fetch_and((uint64_t *)(b + H_BUS + 8 * w), ~(~0ULL << first_bad), __ATOMIC_ACQ_REL);
                }
                say(log, arg, "event bus: dirty bits beyond slot %u cleared", r->slots);
                changes++;
            }
            break;
        case SPL_FSCK_BID_INTENT:
        case SPL_FSCK_BID_OWNER_DEAD:
        case SPL_FSCK_BID_RESIDUE:
        case SPL_FSCK_BID_NO_PID:
            if ((fixes & SPL_FSCK_FIX_BIDS) && k >= 0 && k < NBIDS) {
                uint8_t *p = b + H_BIDS + BID_SIZE * k;
                memset(p + 4, 0, BID_SIZE - 4);
                __atomic_store_n((uint32_t *)p, 0, __ATOMIC_RELEASE);
                say(log, arg, "bid record %ld: emptied (%s)", k, spl_fsck_code_name(f->code));
                changes++;
            }
            break;
        default: break;
        }
    }
    return changes;
}
