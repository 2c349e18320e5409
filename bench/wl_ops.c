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

enum op { OP_SET, OP_GET, OP_APPEND, OP_INTOP, OP_RAW, OP_LIST, OP_ENUM, OP__COUNT };
static const char *const op_names[OP__COUNT] = {"set", "get", "append", "intop", "raw", "list", "enum"};
static const char *const op_syms[OP__COUNT] = {"set", "get", "append", "integer_op", "get_raw_ptr", "list",
                                               "enumerate_matches"};

struct ops_case {
    const struct bench_opts *o;
    const struct spl_impl *im;
    struct bench_store st; /* the case owns its store: no pointer to a caller's local */
    enum op single;       /* single-process op; OP__COUNT for a mixed group */
    int readers, writers;
    bool disjoint;
    uint64_t nkeys, vsize;
    const cpu_set_t *cpus; /* per worker; NULL = --pin plan */
    const struct spl_nodemask *place; /* mbind the store here (NUMA matrix) */
    bool split; /* report the reader's ns/op, the writer's in extra */
};

#define BATCH 64

static char (*make_keys(uint64_t n))[40]
{
    char(*k)[40] = malloc(n * sizeof *k);
    if (!k) return NULL;
    for (uint64_t i = 0; i < n; i++) bench_key(k[i], sizeof k[i], i);
    return k;
}

static void count_cb(const char *key, uint64_t epoch, void *data)
{
    (void)key;
    (void)epoch;
    (*(uint64_t *)data)++;
}

static volatile uint64_t sink;

/* One operation of kind op on key index ki; returns 0, or 1 for EAGAIN. */
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
        break;
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
    char(*keys)[40] = make_keys(c->nkeys);
    uint8_t *buf = calloc(1, c->st.max_val + 64);
    char **list = calloc(c->st.slots, sizeof *list);
    if (!keys || !buf || !list) wres_fail(w, "out of memory");
    memset(buf, 'v', c->vsize);

    enum op op = c->single;
    bool writer = false;
    if (op == OP__COUNT) { /* group member: writers first, then readers */
        writer = idx < c->writers;
        op = writer ? OP_SET : OP_GET;
    }
    /* the keys this worker touches */
    uint64_t lo = 0, n = c->nkeys;
    if (c->disjoint && c->single == OP__COUNT) {
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
    /* a shuffled order of key indices, the same for every implementation */
    uint64_t norder = 4096;
    uint64_t *order = malloc(norder * sizeof *order);
    if (!order) wres_fail(w, "out of memory");
    struct spl_rng rng;
    spl_rng_seed(&rng, c->o->seed + (uint64_t)idx * 7919);
    for (uint64_t i = 0; i < norder; i++) order[i] = lo + spl_rng_below(&rng, n);
    uint64_t appended_rounds = 0;
    uint64_t per_key_appends = (c->st.max_val - 8) / 8;

    struct spl_perfctr pc;
    (void)spl_perfctr_open(&pc, 0, false); /* optional: unsupported counters say so in the row */
    bench_worker_ready(sh);

    for (int phase = 0; phase < 2; phase++) { /* 0 warm-up, 1 measured */
        uint64_t budget = phase ? c->o->run_ns : c->o->warmup_ns;
        uint64_t ops = 0, eagain = 0, oi = 0, t0, t1;
        uint64_t append_budget = 0, setup_ns = 0;
        if (phase) spl_perfctr_start(&pc);
        t0 = spl_time_ns();
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
                uint64_t ki = op == OP_APPEND ? lo + (oi % n) : order[oi & (norder - 1)];
                oi++;
                eagain += (uint64_t)do_op(c, op, keys, ki, buf, list, NULL, w);
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
            w->eagain = eagain;
            w->cpu_ns = pc.value[SPL_PERF_TASK_CLOCK];
            w->perf = pc;
            w->x[0] = writer;
        }
    }
    spl_perfctr_close(&pc);
    if (im->close) im->close();
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
    json_object_object_add(r->params, "keys_mode", json_object_new_string(c->disjoint ? "disjoint" : "same"));
}

