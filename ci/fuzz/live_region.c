/*
 * live_region.c - a hostile writer mutates a live store while workers call
 * every function of the ABI on it; no worker may touch memory outside its
 * mapping, crash or hang.
 *
 * The file fuzzers (fuzz_open, fuzz_fsck) feed damaged images to an open.
 * This one attacks the running protocol: the store is already open and
 * validated when a peer process starts rewriting its header (geometry,
 * flags, label map), slots (hash, epoch, val_off, val_len, type, keys, the
 * retrain generation), the shard bids and their lock word, and the event
 * bus's owner fields, a few microseconds apart, from a seeded generator.
 * Most changes are undone after a while (nanoseconds to milliseconds), so
 * the workers keep making progress through sane states too.
 *
 *   - each worker maps the store between PROT_NONE guards (tests/hostile/
 *     peer.h): a read or write past the store faults and is reported with
 *     the call it was in;
 *   - a worker killed by a signal, or one whose call does not return within
 *     the run's grace time, is a finding with the call named;
 *   - the bus owner fields are pointed at descriptors of the orchestrator
 *     that are pipes (canaries); an implementation that writes its bus
 *     notifications into whatever descriptor the header names is caught by
 *     the bytes that arrive in them.
 *
 * usage: live-region [--impl SPEC] [--seconds S] [--workers N] [--seed X] [--no-bus-attack] [-v]
 *   --impl     implementation (lib/impl.h specs: ref, ref-file, mut:NAME, a .so); default ref
 *   --seconds  how long the peer mutates (default 10)
 *   --workers  processes calling the ABI (default 3)
 *   --seed     generator seed (default: from the clock, printed)
 *   --no-bus-attack  leave the bus owner fields alone (to tell other findings apart)
 * Exit 0 SUCCESS, 1 FAILURE (a finding), 2 usage, 77 the implementation
 * cannot run here. ci/sanitize.sh asan runs it under AddressSanitizer.
 */
#include "impl.h"
#include "peer.h"
#include "proc.h"
#include "storeview.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* 5440 + 64 x (128 + 171) = 24576: the store ends on a page boundary, so
 * the first byte past it is a guard byte */
enum { SLOTS = 64, MAXVAL = 171, NKEYS = 40, MAXW = 8, NCANARY = 4 };

/* The ABI calls a worker makes; the index is what it records while inside. */
#define LR_OPS(X)                                                                                      \
    X(set) X(get) X(unset) X(append) X(list) X(poll) X(raw_ptr) X(set_as_system) X(header_snapshot)    \
    X(slot_snapshot) X(named_type) X(slot_time) X(integer_op) X(get_epoch) X(bump) X(retrain)          \
    X(label) X(tandem) X(watch) X(watch_label) X(pulse_keygroup) X(signal_count) X(enumerate)          \
    X(bus_open) X(bus_dirty) X(shard) X(election) X(shard_snapshot) X(madvise) X(mop) X(purge)         \
    X(flush) X(embedding) X(reopen)
enum lr_op {
#define LR_ENUM(n) OP_##n,
    LR_OPS(LR_ENUM)
#undef LR_ENUM
    OP__COUNT
};
static const char *const op_names[] = {
#define LR_NAME(n) #n,
    LR_OPS(LR_NAME)
#undef LR_NAME
};

/* Shared with the children, outside the store (a hostile peer cannot reach it). */
struct lr_shared {
    _Atomic uint32_t stop;
    _Atomic uint32_t ready;
    _Atomic uint32_t go; /* the peer is running: the workers start */
    struct {
        _Atomic int32_t op; /* the call the worker is in, -1 between calls */
        _Atomic uint64_t calls, by_op[OP__COUNT];
    } w[MAXW];
    _Atomic uint64_t mutations;
};

static struct spl_impl g_im;
static struct lr_shared *g_sh;
static char g_store[512];
static int g_canary[NCANARY]; /* write ends, at fixed numbers; the read ends stay with the orchestrator */
static int g_canary_rd[NCANARY];
static pid_t g_orch;
static uint64_t g_seed;
static bool g_bus_attack = true;

static char g_keys[NKEYS][SPLINTER_KEY_MAX];

