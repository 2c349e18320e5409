/*
 * lincheck.c - linearizability of per-key histories (see lincheck.h).
 */
#include "lincheck.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the history --------------------------------------------------------- */

struct lc_init { uint32_t obj; uint64_t state; };

struct lc_history {
    enum lc_model model;
    uint64_t init;
    struct lc_op *ops;
    size_t n, cap;
    struct lc_init *inits;
    size_t ninits, capinits;
};

struct lc_history *lc_new(enum lc_model m, uint64_t init)
{
    if (m != LC_REGISTER && m != LC_COUNTER && m != LC_SEQUENCE) { errno = EINVAL; return NULL; }
    struct lc_history *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->model = m;
    h->init = init;
    return h;
}

void lc_free(struct lc_history *h)
{
    if (!h) return;
    free(h->ops);
    free(h->inits);
    free(h);
}

void lc_set_init(struct lc_history *h, uint32_t obj, uint64_t init)
{
    for (size_t i = 0; i < h->ninits; i++)
        if (h->inits[i].obj == obj) { h->inits[i].state = init; return; }
    if (h->ninits == h->capinits) {
        size_t nc = h->capinits ? 2 * h->capinits : 16;
        struct lc_init *p = realloc(h->inits, nc * sizeof *p);
        if (!p) return;
        h->inits = p;
        h->capinits = nc;
    }
    h->inits[h->ninits++] = (struct lc_init){obj, init};
}

static uint64_t init_of(const struct lc_history *h, uint32_t obj)
{
    for (size_t i = 0; i < h->ninits; i++)
        if (h->inits[i].obj == obj) return h->inits[i].state;
    return h->init;
}

static bool kind_ok(enum lc_model m, unsigned k)
{
    switch (k) {
    case LC_SET: case LC_GET: return true;
    case LC_UNSET: return m != LC_COUNTER;
    case LC_INTOP: return m == LC_COUNTER;
    case LC_APPEND: return m == LC_SEQUENCE;
    default: return false;
    }
}

int lc_add(struct lc_history *h, const struct lc_op *op)
{
    if (!h || !op || !kind_ok(h->model, op->kind) || op->outcome > LC_UNKNOWN || (op->kind == LC_INTOP && op->intop > 5)) {
        errno = EINVAL;
        return -1;
    }
    if (h->n == h->cap) {
        size_t nc = h->cap ? 2 * h->cap : 1024;
        struct lc_op *p = realloc(h->ops, nc * sizeof *p);
        if (!p) { errno = ENOMEM; return -1; }
        h->ops = p;
        h->cap = nc;
    }
    struct lc_op o = *op;
    if (o.ret < o.call) o.ret = o.call; /* a clock that stepped: keep the interval well-formed */
    h->ops[h->n++] = o;
    return 0;
}

int lc_add_tandem(struct lc_history *h, const struct lc_op *op, uint32_t obj0, unsigned orders, const uint64_t *vals)
{
    if (op->kind != LC_SET && op->kind != LC_UNSET) { errno = EINVAL; return -1; }
    for (unsigned i = 0; i < (orders ? orders : 1); i++) {
        struct lc_op m = *op;
        m.obj = obj0 + i;
        if (op->kind == LC_SET) m.arg = vals[i];
        else m.res = LC_ANY; /* the tandem unset reports nothing */
        if (lc_add(h, &m) != 0) return -1;
    }
    return 0;
}

size_t lc_size(const struct lc_history *h) { return h ? h->n : 0; }
const struct lc_op *lc_get(const struct lc_history *h, size_t i) { return h && i < h->n ? &h->ops[i] : NULL; }

/* ---- models -------------------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t lc_seq_extend(uint64_t seq, uint64_t token)
{
    uint64_t h = mix64(seq * 0x100000001B3ull ^ mix64(token + 0x9E3779B97F4A7C15ull));
    return h >= LC_ANY ? h - 4 : h; /* never one of the reserved names */
}

uint64_t lc_seq_hash(const uint64_t *tokens, size_t n)
{
    uint64_t h = LC_SEQ_EMPTY;
    for (size_t i = 0; i < n; i++) h = lc_seq_extend(h, tokens[i]);
    return h;
}

uint64_t lc_intop_apply(uint8_t intop, uint64_t v, uint64_t m)
{
    switch (intop) {
    case 0: return v & m;
    case 1: return v | m;
    case 2: return v ^ m;
    case 3: return ~v;
    case 4: return v + m;
    case 5: return v - m;
    default: return v;
    }
}

/* One step of the model: may op go next from state s, with effect choice
 * (0: it took effect; 1: it did not, for calls of unknown outcome)? */
static bool step(enum lc_model m, uint64_t s, const struct lc_op *o, bool nocheck, int choice, uint64_t *ns)
{
    if (choice == 1) { *ns = s; return true; }
    bool check = !nocheck && o->outcome == LC_DONE && o->res != LC_ANY;
    switch (o->kind) {
    case LC_SET:
        *ns = o->arg;
        return true;
    case LC_GET:
        *ns = s;
        return !check || o->res == s;
    case LC_UNSET:
        *ns = LC_ABSENT;
        if (!check) return true;
        return o->res == LC_ABSENT ? s == LC_ABSENT : s != LC_ABSENT;
    case LC_INTOP:
        *ns = lc_intop_apply(o->intop, s, o->arg);
        return true;
    case LC_APPEND:
        if (s == LC_ABSENT) { *ns = s; return !check; } /* an append to no key cannot succeed */
        *ns = lc_seq_extend(s, o->arg);
        (void)m;
        return true;
    }
    return false;
}

