/*
 * compare.c - the row-by-row judge of two runs and its three renderings.
 */
#include "compare.h"
#include "mwu.h"

#include <stdarg.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const cverdict_name[CV__N] = {"better", "worse", "no change", "not comparable"};

static void warn(struct cmp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct cmp *c, const char *fmt, ...)
{
    if (c->nwarn >= (int)(sizeof c->warn / sizeof c->warn[0])) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->warn[c->nwarn++], sizeof c->warn[0], fmt, ap);
    va_end(ap);
}

static int vrank(const char *v) { return !strcmp(v, "PASS") ? 0 : !strcmp(v, "FAIL") || !strcmp(v, "ERROR") ? 1 : -1; }

static void judge_verdicts(struct crow *r)
{
    int a = vrank(r->o->verdict), b = vrank(r->n->verdict);
    if (a < 0 || b < 0) {
        r->v = CV_NA;
        snprintf(r->reason, sizeof r->reason, "%s in %s%s%.200s", a < 0 ? r->o->verdict : r->n->verdict,
                 a < 0 ? "OLD" : "NEW", (a < 0 ? r->o : r->n)->status[0] ? ": " : "", (a < 0 ? r->o : r->n)->status);
        return;
    }
    r->v = a == b ? CV_SAME : b > a ? CV_WORSE : CV_BETTER;
    snprintf(r->reason, sizeof r->reason, "%s -> %s%s%.200s", r->o->verdict, r->n->verdict, b > a ? ": " : "",
             b > a ? r->n->status : "");
}

static double med_of(const struct rrow *r) { return isfinite(r->median) ? r->median : mwu_median(r->reps, r->n); }

static void judge_figures(struct crow *r, const struct cmp_opts *o)
{
    const struct rrow *a = r->o, *b = r->n;
    if (!a->ok || !b->ok) {
        r->v = CV_NA;
        snprintf(r->reason, sizeof r->reason, "%s: %.230s", !a->ok ? "OLD" : "NEW", (!a->ok ? a : b)->status);
        return;
    }
    if (strcmp(a->unit, b->unit)) {
        r->v = CV_NA;
        snprintf(r->reason, sizeof r->reason, "units differ: %s in OLD, %s in NEW", a->unit, b->unit);
        return;
    }
    if (a->lower_is_better != b->lower_is_better) {
        r->v = CV_NA;
        snprintf(r->reason, sizeof r->reason, "direction differs (lower is better in %s only)", a->lower_is_better ? "OLD" : "NEW");
        return;
    }
    r->old_med = med_of(a);
    r->new_med = med_of(b);
    if (!isfinite(r->old_med) || !isfinite(r->new_med) || r->old_med == 0) {
        r->v = CV_NA;
        snprintf(r->reason, sizeof r->reason, "OLD median is %g: no relative change", r->old_med);
        r->old_med = r->new_med = NAN;
        return;
    }
    r->change_pct = (r->new_med - r->old_med) / fabs(r->old_med) * 100.0;
    r->n_old = a->n;
    r->n_new = b->n;
    bool material = fabs(r->change_pct) >= o->threshold_pct;
    bool bad = r->lower_is_better ? r->change_pct > 0 : r->change_pct < 0;
    bool significant = false;
    struct mwu_result u;
    if (a->n && b->n && mwu_test(b->reps, b->n, a->reps, a->n, MWU_TWO_SIDED, &u) == 0) {
        r->has_p = true;
        r->p = u.p;
        r->p_min = mwu_min_p(a->n, b->n);
        r->separated = u.u == 0 || u.u == (double)(a->n * b->n);
        significant = u.p < o->alpha;
    }
    if (material && significant) {
        r->v = bad ? CV_WORSE : CV_BETTER;
    } else {
        r->v = CV_SAME;
        if (!material)
            snprintf(r->reason, sizeof r->reason, "change below the %g%% threshold", o->threshold_pct);
        else if (!r->has_p)
            snprintf(r->reason, sizeof r->reason, "no repetitions to test");
        else if (r->p_min < o->alpha)
            snprintf(r->reason, sizeof r->reason, "not significant (p = %.3g >= %g): noise", r->p, o->alpha);
        else
            snprintf(r->reason, sizeof r->reason, "%zu vs %zu repetitions: the U test cannot reach p < %g (at best %.3g%s); "
                     "run bench with -r 5 or more", a->n, b->n, o->alpha, r->p_min, r->separated ? ", reached" : "");
    }
}

