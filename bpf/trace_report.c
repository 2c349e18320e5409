/*
 * trace_report.c - the probes' snapshot (JSON) rendered as libbpf-tools
 * text, and merged with other snapshots.
 *
 * Text is always rendered from the JSON, so `trace merge` of saved runs and
 * a live run print the same way.
 */
#include "trace_embed.h"
#include "trace_report.h"

#include "hist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static const double report_pcts[] = {50.0, 90.0, 99.0, 99.9};

json_object *trace_hist_json(const struct trace_hist *th)
{
    struct spl_hist h;
    json_object *o = json_object_new_object();
    json_object *log2 = json_object_new_array();
    size_t top = 0;
    for (size_t i = 0; i < TRACE_LOG2_SLOTS; i++)
        if (th->slots[i]) top = i + 1;
    for (size_t i = 0; i < top; i++) json_object_array_add(log2, json_object_new_uint64(th->slots[i]));
    json_object_object_add(o, "count", json_object_new_uint64(th->count));
    json_object_object_add(o, "sum_ns", json_object_new_uint64(th->sum_ns));
    json_object_object_add(o, "log2", log2);
    if (spl_hist_init(&h, TRACE_SUB_BITS) == 0) {
        for (size_t i = 0; i < TRACE_FINE_SLOTS && i < h.nbuckets; i++) {
            if (!th->fine[i]) continue;
            uint64_t lo = spl_hist_bucket_low(TRACE_SUB_BITS, i), hi = spl_hist_bucket_high(TRACE_SUB_BITS, i);
            spl_hist_record_n(&h, lo + (hi - lo) / 2, th->fine[i]);
        }
        /* the BPF side knows these exactly; buckets only approximate them */
        if (h.count) {
            h.sum = (double)th->sum_ns;
            h.min = th->min_ns;
            h.max = th->max_ns;
        }
        json_object_object_add(o, "latency", spl_hist_json(&h, "ns", report_pcts, 4));
        spl_hist_free(&h);
    }
    return o;
}

static void add_u64(json_object *o, const char *k, uint64_t v)
{
    json_object *x;
    uint64_t cur = json_object_object_get_ex(o, k, &x) ? json_object_get_uint64(x) : 0;
    json_object_object_add(o, k, json_object_new_uint64(cur + v));
}

static uint64_t get_u64(json_object *o, const char *k)
{
    json_object *x;
    return json_object_object_get_ex(o, k, &x) ? json_object_get_uint64(x) : 0;
}

int trace_hist_json_merge(json_object *dst, json_object *src)
{
    json_object *dl, *sl, *dh, *sh;
    add_u64(dst, "count", get_u64(src, "count"));
    add_u64(dst, "sum_ns", get_u64(src, "sum_ns"));
    if (json_object_object_get_ex(src, "log2", &sl)) {
        json_object *out = json_object_new_array();
        size_t nd = json_object_object_get_ex(dst, "log2", &dl) ? json_object_array_length(dl) : 0;
        size_t ns = json_object_array_length(sl), n = nd > ns ? nd : ns;
        for (size_t i = 0; i < n; i++) {
            uint64_t v = (i < nd ? json_object_get_uint64(json_object_array_get_idx(dl, i)) : 0) +
                         (i < ns ? json_object_get_uint64(json_object_array_get_idx(sl, i)) : 0);
            json_object_array_add(out, json_object_new_uint64(v));
        }
        json_object_object_add(dst, "log2", out);
    }
    if (json_object_object_get_ex(src, "latency", &sh)) {
        struct spl_hist a, b;
        if (!json_object_object_get_ex(dst, "latency", &dh)) {
            json_object_object_add(dst, "latency", json_object_get(sh));
            return 0;
        }
        if (spl_hist_from_json(&a, dh) < 0) return -1;
        if (spl_hist_from_json(&b, sh) < 0) {
            spl_hist_free(&a);
            return -1;
        }
        int rc = spl_hist_merge(&a, &b);
        if (rc == 0) json_object_object_add(dst, "latency", spl_hist_json(&a, "ns", report_pcts, 4));
        spl_hist_free(&a);
        spl_hist_free(&b);
        return rc;
    }
    return 0;
}

uint64_t trace_hist_pct(json_object *hist, double p)
{
    json_object *l;
    struct spl_hist h;
    if (!json_object_object_get_ex(hist, "latency", &l) || spl_hist_from_json(&h, l) < 0) return 0;
    uint64_t v = spl_hist_percentile(&h, p);
    spl_hist_free(&h);
    return v;
}

