/*
 * fsck_damage.c - plants one kind of damage in a fresh store and checks that
 * spl_fsck_image names it, with the right severity and verdict.
 *
 *   fsck_damage KIND              check one kind (meson runs one test per kind)
 *   fsck_damage KIND --write PATH also write the damaged image to PATH (CLI tests)
 *   fsck_damage --list            the kinds
 *
 * The healthy base store is made by the reference through its handle API
 * (a few keys, one deleted, one shard bid), so "clean"
 * here also means "what the reference writes is judged healthy".
 */
#include "fsck.h"
#include "storeview.h"
#include "splref.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { NSLOTS = 64, MAXV = 128 };

static uint8_t *img;
static size_t img_len;

static struct splinter_header *H(void) { return (struct splinter_header *)img; }
static struct splinter_slot *S(uint32_t i) { return (struct splinter_slot *)(img + SPLINTER_HEADER_SIZE) + i; }
static uint8_t *V(uint32_t off) { return img + SPLINTER_HEADER_SIZE + NSLOTS * SPLINTER_SLOT_SIZE + off; }

static long slot_of(const char *key)
{
    uint64_t h = spl_sv_fnv1a(key);
    for (uint32_t i = 0; i < NSLOTS; i++) {
        uint32_t idx = (uint32_t)((h % NSLOTS + i) % NSLOTS);
        if (S(idx)->hash == h && !strcmp(S(idx)->key, key)) return idx;
    }
    return -1;
}

static long virgin_slot(uint32_t from)
{
    for (uint32_t i = 0; i < NSLOTS; i++) {
        uint32_t idx = (from + i) % NSLOTS;
        if (S(idx)->hash == 0 && S(idx)->epoch == 0) return idx;
    }
    return -1;
}

