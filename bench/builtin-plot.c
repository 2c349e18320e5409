/*
 * builtin-plot.c - `splsuite plot RESULTS.json`: figures of a bench run drawn
 * with gnuplot. One figure per workload family present in the file:
 *   ops-single    ns/op per operation and implementation (bars)
 *   ops-scaling   aggregate ops/s against processes, per shape (lines)
 *   wake-cdf      CDF of wake latency: bus, eventfd floor, signal polling
 *   madvise       p50 latency per advice: raw, sovereign, deferred (bars)
 *   flush-cdf-vV  CDF of the flush call's latency at the sparsest dirty set,
 *                 per value size V, one panel per implementation
 *   flush-rate-vV flushes/s against dirty slots per strategy (min..max bars)
 *   flush-procs-vV flushes/s against processes flushing one store (--procs)
 *   numa-matrix   writer node x reader node heat map (ops and wake)
 * The data (.dat) and scripts (.gp) are left next to the images so a
 * figure can be restyled and redrawn with gnuplot alone.
 */
#include "commands.h"
#include "gnuplot.h"
#include "hist.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include "opt.h"
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CMD "plot"

/* the results figures live in results/ (weak: a build without that part still links) */
#include "../results/results_plot.h"
#pragma weak results_plot_main

static const char *const formats[] = {"svg", "png", NULL}, *const figures[] = {"median", "cpu", NULL};
static struct {
    const char *outdir, *history, *db, *impl, *machine, *o_file;
    int format, figure;
} P;

static const struct spl_opt plot_opts[] = {
    {"outdir", 0, SPL_OPT_STR, SPL_OPT_DEST(P.outdir), "DIR", "where the images, .dat and .gp files go (made if missing)",
     .def = "plots"},
    {"format", 'f', SPL_OPT_CHOICE, SPL_OPT_DEST(P.format), "FMT", "image format", .def = "svg", .choices = formats},
    {"history", 0, SPL_OPT_STR, SPL_OPT_DEST(P.history), "ROW", "draw ROW's history (WORKLOAD/CASE) from the results store"},
    {"db", 0, SPL_OPT_STR, SPL_OPT_DEST(P.db), "URL", "--history: the results store",
     .def_help = "$SPLSUITE_DB, else ~/.local/share/splinter-suite/results.db"},
    {"impl", 'i', SPL_OPT_STR, SPL_OPT_DEST(P.impl), "LABEL", "--history: the implementation"},
    {"machine", 0, SPL_OPT_STR, SPL_OPT_DEST(P.machine), "NAME", "--history: host name or machine fingerprint"},
    {"figure", 0, SPL_OPT_CHOICE, SPL_OPT_DEST(P.figure), "F", "--history: the median, or task-clock ns/op", .def = "median",
     .choices = figures},
    /* -o is a file in every command; plot writes a directory of figures */
    {"output", 'o', SPL_OPT_STR, SPL_OPT_DEST(P.o_file), "FILE", "", .flags = SPL_OPT_HIDDEN},
    {0},
};

static const struct spl_cmd plot_cmd = {
    .name = "plot",
    .usage = "[OPTIONS] RESULTS.json\n[OPTIONS] OLD.json NEW.json\n--history ROW [--db URL] [--impl L] [--machine M] [--figure cpu] [OPTIONS]",
    .about = "Draws the figures of a `splsuite bench --json` run with gnuplot: latency CDFs\n"
             "(wake, flush), scaling curves (ops against processes), bars (single-process ops,\n"
             "madvise), flushes/s against dirty slots, and the NUMA writer x reader matrix.\n"
             "A figure counts only when gnuplot left a non-empty image.\n"
             "\n"
             "Two runs: each row's change of the median from OLD to NEW, coloured by splsuite\n"
             "compare's verdict (compare.FMT). --history: a row over the runs of the results store,\n"
             "with the mean of each segment and its change points (history-ROW.FMT; splsuite history).",
    .opts = plot_opts,
    .examples = "splsuite bench --json -o results.json && splsuite plot results.json --outdir plots\n"
                "splsuite plot results.json --format png --outdir docs/img\n"
                "splsuite plot main.json branch.json --outdir cmp",
    .exit_ok = "every figure was drawn",
    .exit_fail = "gnuplot failed or wrote no image, or the data had nothing to draw",
};

struct plot_ctx {
    const char *dir, *fmt;
    json_object *root, *results;
    int drawn, failed;
};

