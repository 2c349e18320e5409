/*
 * perfgate.c - the performance regression gate (ci/perf-gate wraps it).
 *
 * Two lanes, each compared with a baseline JSON kept in the repository:
 *
 *   deterministic  instructions per call of each single-process hot path,
 *                  counted by callgrind (hotpaths --callgrind). The count is
 *                  exact and repeatable on one toolchain, so a small relative
 *                  threshold is enough and never flaps.
 *   timing         per repetition, the ratio of a path's time to the raw
 *                  floor timed in the same run (hotpaths --timing). Baseline
 *                  and current ratio samples are compared with a one-sided
 *                  Mann-Whitney U test; a regression needs BOTH significance
 *                  (p < alpha) and a material change of the median (> +N%),
 *                  because either alone fires on noise or on trivia.
 *
 * Prints a table (lane, metric, baseline, now, change, verdict), writes
 * perf-gate.json and perf-gate.md to --out, exits 1 on any regression.
 */
#include "envelope.h"
#include "impl.h"
#include "mwu.h"
#include "proc.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CI_HOTPATHS_PATH
#define CI_HOTPATHS_PATH "hotpaths"
#endif
#ifndef CI_HOTPATHS_INSTALLED
#define CI_HOTPATHS_INSTALLED "/usr/libexec/splinter-suite/hotpaths"
#endif
#ifndef SPLSUITE_SOURCE_ROOT
#define SPLSUITE_SOURCE_ROOT "."
#endif

struct opts {
    const char *impl, *baselines, *out, *hotpaths, *valgrind;
    bool det, timing, update, quiet;
    double cg_threshold; /* percent */
    double cg_min_abs;   /* instructions per call */
    double alpha, material; /* p-value, percent */
    unsigned long cg_ops, t_ops, reps, procs;
};

enum verdict { V_OK, V_REGRESSION, V_IMPROVED, V_NEW, V_MISSING };
static const char *vname[] = {"ok", "REGRESSION", "improved", "new", "MISSING"};

struct row {
    char lane[16], metric[64], unit[16];
    double base, now, change, p;
    bool has_p;
    enum verdict v;
};

static struct row rows[64];
static size_t nrows;

static struct row *add_row(const char *lane, const char *metric, const char *unit)
{
    if (nrows >= sizeof rows / sizeof rows[0]) return NULL;
    struct row *r = &rows[nrows++];
    memset(r, 0, sizeof *r);
    snprintf(r->lane, sizeof r->lane, "%s", lane);
    snprintf(r->metric, sizeof r->metric, "%s", metric);
    snprintf(r->unit, sizeof r->unit, "%s", unit);
    r->base = r->now = r->change = NAN;
    return r;
}

/* Runs argv with stdout to out_path (when set); stderr passes through.
 * Its exit status, 128 + a signal, or -1 when it could not start. */
static int run(char *const argv[], const char *out_path)
{
    struct spl_spawn_opts so = {.in = "-", .out = out_path ? out_path : "-", .err = "-"};
    char err[512];
    int rc = spl_spawn_wait(argv, &so, UINT64_MAX, err, sizeof err);
    if (rc < 0 || rc >= 128) fprintf(stderr, "perf-gate: %s\n", err);
    return rc;
}

/* First line of `prog --version` (no shell involved). */
static void tool_version(const char *prog, char *buf, size_t len)
{
    char *argv[] = {(char *)prog, "--version", NULL}, err[256];
    if (spl_spawn_capture(argv, NULL, 30ull * 1000000000ull, buf, len, err, sizeof err) != 0 || !buf[0])
        snprintf(buf, len, "unknown");
    buf[strcspn(buf, "\n")] = 0;
}

/* ---- measuring ----------------------------------------------------------- */

/* Callgrind lane: one dump per path, "desc: Trigger: Client Request: hp:NAME"
 * followed by "totals: N". Returns {"metrics": {NAME: {"ir_per_op": x}}}. */
