/*
 * rules_seq.c - SEQ: the per-slot seqlock, checked from many processes.
 *
 * The hammer: W worker processes open one store and, for the run's duration,
 * write self-checking payloads (key, writer, sequence, checksum) to a few
 * shared keys and read them back, logging every call (times, epochs, what
 * was read). An observer worker samples slot epochs straight from the
 * mapped bytes. The rules then judge the logs.
 */
#include "conform.h"
#include "histcheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seq_judge.h" /* the log look-ups, apart so they can be unit-tested */

enum { OP_WRITE = 1, OP_READ, OP_UNSET, OP_ODD };

#define HKEYS 6
#define HMAXVAL 4096

struct hammer {
    struct conform *c;
    char store[512];
    char path[512];
    unsigned unset_pct;  /* chance that a write is an unset instead */
    bool observer;       /* last worker samples epochs from the bytes */
    unsigned nkeys;      /* keys hammered (<= HKEYS); fewer keys, more collisions */
    uint64_t start_ns, end_ns;
};

static void hkey(char *buf, size_t n, unsigned k) { snprintf(buf, n, "conform-seq-%u", k); }

static int hammer_worker(struct spl_worker *w, void *arg)
{
    struct hammer *h = arg;
    struct spl_impl *im = &h->c->im;
    bool observer = h->observer && w->id == w->nworkers - 1;
    struct spl_storeview v = {0};
    if (observer) {
        if (spl_sv_open(&v, h->path, 0) != 0) {
            spl_worker_msg(w, "observer cannot map %s: %s", h->path, strerror(errno));
            spl_barrier_break(w->bar);
            return 1;
        }
    } else if (worker_open(w, im, h->store) != 0) return 1;
    struct spl_rng rng;
    spl_rng_seed(&rng, w->seed);
    uint8_t *buf = malloc(HMAXVAL), *rbuf = malloc(HMAXVAL);
    int ret = 1;
    uint64_t seq = 0;
    char key[64];
    if (!buf || !rbuf || spl_worker_sync(w) != SPL_BARRIER_OK) goto out;
    uint64_t end = h->end_ns;
    while (spl_time_ns() < end && spl_log_len(w->log) < w->log->cap) {
        if (observer) {
            for (unsigned k = 0; k < HKEYS; k++) {
                hkey(key, sizeof key, k);
                long idx = spl_sv_find(&v, key);
                if (idx < 0) continue;
                uint64_t t = spl_time_ns();
                uint64_t e = atomic_load(&SV_SLOT(&v, idx).epoch);
                if (e & 1) {
                    struct spl_event ev = {.t0 = t, .t1 = spl_time_ns(), .ep0 = e, .worker = w->id, .key = k, .op = OP_ODD};
                    spl_log_append(w->log, &ev);
                }
            }
            continue;
        }
        unsigned k = (unsigned)spl_rng_below(&rng, h->nkeys ? h->nkeys : HKEYS);
        hkey(key, sizeof key, k);
        struct spl_event ev = {.worker = w->id, .key = k};
        bool write = spl_rng_below(&rng, 100) < 50;
        if (write && h->unset_pct && spl_rng_below(&rng, 100) < h->unset_pct) {
            ev.op = OP_UNSET;
            ev.ep0 = im->get_epoch ? im->get_epoch(key) : 0;
            ev.t0 = spl_time_ns();
            errno = 0;
            int rc = im->unset(key);
            ev.t1 = spl_time_ns();
            ev.rc = (int16_t)(rc < 0 ? rc : 0);
            ev.aux = rc > 0 ? (uint64_t)rc : 0;
            ev.err = rc < 0 ? errno : 0;
        } else if (write) {
            /* long values: the copy is the race window */
            size_t len = HMAXVAL / 2 + (size_t)spl_rng_below(&rng, HMAXVAL / 2 + 1);
            ev.op = OP_WRITE;
            ev.seq = ++seq;
            ev.csum = spl_payload_make(buf, len, k, w->id, ev.seq);
            ev.aux = len;
            ev.ep0 = im->get_epoch ? im->get_epoch(key) : 0;
            ev.t0 = spl_time_ns();
            errno = 0;
            int rc = im->set(key, buf, len);
            ev.t1 = spl_time_ns();
            ev.err = rc ? errno : 0;
            ev.rc = (int16_t)rc;
            ev.ep1 = im->get_epoch ? im->get_epoch(key) : 0;
        } else {
            size_t got = 0;
            ev.op = OP_READ;
            ev.ep0 = im->get_epoch ? im->get_epoch(key) : 0;
            ev.t0 = spl_time_ns();
            errno = 0;
            int rc = im->get(key, rbuf, HMAXVAL, &got);
            ev.t1 = spl_time_ns();
            ev.err = rc ? errno : 0;
            ev.rc = (int16_t)rc;
            ev.ep1 = im->get_epoch ? im->get_epoch(key) : 0;
            if (rc == 0) {
                struct spl_payload_info in;
                ev.verdict = spl_payload_check(rbuf, got > HMAXVAL ? HMAXVAL : got, k, &in);
                ev.aux = got;
                ev.seq = in.seq;
                ev.peer = in.writer;
                ev.csum = spl_fnv1a64(rbuf, got > HMAXVAL ? HMAXVAL : got);
                if (ev.verdict != SPL_PAYLOAD_OK && !w->msg[0]) {
                    char hex[200];
                    spl_worker_msg(w, "first bad read bytes: %s",
                                   spl_payload_hexdump(rbuf, got > HMAXVAL ? HMAXVAL : got, 48, hex, sizeof hex));
                }
            }
        }
        spl_log_append(w->log, &ev);
    }
    spl_worker_sync(w);
    ret = 0;
out:
    if (observer) spl_sv_close(&v);
    else im->close();
    free(buf);
    free(rbuf);
    return ret;
}