static const char *jstr(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static double jnum(json_object *o, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : 0;
}

/* Rows are told apart by their parameters, not by parsing case names. */
static bool is_mixed(json_object *r) /* an ops row of several processes */
{
    json_object *p;
    return json_object_object_get_ex(r, "params", &p) && !strcmp(jstr(p, "op"), "mixed");
}

/* a point of a scaling curve: the one-key reader/writer pair is not one */
static bool is_scaling(json_object *r)
{
    json_object *p;
    return is_mixed(r) && json_object_object_get_ex(r, "params", &p) && strcmp(jstr(p, "keys_mode"), "one") != 0;
}

static const char *numa_kind(json_object *r, json_object *p) /* "ops" or "wake" */
{
    const char *k = jstr(p, "kind");
    if (*k) return k;
    return !strncmp(jstr(r, "name"), "wake", 4) ? "wake" : "ops"; /* splsuite-bench/1 rows had no kind */
}

static bool row_ok(json_object *r, const char *wl)
{
    return strcmp(jstr(r, "workload"), wl) == 0 && strcmp(jstr(r, "status"), "ok") == 0;
}

/* The params of an ops row of several processes with value size vs; NULL
 * for any other row. */
static json_object *mix_params(json_object *r, double vs)
{
    json_object *p;
    if (!row_ok(r, "ops") || !is_scaling(r) || !json_object_object_get_ex(r, "params", &p) || jnum(p, "value_size") != vs)
        return NULL;
    return p;
}

/* Which line of ops-scaling a mix is on: readers only (0), writers on the
 * same (1) or disjoint keys (2), readers and writers on the same (3) or
 * disjoint keys (4). */
static int mix_shape(json_object *p)
{
    int rd = (int)jnum(p, "readers"), wr = (int)jnum(p, "writers");
    bool dj = !strcmp(jstr(p, "keys_mode"), "disjoint");
    return !wr ? 0 : !rd ? (dj ? 2 : 1) : (dj ? 4 : 3);
}

static FILE *open_in(const struct plot_ctx *c, const char *name, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", c->dir, name);
    FILE *f = fopen(path, "w");
    if (!f) spl_err(CMD, "%s: %s", path, strerror(errno));
    return f;
}

static void term(const struct plot_ctx *c, FILE *gp, const char *name, const char *title)
{
    spl_gp_term(gp, c->dir, name, c->fmt, title, 1000, 620);
}

static void run_gnuplot(struct plot_ctx *c, const char *gp_path, const char *name)
{
    if (spl_gp_run(gp_path, c->dir, name, c->fmt) == 0) {
        c->drawn++;
    } else {
        spl_err(CMD, "gnuplot failed on %s", gp_path);
        c->failed++;
    }
}

/* CDF of the histogram in row[key] written as "value percent" lines */
static int write_cdf(FILE *d, json_object *row, const char *key)
{
    json_object *h;
    struct spl_hist hist;
    if (!json_object_object_get_ex(row, key, &h) || spl_hist_from_json(&hist, h) != 0) return -1;
    uint64_t seen = 0;
    for (size_t i = 0; i < hist.nbuckets; i++) {
        if (!hist.counts[i]) continue;
        seen += hist.counts[i];
        uint64_t v = spl_hist_bucket_high(hist.sub_bits, i);
        if (v > hist.max) v = hist.max;
        fprintf(d, "%llu %.6f\n", (unsigned long long)(v ? v : 1), 100.0 * (double)seen / (double)hist.count);
    }
    fprintf(d, "\n\n");
    spl_hist_free(&hist);
    return 0;
}

static void cdf_plot(struct plot_ctx *c, const char *name, const char *title, const char *wl, const char *key,
                     bool (*want)(json_object *, void *), void *arg)
{
    char dpath[4200], gpath[4200], dn[64];
    snprintf(dn, sizeof dn, "%s.dat", name);
    FILE *d = open_in(c, dn, dpath, sizeof dpath);
    if (!d) { c->failed++; return; }
    int n = 0;
    char titles[64][200];
    size_t nr = json_object_array_length(c->results);
    for (size_t i = 0; i < nr && n < 64; i++) {
        json_object *r = json_object_array_get_idx(c->results, i);
        if (!row_ok(r, wl) || (want && !want(r, arg))) continue;
        if (write_cdf(d, r, key) != 0) continue;
        snprintf(titles[n++], sizeof titles[0], "%s [%s]", jstr(r, "name"), jstr(r, "implementation"));
    }
    fclose(d);
    if (!n) { unlink(dpath); return; }
    snprintf(dn, sizeof dn, "%s.gp", name);
    FILE *gp = open_in(c, dn, gpath, sizeof gpath);
    if (!gp) { c->failed++; return; }
    term(c, gp, name, title);
    fprintf(gp, "set logscale x\nset xlabel 'latency (ns, log scale)'\nset ylabel 'percent of samples at or below'\n"
                "set yrange [0:100]\nplot ");
    for (int i = 0; i < n; i++)
        fprintf(gp, "%s'%s' index %d using 1:2 with steps lw 2 title \"%s\"", i ? ", \\\n     " : "", dpath, i, titles[i]);
    fprintf(gp, "\n");
    fclose(gp);
    run_gnuplot(c, gpath, name);
}

/* flush rows of N > 1 processes (/p:N) are another figure: not in these charts */
static bool flush_one_proc(json_object *p) { return jnum(p, "procs") <= 1; }

/* The implementations of a workload's ok rows, in order of first row (at most max). */
static int impls_of(struct plot_ctx *c, const char *wl, const char **impls, int max)
{
    int ni = 0;
    size_t nr = json_object_array_length(c->results);
    for (size_t i = 0; i < nr; i++) {
        json_object *r = json_object_array_get_idx(c->results, i);
        if (!row_ok(r, wl)) continue;
        const char *im = jstr(r, "implementation");
        int k;
        for (k = 0; k < ni; k++)
            if (!strcmp(impls[k], im)) break;
        if (k == ni && ni < max) impls[ni++] = im;
    }
    return ni;
}

/* A bar chart: one group per case name, one bar per implementation. */
static void bars(struct plot_ctx *c, const char *name, const char *title, const char *wl, const char *prefix,
                 const char *ylabel, bool only_single)
{
    const char *impls[8];
    int ni = impls_of(c, wl, impls, 8);
    size_t nr = json_object_array_length(c->results);
    if (!ni) return;
    char dpath[4200], gpath[4200], dn[64];
    snprintf(dn, sizeof dn, "%s.dat", name);
    FILE *d = open_in(c, dn, dpath, sizeof dpath);
    if (!d) { c->failed++; return; }
    fprintf(d, "case");
    for (int k = 0; k < ni; k++) fprintf(d, " \"%s\"", impls[k]);
    fprintf(d, "\n");
    int rows = 0;
    for (size_t i = 0; i < nr; i++) { /* rows in first-seen order of case names */
        json_object *r = json_object_array_get_idx(c->results, i);
        if (strcmp(jstr(r, "workload"), wl) || strcmp(jstr(r, "implementation"), impls[0])) continue;
        const char *cn = jstr(r, "name");
        if (prefix && strncmp(cn, prefix, strlen(prefix))) continue;
        if (only_single && is_mixed(r)) continue;
        fprintf(d, "\"%s\"", cn);
        for (int k = 0; k < ni; k++) {
            double v = -1;
            for (size_t j = 0; j < nr; j++) {
                json_object *q = json_object_array_get_idx(c->results, j);
                if (row_ok(q, wl) && !strcmp(jstr(q, "name"), cn) && !strcmp(jstr(q, "implementation"), impls[k]))
                    v = jnum(q, "median");
            }
            if (v < 0) fprintf(d, " NaN");
            else fprintf(d, " %g", v);
        }
        fprintf(d, "\n");
        rows++;
    }
    fclose(d);
    if (!rows) { unlink(dpath); return; }
    snprintf(dn, sizeof dn, "%s.gp", name);
    FILE *gp = open_in(c, dn, gpath, sizeof gpath);
    if (!gp) { c->failed++; return; }
    term(c, gp, name, title);
    fprintf(gp, "set style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
                "set xtics rotate by -35 noenhanced\nset ylabel '%s'\nset logscale y\nset yrange [*:*]\n"
                "plot for [col=2:%d] '%s' using col:xticlabels(1) title columnheader\n",
            ylabel, ni + 1, dpath);
    fclose(gp);
    run_gnuplot(c, gpath, name);
}

/* ops/s of the multi-process shapes against the number of processes, at
 * the smallest value size; one colour per shape, dashes per implementation */
static void scaling(struct plot_ctx *c)
{
    char dpath[4200], gpath[4200];
    size_t nr = json_object_array_length(c->results);
    double vs = -1;
    for (size_t i = 0; i < nr; i++) {
        json_object *r = json_object_array_get_idx(c->results, i), *p;
        if (!row_ok(r, "ops") || !is_scaling(r) || !json_object_object_get_ex(r, "params", &p)) continue;
        if (vs < 0 || jnum(p, "value_size") < vs) vs = jnum(p, "value_size");
    }
    if (vs < 0) return;
    FILE *d = open_in(c, "ops-scaling.dat", dpath, sizeof dpath);
    if (!d) { c->failed++; return; }
    char series[32][160];
    int shape_of[32] = {0}, impl_of[32] = {0}, ns = 0;
    const char *impls[8] = {0};
    int ni = 0;
    static const char *const shapes[] = {"readers", "writers same keys", "writers disjoint keys",
                                         "readers+writers same keys", "readers+writers disjoint keys"};
    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; pass == 1 && k < ns; k++) {
            for (size_t i = 0; i < nr; i++) {
                json_object *r = json_object_array_get_idx(c->results, i), *p = mix_params(r, vs);
                if (!p || mix_shape(p) != shape_of[k] || strcmp(jstr(r, "implementation"), impls[impl_of[k]])) continue;
                /* the rate at the slowest and the fastest repetition: error bars */
                double rate = jnum(r, "rate_per_s"), med = jnum(r, "median"), lo = jnum(r, "max"), hi = jnum(r, "min");
                fprintf(d, "%d %g %g %g\n", (int)jnum(p, "readers") + (int)jnum(p, "writers"), rate,
                        lo > 0 ? rate * med / lo : rate, hi > 0 ? rate * med / hi : rate);
            }
            fprintf(d, "\n\n");
        }
        if (pass == 1) break;
        for (size_t i = 0; i < nr && ns < 32; i++) {
            json_object *r = json_object_array_get_idx(c->results, i), *p = mix_params(r, vs);
            if (!p) continue;
            int sh = mix_shape(p);
            const char *im = jstr(r, "implementation");
            int ix;
            for (ix = 0; ix < ni; ix++)
                if (!strcmp(impls[ix], im)) break;
            if (ix == ni) {
                if (ni == 8) continue;
                impls[ni++] = im;
            }
            int k;
            for (k = 0; k < ns; k++)
                if (shape_of[k] == sh && impl_of[k] == ix) break;
            if (k == ns) {
                shape_of[ns] = sh;
                impl_of[ns] = ix;
                snprintf(series[ns++], sizeof series[0], "%s [%s]", shapes[sh], im);
            }
        }
    }
    fclose(d);
    if (!ns) { unlink(dpath); return; }
    /* small multiples: one panel per shape, a line per implementation in the
     * same colour and dash in every panel (one crowded chart was unreadable) */
    int panels[5], np = 0;
    for (int sh = 0; sh < 5; sh++)
        for (int k = 0; k < ns; k++)
            if (shape_of[k] == sh) { panels[np++] = sh; break; }
    FILE *gp = open_in(c, "ops-scaling.gp", gpath, sizeof gpath);
    if (!gp) { c->failed++; return; }
    int cols = np < 3 ? np : 3, rows = (np + cols - 1) / cols;
    spl_gp_term(gp, c->dir, "ops-scaling", c->fmt, "", 1200, 120 + 400 * rows);
    fprintf(gp, "unset title\nset multiplot layout %d,%d title \"ops: aggregate throughput against processes (value size %g; bars: slowest..fastest repetition)\" "
                "noenhanced\nset key inside top left opaque noenhanced\nset xlabel 'processes'\nset ylabel 'ops/s (all processes)'\n"
                "set xtics 1\nset logscale y\n",
            rows, cols, vs);
    for (int q = 0; q < np; q++) {
        fprintf(gp, "set title \"%s\" noenhanced\nplot ", shapes[panels[q]]);
        int first = 1;
        for (int k = 0; k < ns; k++) {
            if (shape_of[k] != panels[q]) continue;
            fprintf(gp, "%s'%s' index %d using 1:2:3:4 with yerrorlines lw 2 lc %d dt %d pt %d title \"%s\"", first ? "" : ", \\\n     ",
                    dpath, k, impl_of[k] + 1, impl_of[k] + 1, impl_of[k] + 4, impls[impl_of[k]]);
            first = 0;
        }
        fprintf(gp, "\n");
    }
    fprintf(gp, "unset multiplot\n");
    fclose(gp);
    run_gnuplot(c, gpath, "ops-scaling");
}

