/*
 * torture_hist.c - the torture's own history, and its final linearizability
 * check (lib/lincheck.h).
 *
 * Workers log every set and get on the first TT_HIST_KEYS keys into one
 * shared array outside the store (the medic logs its rewrites too). A call
 * is logged at invocation and completed when it returns, so one whose
 * process the killer took stays "invoked": its effect is unknown, and the
 * time it could last take effect is when the supervisor reaped the process.
 * At the end of the run the supervisor checks the history per key against a
 * register: every read returned a value some order of the calls explains,
 * consistent with their real-time order (no lost, stale or resurrected
 * write). The history stops at the first crash cycle: what a crash may take
 * back (an unflushed write) is the crash audit's business.
 */
#include "lincheck.h"
#include "proc.h"
#include "torture.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

struct tt_hist *tt_hist_new(void)
{
    size_t len = sizeof(struct tt_hist) + TT_HIST_CAP * sizeof(struct tt_hist_ev);
    struct tt_hist *h = spl_shared_alloc(len);
    if (h) h->cap = TT_HIST_CAP;
    return h;
}

void tt_hist_free(struct tt_hist *h)
{
    if (h) spl_shared_free(h, sizeof(struct tt_hist) + TT_HIST_CAP * sizeof(struct tt_hist_ev));
}

struct tt_hist_ev *tt_hist_begin(struct tt_hist *h, uint32_t op, uint32_t key, uint32_t worker, uint32_t gen, uint64_t seq)
{
    if (!h || key >= TT_HIST_KEYS || atomic_load_explicit(&h->closed, memory_order_relaxed)) return NULL;
    uint64_t i = atomic_fetch_add_explicit(&h->n, 1, memory_order_relaxed);
    if (i >= h->cap) { /* full: counted, not stored; the cut moves to the earliest such call */
        uint64_t now = spl_time_ns(), was = atomic_load_explicit(&h->full_at, memory_order_relaxed);
        while ((was == 0 || now < was) &&
               !atomic_compare_exchange_weak_explicit(&h->full_at, &was, now, memory_order_relaxed, memory_order_relaxed)) {}
        return NULL;
    }
    struct tt_hist_ev *e = &h->ev[i];
    e->op = (uint16_t)op, e->worker = (uint16_t)worker, e->key = key, e->gen = gen, e->seq = seq;
    e->t0 = spl_time_ns();
    atomic_store_explicit(&e->state, TT_HIST_INVOKED, memory_order_release);
    return e;
}

void tt_hist_stamp(struct tt_hist_ev *e)
{
    if (e) e->t1 = spl_time_ns();
}

void tt_hist_end(struct tt_hist_ev *e, int rc, int err, uint64_t seq_read, uint32_t verdict)
{
    if (!e) return;
    if (!e->t1) e->t1 = spl_time_ns();
    e->rc = rc, e->err = err, e->verdict = verdict;
    if (e->op == TT_HIST_GET) e->seq = seq_read;
    atomic_store_explicit(&e->state, TT_HIST_RETURNED, memory_order_release);
}

struct death { uint32_t worker, gen; uint64_t ns; };

static int death_cmp(const void *x, const void *y)
{
    const struct death *a = x, *b = y;
    if (a->worker != b->worker) return a->worker < b->worker ? -1 : 1;
    return a->gen < b->gen ? -1 : a->gen > b->gen;
}

static uint64_t death_time(const struct death *d, size_t n, uint32_t worker, uint32_t gen, uint64_t fallback)
{
    struct death key = {worker, gen, 0};
    const struct death *f = bsearch(&key, d, n, sizeof *d, death_cmp);
    return f ? f->ns : fallback;
}

static const char *value_name(uint64_t v, char *b, size_t n, void *arg)
{
    (void)arg;
    snprintf(b, n, "seq %llu", (unsigned long long)v);
    return b;
}

static const char *key_name(uint32_t k, char *b, size_t n, void *arg)
{
    (void)arg;
    tt_key_name(k, b, n);
    return b;
}

struct lines {
    FILE *out;
    char first[TT_MSG];
    json_object *arr;
};

static void put_line(void *arg, const char *text)
{
    struct lines *l = arg;
    fprintf(l->out, "!!! splsuite-torture: %s\n", text);
    if (!l->first[0]) snprintf(l->first, sizeof l->first, "%s", text);
    if (l->arr) json_object_array_add(l->arr, json_object_new_string(text));
}