static void make_keys(void)
{
    for (int i = 0; i < NKEYS; i++) {
        if (i % 8 == 7) { /* the longest keys: every byte of the key field used */
            memset(g_keys[i], 'a' + i % 26, SPLINTER_KEY_MAX - 1);
            g_keys[i][0] = (char)('0' + i / 10);
            g_keys[i][1] = (char)('0' + i % 10);
        } else {
            snprintf(g_keys[i], sizeof g_keys[i], "k%d", i);
        }
    }
}

/* ---- the workers ------------------------------------------------------------ */

static volatile uint64_t g_sink; /* keeps reads of handed-out bytes from being optimised away */

static void on_key(const char *key, uint64_t epoch, void *data)
{
    (void)data;
    /* a caller reads the key it is handed, up to its terminator */
    g_sink += strnlen(key, SPLINTER_KEY_MAX) + epoch;
}

static void one_call(struct spl_rng *r, int wid, enum lr_op op)
{
    struct spl_impl *im = &g_im;
    const char *k = g_keys[spl_rng_below(r, NKEYS)];
    uint8_t buf[MAXVAL + 64];
    size_t n = 0, len = 1 + spl_rng_below(r, MAXVAL);
    memset(buf, 'a' + wid, sizeof buf);
    switch (op) {
    case OP_set: im->set(k, buf, len); break;
    case OP_get: im->get(k, buf, spl_rng_below(r, 2) ? sizeof buf : 4, &n); break;
    case OP_unset: im->unset(k); break;
    case OP_append: im->append(k, buf, 1 + spl_rng_below(r, 24), &n); break;
    case OP_list: {
        char *keys[SLOTS];
        if (im->list(keys, SLOTS, &n) == 0)
            for (size_t i = 0; i < n && i < SLOTS; i++) g_sink += strnlen(keys[i], SPLINTER_KEY_MAX);
        break;
    }
    case OP_poll: im->poll(k, spl_rng_below(r, 2)); break;
    case OP_raw_ptr: {
        uint64_t e;
        const volatile uint8_t *p = im->get_raw_ptr(k, &n, &e);
        /* the client reads the bytes it was handed */
        if (p)
            for (size_t i = 0; i < n && i < 1u << 20; i++) g_sink += p[i];
        break;
    }
    case OP_set_as_system: if (im->set_as_system) im->set_as_system(k); break;
    case OP_header_snapshot: {
        splinter_header_snapshot_t h;
        im->get_header_snapshot(&h);
        break;
    }
    case OP_slot_snapshot: {
        splinter_slot_snapshot_t s;
        im->get_slot_snapshot(k, &s);
        break;
    }
    case OP_named_type: im->set_named_type(k, (uint16_t)(1u << spl_rng_below(r, 8))); break;
    case OP_slot_time: im->set_slot_time(k, (unsigned short)spl_rng_below(r, 2), spl_rng_next(r), spl_rng_below(r, 64)); break;
    case OP_integer_op: {
        uint64_t m = spl_rng_next(r);
        im->integer_op(k, (splinter_integer_op_t)spl_rng_below(r, 6), &m);
        break;
    }
    case OP_get_epoch: g_sink += im->get_epoch(k); break;
    case OP_bump: im->bump_slot(k); break;
    case OP_retrain: im->retrain_slot(k); break;
    case OP_label:
        if (spl_rng_below(r, 2)) im->set_label(k, spl_rng_next(r));
        else im->unset_label(k, spl_rng_next(r));
        break;
    case OP_tandem: {
        const void *vals[3] = {buf, buf, buf};
        size_t lens[3] = {len, 3, 7};
        if (spl_rng_below(r, 2)) im->client_set_tandem(k, vals, lens, (uint8_t)spl_rng_below(r, 4));
        else im->client_unset_tandem(k, (uint8_t)spl_rng_below(r, 4));
        break;
    }
    case OP_watch:
        if (spl_rng_below(r, 2)) im->watch_register(k, (uint8_t)spl_rng_below(r, 64));
        else im->watch_unregister(k, (uint8_t)spl_rng_below(r, 64));
        break;
    case OP_watch_label: im->watch_label_register(spl_rng_next(r), (uint8_t)spl_rng_below(r, 64)); break;
    case OP_pulse_keygroup: im->pulse_keygroup(k); break;
    case OP_signal_count: g_sink += im->get_signal_count((uint8_t)spl_rng_below(r, 64)); break;
    case OP_enumerate: im->enumerate_matches(spl_rng_below(r, 4) ? 0 : spl_rng_next(r), on_key, NULL); break;
    case OP_bus_open: {
        if (!im->event_bus_open) break;
        int fd = wid == 0 && spl_rng_below(r, 8) == 0 && im->event_bus_init ? im->event_bus_init() : im->event_bus_open();
        if (fd >= 0 && im->event_bus_wait) im->event_bus_wait(fd, 0);
        if (fd > 2 && im->event_bus_close) im->event_bus_close(fd);
        break;
    }
    case OP_bus_dirty: {
        uint64_t d[SPLINTER_EVENT_BUS_MASK_WORDS];
        if (im->event_bus_get_dirty) im->event_bus_get_dirty(d, SPLINTER_EVENT_BUS_MASK_WORDS);
        break;
    }
    case OP_shard: {
        uint32_t id = 1 + (uint32_t)spl_rng_below(r, 40);
        switch (spl_rng_below(r, 3)) {
        case 0: im->shard_claim(id, (uint8_t)spl_rng_below(r, 5), (uint8_t)spl_rng_below(r, 256), spl_rng_next(r) >> 20); break;
        case 1: im->shard_rebid(id, (uint8_t)spl_rng_below(r, 5), (uint8_t)spl_rng_below(r, 256), spl_rng_next(r) >> 20); break;
        default: im->shard_release(id); break;
        }
        break;
    }
    case OP_election: {
        uint8_t it;
        im->shard_election(&it);
        im->shard_is_sovereign(1 + (uint32_t)spl_rng_below(r, 40));
        break;
    }
    case OP_shard_snapshot: {
        struct splinter_shard_bid_snapshot s[SPLINTER_MAX_SHARDS];
        im->shard_table_snapshot(s, SPLINTER_MAX_SHARDS);
        break;
    }
    case OP_madvise: if (im->madvise) im->madvise(1 + (uint32_t)spl_rng_below(r, 40), NULL, 0, POSIX_MADV_NORMAL, 0); break;
    case OP_mop:
        if (spl_rng_below(r, 2)) im->set_mop((unsigned)spl_rng_below(r, 4));
        else im->get_mop();
        break;
    case OP_purge: im->purge(); break;
    case OP_flush: if (im->flush && g_im.backend == SPL_BACKEND_FILE) im->flush((int)spl_rng_below(r, 3)); break;
    case OP_embedding:
        if (im->set_embedding && im->get_embedding) {
            static float v[SPLINTER_EMBED_DIM];
            if (spl_rng_below(r, 2)) im->set_embedding(k, v);
            else im->get_embedding(k, v);
        }
        break;
    case OP_reopen: /* a header the peer broke is refused: the peer puts it back often */
        for (int t = 0; t < 2000 && im->open(g_store) != 0; t++) spl_nap(100000);
        break;
    case OP__COUNT: break;
    }
}