/* A series' look: a colour of a 12-colour qualitative set and a dash
 * pattern, cycling at different periods, so no two of the first 60 series
 * of a chart look alike (gnuplot's default cycle repeats after 8). */
static void series_style(FILE *gp, int k)
{
    static const char *const col[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                                      "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#0b3d91"};
    fprintf(gp, "lw 2 lc rgb '%s' dt %d", col[k % 12], k % 5 + 1);
}

/* What a run's flush rows span: implementations (one panel each), strategies
 * (one series each, the same style in every panel), value sizes (one chart
 * each) and the sparsest dirty set. */
enum { FX_IMPL = 8, FX_STRAT = 40, FX_VS = 8 };
struct flush_axes {
    int ni, ns, nv;
    char impl[FX_IMPL][64], strat[FX_STRAT][48];
    uint64_t vs[FX_VS], dmin;
    bool multi_procs[FX_VS]; /* rows of N > 1 processes at that value size */
};

static int axis_add(char (*names)[64], int *n, int max, const char *v)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(names[i], v)) return i;
    if (*n == max) return -1;
    snprintf(names[*n], 64, "%s", v);
    return (*n)++;
}

static int strat_index(const struct flush_axes *a, const char *s)
{
    for (int i = 0; i < a->ns; i++)
        if (!strcmp(a->strat[i], s)) return i;
    return -1;
}