/* Sets up the store, prepopulates every key, runs the team. */
static struct spl_team *hammer_run(struct conform *c, struct rule_out *o, struct hammer *h, const char *tag)
{
    h->c = c;
    if (store_create(c, o, tag, 64, HMAXVAL) != 0) return NULL;
    snprintf(h->store, sizeof h->store, "%s", o->store);
    store_path(c, o->store, h->path, sizeof h->path);
    if (h->observer) { /* the observer maps the bytes: find out here, not in a worker */
        struct spl_storeview v;
        if (spl_sv_open(&v, h->path, 0) != 0) {
            r_error(o, "cannot map %s: %s", h->path, strerror(errno));
            return NULL;
        }
        spl_sv_close(&v);
    }
    uint8_t *buf = malloc(HMAXVAL);
    char key[64];
    for (unsigned k = 0; k < HKEYS; k++) {
        hkey(key, sizeof key, k);
        size_t len = spl_payload_make(buf, 256, k, c->workers + 1, 0) ? 256 : 0;
        errno = 0;
        int rc = c->im.set(key, buf, len);
        if (rc != 0) {
            r_fail(o, "uncontested splinter_set(%s, 256 bytes) = %d (%s) in a single process", key, rc, strerror(errno));
            free(buf);
            return NULL;
        }
    }
    free(buf);
    c->im.close();
    uint32_t n = c->workers + (h->observer ? 1 : 0);
    /* about 80k calls per second per worker fit; a worker whose log fills stops early */
    uint64_t cap = 100000 + 80000 * (c->duration_ns / 1000000000ull);
    struct spl_team_opts to = {.workers = n, .seed = c->seed, .log_cap = cap > 1000000 ? 1000000 : cap,
                               .deadline_ns = c->duration_ns + 20000000000ull, .barrier_ns = 15000000000ull};
    struct spl_team *t = spl_team_new(&to);
    if (!t) { r_error(o, "cannot allocate the team: %s", strerror(errno)); return NULL; }
    h->start_ns = spl_time_ns();
    h->end_ns = h->start_ns + c->duration_ns + 200000000ull; /* + time for everyone to open */
    if (spl_team_run(t, hammer_worker, h) != 0) {
        char why[700];
        r_fail(o, "a worker did not finish cleanly: %s", spl_team_describe(t, why, sizeof why));
        spl_team_free(t);
        return NULL;
    }
    return t;
}

