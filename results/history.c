/*
 * history.c - a row's series (one implementation, one machine) and its
 * change points.
 */
#include "history.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hist_query_defaults(struct hist_query *q)
{
    memset(q, 0, sizeof *q);
    q->min_change_pct = 5;
    ed_defaults(&q->ed);
}

/* "host (fingerprint), ..." of the distinct machines, for the "which one?" message. */
static void machines(const struct rdb_point *p, size_t n, char *out, size_t len)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < n && o < len - 1; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) seen = !strcmp(p[i].fingerprint, p[j].fingerprint);
        if (!seen) o += (size_t)snprintf(out + o, len - o, "%s%s (%s)", o ? ", " : "", p[i].hostname, p[i].fingerprint);
    }
}

/* rdb_series does not return the implementation: query it per choice */
struct impls_acc { char list[512]; size_t off; int n; char only[64]; };

static int impl_row(int nc, const char *const *v, void *arg)
{
    struct impls_acc *a = arg;
    if (nc < 1 || !v[0]) return 0;
    a->n++;
    snprintf(a->only, sizeof a->only, "%s", v[0]);
    if (a->off < sizeof a->list - 1)
        a->off += (size_t)snprintf(a->list + a->off, sizeof a->list - a->off, "%s%s", a->off ? ", " : "", v[0]);
    return 0;
}

int hist_load(struct rdb *db, const char *row, const struct hist_query *q, struct hist_series *s, char *err,
              size_t errlen)
{
    memset(s, 0, sizeof *s);
    snprintf(s->row, sizeof s->row, "%s", row);
    const char *sl = strchr(row, '/');
    if (!sl || sl == row || !sl[1]) {
        snprintf(err, errlen, "ROW is WORKLOAD/CASE (e.g. ops/set/v:64/fill:50), got '%s'", row);
        return -2;
    }
    snprintf(s->workload, sizeof s->workload, "%.*s", (int)(sl - row), row);
    snprintf(s->name, sizeof s->name, "%s", sl + 1);
    /* which implementations have it */
    struct impls_acc ia = {0};
    const char *p[] = {s->workload, s->name};
    if (rdb_query(db, "SELECT DISTINCT implementation FROM results WHERE workload = $1 AND name = $2 ORDER BY implementation",
                  2, p, impl_row, &ia, err, errlen))
        return -1;
    if (ia.n == 0) {
        snprintf(err, errlen, "no run in %s has the row %s (splsuite db rows lists them)", db->shown, row);
        return -1;
    }
    if (!q->impl && ia.n > 1) {
        snprintf(err, errlen, "%s is stored for %d implementations: choose one with --impl (%s)", row, ia.n, ia.list);
        return -2;
    }
    snprintf(s->impl, sizeof s->impl, "%s", q->impl ? q->impl : ia.only);
    struct rdb_point *all;
    size_t n;
    if (rdb_series(db, s->workload, s->name, s->impl, &all, &n, err, errlen)) return -1;
    if (n == 0) {
        snprintf(err, errlen, "no run has %s for implementation %s (it has: %s)", row, s->impl, ia.list);
        free(all);
        return -1;
    }
    /* one machine: the fingerprint (host name for documents without one) */
    for (size_t i = 0; i < n; i++)
        if (!all[i].fingerprint[0]) snprintf(all[i].fingerprint, sizeof all[i].fingerprint, "host:%.18s", all[i].hostname);
    size_t keep = 0;
    const char *fp = NULL;
    for (size_t i = 0; i < n; i++) {
        bool match = q->machine ? !strcmp(all[i].hostname, q->machine) ||
                                      !strncmp(all[i].fingerprint, q->machine, strlen(q->machine))
                                : true;
        if (!match) continue;
        if (!q->machine && fp && strcmp(fp, all[i].fingerprint)) {
            char list[600];
            machines(all, n, list, sizeof list);
            snprintf(err, errlen, "%s [%s] was measured on several machines: choose one with --machine (%s)", row,
                     s->impl, list);
            free(all);
            return -2;
        }
        fp = all[i].fingerprint;
        all[keep++] = all[i];
    }
    if (keep == 0) {
        char list[600];
        machines(all, n, list, sizeof list);
        snprintf(err, errlen, "no run of %s [%s] on machine %s (there are: %s)", row, s->impl, q->machine, list);
        free(all);
        return -1;
    }
    if (q->last && keep > q->last) {
        memmove(all, all + (keep - q->last), q->last * sizeof *all);
        keep = q->last;
    }
    s->pts = all;
    s->npts = keep;
    snprintf(s->host, sizeof s->host, "%s", all[0].hostname);
    snprintf(s->fingerprint, sizeof s->fingerprint, "%s", all[0].fingerprint);
    snprintf(s->unit, sizeof s->unit, "%s", q->cpu ? "cpu ns/op" : all[keep - 1].unit);
    s->lower_is_better = q->cpu || all[keep - 1].lower_is_better;
    s->val = malloc(keep * sizeof *s->val);
    s->idx = malloc(keep * sizeof *s->idx);
    if (!s->val || !s->idx) {
        snprintf(err, errlen, "out of memory");
        hist_free(s);
        return -1;
    }
    for (size_t i = 0; i < keep; i++) {
        double x = q->cpu ? all[i].cpu_median : all[i].median;
        bool ok = !strcmp(all[i].status, "ok") && isfinite(x);
        if (ok) {
            s->idx[s->nval] = i;
            s->val[s->nval++] = x;
        }
    }
    if (q->cpu && s->nval == 0) {
        snprintf(err, errlen, "%s [%s] has no cpu figure (only ops rows carry task-clock ns/op)", row, s->impl);
        hist_free(s);
        return -1;
    }
    return 0;
}