static int impl_index(const struct flush_axes *a, const char *s)
{
    for (int i = 0; i < a->ni; i++)
        if (!strcmp(a->impl[i], s)) return i;
    return -1;
}

static void flush_axes(const struct plot_ctx *c, struct flush_axes *a)
{
    memset(a, 0, sizeof *a);
    a->dmin = UINT64_MAX;
    size_t nr = json_object_array_length(c->results);
    for (size_t i = 0; i < nr; i++) {
        json_object *r = json_object_array_get_idx(c->results, i), *p;
        if (!row_ok(r, "flush") || !json_object_object_get_ex(r, "params", &p)) continue;
        axis_add(a->impl, &a->ni, FX_IMPL, jstr(r, "implementation"));
        const char *st = jstr(p, "strategy");
        if (strat_index(a, st) < 0 && a->ns < FX_STRAT) snprintf(a->strat[a->ns++], sizeof a->strat[0], "%s", st);
        uint64_t v = (uint64_t)jnum(p, "value_size"), d = (uint64_t)jnum(p, "dirty_slots");
        int k;
        for (k = 0; k < a->nv && a->vs[k] != v; k++) {}
        if (k == a->nv && a->nv < FX_VS) a->vs[a->nv++] = v;
        if (k < a->nv && !flush_one_proc(p)) a->multi_procs[k] = true;
        if (strcmp(st, "floor") && d < a->dmin) a->dmin = d;
    }
}