static void hammer_totals(struct spl_team *t, uint64_t *reads, uint64_t *writes, uint64_t *eagain)
{
    *reads = *writes = *eagain = 0;
    for (uint32_t w = 0; w < spl_team_size(t); w++) {
        struct spl_log *l = spl_team_log(t, w);
        for (size_t i = 0; i < spl_log_len(l); i++) {
            const struct spl_event *e = &l->ev[i];
            if (e->op == OP_READ && e->rc == 0) (*reads)++;
            if (e->op == OP_WRITE && e->rc == 0) (*writes)++;
            if ((e->op == OP_READ || e->op == OP_WRITE) && e->rc && e->err == EAGAIN) (*eagain)++;
        }
    }
}

/* The look-ups live in seq_judge.c (unit-tested); these bind them to the hammer's keys and op codes. */
static struct widx *index_writes(struct spl_team *t, bool with_unsets)
{
    uint32_t nw = spl_team_size(t);
    struct spl_log **logs = malloc((nw ? nw : 1) * sizeof *logs); // NOLINT(bugprone-sizeof-expression): an array of pointers
    if (!logs) return NULL;
    for (uint32_t w = 0; w < nw; w++) logs[w] = spl_team_log(t, w);
    struct widx *ix = seq_index_writes(logs, nw, HKEYS, OP_WRITE, with_unsets ? OP_UNSET : -1);
    free(logs);
    return ix;
}

static void index_free(struct widx *ix, uint32_t nw) { seq_index_free(ix, nw, HKEYS); }

static bool overlaps_write(const struct widx *ix, uint32_t nw, uint32_t except, uint32_t key, uint64_t t0, uint64_t t1)
{
    return seq_overlaps_write(ix, nw, HKEYS, except, key, t0, t1);
}

static long find_seq(const struct widx *x, uint64_t seq) { return seq_find_seq(x, seq); }

static void describe_read(char *b, size_t n, const struct spl_event *e, uint64_t t0)
{
    snprintf(b, n, "worker %u get(conform-seq-%u) at +%.6f s returned %llu bytes: %s (header: writer %u seq %llu); slot epoch %llu before, %llu after",
             e->worker, e->key, (double)(e->t0 - t0) / 1e9, (unsigned long long)e->aux,
             spl_payload_verdict_str((enum spl_payload_verdict)e->verdict), e->peer, (unsigned long long)e->seq,
             (unsigned long long)e->ep0, (unsigned long long)e->ep1);
}

/* SEQ-001: no successful read returns a torn or foreign value. */
static void seq_torn(struct conform *c, struct rule_out *o, unsigned unset_pct, const char *tag)
{
    struct hammer h = {.unset_pct = unset_pct, .nkeys = 2};
    struct spl_team *t = hammer_run(c, o, &h, tag);
    if (!t) return;
    uint64_t bad = 0;
    for (uint32_t w = 0; w < spl_team_size(t); w++) {
        struct spl_log *l = spl_team_log(t, w);
        for (size_t i = 0; i < spl_log_len(l); i++) {
            const struct spl_event *e = &l->ev[i];
            if (e->op != OP_READ || e->rc != 0 || e->verdict == SPL_PAYLOAD_OK) continue;
            if (bad++ < 4) {
                char d[512];
                describe_read(d, sizeof d, e, h.start_ns);
                r_cex(o, "%s", d);
            }
        }
        if (spl_team_msg(t, w)[0] && bad) r_cex(o, "worker %u: %s", w, spl_team_msg(t, w));
    }
    uint64_t reads, writes, eagain;
    hammer_totals(t, &reads, &writes, &eagain);
    if (bad)
        r_fail(o, "%llu of %llu successful reads returned a torn or foreign value (%u processes, %llu writes%s)",
               (unsigned long long)bad, (unsigned long long)reads, c->workers, (unsigned long long)writes,
               unset_pct ? ", with unsets" : "");
    else if (reads < 100 || writes < 100)
        r_error(o, "too little contention to judge: %llu reads, %llu writes", (unsigned long long)reads, (unsigned long long)writes);
    else
        r_pass(o, "%llu reads, %llu writes%s by %u processes on %u keys: every successful read intact (%llu EAGAIN)",
               (unsigned long long)reads, (unsigned long long)writes, unset_pct ? " and unsets" : "", c->workers, h.nkeys,
               (unsigned long long)eagain);
    spl_team_free(t);
}

