/*
 * wl_ops.c - operation costs: set, get, append, integer op, get_raw_ptr,
 * list and label enumeration, in one process and in several processes
 * reading and writing the same or disjoint keys.
 *
 * Each worker times itself (warm-up, then run_ns of measured work, the
 * clock read once per batch), so the driver's scheduling never lands in the
 * figures. A multi-process row reports the aggregate: wall ns per operation
 * of the whole group (1e9 / total ops/s) and total CPU ns per operation.
 */
#include "bench.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum op { OP_SET, OP_GET, OP_MISS, OP_APPEND, OP_INTOP, OP_RAW, OP_LIST, OP_ENUM, OP__COUNT };
static const char *const op_names[OP__COUNT] = {"set", "get", "miss", "append", "intop", "raw", "list", "enum"};
static const char *const op_syms[OP__COUNT] = {"set", "get", "get", "append", "integer_op", "get_raw_ptr", "list",
                                               "enumerate_matches"};

struct ops_case {
    const struct bench_opts *o;
    const struct spl_impl *im;
    struct bench_store st; /* the case owns its store: no pointer to a caller's local */
    enum op single;       /* single-process op; OP__COUNT for a mixed group */
    int readers, writers;
    bool disjoint;
    bool onekey;          /* every member on key 0: the same-key reader/writer pair */
    uint64_t pace_ns;     /* onekey: the writer sets once per pace_ns (0 = as fast as it can) */
    uint64_t nkeys, vsize;
    const cpu_set_t *cpus; /* per worker; NULL = --pin plan */
    const struct spl_nodemask *place; /* mbind the store here (NUMA matrix) */
    bool split; /* report the reader's ns/op, the writer's in extra */
};

#define BATCH 64
#define ONEKEY_PACE_NS 2000 /* 500k sets/s */

/* The keys an op touches: the store's keys, or for misses as many keys
 * that are not in it (same length, so hashing costs the same). */
static char (*make_keys(uint64_t n, bool absent))[40]
{
    char(*k)[40] = malloc(n * sizeof *k);
    if (!k) return NULL;
    for (uint64_t i = 0; i < n; i++) {
        if (absent) snprintf(k[i], sizeof k[i], "bench.nop.%llu", (unsigned long long)i);
        else bench_key(k[i], sizeof k[i], i);
    }
    return k;
}

/* How many distinct keys an op cycles through: the worker's share of the
 * store's keys, or --working-set of them when that is smaller. */
static uint64_t working_set(const struct ops_case *c, uint64_t n)
{
    uint64_t ws = c->o->working_set;
    return ws && ws < n ? ws : n;
}

/* enum's callback reads the key it is handed, as any real caller does (a
 * callback that never looks at it would leave out the key's cache line,
 * the one cost enumerate exists to pay) */
static void count_cb(const char *key, uint64_t epoch, void *data)
{
    (void)epoch;
    *(uint64_t *)data += 1 + strnlen(key, SPLINTER_KEY_MAX);
}

static volatile uint64_t sink;

/* The paced writer: waits (spinning, so no wake-up latency is added) for
 * its next turn; a writer that fell behind (preempted) starts afresh rather
 * than catching up in a burst. */
static void pace(uint64_t *next, uint64_t period)
{
    uint64_t now;
    while ((now = spl_time_ns()) < *next) __builtin_ia32_pause();
    *next = now > *next + 64 * period ? now + period : *next + period;
}

/* One operation of kind op on key index ki: 0 done, 1 EAGAIN (a writer was
 * in the slot), 2 a get that did not find a key the store holds while
 * writers rewrite it (the original's set clears the key for a moment):
 * counted, not an error, so the row still measures what the reader gets. */