static struct crow *new_row(struct cmp *c, size_t *cap)
{
    if (c->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct crow *nr = realloc(c->rows, nc * sizeof *nr);
        if (!nr) return NULL;
        c->rows = nr;
        *cap = nc;
    }
    struct crow *r = &c->rows[c->n++];
    memset(r, 0, sizeof *r);
    r->old_med = r->new_med = r->change_pct = r->p = NAN;
    return r;
}

static bool impl_sel(const char *want, const char *have) { return !want || !strcmp(want, have); }

static void run_warnings(struct cmp *c, const struct rdoc *a, const struct rdoc *b)
{
    const struct rrun *x = &a->run, *y = &b->run;
    if (!x->id[0] || !y->id[0])
        warn(c, "%s no run envelope (made before splsuite had one): commit and machine unknown",
             !x->id[0] && !y->id[0] ? "OLD and NEW have" : !x->id[0] ? "OLD has" : "NEW has");
    if (x->id[0] && !strcmp(x->id, y->id) && (c->o.old_impl == NULL || c->o.new_impl == NULL))
        warn(c, "OLD and NEW are the same run (%s)", x->id);
    if (x->fingerprint[0] && y->fingerprint[0] && strcmp(x->fingerprint, y->fingerprint))
        warn(c, "different machines: %s (%s) and %s (%s): a difference may be the machine's", x->hostname,
             x->fingerprint, y->hostname, y->fingerprint);
    if (x->kernel[0] && y->kernel[0] && strcmp(x->kernel, y->kernel))
        warn(c, "different kernels: %s and %s", x->kernel, y->kernel);
    if (x->commit[0] && y->commit[0] && !strcmp(x->commit, y->commit) && strcmp(x->commit, "unknown") &&
        !x->dirty && !y->dirty && strcmp(x->id, y->id))
        warn(c, "same suite commit %.12s on both sides: the implementation or the machine changed, not the suite", x->commit);
    if (strcmp(x->schema, y->schema))
        warn(c, "different schemas: %s and %s", x->schema[0] ? x->schema : "(none)", y->schema[0] ? y->schema : "(none)");
    /* bench parameters: a changed repetition count or run time changes figures */
    json_object *pa, *pb;
    if (json_object_object_get_ex(a->doc, "parameters", &pa) && json_object_object_get_ex(b->doc, "parameters", &pb) &&
        json_object_is_type(pa, json_type_object) && json_object_is_type(pb, json_type_object)) {
        char diff[300] = "";
        size_t off = 0;
        json_object_object_foreach(pa, k, va) {
            if (!strcmp(k, "workloads")) continue;
            json_object *vb;
            const char *sa = json_object_to_json_string_ext(va, JSON_C_TO_STRING_PLAIN);
            char sacopy[96];
            snprintf(sacopy, sizeof sacopy, "%s", sa);
            const char *sb = json_object_object_get_ex(pb, k, &vb) ? json_object_to_json_string_ext(vb, JSON_C_TO_STRING_PLAIN) : "absent";
            if (strcmp(sacopy, sb) && off < sizeof diff - 1)
                off += (size_t)snprintf(diff + off, sizeof diff - off, "%s%s %s -> %s", off ? ", " : "", k, sacopy, sb);
        }
        if (off) warn(c, "bench parameters differ: %s", diff);
    }
}