static void stars(FILE *out, uint64_t val, uint64_t vmax, int width)
{
    int n = vmax ? (int)((double)val * width / (double)vmax) : 0;
    if (n > width) n = width;
    for (int i = 0; i < n; i++) fputc('*', out);
    for (int i = n; i < width; i++) fputc(' ', out);
}

void trace_print_log2(FILE *out, json_object *log2, const char *unit)
{
    size_t n = log2 ? json_object_array_length(log2) : 0;
    uint64_t vmax = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = json_object_get_uint64(json_object_array_get_idx(log2, i));
        if (v > vmax) vmax = v;
    }
    bool wide = n > 32;
    fprintf(out, "%*s%-*s : count    distribution\n", wide ? 15 : 5, "", wide ? 29 : 19, unit);
    for (size_t i = 0; i < n; i++) {
        uint64_t low = (1ull << (i + 1)) >> 1, high = (1ull << (i + 1)) - 1;
        if (low == high) low -= 1;
        uint64_t v = json_object_get_uint64(json_object_array_get_idx(log2, i));
        fprintf(out, "%*llu -> %-*llu : %-8llu |", wide ? 20 : 10, (unsigned long long)low, wide ? 20 : 10,
                (unsigned long long)high, (unsigned long long)v);
        stars(out, v, vmax, wide ? 20 : 40);
        fprintf(out, "|\n");
    }
}

static double in_unit(uint64_t ns, const char *unit) { return strcmp(unit, "msecs") == 0 ? ns / 1e6 : ns / 1e3; }

void trace_print_summary(FILE *out, json_object *hist, const char *unit)
{
    uint64_t n = get_u64(hist, "count");
    if (!n) return;
    json_object *l, *mx;
    uint64_t max = json_object_object_get_ex(hist, "latency", &l) && json_object_object_get_ex(l, "max", &mx)
                       ? json_object_get_uint64(mx) : 0;
    fprintf(out, "count %llu  avg %.3f  p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f %s\n",
            (unsigned long long)n, in_unit(get_u64(hist, "sum_ns") / n, unit), in_unit(trace_hist_pct(hist, 50), unit),
            in_unit(trace_hist_pct(hist, 90), unit), in_unit(trace_hist_pct(hist, 99), unit),
            in_unit(trace_hist_pct(hist, 99.9), unit), in_unit(max, unit), unit);
}

const char *trace_advice_name(int a)
{
    switch (a) {
    case MADV_NORMAL: return "MADV_NORMAL";
    case MADV_RANDOM: return "MADV_RANDOM";
    case MADV_SEQUENTIAL: return "MADV_SEQUENTIAL";
    case MADV_WILLNEED: return "MADV_WILLNEED";
    case MADV_DONTNEED: return "MADV_DONTNEED";
    case 8: return "MADV_FREE";
    case 9: return "MADV_REMOVE";
    case 10: return "MADV_DONTFORK";
    case 11: return "MADV_DOFORK";
    case 12: return "MADV_MERGEABLE";
    case 13: return "MADV_UNMERGEABLE";
    case 14: return "MADV_HUGEPAGE";
    case 15: return "MADV_NOHUGEPAGE";
    case 16: return "MADV_DONTDUMP";
    case 17: return "MADV_DODUMP";
    case 18: return "MADV_WIPEONFORK";
    case 19: return "MADV_KEEPONFORK";
    case 20: return "MADV_COLD";
    case 21: return "MADV_PAGEOUT";
    case 22: return "MADV_POPULATE_READ";
    case 23: return "MADV_POPULATE_WRITE";
    case 24: return "MADV_DONTNEED_LOCKED";
    case 25: return "MADV_COLLAPSE";
    case 100: return "MADV_HWPOISON";
    case 101: return "MADV_SOFT_OFFLINE";
    default: return "unknown";
    }
}

const char *trace_outcome_name(int o)
{
    static const char *const n[] = {"sovereign", "failed", "deferred", "timedout", "rejected"};
    return o >= 0 && o < 5 ? n[o] : "unknown";
}

/* ---- rendering ------------------------------------------------------------ */

static const char *str_of(json_object *o, const char *k)
{
    json_object *x;
    return json_object_object_get_ex(o, k, &x) ? json_object_get_string(x) : "";
}

static int64_t int_of(json_object *o, const char *k)
{
    json_object *x;
    return json_object_object_get_ex(o, k, &x) ? json_object_get_int64(x) : -1;
}

static json_object *obj_of(json_object *o, const char *k)
{
    json_object *x;
    return json_object_object_get_ex(o, k, &x) ? x : NULL;
}

/* Sums the histograms of the entries of arr that match on the fields in
 * keys (NULL-terminated) into groups: an array of {fields..., "hist"}. */