static json_object *measure_callgrind(const struct opts *o, const char *work, char *err, size_t errlen)
{
    char dir[PATH_MAX], outfile[PATH_MAX], stdout_path[PATH_MAX], ops[32], vg[256];
    snprintf(dir, sizeof dir, "%s/callgrind", work);
    spl_mkdir_p(dir, 0755);
    DIR *d = opendir(dir);
    if (d) { /* a previous run's dumps would be read as this run's */
        struct dirent *de;
        while ((de = readdir(d)))
            if (!strncmp(de->d_name, "cg.out", 6)) { snprintf(outfile, sizeof outfile, "%s/%s", dir, de->d_name); unlink(outfile); }
        closedir(d);
    }
    snprintf(outfile, sizeof outfile, "--callgrind-out-file=%s/cg.out", dir);
    snprintf(stdout_path, sizeof stdout_path, "%s/hotpaths-callgrind.json", dir);
    snprintf(ops, sizeof ops, "%lu", o->cg_ops);
    char *argv[] = {(char *)o->valgrind, "--tool=callgrind", "--collect-atstart=no", "--quiet", outfile,
                    (char *)o->hotpaths, "--impl", (char *)o->impl, "--callgrind", "--ops", ops, NULL};
    int rc = run(argv, stdout_path);
    if (rc != 0) { snprintf(err, errlen, "valgrind hotpaths --callgrind exited %d", rc); return NULL; }

    json_object *res = json_object_new_object(), *m = json_object_new_object();
    tool_version(o->valgrind, vg, sizeof vg);
    json_object_object_add(res, "schema", json_object_new_string("splsuite-ci-baseline/1"));
    json_object_object_add(res, "lane", json_object_new_string("deterministic"));
    json_object_object_add(res, "tool", json_object_new_string(vg));
    json_object_object_add(res, "ops", json_object_new_int64((int64_t)o->cg_ops));
    json_object_object_add(res, "metrics", m);
    /* dumps are numbered in the order the paths ran: keep that order */
    for (int i = 1; i < 1000; i++) {
        char path[PATH_MAX], line[512], name[64] = "";
        snprintf(path, sizeof path, "%s/cg.out.%d", dir, i);
        FILE *f = fopen(path, "r");
        if (!f) break;
        double total = -1;
        while (fgets(line, sizeof line, f)) {
            if (!strncmp(line, "desc: Trigger: Client Request: hp:", 34)) {
                snprintf(name, sizeof name, "%s", line + 34);
                name[strcspn(name, "\n")] = 0;
            } else if (!strncmp(line, "totals: ", 8)) {
                total = strtod(line + 8, NULL);
            }
        }
        fclose(f);
        if (!name[0] || total < 0) continue;
        json_object *e = json_object_new_object();
        json_object_object_add(e, "ir_per_op", json_object_new_double(total / (double)o->cg_ops));
        json_object_object_add(m, name, e);
    }
    /* bus notify is what arming the bus adds to a set */
    json_object *a, *b, *x, *y;
    if (json_object_object_get_ex(m, "set_bus", &a) && json_object_object_get_ex(m, "set", &b) &&
        json_object_object_get_ex(a, "ir_per_op", &x) && json_object_object_get_ex(b, "ir_per_op", &y)) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "ir_per_op", json_object_new_double(json_object_get_double(x) - json_object_get_double(y)));
        json_object_object_add(m, "bus_notify", e);
    }
    if (json_object_object_length(m) == 0) {
        snprintf(err, errlen, "no callgrind dumps found in %s", dir);
        json_object_put(res);
        return NULL;
    }
    return res;
}

/* Timing lane: {"metrics": {NAME: {"floor": F, "ratio": [...]}}}.
 * The samples come from --procs separate processes: code and data placement
 * differ between processes and shift a ratio by a few percent, so samples
 * from one process alone would make that shift look significant. */