static void rule_seq001(struct conform *c, struct rule_out *o) { seq_torn(c, o, 0, "seq1"); }
static void rule_seq007(struct conform *c, struct rule_out *o) { seq_torn(c, o, 30, "seq7"); }

/* SEQ-002: a completed write advances the slot epoch by exactly 2 (single
 * process, so nothing else moves it); read from the bytes, not the API. */
static void rule_seq002(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "seq2", 32, 256) != 0) return;
    char path[512];
    store_path(c, o->store, path, sizeof path);
    struct spl_storeview v;
    if (spl_sv_open(&v, path, 0) != 0) { r_error(o, "cannot map %s: %s", path, strerror(errno)); return; }
    uint8_t val[128];
    int checked = 0;
    for (unsigned k = 0; k < 4; k++) {
        char key[32];
        snprintf(key, sizeof key, "epoch-%u", k);
        uint64_t prev = 0;
        for (unsigned i = 0; i < 8; i++) {
            spl_payload_make(val, sizeof val, k, 0, i);
            if (c->im.set(key, val, sizeof val) != 0) {
                r_fail(o, "uncontested splinter_set(%s) failed: %s", key, strerror(errno));
                spl_sv_close(&v);
                return;
            }
            long idx = spl_sv_find(&v, key);
            if (!r_check(o, idx >= 0, "key %s not found in the bytes after a successful set", key)) break;
            uint64_t e = atomic_load(&SV_SLOT(&v, idx).epoch);
            if (i > 0)
                r_check(o, e == prev + 2, "write %u to %s moved the slot epoch %llu -> %llu (want +2)", i, key,
                        (unsigned long long)prev, (unsigned long long)e);
            r_check(o, !(e & 1), "slot epoch of %s is odd (%llu) after set returned", key, (unsigned long long)e);
            if (c->im.get_epoch)
                r_check(o, c->im.get_epoch(key) == e, "splinter_get_epoch(%s) = %llu but the slot holds %llu", key,
                        (unsigned long long)c->im.get_epoch(key), (unsigned long long)e);
            prev = e;
            checked++;
        }
    }
    spl_sv_close(&v);
    r_pass(o, "%d writes: each advanced its slot epoch by exactly 2 and left it even", checked);
}

/* SEQ-003: odd epochs are seen only while a writer is inside. */
static void rule_seq003(struct conform *c, struct rule_out *o)
{
    struct hammer h = {.observer = true};
    struct spl_team *t = hammer_run(c, o, &h, "seq3");
    if (!t) return;
    uint32_t obs = spl_team_size(t) - 1;
    struct spl_log *ol = spl_team_log(t, obs);
    struct widx *ix = index_writes(t, true);
    uint64_t odd = 0, orphan = 0;
    for (size_t i = 0; i < spl_log_len(ol); i++) {
        const struct spl_event *e = &ol->ev[i];
        odd++;
        bool inside = ix && overlaps_write(ix, obs, UINT32_MAX, e->key, e->t0, e->t1);
        if (!inside && orphan++ < 4)
            r_cex(o, "observer saw conform-seq-%u at odd epoch %llu at +%.6f s while no process was inside a write to it",
                  e->key, (unsigned long long)e->ep0, (double)(e->t0 - h.start_ns) / 1e9);
    }
    index_free(ix, spl_team_size(t));
    /* at rest: every slot even */
    struct spl_storeview v;
    uint64_t odd_rest = 0;
    if (spl_sv_open(&v, h.path, 0) == 0) {
        for (uint32_t i = 0; i < v.slots; i++) {
            uint64_t e = atomic_load(&SV_SLOT(&v, i).epoch);
            if ((e & 1) && odd_rest++ < 4) r_cex(o, "slot %u epoch %llu is odd after every writer returned", i, (unsigned long long)e);
        }
        spl_sv_close(&v);
    }
    if (orphan || odd_rest)
        r_fail(o, "%llu odd-epoch observations outside any write, %llu slots odd at rest", (unsigned long long)orphan,
               (unsigned long long)odd_rest);
    else
        r_pass(o, "%llu odd-epoch observations, each inside a write of that key; all slots even at rest", (unsigned long long)odd);
    spl_team_free(t);
}