int cmp_run(const struct rdoc *a, const struct rdoc *b, const struct cmp_opts *o, struct cmp *c)
{
    memset(c, 0, sizeof *c);
    c->o = *o;
    size_t cap = 0;
    bool *used = calloc(b->n + 1, sizeof *used);
    if (!used) return -1;
    for (size_t i = 0; i < a->n; i++) {
        const struct rrow *x = &a->rows[i];
        if (!impl_sel(o->old_impl, x->impl)) continue;
        const struct rrow *y = NULL;
        const char *want = o->old_impl ? (o->new_impl ? o->new_impl : o->old_impl) : x->impl;
        for (size_t j = 0; j < b->n && !y; j++)
            if (!used[j] && !strcmp(b->rows[j].workload, x->workload) && !strcmp(b->rows[j].name, x->name) &&
                !strcmp(b->rows[j].impl, want))
                y = &b->rows[j], used[j] = true;
        struct crow *r = new_row(c, &cap);
        if (!r) { free(used); return -1; }
        r->o = x;
        r->n = y;
        rrow_id(x, r->id, sizeof r->id);
        if (o->old_impl && strcmp(want, x->impl)) snprintf(r->impl, sizeof r->impl, "%s -> %s", x->impl, want);
        else snprintf(r->impl, sizeof r->impl, "%s", x->impl);
        snprintf(r->unit, sizeof r->unit, "%s", x->unit);
        r->lower_is_better = x->lower_is_better;
        if (!y) {
            r->v = CV_NA;
            snprintf(r->reason, sizeof r->reason, "not in NEW");
        } else if (x->kind != y->kind) {
            r->v = CV_NA;
            snprintf(r->reason, sizeof r->reason, "a verdict on one side, a figure on the other");
        } else if (x->kind == RROW_VERDICT) {
            judge_verdicts(r);
        } else {
            judge_figures(r, o);
        }
    }
    const char *nsel = o->old_impl ? (o->new_impl ? o->new_impl : o->old_impl) : NULL;
    for (size_t j = 0; j < b->n; j++) {
        const struct rrow *y = &b->rows[j];
        if (used[j] || !impl_sel(nsel, y->impl)) continue;
        struct crow *r = new_row(c, &cap);
        if (!r) { free(used); return -1; }
        r->n = y;
        rrow_id(y, r->id, sizeof r->id);
        snprintf(r->impl, sizeof r->impl, "%s", y->impl);
        snprintf(r->unit, sizeof r->unit, "%s", y->unit);
        r->lower_is_better = y->lower_is_better;
        r->v = CV_NA;
        snprintf(r->reason, sizeof r->reason, "not in OLD");
    }
    free(used);
    size_t few = 0;
    for (size_t i = 0; i < c->n; i++) {
        c->count[c->rows[i].v]++;
        few += c->rows[i].has_p && c->rows[i].p_min >= o->alpha;
    }
    if (few)
        warn(c, "%zu row%s with too few repetitions for the U test to reach p < %g: they cannot be judged worse or "
                "better (bench -r 5 or more)", few, few == 1 ? "" : "s", o->alpha);
    run_warnings(c, a, b);
    return 0;
}

void cmp_free(struct cmp *c)
{
    free(c->rows);
    memset(c, 0, sizeof *c);
}

/* ---- renderings --------------------------------------------------------------- */

static json_object *jd(double v) { return isfinite(v) ? json_object_new_double(v) : NULL; }

static json_object *side_json(const struct rdoc *d)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "path", json_object_new_string(d->path));
    json_object_object_add(o, "schema", json_object_new_string(d->run.schema));
    json_object_object_add(o, "run_id", d->run.id[0] ? json_object_new_string(d->run.id) : NULL);
    json_object_object_add(o, "date", d->run.date[0] ? json_object_new_string(d->run.date) : NULL);
    json_object_object_add(o, "commit", d->run.commit[0] ? json_object_new_string(d->run.commit) : NULL);
    json_object_object_add(o, "dirty", json_object_new_boolean(d->run.dirty));
    json_object_object_add(o, "hostname", d->run.hostname[0] ? json_object_new_string(d->run.hostname) : NULL);
    json_object_object_add(o, "machine_fingerprint", d->run.fingerprint[0] ? json_object_new_string(d->run.fingerprint) : NULL);
    json_object_object_add(o, "kernel", d->run.kernel[0] ? json_object_new_string(d->run.kernel) : NULL);
    return o;
}

static json_object *reps_json(const struct rrow *r)
{
    if (!r || !r->n) return NULL;
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < r->n; i++) json_object_array_add(a, json_object_new_double(r->reps[i]));
    return a;
}