/* "set multiplot": one panel per implementation, stacked. */
static FILE *flush_script(struct plot_ctx *c, const struct flush_axes *a, const char *name, const char *title, char *gpath,
                          size_t glen)
{
    char gn[96];
    snprintf(gn, sizeof gn, "%s.gp", name);
    FILE *gp = open_in(c, gn, gpath, glen);
    if (!gp) return NULL;
    spl_gp_term(gp, c->dir, name, c->fmt, title, 1100, 80 + 440 * a->ni);
    fprintf(gp, "set multiplot layout %d,1 title \"%s\" noenhanced\n", a->ni, title);
    return gp;
}

/* The flush call's latency CDF at the sparsest dirty set, one chart per value
 * size, one panel per implementation, every strategy and the floor. */
static void flush_cdf(struct plot_ctx *c, const struct flush_axes *a, uint64_t vs)
{
    char name[64], dpath[4200], gpath[4200], dn[96], title[200];
    snprintf(name, sizeof name, "flush-cdf-v%llu", (unsigned long long)vs);
    snprintf(dn, sizeof dn, "%s.dat", name);
    FILE *d = open_in(c, dn, dpath, sizeof dpath);
    if (!d) { c->failed++; return; }
    int n = 0, of_impl[FX_IMPL * FX_STRAT], of_strat[FX_IMPL * FX_STRAT];
    size_t nr = json_object_array_length(c->results);
    for (size_t i = 0; i < nr && n < FX_IMPL * FX_STRAT; i++) {
        json_object *r = json_object_array_get_idx(c->results, i), *p;
        if (!row_ok(r, "flush") || !json_object_object_get_ex(r, "params", &p) || !flush_one_proc(p) ||
            (uint64_t)jnum(p, "value_size") != vs || strstr(jstr(p, "strategy"), "regfile"))
            continue;
        if (strcmp(jstr(p, "strategy"), "floor") && (uint64_t)jnum(p, "dirty_slots") != a->dmin) continue;
        int ii = impl_index(a, jstr(r, "implementation")), si = strat_index(a, jstr(p, "strategy"));
        if (ii < 0 || si < 0 || write_cdf(d, r, "sync_latency_ns") != 0) continue;
        of_impl[n] = ii, of_strat[n] = si, n++;
    }
    fclose(d);
    if (!n) { unlink(dpath); return; }
    snprintf(title, sizeof title, "flush: latency CDF of the flush call, %llu dirty slot(s), value size %llu (floor: pwrite+fdatasync)",
             (unsigned long long)a->dmin, (unsigned long long)vs);
    FILE *gp = flush_script(c, a, name, title, gpath, sizeof gpath);
    if (!gp) { c->failed++; return; }
    fprintf(gp, "set logscale x\nset xlabel 'latency (ns, log scale)'\nset ylabel 'percent at or below'\nset yrange [0:100]\n");
    for (int ii = 0; ii < a->ni; ii++) {
        fprintf(gp, "set title \"%s\" noenhanced\nplot ", a->impl[ii]);
        int k = 0;
        for (int q = 0; q < n; q++) {
            if (of_impl[q] != ii) continue;
            fprintf(gp, "%s'%s' index %d using 1:2 with steps ", k++ ? ", \\\n     " : "", dpath, q);
            series_style(gp, of_strat[q]);
            fprintf(gp, " title \"%s\"", a->strat[of_strat[q]]);
        }
        if (!k) fprintf(gp, "NaN notitle");
        fprintf(gp, "\n");
    }
    fprintf(gp, "unset multiplot\n");
    fclose(gp);
    run_gnuplot(c, gpath, name);
}

