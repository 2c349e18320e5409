/*
 * results.c - the rows of a benchmark run: creation, medians and spread.
 */
#include "bench.h"
#include "util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct bres *bench_result_find(struct bench_results *rs, const struct bench_workload *wl, const char *name, int impl)
{
    for (int i = 0; i < rs->n; i++)
        if (rs->r[i].wl == wl && rs->r[i].impl == impl && strcmp(rs->r[i].name, name) == 0) return &rs->r[i];
    return NULL;
}

struct bres *bench_result_new(struct bench_results *rs, const struct bench_workload *wl, const char *name,
                              int impl, const char *unit, bool lower_is_better)
{
    struct bres *r = bench_result_find(rs, wl, name, impl);
    if (r) return r;
    if (rs->n == rs->cap) {
        int cap = rs->cap ? rs->cap * 2 : 64;
        struct bres *n = realloc(rs->r, (size_t)cap * sizeof *n);
        if (!n) return NULL; /* errno ENOMEM; the workload stops and the run fails */
        rs->r = n;
        rs->cap = cap;
    }
    r = &rs->r[rs->n++];
    memset(r, 0, sizeof *r);
    r->wl = wl;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->impl = impl;
    snprintf(r->unit, sizeof r->unit, "%s", unit);
    r->lower_is_better = lower_is_better;
    r->params = json_object_new_object();
    r->extra = json_object_new_object();
    return r;
}

bool bench_list_has(const char *list, const char *name)
{
    if (!list) return true;
    size_t l = strlen(name);
    for (const char *p = list; (p = strstr(p, name)); p += l)
        if ((p == list || p[-1] == ',') && (p[l] == 0 || p[l] == ',')) return true;
    return false;
}

const struct bres *bench_row(const struct bench_results *rs, const struct bench_workload *wl, const char *name,
                             int impl)
{
    for (int i = 0; i < rs->n; i++)
        if (rs->r[i].wl == wl && rs->r[i].impl == impl && strcmp(rs->r[i].name, name) == 0) return &rs->r[i];
    return NULL;
}

const char *bench_param_str(const struct bres *r, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(r->params, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v) : "";
}

uint64_t bench_param_u64(const struct bres *r, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(r->params, key, &v) ? json_object_get_uint64(v) : 0;
}

json_object *bench_json_double(double v)
{
    return isfinite(v) ? json_object_new_double(v) : NULL;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_of(const double *v, int n)
{
    if (n <= 0) return 0;
    double t[BENCH_MAX_REPS];
    memcpy(t, v, (size_t)n * sizeof *t);
    qsort(t, (size_t)n, sizeof *t, cmp_d);
    return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

void bench_result_finish(struct bres *r)
{
    if (r->nreps <= 0) return;
    r->median = median_of(r->rep, r->nreps);
    r->min = r->max = r->rep[0];
    for (int i = 1; i < r->nreps; i++) {
        if (r->rep[i] < r->min) r->min = r->rep[i];
        if (r->rep[i] > r->max) r->max = r->rep[i];
    }
    r->spread_pct = r->median > 0 ? 100.0 * (r->max - r->min) / r->median : 0;
}

void bench_results_free(struct bench_results *rs)
{
    for (int i = 0; i < rs->n; i++) {
        if (rs->r[i].has_hist) spl_hist_free(&rs->r[i].hist);
        if (rs->r[i].has_sync_hist) spl_hist_free(&rs->r[i].sync_hist);
        json_object_put(rs->r[i].params);
        json_object_put(rs->r[i].extra);
    }
    free(rs->r);
    memset(rs, 0, sizeof *rs);
}

const char *bench_outcome_name(enum bench_outcome s)
{
    switch (s) {
    case BENCH_OK: return "ok";
    case BENCH_UNSUPPORTED: return "unsupported";
    case BENCH_NOT_PERMITTED: return "not permitted";
    case BENCH_REJECTED: return "rejected";
    case BENCH_ERROR: break;
    }
    return "error";
}

void bench_status(struct bres *r, enum bench_outcome st, const char *fmt, ...)
{
    if (r->status != BENCH_OK) return; /* keep the first reason */
    r->status = st == BENCH_OK ? BENCH_ERROR : st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
}

void bench_status_from(struct bres *r, const struct wres *w)
{
    bench_status(r, w->outcome != BENCH_OK ? w->outcome : BENCH_ERROR, "%s", w->why);
}

static uint64_t progress_t0;
static bool progress_shown;

void bench_progress(const struct bench_opts *o, const char *fmt, ...)
{
    if (!o->progress) return;
    uint64_t now = spl_time_ns();
    if (!progress_t0) progress_t0 = now;
    if (now - progress_t0 < 1000000000ull) return; /* short runs stay quiet */
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (isatty(STDERR_FILENO)) fprintf(stderr, "\r\033[K[%5.1fs] %s", (double)(now - progress_t0) / 1e9, buf);
    else fprintf(stderr, "[%5.1fs] %s\n", (double)(now - progress_t0) / 1e9, buf);
    progress_shown = true;
}

void bench_progress_done(const struct bench_opts *o)
{
    if (o->progress && progress_shown && isatty(STDERR_FILENO)) fprintf(stderr, "\r\033[K");
    progress_shown = false;
}