/* SEQ-004: EAGAIN only when contested. Uncontested calls never EAGAIN; a
 * contested EAGAIN overlaps a write (attempt) of the same key by another process. */
static void rule_seq004(struct conform *c, struct rule_out *o)
{
    struct hammer h = {0};
    struct spl_team *t = hammer_run(c, o, &h, "seq4");
    if (!t) return;
    struct widx *ix = index_writes(t, true);
    uint64_t ea = 0, lonely = 0;
    for (uint32_t w = 0; w < spl_team_size(t); w++) {
        struct spl_log *l = spl_team_log(t, w);
        for (size_t i = 0; i < spl_log_len(l); i++) {
            const struct spl_event *e = &l->ev[i];
            if (e->rc == 0 || e->err != EAGAIN) continue;
            ea++;
            bool overlap = ix && overlaps_write(ix, spl_team_size(t), w, e->key, e->t0, e->t1);
            if (!overlap && lonely++ < 4)
                r_cex(o, "worker %u %s(conform-seq-%u) at +%.6f s returned EAGAIN with no other process writing that key",
                      e->worker, e->op == OP_READ ? "get" : "set", e->key, (double)(e->t0 - h.start_ns) / 1e9);
        }
    }
    index_free(ix, spl_team_size(t));
    spl_team_free(t);
    /* uncontested: one process, many calls */
    if (c->im.open(h.store) != 0) { r_error(o, "reopen %s: %s", h.store, strerror(errno)); return; }
    uint8_t buf[512], rb[512];
    size_t got;
    unsigned solo = 0;
    for (unsigned i = 0; i < 2000; i++) {
        char key[64];
        hkey(key, sizeof key, i % HKEYS);
        spl_payload_make(buf, sizeof buf, i % HKEYS, 0, i);
        int rc = (i & 1) ? c->im.get(key, rb, sizeof rb, &got) : c->im.set(key, buf, sizeof buf);
        if (rc != 0 && errno == EAGAIN && solo++ < 2)
            r_cex(o, "uncontested %s(%s) returned EAGAIN (single process, call %u)", (i & 1) ? "get" : "set", key, i);
    }
    c->im.close();
    if (lonely || solo)
        r_fail(o, "%llu EAGAIN without a concurrent writer, %u uncontested EAGAIN", (unsigned long long)lonely, solo);
    else
        r_pass(o, "%llu contested EAGAIN, each overlapping another process's write of the key; none in 2000 uncontested calls",
               (unsigned long long)ea);
}

