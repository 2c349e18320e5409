/*
 * trace_cases.c - kernel-side figures per benchmark case: the probes follow
 * exactly the workers of the case being measured (added when they are
 * forked, removed when they are reaped), and each case's snapshot is kept
 * under its name, repetitions merged. This is what `splsuite bench --trace`
 * hangs on bench's worker hook.
 */
#include "trace_embed.h"
#include "trace_report.h"

#include "util.h"

#include <bpf/bpf.h>
#include <stdlib.h>
#include <string.h>

struct spl_trace_cases {
    struct spl_trace *t;
    json_object *cases; /* name -> snapshot */
};

struct spl_trace_cases *spl_trace_cases_start(const char *cmd, const char *const *impl_paths, size_t n)
{
    const char *first = NULL;
    size_t i = 0;
    for (; i < n && !first; i++) first = impl_paths[i];
    struct spl_trace_opts o = {.probes = SPL_TRACE_MADVISE | SPL_TRACE_EVENTFD, .filter_pids = true,
                               .impl_path = first, .more_impls = impl_paths + i, .nmore_impls = n - i,
                               .impls_optional = true};
    struct spl_trace_cases *c = calloc(1, sizeof *c);
    char err[512];
    if (!c) return NULL;
    int rc = spl_trace_open(&o, &c->t, err, sizeof err);
    if (rc) {
        fprintf(stderr, "splsuite %s: --trace: %s (kernel-side figures left out)\n", cmd, err);
        free(c);
        return NULL;
    }
    c->cases = json_object_new_object();
    return c;
}

void spl_trace_case_begin(const char *case_name, const pid_t *pids, int n, void *arg)
{
    struct spl_trace_cases *c = arg;
    if (!c) return;
    json_object_put(spl_trace_snapshot(c->t, true)); /* nothing from before the case */
    for (int i = 0; i < n; i++) spl_trace_add_pid(c->t, pids[i]);
}

void spl_trace_case_end(const char *case_name, const pid_t *pids, int n, void *arg)
{
    struct spl_trace_cases *c = arg;
    if (!c) return;
    json_object *snap = spl_trace_snapshot(c->t, true), *prev;
    for (int i = 0; i < n; i++) spl_trace_del_pid(c->t, pids[i]);
    const char *name = case_name && *case_name ? case_name : "(unnamed)";
    char err[256];
    if (json_object_object_get_ex(c->cases, name, &prev)) {
        if (spl_trace_merge(prev, snap, err, sizeof err) != 0) fprintf(stderr, "splsuite trace: case %s: %s\n", name, err);
        json_object_put(snap);
    } else {
        json_object_object_add(c->cases, name, snap);
    }
}

json_object *spl_trace_cases_stop(struct spl_trace_cases *c)
{
    if (!c) return NULL;
    spl_trace_close(c->t);
    json_object *root = json_object_new_object();
    json_object_object_add(root, "schema", json_object_new_string("splsuite-trace-cases/1"));
    json_object_object_add(root, "cases", c->cases);
    free(c);
    return root;
}

static json_object *get(json_object *o, const char *k)
{
    json_object *x;
    return o && json_object_object_get_ex(o, k, &x) ? x : NULL;
}

/* Sums histograms named member of every entry of arr into acc. */
static void sum_into(json_object *acc, json_object *arr, const char *member)
{
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        json_object *e = json_object_array_get_idx(arr, i), *h = member ? get(e, member) : e;
        if (h) trace_hist_json_merge(acc, h);
    }
}

/* p-th percentile of h in us, "-" when h is empty */
static char *fmt_us(char buf[16], json_object *h, double p)
{
    if (json_object_get_int64(get(h, "count")) == 0) return strcpy(buf, "-");
    snprintf(buf, 16, "%.2f", trace_hist_pct(h, p) / 1e3);
    return buf;
}

void spl_trace_cases_print(json_object *root, FILE *out)
{
    json_object *cases = get(root, "cases");
    if (!cases) return;
    fprintf(out, "\n== kernel side per case (eBPF, as splsuite trace measures it; latencies in us) ==\n");
    fprintf(out, "%-44s %8s %8s %8s  %-17s %7s %8s %8s %8s %8s\n", "case", "madvise", "p50", "p99",
            "splm sov/def/tmo", "wakes", "wake p50", "p99", "ret p50", "p99");
    int skipped = 0;
    json_object_object_foreach(cases, name, snap)
    {
        json_object *m = json_object_new_object(), *wake = json_object_new_object(), *ret = json_object_new_object();
        sum_into(m, get(snap, "madvise"), NULL);
        json_object *pairs = get(get(snap, "eventfd"), "pairs");
        sum_into(wake, pairs, "wake");
        sum_into(ret, pairs, "return");
        long oc[5] = {0};
        json_object *s = get(snap, "splinter_madvise");
        for (size_t i = 0; s && i < json_object_array_length(s); i++) {
            json_object *e = json_object_array_get_idx(s, i);
            for (int k = 0; k < 5; k++)
                if (!strcmp(json_object_get_string(get(e, "outcome")), trace_outcome_name(k)))
                    oc[k] += (long)json_object_get_int64(get(get(e, "call"), "count"));
        }
        long nm = (long)json_object_get_int64(get(m, "count")), nw = (long)json_object_get_int64(get(wake, "count"));
        long nr = (long)json_object_get_int64(get(ret, "count"));
        if (nm + nw + nr + oc[0] + oc[1] + oc[2] + oc[3] + oc[4] == 0) {
            skipped++;
            goto next;
        }
        char splm[32], a[4][16];
        snprintf(splm, sizeof splm, "%ld/%ld/%ld", oc[0], oc[2], oc[3]);
        fprintf(out, "%-44.44s %8ld %8s %8s  %-17s %7ld %8s %8s %8s %8s\n", name, nm, fmt_us(a[0], m, 50),
                fmt_us(a[1], m, 99), s ? splm : "-", nw, fmt_us(a[2], wake, 50), fmt_us(a[3], wake, 99),
                fmt_us((char[16]){0}, ret, 50), fmt_us((char[16]){0}, ret, 99));
    next:
        json_object_put(m);
        json_object_put(wake);
        json_object_put(ret);
    }
    if (skipped) fprintf(out, "(%d case(s) with no madvise or eventfd activity in the kernel not shown)\n", skipped);
}