static int worker(void *arg)
{
    int wid = (int)(intptr_t)arg;
    char err[512];
    if (spl_impl_attach(&g_im, err, sizeof err) != 0) {
        fprintf(stderr, "live-region: worker %d: %s\n", wid, err);
        return 2;
    }
    peer_handlers_install();
    peer_guard_on();
    if (g_im.open(g_store) != 0) {
        fprintf(stderr, "live-region: worker %d: open: %s\n", wid, strerror(errno));
        return 2;
    }
    if (wid == 0 && g_im.event_bus_init) g_im.event_bus_init(); /* the bus owner */
    struct spl_rng r;
    spl_rng_seed(&r, g_seed * 0x9E3779B97F4A7C15ull + (uint64_t)wid + 1);
    atomic_fetch_add(&g_sh->ready, 1);
    while (!atomic_load(&g_sh->go) && !atomic_load(&g_sh->stop)) spl_nap(100000);
    while (!atomic_load_explicit(&g_sh->stop, memory_order_relaxed)) {
        enum lr_op op = (enum lr_op)spl_rng_below(&r, OP__COUNT);
        if (op == OP_reopen && spl_rng_below(&r, 16)) op = OP_get; /* rare: it may leave us without a store */
        atomic_store_explicit(&g_sh->w[wid].op, (int32_t)op, memory_order_relaxed);
        one_call(&r, wid, op);
        atomic_store_explicit(&g_sh->w[wid].op, -1, memory_order_relaxed);
        atomic_fetch_add_explicit(&g_sh->w[wid].calls, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&g_sh->w[wid].by_op[op], 1, memory_order_relaxed);
    }
    return 0;
}

