/*
 * output.c - a benchmark run as a terminal table, CSV, and versioned JSON
 * (schema "splsuite-bench/2", described in docs/benchmarks.md). The JSON
 * also carries a Google Benchmark "benchmarks" array for every row so
 * compare.py can read it, and the figures the targets are judged on.
 */
#include "bench.h"
#include "envelope.h"
#include "sysinfo.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *impl_label(const struct bench_opts *o, int i) { return o->impls[i].label; }

/* The targets of issue 5 (measured, never asserted): each workload judges its own rows. */

/* ratio of row r's primary figure to the same case on implementation 0,
 * oriented "contender / baseline" as compare.py does; NAN if unknown. */
static double ratio_vs_first(const struct bench_results *rs, const struct bres *r)
{
    if (r->impl == 0 || r->status != BENCH_OK) return NAN;
    for (int i = 0; i < rs->n; i++) {
        const struct bres *b = &rs->r[i];
        if (b->wl == r->wl && b->impl == 0 && strcmp(b->name, r->name) == 0)
            return b->median > 0 && b->status == BENCH_OK ? r->median / b->median : NAN;
    }
    return NAN;
}

static json_object *targets_json(const struct bench_opts *o, const struct bench_results *rs, FILE *human)
{
    json_object *arr = json_object_new_array();
    for (int w = 0; bench_workloads[w]; w++)
        if (bench_workloads[w]->targets) bench_workloads[w]->targets(o, rs, arr, human);
    return arr;
}

static json_object *row_json(const struct bench_opts *o, const struct bench_results *rs, const struct bres *r)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "workload", json_object_new_string(r->wl->name));
    json_object_object_add(j, "name", json_object_new_string(r->name));
    json_object_object_add(j, "implementation", json_object_new_string(impl_label(o, r->impl)));
    json_object_object_add(j, "impl_index", json_object_new_int(r->impl));
    json_object_object_add(j, "status", json_object_new_string(bench_outcome_name(r->status)));
    json_object_object_add(j, "reason", r->status != BENCH_OK ? json_object_new_string(r->reason) : NULL);
    json_object_object_add(j, "unit", json_object_new_string(r->unit));
    json_object_object_add(j, "lower_is_better", json_object_new_boolean(r->lower_is_better));
    json_object_object_add(j, "params", json_object_get(r->params));
    if (r->status == BENCH_OK && r->nreps > 0) {
        json_object_object_add(j, "median", json_object_new_double(r->median));
        json_object_object_add(j, "min", json_object_new_double(r->min));
        json_object_object_add(j, "max", json_object_new_double(r->max));
        json_object_object_add(j, "spread_pct", json_object_new_double(r->spread_pct));
        json_object *reps = json_object_new_array();
        for (int i = 0; i < r->nreps; i++) json_object_array_add(reps, json_object_new_double(r->rep[i]));
        json_object_object_add(j, "repetitions", reps);
        if (r->rate_median > 0) json_object_object_add(j, "rate_per_s", json_object_new_double(r->rate_median));
        json_object_object_add(j, "iterations", json_object_new_uint64(r->iterations));
        if (r->has_hist) json_object_object_add(j, "latency_ns", spl_hist_json(&r->hist, "ns", NULL, 0));
        if (r->has_sync_hist) json_object_object_add(j, "sync_latency_ns", spl_hist_json(&r->sync_hist, "ns", NULL, 0));
        json_object_object_add(j, "perf", spl_perfctr_json(&r->perf, r->perf_ops));
        double q = ratio_vs_first(rs, r);
        if (isfinite(q)) json_object_object_add(j, "ratio_vs_first", json_object_new_double(q));
    }
    json_object_object_add(j, "extra", json_object_get(r->extra));
    return j;
}