/* SEQ-005: reads are consistent with some order of the writes. */
static void rule_seq005(struct conform *c, struct rule_out *o)
{
    struct hammer h = {0};
    struct spl_team *t = hammer_run(c, o, &h, "seq5");
    if (!t) return;
    uint32_t n = spl_team_size(t);
    uint64_t bad = 0, reads = 0;
    /* last seq of (reader, key, writer) seen */
    uint64_t *seen = calloc((size_t)n * HKEYS * (n + 2), sizeof *seen);
    struct widx *ix = index_writes(t, false);
    for (uint32_t w = 0; w < n && seen && ix; w++) {
        struct spl_log *l = spl_team_log(t, w);
        for (size_t i = 0; i < spl_log_len(l); i++) {
            const struct spl_event *e = &l->ev[i];
            if (e->op != OP_READ || e->rc != 0 || e->verdict != SPL_PAYLOAD_OK) continue;
            reads++;
            uint32_t wr = e->peer;
            if (wr == c->workers + 1) continue; /* the prepopulated value */
            if (wr >= n) {
                if (bad++ < 4) r_cex(o, "worker %u read a value claiming writer %u, which does not exist", w, wr);
                continue;
            }
            uint64_t *last = &seen[((size_t)w * HKEYS + e->key) * (n + 2) + wr];
            if (e->seq < *last && bad++ < 4)
                r_cex(o, "worker %u read conform-seq-%u = (writer %u, seq %llu) at +%.6f s after having read seq %llu of the same writer",
                      w, e->key, wr, (unsigned long long)e->seq, (double)(e->t0 - h.start_ns) / 1e9, (unsigned long long)*last);
            if (e->seq > *last) *last = e->seq;
            /* the write itself, and the same writer's next successful write of the key */
            const struct widx *x = &ix[wr * HKEYS + e->key];
            long p = find_seq(x, e->seq);
            const struct spl_event *wx = p >= 0 ? x->ev[p] : NULL, *later = NULL;
            for (size_t j = p >= 0 ? (size_t)p + 1 : x->n; j < x->n; j++) {
                if (x->ev[j]->rc != 0) continue;
                if (x->ev[j]->t1 < e->t0) later = x->ev[j];
                break; /* only the next successful one matters: the writer is sequential */
            }
            if (!wx) {
                if (bad++ < 4) r_cex(o, "worker %u read (writer %u, seq %llu) of conform-seq-%u: no such write was made", w, wr,
                                     (unsigned long long)e->seq, e->key);
            } else if (wx->rc != 0) {
                if (bad++ < 4)
                    r_cex(o, "worker %u read (writer %u, seq %llu) of conform-seq-%u, but that set returned %d (%s)", w, wr,
                          (unsigned long long)e->seq, e->key, wx->rc, strerror(wx->err));
            } else if (wx->t0 > e->t1) {
                if (bad++ < 4) r_cex(o, "worker %u read (writer %u, seq %llu) before that write began", w, wr, (unsigned long long)e->seq);
            } else if (later) {
                if (bad++ < 4)
                    r_cex(o, "worker %u read stale (writer %u, seq %llu) of conform-seq-%u at +%.6f s: seq %llu of the same writer had completed at +%.6f s",
                          w, wr, (unsigned long long)e->seq, e->key, (double)(e->t0 - h.start_ns) / 1e9,
                          (unsigned long long)later->seq, (double)(later->t1 - h.start_ns) / 1e9);
            }
        }
    }
    free(seen);
    index_free(ix, n);
    spl_team_free(t);
    if (bad) r_fail(o, "%llu of %llu reads inconsistent with any order of the writes", (unsigned long long)bad, (unsigned long long)reads);
    else r_pass(o, "%llu reads: each returns a completed write, never an older one than the reader saw before", (unsigned long long)reads);
}

/* SEQ-006: a key lives in one slot, even when processes insert it at once. */
#define DUP_ROUNDS 150
#define DUP_SLOT_NS 3000000ull /* each round starts on a fixed beat */

struct dup_arg {
    struct conform *c;
    char store[512], path[512];
    uint64_t t0;
};