static int do_op(const struct ops_case *c, enum op op, char (*keys)[40], uint64_t ki, uint8_t *buf, char **list,
                 uint64_t *appended, struct wres *w)
{
    const struct spl_impl *im = c->im;
    const char *key = keys[ki];
    size_t out = 0;
    int rc = 0;
    switch (op) {
    case OP_SET:
        buf[0] = (uint8_t)ki;
        rc = im->set(key, buf, c->vsize);
        break;
    case OP_GET:
        rc = im->get(key, buf, c->st.max_val, &out);
        sink += out;
        if (rc != 0 && errno != EAGAIN && c->single == OP__COUNT && c->writers > 0) return 2;
        break;
    case OP_MISS:
        rc = im->get(key, buf, c->st.max_val, &out);
        if (rc == 0) wres_fail(w, "get(%s) of a key never set returned 0", key);
        return 0; /* -1, whatever errno: the original leaves it as it was */
    case OP_APPEND:
        rc = im->append(key, buf, 8, &out);
        break;
    case OP_INTOP: {
        uint64_t one = 1;
        rc = im->integer_op(key, SPL_OP_INC, &one);
        break;
    }
    case OP_RAW: {
        uint64_t ep = 0;
        const void *p = im->get_raw_ptr(key, &out, &ep);
        if (!p) rc = -1;
        else sink += ((const volatile uint8_t *)p)[0] + ep;
        break;
    }
    case OP_LIST:
        rc = im->list(list, c->st.slots, &out);
        sink += out;
        break;
    case OP_ENUM: {
        uint64_t n = 0;
        im->enumerate_matches(1, count_cb, &n);
        sink += n;
        break;
    }
    default: break;
    }
    (void)appended;
    if (rc == 0) return 0;
    if (errno == EAGAIN) return 1;
    wres_fail(w, "%s(%s): rc %d, %s", op_syms[op], key, rc, strerror(errno));
}