static double mean(const double *v, size_t a, size_t b)
{
    double m = 0;
    for (size_t i = a; i < b; i++) m += v[i];
    return b > a ? m / (double)(b - a) : NAN;
}

int hist_analyse(struct hist_series *s, const struct hist_query *q)
{
    s->ncp = 0;
    if (s->nval < 2 * (q->ed.min_size ? q->ed.min_size : 1)) return 0;
    struct ed_point cp[32];
    int n = ed_change_points(s->val, s->nval, &q->ed, cp, 32);
    if (n < 0) return -1;
    /* drop changes too small to matter, then re-measure the neighbours of
     * what remains (the segments between kept change points) */
    size_t k = (size_t)n;
    for (bool again = true; again;) {
        again = false;
        for (size_t i = 0; i < k; i++) {
            size_t a = i ? cp[i - 1].index : 0, b = cp[i].index, e = i + 1 < k ? cp[i + 1].index : s->nval;
            double m0 = mean(s->val, a, b), m1 = mean(s->val, b, e);
            double ch = m0 != 0 ? (m1 - m0) / fabs(m0) * 100 : 0;
            if (fabs(ch) < q->min_change_pct) {
                memmove(&cp[i], &cp[i + 1], (k - i - 1) * sizeof cp[0]);
                k--;
                again = true;
                break;
            }
        }
    }
    for (size_t i = 0; i < k; i++) {
        size_t a = i ? cp[i - 1].index : 0, b = cp[i].index, e = i + 1 < k ? cp[i + 1].index : s->nval;
        struct hist_cp *h = &s->cp[s->ncp++];
        h->index = s->idx[b];
        h->p = cp[i].p;
        h->q = cp[i].q;
        h->mean_before = mean(s->val, a, b);
        h->mean_after = mean(s->val, b, e);
        h->change_pct = h->mean_before != 0 ? (h->mean_after - h->mean_before) / fabs(h->mean_before) * 100 : 0;
        h->worse = s->lower_is_better ? h->change_pct > 0 : h->change_pct < 0;
    }
    return 0;
}

void hist_free(struct hist_series *s)
{
    free(s->pts);
    free(s->val);
    free(s->idx);
    memset(s, 0, sizeof *s);
}

static json_object *jd(double v) { return isfinite(v) ? json_object_new_double(v) : NULL; }

static double fig(const struct hist_series *s, const struct hist_query *q, size_t i)
{
    double x = q->cpu ? s->pts[i].cpu_median : s->pts[i].median;
    return !strcmp(s->pts[i].status, "ok") ? x : NAN;
}

