/*
 * histcheck.c - verdicts and witnesses of lib/lincheck in a rule's report.
 */
#include "histcheck.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lc_limits hc_limits(const struct conform *c)
{
    (void)c;
    /* a rule's child has tens of seconds (timeout_s, 60 for the history
     * rules); the checker needs well under one on the histories these rules
     * make (figures in docs/spec.md, LIN), but a loaded machine that
     * deschedules a worker inside a call makes long concurrent segments:
     * 12 s of wall time for the search and its witness together, then
     * UNDECIDED (an ERROR), leaves room for the hammering and the logs */
    return (struct lc_limits){.max_steps = 300000000ull, .max_ns = 12000000000ull, .max_states = 512};
}

static const char *value_name(uint64_t v, char *b, size_t n, void *arg)
{
    const struct hc_names *nm = arg;
    if (nm->counter) {
        snprintf(b, n, "%" PRIu64 " (0x%" PRIx64 ")", v, v);
        return b;
    }
    uint32_t w = (uint32_t)(v >> 40);
    uint64_t seq = v & 0xFFFFFFFFFFull;
    if (w == 0) snprintf(b, n, "0x%" PRIx64, v);
    else if (w - 1 == HC_INITIAL) snprintf(b, n, "the initial value");
    else snprintf(b, n, "process %u's #%" PRIu64, w - 1, seq);
    return b;
}

static int seq_cmp(const void *x, const void *y)
{
    const struct hc_seqname *a = x, *b = y;
    return a->hash < b->hash ? -1 : a->hash > b->hash;
}

static const char *seq_name(uint64_t v, char *b, size_t n, void *arg)
{
    struct hc_names *nm = arg;
    if (nm->nseqs && nm->capseqs) { /* sort once, on first use */
        qsort(nm->seqs, nm->nseqs, sizeof *nm->seqs, seq_cmp);
        nm->capseqs = 0;
    }
    struct hc_seqname key = {.hash = v}, *f = nm->seqs ? bsearch(&key, nm->seqs, nm->nseqs, sizeof key, seq_cmp) : NULL;
    char last[64];
    if (!f) snprintf(b, n, "a sequence nobody read (#%08" PRIx64 ")", v >> 32);
    else if (f->nrec == 1 && (f->last >> 40) - 1 == HC_INITIAL) snprintf(b, n, "[the initial record]");
    else snprintf(b, n, "[%u records, the last %s] (#%08" PRIx64 ")", f->nrec, value_name(f->last, last, sizeof last, nm), v >> 32);
    return b;
}

void hc_names_seq(struct hc_names *nm, uint64_t hash, uint32_t nrec, uint64_t last)
{
    if (nm->nseqs == nm->capseqs) {
        size_t nc = nm->capseqs ? 2 * nm->capseqs : 1024;
        struct hc_seqname *p = realloc(nm->seqs, nc * sizeof *p);
        if (!p) return;
        nm->seqs = p;
        nm->capseqs = nc;
    }
    nm->seqs[nm->nseqs++] = (struct hc_seqname){hash, last, nrec};
}

void hc_names_free(struct hc_names *nm)
{
    free(nm->seqs);
    nm->seqs = NULL;
    nm->nseqs = nm->capseqs = 0;
}

static const char *obj_name(uint32_t obj, char *b, size_t n, void *arg)
{
    const struct hc_names *nm = arg;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(b, n, nm->key_fmt, obj);
#pragma GCC diagnostic pop
    return b;
}

void hc_names_init(struct hc_names *nm, const char *key_fmt, bool counter)
{
    memset(nm, 0, sizeof *nm);
    nm->key_fmt = key_fmt;
    nm->counter = counter;
    nm->n.value = value_name;
    nm->n.sequence = seq_name;
    nm->n.obj = obj_name;
    nm->n.arg = nm;
}

struct cexbuf {
    char text[3600];
    size_t len;
    size_t lines, shown;
};

static void add_line(void *arg, const char *line)
{
    struct cexbuf *b = arg;
    b->lines++;
    /* the header, the state line and the first calls; a witness is short,
     * but one of a long counter segment is not */
    if (b->lines > 24 || b->len + strlen(line) + 2 >= sizeof b->text) return;
    b->len += (size_t)snprintf(b->text + b->len, sizeof b->text - b->len, "%s%s", b->len ? "\n" : "", line);
    b->shown++;
}

enum lc_verdict hc_judge(struct rule_out *o, struct lc_history *h, const struct conform *c, uint64_t t0,
                         const struct hc_names *nm, const char *what)
{
    struct lc_limits lim = hc_limits(c);
    struct lc_result r;
    o->in_checker = 1;
    enum lc_verdict v = lc_check(h, &lim, &r);
    o->in_checker = 0;
    if (v == LC_LINEARIZABLE) {
        r_pass(o, "%s: linearizable (%zu calls on %zu keys, %zu segments, longest %zu; %.2f s to check)", what, r.ops,
               r.objects, r.segments, r.longest_segment, r.secs);
    } else if (v == LC_UNDECIDED) {
        r_error(o, "%s: the linearizability check could not decide: %s (%zu calls)", what, r.why, r.ops);
    } else {
        struct cexbuf b = {0};
        lc_explain(h, &r, t0, &nm->n, add_line, &b);
        if (b.lines > b.shown && b.len + 40 < sizeof b.text)
            b.len += (size_t)snprintf(b.text + b.len, sizeof b.text - b.len, "\n  ... and %zu more calls", b.lines - b.shown);
        char key[96];
        nm->n.obj(r.obj, key, sizeof key, nm->n.arg);
        r_fail(o, "%s: not linearizable: %zu calls on %s cannot be ordered (%zu calls checked)", what, r.nwit, key, r.ops);
        r_cex(o, "%s", b.text);
    }
    lc_result_free(&r);
    return v;
}