json_object *bench_json(const struct bench_opts *o, const struct bench_results *rs, int argc, char **argv)
{
    json_object *root = json_object_new_object();
    json_object_object_add(root, "schema", json_object_new_string(BENCH_SCHEMA));
    /* suite version, command line and date are in the envelope's "run" */
    (void)argc;
    (void)argv;
    struct spl_sysinfo si;
    spl_sysinfo_probe(&si);
    /* how busy the machine was: figures from a loaded machine are noisy */
    double la[3];
    if (getloadavg(la, 3) == 3) {
        json_object *l = json_object_new_array();
        for (int i = 0; i < 3; i++) json_object_array_add(l, json_object_new_double(la[i]));
        json_object_object_add(root, "load_average_at_end", l);
    }
    if (o->load_start[0] >= 0) {
        json_object *l = json_object_new_array();
        for (int i = 0; i < 3; i++) json_object_array_add(l, json_object_new_double(o->load_start[i]));
        json_object_object_add(root, "load_average_at_start", l);
    }
    json_object_object_add(root, "machine", spl_sysinfo_json(&si));
    json_object *numa = spl_numa_topo_json(&o->topo);
    json_object_object_add(numa, "cpunodebind", o->numa.cpubind ? json_object_new_string(o->numa.cpuspec) : NULL);
    json_object_object_add(numa, "membind", o->numa.membind ? json_object_new_string(o->numa.memspec) : NULL);
    json_object_object_add(root, "numa", numa);
    json_object *impls = json_object_new_array();
    for (int i = 0; i < o->nimpls; i++) {
        const struct spl_impl *im = &o->impls[i];
        json_object *j = json_object_new_object();
        json_object_object_add(j, "label", json_object_new_string(im->label));
        json_object_object_add(j, "spec", json_object_new_string(im->spec));
        json_object_object_add(j, "path", json_object_new_string(im->path));
        json_object_object_add(j, "backend", json_object_new_string(im->backend == SPL_BACKEND_SHM ? "shm"
                                                                    : im->backend == SPL_BACKEND_FILE ? "file" : "unknown"));
        if (im->version[0]) json_object_object_add(j, "version", json_object_new_string(im->version));
        json_object_array_add(impls, j);
    }
    json_object_object_add(root, "implementations", impls);
    json_object *p = json_object_new_object();
    json_object_object_add(p, "repetitions", json_object_new_int(o->reps));
    json_object_object_add(p, "run_ns", json_object_new_uint64(o->run_ns));
    json_object_object_add(p, "warmup_ns", json_object_new_uint64(o->warmup_ns));
    json_object_object_add(p, "wake_iterations", json_object_new_uint64(o->wake_iters));
    json_object_object_add(p, "flush_iterations", json_object_new_uint64(o->flush_iters));
    json_object_object_add(p, "slots", json_object_new_uint64(o->slots));
    const struct { const char *k; const struct bench_list *l; } lists[] = {
        {"value_sizes", &o->vsizes}, {"fill_pcts", &o->fills}, {"processes", &o->procs}, {"dirty_slots", &o->dirty}};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        json_object *a = json_object_new_array();
        for (int k = 0; k < lists[i].l->n; k++) json_object_array_add(a, json_object_new_uint64(lists[i].l->v[k]));
        json_object_object_add(p, lists[i].k, a);
    }
    json_object_object_add(p, "pin", json_object_new_boolean(o->pin));
    json_object_object_add(p, "seed", json_object_new_uint64(o->seed));
    json_object_object_add(p, "quick", json_object_new_boolean(o->quick));
    json_object *wls = json_object_new_array();
    for (int w = 0; bench_workloads[w]; w++)
        if (o->wl[w]) json_object_array_add(wls, json_object_new_string(bench_workloads[w]->name));
    json_object_object_add(p, "workloads", wls);
    json_object_object_add(root, "parameters", p);
    json_object *res = json_object_new_array();
    for (int i = 0; i < rs->n; i++) json_object_array_add(res, row_json(o, rs, &rs->r[i]));
    json_object_object_add(root, "results", res);
    json_object_object_add(root, "targets", targets_json(o, rs, NULL));
    /* Google Benchmark's format, every row (bench/output_gbench.c) */
    json_object_object_add(root, "context", bench_gbench_context(o));
    json_object *gb = json_object_new_array();
    bench_gbench_entries(o, rs, gb);
    json_object_object_add(root, "benchmarks", gb);
    return o->envelope ? spl_envelope_wrap(o->envelope, root) : root;
}

static void fmt_num(char *b, size_t n, double v)
{
    if (!isfinite(v)) snprintf(b, n, "-");
    else if (v >= 1e9) snprintf(b, n, "%.2fG", v / 1e9);
    else if (v >= 1e6) snprintf(b, n, "%.2fM", v / 1e6);
    else if (v >= 1e4) snprintf(b, n, "%.1fk", v / 1e3);
    else if (v >= 100) snprintf(b, n, "%.0f", v);
    else snprintf(b, n, "%.1f", v);
}