/* flushes/s (median, bars from the slowest to the fastest repetition)
 * against dirty slots (x = "dirty_slots") or processes (x = "procs", at the
 * sparsest dirty set), one chart per value size, one panel per
 * implementation, one line per strategy. */
static void flush_lines(struct plot_ctx *c, const struct flush_axes *a, uint64_t vs, const char *x)
{
    const bool by_procs = !strcmp(x, "procs");
    char name[64], dpath[4200], gpath[4200], dn[96], title[200];
    snprintf(name, sizeof name, "flush-%s-v%llu", by_procs ? "procs" : "rate", (unsigned long long)vs);
    snprintf(dn, sizeof dn, "%s.dat", name);
    FILE *d = open_in(c, dn, dpath, sizeof dpath);
    if (!d) { c->failed++; return; }
    size_t nr = json_object_array_length(c->results);
    int n = 0, of_impl[FX_IMPL * FX_STRAT], of_strat[FX_IMPL * FX_STRAT];
    for (int ii = 0; ii < a->ni; ii++)
        for (int si = 0; si < a->ns; si++) {
            if (!strcmp(a->strat[si], "floor")) continue;
            int pts = 0;
            for (size_t i = 0; i < nr; i++) {
                json_object *r = json_object_array_get_idx(c->results, i), *p;
                if (!row_ok(r, "flush") || !json_object_object_get_ex(r, "params", &p) ||
                    (uint64_t)jnum(p, "value_size") != vs || strcmp(jstr(r, "implementation"), a->impl[ii]) ||
                    strcmp(jstr(p, "strategy"), a->strat[si]))
                    continue;
                if (by_procs ? (uint64_t)jnum(p, "dirty_slots") != a->dmin : !flush_one_proc(p)) continue;
                fprintf(d, "%g %g %g %g\n", by_procs ? (jnum(p, "procs") > 0 ? jnum(p, "procs") : 1) : jnum(p, "dirty_slots"),
                        jnum(r, "median"), jnum(r, "min"), jnum(r, "max"));
                pts++;
            }
            if (!pts) continue;
            fprintf(d, "\n\n");
            of_impl[n] = ii, of_strat[n] = si, n++;
        }
    fclose(d);
    if (!n) { unlink(dpath); return; }
    if (by_procs)
        snprintf(title, sizeof title, "flush: flushes/s of N processes flushing one store, %llu dirty slot(s), value size %llu",
                 (unsigned long long)a->dmin, (unsigned long long)vs);
    else
        snprintf(title, sizeof title, "flush: flushes/s against dirty slots, value size %llu (bars: min..max of the repetitions)",
                 (unsigned long long)vs);
    FILE *gp = flush_script(c, a, name, title, gpath, sizeof gpath);
    if (!gp) { c->failed++; return; }
    fprintf(gp, "set offsets graph 0.03, graph 0.03, 0, 0\n"); /* bars at the first and last x off the axes */
    if (by_procs) fprintf(gp, "set logscale y\nset xlabel 'processes'\nset xtics 1\nset ylabel 'flushes/s, all processes (log)'\n");
    else fprintf(gp, "set logscale xy\nset xlabel 'dirty slots per flush (log)'\nset ylabel 'flushes/s (log)'\n");
    for (int ii = 0; ii < a->ni; ii++) {
        fprintf(gp, "set title \"%s\" noenhanced\nplot ", a->impl[ii]);
        int k = 0;
        for (int q = 0; q < n; q++) {
            if (of_impl[q] != ii) continue;
            fprintf(gp, "%s'%s' index %d using 1:2:3:4 with yerrorlines ", k++ ? ", \\\n     " : "", dpath, q);
            series_style(gp, of_strat[q]);
            fprintf(gp, " pt %d title \"%s\"", of_strat[q] % 13 + 1, a->strat[of_strat[q]]);
        }
        if (!k) fprintf(gp, "NaN notitle");
        fprintf(gp, "\n");
    }
    fprintf(gp, "unset multiplot\n");
    fclose(gp);
    run_gnuplot(c, gpath, name);
}