static int nchoices(const struct lc_op *o) { return o->outcome == LC_UNKNOWN ? 2 : 1; }

/* ---- the search ----------------------------------------------------------- */

struct sub {
    const struct lc_op **op;
    uint8_t *nocheck; /* result of op i not checked (may be NULL) */
    size_t n;
};

struct stateset {
    uint64_t *s;
    size_t n, cap, max;
    bool over;    /* more than max states */
    bool partial; /* the search stopped before it had every end state */
};

static bool set_has(const struct stateset *S, uint64_t v)
{
    for (size_t i = 0; i < S->n; i++)
        if (S->s[i] == v) return true;
    return false;
}

static void set_add(struct stateset *S, uint64_t v)
{
    if (set_has(S, v)) return;
    if (S->n >= S->max) { S->over = true; return; }
    if (S->n == S->cap) {
        size_t nc = S->cap ? 2 * S->cap : 8;
        uint64_t *p = realloc(S->s, nc * sizeof *p);
        if (!p) { S->over = true; return; }
        S->s = p;
        S->cap = nc;
    }
    S->s[S->n++] = v;
}

/* Memo of visited (linearised set, state) configurations: open addressing,
 * entries stamped with a generation so that starting a new segment costs
 * nothing (histories have many tiny segments). */
struct cache {
    uint64_t *a, *b, *st;
    uint32_t *gen;
    uint32_t cur;
    size_t cap, n, max;
};

static void cache_free(struct cache *c)
{
    free(c->a), free(c->b), free(c->st), free(c->gen);
    memset(c, 0, sizeof *c);
}

/* hint: calls in the coming search. A table sized for a long segment is
 * dropped before a short one: probing a huge table is all cache misses. */
static void cache_reset(struct cache *c, size_t max, size_t hint)
{
    if (c->cap > 1024 && c->cap > 64 * hint) cache_free(c);
    c->max = max;
    c->n = 0;
    if (++c->cur == 0) { /* wrapped: clear for real */
        if (c->gen) memset(c->gen, 0, c->cap * sizeof *c->gen);
        c->cur = 1;
    }
}

static size_t cache_slot(const struct cache *c, uint64_t a, uint64_t st) { return (size_t)(mix64(a ^ mix64(st)) & (c->cap - 1)); }

static int cache_grow(struct cache *c)
{
    size_t nc = c->cap ? 2 * c->cap : 1024;
    struct cache n = {.cap = nc, .max = c->max, .cur = 1};
    n.a = malloc(nc * 8), n.b = malloc(nc * 8), n.st = malloc(nc * 8), n.gen = calloc(nc, sizeof *n.gen);
    if (!n.a || !n.b || !n.st || !n.gen) { cache_free(&n); return -1; }
    for (size_t i = 0; i < c->cap; i++) {
        if (c->gen[i] != c->cur) continue;
        size_t j = cache_slot(&n, c->a[i], c->st[i]);
        while (n.gen[j] == n.cur) j = (j + 1) & (nc - 1);
        n.gen[j] = n.cur, n.a[j] = c->a[i], n.b[j] = c->b[i], n.st[j] = c->st[i];
    }
    n.n = c->n;
    cache_free(c);
    *c = n;
    return 0;
}

/* 1 inserted, 0 already there, -1 full (bound or memory) */
static int cache_insert(struct cache *c, uint64_t a, uint64_t b, uint64_t st)
{
    if (c->n + 1 > c->cap / 2) {
        if (c->n >= c->max || cache_grow(c) != 0) return -1;
    }
    size_t j = cache_slot(c, a, st);
    while (c->gen[j] == c->cur) {
        if (c->a[j] == a && c->b[j] == b && c->st[j] == st) return 0;
        j = (j + 1) & (c->cap - 1);
    }
    c->gen[j] = c->cur, c->a[j] = a, c->b[j] = b, c->st[j] = st;
    c->n++;
    return 1;
}