json_object *cmp_json(const struct cmp *c, const struct rdoc *a, const struct rdoc *b)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "old", side_json(a));
    json_object_object_add(o, "new", side_json(b));
    json_object_object_add(o, "threshold_pct", json_object_new_double(c->o.threshold_pct));
    json_object_object_add(o, "alpha", json_object_new_double(c->o.alpha));
    json_object *w = json_object_new_array();
    for (int i = 0; i < c->nwarn; i++) json_object_array_add(w, json_object_new_string(c->warn[i]));
    json_object_object_add(o, "warnings", w);
    json_object *rows = json_object_new_array();
    for (size_t i = 0; i < c->n; i++) {
        const struct crow *r = &c->rows[i];
        json_object *e = json_object_new_object();
        const struct rrow *any = r->o ? r->o : r->n;
        char rowname[320];
        snprintf(rowname, sizeof rowname, "%s [%s]", r->id, r->impl);
        json_object_object_add(e, "row", json_object_new_string(rowname));
        json_object_object_add(e, "workload", json_object_new_string(any->workload));
        json_object_object_add(e, "name", json_object_new_string(any->name));
        json_object_object_add(e, "implementation", json_object_new_string(r->impl));
        json_object_object_add(e, "unit", json_object_new_string(r->unit));
        json_object_object_add(e, "lower_is_better", json_object_new_boolean(r->lower_is_better));
        json_object_object_add(e, "verdict", json_object_new_string(cverdict_name[r->v]));
        if (r->reason[0]) json_object_object_add(e, "reason", json_object_new_string(r->reason));
        if (any->kind == RROW_VERDICT) {
            if (r->o) json_object_object_add(e, "old_verdict", json_object_new_string(r->o->verdict));
            if (r->n) json_object_object_add(e, "new_verdict", json_object_new_string(r->n->verdict));
        }
        if (r->v != CV_NA && any->kind == RROW_FIGURE) {
            json_object_object_add(e, "old_median", jd(r->old_med));
            json_object_object_add(e, "new_median", jd(r->new_med));
            json_object_object_add(e, "change_pct", jd(r->change_pct));
            json_object_object_add(e, "p", r->has_p ? jd(r->p) : NULL);
            json_object_object_add(e, "p_min", r->has_p ? jd(r->p_min) : NULL);
            json_object_object_add(e, "separated", json_object_new_boolean(r->separated));
            json_object_object_add(e, "old_repetitions", reps_json(r->o));
            json_object_object_add(e, "new_repetitions", reps_json(r->n));
        } else if (r->v != CV_NA) { /* a verdict row: no figures, the schema's keys are null */
            json_object_object_add(e, "old_median", NULL);
            json_object_object_add(e, "new_median", NULL);
            json_object_object_add(e, "change_pct", NULL);
            json_object_object_add(e, "p", NULL);
        }
        json_object_array_add(rows, e);
    }
    json_object_object_add(o, "rows", rows);
    json_object *s = json_object_new_object();
    json_object_object_add(s, "better", json_object_new_int64((int64_t)c->count[CV_BETTER]));
    json_object_object_add(s, "worse", json_object_new_int64((int64_t)c->count[CV_WORSE]));
    json_object_object_add(s, "no_change", json_object_new_int64((int64_t)c->count[CV_SAME]));
    json_object_object_add(s, "not_comparable", json_object_new_int64((int64_t)c->count[CV_NA]));
    json_object_object_add(o, "summary", s);
    json_object_object_add(o, "verdict", json_object_new_string(c->count[CV_WORSE] ? "worse" : "ok"));
    return o;
}

static void fmt_fig(char *b, size_t n, double v)
{
    if (!isfinite(v)) snprintf(b, n, "-");
    else if (fabs(v) >= 1e9) snprintf(b, n, "%.3gG", v / 1e9);
    else if (fabs(v) >= 1e6) snprintf(b, n, "%.3gM", v / 1e6);
    else if (fabs(v) >= 1e4) snprintf(b, n, "%.1fk", v / 1e3);
    else if (fabs(v) >= 100) snprintf(b, n, "%.0f", v);
    else snprintf(b, n, "%.3g", v);
}