static json_object *group_by(json_object *arr, const char *const *keys, const char *hname)
{
    json_object *groups = json_object_new_array();
    size_t n = arr ? json_object_array_length(arr) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(arr, i), *h = obj_of(e, hname), *g = NULL;
        if (!h) continue;
        for (size_t j = 0; j < json_object_array_length(groups) && !g; j++) {
            json_object *c = json_object_array_get_idx(groups, j);
            bool same = true;
            for (const char *const *k = keys; *k && same; k++)
                same = strcmp(json_object_get_string(obj_of(c, *k)), json_object_get_string(obj_of(e, *k))) == 0;
            if (same) g = c;
        }
        if (!g) {
            g = json_object_new_object();
            for (const char *const *k = keys; *k; k++) json_object_object_add(g, *k, json_object_get(obj_of(e, *k)));
            json_object_object_add(g, "hist", json_object_new_object());
            json_object_array_add(groups, g);
        }
        trace_hist_json_merge(obj_of(g, "hist"), h);
    }
    return groups;
}

#define MAX_PROC_ROWS 20

static int by_calls_desc(const void *a, const void *b)
{
    uint64_t x = get_u64(obj_of(*(json_object *const *)a, "hist"), "count");
    uint64_t y = get_u64(obj_of(*(json_object *const *)b, "hist"), "count");
    return x < y ? 1 : x > y ? -1 : 0;
}

static void row(FILE *out, json_object *h, const char *unit)
{
    uint64_t n = get_u64(h, "count");
    json_object *l = obj_of(h, "latency"), *mx = l ? obj_of(l, "max") : NULL;
    fprintf(out, " %9llu %10.3f %10.3f %10.3f %10.3f\n", (unsigned long long)n,
            n ? in_unit(get_u64(h, "sum_ns") / n, unit) : 0.0, in_unit(trace_hist_pct(h, 50), unit),
            in_unit(trace_hist_pct(h, 99), unit), in_unit(mx ? json_object_get_uint64(mx) : 0, unit));
}

static void render_madvise(json_object *snap, FILE *out, const char *unit)
{
    json_object *m = obj_of(snap, "madvise");
    size_t n = m ? json_object_array_length(m) : 0;
    const char *u = strcmp(unit, "msecs") == 0 ? "ms" : "us";
    if (!n) {
        fprintf(out, "no madvise or process_madvise calls traced\n");
    } else {
        static const char *const by_adv[] = {"syscall", "advice_name", "failed", NULL};
        /* entries are histograms themselves: wrap them to group them */
        json_object *wrapped = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(m, i), *w = json_object_new_object();
            json_object_object_foreach(e, k, v) if (strcmp(k, "log2") && strcmp(k, "latency") && strcmp(k, "count") &&
                                                     strcmp(k, "sum_ns"))
                json_object_object_add(w, k, json_object_get(v));
            json_object_object_add(w, "h", json_object_get(e));
            json_object_array_add(wrapped, w);
        }
        json_object *g = group_by(wrapped, by_adv, "h");
        for (size_t i = 0; i < json_object_array_length(g); i++) {
            json_object *e = json_object_array_get_idx(g, i), *h = obj_of(e, "hist");
            fprintf(out, "\n%s advice = %s%s\n", str_of(e, "syscall"), str_of(e, "advice_name"),
                    json_object_get_boolean(obj_of(e, "failed")) ? " (failed calls)" : "");
            trace_print_log2(out, obj_of(h, "log2"), unit);
            trace_print_summary(out, h, unit);
        }
        json_object_put(g);
        static const char *const by_node[] = {"node", "syscall", "advice_name", NULL};
        g = group_by(wrapped, by_node, "h");
        fprintf(out, "\nby NUMA node of the issuing CPU:\n%4s %-16s %-20s %9s %10s %10s %10s %10s\n", "NODE", "SYSCALL",
                "ADVICE", "CALLS", "AVG", "P50", "P99", "MAX");
        for (size_t i = 0; i < json_object_array_length(g); i++) {
            json_object *e = json_object_array_get_idx(g, i);
            fprintf(out, "%4lld %-16s %-20s", (long long)int_of(e, "node"), str_of(e, "syscall"), str_of(e, "advice_name"));
            row(out, obj_of(e, "hist"), unit);
        }
        json_object_put(g);
        static const char *const by_pid[] = {"pid", "comm", "syscall", "advice_name", NULL};
        g = group_by(wrapped, by_pid, "h");
        json_object_array_sort(g, by_calls_desc);
        fprintf(out, "\nby process (busiest %d):\n%7s %-16s %-16s %-20s %9s %10s %10s %10s %10s\n", MAX_PROC_ROWS, "PID", "COMM", "SYSCALL", "ADVICE",
                "CALLS", "AVG", "P50", "P99", "MAX");
        size_t np = json_object_array_length(g);
        for (size_t i = 0; i < np && i < MAX_PROC_ROWS; i++) {
            json_object *e = json_object_array_get_idx(g, i);
            fprintf(out, "%7lld %-16s %-16s %-20s", (long long)int_of(e, "pid"), str_of(e, "comm"), str_of(e, "syscall"),
                    str_of(e, "advice_name"));
            row(out, obj_of(e, "hist"), unit);
        }
        if (np > MAX_PROC_ROWS) fprintf(out, "... %zu more rows (all of them with --json)\n", np - MAX_PROC_ROWS);
        json_object_put(g);
        json_object_put(wrapped);
        fprintf(out, "(latencies in %s)\n", u);
    }
    json_object *s = obj_of(snap, "splinter_madvise");
    if (!s) return;
    fprintf(out, "\nsplinter_madvise outcomes (uprobe on %s):\n", str_of(snap, "impl"));
    if (!json_object_array_length(s)) {
        fprintf(out, "  no calls traced\n");
        return;
    }
    /* per shard, node and outcome over all processes (per process: --json) */
    static const char *const by_shard[] = {"shard", "node", "outcome", NULL};
    json_object *gs = group_by(s, by_shard, "call");
    fprintf(out, "%6s %4s %-10s %9s %10s %10s %10s %10s\n", "SHARD", "NODE", "OUTCOME", "CALLS", "AVG", "P50", "P99", "MAX");
    for (size_t i = 0; i < json_object_array_length(gs); i++) {
        json_object *e = json_object_array_get_idx(gs, i);
        fprintf(out, "%6lld %4lld %-10s", (long long)int_of(e, "shard"), (long long)int_of(e, "node"), str_of(e, "outcome"));
        row(out, obj_of(e, "hist"), unit);
    }
    json_object_put(gs);
    static const char *const none[] = {NULL};
    json_object *g = group_by(s, none, "wait");
    if (json_object_array_length(g)) {
        json_object *h = obj_of(json_object_array_get_idx(g, 0), "hist");
        fprintf(out, "\nbidder wait, call entry to the advice landing (sovereign calls):\n");
        trace_print_log2(out, obj_of(h, "log2"), unit);
        trace_print_summary(out, h, unit);
    }
    json_object_put(g);
}