struct ctx {
    enum lc_model model;
    const struct lc_op *base; /* the checker's copy of the history */
    struct lc_limits lim;
    uint64_t steps, t_start;
    bool undecided;
    char why[256];
    /* scratch reused between searches */
    struct cache cache;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct ent { uint64_t t; uint32_t id; }; /* id = 2*op (call) or 2*op+1 (return) */

static int ent_cmp(const void *x, const void *y)
{
    const struct ent *a = x, *b = y;
    if (a->t != b->t) return a->t < b->t ? -1 : 1;
    /* at equal times calls come first: touching intervals count as concurrent */
    int ra = (int)(a->id & 1), rb = (int)(b->id & 1);
    if (ra != rb) return ra - rb;
    return a->id < b->id ? -1 : a->id > b->id;
}

static bool over_time(struct ctx *cx)
{
    if (now_ns() - cx->t_start <= cx->lim.max_ns) return false;
    snprintf(cx->why, sizeof cx->why, "time bound reached: %.1f s", (double)cx->lim.max_ns / 1e9);
    return true;
}

static bool out_of_bounds(struct ctx *cx)
{
    if (cx->steps > cx->lim.max_steps) {
        snprintf(cx->why, sizeof cx->why, "search bound reached: %" PRIu64 " steps", cx->lim.max_steps);
        return true;
    }
    if ((cx->steps & 0xfff) == 0 && now_ns() - cx->t_start > cx->lim.max_ns) {
        snprintf(cx->why, sizeof cx->why, "time bound reached: %.1f s", (double)cx->lim.max_ns / 1e9);
        return true;
    }
    return false;
}

/*
 * Linearises all of s from each state in in[], collecting the states it can
 * end in (all of them, or the first one when first_only). 0 done (out->n == 0:
 * not linearizable), -1 a bound was hit (cx->undecided).
 */
static int search(struct ctx *cx, const struct sub *s, const uint64_t *in, size_t nin, struct stateset *out, uint64_t extra)
{
    size_t n = s->n;
    bool first_only = extra == 0;
    uint64_t stop_at = UINT64_MAX; /* once an end state is found: the steps left to find the others */
    out->n = 0;
    out->over = false;
    out->partial = false;
    if (n == 0) {
        for (size_t i = 0; i < nin; i++) set_add(out, in[i]);
        return 0;
    }
    struct ent *e = malloc(2 * n * sizeof *e);
    uint32_t *nx = malloc((2 * n + 1) * sizeof *nx), *pv = malloc((2 * n + 1) * sizeof *pv);
    struct frame { uint32_t op; int choice; uint64_t prev, za, zb; } *fr = malloc(n * sizeof *fr);
    int rc = 0;
    if (!e || !nx || !pv || !fr) {
        snprintf(cx->why, sizeof cx->why, "out of memory for a segment of %zu calls", n);
        cx->undecided = true;
        rc = -1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        e[2 * i] = (struct ent){s->op[i]->call, (uint32_t)(2 * i)};
        e[2 * i + 1] = (struct ent){s->op[i]->ret, (uint32_t)(2 * i + 1)};
    }
    qsort(e, 2 * n, sizeof *e, ent_cmp);
    const uint32_t H = (uint32_t)(2 * n);
    cache_reset(&cx->cache, cx->lim.max_cache, n);
    for (size_t k = 0; k < nin && !(first_only && out->n) && !out->partial; k++) {
        /* the list of entries in time order, circular through the head H */
        uint32_t prev = H;
        for (size_t i = 0; i < 2 * n; i++) {
            nx[prev] = e[i].id;
            pv[e[i].id] = prev;
            prev = e[i].id;
        }
        nx[prev] = H;
        pv[H] = prev;
        uint64_t state = in[k], za = 0, zb = 0;
        size_t sp = 0;
        int start = 0;
        uint32_t cur = nx[H];
        for (;;) {
            if (++cx->steps, out_of_bounds(cx)) { cx->undecided = true; rc = -1; goto out; }
            if (nx[H] == H) { /* everything linearised */
                set_add(out, state);
                if (first_only || out->over) break;
                if (stop_at == UINT64_MAX && extra != UINT64_MAX) stop_at = cx->steps + extra;
                goto backtrack;
            }
            if (cx->steps > stop_at) { out->partial = true; break; }
            if (!(cur & 1)) { /* a call: try it next */
                uint32_t i = cur >> 1;
                const struct lc_op *o = s->op[i];
                bool nc = s->nocheck && s->nocheck[i];
                int nch = nchoices(o);
                bool moved = false;
                for (int ch = start; ch < nch; ch++) {
                    uint64_t ns;
                    if (!step(cx->model, state, o, nc, ch, &ns)) continue;
                    uint64_t a = za ^ mix64(0xA5A5A5A5A5A5A5A5ull + i), b = zb ^ mix64(0x5A5A5A5A00000000ull + 3 * (uint64_t)i + 1);
                    int ins = cache_insert(&cx->cache, a, b, ns);
                    if (ins < 0) {
                        snprintf(cx->why, sizeof cx->why, "memo bound reached: %zu configurations in a segment of %zu calls",
                                 cx->cache.n, n);
                        cx->undecided = true;
                        rc = -1;
                        goto out;
                    }
                    if (ins == 0) continue;
                    fr[sp++] = (struct frame){i, ch, state, za, zb};
                    /* lift the call and its return out of the list */
                    uint32_t c = 2 * i, r = 2 * i + 1;
                    nx[pv[c]] = nx[c], pv[nx[c]] = pv[c];
                    nx[pv[r]] = nx[r], pv[nx[r]] = pv[r];
                    state = ns, za = a, zb = b;
                    cur = nx[H];
                    start = 0;
                    moved = true;
                    break;
                }
                if (!moved) { cur = nx[cur]; start = 0; }
                continue;
            }
        backtrack: /* a return: the call it ends must have gone earlier */
            if (sp == 0) break;
            {
                struct frame f = fr[--sp];
                uint32_t c = 2 * f.op, r = 2 * f.op + 1;
                nx[pv[r]] = r, pv[nx[r]] = r;
                nx[pv[c]] = c, pv[nx[c]] = c;
                state = f.prev, za = f.za, zb = f.zb;
                cur = c;
                start = f.choice + 1;
            }
        }
        if (out->over) break;
    }
    if (first_only && out->n) out->partial = true; /* there may be other end states */
out:
    free(e), free(nx), free(pv), free(fr);
    return rc;
}

/* ---- per key -------------------------------------------------------------- */

static int op_call_cmp(const void *x, const void *y)
{
    const struct lc_op *a = *(const struct lc_op *const *)x, *b = *(const struct lc_op *const *)y;
    if (a->obj != b->obj) return a->obj < b->obj ? -1 : 1;
    if (a->call != b->call) return a->call < b->call ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* Reads: calls whose removal never matters to the model state. */
static bool is_read(const struct lc_op *o, uint64_t T, bool weak)
{
    if (o->kind == LC_GET) return true;
    /* an unset that found nothing changed nothing (if its result counts) */
    return o->kind == LC_UNSET && o->outcome == LC_DONE && !weak && o->ret <= T && o->res == LC_ABSENT;
}

/* The sub-history of seg (n calls sorted by call time) that keep[] selects,
 * cut at time T: calls invoked after T are left out, reads still running at
 * T are left out, other calls still running at T keep their effect but not
 * their result, and so do the calls weak[] marks. (A history linearizable as
 * a whole stays so when a call's result stops counting, and at every cut:
 * so the earliest failing cut is a witness.) */
static void build_cut(const struct lc_op **seg, size_t n, const uint8_t *keep, const uint8_t *weak, uint64_t T, struct sub *out)
{
    out->n = 0;
    for (size_t i = 0; i < n; i++) {
        const struct lc_op *o = seg[i];
        if (!keep[i] || o->call > T) continue;
        if (o->kind == LC_GET && (o->ret > T || weak[i])) continue; /* a read whose result does not count is nothing */
        out->op[out->n] = o;
        out->nocheck[out->n] = o->ret > T || weak[i];
        out->n++;
    }
}

/* 1 when the cut sub-history fails from every state of S, 0 if not, -1 bound */
static int fails(struct ctx *cx, const struct lc_op **seg, size_t n, const uint8_t *keep, const uint8_t *weak, uint64_t T,
                 const struct stateset *S, struct sub *tmp, struct stateset *scratch)
{
    /* each try costs O(n) before its search takes a step: the clock is
     * looked at per try, not only every 4096 search steps */
    if (over_time(cx)) return -1;
    build_cut(seg, n, keep, weak, T, tmp);
    if (search(cx, tmp, S->s, S->n, scratch, 0) != 0) return -1;
    return scratch->n == 0;
}

static int u64_cmp(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static void lc_debug(const char *what)
{
    if (getenv("SPLSUITE_LC_DEBUG")) fprintf(stderr, "lincheck: witness search out of budget in %s\n", what);
}

/* Register: removes write i from keep2, with what its removal needs so that
 * a linearizable history stays linearizable: a set nobody read goes with the
 * results of unsets that may have removed it (they stop counting), an unset
 * with the reads of "absent" that may have followed it. false: it cannot go. */
static bool remove_write(const struct lc_op **seg, size_t n, size_t i, uint8_t *keep2, uint8_t *weak2, uint64_t T)
{
    const struct lc_op *o = seg[i];
    keep2[i] = 0;
    for (size_t j = 0; j < n; j++) {
        if (!keep2[j]) continue;
        const struct lc_op *p = seg[j];
        bool counts = p->outcome == LC_DONE && !weak2[j] && p->ret <= T && p->res != LC_ANY;
        if (!counts || p->ret <= o->call) continue; /* a result fixed before the write began cannot depend on it */
        if (o->kind == LC_SET) {
            if (p->kind == LC_GET && p->res == o->arg) return false; /* its value was read back */
            if (p->kind == LC_UNSET && p->res == LC_PRESENT) weak2[j] = 1;
        } else if (o->kind == LC_UNSET) {
            if (p->kind == LC_GET && p->res == LC_ABSENT) keep2[j] = 0;
            if (p->kind == LC_UNSET && p->res == LC_ABSENT) weak2[j] = 1;
        } else {
            return false;
        }
    }
    return true;
}

/* Shrinks a failing segment (entered in one of the states S) to a minimal
 * failing sub-history: the earliest failing cut, then without every call
 * whose removal keeps it failing and is sound. */
static int witness(struct ctx *cx, const struct lc_op **seg, size_t n, const struct stateset *S, struct lc_history *h,
                   struct lc_result *r, const struct lc_op **all, size_t nall)
{
    size_t nn = n ? n : 1;
    uint8_t *keep = malloc(nn), *keep2 = malloc(nn), *weak = calloc(nn, 1), *weak2 = malloc(nn);
    uint64_t *rets = malloc((nn + 1) * sizeof *rets);
    struct sub tmp = {.op = malloc(nn * sizeof(void *)), .nocheck = malloc(nn)};
    struct stateset scratch = {.max = cx->lim.max_states};
    int rc = -1;
    (void)h;
    if (!keep || !keep2 || !weak || !weak2 || !rets || !tmp.op || !tmp.nocheck) goto out;
    memset(keep, 1, n);
    uint64_t T = UINT64_MAX;
    /* a register read of a value no write of the key wrote, nor the state it
     * began in, fails alone: that read is the whole witness */
    if (cx->model == LC_REGISTER) {
        for (size_t i = 0; i < n; i++) {
            const struct lc_op *o = seg[i];
            if (o->kind != LC_GET || o->outcome != LC_DONE || o->res == LC_ABSENT || o->res == LC_ANY) continue;
            bool written = set_has(S, o->res);
            for (size_t j = 0; j < nall && !written; j++) written = all[j]->kind == LC_SET && all[j]->arg == o->res;
            if (written) continue;
            memset(keep, 0, n);
            keep[i] = 1;
            T = o->ret;
            goto done;
        }
    }
    /* 1. the earliest cut that fails: failure can only begin when a result
     * becomes known, so the candidate cuts are the return times */
    size_t nr = 0;
    for (size_t i = 0; i < n; i++)
        if (seg[i]->ret != LC_NEVER) rets[nr++] = seg[i]->ret;
    qsort(rets, nr, sizeof *rets, u64_cmp);
    rets[nr++] = UINT64_MAX; /* the whole segment, which fails */
    size_t lo = 0, hi = nr - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int f = fails(cx, seg, n, keep, weak, rets[mid], S, &tmp, &scratch);
        if (f < 0) { lc_debug("the cut search"); lo = hi; break; } /* the earliest cut known to fail */
        if (f) hi = mid;
        else lo = mid + 1;
    }
    T = rets[lo];
    for (size_t i = 0; i < n; i++)
        if (seg[i]->call > T || (seg[i]->ret > T && seg[i]->kind == LC_GET)) keep[i] = 0;
    /* 2. drop the reads it does not need, in halves first (ddmin-style);
     * out of budget, what is kept so far still fails */
    size_t nk = 0;
    for (size_t i = 0; i < n; i++) nk += keep[i];
    for (size_t chunk = nk / 2 ? nk / 2 : 1;; chunk /= 2) {
        for (size_t i = 0; i < n;) {
            memcpy(keep2, keep, n);
            size_t taken = 0, j = i;
            for (; j < n && taken < chunk; j++)
                if (keep2[j] && is_read(seg[j], T, weak[j])) keep2[j] = 0, taken++;
            if (!taken) break;
            int f = fails(cx, seg, n, keep2, weak, T, S, &tmp, &scratch);
            if (f < 0) { lc_debug("the read removal"); goto done; }
            if (f) memcpy(keep, keep2, n);
            i = j;
        }
        if (chunk <= 1) break;
    }
    /* 3. then each write that can go (registers: counter and sequence
     * updates all matter to every later read) */
    for (size_t i = 0; i < n && cx->model == LC_REGISTER; i++) {
        if (!keep[i] || is_read(seg[i], T, weak[i])) continue;
        /* remove_write is O(n) and may refuse without a search: O(n^2) on a
         * long segment, so the clock is looked at here too */
        if ((i & 63) == 0 && over_time(cx)) { lc_debug("the write removal"); goto done; }
        memcpy(keep2, keep, n);
        memcpy(weak2, weak, n);
        if (!remove_write(seg, n, i, keep2, weak2, T)) continue;
        int f = fails(cx, seg, n, keep2, weak2, T, S, &tmp, &scratch);
        if (f < 0) { lc_debug("the write removal"); goto done; }
        if (f) memcpy(keep, keep2, n), memcpy(weak, weak2, n);
    }
done:
    r->wit = malloc(nn * sizeof *r->wit);
    r->wit_weak = malloc(nn);
    if (!r->wit || !r->wit_weak) goto out;
    r->nwit = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i]) {
            r->wit_weak[r->nwit] = weak[i] || (seg[i]->ret > T && seg[i]->ret != LC_NEVER);
            r->wit[r->nwit++] = (size_t)(seg[i] - cx->base);
        }
    r->wit_from = seg[0]->call;
    r->wit_cut = T;
    rc = 0;
out:
    free(keep), free(keep2), free(weak), free(weak2), free(rets), free(tmp.op), free(tmp.nocheck), free(scratch.s);
    return rc;
}