json_object *hist_json(const struct hist_series *s, const struct hist_query *q)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "row", json_object_new_string(s->row));
    json_object_object_add(o, "workload", json_object_new_string(s->workload));
    json_object_object_add(o, "name", json_object_new_string(s->name));
    json_object_object_add(o, "implementation", json_object_new_string(s->impl));
    json_object_object_add(o, "unit", json_object_new_string(s->unit));
    json_object_object_add(o, "lower_is_better", json_object_new_boolean(s->lower_is_better));
    json_object_object_add(o, "figure", json_object_new_string(q->cpu ? "cpu" : "median"));
    json_object *m = json_object_new_object();
    json_object_object_add(m, "hostname", json_object_new_string(s->host));
    json_object_object_add(m, "fingerprint", json_object_new_string(s->fingerprint));
    json_object_object_add(o, "machine", m);
    json_object *me = json_object_new_object();
    json_object_object_add(me, "name", json_object_new_string("e-divisive means, permutation test"));
    json_object_object_add(me, "alpha", json_object_new_double(q->ed.alpha));
    json_object_object_add(me, "permutations", json_object_new_int64(q->ed.perms));
    json_object_object_add(me, "min_size", json_object_new_int64((int64_t)q->ed.min_size));
    json_object_object_add(me, "min_change_pct", json_object_new_double(q->min_change_pct));
    json_object_object_add(me, "seed", json_object_new_uint64(q->ed.seed));
    json_object_object_add(o, "method", me);
    json_object *pts = json_object_new_array();
    for (size_t i = 0; i < s->npts; i++) {
        const struct rdb_point *p = &s->pts[i];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "run_id", json_object_new_string(p->run_id));
        json_object_object_add(e, "date", json_object_new_string(p->date));
        json_object_object_add(e, "commit", p->commit[0] ? json_object_new_string(p->commit) : NULL);
        json_object_object_add(e, "dirty", json_object_new_boolean(p->dirty));
        json_object_object_add(e, "kernel", json_object_new_string(p->kernel));
        json_object_object_add(e, "status", json_object_new_string(p->status));
        json_object_object_add(e, "median", jd(fig(s, q, i)));
        json_object_object_add(e, "repetitions", json_object_new_int(p->nreps));
        json_object_array_add(pts, e);
    }
    json_object_object_add(o, "points", pts);
    json_object *cps = json_object_new_array();
    for (size_t i = 0; i < s->ncp; i++) {
        const struct hist_cp *c = &s->cp[i];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "index", json_object_new_int64((int64_t)c->index));
        json_object_object_add(e, "run_id", json_object_new_string(s->pts[c->index].run_id));
        json_object_object_add(e, "date", json_object_new_string(s->pts[c->index].date));
        json_object_object_add(e, "commit", json_object_new_string(s->pts[c->index].commit));
        json_object_object_add(e, "p", json_object_new_double(c->p));
        json_object_object_add(e, "mean_before", jd(c->mean_before));
        json_object_object_add(e, "mean_after", jd(c->mean_after));
        json_object_object_add(e, "change_pct", jd(c->change_pct));
        json_object_object_add(e, "direction", json_object_new_string(c->worse ? "worse" : "better"));
        json_object_array_add(cps, e);
    }
    json_object_object_add(o, "change_points", cps);
    return o;
}

void hist_print(const struct hist_series *s, const struct hist_query *q, FILE *out)
{
    fprintf(out, "%s [%s] on %s (%s): %s, %s is better; %zu run%s, %zu measured\n", s->row, s->impl, s->host,
            s->fingerprint, s->unit, s->lower_is_better ? "lower" : "higher", s->npts, s->npts == 1 ? "" : "s", s->nval);
    fprintf(out, "%4s  %-24s  %-13s  %12s  %8s\n", "run", "date", "commit", q->cpu ? "cpu ns/op" : "median", "vs prev");
    double prev = NAN;
    size_t c = 0;
    for (size_t i = 0; i < s->npts; i++) {
        const struct rdb_point *p = &s->pts[i];
        double x = fig(s, q, i);
        char ch[16] = "";
        if (isfinite(x) && isfinite(prev) && prev != 0) snprintf(ch, sizeof ch, "%+.1f%%", (x - prev) / fabs(prev) * 100);
        fprintf(out, "%4zu  %-24s  %.12s%-1s  ", i + 1, p->date, p->commit[0] ? p->commit : "?", p->dirty ? "+" : " ");
        if (isfinite(x)) fprintf(out, "%12.4g  %8s", x, ch);
        else fprintf(out, "%12s  %8s  %.60s", "-", "", p->status);
        if (c < s->ncp && s->cp[c].index == i) {
            const struct hist_cp *h = &s->cp[c++];
            fprintf(out, "  << change: %.4g -> %.4g (%+.1f%%, %s), p = %.3g", h->mean_before, h->mean_after, h->change_pct,
                    h->worse ? "worse" : "better", h->p);
        }
        fputc('\n', out);
        if (isfinite(x)) prev = x;
    }
    fprintf(out, "%zu change point%s (e-divisive means, %u permutations, alpha %g, at least %zu runs per segment, "
                 "changes under %g%% ignored)\n",
            s->ncp, s->ncp == 1 ? "" : "s", q->ed.perms, q->ed.alpha, q->ed.min_size, q->min_change_pct);
}