static void flush_plots(struct plot_ctx *c)
{
    struct flush_axes a;
    flush_axes(c, &a);
    if (!a.ni || a.dmin == UINT64_MAX) return;
    for (int v = 0; v < a.nv; v++) {
        flush_cdf(c, &a, a.vs[v]);
        flush_lines(c, &a, a.vs[v], "dirty_slots");
        if (a.multi_procs[v]) flush_lines(c, &a, a.vs[v], "procs");
    }
}


/* Small multiples: a row of panels per implementation (reader get ns/op,
 * wake p50), one colour scale per column so the implementations compare. */
static void numa_matrix(struct plot_ctx *c)
{
    char dpath[4200], gpath[4200];
    const char *impls[4];
    int ni = impls_of(c, "numa", impls, 4);
    if (!ni) return;
    FILE *d = open_in(c, "numa-matrix.dat", dpath, sizeof dpath);
    if (!d) { c->failed++; return; }
    size_t nr = json_object_array_length(c->results);
    int n = 0;
    double top[2] = {0, 0};
    for (int m = 0; m < ni; m++) {
        for (int kind = 0; kind < 2; kind++) {
            for (size_t i = 0; i < nr; i++) {
                json_object *r = json_object_array_get_idx(c->results, i), *p;
                if (!row_ok(r, "numa") || !json_object_object_get_ex(r, "params", &p)) continue;
                if (strcmp(jstr(r, "implementation"), impls[m]) || strcmp(numa_kind(r, p), kind ? "wake" : "ops")) continue;
                double v = jnum(r, "median");
                fprintf(d, "%d %d %g\n", (int)jnum(p, "writer_node"), (int)jnum(p, "reader_node"), v);
                if (v > top[kind]) top[kind] = v;
                n++;
            }
            fprintf(d, "\n\n"); /* index m * 2 + kind */
        }
    }
    fclose(d);
    if (!n) { unlink(dpath); return; }
    FILE *gp = open_in(c, "numa-matrix.gp", gpath, sizeof gpath);
    if (!gp) { c->failed++; return; }
    spl_gp_term(gp, c->dir, "numa-matrix", c->fmt, "", 1000, 160 + 380 * ni);
    fprintf(gp, "unset title\nset multiplot layout %d,2 title \"NUMA: writer node x reader node, one row per implementation\" "
                "noenhanced\nunset key\nset xlabel 'writer node'\nset ylabel 'reader node'\nset xtics 1\nset ytics 1\n"
                "set palette rgbformulae 22,13,-31\nset offsets 0.5,0.5,0.5,0.5\nset style fill solid 1.0 noborder\n",
            ni);
    for (int m = 0; m < ni; m++) {
        for (int kind = 0; kind < 2; kind++) {
            fprintf(gp, "set cbrange [0:%g]\nset title \"%s [%s]\" noenhanced\n", top[kind] > 0 ? top[kind] : 1,
                    kind ? "event-bus wake p50 (ns)" : "reader get ns/op (writer setting the same keys)", impls[m]);
            fprintf(gp, "plot '%s' index %d using 1:2:($1-0.5):($1+0.5):($2-0.5):($2+0.5):3 with boxxy fc palette, "
                        "'' index %d using 1:2:(sprintf('%%.0f',$3)) with labels\n",
                    dpath, m * 2 + kind, m * 2 + kind);
        }
    }
    fprintf(gp, "unset multiplot\n");
    fclose(gp);
    run_gnuplot(c, gpath, "numa-matrix");
}