static int u64_find(const uint64_t *a, size_t n, uint64_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && a[lo] == v;
}

/* Register calls of unknown outcome whose effect no result could show (a write
 * of a value nobody read, with no unset reporting a value; an unset, with
 * nobody reading "absent") are left out: with them the history is
 * linearizable iff it is without them, and each one left in, never
 * returning, would keep every later call concurrent with it. */
static size_t drop_unobservable(const struct lc_op **v, size_t n, uint64_t *scratch)
{
    size_t nr = 0;
    bool present = false, absent = false, any = false;
    for (size_t i = 0; i < n; i++) {
        const struct lc_op *o = v[i];
        any |= o->outcome == LC_UNKNOWN;
        if (o->outcome != LC_DONE || o->res == LC_ANY) continue;
        if (o->kind == LC_GET) {
            scratch[nr++] = o->res;
            absent |= o->res == LC_ABSENT;
        }
        if (o->kind == LC_UNSET && o->res == LC_PRESENT) present = true;
        if (o->kind == LC_UNSET && o->res == LC_ABSENT) absent = true;
    }
    if (!any) return n;
    qsort(scratch, nr, sizeof *scratch, u64_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const struct lc_op *o = v[i];
        bool drop = false;
        if (o->outcome == LC_UNKNOWN && o->kind == LC_SET) drop = !present && !u64_find(scratch, nr, o->arg);
        if (o->outcome == LC_UNKNOWN && o->kind == LC_UNSET) drop = !absent;
        if (!drop) v[m++] = o;
    }
    return m;
}

