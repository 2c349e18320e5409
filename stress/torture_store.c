/*
 * torture_store.c - the supervisor's own view of the store, and the store
 * actions it delegates to short-lived children (populate, medic).
 *
 * The supervisor never opens the store through the implementation: it maps
 * the bytes read-only (epochs for stuck-slot detection, fsck checkpoints,
 * the post-crash audit) and forks a child for anything that must go through
 * the implementation, so a crashing implementation costs a child, never the
 * run, and the dlopen'ed library stays pristine for the workers.
 */
#include "fsck.h"
#include "payload.h"
#include "proc.h"
#include "storeview.h"
#include "torture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void tt_key_name(uint32_t k, char *buf, size_t len) { snprintf(buf, len, "tort.%u", k); }

uint32_t tt_owner(const struct tt_ctx *c, uint32_t key) { return key % c->o.nkind[TT_WRITER]; }

void tt_fail(struct tt_shared *sh, const char *fmt, ...)
{
    TT_INC(sh, failures);
    int expected = 0;
    if (!atomic_compare_exchange_strong(&sh->failed, &expected, 1)) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sh->first_failure, sizeof sh->first_failure, fmt, ap);
    va_end(ap);
    atomic_store(&sh->failed, 2); /* message complete */
}

int tt_map_store(struct tt_ctx *c, char *err, size_t errlen)
{
    /* any header and size: after a crash the checks below and fsck say what is wrong */
    if (spl_sv_open(&c->view, c->path, SPL_SV_ANY_HEADER | SPL_SV_ANY_SIZE) != 0) {
        snprintf(err, errlen, "%s: %s", c->path,
                 errno == EBADMSG ? "not a store (shorter than a header, or a zero or overflowing geometry)"
                                  : strerror(errno));
        return -1;
    }
    c->map = c->view.base;
    c->map_len = c->view.size;
    return 0;
}

void tt_unmap_store(struct tt_ctx *c)
{
    if (c->map) spl_sv_close(&c->view);
    c->map = NULL;
    c->map_len = 0;
}

uint64_t tt_slot_epoch(const struct tt_ctx *c, uint32_t key)
{
    const struct splinter_slot *s = spl_sv_slot(&c->view, c->slot_of[key]);
    return s ? atomic_load_explicit(&((struct splinter_slot *)s)->epoch, memory_order_acquire) : 0;
}

/* The geometry the run asked for, and a region that holds all of it. */
int tt_check_geometry(struct tt_ctx *c, char *err, size_t errlen)
{
    struct spl_sv_geometry g;
    if (spl_sv_geometry(c->map, c->map_len, SPL_SV_ANY_HEADER, &g) != 0) memset(&g, 0, sizeof g);
    uint32_t want = c->o.slots ? c->o.slots : 2 * c->o.keys;
    if (g.slots != want || g.max_val != c->o.max_size || g.expected_size > c->map_len || !g.expected_size) {
        snprintf(err, errlen, "%s: header says %u slots x %u bytes in %zu bytes, the store was made %u x %u", c->path,
                 g.slots, g.max_val, c->map_len, want, c->o.max_size);
        return -1;
    }
    return 0;
}

/* Locates each key's slot from the bytes (FNV-1a + linear probing), trusting
 * the header only as far as the mapped length allows. */
int tt_find_slots(struct tt_ctx *c, char *err, size_t errlen)
{
    struct spl_sv_geometry g;
    if (spl_sv_geometry(c->map, c->map_len, SPL_SV_ANY_HEADER, &g) != 0 || g.expected_size > c->map_len) {
        snprintf(err, errlen, "%s: geometry %u x %u needs more than its %zu bytes", c->path, c->view.slots,
                 c->view.max_val, c->map_len);
        return -1;
    }
    char key[32];
    for (uint32_t k = 0; k < c->sh->nkeys; k++) {
        tt_key_name(k, key, sizeof key);
        long found = spl_sv_find(&c->view, key);
        if (found < 0) { snprintf(err, errlen, "key %s not found in the store's bytes", key); return -1; }
        c->slot_of[k] = (uint32_t)found;
    }
    return 0;
}

