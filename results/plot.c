/*
 * plot.c - the results figures of `splsuite plot`:
 *   history-ROW   a row's figure over the stored runs (one implementation,
 *                 one machine), the mean of each segment between change
 *                 points, each change point marked with its change and p;
 *   compare       two runs against each other: each row's change of the
 *                 median as a horizontal bar, coloured by compare's verdict.
 * As for the per-run figures, the .dat and .gp files stay next to the image.
 */
#include "compare.h"
#include "gnuplot.h"
#include "history.h"
#include "results_plot.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CMD "plot"

static FILE *open_in(const char *dir, const char *name, const char *ext, char *path, size_t len)
{
    snprintf(path, len, "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "w");
    if (!f) spl_err(CMD, "%s: %s", path, strerror(errno));
    return f;
}

/* a row name as a file name: "ops/set/v:64" -> "ops-set-v64" */
static void file_name(const char *in, char *out, size_t len)
{
    size_t o = 0;
    for (const char *p = in; *p && o < len - 1; p++) {
        if (*p == '/' || *p == ' ') out[o++] = '-';
        else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                 *p == '_' || *p == '.')
            out[o++] = *p;
    }
    out[o] = 0;
}

int results_plot_history(struct rdb *db, const char *row, const struct hist_query *q, const char *dir, const char *fmt)
{
    struct hist_series s;
    char err[1400];
    int rc = hist_load(db, row, q, &s, err, sizeof err);
    if (rc != 0) {
        spl_err(CMD, "%s", err);
        return rc == -2 ? SPL_EXIT_USAGE : SPL_EXIT_FAIL;
    }
    if (hist_analyse(&s, q) != 0) {
        spl_err(CMD, "out of memory, or too many runs (use --last)");
        hist_free(&s);
        return SPL_EXIT_FAIL;
    }
    if (s.nval == 0) {
        spl_err(CMD, "%s [%s]: no run measured it", row, s.impl);
        hist_free(&s);
        return SPL_EXIT_FAIL;
    }
    char base[200], name[260], dpath[4200], spath[4200], gpath[4200];
    file_name(row, base, sizeof base);
    snprintf(name, sizeof name, "history-%s", base);
    FILE *d = open_in(dir, name, "dat", dpath, sizeof dpath), *sg = NULL, *gp = NULL;
    if (!d) { hist_free(&s); return SPL_EXIT_FAIL; }
    char segname[320];
    snprintf(segname, sizeof segname, "%s-segments", name);
    if (d) sg = open_in(dir, segname, "dat", spath, sizeof spath);
    if (sg) gp = open_in(dir, name, "gp", gpath, sizeof gpath);
    if (!gp) {
        if (d) fclose(d);
        if (sg) fclose(sg);
        hist_free(&s);
        return SPL_EXIT_FAIL;
    }
    size_t every = s.npts > 24 ? (s.npts + 23) / 24 : 1;
    fprintf(d, "# run  figure  label (commit)  date\n");
    for (size_t i = 0; i < s.npts; i++) {
        double x = q->cpu ? s.pts[i].cpu_median : s.pts[i].median;
        bool ok = !strcmp(s.pts[i].status, "ok") && isfinite(x);
        char lab[24];
        snprintf(lab, sizeof lab, "%.8s%s", i % every ? "" : s.pts[i].commit[0] ? s.pts[i].commit : "?",
                 i % every || !s.pts[i].dirty ? "" : "+");
        if (ok) fprintf(d, "%zu %.9g \"%s\" %s\n", i + 1, x, lab, s.pts[i].date);
        else fprintf(d, "%zu NaN \"%s\" %s\n", i + 1, lab, s.pts[i].date);
    }
    fclose(d);
    /* segment means between change points, as steps */
    size_t start = 0;
    for (size_t k = 0; k <= s.ncp; k++) {
        size_t end = k < s.ncp ? s.cp[k].index : s.npts;
        double m = k < s.ncp ? s.cp[k].mean_before : s.ncp ? s.cp[s.ncp - 1].mean_after : NAN;
        if (!isfinite(m)) { /* no change point: the mean of everything */
            m = 0;
            for (size_t i = 0; i < s.nval; i++) m += s.val[i];
            m /= (double)s.nval;
        }
        fprintf(sg, "%g %.9g\n%g %.9g\n\n", (double)start + 0.5, m, (double)end + 0.5, m);
        start = end;
    }
    fclose(sg);
    char title[600];
    snprintf(title, sizeof title, "history: %s [%s] on %s, %zu runs, %zu change point%s (e-divisive, alpha %g)", row,
             s.impl, s.host, s.npts, s.ncp, s.ncp == 1 ? "" : "s", q->ed.alpha);
    int width = s.npts > 40 ? 1400 : 1000;
    spl_gp_term(gp, dir, name, fmt, title, width, 560);
    fprintf(gp, "set datafile missing 'NaN'\nset key inside left top noenhanced\n");
    fprintf(gp, "set xlabel 'run, oldest first (commit)'\nset ylabel '%s (%s is better)' noenhanced\n", s.unit,
            s.lower_is_better ? "lower" : "higher");
    fprintf(gp, "set xrange [0.5:%zu.5]\nset xtics rotate by -60 font ',8' noenhanced\nset yrange [0:*]\n", s.npts);
    for (size_t k = 0; k < s.ncp; k++) {
        const struct hist_cp *c = &s.cp[k];
        double x = (double)c->index + 0.5;
        fprintf(gp, "set arrow from %g, graph 0 to %g, graph 1 nohead dt 2 lw 1.5 lc rgb '%s'\n", x, x,
                c->worse ? "#c0392b" : "#27ae60");
        fprintf(gp, "set label \"%+.1f%%, p=%.3g\" at %g, graph %.2f left offset 0.5,0 textcolor rgb '%s' font ',9'\n",
                c->change_pct, c->p, x, 0.95 - 0.06 * (double)(k % 4), c->worse ? "#c0392b" : "#27ae60");
    }
    fprintf(gp, "plot '%s' using 1:2:xtic(3) with linespoints pt 7 ps 0.8 lc rgb '#2c3e50' title '%s', \\\n"
                "     '%s' using 1:2 with lines lw 2.5 lc rgb '#e67e22' title 'segment mean'\n",
            dpath, q->cpu ? "cpu ns/op (median of repetitions)" : "median of repetitions", spath);
    fclose(gp);
    rc = spl_gp_run(gpath, dir, name, fmt);
    hist_free(&s);
    if (rc) {
        spl_err(CMD, "gnuplot failed on %s", gpath);
        return SPL_EXIT_FAIL;
    }
    return SPL_EXIT_OK;
}