static json_object *measure_timing(const struct opts *o, const char *work, char *err, size_t errlen)
{
    char path[PATH_MAX], ops[32], reps[32];
    unsigned long per = (o->reps + o->procs - 1) / o->procs;
    snprintf(ops, sizeof ops, "%lu", o->t_ops);
    snprintf(reps, sizeof reps, "%lu", per);
    json_object *res = json_object_new_object(), *m = json_object_new_object();
    json_object_object_add(res, "schema", json_object_new_string("splsuite-ci-baseline/1"));
    json_object_object_add(res, "lane", json_object_new_string("timing"));
    json_object_object_add(res, "ops", json_object_new_int64((int64_t)o->t_ops));
    json_object_object_add(res, "procs", json_object_new_int64((int64_t)o->procs));
    json_object_object_add(res, "reps", json_object_new_int64((int64_t)(per * o->procs)));
    json_object_object_add(res, "metrics", m);
    for (unsigned long pi = 0; pi < o->procs; pi++) {
        snprintf(path, sizeof path, "%s/hotpaths-timing-%lu.json", work, pi);
        char *argv[] = {(char *)o->hotpaths, "--impl", (char *)o->impl, "--timing", "--ops", ops, "--reps", reps, NULL};
        int rc = run(argv, path);
        if (rc != 0) { snprintf(err, errlen, "hotpaths --timing exited %d", rc); json_object_put(res); return NULL; }
        json_object *raw = json_object_from_file(path);
        json_object *paths;
        if (!raw || !json_object_object_get_ex(raw, "paths", &paths)) {
            snprintf(err, errlen, "%s: not hotpaths output", path);
            json_object_put(raw);
            json_object_put(res);
            return NULL;
        }
        json_object_object_foreach(paths, name, p) {
            json_object *fl, *ratio, *e, *acc;
            if (!json_object_object_get_ex(p, "floor", &fl) || !json_object_object_get_ex(p, "ratio", &ratio)) continue;
            if (!json_object_object_get_ex(m, name, &e)) {
                e = json_object_new_object();
                json_object_object_add(e, "floor", json_object_get(fl));
                json_object_object_add(e, "ratio", json_object_new_array());
                json_object_object_add(m, name, e);
            }
            json_object_object_get_ex(e, "ratio", &acc);
            for (size_t i = 0; i < json_object_array_length(ratio); i++)
                json_object_array_add(acc, json_object_get(json_object_array_get_idx(ratio, i)));
        }
        json_object_put(raw);
    }
    return res;
}

/* ---- judging --------------------------------------------------------------- */

static double get_num(json_object *o, const char *k)
{
    json_object *v;
    return o && json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : NAN;
}

static json_object *metrics_of(json_object *doc)
{
    json_object *m;
    return doc && json_object_object_get_ex(doc, "metrics", &m) ? m : NULL;
}

static void judge_callgrind(const struct opts *o, json_object *base, json_object *now)
{
    json_object *bm = metrics_of(base), *nm = metrics_of(now);
    if (nm) {
        json_object_object_foreach(nm, name, cur) {
            char label[64];
            snprintf(label, sizeof label, "%s", name);
            struct row *r = add_row("deterministic", label, "Ir/call");
            if (!r) return;
            r->now = get_num(cur, "ir_per_op");
            json_object *b;
            if (!bm || !json_object_object_get_ex(bm, name, &b)) { r->v = V_NEW; continue; }
            r->base = get_num(b, "ir_per_op");
            r->change = r->base > 0 ? (r->now / r->base - 1) * 100 : 0;
            double abs_rise = r->now - r->base;
            if (r->change > o->cg_threshold && abs_rise > o->cg_min_abs) r->v = V_REGRESSION;
            else if (r->change < -o->cg_threshold && -abs_rise > o->cg_min_abs) r->v = V_IMPROVED;
            else r->v = V_OK;
        }
    }
    if (bm) {
        json_object_object_foreach(bm, name, b) {
            if (nm && json_object_object_get_ex(nm, name, NULL)) continue;
            struct row *r = add_row("deterministic", name, "Ir/call");
            if (!r) return;
            r->base = get_num(b, "ir_per_op");
            r->v = V_MISSING;
        }
    }
}