void bench_table(const struct bench_opts *o, const struct bench_results *rs, FILE *out)
{
    for (int w = 0; bench_workloads[w]; w++) {
        const struct bench_workload *wl = bench_workloads[w];
        bool any = false;
        for (int i = 0; i < rs->n; i++) any |= rs->r[i].wl == wl;
        if (!any) continue;
        fprintf(out, "\n== %s ==\n", wl->name);
        fprintf(out, "%-38s %-20s %10s %-9s %7s %10s %8s %9s %9s %9s %7s\n", "case", "impl", "median", "unit", "spread",
                "rate/s", "cpu/op", "p50", "p99", "max", "ratio");
        for (int i = 0; i < rs->n; i++) {
            const struct bres *r = &rs->r[i];
            if (r->wl != wl) continue;
            if (r->status != BENCH_OK) {
                fprintf(out, "%-38s %-20s %s: %s\n", r->name, impl_label(o, r->impl), bench_outcome_name(r->status),
                        r->reason);
                continue;
            }
            char med[16], rate[16], p50[16] = "-", p99[16] = "-", mx[16] = "-", q[16] = "-", cpu[16] = "-";
            json_object *cj;
            if (json_object_object_get_ex(r->extra, "cpu_ns_per_op", &cj)) fmt_num(cpu, sizeof cpu, json_object_get_double(cj));
            fmt_num(med, sizeof med, r->median);
            fmt_num(rate, sizeof rate, r->rate_median > 0 ? r->rate_median : NAN);
            const struct spl_hist *h = r->has_sync_hist ? &r->sync_hist : r->has_hist ? &r->hist : NULL;
            if (h && h->count) {
                fmt_num(p50, sizeof p50, (double)spl_hist_percentile(h, 50));
                /* a 99th percentile of fewer than 1000 samples is a handful of them: the count instead */
                if (h->count >= 1000) fmt_num(p99, sizeof p99, (double)spl_hist_percentile(h, 99));
                else snprintf(p99, sizeof p99, "n=%llu", (unsigned long long)h->count);
                fmt_num(mx, sizeof mx, (double)h->max);
            }
            double rq = ratio_vs_first(rs, r);
            if (isfinite(rq)) snprintf(q, sizeof q, "%.2fx", rq);
            fprintf(out, "%-38s %-20s %10s %-9s %6.1f%% %10s %8s %9s %9s %9s %7s\n", r->name, impl_label(o, r->impl), med,
                    r->unit, r->spread_pct, rate, cpu, p50, p99, mx, q);
        }
        if (wl->table_note) wl->table_note(o, out);
    }
    if (o->nimpls > 1)
        fprintf(out, "\nratio = this implementation's median / %s's median for the same case (%s)\n", impl_label(o, 0),
                "ns: < 1 is faster; flushes/s: > 1 is faster");
    fprintf(out, "\ncomparisons (measured side by side in this run, not asserted):\n");
    json_object *t = targets_json(o, rs, out);
    if (json_object_array_length(t) == 0) fprintf(out, "  (no comparison applies to the workloads and implementations run)\n");
    json_object_put(t);
}

/* RFC 4180: quoted, inner quotes doubled (a reason may hold commas and quotes) */
static void csv_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void bench_csv(const struct bench_opts *o, const struct bench_results *rs, FILE *out)
{
    fprintf(out, "workload,name,implementation,status,reason,unit,median,min,max,spread_pct,rate_per_s,iterations,p50_ns,p90_ns,p99_ns,p999_ns,max_ns,ratio_vs_first\n");
    for (int i = 0; i < rs->n; i++) {
        const struct bres *r = &rs->r[i];
        const struct spl_hist *h = r->has_sync_hist ? &r->sync_hist : r->has_hist ? &r->hist : NULL;
        fprintf(out, "%s,%s,%s,%s,", r->wl->name, r->name, impl_label(o, r->impl), bench_outcome_name(r->status));
        csv_quoted(out, r->reason);
        fprintf(out, ",%s", r->unit);
        if (r->status != BENCH_OK) { fprintf(out, ",,,,,,,,,,,,\n"); continue; }
        fprintf(out, ",%.3f,%.3f,%.3f,%.2f,%.3f,%llu", r->median, r->min, r->max, r->spread_pct, r->rate_median,
                (unsigned long long)r->iterations);
        if (h && h->count)
            fprintf(out, ",%llu,%llu,%llu,%llu,%llu", (unsigned long long)spl_hist_percentile(h, 50),
                    (unsigned long long)spl_hist_percentile(h, 90), (unsigned long long)spl_hist_percentile(h, 99),
                    (unsigned long long)spl_hist_percentile(h, 99.9), (unsigned long long)h->max);
        else fprintf(out, ",,,,,");
        double q = ratio_vs_first(rs, r);
        if (isfinite(q)) fprintf(out, ",%.4f\n", q);
        else fprintf(out, ",\n");
    }
}