/* ---- the hostile peer -------------------------------------------------------- */

/* A value for a 32-bit field: the real one nearby, a boundary, or anything. */
static uint32_t hostile32(struct spl_rng *r, uint32_t real)
{
    switch (spl_rng_below(r, 8)) {
    case 0: return 0;
    case 1: return 0xFFFFFFFFu;
    case 2: return 0x80000000u;
    case 3: return real + (uint32_t)spl_rng_below(r, 64) - 32;
    case 4: return real * 2 + 1;
    case 5: return (uint32_t)(SLOTS * MAXVAL - spl_rng_below(r, 2 * MAXVAL)); /* near the arena's end */
    default: return (uint32_t)spl_rng_next(r);
    }
}

/* A change the peer has made and will undo: what was there, and when. */
struct change {
    size_t off, width;
    uint8_t before[8];
    uint64_t until; /* spl_time_ns */
};
enum { MAX_CHANGES = 32 };

/* Chooses a field and a hostile value for it. false: nothing to do. */
static bool pick_change(struct spl_rng *r, struct spl_storeview *v, size_t *out_off, size_t *out_width, uint64_t *out_val,
                        bool *validated)
{
    uint8_t *b = v->base;
    size_t off = 0, width = 4;
    uint64_t val = 0;
    /* the fields that feed addresses and lengths most often */
    static const uint8_t kinds[] = {0, 1, 2, 3, 4, 5, 6, 6, 6, 6, 7, 7, 7, 8, 8, 9, 10, 10, 11, 12, 13, 13};
    unsigned kind = kinds[spl_rng_below(r, sizeof kinds)];
    /* mostly the slot of one of the workers' keys: that is where their calls go */
    long si = spl_rng_below(r, 4) ? spl_sv_find(v, g_keys[spl_rng_below(r, NKEYS)]) : -1;
    if (si < 0) si = (long)spl_rng_below(r, SLOTS);
    struct splinter_slot *s = (struct splinter_slot *)(v->slot_table + (size_t)si * v->slot_size);
    size_t so = (size_t)((uint8_t *)s - b);
    switch (kind) {
    case 0: off = offsetof(struct splinter_header, slots); val = hostile32(r, SLOTS); break;
    case 1: off = offsetof(struct splinter_header, max_val_sz); val = hostile32(r, MAXVAL); break;
    case 2: off = spl_rng_below(r, 2) ? offsetof(struct splinter_header, magic) : offsetof(struct splinter_header, version); val = spl_rng_next(r); break;
    case 3: off = offsetof(struct splinter_header, core_flags); width = 1; val = spl_rng_next(r); break;
    case 4: off = offsetof(struct splinter_header, bloom_watches) + spl_rng_below(r, 64); width = 1; val = spl_rng_next(r); break;
    case 5: /* the shard bids and whatever follows them in the header (the reference's lock word) */
        off = offsetof(struct splinter_header, event_bus) + sizeof(v->H->event_bus) +
              spl_rng_below(r, SPLINTER_HEADER_SIZE - offsetof(struct splinter_header, event_bus) - sizeof(v->H->event_bus) - 8);
        off &= ~(size_t)3;
        val = spl_rng_below(r, 2) ? spl_rng_next(r) : (uint64_t)getppid();
        break;
    case 6: off = so + offsetof(struct splinter_slot, val_off); val = hostile32(r, (uint32_t)(s - (struct splinter_slot *)v->slot_table) * MAXVAL); break;
    case 7: off = so + offsetof(struct splinter_slot, val_len); val = hostile32(r, 8); break;
    case 8: off = so + offsetof(struct splinter_slot, epoch); width = 8; val = spl_rng_below(r, 2) ? spl_rng_next(r) : (uint64_t)(*(uint64_t *)(b + off)) | 1; break;
    case 9: off = so + offsetof(struct splinter_slot, hash); width = 8; val = spl_rng_below(r, 3) ? 0 : spl_rng_next(r); break;
    case 10: /* a key byte: often the terminator */
        off = so + offsetof(struct splinter_slot, key) + (spl_rng_below(r, 2) ? SPLINTER_KEY_MAX - 1 : spl_rng_below(r, SPLINTER_KEY_MAX));
        width = 1;
        val = 'A' + spl_rng_below(r, 26);
        break;
    case 11: off = so + offsetof(struct splinter_slot, type_flag) + spl_rng_below(r, 12); width = 1; val = spl_rng_next(r); break;
    case 12: off = so + offsetof(struct splinter_slot, watcher_mask) + 8 * spl_rng_below(r, 4); width = 8; val = spl_rng_next(r); break;
    default:
        if (!g_bus_attack) return false;
        /* the bus owner: a pipe of the orchestrator's instead of an eventfd,
         * or nonsense */
        off = offsetof(struct splinter_header, event_bus.owner_fd);
        width = 8; /* owner_fd, then owner_pid */
        if (spl_rng_below(r, 2)) {
            int32_t f[2] = {(int32_t)g_canary[spl_rng_below(r, NCANARY)], (int32_t)g_orch};
            memcpy(&val, f, 8);
        } else { /* no such process, or nonsense (never a process outside this run) */
            int32_t f[2] = {(int32_t)spl_rng_below(r, 64) - 1, spl_rng_below(r, 2) ? 0 : -1};
            memcpy(&val, f, 8);
        }
        break;
    }
    if (off + width > v->size) return false;
    *out_off = off, *out_width = width, *out_val = val;
    /* fields open checks: they always go back, so a reopen works again soon */
    *validated = kind == 0 || kind == 1 || kind == 2 || kind == 6 || kind == 7 || kind == 10;
    return true;
}