static int make_base(char *path, size_t len)
{
    snprintf(path, len, "%s/fsck-damage-%d.spl", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
    unlink(path);
    splref_store *st = splref_create(SPLREF_BACKEND_FILE, path, NSLOTS, MAXV);
    if (!st) { perror("splref_create"); return -1; }
    char k[32], v[64];
    for (int i = 0; i < 12; i++) {
        snprintf(k, sizeof k, "key%d", i);
        snprintf(v, sizeof v, "value number %d", i);
        if (splref_set(st, k, v, strlen(v) + 1) != 0) { perror("splref_set"); return -1; }
    }
    splref_unset(st, "key3");
    splref_shard_claim_ex(st, 7, (uint32_t)getpid(), SPL_INTENT_WILLNEED, 3, 1000000, 1);
    splref_close(st);
    int fd = open(path, O_RDONLY);
    img_len = (size_t)lseek(fd, 0, SEEK_END);
    img = aligned_alloc(64, (img_len + 64 + 63) & ~(size_t)63);
    if (fd < 0 || pread(fd, img, img_len, 0) != (ssize_t)img_len) { perror(path); return -1; }
    close(fd);
    return 0;
}

/* A pid that is certainly not running: a child that has been reaped. */
static pid_t dead_pid(void)
{
    pid_t p = fork();
    if (p == 0) _exit(0);
    waitpid(p, NULL, 0);
    return p;
}

struct kind {
    const char *name;    /* damage, also the test name */
    const char *expect;  /* fsck code that must be reported */
    int sev;             /* severity it must carry */
    bool stuck;          /* run fsck in offline (--stuck) mode */
    bool check_pids;
    int (*plant)(void);
};

static int p_none(void) { return 0; }
static int p_truncated(void) { img_len -= 100; return 0; }
static int p_bad_magic(void) { H()->magic = 0xdeadbeef; return 0; }
static int p_bad_version(void) { H()->version = 3; return 0; }
static int p_bad_geometry(void) { H()->slots = 0; return 0; }
static int p_huge_geometry(void) { H()->slots = 1u << 20; H()->max_val_sz = 1u << 20; return 0; }
static int p_overflow_geometry(void) { H()->slots = 0xFFFFFFFFu; H()->max_val_sz = 0xFFFFFFFFu; return 0; }
static int p_trailing(void) { memset(img + img_len, 0, 64); img_len += 64; return 0; }
static int p_val_sz(void) { H()->val_sz = 12345; return 0; }
static int p_epoch_zero(void) { H()->epoch = 0; return 0; }
static int p_reserved(void) { H()->core_flags |= SPL_SYS_RESERVED_2; return 0; }
static int p_val_brk(void) { H()->val_brk = NSLOTS * MAXV + 8; return 0; }
static int p_bloom(void) { H()->bloom_watches[5] = 200; return 0; }
static int p_bus_fields(void) { H()->event_bus.owner_fd = -7; return 0; }
static int p_bus_stale(void) { H()->event_bus.owner_fd = 5; H()->event_bus.owner_pid = 0; return 0; }
static int p_bus_dead(void) { H()->event_bus.owner_fd = 5; H()->event_bus.owner_pid = dead_pid(); return 0; }
static int p_bus_dirty(void) { H()->event_bus.dirty_mask[3] = 1; return 0; } /* slot 192 of 64 */
static int p_bid_intent(void) { H()->shard_bids[0].intent = 9; return 0; }
static int p_bid_residue(void) { H()->shard_bids[5].pid = 42; return 0; }
static int p_bid_no_pid(void) { H()->shard_bids[0].pid = 0; return 0; }
static int p_bid_dead(void) { H()->shard_bids[0].pid = (uint32_t)dead_pid(); return 0; }
static int p_bid_dup(void) { H()->shard_bids[1] = H()->shard_bids[0]; return 0; }
static int p_key_unterm(void) { long i = slot_of("key1"); memset(S(i)->key, 'k', 64); return 0; }
static int p_hash(void) { long i = slot_of("key2"); S(i)->key[3] = '9'; return 0; }
static int p_val_len(void) { long i = slot_of("key4"); S(i)->val_len = MAXV + 1; return 0; }
static int p_out_of_arena(void) { long i = slot_of("key5"); S(i)->val_off = NSLOTS * MAXV - 4; return 0; }
static int p_overlap(void)
{
    long a = slot_of("key6"), b = slot_of("key7");
    S(a)->val_off = S(b)->val_off;
    return 0;
}
static int p_seed_biguint(void)
{
    /* the original's BIGUINT promotion: 8 bytes bump-allocated at val_brk 0 */
    long a = slot_of("key8");
    S(a)->val_off = 0;
    S(a)->val_len = 8;
    S(a)->type_flag = SPL_SLOT_TYPE_BIGUINT;
    H()->val_brk = 8;
    return 0;
}
static int p_biguint_overwrote(void)
{
    /* the same promotion when the bump pointer sits in another key's live
     * value: key8's counter really overwrites key2's first 8 bytes */
    long a = slot_of("key8"), b = slot_of("key2");
    S(a)->val_off = S(b)->val_off;
    S(a)->val_len = 8;
    S(a)->type_flag = SPL_SLOT_TYPE_BIGUINT;
    H()->val_brk = S(b)->val_off + 8;
    return 0;
}
static int p_epoch_odd(void) { long i = slot_of("key9"); S(i)->epoch |= 1; return 0; }
static int p_dup_key(void)
{
    long i = slot_of("key10"), j = virgin_slot((uint32_t)i);
    *S(j) = *S(i);
    S(j)->val_off = (uint32_t)j * MAXV;
    memcpy(V(S(j)->val_off), V(S(i)->val_off), S(i)->val_len);
    return 0;
}
static int p_unreachable(void)
{
    /* move a key two slots past its home and make home a never-used slot */
    for (int k = 0; k < 12; k++) {
        char key[16];
        snprintf(key, sizeof key, "key%d", k);
        long i = slot_of(key);
        if (i < 0) continue;
        uint32_t home = (uint32_t)(S(i)->hash % NSLOTS), p1 = (home + 1) % NSLOTS, p2 = (home + 2) % NSLOTS;
        if ((uint32_t)i != home || S(p1)->hash || S(p1)->epoch || S(p2)->hash || S(p2)->epoch) continue;
        *S(p2) = *S(i);
        S(p2)->val_off = p2 * MAXV;
        memcpy(V(p2 * MAXV), V(home * MAXV), MAXV);
        memset(S(i), 0, SPLINTER_SLOT_SIZE);
        S(i)->val_off = home * MAXV;
        S(i)->type_flag = SPL_SLOT_TYPE_VOID;
        memset(V(home * MAXV), 0, MAXV);
        return 0;
    }
    fprintf(stderr, "no key with two free slots after its home\n");
    return -1;
}
static int p_virgin_dirty(void) { long j = virgin_slot(0); S(j)->val_len = 5; return 0; }
static int p_tomb_dirty(void) { long i = -1; for (uint32_t s = 0; s < NSLOTS; s++) if (!S(s)->hash && S(s)->epoch) i = s; S(i)->key[0] = 'x'; return 0; }
static int p_orphan(void) { long j = virgin_slot(0); memcpy(V((uint32_t)j * MAXV), "leftover", 8); return 0; }
static int p_biguint_len(void) { long i = slot_of("key11"); S(i)->type_flag = SPL_SLOT_TYPE_BIGUINT; return 0; }
static int p_garbage(void)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < img_len; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; img[i] = (uint8_t)x; }
    return 0;
}