int cmd_plot(int argc, char **argv)
{
    memset(&P, 0, sizeof P);
    int argi, rc = spl_opt_parse(&plot_cmd, argc, argv, &argi);
    if (rc != SPL_OPT_OK) return rc == SPL_OPT_HELP ? SPL_EXIT_OK : rc;
    if (P.o_file)
        return spl_opt_error(&plot_cmd, "-o names a file; plot writes a directory of figures: --outdir %s", P.o_file);
    struct plot_ctx c = {.dir = P.outdir, .fmt = formats[P.format]};
    const char *history = P.history, *db = P.db, *impl = P.impl, *machine = P.machine;
    bool cpu = P.figure == 1, figure_set = P.figure != 0;
    /* two runs, or a row's history: the results figures (results/plot.c) */
    if (history || argc - argi == 2) {
        if (!results_plot_main) { spl_err(CMD, "this splsuite was built without the results part"); return SPL_EXIT_SKIP; }
        if (!spl_in_path("gnuplot")) {
            spl_err(CMD, "gnuplot is not installed (Debian: apt-get install gnuplot-nox)");
            return SPL_EXIT_SKIP;
        }
        if (spl_mkdir_p(c.dir, 0777) != 0) { spl_err(CMD, "--outdir %s: %s", c.dir, strerror(errno)); return SPL_EXIT_FAIL; }
        return results_plot_main(argc - argi, argv + argi, c.dir, c.fmt, history, db, impl, machine, cpu);
    }
    if (impl || machine || db || figure_set) return spl_opt_error(&plot_cmd, "--impl, --machine, --db and --figure go with --history");
    if (argi != argc - 1)
        return spl_opt_error(&plot_cmd, argi == argc ? "which RESULTS.json? (splsuite bench --json -o FILE)" : "one or two results documents");
    const char *in = argv[argi];
    c.root = json_object_from_file(in);
    if (!c.root) { spl_err(CMD, "%s: not readable JSON (%s)", in, json_util_get_last_err()); return SPL_EXIT_USAGE; }
    json_object *schema;
    if (!json_object_object_get_ex(c.root, "schema", &schema) || strncmp(json_object_get_string(schema), "splsuite-bench/", 15) ||
        !json_object_object_get_ex(c.root, "results", &c.results)) {
        spl_err(CMD, "%s: not a splsuite bench result (schema splsuite-bench/N expected)", in);
        json_object_put(c.root);
        return SPL_EXIT_USAGE;
    }
    if (!spl_in_path("gnuplot")) {
        spl_err(CMD, "gnuplot is not installed (Debian: apt-get install gnuplot-nox)");
        json_object_put(c.root);
        return SPL_EXIT_SKIP;
    }
    if (spl_mkdir_p(c.dir, 0777) != 0) {
        spl_err(CMD, "--outdir %s: %s", c.dir, strerror(errno));
        json_object_put(c.root);
        return SPL_EXIT_FAIL;
    }
    bars(&c, "ops-single", "ops: single-process cost per operation (median)", "ops", NULL, "ns/op (log)", true);
    scaling(&c);
    cdf_plot(&c, "wake-cdf", "wake: one-way wake latency CDF (bus, eventfd floor, signal polling)", "wake", "latency_ns", NULL, NULL);
    bars(&c, "madvise", "madvise: p50 latency per advice (raw, sovereign, deferred bidder)", "madvise", NULL, "ns (log)", false);
    flush_plots(&c);
    numa_matrix(&c);
    json_object_put(c.root);
    if (c.failed) return SPL_EXIT_FAIL;
    if (!c.drawn) { spl_err(CMD, "%s: no successful rows to draw", in); return SPL_EXIT_FAIL; }
    return SPL_EXIT_OK;
}