/* The peer keeps up to MAX_CHANGES changes in force at once, each for its
 * own time: about half for a few hundred nanoseconds (races with a call in
 * progress), most of the rest for 50 us to 1 ms (calls run into them), a few
 * for up to 10 ms; one in sixteen of the fields open does not check stays,
 * as a peer that died mid-write would leave it (an odd epoch, a lost hash,
 * flags). Changes never overlap, so undoing them restores the bytes. */
static bool mutate_step(struct spl_rng *r, struct spl_storeview *v, struct change *ch, int *nch)
{
    uint64_t now = spl_time_ns();
    for (int i = 0; i < *nch;) {
        if (ch[i].until <= now) {
            memcpy(v->base + ch[i].off, ch[i].before, ch[i].width);
            ch[i] = ch[--*nch];
        } else {
            i++;
        }
    }
    if (*nch == MAX_CHANGES) return false;
    size_t off, width;
    uint64_t val;
    bool validated;
    if (!pick_change(r, v, &off, &width, &val, &validated)) return false;
    for (int i = 0; i < *nch; i++)
        if (off < ch[i].off + ch[i].width && ch[i].off < off + width) return false;
    struct change *c = &ch[(*nch)++];
    c->off = off, c->width = width;
    memcpy(c->before, v->base + off, width);
    memcpy(v->base + off, &val, width);
    unsigned how = (unsigned)spl_rng_below(r, 16);
    if (how < 8) { /* a race with a call in progress: undone at once */
        for (volatile int spin = (int)spl_rng_below(r, 2000); spin > 0; spin--) {}
        memcpy(v->base + off, c->before, width);
        (*nch)--;
    } else if (how < 14) c->until = now + 50000 + spl_rng_below(r, 950000);
    else if (how == 14 || validated) c->until = now + 1000000 + spl_rng_below(r, 9000000);
    else (*nch)--; /* it stays: nothing to undo */
    return true;
}

static int mutator(void *arg)
{
    (void)arg;
    uint64_t seed = g_seed ^ 0xA5A5A5A5A5A5A5A5ull;
    struct spl_storeview v;
    char path[600];
    spl_impl_store_path(&g_im, g_store, path, sizeof path);
    if (spl_sv_open(&v, path, SPL_SV_WRITE | SPL_SV_ANY_HEADER | SPL_SV_ANY_SIZE) != 0) {
        fprintf(stderr, "live-region: peer: map %s: %s\n", path, strerror(errno));
        return 2;
    }
    struct spl_rng r;
    spl_rng_seed(&r, seed);
    struct change ch[MAX_CHANGES];
    int nch = 0;
    while (!atomic_load_explicit(&g_sh->stop, memory_order_relaxed)) {
        if (mutate_step(&r, &v, ch, &nch) &&
            atomic_fetch_add_explicit(&g_sh->mutations, 1, memory_order_relaxed) == 1000)
            atomic_store(&g_sh->go, 1);
        if (spl_rng_below(&r, 8) == 0) sched_yield();
    }
    spl_sv_close(&v);
    return 0;
}