/* What the bytes hold for key k: epoch and a payload verdict. */
struct tt_audit { uint64_t epoch, seq; enum spl_payload_verdict v; uint32_t writer; bool found; };

static struct tt_audit audit_key(const struct tt_ctx *c, uint32_t k)
{
    struct tt_audit a = {.v = SPL_PAYLOAD_SHORT};
    const struct spl_storeview *v = &c->view;
    char key[32];
    tt_key_name(k, key, sizeof key);
    uint64_t h = spl_sv_fnv1a(key);
    for (uint32_t i = 0; v->slots && i < v->slots; i++) {
        uint32_t idx = (uint32_t)((h % v->slots + i) % v->slots);
        struct splinter_slot *s = spl_sv_slot(v, idx);
        if (!s) break; /* past a truncated image */
        uint64_t sh = atomic_load(&s->hash), e = atomic_load(&s->epoch);
        if (sh == 0 && e == 0) break;
        if (sh != h || strncmp(s->key, key, SPLINTER_KEY_MAX - 1) != 0) continue;
        a.found = true;
        a.epoch = e;
        size_t len;
        const uint8_t *val = spl_sv_value(v, idx, &len);
        if (!val || len > v->max_val) { a.v = SPL_PAYLOAD_SHORT; return a; }
        struct spl_payload_info in;
        a.v = spl_payload_check(val, len, k, &in);
        a.seq = in.seq;
        a.writer = in.writer;
        return a;
    }
    return a;
}

/* ---- children ------------------------------------------------------------ */

struct child_job { struct tt_ctx *c; const uint32_t *keys; size_t n; };

static int populate_child(void *arg, char *msg)
{
    struct child_job *j = arg;
    struct tt_ctx *c = j->c;
    uint32_t slots = c->o.slots ? c->o.slots : 2 * c->o.keys;
    if (spl_impl_attach(&c->im, msg, SPL_MSG_MAX) != 0) return 1;
    if (c->im.create(c->store, slots, c->o.max_size) != 0) {
        snprintf(msg, SPL_MSG_MAX, "splinter_create(%s, %u, %u): %s", c->store, slots, c->o.max_size, strerror(errno));
        return 1;
    }
    uint8_t *buf = malloc(c->o.max_size);
    if (!buf) { snprintf(msg, SPL_MSG_MAX, "out of memory"); return 1; }
    char key[32];
    for (uint32_t k = 0; k < c->o.keys; k++) {
        tt_key_name(k, key, sizeof key);
        uint32_t len = c->o.min_size;
        spl_payload_make(buf, len, k, tt_owner(c, k), 1);
        if (c->im.set(key, buf, len) != 0) {
            snprintf(msg, SPL_MSG_MAX, "initial set(%s): %s", key, strerror(errno));
            free(buf);
            return 1;
        }
    }
    free(buf);
    if (c->durability && c->im.flush(c->o.flush_strategy) != 0) {
        snprintf(msg, SPL_MSG_MAX, "initial flush: %s", strerror(errno));
        return 1;
    }
    c->im.close();
    return 0;
}

/* Runs fn in a child with a deadline; 0, or -1 with what went wrong in err. */
static int in_child(int (*fn)(void *, char *), struct child_job *j, uint64_t timeout_ns, const char *what, char *err,
                    size_t errlen)
{
    struct spl_child_result r;
    if (spl_child_run(fn, j, timeout_ns, &r) != 0) return spl_fail(errno, err, errlen, "fork: %s", strerror(errno));
    if (!r.exited || r.code != 0) {
        char d[64];
        return spl_fail(ECHILD, err, errlen, "%s: %s%s%s", what, spl_child_describe(&r, d, sizeof d),
                        r.msg[0] ? ": " : "", r.msg);
    }
    return 0;
}