static int dup_worker(struct spl_worker *w, void *arg)
{
    struct dup_arg *a = arg;
    struct spl_impl *im = &a->c->im;
    if (worker_open(w, im, a->store) != 0) return 1;
    struct spl_rng rng;
    spl_rng_seed(&rng, w->seed);
    uint8_t val[64];
    int *dups = w->shared;
    for (unsigned round = 0; round < DUP_ROUNDS; round++) {
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        /* a futex wake reaches the workers tens of microseconds apart, longer
         * than a round's inserts take: start together on a common beat instead */
        uint64_t go = a->t0 + round * DUP_SLOT_NS;
        while (spl_time_ns() < go) {}
        unsigned order[16];
        for (unsigned i = 0; i < 16; i++) order[i] = i;
        /* every worker inserts in the same order, so they meet on each key;
         * odd rounds add a per-worker shuffle for other interleavings */
        struct spl_rng common;
        spl_rng_seed(&common, a->c->seed + round);
        for (unsigned i = 15; i > 0; i--) {
            unsigned j = (unsigned)spl_rng_below((round & 1) ? &rng : &common, i + 1), tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        for (unsigned i = 0; i < 16; i++) {
            char key[32];
            snprintf(key, sizeof key, "dup-%u-%u", round, order[i]);
            spl_payload_make(val, sizeof val, order[i], w->id, round);
            for (int tries = 0; tries < 1000 && im->set(key, val, sizeof val) != 0 && errno == EAGAIN; tries++) {}
        }
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
        if (w->id == 0) {
            struct spl_storeview v;
            if (spl_sv_open(&v, a->path, 0) == 0) {
                for (unsigned i = 0; i < 16; i++) {
                    char key[32];
                    snprintf(key, sizeof key, "dup-%u-%u", round, i);
                    int n = spl_sv_count_key(&v, key);
                    if (n > 1) {
                        if (dups[0] < 4) snprintf((char *)(dups + 16) + dups[0] * 128, 128, "key %s is live in %d slots after %u processes set it at once", key, n, w->nworkers);
                        dups[0]++;
                    }
                }
                spl_sv_close(&v);
            }
            for (unsigned i = 0; i < 16; i++) {
                char key[32];
                snprintf(key, sizeof key, "dup-%u-%u", round, i);
                while (im->unset(key) > 0) {} /* remove every copy */
            }
        }
    }
    spl_worker_sync(w);
    im->close();
    return 0;
}

static void rule_seq006(struct conform *c, struct rule_out *o)
{
    if (store_create(c, o, "seq6", 256, 64) != 0) return;
    c->im.close();
    struct dup_arg a = {.c = c};
    snprintf(a.store, sizeof a.store, "%s", o->store);
    store_path(c, o->store, a.path, sizeof a.path);
    struct spl_team_opts to = {.workers = c->workers, .seed = c->seed, .log_cap = 1, .shared_len = 1024,
                               .deadline_ns = 30000000000ull, .barrier_ns = 10000000000ull};
    struct spl_team *t = spl_team_new(&to);
    if (!t) { r_error(o, "team: %s", strerror(errno)); return; }
    a.t0 = spl_time_ns() + 100000000ull;
    if (spl_team_run(t, dup_worker, &a) != 0) {
        char why[700];
        r_fail(o, "a worker did not finish cleanly: %s", spl_team_describe(t, why, sizeof why));
        spl_team_free(t);
        return;
    }
    int *dups = spl_team_shared(t);
    for (int i = 0; i < dups[0] && i < 4; i++) r_cex(o, "%s", (char *)(dups + 16) + i * 128);
    if (dups[0]) r_fail(o, "%d keys ended up in more than one slot", dups[0]);
    else r_pass(o, "%d rounds x 16 fresh keys inserted by %u processes at once: never more than one slot per key", DUP_ROUNDS, c->workers);
    spl_team_free(t);
}

/* SEQ-008: the hammer's whole history (large values, unsets) is linearizable
 * per key: every read, miss and unset result is explained by one order of
 * the calls that respects real time (lib/lincheck.h). */
static void rule_seq008(struct conform *c, struct rule_out *o)
{
    struct hammer h = {.unset_pct = 20, .nkeys = 2};
    struct spl_team *t = hammer_run(c, o, &h, "seq8");
    if (!t) return;
    struct lc_history *hist = lc_new(LC_REGISTER, hc_id(c->workers + 1, 0)); /* the prepopulated value */
    if (!hist) { r_error(o, "out of memory"); spl_team_free(t); return; }
    uint64_t calls = 0, eagain = 0, odd = 0;
    for (uint32_t w = 0; w < spl_team_size(t); w++) {
        struct spl_log *l = spl_team_log(t, w);
        for (size_t i = 0; i < spl_log_len(l); i++) {
            const struct spl_event *e = &l->ev[i];
            struct lc_op op = {.call = e->t0, .ret = e->t1, .obj = e->key, .proc = e->worker, .outcome = LC_DONE};
            bool ea = e->rc == -1 && e->err == EAGAIN;
            if (e->op == OP_WRITE) {
                op.kind = LC_SET, op.arg = hc_id(e->worker, e->seq);
                if (e->rc) op.outcome = LC_FAILED;
                if (e->rc && !ea) odd++;
            } else if (e->op == OP_READ) {
                op.kind = LC_GET;
                if (e->rc == 0) op.res = e->verdict == SPL_PAYLOAD_OK ? hc_id(e->peer, e->seq) : LC_GARBAGE;
                else if (ea || e->err == EMSGSIZE) op.outcome = LC_FAILED;
                else op.res = LC_ABSENT; /* a miss (ENOENT: errno is the error-contract rules' business) */
            } else if (e->op == OP_UNSET) {
                op.kind = LC_UNSET;
                if (e->rc == 0) op.res = LC_PRESENT;
                else if (ea) op.outcome = LC_FAILED;
                else op.res = LC_ABSENT;
            } else {
                continue;
            }
            calls++;
            eagain += ea;
            if (lc_add(hist, &op) != 0) { r_error(o, "out of memory"); goto out; }
        }
    }
    char what[200];
    snprintf(what, sizeof what, "%llu calls of 2048..4096-byte sets, gets and unsets by %u processes (%llu EAGAIN)",
             (unsigned long long)calls, c->workers, (unsigned long long)eagain);
    struct hc_names nm;
    hc_names_init(&nm, "conform-seq-%u", false);
    if (calls < 200) r_error(o, "too few calls to judge: %llu", (unsigned long long)calls);
    else hc_judge(o, hist, c, h.start_ns, &nm, what);
    if (odd) r_fail(o, "%llu sets failed with an error other than EAGAIN", (unsigned long long)odd);
out:
    lc_free(hist);
    spl_team_free(t);
}

static const char *const needs_rw[] = {"set", "get", "get_epoch", NULL};
static const char *const needs_unset[] = {"set", "get", "unset", "get_epoch", NULL};
static const char *const needs_seq2[] = {"set", "get_epoch", NULL};
static const char *const needs_seq6[] = {"set", "unset", NULL};

const struct rule seq_rules[] = {
    {.id = "SEQ-001", .severity = SEV_CRITICAL, .title = "no successful read returns a torn or foreign value (>= 4 processes, self-checking payloads)",
     .needs = needs_rw, .run = rule_seq001, .timeout_s = 60},
    {.id = "SEQ-002", .severity = SEV_CRITICAL, .title = "a completed write advances the slot epoch by exactly 2 and leaves it even",
     .needs = needs_seq2, .run = rule_seq002, .timeout_s = 20},
    {.id = "SEQ-003", .severity = SEV_MAJOR, .title = "a slot epoch is odd only while a writer is inside; all even at rest",
     .needs = needs_rw, .run = rule_seq003, .timeout_s = 60},
    {.id = "SEQ-004", .severity = SEV_MAJOR, .title = "EAGAIN only when contested: never uncontested, and only overlapping another process's write",
     .needs = needs_rw, .run = rule_seq004, .timeout_s = 60},
    {.id = "SEQ-005", .severity = SEV_CRITICAL, .title = "reads are consistent with an order of the writes (no stale, failed or future value)",
     .needs = needs_rw, .run = rule_seq005, .timeout_s = 60},
    {.id = "SEQ-006", .severity = SEV_CRITICAL, .title = "a key lives in one slot even when several processes insert it at once",
     .needs = needs_seq6, .run = rule_seq006, .timeout_s = 60},
    {.id = "SEQ-007", .severity = SEV_CRITICAL, .title = "unset is atomic to readers: a read concurrent with unset returns the value or nothing",
     .needs = needs_unset, .run = rule_seq007, .timeout_s = 60},
    {.id = "SEQ-008", .severity = SEV_CRITICAL, .title = "the hammer's history (large sets, gets, unsets) is linearizable per key",
     .needs = needs_unset, .run = rule_seq008, .timeout_s = 60},
};
const size_t seq_nrules = sizeof seq_rules / sizeof seq_rules[0];