static size_t samples(json_object *e, double *out, size_t max)
{
    json_object *a;
    if (!e || !json_object_object_get_ex(e, "ratio", &a) || !json_object_is_type(a, json_type_array)) return 0;
    size_t n = json_object_array_length(a);
    if (n > max) n = max;
    for (size_t i = 0; i < n; i++) out[i] = json_object_get_double(json_object_array_get_idx(a, i));
    return n;
}

static void judge_timing(const struct opts *o, json_object *base, json_object *now)
{
    json_object *bm = metrics_of(base), *nm = metrics_of(now);
    double bs[1000], ns[1000];
    if (nm) {
        json_object_object_foreach(nm, name, cur) {
            json_object *fl;
            char label[64];
            snprintf(label, sizeof label, "%s/%s", name,
                     json_object_object_get_ex(cur, "floor", &fl) ? json_object_get_string(fl) : "floor");
            struct row *r = add_row("timing", label, "ratio");
            if (!r) return;
            size_t nn = samples(cur, ns, 1000);
            r->now = mwu_median(ns, nn);
            json_object *b;
            size_t nb = bm && json_object_object_get_ex(bm, name, &b) ? samples(b, bs, 1000) : 0;
            if (nb == 0) { r->v = V_NEW; continue; }
            r->base = mwu_median(bs, nb);
            r->change = (r->now / r->base - 1) * 100;
            struct mwu_result up, down;
            if (mwu_test(ns, nn, bs, nb, MWU_GREATER, &up) != 0 || mwu_test(ns, nn, bs, nb, MWU_LESS, &down) != 0) {
                r->v = V_MISSING;
                continue;
            }
            r->has_p = true;
            if (up.p < o->alpha && r->change > o->material) { r->v = V_REGRESSION; r->p = up.p; }
            else if (down.p < o->alpha && r->change < -o->material) { r->v = V_IMPROVED; r->p = down.p; }
            else { r->v = V_OK; r->p = r->change >= 0 ? up.p : down.p; }
        }
    }
    if (bm) {
        json_object_object_foreach(bm, name, b) {
            (void)b;
            if (nm && json_object_object_get_ex(nm, name, NULL)) continue;
            struct row *r = add_row("timing", name, "ratio");
            if (!r) return;
            r->v = V_MISSING;
        }
    }
}

/* ---- reporting ------------------------------------------------------------- */

static void fmt_num(char *buf, size_t len, double v, const char *unit)
{
    if (isnan(v)) snprintf(buf, len, "-");
    else if (!strcmp(unit, "ratio")) snprintf(buf, len, "%.3f", v);
    else snprintf(buf, len, "%.1f", v);
}

static void fmt_verdict(char *buf, size_t len, const struct row *r)
{
    if (r->has_p) snprintf(buf, len, "%s (p=%.3g)", vname[r->v], r->p);
    else snprintf(buf, len, "%s", vname[r->v]);
}

static size_t count(enum verdict v)
{
    size_t n = 0;
    for (size_t i = 0; i < nrows; i++) n += rows[i].v == v;
    return n;
}

static void print_table(FILE *f)
{
    fprintf(f, "%-14s %-26s %12s %12s %9s  %s\n", "lane", "metric", "baseline", "now", "change", "verdict");
    for (size_t i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        char b[32], n[32], c[32], v[64], m[96];
        fmt_num(b, sizeof b, r->base, r->unit);
        fmt_num(n, sizeof n, r->now, r->unit);
        if (isnan(r->change)) snprintf(c, sizeof c, "-");
        else snprintf(c, sizeof c, "%+.2f%%", r->change);
        fmt_verdict(v, sizeof v, r);
        snprintf(m, sizeof m, "%s (%s)", r->metric, r->unit);
        fprintf(f, "%-14s %-26s %12s %12s %9s  %s\n", r->lane, m, b, n, c, v);
    }
}

/* Run identity of perf-gate.json (lib/envelope.h), dated at the gate's start. */
static struct spl_envelope gate_env;