static int run_all_impls(struct bench_opts *o, struct bench_results *rs, struct ops_case *c, const char *name,
                         uint64_t fill, const char *need)
{
    struct bres *row[BENCH_MAX_IMPLS];
    for (int ii = 0; ii < o->nimpls; ii++) {
        struct bres *r = bench_result_new(rs, &bench_wl_ops, name, ii, "ns/op", true);
        if (!r) return -1;
        if (!json_object_object_length(r->params)) params(r, c, o->slots, fill);
    }
    /* found again after all are created: a realloc may have moved them */
    for (int ii = 0; ii < o->nimpls; ii++) row[ii] = bench_result_find(rs, &bench_wl_ops, name, ii);
    for (int rep = 0; rep < o->reps; rep++)
        for (int ii = 0; ii < o->nimpls; ii++) {
            struct bres *r = row[ii];
            const char *const needs[] = {"create", "open", "set", need, NULL};
            const char *miss = spl_impl_missing(&o->impls[ii], needs);
            if (miss) { bench_status(r, BENCH_UNSUPPORTED, "implementation lacks splinter_%s", miss); continue; }
            if (r->status != BENCH_OK) continue;
            bench_progress(o, "ops %s [%s] rep %d/%d", name, o->impls[ii].label, rep + 1, o->reps);
            run_case(o, ii, c, r, "bench-ops");
        }
    for (int ii = 0; ii < o->nimpls; ii++) {
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
                if (!op_wanted(o, op_names[op])) continue;
                struct ops_case c = {.o = o, .single = (enum op)op, .nkeys = nkeys, .vsize = op == OP_INTOP ? 8 : vs};
                if (op == OP_INTOP && vi > 0) continue; /* integers are 8 bytes whatever --value-size says */
                if (op == OP_INTOP) snprintf(name, sizeof name, "%s/v:8/fill:%llu", op_names[op], (unsigned long long)fill);
                else snprintf(name, sizeof name, "%s/v:%llu/fill:%llu", op_names[op], (unsigned long long)vs,
                              (unsigned long long)fill);
                if (run_all_impls(o, rs, &c, name, fill, op_syms[op]) != 0) return -1;
            }
            if (!op_wanted(o, "mp")) continue;
            /* multi-process: readers only, writers only, both; same and disjoint keys */
            for (int pi = 0; pi < o->procs.n; pi++) {
                int n = (int)o->procs.v[pi];
                if (n < 1 || 2 * n > BENCH_MAX_WORKERS) continue;
                struct { int r, w; bool dj; } shapes[] = {{n, 0, false}, {0, n, false}, {0, n, true}, {n, n, false}, {n, n, true}};
                for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                    if (shapes[s].dj && shapes[s].r + shapes[s].w < 2) continue;
                    struct ops_case c = {.o = o, .single = OP__COUNT, .readers = shapes[s].r, .writers = shapes[s].w,
                                         .disjoint = shapes[s].dj, .nkeys = nkeys, .vsize = vs};
                    snprintf(name, sizeof name, "mp/%s/r:%d/w:%d/v:%llu/fill:%llu", shapes[s].dj ? "disjoint" : "same",
                             shapes[s].r, shapes[s].w, (unsigned long long)vs, (unsigned long long)fill);
                    if (run_all_impls(o, rs, &c, name, fill, "get") != 0) return -1;
                }
            }
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

/* Target 1 of issue 5: the first implementation at least as fast as every
 * other (not both references) on single-process set and get. */
static void ops_targets(const struct bench_opts *o, const struct bench_results *rs, json_object *arr, FILE *human)
{
    for (int ii = 1; ii < o->nimpls; ii++) {
        if (strncmp(o->impls[ii].label, "ref", 3) == 0 && strncmp(o->impls[0].label, "ref", 3) == 0) continue;
        for (int i = 0; i < rs->n; i++) {
            const struct bres *b = &rs->r[i];
            if (b->wl != &bench_wl_ops || b->impl != 0 || b->status != BENCH_OK) continue;
            const char *op = bench_param_str(b, "op");
            if (strcmp(op, "set") != 0 && strcmp(op, "get") != 0) continue;
            const struct bres *c = bench_row(rs, &bench_wl_ops, b->name, ii);
            if (!c || c->status != BENCH_OK || b->median <= 0) continue;
            double speedup = c->median / b->median; /* other ns/op over first ns/op */
            json_object *bc, *cc;
            double cpu_q = json_object_object_get_ex(b->extra, "cpu_ns_per_op", &bc) &&
                                   json_object_object_get_ex(c->extra, "cpu_ns_per_op", &cc) && json_object_get_double(bc) > 0
                               ? json_object_get_double(cc) / json_object_get_double(bc) : NAN;
            json_object *t = json_object_new_object();
            json_object_object_add(t, "target", json_object_new_string("first implementation at least as fast as the other on single-process set/get"));
            json_object_object_add(t, "case", json_object_new_string(b->name));
            json_object_object_add(t, "baseline", json_object_new_string(o->impls[0].label));
            json_object_object_add(t, "other", json_object_new_string(o->impls[ii].label));
            json_object_object_add(t, "measured", bench_json_double(speedup));
            json_object_object_add(t, "figure", json_object_new_string("other ns/op / baseline ns/op (>= 1: baseline as fast or faster)"));
            json_object_object_add(t, "measured_cpu", bench_json_double(cpu_q));
            json_object_object_add(t, "goal", json_object_new_double(1.0));
            json_object_object_add(t, "met", json_object_new_boolean(speedup >= 1.0));
            json_object_array_add(arr, t);
            char line[512];
            snprintf(line, sizeof line, "  %-28s %s/%s ns/op = %.2f wall, %.2f cpu (goal >= 1.00) %s", b->name,
                     o->impls[ii].label, o->impls[0].label, speedup, cpu_q, speedup >= 1.0 ? "met" : "NOT met");
            if (human) fprintf(human, "%s\n", line);
        }
    }
}

static const char *const ops_options[] = {"time", "warmup", "slots", "value-size", "fill", "procs", "ops", "seed", NULL};
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