int results_plot_compare(const char *old_path, const char *new_path, const struct cmp_opts *o, const char *dir,
                         const char *fmt)
{
    struct rdoc a, b;
    char err[1400];
    if (rdoc_load(old_path, &a, err, sizeof err)) { spl_err(CMD, "%s", err); return SPL_EXIT_USAGE; }
    if (rdoc_load(new_path, &b, err, sizeof err)) { spl_err(CMD, "%s", err); rdoc_free(&a); return SPL_EXIT_USAGE; }
    struct cmp c;
    if (cmp_run(&a, &b, o, &c)) { spl_err(CMD, "out of memory"); rdoc_free(&a); rdoc_free(&b); return SPL_EXIT_FAIL; }
    char dpath[4200], gpath[4200];
    FILE *d = open_in(dir, "compare", "dat", dpath, sizeof dpath), *gp = d ? open_in(dir, "compare", "gp", gpath, sizeof gpath) : NULL;
    int rc = SPL_EXIT_FAIL;
    if (!gp) goto out;
    /* one bar per row measured in both, top to bottom in the documents' order */
    size_t n = 0;
    double lo = 0, hi = 0;
    fprintf(d, "# y  change_pct  colour  row\n");
    for (size_t i = c.n; i-- > 0;) {
        const struct crow *r = &c.rows[i];
        if (r->v == CV_NA || !isfinite(r->change_pct)) continue;
        unsigned col = r->v == CV_WORSE ? 0xc0392b : r->v == CV_BETTER ? 0x27ae60 : 0x95a5a6;
        char lab[300];
        snprintf(lab, sizeof lab, "%s [%s]", r->id, r->impl);
        for (char *p = lab; *p; p++)
            if (*p == '"') *p = '\'';
        fprintf(d, "%zu %.6g %u \"%s\"\n", n++, r->change_pct, col, lab);
        lo = fmin(lo, r->change_pct);
        hi = fmax(hi, r->change_pct);
    }
    fclose(d);
    d = NULL;
    if (n == 0) {
        spl_err(CMD, "%s and %s have no row measured in both", old_path, new_path);
        fclose(gp);
        goto out;
    }
    char title[1200];
    snprintf(title, sizeof title, "%s -> %s: change of each row's median\\n%zu worse, %zu better, %zu no change "
             "(threshold %g%%, U test alpha %g)", a.run.commit[0] ? a.run.commit : old_path, b.run.commit[0] ? b.run.commit : new_path,
             c.count[CV_WORSE], c.count[CV_BETTER], c.count[CV_SAME], o->threshold_pct, o->alpha);
    /* commits read better short */
    if (a.run.commit[0] && b.run.commit[0])
        snprintf(title, sizeof title, "commit %.12s -> %.12s: change of each row's median\\n%zu worse, %zu better, %zu no "
                 "change (threshold %g%%, U test alpha %g)", a.run.commit, b.run.commit, c.count[CV_WORSE],
                 c.count[CV_BETTER], c.count[CV_SAME], o->threshold_pct, o->alpha);
    int height = (int)(120 + 16 * n);
    spl_gp_term(gp, dir, "compare", fmt, title, 1100, height < 400 ? 400 : height);
    double span = fmax(hi - lo, 1);
    fprintf(gp, "unset key\nset xlabel 'change of the median, %% (NEW vs OLD; right of 0 is higher: worse for times, "
                "better for rates)'\n");
    fprintf(gp, "set xrange [%g:%g]\nset yrange [-0.7:%zu.7]\nset ytics font ',8' noenhanced\nset grid xtics noytics\n",
            lo - 0.05 * span, hi + 0.05 * span, n - 1);
    fprintf(gp, "set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb '#2c3e50'\n");
    for (int sgn = -1; sgn <= 1; sgn += 2)
        fprintf(gp, "set arrow from %g, graph 0 to %g, graph 1 nohead dt 3 lc rgb '#7f8c8d'\n", sgn * o->threshold_pct,
                sgn * o->threshold_pct);
    fprintf(gp, "plot '%s' using (0):1:(0):2:($1-0.35):($1+0.35):3:ytic(4) with boxxyerror fs solid 0.8 noborder "
                "lc rgb variable\n", dpath);
    fclose(gp);
    if (spl_gp_run(gpath, dir, "compare", fmt) == 0) rc = SPL_EXIT_OK;
    else spl_err(CMD, "gnuplot failed on %s", gpath);
out:
    if (d) fclose(d);
    cmp_free(&c);
    rdoc_free(&a);
    rdoc_free(&b);
    return rc;
}

int results_plot_main(int argc, char **argv, const char *dir, const char *fmt, const char *history, const char *db,
                      const char *impl, const char *machine, bool cpu)
{
    if (history) {
        if (argc) { spl_err(CMD, "--history draws from the results store: no RESULTS.json"); return SPL_EXIT_USAGE; }
        struct hist_query q;
        hist_query_defaults(&q);
        q.impl = impl;
        q.machine = machine;
        q.cpu = cpu;
        struct rdb st;
        char err[1400];
        if (rdb_open(db ? db : rdb_default_url(), &st, err, sizeof err) != 0) {
            spl_err(CMD, "%s", err);
            return SPL_EXIT_FAIL;
        }
        int rc = results_plot_history(&st, history, &q, dir, fmt);
        rdb_close(&st);
        return rc;
    }
    if (argc != 2) { spl_err(CMD, "two runs: OLD.json NEW.json"); return SPL_EXIT_USAGE; }
    struct cmp_opts o = {.threshold_pct = 5, .alpha = 0.05};
    return results_plot_compare(argv[0], argv[1], &o, dir, fmt);
}