static int write_reports(const struct opts *o, const char *impl_label, bool fail)
{
    char path[PATH_MAX];
    json_object *doc = json_object_new_object(), *arr = json_object_new_array(), *th = json_object_new_object();
    json_object_object_add(doc, "schema", json_object_new_string("splsuite-ci-perfgate/1"));
    json_object_object_add(doc, "impl", json_object_new_string(impl_label));
    json_object_object_add(doc, "verdict", json_object_new_string(fail ? "regression" : "pass"));
    json_object_object_add(doc, "regressions", json_object_new_int64((int64_t)(count(V_REGRESSION) + count(V_MISSING))));
    json_object_object_add(th, "deterministic_pct", json_object_new_double(o->cg_threshold));
    json_object_object_add(th, "deterministic_min_abs_ir", json_object_new_double(o->cg_min_abs));
    json_object_object_add(th, "timing_alpha", json_object_new_double(o->alpha));
    json_object_object_add(th, "timing_material_pct", json_object_new_double(o->material));
    json_object_object_add(doc, "thresholds", th);
    for (size_t i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        json_object *e = json_object_new_object();
        json_object_object_add(e, "lane", json_object_new_string(r->lane));
        json_object_object_add(e, "metric", json_object_new_string(r->metric));
        json_object_object_add(e, "unit", json_object_new_string(r->unit));
        json_object_object_add(e, "baseline", isnan(r->base) ? NULL : json_object_new_double(r->base));
        json_object_object_add(e, "now", isnan(r->now) ? NULL : json_object_new_double(r->now));
        json_object_object_add(e, "change_pct", isnan(r->change) ? NULL : json_object_new_double(r->change));
        json_object_object_add(e, "p", r->has_p ? json_object_new_double(r->p) : NULL);
        json_object_object_add(e, "verdict", json_object_new_string(vname[r->v]));
        json_object_array_add(arr, e);
    }
    json_object_object_add(doc, "metrics", arr);
    doc = spl_envelope_wrap(&gate_env, doc);
    snprintf(path, sizeof path, "%s/perf-gate.json", o->out);
    int rc = json_object_to_file_ext(path, doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
    json_object_put(doc);
    if (rc != 0) { fprintf(stderr, "perf-gate: cannot write %s\n", path); return -1; }

    snprintf(path, sizeof path, "%s/perf-gate.md", o->out);
    FILE *f = fopen(path, "w");
    if (!f) { fprintf(stderr, "perf-gate: %s: %s\n", path, strerror(errno)); return -1; }
    fprintf(f, "### Performance gate: %s\n\n", fail ? "**REGRESSION**" : "pass");
    fprintf(f, "Implementation `%s`. Deterministic lane fails on a rise above %.1f%% (and %.1f Ir/call); "
               "timing lane fails when p < %.3g (Mann-Whitney U, one-sided) **and** the median ratio rises above %.0f%%.\n\n",
            impl_label, o->cg_threshold, o->cg_min_abs, o->alpha, o->material);
    fprintf(f, "| lane | metric | baseline | now | change | verdict |\n|---|---|---:|---:|---:|---|\n");
    for (size_t i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        char b[32], n[32], c[32], v[64];
        fmt_num(b, sizeof b, r->base, r->unit);
        fmt_num(n, sizeof n, r->now, r->unit);
        if (isnan(r->change)) snprintf(c, sizeof c, "-");
        else snprintf(c, sizeof c, "%+.2f%%", r->change);
        fmt_verdict(v, sizeof v, r);
        fprintf(f, "| %s | %s (%s) | %s | %s | %s | %s%s%s |\n", r->lane, r->metric, r->unit, b, n, c,
                r->v == V_REGRESSION || r->v == V_MISSING ? "**" : "", v,
                r->v == V_REGRESSION || r->v == V_MISSING ? "**" : "");
    }
    fclose(f);
    return 0;
}

static int save_baseline(const struct opts *o, const char *file, json_object *doc, const char *impl_label)
{
    char path[PATH_MAX], host[256] = "unknown", when[64];
    gethostname(host, sizeof host);
    time_t t = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    json_object_object_add(doc, "impl", json_object_new_string(impl_label));
    json_object_object_add(doc, "recorded", json_object_new_string(when));
    json_object_object_add(doc, "host", json_object_new_string(host));
    snprintf(path, sizeof path, "%s/%s", o->baselines, file);
    if (json_object_to_file_ext(path, doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE) != 0) {
        fprintf(stderr, "perf-gate: cannot write %s\n", path);
        return -1;
    }
    fprintf(stderr, "perf-gate: baseline written: %s\n", path);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: splsuite-perf-gate [OPTIONS]    (ci/perf-gate in the source tree)\n"
            "\n"
            "Measures the hot paths of an implementation and compares them with the\n"
            "baselines in ci/baselines/. Exit 0 pass, 1 regression, 2 usage, 77 nothing measurable.\n\n"
            "  --impl SPEC          implementation: ref (default), mut:NAME, or a .so path\n"
            "  --lane LANE          deterministic, timing or all (default all)\n"
            "  --baselines DIR      baseline directory (default: ci/baselines of the source tree this\n"
            "                       gate was built from, or of the current directory when installed)\n"
            "  --out DIR            where perf-gate.json / perf-gate.md go (default ./perf-gate-out)\n"
            "  --update             record this run as the new baselines (no judging)\n"
            "  --threshold PCT      deterministic lane: allowed rise in Ir/call (default 2)\n"
            "  --min-abs IR         deterministic lane: ignore rises below IR instructions/call (default 1)\n"
            "  --alpha P            timing lane: significance level (default 0.01)\n"
            "  --material PCT       timing lane: smallest median rise that counts (default 25)\n"
            "  --reps R             timing samples per path (default 15; 45 with --update)\n"
            "  --procs P            spread the samples over P processes (default 5; 15 with --update)\n"
            "  --ops N              calls per sample (callgrind default 2000, timing 50000)\n"
            "  --hotpaths PATH      the workload driver (default: the build tree's, else the installed one)\n"
            "  --valgrind PATH      valgrind binary (default valgrind)\n"
            "  -q, --quiet          no table on stdout (reports are still written)\n\n"
            "EXAMPLES\n"
            "  ci/perf-gate                                  # judge the reference\n"
            "  ci/perf-gate --impl mut:slow_keycmp           # the planted slowdown: exits 1\n"
            "  ci/perf-gate --update                         # accept the current tree as baseline\n"
            "  ci/perf-gate --lane timing --reps 31 --out /tmp/pg\n"
            "  splsuite-perf-gate --impl ./libtheirs.so --baselines ci/baselines --out perf-report\n");
}