static void render_eventfd(json_object *snap, FILE *out, const char *unit)
{
    json_object *e = obj_of(snap, "eventfd"), *w = obj_of(e, "writes"), *p = obj_of(e, "pairs");
    uint64_t writes = 0, wakes = 0;
    for (size_t i = 0; w && i < json_object_array_length(w); i++) {
        writes += get_u64(json_object_array_get_idx(w, i), "writes");
        wakes += get_u64(json_object_array_get_idx(w, i), "wakes");
    }
    fprintf(out, "\neventfd writes: %llu, tasks woken by them: %llu", (unsigned long long)writes, (unsigned long long)wakes);
    for (size_t i = 0; w && i < json_object_array_length(w); i++) {
        json_object *x = json_object_array_get_idx(w, i);
        fprintf(out, "%s node %lld: %llu/%llu", i ? "," : " (writes/wakes by writer node:", (long long)int_of(x, "node"),
                (unsigned long long)get_u64(x, "writes"), (unsigned long long)get_u64(x, "wakes"));
        if (i + 1 == json_object_array_length(w)) fputc(')', out);
    }
    fputc('\n', out);
    for (size_t i = 0; p && i < json_object_array_length(p); i++) {
        json_object *x = json_object_array_get_idx(p, i), *h;
        long long wn = int_of(x, "writer_node"), rn = int_of(x, "waiter_node");
        if ((h = obj_of(x, "wake"))) {
            fprintf(out, "\nwrite -> waiter woken (sched_wakeup), writer node %lld -> waiter node %lld\n", wn, rn);
            trace_print_log2(out, obj_of(h, "log2"), unit);
            trace_print_summary(out, h, unit);
        }
        if ((h = obj_of(x, "return"))) {
            fprintf(out, "\nwrite -> waiter's read/poll returned, writer node %lld -> waiter node %lld\n", wn, rn);
            trace_print_log2(out, obj_of(h, "log2"), unit);
            trace_print_summary(out, h, unit);
        }
    }
}