/* A register write must take effect before its value is first read back, so
 * its interval can end at that read's return (a linearisation of the history
 * is one of the tightened history and back): a write of unknown outcome whose
 * value was read did take effect, and one that never returned stops keeping
 * every later call concurrent with it. Values are unique per key. */
struct first_read { uint64_t v, ret; };
static int fr_cmp(const void *x, const void *y)
{
    const struct first_read *a = x, *b = y;
    if (a->v != b->v) return a->v < b->v ? -1 : 1;
    return a->ret < b->ret ? -1 : a->ret > b->ret;
}
static void pin_writes(const struct lc_op **v, size_t n, uint64_t *scratch)
{
    struct first_read *fr = (struct first_read *)malloc((n ? n : 1) * sizeof *fr);
    (void)scratch;
    if (!fr) return;
    size_t nr = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i]->kind == LC_GET && v[i]->outcome == LC_DONE && v[i]->res != LC_ABSENT && v[i]->res != LC_ANY)
            fr[nr++] = (struct first_read){v[i]->res, v[i]->ret};
    qsort(fr, nr, sizeof *fr, fr_cmp);
    for (size_t i = 0; i < n; i++) {
        struct lc_op *o = (struct lc_op *)v[i]; /* points into the checker's own copy */
        if (o->kind != LC_SET) continue;
        size_t lo = 0, hi = nr;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (fr[mid].v < o->arg) lo = mid + 1;
            else hi = mid;
        }
        if (lo == nr || fr[lo].v != o->arg) continue;
        uint64_t first = fr[lo].ret;
        if (first < o->call) continue; /* read before it was written: the search reports it */
        if (o->outcome == LC_UNKNOWN) o->outcome = LC_DONE;
        if (first < o->ret) o->ret = first;
    }
    free(fr);
}