json_object *tt_hist_check(struct tt_ctx *c, const struct tt_deaths *d, uint64_t until, FILE *out)
{
    struct tt_hist *H = c->sh->hist;
    json_object *j = json_object_new_object();
    if (!H) {
        json_object_object_add(j, "verdict", json_object_new_string("not checked"));
        return j;
    }
    atomic_store(&H->closed, 1);
    uint64_t logged = atomic_load(&H->n), n = logged < H->cap ? logged : H->cap;
    /* past the first call the full log dropped, a get may read a set that
     * was never logged: the history ends there (as at a first crash) */
    uint64_t full_at = atomic_load(&H->full_at);
    if (full_at && full_at < until) until = full_at;
    uint32_t nk = c->sh->nkeys < TT_HIST_KEYS ? c->sh->nkeys : TT_HIST_KEYS;
    struct death *dd = malloc((d->n ? d->n : 1) * sizeof *dd);
    struct lc_history *h = lc_new(LC_REGISTER, 1); /* tt_populate wrote seq 1 to every key */
    if (!dd || !h) {
        free(dd);
        lc_free(h);
        json_object_object_add(j, "verdict", json_object_new_string("not checked (out of memory)"));
        return j;
    }
    for (size_t i = 0; i < d->n; i++) dd[i] = (struct death){d->worker[i], d->gen[i], d->ns[i]};
    qsort(dd, d->n, sizeof *dd, death_cmp);
    uint64_t calls = 0, unknown = 0;
    for (uint64_t i = 0; i < n; i++) {
        const struct tt_hist_ev *e = &H->ev[i];
        uint32_t st = atomic_load_explicit(&e->state, memory_order_acquire);
        if (st == 0 || e->t0 >= until) continue; /* never filled in, or after the first crash */
        struct lc_op op = {.call = e->t0, .obj = e->key, .proc = e->worker, .tag = i, .outcome = LC_DONE};
        bool done = st == TT_HIST_RETURNED && e->t1 <= until;
        if (e->op == TT_HIST_SET) {
            op.kind = LC_SET, op.arg = e->seq;
            if (!done) {
                /* killed inside the set (or cut by the crash): either, before it was reaped */
                op.outcome = LC_UNKNOWN;
                op.ret = e->worker == TT_HIST_MEDIC ? until : death_time(dd, d->n, e->worker, e->gen, until);
                if (op.ret > until) op.ret = until;
                unknown++;
            } else {
                op.ret = e->t1;
                if (e->rc != 0) op.outcome = LC_FAILED; /* EAGAIN: no effect */
            }
        } else {
            if (!done || e->rc != 0 || e->verdict == TT_HIST_DISCARDED) continue; /* no result to judge */
            op.kind = LC_GET, op.ret = e->t1;
            op.res = e->verdict == 0 ? e->seq : LC_GARBAGE;
        }
        calls++;
        if (lc_add(h, &op) != 0) break;
    }
    struct lc_limits lim = {.max_ns = 30000000000ull};
    struct lc_result r;
    enum lc_verdict v = lc_check(h, &lim, &r);
    json_object_object_add(j, "verdict", json_object_new_string(lc_verdict_str(v)));
    json_object_object_add(j, "calls", json_object_new_uint64(calls));
    json_object_object_add(j, "unknown_effect", json_object_new_uint64(unknown));
    json_object_object_add(j, "keys", json_object_new_int((int)nk));
    json_object_object_add(j, "logged", json_object_new_uint64(logged));
    json_object_object_add(j, "log_capacity", json_object_new_uint64(H->cap));
    json_object_object_add(j, "seconds", json_object_new_double(r.secs));
    char scope[160];
    snprintf(scope, sizeof scope, "%llu calls on the first %u keys (%llu of unknown effect: writers killed inside)%s%s",
             (unsigned long long)calls, nk, (unsigned long long)unknown, logged > H->cap ? ", log full: the first part of the run" : "",
             until != UINT64_MAX ? ", up to the first crash" : "");
    if (v == LC_LINEARIZABLE) {
        fprintf(out, "splsuite-torture: history: %s: linearizable (%zu segments, longest %zu; %.2f s to check)\n", scope,
                r.segments, r.longest_segment, r.secs);
    } else if (v == LC_UNDECIDED) {
        fprintf(out, "splsuite-torture: history: %s: undecided: %s\n", scope, r.why);
        json_object_object_add(j, "why", json_object_new_string(r.why));
    } else {
        struct lines L = {.out = out, .arr = json_object_new_array()};
        struct lc_names nm = {.value = value_name, .obj = key_name};
        fprintf(out, "!!! splsuite-torture: history: %s: NOT linearizable\n", scope);
        lc_explain(h, &r, c->t0, &nm, put_line, &L);
        json_object_object_add(j, "witness", L.arr);
        tt_fail(c->sh, "history: %s", L.first);
    }
    lc_result_free(&r);
    lc_free(h);
    free(dd);
    return j;
}