static void cells(const struct crow *r, char *old, char *nw, char *chg, char *p, size_t n)
{
    const struct rrow *any = r->o ? r->o : r->n;
    if (any->kind == RROW_VERDICT) {
        snprintf(old, n, "%s", r->o ? r->o->verdict : "-");
        snprintf(nw, n, "%s", r->n ? r->n->verdict : "-");
        snprintf(chg, n, "-");
        snprintf(p, n, "-");
        return;
    }
    fmt_fig(old, n, r->o && r->o->ok ? (isfinite(r->old_med) ? r->old_med : r->o->median) : NAN);
    fmt_fig(nw, n, r->n && r->n->ok ? (isfinite(r->new_med) ? r->new_med : r->n->median) : NAN);
    if (isfinite(r->change_pct)) snprintf(chg, n, "%+.1f%%", r->change_pct);
    else snprintf(chg, n, "-");
    if (r->has_p) snprintf(p, n, "%.3f", r->p);
    else snprintf(p, n, "-");
}

static void ident(const struct rdoc *d, char *b, size_t n)
{
    const struct rrun *r = &d->run;
    if (!r->id[0]) snprintf(b, n, "%s (no envelope)", d->path);
    else snprintf(b, n, "%s: commit %.12s%s, %s, %s (kernel %s)", d->path, r->commit, r->dirty ? "+dirty" : "", r->date,
                  r->hostname, r->kernel);
}

void cmp_text(const struct cmp *c, const struct rdoc *a, const struct rdoc *b, FILE *out, bool color, bool all)
{
    char ia[1400], ib[1400];
    ident(a, ia, sizeof ia);
    ident(b, ib, sizeof ib);
    fprintf(out, "OLD %s\nNEW %s\n", ia, ib);
    for (int i = 0; i < c->nwarn; i++) fprintf(out, "note: %s\n", c->warn[i]);
    size_t w = 24;
    for (size_t i = 0; i < c->n; i++) w = strlen(c->rows[i].id) > w ? strlen(c->rows[i].id) : w;
    if (w > 60) w = 60;
    size_t wi = 4;
    for (size_t i = 0; i < c->n; i++) wi = strlen(c->rows[i].impl) > wi ? strlen(c->rows[i].impl) : wi;
    if (wi > 40) wi = 40;
    fprintf(out, "\n%-*s %-*s %-9s %10s %10s %8s %6s  %s\n", (int)w, "row", (int)wi, "impl", "unit", "OLD", "NEW", "change",
            "p", "verdict");
    static const char *const col[CV__N] = {"\033[32m", "\033[1;31m", "", "\033[2m"};
    size_t hidden = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct crow *r = &c->rows[i];
        if (!all && r->v == CV_SAME) { hidden++; continue; }
        char o[32], n[32], ch[32], p[32];
        cells(r, o, n, ch, p, sizeof o);
        fprintf(out, "%-*s %-*s %-9s %10s %10s %8s %6s  %s%s%s%s%s\n", (int)w, r->id, (int)wi, r->impl, r->unit, o, n, ch, p,
                color ? col[r->v] : "", cverdict_name[r->v], color ? "\033[0m" : "",
                r->reason[0] && (r->v != CV_SAME) ? ": " : "", r->v != CV_SAME ? r->reason : "");
    }
    if (hidden) fprintf(out, "(%zu row%s without a change not shown: --all lists them)\n", hidden, hidden == 1 ? "" : "s");
    fprintf(out, "\n%zu worse, %zu better, %zu no change, %zu not comparable (threshold %g%%, alpha %g)\n",
            c->count[CV_WORSE], c->count[CV_BETTER], c->count[CV_SAME], c->count[CV_NA], c->o.threshold_pct, c->o.alpha);
}

static void md_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|') fputs("\\|", out);
        else if (*s == '<') fputs("&lt;", out);
        else if (*s == '\n') fputc(' ', out);
        else fputc(*s, out);
    }
}

static void md_row(FILE *out, const struct crow *r)
{
    char o[32], n[32], ch[32], p[32];
    cells(r, o, n, ch, p, sizeof o);
    fputs("| `", out);
    md_escape(out, r->id);
    fputs("` | ", out);
    md_escape(out, r->impl);
    fprintf(out, " | %s | %s | %s | %s | %s | %s%s%s", r->unit, o, n, ch, p, r->v == CV_WORSE ? "**" : "",
            cverdict_name[r->v], r->v == CV_WORSE ? "**" : "");
    if (r->reason[0] && r->v != CV_SAME) {
        fputs(": ", out);
        md_escape(out, r->reason);
    }
    fputs(" |\n", out);
}