static size_t next_cut(const struct lc_op **v, size_t sa, size_t b)
{
    uint64_t maxret = v[sa]->ret;
    size_t sb = sa + 1;
    while (sb < b && v[sb]->call <= maxret) {
        if (v[sb]->ret > maxret) maxret = v[sb]->ret;
        sb++;
    }
    return sb;
}

static void set_copy(struct stateset *d, const struct stateset *s)
{
    d->n = 0;
    d->over = false;
    for (size_t i = 0; i < s->n; i++) set_add(d, s->s[i]);
}

#define LC_RING 16 /* earlier cut points kept to widen a witness window backwards */
#define LC_LAZY 64 /* a longer segment is searched for one end state, not all of them */

/* The cut points of the segments searched so far, most recent last (a ring
 * of LC_RING): where each starts, the states there, whether they are all. */
struct cuts {
    struct stateset s[LC_RING];
    size_t at[LC_RING];
    bool complete[LC_RING];
    size_t n; /* cuts pushed (the ring holds the last LC_RING) */
};

static void undecided_at(struct ctx *cx, uint32_t obj, struct lc_result *r)
{
    r->verdict = LC_UNDECIDED;
    r->obj = obj;
    snprintf(r->why, sizeof r->why, "key %u: %s", obj, cx->why);
}

/*
 * The segment v[sa..sb) has no end state from the complete states S: a
 * violation. Its witness: the window is widened backwards over earlier
 * segments (a witness that shows the writes behind the state is worth more
 * than the state), as far as the shrinking can afford (registers shrink
 * well, the updates of counters and sequences all stay in) and as long as
 * the states there are complete, then shrunk.
 */
static void report_violation(struct ctx *cx, struct lc_history *h, const struct lc_op **v, size_t n, size_t sa, size_t sb,
                             const struct stateset *S, struct cuts *cut, struct lc_result *r)
{
    r->verdict = LC_VIOLATION;
    r->obj = v[0]->obj;
    size_t budget = h->model == LC_REGISTER ? 400 : 24, k = cut->n - 1;
    while (k > 0 && k + LC_RING > cut->n && cut->complete[(k - 1) % LC_RING] && sb - cut->at[(k - 1) % LC_RING] <= budget)
        k--;
    size_t wa = cut->at[k % LC_RING];
    struct stateset *WS = &cut->s[k % LC_RING];
    r->nwit_states = WS->n < LC_MAX_WITNESS_STATES ? WS->n : LC_MAX_WITNESS_STATES;
    memcpy(r->wit_states, WS->s, r->nwit_states * sizeof(uint64_t));
    r->wit_states_more = WS->n > LC_MAX_WITNESS_STATES;
    uint64_t keep_steps = cx->steps;
    struct lc_limits keep_lim = cx->lim;
    /* the witness search has a budget of its own: when it runs out, the
     * witness is what has been shrunk so far (still a failing one) */
    cx->steps = 0;
    cx->t_start = now_ns();
    if (cx->lim.max_steps > 30000000ull) cx->lim.max_steps = 30000000ull;
    if (cx->lim.max_ns > 3000000000ull) cx->lim.max_ns = 3000000000ull;
    bool undecided = cx->undecided;
    if (witness(cx, &v[wa], sb - wa, WS, h, r, v, n) != 0) {
        /* could not shrink it: the whole failing segment is the witness */
        r->nwit_states = S->n < LC_MAX_WITNESS_STATES ? S->n : LC_MAX_WITNESS_STATES;
        memcpy(r->wit_states, S->s, r->nwit_states * sizeof(uint64_t));
        free(r->wit);
        free(r->wit_weak);
        r->wit_weak = NULL;
        r->wit = malloc((sb - sa) * sizeof *r->wit);
        r->nwit = 0;
        for (size_t i = sa; r->wit && i < sb; i++) r->wit[r->nwit++] = (size_t)(v[i] - cx->base);
        r->wit_from = v[sa]->call;
        r->wit_cut = UINT64_MAX;
    }
    cx->undecided = undecided;
    cx->steps += keep_steps;
    cx->lim = keep_lim;
}

/*
 * Checks one key's calls v[0..n) (sorted by call).
 *
 * The states a key can be in at a cut are carried to the next segment. For
 * a short segment all of them are enumerated; a long one (a process
 * descheduled inside a call makes everything around it concurrent) is only
 * searched until one end state is found, which is all a linearizable history
 * needs in the common case. If a later segment then fails, the run restarts
 * from the last cut whose states were complete and enumerates exhaustively
 * up to the failure, so a lazy choice is never taken for a violation.
 */