static void ops_worker(int idx, struct wshared *sh, void *arg)
{
    const struct ops_case *c = arg;
    const struct spl_impl *im = c->im;
    struct wres *w = &sh->w[idx];
    if (im->open(c->st.name) != 0) wres_fail(w, "splinter_open(%s): %s", c->st.name, strerror(errno));
    enum op op = c->single;
    bool writer = false;
    if (op == OP__COUNT) { /* group member: writers first, then readers */
        writer = idx < c->writers;
        op = writer ? OP_SET : OP_GET;
    }
    char(*keys)[40] = make_keys(c->nkeys, op == OP_MISS);
    uint8_t *buf = calloc(1, c->st.max_val + 64);
    char **list = calloc(c->st.slots, sizeof *list);
    if (!keys || !buf || !list) wres_fail(w, "out of memory");
    memset(buf, 'v', c->vsize);

    /* the keys this worker touches */
    uint64_t lo = 0, n = c->nkeys;
    if (c->onekey) n = 1;
    else if (c->disjoint && c->single == OP__COUNT) {
        int parts = c->readers + c->writers, part = idx;
        n = c->nkeys / (uint64_t)parts;
        if (!n) n = 1;
        lo = ((uint64_t)part * n) % c->nkeys;
    }
    if (op == OP_INTOP) {
        uint64_t zero = 0;
        for (uint64_t i = 0; i < c->nkeys; i++)
            if (im->set(keys[i], &zero, 8) != 0 || im->set_named_type(keys[i], SPL_SLOT_TYPE_BIGUINT) != 0)
                wres_fail(w, "preparing BIGUINT key %s: %s", keys[i], strerror(errno));
    }
    if (op == OP_ENUM)
        for (uint64_t i = 0; i < c->nkeys; i++)
            if (im->set_label(keys[i], 1) != 0) wres_fail(w, "set_label(%s): %s", keys[i], strerror(errno));
    /* append: keys restart from one 8-byte chunk (a set of 0 bytes is refused) */
    if (op == OP_APPEND && c->st.max_val < 16) wres_fail(w, "append needs values of at least 16 bytes");
    /* The order: a shuffle (same seed for every implementation) of the keys
     * this worker touches, each once per pass, so the working set is what
     * the row says it is: all of them, or --working-set of them. */
    uint64_t norder = working_set(c, n);
    if (!n || !norder) wres_fail(w, "internal: worker %d has no keys (%llu in the store)", idx, (unsigned long long)c->nkeys);
    uint32_t *order = malloc(norder * sizeof *order);
    if (!order) wres_fail(w, "out of memory");
    struct spl_rng rng;
    spl_rng_seed(&rng, c->o->seed + (uint64_t)idx * 7919);
    for (uint64_t i = 0; i < norder; i++) order[i] = (uint32_t)(lo + i);
    for (uint64_t i = norder; i > 1; i--) { /* Fisher-Yates */
        uint64_t j = spl_rng_below(&rng, i);
        uint32_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    uint64_t appended_rounds = 0;
    uint64_t per_key_appends = (c->st.max_val - 8) / 8;

    struct spl_perfctr pc;
    (void)spl_perfctr_open(&pc, 0, false); /* optional: unsupported counters say so in the row */
    bench_worker_ready(sh);

    for (int phase = 0; phase < 2; phase++) { /* 0 warm-up, 1 measured */
        uint64_t budget = phase ? c->o->run_ns : c->o->warmup_ns;
        uint64_t ops = 0, outcome[3] = {0}, oi = 0, t0, t1;
        uint64_t append_budget = 0, setup_ns = 0;
        if (phase) spl_perfctr_start(&pc);
        t0 = spl_time_ns();
        uint64_t next_set = t0;
        for (;;) {
            if (op == OP_APPEND && append_budget == 0) {
                /* every key is full: empty them again, off the clock */
                uint64_t s0 = spl_time_ns();
                for (uint64_t i = lo; i < lo + n && i < c->nkeys; i++)
                    if (im->set(keys[i], buf, 8) != 0 && errno != EAGAIN)
                        wres_fail(w, "resetting %s for append: %s", keys[i], strerror(errno));
                setup_ns += spl_time_ns() - s0;
                append_budget = n * per_key_appends;
                appended_rounds++;
            }
            for (int b = 0; b < BATCH; b++) {
                /* n > 0 and order[0..norder) filled, oi < norder: checked above */
                // NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign,clang-analyzer-core.DivideZero)
                uint64_t ki = op == OP_APPEND ? lo + (oi % n) : order[oi];
                if (++oi == norder) oi = 0;
                if (writer && c->pace_ns) pace(&next_set, c->pace_ns);
                outcome[do_op(c, op, keys, ki, buf, list, NULL, w)]++;
                if (op == OP_APPEND && --append_budget == 0) { ops += (uint64_t)b + 1; goto batch_done; }
            }
            ops += BATCH;
        batch_done:
            t1 = spl_time_ns();
            if (t1 - t0 - setup_ns >= budget) break;
        }
        if (phase) {
            spl_perfctr_stop(&pc);
            (void)spl_perfctr_read(&pc); /* -1: no counter open */
            w->ops = ops;
            w->ns = t1 - t0 - setup_ns;
            w->eagain = outcome[1];
            w->cpu_ns = pc.value[SPL_PERF_TASK_CLOCK];
            w->perf = pc;
            w->x[0] = writer;
            w->x[1] = (double)outcome[0]; /* calls that did what they were asked */
            w->x[2] = (double)outcome[2]; /* gets that missed a key being rewritten */
            w->x[3] = (double)norder;     /* distinct keys this worker cycled through */
        }
    }
    spl_perfctr_close(&pc);
    free(order);
    free(list);
    free(buf);
    free(keys);
    if (im->close) im->close();
}

/* Appends one repetition's value to the array extra[key]. */
static void rep_extra(struct bres *r, const char *key, double v)
{
    json_object *a;
    if (!json_object_object_get_ex(r->extra, key, &a)) {
        a = json_object_new_array();
        json_object_object_add(r->extra, key, a);
    }
    json_object_array_add(a, json_object_new_double(v));
}

/* Runs one case on one implementation for one repetition into r. */
static void run_case(struct bench_opts *o, int ii, struct ops_case *c, struct bres *r, const char *tag)
{
    struct spl_impl *im = &o->impls[ii];
    char why[256];
    struct bench_store *st = &c->st;
    uint64_t max_val = c->vsize < 8 ? 8 : c->vsize;
    if (bench_store_create(o, im, tag, o->slots, max_val, c->nkeys, c->vsize, st, r->extra, why, sizeof why) != 0) {
        bench_status(r, BENCH_ERROR, "store setup: %s", why);
        return;
    }
    if (c->place && bench_store_place(st, c->place, r->extra, why, sizeof why) != 0) {
        bench_status(r, BENCH_ERROR, "placement: %s", why);
        bench_store_remove(im, st);
        return;
    }
    c->im = im;
    int nw = c->single == OP__COUNT ? c->readers + c->writers : 1;
    struct wshared *sh = bench_shared_new(nw);
    pid_t pids[BENCH_MAX_WORKERS];
    cpu_set_t cpu_of[BENCH_MAX_WORKERS];
    if (c->cpus) memcpy(cpu_of, c->cpus, (size_t)nw * sizeof *cpu_of);
    else bench_pin_plan(o, nw, cpu_of);
    char cname[200];
    snprintf(cname, sizeof cname, "ops/%s/%s", r->name, im->label);
    if (!sh || bench_spawn(sh, ops_worker, c, cpu_of, pids, cname) != 0) {
        bench_status(r, BENCH_ERROR, "cannot start workers");
    } else {
        uint64_t timeout = (o->warmup_ns + o->run_ns) * 4 + 20ull * 1000000000ull;
        if (bench_run_wait(sh, pids, nw, 0, timeout) != 0) {
            for (int i = 0; i < nw; i++)
                if (sh->w[i].failed) { bench_status_from(r, &sh->w[i]); break; }
        } else if (r->nreps < BENCH_MAX_REPS) {
            double total_rate = 0, cpu = 0, eag = 0;
            uint64_t ops = 0;
            for (int i = 0; i < nw; i++) {
                if (sh->w[i].ns) total_rate += (double)sh->w[i].ops * 1e9 / (double)sh->w[i].ns;
                ops += sh->w[i].ops;
                cpu += (double)sh->w[i].cpu_ns;
                eag += (double)sh->w[i].eagain;
                spl_perfctr_add(&r->perf, &sh->w[i].perf);
            }
            r->perf_ops += ops;
            r->rep[r->nreps] = total_rate > 0 ? 1e9 / total_rate : 0;
            r->rep_cpu[r->nreps] = ops ? cpu / (double)ops : 0;
            if (c->onekey) { /* worker 0 writes key 0, worker 1 reads it: what the reader gets */
                const struct wres *wr = &sh->w[0], *rd = &sh->w[1];
                double ok = rd->x[1];
                r->rep[r->nreps] = ok > 0 ? (double)rd->ns / ok : 0;
                r->rep_cpu[r->nreps] = ok > 0 ? (double)rd->cpu_ns / ok : 0;
                double att = rd->ops ? (double)rd->ops : 1;
                rep_extra(r, "reader_successful_reads_per_s", rd->ns ? ok * 1e9 / (double)rd->ns : 0);
                rep_extra(r, "reader_calls_per_s", rd->ns ? (double)rd->ops * 1e9 / (double)rd->ns : 0);
                rep_extra(r, "reader_eagain_pct", 100.0 * (double)rd->eagain / att);
                rep_extra(r, "reader_missing_pct", 100.0 * rd->x[2] / att);
                rep_extra(r, "writer_sets_per_s", wr->ns ? (double)wr->ops * 1e9 / (double)wr->ns : 0);
            } else if (c->single == OP__COUNT && c->writers > 0 && c->readers > 0) {
                double att = 0, eg = 0, miss = 0;
                for (int i = c->writers; i < nw; i++) {
                    att += (double)sh->w[i].ops;
                    eg += (double)sh->w[i].eagain;
                    miss += sh->w[i].x[2];
                }
                rep_extra(r, "reader_eagain_pct", att > 0 ? 100.0 * eg / att : 0);
                rep_extra(r, "reader_missing_pct", att > 0 ? 100.0 * miss / att : 0);
            }
            if (c->split) { /* worker 0 is the writer, worker 1 the reader */
                const struct wres *wr = &sh->w[0], *rd = &sh->w[1];
                r->rep[r->nreps] = rd->ops ? (double)rd->ns / (double)rd->ops : 0;
                r->rep_cpu[r->nreps] = rd->ops ? (double)rd->cpu_ns / (double)rd->ops : 0;
                json_object *wa;
                if (!json_object_object_get_ex(r->extra, "writer_set_ns_per_op", &wa)) {
                    wa = json_object_new_array();
                    json_object_object_add(r->extra, "writer_set_ns_per_op", wa);
                }
                json_object_array_add(wa, json_object_new_double(wr->ops ? (double)wr->ns / (double)wr->ops : 0));
            }
            r->nreps++;
            r->iterations = ops;
            json_object *e;
            if (!json_object_object_get_ex(r->extra, "eagain", &e)) {
                e = json_object_new_array();
                json_object_object_add(r->extra, "eagain", e);
            }
            json_object_array_add(e, json_object_new_int64((int64_t)eag));
        }
    }
    bench_shared_free(sh);
    bench_store_remove(im, st);
}

static bool op_wanted(const struct bench_opts *o, const char *name) { return bench_list_has(o->only_ops, name); }

static void params(struct bres *r, const struct ops_case *c, uint64_t slots, uint64_t fill)
{
    json_object_object_add(r->params, "op", json_object_new_string(c->single == OP__COUNT ? "mixed" : op_names[c->single]));
    json_object_object_add(r->params, "value_size", json_object_new_uint64(c->vsize));
    json_object_object_add(r->params, "fill_pct", json_object_new_uint64(fill));
    json_object_object_add(r->params, "slots", json_object_new_uint64(slots));
    json_object_object_add(r->params, "keys", json_object_new_uint64(c->nkeys));
    json_object_object_add(r->params, "processes", json_object_new_int(c->single == OP__COUNT ? c->readers + c->writers : 1));
    json_object_object_add(r->params, "readers", json_object_new_int(c->single == OP__COUNT ? c->readers : c->single != OP_SET));
    json_object_object_add(r->params, "writers", json_object_new_int(c->single == OP__COUNT ? c->writers : c->single == OP_SET));
    if (c->pace_ns) json_object_object_add(r->params, "writer_sets_per_s_paced", json_object_new_uint64(1000000000ull / c->pace_ns));
    json_object_object_add(r->params, "keys_mode", json_object_new_string(c->onekey ? "one" : c->disjoint ? "disjoint" : "same"));
    /* the working set: how many distinct keys each worker cycles through */
    uint64_t n = c->onekey ? 1 : c->disjoint ? c->nkeys / (uint64_t)(c->readers + c->writers) : c->nkeys;
    if (!n) n = 1;
    if (c->single == OP_LIST || c->single == OP_ENUM) n = slots; /* a scan touches every slot */
    json_object_object_add(r->params, "working_set", json_object_new_uint64(working_set(c, n)));
    json_object_object_add(r->params, "working_set_from",
                           json_object_new_string(c->single == OP_LIST || c->single == OP_ENUM ? "every slot"
                                                  : c->o->working_set && c->o->working_set < n ? "--working-set"
                                                  : c->single == OP_MISS ? "absent keys, as many as the store's"
                                                                         : "the store's keys"));
}

static int run_all_impls(struct bench_opts *o, struct bench_results *rs, struct ops_case *c, const char *name,
                         uint64_t fill, const char *need)
{
    struct bres *row[BENCH_MAX_IMPLS] = {0};
    const int nimpls = o->nimpls; /* fixed for the case: every loop below covers the same rows */
    for (int ii = 0; ii < nimpls; ii++) {
        struct bres *r = bench_result_new(rs, &bench_wl_ops, name, ii, "ns/op", true);
        if (!r) return -1;
        if (!json_object_object_length(r->params)) params(r, c, o->slots, fill);
    }
    /* found again after all are created: a realloc may have moved them */
    for (int ii = 0; ii < nimpls; ii++)
        if (!(row[ii] = bench_result_find(rs, &bench_wl_ops, name, ii))) return -1;
    for (int rep = 0; rep < o->reps; rep++)
        for (int ii = 0; ii < nimpls; ii++) {
            struct bres *r = row[ii];
            const char *const needs[] = {"create", "open", "set", need, NULL};
            const char *miss = spl_impl_missing(&o->impls[ii], needs);
            if (miss) { bench_status(r, BENCH_UNSUPPORTED, "implementation lacks splinter_%s", miss); continue; }
            if (r->status != BENCH_OK) continue;
            bench_progress(o, "ops %s [%s] rep %d/%d", name, o->impls[ii].label, rep + 1, o->reps);
            run_case(o, ii, c, r, "bench-ops");
        }
    for (int ii = 0; ii < nimpls; ii++) {
        struct bres *r = row[ii];
        bench_result_finish(r);
        r->rate_median = r->median > 0 ? 1e9 / r->median : 0;
        /* CPU time per op: what the op costs when the machine is shared */
        struct bres t = {.nreps = r->nreps};
        memcpy(t.rep, r->rep_cpu, sizeof t.rep);
        bench_result_finish(&t);
        /* no task-clock at all (perf_event_open refused even user-only): no
         * cpu figure, rather than a 0.0 that reads as free */
        if (r->nreps && t.median > 0) json_object_object_add(r->extra, "cpu_ns_per_op", json_object_new_double(t.median));
    }
    return 0;
}

static int wl_ops_run(struct bench_opts *o, struct bench_results *rs)
{
    char name[160];
    for (int fi = 0; fi < o->fills.n; fi++)
        for (int vi = 0; vi < o->vsizes.n; vi++) {
            uint64_t fill = o->fills.v[fi], vs = o->vsizes.v[vi];
            uint64_t nkeys = o->slots * fill / 100;
            if (nkeys < 1) nkeys = 1;
            for (int op = 0; op < OP__COUNT; op++) {
                if (op == OP_MISS || !op_wanted(o, op_names[op])) continue; /* misses: below, per --miss-fill */
                struct ops_case c = {.o = o, .single = (enum op)op, .nkeys = nkeys, .vsize = op == OP_INTOP ? 8 : vs};
                if (op == OP_INTOP && vi > 0) continue; /* integers are 8 bytes whatever --value-size says */
                if (op == OP_INTOP) snprintf(name, sizeof name, "%s/v:8/fill:%llu", op_names[op], (unsigned long long)fill);
                else snprintf(name, sizeof name, "%s/v:%llu/fill:%llu", op_names[op], (unsigned long long)vs,
                              (unsigned long long)fill);
                if (run_all_impls(o, rs, &c, name, fill, op_syms[op]) != 0) return -1;
            }
            if (!op_wanted(o, "mp")) continue;
            /* multi-process: readers only, writers only, both; same and disjoint keys; and one
             * reader with one writer on one key (what a reader gets while its key is rewritten) */
            for (int pi = 0; pi < o->procs.n; pi++) {
                int n = (int)o->procs.v[pi];
                if (n < 1 || 2 * n > BENCH_MAX_WORKERS) continue;
                /* onekey twice: the writer as fast as it can, and paced at ONEKEY_PACE_NS (a rate
                 * every implementation's set sustains), so the readers of two implementations
                 * face the same rate of writes */
                struct { int r, w; bool dj, one; uint64_t pace; } shapes[] = {
                    {n, 0, false, false, 0}, {0, n, false, false, 0}, {0, n, true, false, 0}, {n, n, false, false, 0},
                    {n, n, true, false, 0},  {1, 1, false, true, 0},  {1, 1, false, true, ONEKEY_PACE_NS}};
                for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                    if (shapes[s].dj && shapes[s].r + shapes[s].w < 2) continue;
                    if (shapes[s].one && pi != 0) continue; /* once, whatever --procs says */
                    struct ops_case c = {.o = o, .single = OP__COUNT, .readers = shapes[s].r, .writers = shapes[s].w,
                                         .disjoint = shapes[s].dj, .onekey = shapes[s].one, .pace_ns = shapes[s].pace,
                                         .nkeys = nkeys, .vsize = vs};
                    char pace[32] = "";
                    if (shapes[s].pace) snprintf(pace, sizeof pace, "/wrate:%llu", (unsigned long long)(1000000000ull / shapes[s].pace));
                    snprintf(name, sizeof name, "mp/%s/r:%d/w:%d%s/v:%llu/fill:%llu",
                             shapes[s].one ? "onekey" : shapes[s].dj ? "disjoint" : "same", shapes[s].r, shapes[s].w,
                             pace, (unsigned long long)vs, (unsigned long long)fill);
                    if (run_all_impls(o, rs, &c, name, fill, "get") != 0) return -1;
                }
            }
        }
    /* get of absent keys, per fill level: the probe runs to a never-used
     * slot, so its cost grows with the fill (and the value size does not matter) */
    if (op_wanted(o, op_names[OP_MISS]))
        for (int fi = 0; fi < o->miss_fills.n; fi++) {
            uint64_t fill = o->miss_fills.v[fi], nkeys = o->slots * fill / 100;
            if (nkeys < 1) nkeys = 1;
            struct ops_case c = {.o = o, .single = OP_MISS, .nkeys = nkeys, .vsize = o->vsizes.v[0]};
            snprintf(name, sizeof name, "miss/fill:%llu", (unsigned long long)fill);
            if (run_all_impls(o, rs, &c, name, fill, "get") != 0) return -1;
        }
    return 0;
}