int tt_populate(struct tt_ctx *c, char *err, size_t errlen)
{
    struct child_job j = {.c = c};
    if (in_child(populate_child, &j, 30ull * 1000000000ull, "creating the store", err, errlen) != 0) return -1;
    for (uint32_t k = 0; k < c->o.keys; k++) {
        atomic_store(&c->sh->keys[k].started, 1);
        atomic_store(&c->sh->keys[k].done, 1);
        if (c->durability) atomic_store(&c->sh->keys[k].durable, 1);
    }
    return 0;
}

static int medic_child(void *arg, char *msg)
{
    struct child_job *j = arg;
    struct tt_ctx *c = j->c;
    if (spl_impl_attach(&c->im, msg, SPL_MSG_MAX) != 0) return 1;
    if (c->im.open(c->store) != 0) {
        snprintf(msg, SPL_MSG_MAX, "splinter_open(%s): %s", c->store, strerror(errno));
        return 1;
    }
    uint8_t *buf = malloc(c->o.max_size);
    if (!buf) { snprintf(msg, SPL_MSG_MAX, "out of memory"); return 1; }
    char key[32];
    for (size_t i = 0; i < j->n; i++) {
        uint32_t k = j->keys[i];
        struct tt_key *K = &c->sh->keys[k];
        tt_key_name(k, key, sizeof key);
        uint64_t st = atomic_load(&K->started), dn = atomic_load(&K->done); /* nobody else writes k now */
        uint64_t seq = (st > dn ? st : dn) + 1;
        /* in the history, retrain + rewrite is one write (readers discard what overlaps it) */
        struct tt_hist_ev *he = tt_hist_begin(c->sh->hist, TT_HIST_SET, k, TT_HIST_MEDIC, 0, seq);
        if (c->im.retrain_slot(key) != 0) {
            snprintf(msg, SPL_MSG_MAX, "retrain_slot(%s): %s", key, strerror(errno));
            free(buf);
            return 1;
        }
        uint32_t len = c->o.min_size;
        spl_payload_make(buf, len, k, tt_owner(c, k), seq);
        atomic_store(&K->started, seq);
        int rc = -1;
        for (int t = 0; t < 1000 && rc != 0; t++) {
            rc = c->im.set(key, buf, len);
            if (rc != 0 && errno != EAGAIN) break;
        }
        tt_hist_end(he, rc, rc ? errno : 0, 0, 0);
        if (rc != 0) {
            snprintf(msg, SPL_MSG_MAX, "set(%s) after retrain: %s", key, strerror(errno));
            free(buf);
            return 1;
        }
        atomic_store(&K->done, seq);
        if (c->durability && c->im.flush(c->o.flush_strategy) == 0) {
            uint64_t cur = atomic_load(&K->durable);
            while (cur < seq && !atomic_compare_exchange_weak(&K->durable, &cur, seq)) {}
        }
    }
    free(buf);
    c->im.close();
    return 0;
}

int tt_medic(struct tt_ctx *c, const uint32_t *keys, size_t n, char *err, size_t errlen)
{
    if (!c->im.retrain_slot) { snprintf(err, errlen, "implementation does not export splinter_retrain_slot"); return -1; }
    struct child_job j = {.c = c, .keys = keys, .n = n};
    return in_child(medic_child, &j, 10ull * 1000000000ull, "medic", err, errlen);
}

/* ---- audits --------------------------------------------------------------- */

/* After a crash: every value a completed flush covered must be there, intact.
 * Keys whose slot is odd, or torn by a later unflushed write the disk got
 * half of, are excused (that write was in flight) and handed to the medic.
 * Returns the number of keys that need the medic, fills need[]. */