/* Runs the lanes asked for; SPL_EXIT_OK with what they measured (NULL for
 * a lane not run), SPL_EXIT_SKIP when none could run, SPL_EXIT_FAIL when one broke. */
static int measure_lanes(const struct opts *o, json_object **cg, json_object **t)
{
    char err[512];
    json_object *cg_now = NULL, *t_now = NULL;
    bool measured_any = false, broken = false;
    if (o->det) {
        if (!spl_find_program(o->valgrind, NULL, 0)) {
            fprintf(stderr, "perf-gate: deterministic lane skipped: %s not found (apt install valgrind)\n", o->valgrind);
        } else {
            fprintf(stderr, "perf-gate: deterministic lane: callgrind, %lu calls per path (%s)\n", o->cg_ops, o->impl);
            cg_now = measure_callgrind(o, o->out, err, sizeof err);
            if (!cg_now) { fprintf(stderr, "perf-gate: deterministic lane: %s\n", err); broken = true; }
            else measured_any = true;
        }
    }
    if (o->timing) {
        fprintf(stderr, "perf-gate: timing lane: %lu samples from %lu processes, %lu calls per path and floor (%s)\n", o->reps, o->procs, o->t_ops, o->impl);
        t_now = measure_timing(o, o->out, err, sizeof err);
        if (!t_now) { fprintf(stderr, "perf-gate: timing lane: %s\n", err); broken = true; }
        else measured_any = true;
    }
    if (broken) {
        json_object_put(cg_now);
        json_object_put(t_now);
        return SPL_EXIT_FAIL;
    }
    if (!measured_any) return SPL_EXIT_SKIP;
    *cg = cg_now;
    *t = t_now;
    return SPL_EXIT_OK;
}