void ops_pair_measure(struct bench_opts *o, int ii, uint64_t vsize, const cpu_set_t *cpus, struct bres *r,
                      const struct spl_nodemask *place)
{
    uint64_t nkeys = o->slots / 2 ? o->slots / 2 : 1;
    struct ops_case c = {.o = o, .single = OP__COUNT, .readers = 1, .writers = 1, .nkeys = nkeys, .vsize = vsize,
                         .cpus = cpus, .place = place, .split = true};
    if (!json_object_object_length(r->params)) params(r, &c, o->slots, 50);
    const char *const needs[] = {"create", "open", "set", "get", NULL};
    const char *miss = spl_impl_missing(&o->impls[ii], needs);
    if (miss) { bench_status(r, BENCH_UNSUPPORTED, "implementation lacks splinter_%s", miss); return; }
    run_case(o, ii, &c, r, "bench-numa");
}

/* The first implementation against each other one (not both references),
 * op by op: a comparison measured in this run, never a verdict on the other
 * implementation (the reference's own goals are in docs/benchmarks.md and
 * the perf gate). */
static void ops_targets(const struct bench_opts *o, const struct bench_results *rs, json_object *arr, FILE *human)
{
    for (int ii = 1; ii < o->nimpls; ii++) {
        if (strncmp(o->impls[ii].label, "ref", 3) == 0 && strncmp(o->impls[0].label, "ref", 3) == 0) continue;
        for (int i = 0; i < rs->n; i++) {
            const struct bres *b = &rs->r[i];
            if (b->wl != &bench_wl_ops || b->impl != 0 || b->status != BENCH_OK) continue;
            if (strncmp(b->name, "mp/", 3) == 0 && strncmp(b->name, "mp/onekey/", 10) != 0) continue;
            const struct bres *c = bench_row(rs, &bench_wl_ops, b->name, ii);
            if (!c || c->status != BENCH_OK || b->median <= 0) continue;
            double q = b->median / c->median; /* first ns/op over other ns/op */
            json_object *bc, *cc;
            double cpu_q = json_object_object_get_ex(b->extra, "cpu_ns_per_op", &bc) &&
                                   json_object_object_get_ex(c->extra, "cpu_ns_per_op", &cc) && json_object_get_double(cc) > 0
                               ? json_object_get_double(bc) / json_object_get_double(cc) : NAN;
            json_object *t = json_object_new_object();
            json_object_object_add(t, "target", json_object_new_string("ns/op of the first implementation over the other's, same case, same run"));
            json_object_object_add(t, "case", json_object_new_string(b->name));
            json_object_object_add(t, "baseline", json_object_new_string(o->impls[0].label));
            json_object_object_add(t, "other", json_object_new_string(o->impls[ii].label));
            json_object_object_add(t, "measured", bench_json_double(q));
            json_object_object_add(t, "figure", json_object_new_string(
                "baseline median ns/op / other median ns/op (< 1: baseline faster; onekey: per successful read)"));
            json_object_object_add(t, "measured_cpu", bench_json_double(cpu_q));
            json_object_array_add(arr, t);
            if (human)
                fprintf(human, "  %-34s %s/%s ns/op = %.3g wall, %.3g cpu (%s faster)\n", b->name, o->impls[0].label,
                        o->impls[ii].label, q, cpu_q, q <= 1.0 ? o->impls[0].label : o->impls[ii].label);
        }
    }
}

static const char *const ops_options[] = {"time", "warmup", "slots", "value-size", "fill", "miss-fill", "working-set",
                                           "procs", "ops", "seed", NULL};
/* --ops accepts each single-process op and mp (the multi-process shapes) */
static const char *const *ops_choices(const char *option)
{
    static const char *names[OP__COUNT + 2];
    if (strcmp(option, "ops") != 0) return NULL;
    for (int i = 0; i < OP__COUNT; i++) names[i] = op_names[i];
    names[OP__COUNT] = "mp";
    return names;
}

const struct bench_workload bench_wl_ops = {
    .name = "ops",
    .help = "ns/op of each operation, single process and multi-process mixes",
    .options = ops_options,
    .run = wl_ops_run,
    .targets = ops_targets,
    .choices = ops_choices,
};