/* "sha256 1a2b3c4d5e6f" of the implementation labelled label in the document's envelope */
static void impl_ident(const struct rdoc *d, const char *label, char *buf, size_t len)
{
    json_object *run = NULL, *im = NULL;
    buf[0] = 0;
    if (!json_object_object_get_ex(d->doc, "run", &run) || !json_object_object_get_ex(run, "implementations", &im) ||
        !json_object_is_type(im, json_type_array))
        return;
    for (size_t i = 0; i < json_object_array_length(im); i++) {
        json_object *e = json_object_array_get_idx(im, i), *l, *h;
        if (json_object_object_get_ex(e, "label", &l) && !strcmp(json_object_get_string(l), label) &&
            json_object_object_get_ex(e, "sha256", &h) && json_object_get_string(h))
            snprintf(buf, len, " (sha256 %.12s)", json_object_get_string(h));
    }
}

void cmp_markdown(const struct cmp *c, const struct rdoc *a, const struct rdoc *b, FILE *out)
{
    fprintf(out, "### splsuite compare: %s\n\n",
            c->count[CV_WORSE] ? "**worse**" : c->count[CV_BETTER] ? "better, nothing worse" : "no change");
    fprintf(out, "%zu worse, %zu better, %zu no change, %zu not comparable. A row is worse or better when its median "
                 "moved by %g%% or more and a two-sided Mann-Whitney U test over the repetitions gives p < %g.\n\n",
            c->count[CV_WORSE], c->count[CV_BETTER], c->count[CV_SAME], c->count[CV_NA], c->o.threshold_pct, c->o.alpha);
    fprintf(out, "| | OLD | NEW |\n|---|---|---|\n");
    const struct rrun *x = &a->run, *y = &b->run;
    fprintf(out, "| file | `%s` | `%s` |\n", a->path, b->path);
    fprintf(out, "| suite commit | `%.12s`%s | `%.12s`%s |\n", x->commit[0] ? x->commit : "?", x->dirty ? " (modified)" : "",
            y->commit[0] ? y->commit : "?", y->dirty ? " (modified)" : "");
    fprintf(out, "| date | %s | %s |\n", x->date[0] ? x->date : "?", y->date[0] ? y->date : "?");
    fprintf(out, "| machine | %s `%s` | %s `%s` |\n", x->hostname, x->fingerprint, y->hostname, y->fingerprint);
    fprintf(out, "| kernel | %s | %s |\n", x->kernel, y->kernel);
    if (c->o.old_impl) {
        const char *ni = c->o.new_impl ? c->o.new_impl : c->o.old_impl;
        char ha[64], hb[64];
        impl_ident(a, c->o.old_impl, ha, sizeof ha);
        impl_ident(b, ni, hb, sizeof hb);
        fprintf(out, "| implementation | `%s`%s | `%s`%s |\n", c->o.old_impl, ha, ni, hb);
    }
    fputs("\n", out);
    for (int i = 0; i < c->nwarn; i++) {
        fputs("> note: ", out);
        md_escape(out, c->warn[i]);
        fputs("\n", out);
    }
    if (c->nwarn) fputs("\n", out);
    static const char hdr[] = "| row | impl | unit | OLD | NEW | change | p | verdict |\n|---|---|---|---:|---:|---:|---:|---|\n";
    if (c->count[CV_WORSE] + c->count[CV_BETTER]) {
        fputs(hdr, out);
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < c->n; i++)
                if (c->rows[i].v == (pass ? CV_BETTER : CV_WORSE)) md_row(out, &c->rows[i]);
        fputs("\n", out);
    }
    for (int v = CV_SAME; v <= CV_NA; v++) {
        if (!c->count[v]) continue;
        fprintf(out, "<details><summary>%zu row%s: %s</summary>\n\n%s", c->count[v], c->count[v] == 1 ? "" : "s",
                cverdict_name[v], hdr);
        for (size_t i = 0; i < c->n; i++)
            if (c->rows[i].v == (enum cverdict)v) md_row(out, &c->rows[i]);
        fputs("\n</details>\n\n", out);
    }
}