void spl_trace_render(json_object *snap, FILE *out)
{
    const char *unit = str_of(snap, "unit");
    if (!*unit) unit = "usecs";
    if (obj_of(snap, "madvise") || obj_of(snap, "splinter_madvise")) render_madvise(snap, out, unit);
    if (obj_of(snap, "eventfd")) render_eventfd(snap, out, unit);
}

/* ---- merging -------------------------------------------------------------- */

static bool same_fields(json_object *a, json_object *b, const char *const *keys)
{
    for (const char *const *k = keys; *k; k++) {
        json_object *x = obj_of(a, *k), *y = obj_of(b, *k);
        if (!x || !y || strcmp(json_object_get_string(x), json_object_get_string(y))) return false;
    }
    return true;
}

/* Entries of src whose key fields match one of dst are merged (the named
 * histogram members), the others appended. */
static int merge_entries(json_object *dst, json_object *src, const char *const *keys, const char *const *hists,
                         bool entry_is_hist)
{
    for (size_t i = 0; i < json_object_array_length(src); i++) {
        json_object *s = json_object_array_get_idx(src, i), *d = NULL;
        for (size_t j = 0; j < json_object_array_length(dst) && !d; j++)
            if (same_fields(json_object_array_get_idx(dst, j), s, keys)) d = json_object_array_get_idx(dst, j);
        if (!d) {
            json_object *copy = NULL;
            if (json_object_deep_copy(s, &copy, NULL) < 0) return -1;
            json_object_array_add(dst, copy);
            continue;
        }
        if (entry_is_hist && trace_hist_json_merge(d, s) < 0) return -1;
        for (const char *const *h = hists; h && *h; h++) {
            json_object *sh = obj_of(s, *h), *dh = obj_of(d, *h);
            if (!sh) continue;
            if (!dh) {
                json_object *copy = NULL;
                json_object_deep_copy(sh, &copy, NULL);
                json_object_object_add(d, *h, copy);
            } else if (trace_hist_json_merge(dh, sh) < 0)
                return -1;
        }
        for (const char *const *c = (const char *const[]){"writes", "wakes", NULL}; *c; c++)
            if (obj_of(s, *c) && !obj_of(s, "pairs")) add_u64(d, *c, get_u64(s, *c));
    }
    return 0;
}

int spl_trace_merge(json_object *dst, json_object *src, char *err, size_t errlen)
{
    if (strcmp(str_of(dst, "schema"), "splsuite-trace/1") || strcmp(str_of(src, "schema"), "splsuite-trace/1")) {
        snprintf(err, errlen, "not a splsuite trace snapshot (schema splsuite-trace/1)");
        return -1;
    }
    if (strcmp(str_of(dst, "unit"), str_of(src, "unit"))) {
        snprintf(err, errlen, "units differ (%s vs %s): log2 slots cannot be merged", str_of(dst, "unit"),
                 str_of(src, "unit"));
        return -1;
    }
    json_object *x;
    if ((x = obj_of(src, "interval_s")))
        json_object_object_add(dst, "interval_s",
                               json_object_new_double(json_object_get_double(obj_of(dst, "interval_s")) + json_object_get_double(x)));
    static const char *const mk[] = {"syscall", "advice", "failed", "node", "pid", "comm", NULL};
    static const char *const sk[] = {"pid", "comm", "shard", "node", "outcome", NULL};
    static const char *const sh[] = {"call", "wait", NULL};
    static const char *const wk[] = {"node", NULL};
    static const char *const pk[] = {"writer_node", "waiter_node", NULL};
    static const char *const ph[] = {"wake", "return", NULL};
    int rc = 0;
    struct { const char *member, *sub; const char *const *keys, *const *hists; bool is_hist; } parts[] = {
        {"madvise", NULL, mk, NULL, true},
        {"splinter_madvise", NULL, sk, sh, false},
        {"eventfd", "writes", wk, NULL, false},
        {"eventfd", "pairs", pk, ph, false},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0] && rc == 0; i++) {
        json_object *s = obj_of(src, parts[i].member), *d = obj_of(dst, parts[i].member);
        if (!s) continue;
        if (!d) {
            json_object *copy = NULL;
            json_object_deep_copy(s, &copy, NULL);
            json_object_object_add(dst, parts[i].member, copy);
            if (parts[i].sub) i++; /* both eventfd members came with the copy */
            continue;
        }
        if (parts[i].sub) {
            s = obj_of(s, parts[i].sub);
            d = obj_of(d, parts[i].sub);
            if (!s || !d) continue;
        }
        rc = merge_entries(d, s, parts[i].keys, parts[i].hists, parts[i].is_hist);
    }
    if (rc) snprintf(err, errlen, "histograms could not be merged (different bucket schemes?)");
    return rc;
}