static int populate(void *arg)
{
    (void)arg;
    char err[512];
    if (spl_impl_attach(&g_im, err, sizeof err) != 0) { fprintf(stderr, "live-region: %s\n", err); return 2; }
    if (g_im.create(g_store, SLOTS, MAXVAL) != 0) {
        fprintf(stderr, "live-region: create %s: %s\n", g_store, strerror(errno));
        return 77;
    }
    for (int i = 0; i < NKEYS; i += 2) g_im.set(g_keys[i], g_keys[i], strlen(g_keys[i]));
    g_im.close();
    return 0;
}

/* ---- the orchestrator ---------------------------------------------------------- */

static int usage(void)
{
    fprintf(stderr, "usage: live-region [--impl SPEC] [--seconds S] [--workers N] [--seed X] [--no-bus-attack] [-v]\n");
    return SPL_EXIT_USAGE;
}

/* Canary pipes at fixed descriptor numbers: the bus owner fields are
 * pointed at them, and nothing may ever arrive. */
static int make_canaries(void)
{
    for (int i = 0; i < NCANARY; i++) {
        int p[2];
        if (pipe2(p, O_NONBLOCK) != 0) return -1;
        g_canary_rd[i] = p[0];
        g_canary[i] = fcntl(p[1], F_DUPFD, 40 + i);
        close(p[1]);
        if (g_canary[i] < 0) return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *spec = "ref";
    double secs = 10;
    unsigned nworkers = 3;
    uint64_t seed = spl_time_ns();
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "-v")) { verbose = true; continue; }
        if (!strcmp(a, "--no-bus-attack")) { g_bus_attack = false; continue; }
        if (!val) return usage();
        if (!strcmp(a, "--impl")) spec = val;
        else if (!strcmp(a, "--seconds")) { secs = strtod(val, &end); if (*end || secs <= 0 || secs > 86400) return usage(); }
        else if (!strcmp(a, "--workers")) { nworkers = (unsigned)strtoul(val, &end, 10); if (*end || !nworkers || nworkers > MAXW) return usage(); }
        else if (!strcmp(a, "--seed")) { seed = strtoull(val, &end, 0); if (*end) return usage(); }
        else return usage();
        i++;
    }
    char err[1024];
    int rc = spl_impl_load(spec, &g_im, err, sizeof err);
    if (rc != 0) { fprintf(stderr, "live-region: %s\n", err); return rc; }
    g_orch = getpid();
    g_seed = seed;
    make_keys();
    g_sh = spl_shared_alloc(sizeof *g_sh);
    if (!g_sh || make_canaries() != 0) { perror("live-region: setup"); return SPL_EXIT_FAIL; }
    for (unsigned i = 0; i < MAXW; i++) atomic_store(&g_sh->w[i].op, -1);
    spl_impl_store_name(&g_im, "live", g_store, sizeof g_store);
    spl_impl_store_remove(&g_im, g_store);
    spl_interrupt_catch();
    printf("live-region: %s (%s backend), %u workers, hostile peer for %.0f s, seed %llu\n", g_im.label,
           g_im.backend == SPL_BACKEND_FILE ? "file" : "shm", nworkers, secs, (unsigned long long)seed);
    fflush(stdout);

    struct spl_proc_end e;
    pid_t p = spl_proc_run(populate, NULL, SPL_PROC_WORKER);
    spl_proc_reap(&p, 1, spl_time_ns() + 30 * (1000 * NS_PER_MS), &e);
    if (!e.exited || e.code != 0) {
        spl_impl_store_remove(&g_im, g_store);
        fprintf(stderr, "live-region: the store could not be made (%s)\n", spl_proc_describe(&e, 0, err, sizeof err));
        return e.exited && e.code == 77 ? SPL_EXIT_SKIP : SPL_EXIT_FAIL;
    }
    pid_t pids[MAXW + 1];
    for (unsigned i = 0; i < nworkers; i++) pids[i] = spl_proc_run(worker, (void *)(intptr_t)i, SPL_PROC_WORKER);
    uint64_t t0 = spl_time_ns();
    while (atomic_load(&g_sh->ready) < nworkers && spl_time_ns() - t0 < 10 * (1000 * NS_PER_MS) && !spl_interrupted()) spl_nap(NS_PER_MS);
    pids[nworkers] = spl_proc_run(mutator, NULL, SPL_PROC_WORKER);
    t0 = spl_time_ns();
    spl_nap((uint64_t)(secs * 1e9));
    /* calls in progress now: the ones that will not return are the hangs */
    int32_t last_op[MAXW];
    for (unsigned i = 0; i < nworkers; i++) last_op[i] = atomic_load(&g_sh->w[i].op);
    atomic_store(&g_sh->stop, 1);
    /* grace: a writer may wait out a slot the peer left odd (a dead writer's
     * bound, 100 ms in the reference) on each of several retries */
    struct spl_proc_end ends[MAXW + 1];
    spl_proc_reap(pids, nworkers + 1, spl_time_ns() + 10 * (1000 * NS_PER_MS), ends);
    double ran = (double)(spl_time_ns() - t0) / 1e9;
    spl_impl_store_remove(&g_im, g_store);

    int findings = 0;
    uint64_t calls = 0, by_op[OP__COUNT] = {0};
    for (unsigned i = 0; i < nworkers; i++) {
        calls += atomic_load(&g_sh->w[i].calls);
        for (int o = 0; o < OP__COUNT; o++) by_op[o] += atomic_load(&g_sh->w[i].by_op[o]);
        int32_t op = atomic_load(&g_sh->w[i].op);
        if (ends[i].exited && ends[i].code == 0) continue;
        const char *in = op >= 0 && op < OP__COUNT ? op_names[op] : "(between calls)";
        findings++;
        if (ends[i].exited && ends[i].code == PEER_EXIT_WILD)
            printf("FINDING worker %u touched memory outside its store mapping in %s\n", i, in);
        else if (ends[i].killed)
            printf("FINDING worker %u hung in %s (it was in %s when the peer stopped; killed 10 s later)\n", i, in,
                   last_op[i] >= 0 ? op_names[last_op[i]] : "no call");
        else
            printf("FINDING worker %u %s in %s\n", i, spl_proc_describe(&ends[i], ran, err, sizeof err), in);
    }
    if (!ends[nworkers].exited || ends[nworkers].code != 0) {
        printf("ERROR the hostile peer itself ended badly: %s\n", spl_proc_describe(&ends[nworkers], ran, err, sizeof err));
        findings++;
    }
    for (int i = 0; i < NCANARY; i++) {
        char junk[256];
        ssize_t got = read(g_canary_rd[i], junk, sizeof junk);
        if (got > 0) {
            printf("FINDING %zd bytes arrived in the orchestrator's pipe (fd %d) that the peer named as the event bus: "
                   "a worker wrote bus notifications into a descriptor that is not an eventfd\n", got, g_canary[i]);
            findings++;
        }
    }
    uint64_t mut = atomic_load(&g_sh->mutations);
    printf("live-region: %llu calls by %u workers, %llu mutations in %.1f s\n", (unsigned long long)calls, nworkers,
           (unsigned long long)mut, ran);
    if (verbose)
        for (int o = 0; o < OP__COUNT; o++) printf("  %-16s %llu\n", op_names[o], (unsigned long long)by_op[o]);
    if (spl_interrupted()) {
        printf("live-region: INTERRUPTED\n");
        return spl_interrupt_status();
    }
    if (!findings && calls < 100) {
        printf("live-region: FAILURE: only %llu calls completed: the run checked nothing\n", (unsigned long long)calls);
        return SPL_EXIT_FAIL;
    }
    printf("live-region: %s (%d finding%s; seed %llu)\n", findings ? "FAILURE" : "SUCCESS", findings,
           findings == 1 ? "" : "s", (unsigned long long)seed);
    return findings ? SPL_EXIT_FAIL : SPL_EXIT_OK;
}