#define E SPL_FSCK_ERROR
#define W SPL_FSCK_WARNING
static const struct kind kinds[] = {
    {"clean", NULL, 0, true, true, p_none},
    {"truncated", "truncated", E, false, false, p_truncated},
    {"bad-magic", "bad-magic", E, false, false, p_bad_magic},
    {"bad-version", "bad-version", E, false, false, p_bad_version},
    {"bad-geometry", "bad-geometry", E, false, false, p_bad_geometry},
    {"huge-geometry", "truncated", E, false, false, p_huge_geometry},
    {"overflow-geometry", "bad-geometry", E, false, false, p_overflow_geometry},
    {"trailing-bytes", "trailing-bytes", W, false, false, p_trailing},
    {"val-sz-mismatch", "val-sz-mismatch", W, false, false, p_val_sz},
    {"global-epoch-zero", "global-epoch-zero", W, false, false, p_epoch_zero},
    {"reserved-flags", "reserved-flags", W, false, false, p_reserved},
    {"val-brk-range", "val-brk-range", E, false, false, p_val_brk},
    {"bloom-watch-range", "bloom-watch-range", E, false, false, p_bloom},
    {"bus-fields", "bus-fields", E, false, false, p_bus_fields},
    {"bus-owner-stale", "bus-owner-stale", W, false, false, p_bus_stale},
    {"bus-owner-dead", "bus-owner-stale", W, false, true, p_bus_dead},
    {"bus-dirty-range", "bus-dirty-range", W, false, false, p_bus_dirty},
    {"bid-intent", "bid-intent", E, false, false, p_bid_intent},
    {"bid-residue", "bid-residue", W, false, false, p_bid_residue},
    {"bid-no-pid", "bid-no-pid", W, false, false, p_bid_no_pid},
    {"bid-owner-dead", "bid-owner-dead", W, false, true, p_bid_dead},
    {"bid-duplicate", "bid-duplicate", W, false, false, p_bid_dup},
    {"key-unterminated", "key-unterminated", E, false, false, p_key_unterm},
    {"hash-mismatch", "hash-mismatch", E, false, false, p_hash},
    {"val-len-range", "val-len-range", E, false, false, p_val_len},
    {"val-out-of-arena", "val-out-of-arena", E, false, false, p_out_of_arena},
    {"value-overlap", "value-overlap", E, false, false, p_overlap},
    {"seed-biguint", "val-off-foreign", W, false, false, p_seed_biguint},
    {"biguint-overwrote", "value-overlap", E, false, false, p_biguint_overwrote},
    {"epoch-odd-live", "epoch-odd", W, false, false, p_epoch_odd},
    {"epoch-odd-stuck", "epoch-odd", E, true, false, p_epoch_odd},
    {"duplicate-key", "duplicate-key", E, false, false, p_dup_key},
    {"unreachable-key", "unreachable-key", E, false, false, p_unreachable},
    {"virgin-dirty", "virgin-dirty", W, false, false, p_virgin_dirty},
    {"tombstone-dirty", "tombstone-dirty", W, false, false, p_tomb_dirty},
    {"orphan-value", "orphan-value", W, false, false, p_orphan},
    {"biguint-len", "biguint-len", W, false, false, p_biguint_len},
    {"garbage", "bad-magic", E, false, false, p_garbage},
};

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "--list")) {
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) puts(kinds[i].name);
        return 0;
    }
    if (argc != 2 && !(argc == 4 && !strcmp(argv[2], "--write"))) {
        fprintf(stderr, "usage: fsck_damage KIND [--write PATH] | --list\n");
        return 2;
    }
    const struct kind *k = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kinds[i].name, argv[1])) k = &kinds[i];
    if (!k) { fprintf(stderr, "unknown damage '%s' (--list)\n", argv[1]); return 2; }
    char path[512];
    if (make_base(path, sizeof path) != 0) return 1;
    unlink(path);
    if (k->plant() != 0) return 1;
    if (argc == 4) {
        int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write(fd, img, img_len) != (ssize_t)img_len) { perror(argv[3]); return 1; }
        close(fd);
    }
    struct spl_fsck_opts o = SPL_FSCK_OPTS_INIT;
    o.stuck = k->stuck;
    o.check_pids = k->check_pids;
    struct spl_fsck_result r;
    int rc = spl_fsck_image(img, img_len, &o, &r);
    for (size_t i = 0; i < r.nfindings; i++)
        printf("# %s %s slot %ld: %s\n", spl_fsck_severity_name(r.findings[i].severity),
               spl_fsck_code_name(r.findings[i].code), r.findings[i].slot, r.findings[i].msg);
    int fail = 0;
    if (!k->expect) {
        if (rc != 0 || r.errors || r.warnings) {
            printf("not ok - the reference's healthy store: rc %d, %llu errors, %llu warnings\n", rc,
                   (unsigned long long)r.errors, (unsigned long long)r.warnings);
            fail = 1;
        }
    } else {
        int code = spl_fsck_code_parse(k->expect);
        bool seen = false, sev_ok = false;
        for (size_t i = 0; i < r.nfindings; i++)
            if ((int)r.findings[i].code == code) {
                seen = true;
                sev_ok |= (int)r.findings[i].severity == k->sev;
            }
        int want_rc = k->sev == E ? 1 : 0;
        /* a warning-only damage must not be reported as more than that */
        if (!seen) { printf("not ok - %s: fsck did not report %s\n", k->name, k->expect); fail = 1; }
        else if (!sev_ok) { printf("not ok - %s: %s reported with the wrong severity\n", k->name, k->expect); fail = 1; }
        else if (rc != want_rc) { printf("not ok - %s: verdict rc %d, want %d\n", k->name, rc, want_rc); fail = 1; }
    }
    if (!fail) printf("ok - %s%s%s\n", k->name, k->expect ? " reported as " : " store judged healthy", k->expect ? k->expect : "");
    spl_fsck_result_free(&r);
    free(img);
    return fail;
}
