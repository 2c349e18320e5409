/*
 * output_gbench.c - every bench row in the formats other tools read:
 *
 *   Google Benchmark JSON ("context" + "benchmarks", inside the bench
 *   document): one "iteration" entry per repetition and median/mean/stddev
 *   aggregates per row, so compare.py (Debian's libbenchmark-tools) and the
 *   dashboards built on its format take every workload. Google Benchmark
 *   only knows times, lower is better: a time figure (ns/op, ns) is
 *   real_time in ns; a rate (flushes/s, higher is better) is given as its
 *   reciprocal, ns per flush, with the rate itself in a counter
 *   ("flushes_per_second") and items_per_second, so a slower flush is a
 *   larger time there as it is everywhere else.
 *
 *   Bencher Metric Format (--bmf FILE): {"IMPL/WORKLOAD/CASE": {"latency" |
 *   "throughput": {"value": median, "lower_value": min, "upper_value": max}}},
 *   plus "cpu-time" (task-clock ns/op) where the row has it.
 */
#include "bench.h"
#include "envelope.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool is_rate(const struct bres *r) { return !r->lower_is_better; }

/* The figure as Google Benchmark time (ns), or NAN when it has none. */
static double gb_time(const struct bres *r, double v)
{
    if (!isfinite(v) || v <= 0) return NAN;
    return is_rate(r) ? 1e9 / v : v;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    if (n == 0) return NAN;
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void rate_counter(const struct bres *r, json_object *e, double rate)
{
    /* "flushes/s" -> "flushes_per_second" */
    char k[48];
    snprintf(k, sizeof k, "%s", r->unit);
    char *s = strstr(k, "/s");
    if (s) snprintf(s, sizeof k - (size_t)(s - k), "_per_second");
    json_object_object_add(e, k, json_object_new_double(rate));
}

static json_object *entry(const char *name, const char *run_name, int family, const char *type, int reps)
{
    json_object *e = json_object_new_object();
    json_object_object_add(e, "name", json_object_new_string(name));
    json_object_object_add(e, "family_index", json_object_new_int(family));
    json_object_object_add(e, "per_family_instance_index", json_object_new_int(0));
    json_object_object_add(e, "run_name", json_object_new_string(run_name));
    json_object_object_add(e, "run_type", json_object_new_string(type));
    json_object_object_add(e, "repetitions", json_object_new_int(reps));
    json_object_object_add(e, "threads", json_object_new_int(1));
    return e;
}

static void times(json_object *e, double real, double cpu)
{
    json_object_object_add(e, "real_time", json_object_new_double(real));
    json_object_object_add(e, "cpu_time", json_object_new_double(isfinite(cpu) && cpu > 0 ? cpu : real));
    json_object_object_add(e, "time_unit", json_object_new_string("ns"));
}

static void gb_row(const struct bench_opts *o, const struct bres *r, int family, json_object *arr)
{
    char name[320];
    snprintf(name, sizeof name, "%s/%s/%s", o->impls[r->impl].label, r->wl->name, r->name);
    /* the row's own unit, which compare.py prints next to the name */
    char label[96];
    if (is_rate(r)) snprintf(label, sizeof label, "%s, given as ns per operation (1e9 / rate)", r->unit);
    else snprintf(label, sizeof label, "%s", r->unit);
    double t[BENCH_MAX_REPS], c[BENCH_MAX_REPS], raw[BENCH_MAX_REPS];
    int n = 0;
    bool have_cpu = true;
    for (int k = 0; k < r->nreps; k++) {
        double tk = gb_time(r, r->rep[k]);
        if (!isfinite(tk)) continue;
        raw[n] = r->rep[k];
        t[n] = tk;
        c[n] = r->rep_cpu[k] > 0 ? r->rep_cpu[k] : NAN;
        have_cpu &= isfinite(c[n]);
        json_object *e = entry(name, name, family, "iteration", r->nreps);
        json_object_object_add(e, "repetition_index", json_object_new_int(k));
        json_object_object_add(e, "iterations", json_object_new_uint64(r->iterations ? r->iterations : 1));
        times(e, tk, c[n]);
        json_object_object_add(e, "items_per_second", json_object_new_double(is_rate(r) ? r->rep[k] : 1e9 / tk));
        if (is_rate(r)) rate_counter(r, e, r->rep[k]);
        json_object_object_add(e, "label", json_object_new_string(label));
        json_object_array_add(arr, e);
        n++;
    }
    if (n == 0) return;
    double mean = 0, cmean = 0;
    for (int k = 0; k < n; k++) mean += t[k], cmean += have_cpu ? c[k] : t[k];
    mean /= n;
    cmean /= n;
    double var = 0, cvar = 0;
    for (int k = 0; k < n; k++) {
        var += (t[k] - mean) * (t[k] - mean);
        double ck = have_cpu ? c[k] : t[k];
        cvar += (ck - cmean) * (ck - cmean);
    }
    double sd = n > 1 ? sqrt(var / (n - 1)) : 0, csd = n > 1 ? sqrt(cvar / (n - 1)) : 0;
    double tm = median(t, n), cm = have_cpu ? median(c, n) : tm, rm = median(raw, n);
    const struct { const char *agg; double real, cpu; } aggs[] = {{"mean", mean, cmean}, {"median", tm, cm}, {"stddev", sd, csd}};
    for (size_t a = 0; a < sizeof aggs / sizeof aggs[0]; a++) {
        char an[340];
        snprintf(an, sizeof an, "%s_%s", name, aggs[a].agg);
        json_object *e = entry(an, name, family, "aggregate", r->nreps);
        json_object_object_add(e, "aggregate_name", json_object_new_string(aggs[a].agg));
        json_object_object_add(e, "aggregate_unit", json_object_new_string("time"));
        json_object_object_add(e, "iterations", json_object_new_int(n));
        /* stddev of 0 is valid; real_time must be a number, never NaN */
        times(e, aggs[a].real, aggs[a].cpu);
        if (is_rate(r) && !strcmp(aggs[a].agg, "median")) rate_counter(r, e, rm);
        json_object_array_add(arr, e);
    }
}

void bench_gbench_entries(const struct bench_opts *o, const struct bench_results *rs, json_object *arr)
{
    int family = 0;
    for (int i = 0; i < rs->n; i++) {
        const struct bres *r = &rs->r[i];
        if (r->status != BENCH_OK || r->nreps == 0) continue;
        gb_row(o, r, family++, arr);
    }
}

json_object *bench_gbench_context(const struct bench_opts *o)
{
    json_object *ctx = json_object_new_object();
    const char *date = o->envelope ? o->envelope->date : "";
    json_object_object_add(ctx, "date", json_object_new_string(date));
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    json_object_object_add(ctx, "host_name", json_object_new_string(host));
    json_object_object_add(ctx, "executable", json_object_new_string("splsuite bench"));
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    json_object_object_add(ctx, "num_cpus", json_object_new_int((int)(ncpu > 0 ? ncpu : 1)));
    json_object_object_add(ctx, "mhz_per_cpu", json_object_new_int(0));
    json_object_object_add(ctx, "cpu_scaling_enabled", json_object_new_boolean(false));
    json_object_object_add(ctx, "caches", json_object_new_array());
    double la[3];
    json_object *l = json_object_new_array();
    if (getloadavg(la, 3) == 3)
        for (int i = 0; i < 3; i++) json_object_array_add(l, json_object_new_double(la[i]));
    json_object_object_add(ctx, "load_avg", l);
    json_object_object_add(ctx, "library_build_type", json_object_new_string("release"));
    return ctx;
}

json_object *bench_bmf(const struct bench_opts *o, const struct bench_results *rs)
{
    json_object *root = json_object_new_object();
    for (int i = 0; i < rs->n; i++) {
        const struct bres *r = &rs->r[i];
        if (r->status != BENCH_OK || r->nreps == 0 || !isfinite(r->median)) continue;
        char name[320];
        snprintf(name, sizeof name, "%s/%s/%s", o->impls[r->impl].label, r->wl->name, r->name);
        json_object *b = json_object_new_object(), *m = json_object_new_object();
        json_object_object_add(m, "value", json_object_new_double(r->median));
        json_object_object_add(m, "lower_value", json_object_new_double(r->min));
        json_object_object_add(m, "upper_value", json_object_new_double(r->max));
        /* Bencher's built-in measures: latency (ns), throughput (operations/s) */
        json_object_object_add(b, is_rate(r) ? "throughput" : "latency", m);
        double cpu[BENCH_MAX_REPS];
        int n = 0;
        for (int k = 0; k < r->nreps; k++)
            if (r->rep_cpu[k] > 0) cpu[n++] = r->rep_cpu[k];
        if (n == r->nreps && n > 0) {
            json_object *c = json_object_new_object();
            json_object_object_add(c, "value", json_object_new_double(median(cpu, n)));
            json_object_object_add(c, "lower_value", json_object_new_double(cpu[0]));
            json_object_object_add(c, "upper_value", json_object_new_double(cpu[n - 1]));
            json_object_object_add(b, "cpu-time", c);
        }
        json_object_object_add(root, name, b);
    }
    return root;
}