/* Judges each lane against its baseline, prints the table and writes the
 * reports; the exit status (1: a regression, a missing metric, or a report
 * that could not be written). Consumes cg_now and t_now. */
static int judge_lanes(const struct opts *o, json_object *cg_now, json_object *t_now)
{
    char path[PATH_MAX];
    json_object *cg_base = NULL, *t_base = NULL;
    if (cg_now) {
        snprintf(path, sizeof path, "%s/callgrind.json", o->baselines);
        cg_base = json_object_from_file(path);
        if (!cg_base) fprintf(stderr, "perf-gate: no deterministic baseline %s: every metric is new\n", path);
        judge_callgrind(o, cg_base, cg_now);
    }
    if (t_now) {
        snprintf(path, sizeof path, "%s/timing.json", o->baselines);
        t_base = json_object_from_file(path);
        if (!t_base) fprintf(stderr, "perf-gate: no timing baseline %s: every metric is new\n", path);
        judge_timing(o, t_base, t_now);
    }
    bool fail = count(V_REGRESSION) + count(V_MISSING) > 0;
    if (!o->quiet) print_table(stdout);
    int wrc = write_reports(o, o->impl, fail);
    printf("perf-gate: %s: %zu regression(s), %zu missing, %zu improved, %zu new, %zu ok; reports in %s/\n",
           fail ? "FAIL" : "PASS", count(V_REGRESSION), count(V_MISSING), count(V_IMPROVED), count(V_NEW), count(V_OK),
           o->out);
    if (count(V_IMPROVED)) printf("perf-gate: improvements found: consider ci/perf-gate --update to lock them in\n");
    json_object_put(cg_now);
    json_object_put(t_now);
    json_object_put(cg_base);
    json_object_put(t_base);
    if (wrc != 0) return SPL_EXIT_FAIL;
    return fail ? SPL_EXIT_FAIL : SPL_EXIT_OK;
}