static void check_object(struct ctx *cx, struct lc_history *h, const struct lc_op **v, size_t n, struct lc_result *r)
{
    uint32_t obj = v[0]->obj;
    struct stateset S = {.max = cx->lim.max_states}, S2 = {.max = cx->lim.max_states}, CK = {.max = cx->lim.max_states};
    struct cuts cut = {.n = 0};
    for (int i = 0; i < LC_RING; i++) cut.s[i] = (struct stateset){.max = cx->lim.max_states};
    set_add(&S, init_of(h, obj));
    set_copy(&CK, &S);
    bool complete = true;   /* S holds every state the key can be in at sa */
    size_t ck_at = 0;       /* the last cut with complete states (CK) */
    size_t exhaustive_to = 0; /* after a restart: no lazy segments before this index */
    for (size_t sa = 0; sa < n;) {
        /* remember where this segment starts, and the states there */
        set_copy(&cut.s[cut.n % LC_RING], &S);
        cut.at[cut.n % LC_RING] = sa;
        cut.complete[cut.n % LC_RING] = complete;
        cut.n++;
        size_t sb = next_cut(v, sa, n);
        bool lazy;
        for (;;) {
            bool last = sb == n; /* after the last segment only "any state at all?" matters */
            lazy = sb - sa > LC_LAZY && sb > exhaustive_to;
            struct sub s = {.op = &v[sa], .nocheck = NULL, .n = sb - sa};
            /* a long segment gets a budget for its other end states after the first */
            if (search(cx, &s, S.s, S.n, &S2, last ? 0 : lazy ? 16 * (uint64_t)(sb - sa) : UINT64_MAX) != 0) {
                undecided_at(cx, obj, r);
                goto out;
            }
            if (!S2.over) break;
            /* too many possible states at this cut: search on through the next segment */
            sb = next_cut(v, sb, n);
        }
        r->segments++;
        if (sb - sa > r->longest_segment) r->longest_segment = sb - sa;
        if (S2.n == 0 && !complete && cut.n >= 2 && cut.complete[(cut.n - 2) % LC_RING]) {
            /* the previous segment's lazy choice may be why (the usual case):
             * all its end states, from its complete entry states, then again */
            size_t pa = cut.at[(cut.n - 2) % LC_RING];
            struct sub ps = {.op = &v[pa], .nocheck = NULL, .n = sa - pa};
            const struct stateset *PS = &cut.s[(cut.n - 2) % LC_RING];
            if (search(cx, &ps, PS->s, PS->n, &S, UINT64_MAX) != 0) {
                undecided_at(cx, obj, r);
                goto out;
            }
            if (!S.over) {
                complete = true;
                cut.n--; /* this segment's entry is pushed again, complete */
                if (!exhaustive_to || exhaustive_to < sb) exhaustive_to = sb;
                continue;
            }
        }
        if (S2.n == 0 && !complete) {
            /* an earlier lazy choice may be why: redo from the last complete cut, all states */
            exhaustive_to = sb;
            sa = ck_at;
            set_copy(&S, &CK);
            complete = true;
            cut.n = 0;
            continue;
        }
        if (S2.n == 0) {
            report_violation(cx, h, v, n, sa, sb, &S, &cut, r);
            goto out;
        }
        if (S2.partial && complete) { /* the states from here on are a choice among possibly more */
            ck_at = sa;
            set_copy(&CK, &S);
        }
        if (S2.partial) complete = false;
        struct stateset t = S;
        S = S2;
        S2 = t;
        sa = sb;
    }
out:
    free(S.s), free(S2.s), free(CK.s);
    for (int i = 0; i < LC_RING; i++) free(cut.s[i].s);
}

enum lc_verdict lc_check(struct lc_history *h, const struct lc_limits *lim, struct lc_result *r)
{
    memset(r, 0, sizeof *r);
    uint64_t t0 = now_ns();
    struct ctx cx = {.model = h->model, .t_start = t0};
    if (lim) cx.lim = *lim;
    if (!cx.lim.max_steps) cx.lim.max_steps = 200000000ull;
    if (!cx.lim.max_ns) cx.lim.max_ns = 20000000000ull;
    if (!cx.lim.max_states) cx.lim.max_states = 256;
    if (!cx.lim.max_cache) cx.lim.max_cache = 8u << 20;
    const struct lc_op **v = malloc((h->n ? h->n : 1) * sizeof *v); // NOLINT(bugprone-sizeof-expression): an array of pointers
    uint64_t *scratch = malloc((h->n ? h->n : 1) * sizeof *scratch);
    /* the checker works on a copy it may tighten (see pin_writes); witness
     * indexes into it are indexes into the history */
    struct lc_op *w = malloc((h->n ? h->n : 1) * sizeof *w);
    r->verdict = LC_LINEARIZABLE;
    if (!v || !scratch || !w) {
        r->verdict = LC_UNDECIDED;
        snprintf(r->why, sizeof r->why, "out of memory");
        goto out;
    }
    memcpy(w, h->ops, h->n * sizeof *w);
    cx.base = w;
    size_t m = 0;
    for (size_t i = 0; i < h->n; i++) {
        const struct lc_op *o = &w[i];
        if (o->outcome == LC_FAILED) continue;                      /* no effect */
        if (o->outcome == LC_UNKNOWN && o->kind == LC_GET) continue; /* no effect, no result */
        v[m++] = o;
    }
    qsort(v, m, sizeof *v, op_call_cmp); // NOLINT(bugprone-sizeof-expression): an array of pointers
    for (size_t a = 0; a < m && r->verdict == LC_LINEARIZABLE;) {
        size_t b = a;
        while (b < m && v[b]->obj == v[a]->obj) b++;
        size_t n = b - a;
        if (h->model == LC_REGISTER) {
            n = drop_unobservable(&v[a], n, scratch);
            pin_writes(&v[a], n, scratch);
        }
        r->objects++;
        r->ops += n;
        if (n) check_object(&cx, h, &v[a], n, r);
        a = b;
    }
out:
    r->steps = cx.steps;
    if (r->verdict == LC_UNDECIDED && !r->why[0]) snprintf(r->why, sizeof r->why, "%s", cx.why);
    cache_free(&cx.cache);
    free(v), free(scratch), free(w);
    r->secs = (double)(now_ns() - t0) / 1e9;
    return r->verdict;
}

void lc_result_free(struct lc_result *r)
{
    free(r->wit);
    free(r->wit_weak);
    r->wit_weak = NULL;
    r->wit = NULL;
    r->nwit = 0;
}