size_t tt_audit_crash(struct tt_ctx *c, uint32_t *need, bool power_cut)
{
    struct tt_shared *sh = c->sh;
    size_t nn = 0;
    for (uint32_t k = 0; k < sh->nkeys; k++) {
        struct tt_key *K = &sh->keys[k];
        uint64_t durable = atomic_load(&K->durable), started = atomic_load(&K->started);
        struct tt_audit a = audit_key(c, k);
        char key[32];
        tt_key_name(k, key, sizeof key);
        if (!a.found) {
            tt_fail(sh, "crash %llu: %s is missing after the %s; seq %llu was flushed", (unsigned long long)atomic_load(&sh->st.crashes),
                    key, power_cut ? "power cut" : "crash", (unsigned long long)durable);
            continue;
        }
        /* a power cut keeps what was flushed; a kill of every process keeps
         * everything that completed (the page cache / shm outlives them) */
        uint64_t must = power_cut ? durable : atomic_load(&K->done);
        bool later_write = started > must;
        if (a.epoch & 1) {
            TT_INC(sh, crash_inflight);
            need[nn++] = k;
            if (!later_write && must)
                tt_fail(sh, "crash: %s has odd epoch %llu but no write followed its %s seq %llu", key,
                        (unsigned long long)a.epoch, power_cut ? "flushed" : "completed", (unsigned long long)must);
            continue;
        }
        if (a.v != SPL_PAYLOAD_OK) {
            need[nn++] = k;
            if (power_cut && later_write) { TT_INC(sh, crash_inflight); continue; }
            tt_fail(sh, "crash: %s (%s seq %llu) reads back %s", key, power_cut ? "flushed" : "completed",
                    (unsigned long long)must, spl_payload_verdict_str(a.v));
            continue;
        }
        TT_INC(sh, crash_verified);
        if (a.seq < must)
            tt_fail(sh, "crash: %s lost a %s value: seq %llu %s, the %s left seq %llu", key,
                    power_cut ? "flushed" : "completed", (unsigned long long)must,
                    power_cut ? "was made durable by a completed flush" : "had completed",
                    power_cut ? "power cut" : "crash", (unsigned long long)a.seq);
        else if (a.seq > started)
            tt_fail(sh, "crash: %s holds seq %llu, never written (writer reached %llu)", key, (unsigned long long)a.seq,
                    (unsigned long long)started);
        /* completed but never flushed: a power cut may take it, and that is legal */
        if (power_cut && a.seq < atomic_load(&K->done)) TT_INC(sh, crash_unflushed_lost);
        /* the store is the truth from here on: writers continue after what survived */
        atomic_store(&K->done, a.seq);
        if (started < a.seq) atomic_store(&K->started, a.seq);
    }
    return nn;
}

/* End of run, everyone stopped: every key holds its newest completed value
 * (or the one in flight when its writer was killed after the set returned). */
void tt_audit_final(struct tt_ctx *c)
{
    struct tt_shared *sh = c->sh;
    for (uint32_t k = 0; k < sh->nkeys; k++) {
        struct tt_key *K = &sh->keys[k];
        uint64_t done = atomic_load(&K->done), started = atomic_load(&K->started);
        struct tt_audit a = audit_key(c, k);
        char key[32];
        tt_key_name(k, key, sizeof key);
        TT_INC(sh, checks);
        if (!a.found) tt_fail(sh, "final: %s is missing", key);
        else if (a.epoch & 1) tt_fail(sh, "final: %s still odd (epoch %llu) after recovery", key, (unsigned long long)a.epoch);
        else if (a.v != SPL_PAYLOAD_OK) tt_fail(sh, "final: %s holds a %s value", key, spl_payload_verdict_str(a.v));
        else if (a.writer != tt_owner(c, k)) tt_fail(sh, "final: %s written by %u, owner %u", key, a.writer, tt_owner(c, k));
        else if (a.seq < done)
            tt_fail(sh, "final: %s lost a write: seq %llu completed, store holds %llu", key, (unsigned long long)done,
                    (unsigned long long)a.seq);
        else if (a.seq > started)
            tt_fail(sh, "final: %s holds seq %llu, never written (writer at %llu)", key, (unsigned long long)a.seq,
                    (unsigned long long)started);
    }
}