int main(int argc, char **argv)
{
    /* run from the build tree: its source's baselines and driver; installed:
     * the caller's ./ci/baselines and the driver in libexec */
    static char default_baselines[PATH_MAX];
    snprintf(default_baselines, sizeof default_baselines, "%s/ci/baselines", SPLSUITE_SOURCE_ROOT);
    bool in_tree = access(CI_HOTPATHS_PATH, X_OK) == 0;
    if (!in_tree || access(default_baselines, F_OK) != 0) snprintf(default_baselines, sizeof default_baselines, "ci/baselines");
    struct opts o = {.impl = "ref", .baselines = default_baselines, .out = "perf-gate-out",
                     .hotpaths = in_tree ? CI_HOTPATHS_PATH : CI_HOTPATHS_INSTALLED, .valgrind = "valgrind", .det = true, .timing = true,
                     .cg_threshold = 2.0, .cg_min_abs = 1.0, .alpha = 0.01, .material = 25.0,
                     .cg_ops = 2000, .t_ops = 50000, .reps = 15, .procs = 5};
    static const struct option lo[] = {
        {"impl", required_argument, NULL, 'i'},    {"lane", required_argument, NULL, 'l'},
        {"baselines", required_argument, NULL, 'b'}, {"out", required_argument, NULL, 'o'},
        {"update", no_argument, NULL, 'u'},        {"threshold", required_argument, NULL, 'T'},
        {"min-abs", required_argument, NULL, 'A'}, {"alpha", required_argument, NULL, 'a'},
        {"material", required_argument, NULL, 'm'}, {"reps", required_argument, NULL, 'r'},
        {"ops", required_argument, NULL, 'n'},     {"hotpaths", required_argument, NULL, 'H'},
        {"valgrind", required_argument, NULL, 'V'}, {"quiet", no_argument, NULL, 'q'},
        {"procs", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int c;
    char *end;
    bool reps_set = false, procs_set = false;
    while ((c = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
        errno = 0;
        end = NULL;
        switch (c) {
        case 'i': o.impl = optarg; break;
        case 'l':
            if (!strcmp(optarg, "all")) o.det = o.timing = true;
            else if (!strcmp(optarg, "deterministic")) o.det = true, o.timing = false;
            else if (!strcmp(optarg, "timing")) o.det = false, o.timing = true;
            else { fprintf(stderr, "perf-gate: --lane: '%s' is not deterministic, timing or all\n", optarg); return SPL_EXIT_USAGE; }
            break;
        case 'b': o.baselines = optarg; break;
        case 'o': o.out = optarg; break;
        case 'u': o.update = true; break;
        case 'T': o.cg_threshold = strtod(optarg, &end); break;
        case 'A': o.cg_min_abs = strtod(optarg, &end); break;
        case 'a': o.alpha = strtod(optarg, &end); break;
        case 'm': o.material = strtod(optarg, &end); break;
        case 'r': o.reps = strtoul(optarg, &end, 10); reps_set = true; break;
        case 'n': o.cg_ops = o.t_ops = strtoul(optarg, &end, 10); break;
        case 'H': o.hotpaths = optarg; break;
        case 'V': o.valgrind = optarg; break;
        case 'P': o.procs = strtoul(optarg, &end, 10); procs_set = true; break;
        case 'q': o.quiet = true; break;
        case 'h': usage(stdout); return SPL_EXIT_OK;
        default: usage(stderr); return SPL_EXIT_USAGE;
        }
        if (end && (*end || errno)) { fprintf(stderr, "perf-gate: bad number '%s'\n", optarg); return SPL_EXIT_USAGE; }
    }
    if (optind != argc || o.reps < 3 || o.reps > 1000 || o.procs < 1 || o.procs > o.reps || o.cg_ops == 0 || o.alpha <= 0 || o.alpha >= 1) {
        usage(stderr);
        return SPL_EXIT_USAGE;
    }
    /* a baseline is measured once and judged against many times: give it
     * three times the samples, from three times the processes */
    if (o.update && !reps_set) o.reps *= 3;
    if (o.update && !procs_set) o.procs *= 3;
    if (spl_mkdir_p(o.out, 0755) != 0) {
        fprintf(stderr, "perf-gate: %s: %s\n", o.out, strerror(errno));
        return SPL_EXIT_FAIL;
    }
    if (access(o.hotpaths, X_OK) != 0) {
        fprintf(stderr, "perf-gate: workload driver %s: %s (build the suite first, or pass --hotpaths)\n", o.hotpaths,
                strerror(errno));
        return SPL_EXIT_FAIL;
    }

    char err[512];
    spl_envelope_init(&gate_env, "splsuite-ci-perfgate/1");
    char implpath[PATH_MAX];
    if (spl_impl_resolve(o.impl, implpath, sizeof implpath, err, sizeof err) == 0)
        spl_envelope_add_impl(&gate_env, o.impl, o.impl, implpath, NULL);
    json_object *cg_now = NULL, *t_now = NULL;
    int mrc = measure_lanes(&o, &cg_now, &t_now);
    if (mrc != SPL_EXIT_OK) return mrc;
    if (o.update) {
        int rc = 0;
        if (cg_now) rc |= save_baseline(&o, "callgrind.json", cg_now, o.impl);
        if (t_now) rc |= save_baseline(&o, "timing.json", t_now, o.impl);
        json_object_put(cg_now);
        json_object_put(t_now);
        return rc ? SPL_EXIT_FAIL : SPL_EXIT_OK;
    }

    return judge_lanes(&o, cg_now, t_now);
}