const char *lc_verdict_str(enum lc_verdict v)
{
    switch (v) {
    case LC_LINEARIZABLE: return "linearizable";
    case LC_VIOLATION: return "not linearizable";
    case LC_UNDECIDED: return "undecided";
    }
    return "?";
}

/* ---- explanations ---------------------------------------------------------- */

static const char *vname(enum lc_model m, const struct lc_names *nm, uint64_t v, char *b, size_t n)
{
    if (m != LC_COUNTER) {
        if (v == LC_ABSENT) return "absent";
        if (v == LC_GARBAGE) return "a value no write wrote";
        if (v == LC_PRESENT) return "present";
    }
    if (m == LC_SEQUENCE && nm && nm->sequence) return nm->sequence(v, b, n, nm->arg);
    if (m != LC_SEQUENCE && nm && nm->value) return nm->value(v, b, n, nm->arg);
    if (m == LC_COUNTER) snprintf(b, n, "%" PRIu64 " (0x%" PRIx64 ")", v, v);
    else if (m == LC_SEQUENCE) snprintf(b, n, "sequence #%016" PRIx64, v);
    else snprintf(b, n, "value 0x%" PRIx64, v);
    return b;
}

static const char *const intop_names[] = {"and", "or", "xor", "not", "inc", "dec"};

size_t lc_explain(const struct lc_history *h, const struct lc_result *r, uint64_t t0, const struct lc_names *nm,
                  void (*line)(void *arg, const char *text), void *la)
{
    if (!h || !r || r->verdict != LC_VIOLATION || !line) return 0;
    static const char *const models[] = {"", "a register (set/get/unset)", "a counter (integer_op/get)",
                                         "a sequence (append/get)"};
    char buf[768], on[96], v1[160], v2[160];
    const char *oname = nm && nm->obj ? nm->obj(r->obj, on, sizeof on, nm->arg) : (snprintf(on, sizeof on, "key %u", r->obj), on);
    size_t lines = 0;
    size_t *ord = malloc((r->nwit ? r->nwit : 1) * sizeof *ord);
    if (!ord) return 0;
    size_t *pos = malloc((r->nwit ? r->nwit : 1) * sizeof *pos); /* where each listed call is in r->wit */
    if (!pos) { free(ord); return 0; }
    memcpy(ord, r->wit, r->nwit * sizeof *ord);
    for (size_t i = 0; i < r->nwit; i++) pos[i] = i;
    for (size_t i = 1; i < r->nwit; i++) /* by call time (a witness is short) */
        for (size_t j = i; j > 0 && h->ops[ord[j]].call < h->ops[ord[j - 1]].call; j--) {
            size_t t = ord[j];
            ord[j] = ord[j - 1], ord[j - 1] = t;
            t = pos[j], pos[j] = pos[j - 1], pos[j - 1] = t;
        }
    snprintf(buf, sizeof buf, "%s is not linearizable: no order of these %zu calls agrees with their real-time order and %s",
             oname, r->nwit, models[h->model]);
    line(la, buf), lines++;
    size_t off = (size_t)snprintf(buf, sizeof buf, "  (at +%.6f s no earlier call of %s was running; it held %s",
                                  (double)(r->wit_from - t0) / 1e9, oname,
                                  r->nwit_states ? vname(h->model, nm, r->wit_states[0], v1, sizeof v1) : "?");
    for (size_t i = 1; i < r->nwit_states && off < sizeof buf; i++)
        off += (size_t)snprintf(buf + off, sizeof buf - off, " or %s", vname(h->model, nm, r->wit_states[i], v1, sizeof v1));
    if (off < sizeof buf) snprintf(buf + off, sizeof buf - off, "%s)", r->wit_states_more ? " or more" : "");
    line(la, buf), lines++;
    for (size_t k = 0; k < r->nwit; k++) {
        const struct lc_op *o = &h->ops[ord[k]];
        char ret[48], what[400];
        if (o->ret == LC_NEVER) snprintf(ret, sizeof ret, "(never returned)");
        else snprintf(ret, sizeof ret, "+%.6f s", (double)(o->ret - t0) / 1e9);
        bool weak = r->wit_weak && r->wit_weak[pos[k]];
        const char *note = o->outcome == LC_UNKNOWN ? "  [effect unknown: it may or may not have happened]"
                           : weak && o->kind == LC_UNSET ? "  [its result not needed]" : "";
        switch (o->kind) {
        case LC_SET: snprintf(what, sizeof what, "set(%s)", vname(h->model, nm, o->arg, v1, sizeof v1)); break;
        case LC_GET: snprintf(what, sizeof what, "get -> %s", vname(h->model, nm, o->res, v1, sizeof v1)); break;
        case LC_UNSET:
            snprintf(what, sizeof what, "unset -> %s", o->outcome == LC_UNKNOWN ? "?" : o->res == LC_ABSENT ? "absent (ENOENT)" : "removed a value");
            break;
        case LC_INTOP:
            if (o->intop == 3) snprintf(what, sizeof what, "integer_op(not)");
            else snprintf(what, sizeof what, "integer_op(%s, %s)", intop_names[o->intop % 6], vname(LC_COUNTER, NULL, o->arg, v1, sizeof v1));
            break;
        case LC_APPEND: snprintf(what, sizeof what, "append(%s)", vname(LC_REGISTER, nm, o->arg, v2, sizeof v2)); break;
        default: snprintf(what, sizeof what, "?"); break;
        }
        snprintf(buf, sizeof buf, "  process %-3u +%.6f s .. %-16s %s%s", o->proc, (double)(o->call - t0) / 1e9, ret, what, note);
        line(la, buf), lines++;
    }
    free(ord);
    free(pos);
    return lines;
}
