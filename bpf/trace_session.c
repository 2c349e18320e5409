/*
 * trace_session.c - loading, attaching and reading the probes (the
 * implementation of trace_embed.h).
 *
 * Everything the kernel may or may not have is decided here at run time:
 * ring buffer or perf buffer for --events, BTF-typed or classic sched
 * tracepoints, which syscall tracepoints exist (process_madvise 5.10,
 * epoll_pwait2 5.11), and how an eventfd is recognised.
 */
#include "trace_embed.h"

#include "evfdlat.h"
#include "madvlat.h"
#include "trace_feat.h"
#include "trace_report.h"

#include "evfdlat.skel.h"
#include "madvlat.skel.h"

#include "splnuma.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct spl_trace {
    struct spl_trace_opts o;
    struct trace_feat feat;
    struct madvlat *madv;
    struct evfdlat *evfd;
    struct bpf_link *up[16][2]; /* uprobe, uretprobe per library */
    size_t nup;
    char impls[1024];           /* the uprobed libraries, for reports */
    struct ring_buffer *rb;
    struct perf_buffer *pb[2];
    int cgfd;
    char impl_path[4096];
    uint64_t t_start;
    void (*ev_fn)(const struct trace_rec *, void *);
    void *ev_arg;
};

__attribute__((format(printf, 2, 0))) static int libbpf_verbose(enum libbpf_print_level l, const char *fmt, va_list ap) { return vfprintf(stderr, fmt, ap); }
__attribute__((format(printf, 2, 0))) static int libbpf_quiet(enum libbpf_print_level l, const char *fmt, va_list ap)
{
    return l == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* Turns off programs whose tracepoint this kernel lacks; fails when a
 * required one is missing. */
static int prune_tracepoints(struct spl_trace *t, struct bpf_object *obj, const char *const *required, char *err,
                             size_t errlen)
{
    struct bpf_program *p;
    bpf_object__for_each_program(p, obj)
    {
        const char *sec = bpf_program__section_name(p);
        char cat[64], name[128];
        if (strncmp(sec, "tracepoint/", 11) != 0) continue;
        if (sscanf(sec + 11, "%63[^/]/%127s", cat, name) != 2) continue;
        if (trace_tp_exists(&t->feat, cat, name)) continue;
        for (const char *const *r = required; *r; r++)
            if (strcmp(*r, name) == 0) {
                snprintf(err, errlen, "this kernel has no tracepoint %s:%s", cat, name);
                return SPL_EXIT_SKIP;
            }
        bpf_program__set_autoload(p, false);
    }
    return 0;
}

/* --events channel: the BPF side picks ring buffer or perf buffer by CO-RE;
 * the map is created to match. */
static void setup_events_map(struct spl_trace *t, struct bpf_map *events, struct bpf_map *heap)
{
    if (t->feat.ringbuf) {
        bpf_map__set_autocreate(heap, false);
        return;
    }
    bpf_map__set_type(events, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    bpf_map__set_key_size(events, sizeof(int));
    bpf_map__set_value_size(events, sizeof(int));
    bpf_map__set_max_entries(events, 0);
}

static int fill_filters(struct spl_trace *t, int tgids_fd, int cg_fd)
{
    for (size_t i = 0; i < t->o.npids; i++) {
        uint32_t pid = (uint32_t)t->o.pids[i];
        uint8_t one = 1;
        if (bpf_map_update_elem(tgids_fd, &pid, &one, BPF_ANY)) return -1;
    }
    if (t->cgfd >= 0) {
        uint32_t zero = 0;
        if (bpf_map_update_elem(cg_fd, &zero, &t->cgfd, BPF_ANY)) return -1;
    }
    return 0;
}

static int open_madvise(struct spl_trace *t, char *err, size_t errlen)
{
    struct madvlat *s = madvlat__open();
    if (!s) {
        snprintf(err, errlen, "cannot open the madvise BPF object: %s", strerror(errno));
        return SPL_EXIT_FAIL;
    }
    t->madv = s;
    s->rodata->filter_tgid = t->o.npids > 0 || t->o.filter_pids;
    s->rodata->filter_children = t->o.children;
    s->rodata->filter_cg = t->cgfd >= 0;
    s->rodata->targ_ms = t->o.millis;
    s->rodata->emit_events = t->o.events;
    static const char *const req[] = {"sys_enter_madvise", "sys_exit_madvise", NULL};
    int rc = prune_tracepoints(t, s->obj, req, err, errlen);
    if (rc) return rc;
    s->rodata->splm_attached = t->impl_path[0] != 0;
    if (!t->impl_path[0]) {
        bpf_program__set_autoload(s->progs.splm_enter, false);
        bpf_program__set_autoload(s->progs.splm_exit, false);
    }
    setup_events_map(t, s->maps.events, s->maps.heap);
    if ((rc = madvlat__load(s))) {
        snprintf(err, errlen, "cannot load the madvise probes: %s (run with -v for the verifier log)", strerror(-rc));
        return SPL_EXIT_FAIL;
    }
    if (fill_filters(t, bpf_map__fd(s->maps.tgids), bpf_map__fd(s->maps.cgroup_map))) {
        snprintf(err, errlen, "cannot fill the pid/cgroup filter: %s", strerror(errno));
        return SPL_EXIT_FAIL;
    }
    if ((rc = madvlat__attach(s))) {
        snprintf(err, errlen, "cannot attach the madvise tracepoints: %s", strerror(-rc));
        return SPL_EXIT_FAIL;
    }
    if (t->impl_path[0]) {
        /* the main library must take the probe; further ones (bench's
         * other --impl) are skipped with a warning when they cannot */
        const char *paths[17] = {t->impl_path};
        size_t np = 1;
        for (size_t i = 0; i < t->o.nmore_impls && np < 16; i++)
            if (t->o.more_impls[i]) paths[np++] = t->o.more_impls[i];
        for (size_t i = 0; i < np; i++) {
            LIBBPF_OPTS(bpf_uprobe_opts, uo, .func_name = "splinter_madvise", .retprobe = false);
            struct bpf_link *a = bpf_program__attach_uprobe_opts(s->progs.splm_enter, -1, paths[i], 0, &uo);
            int e = errno;
            uo.retprobe = true;
            struct bpf_link *b = a ? bpf_program__attach_uprobe_opts(s->progs.splm_exit, -1, paths[i], 0, &uo) : NULL;
            if (!b) e = errno;
            if (!a || !b) {
                bpf_link__destroy(a);
                if (i == 0 && !t->o.impls_optional) {
                    if (e == ENOENT)
                        snprintf(err, errlen, "%s exports no splinter_madvise (is it a Splinter implementation?)", paths[i]);
                    else
                        snprintf(err, errlen, "cannot attach a uprobe to splinter_madvise in %s: %s", paths[i], strerror(e));
                    return SPL_EXIT_FAIL;
                }
                fprintf(stderr, "splsuite trace: no uprobe on splinter_madvise in %s: %s\n", paths[i], strerror(e));
                continue;
            }
            t->up[t->nup][0] = a;
            t->up[t->nup][1] = b;
            t->nup++;
            size_t l = strlen(t->impls);
            snprintf(t->impls + l, sizeof t->impls - l, "%s%s", l ? "," : "", paths[i]);
        }
    }
    return 0;
}

static int open_eventfd(struct spl_trace *t, char *err, size_t errlen)
{
    struct evfdlat *s = evfdlat__open();
    if (!s) {
        snprintf(err, errlen, "cannot open the eventfd BPF object: %s", strerror(errno));
        return SPL_EXIT_FAIL;
    }
    t->evfd = s;
    s->rodata->filter_tgid = t->o.npids > 0 || t->o.filter_pids;
    s->rodata->filter_children = t->o.children;
    s->rodata->filter_cg = t->cgfd >= 0;
    s->rodata->targ_ms = t->o.millis;
    s->rodata->emit_events = t->o.events;
    s->rodata->eventfd_write_addr = t->feat.eventfd_write;
    long ncpu = sysconf(_SC_NPROCESSORS_CONF);
    for (long c = 0; c < ncpu && c < EVFD_MAX_CPUS; c++) {
        int n = spl_numa_cpu_node((int)c);
        s->rodata->cpu_node[c] = n < 0 ? 0 : (uint16_t)n;
    }
    static const char *const req[] = {"sys_enter_write", "sys_exit_write", "sys_exit_read", NULL};
    int rc = prune_tracepoints(t, s->obj, req, err, errlen);
    if (rc) return rc;
    if (t->feat.tp_btf) {
        bpf_program__set_autoload(s->progs.waking_tp, false);
        bpf_program__set_autoload(s->progs.wakeup_tp, false);
    } else {
        bpf_program__set_autoload(s->progs.waking_btf, false);
        bpf_program__set_autoload(s->progs.wakeup_btf, false);
        if (!trace_tp_exists(&t->feat, "sched", "sched_waking") || !trace_tp_exists(&t->feat, "sched", "sched_wakeup")) {
            snprintf(err, errlen, "this kernel has neither BTF-typed nor classic sched_waking/sched_wakeup tracepoints");
            return SPL_EXIT_SKIP;
        }
    }
    setup_events_map(t, s->maps.events, s->maps.heap);
    if ((rc = evfdlat__load(s))) {
        snprintf(err, errlen, "cannot load the eventfd probes: %s (run with -v for the verifier log)", strerror(-rc));
        return SPL_EXIT_FAIL;
    }
    if (fill_filters(t, bpf_map__fd(s->maps.tgids), bpf_map__fd(s->maps.cgroup_map))) {
        snprintf(err, errlen, "cannot fill the pid/cgroup filter: %s", strerror(errno));
        return SPL_EXIT_FAIL;
    }
    if ((rc = evfdlat__attach(s))) {
        snprintf(err, errlen, "cannot attach the eventfd probes: %s", strerror(-rc));
        return SPL_EXIT_FAIL;
    }
    return 0;
}

static int on_rb(void *ctx, void *data, size_t len)
{
    struct spl_trace *t = ctx;
    if (len >= sizeof(struct trace_rec) && t->ev_fn) t->ev_fn(data, t->ev_arg);
    return 0;
}

static void on_pb(void *ctx, int cpu, void *data, __u32 len) { on_rb(ctx, data, len); }
static void on_lost(void *ctx, int cpu, __u64 n) { fprintf(stderr, "splsuite trace: lost %llu events on CPU %d\n", (unsigned long long)n, cpu); }

static int open_events(struct spl_trace *t, char *err, size_t errlen)
{
    struct bpf_map *maps[2] = {t->madv ? t->madv->maps.events : NULL, t->evfd ? t->evfd->maps.events : NULL};
    for (int i = 0; i < 2; i++) {
        if (!maps[i]) continue;
        int fd = bpf_map__fd(maps[i]);
        if (t->feat.ringbuf) {
            if (!t->rb)
                t->rb = ring_buffer__new(fd, on_rb, t, NULL);
            else if (ring_buffer__add(t->rb, fd, on_rb, t))
                t->rb = NULL;
            if (!t->rb) goto fail;
        } else {
            t->pb[i] = perf_buffer__new(fd, 64, on_pb, on_lost, t, NULL);
            if (!t->pb[i]) goto fail;
        }
    }
    return 0;
fail:
    snprintf(err, errlen, "cannot open the %s buffer: %s", t->feat.ringbuf ? "ring" : "perf", strerror(errno));
    return SPL_EXIT_FAIL;
}

int spl_trace_open(const struct spl_trace_opts *o, struct spl_trace **out, char *err, size_t errlen)
{
    *out = NULL;
    struct spl_trace *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return SPL_EXIT_FAIL;
    }
    t->o = *o;
    t->cgfd = -1;
    int rc = trace_feat_probe(&t->feat, err, errlen);
    if (rc) goto fail;
    libbpf_set_print(o->verbose ? libbpf_verbose : libbpf_quiet);
    if (o->cgroup) {
        t->cgfd = open(o->cgroup, O_RDONLY | O_DIRECTORY);
        if (t->cgfd < 0) {
            snprintf(err, errlen, "cannot open cgroup %s: %s", o->cgroup, strerror(errno));
            rc = SPL_EXIT_USAGE;
            goto fail;
        }
    }
    if (o->impl_path) snprintf(t->impl_path, sizeof t->impl_path, "%s", o->impl_path);
    if ((o->probes & SPL_TRACE_MADVISE) && (rc = open_madvise(t, err, errlen))) goto fail;
    if ((o->probes & SPL_TRACE_EVENTFD) && (rc = open_eventfd(t, err, errlen))) goto fail;
    if (o->events && (rc = open_events(t, err, errlen))) goto fail;
    t->t_start = spl_time_ns();
    *out = t;
    return 0;
fail:
    spl_trace_close(t);
    return rc;
}

int spl_trace_add_pid(struct spl_trace *t, pid_t pid)
{
    uint32_t p = (uint32_t)pid;
    uint8_t one = 1;
    if (t->madv && bpf_map_update_elem(bpf_map__fd(t->madv->maps.tgids), &p, &one, BPF_ANY)) return -1;
    if (t->evfd && bpf_map_update_elem(bpf_map__fd(t->evfd->maps.tgids), &p, &one, BPF_ANY)) return -1;
    return 0;
}

int spl_trace_del_pid(struct spl_trace *t, pid_t pid)
{
    uint32_t p = (uint32_t)pid;
    if (t->madv) bpf_map_delete_elem(bpf_map__fd(t->madv->maps.tgids), &p);
    if (t->evfd) bpf_map_delete_elem(bpf_map__fd(t->evfd->maps.tgids), &p);
    return 0;
}

int spl_trace_poll(struct spl_trace *t, int timeout_ms, void (*fn)(const struct trace_rec *, void *), void *arg)
{
    t->ev_fn = fn;
    t->ev_arg = arg;
    if (t->rb) return ring_buffer__poll(t->rb, timeout_ms);
    int n = 0;
    for (int i = 0; i < 2; i++)
        if (t->pb[i]) {
            int r = perf_buffer__poll(t->pb[i], t->pb[0] && t->pb[1] ? timeout_ms / 2 : timeout_ms);
            if (r < 0 && r != -EINTR) return r;
            if (r > 0) n += r;
        }
    return n;
}

static char *comm_of(uint32_t pid, const char *bpf_comm, char *buf, size_t len)
{
    snprintf(buf, len, "%.*s", TRACE_COMM_LEN, bpf_comm);
    return buf;
}

/* Walks a hash map of trace_hist values: fn(key, hist) for each; deletes
 * them afterwards when reset. */
static void walk_hists(int fd, size_t ksz, bool reset, void (*fn)(const void *, const struct trace_hist *, void *),
                       void *arg)
{
    unsigned char prev[64], key[64];
    struct trace_hist *h = malloc(sizeof *h);
    if (!h) return;
    void *pk = NULL;
    size_t cap = 256, n = 0;
    unsigned char *keys = malloc(cap * ksz);
    if (!keys) {
        free(h);
        return;
    }
    while (bpf_map_get_next_key(fd, pk, key) == 0) {
        if (bpf_map_lookup_elem(fd, key, h) == 0) fn(key, h, arg);
        if (n == cap) {
            unsigned char *nk = realloc(keys, (cap *= 2) * ksz);
            if (!nk) break;
            keys = nk;
        }
        memcpy(keys + n++ * ksz, key, ksz);
        memcpy(prev, key, ksz);
        pk = prev;
    }
    if (reset)
        for (size_t i = 0; i < n; i++) bpf_map_delete_elem(fd, keys + i * ksz);
    free(keys);
    free(h);
}

static void add_madv(const void *kp, const struct trace_hist *h, void *arg)
{
    const struct madv_key *k = kp;
    char comm[TRACE_COMM_LEN + 1];
    json_object *o = trace_hist_json(h);
    json_object_object_add(o, "syscall", json_object_new_string(k->syscall == MADV_SYS_MADVISE ? "madvise" : "process_madvise"));
    json_object_object_add(o, "advice", json_object_new_int(k->advice));
    char an[32];
    if (strcmp(trace_advice_name(k->advice), "unknown") == 0)
        snprintf(an, sizeof an, "advice_%d", k->advice);
    else
        snprintf(an, sizeof an, "%s", trace_advice_name(k->advice));
    json_object_object_add(o, "advice_name", json_object_new_string(an));
    json_object_object_add(o, "failed", json_object_new_boolean(k->failed));
    json_object_object_add(o, "node", json_object_new_int(k->node));
    json_object_object_add(o, "pid", json_object_new_int((int)k->tgid));
    json_object_object_add(o, "comm", json_object_new_string(comm_of(k->tgid, h->comm, comm, sizeof comm)));
    json_object_array_add(arg, o);
}

static void add_splm(const void *kp, const struct trace_hist *h, void *arg)
{
    const struct splm_key *k = kp;
    json_object *arr = arg;
    char comm[TRACE_COMM_LEN + 1];
    /* one entry per (pid, shard, node, outcome) holding both "latency" views */
    json_object *o = NULL;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *e = json_object_array_get_idx(arr, i), *v;
        if (json_object_object_get_ex(e, "pid", &v) && json_object_get_int(v) == (int)k->tgid &&
            json_object_object_get_ex(e, "shard", &v) && json_object_get_int64(v) == k->shard &&
            json_object_object_get_ex(e, "node", &v) && json_object_get_int(v) == k->node &&
            json_object_object_get_ex(e, "outcome", &v) && !strcmp(json_object_get_string(v), trace_outcome_name(k->outcome))) {
            o = e;
            break;
        }
    }
    if (!o) {
        o = json_object_new_object();
        json_object_object_add(o, "pid", json_object_new_int((int)k->tgid));
        json_object_object_add(o, "comm", json_object_new_string(comm_of(k->tgid, h->comm, comm, sizeof comm)));
        json_object_object_add(o, "shard", json_object_new_int64(k->shard));
        json_object_object_add(o, "node", json_object_new_int(k->node));
        json_object_object_add(o, "outcome", json_object_new_string(trace_outcome_name(k->outcome)));
        json_object_array_add(arr, o);
    }
    json_object_object_add(o, k->what ? "wait" : "call", trace_hist_json(h));
}

struct evfd_acc {
    json_object *pairs;
};

static void add_evfd(const void *kp, const struct trace_hist *h, void *arg)
{
    const struct evfd_key *k = kp;
    json_object *arr = arg, *o = NULL;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *e = json_object_array_get_idx(arr, i), *w, *r;
        if (json_object_object_get_ex(e, "writer_node", &w) && json_object_get_int(w) == k->wnode &&
            json_object_object_get_ex(e, "waiter_node", &r) && json_object_get_int(r) == k->rnode) {
            o = e;
            break;
        }
    }
    if (!o) {
        o = json_object_new_object();
        json_object_object_add(o, "writer_node", json_object_new_int(k->wnode));
        json_object_object_add(o, "waiter_node", json_object_new_int(k->rnode));
        json_object_array_add(arr, o);
    }
    json_object_object_add(o, k->what == EVFD_WAKE ? "wake" : "return", trace_hist_json(h));
}

/* Map order is hash order: sort entries so reports and diffs are stable. */
static int cmp_entries(const void *a, const void *b)
{
    static const char *const keys[] = {"syscall", "advice", "failed", "shard", "outcome", "writer_node", "waiter_node",
                                       "node", "pid", NULL};
    json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
    for (const char *const *k = keys; *k; k++) {
        json_object *u, *v;
        if (!json_object_object_get_ex(x, *k, &u) || !json_object_object_get_ex(y, *k, &v)) continue;
        int c;
        if (json_object_is_type(u, json_type_string))
            c = strcmp(json_object_get_string(u), json_object_get_string(v));
        else {
            int64_t p = json_object_get_int64(u), q = json_object_get_int64(v);
            c = p < q ? -1 : p > q;
        }
        if (c) return c;
    }
    return 0;
}

json_object *spl_trace_snapshot(struct spl_trace *t, bool reset)
{
    json_object *root = json_object_new_object();
    uint64_t now = spl_time_ns();
    json_object_object_add(root, "schema", json_object_new_string("splsuite-trace/1"));
    json_object_object_add(root, "unit", json_object_new_string(t->o.millis ? "msecs" : "usecs"));
    json_object_object_add(root, "interval_s", json_object_new_double((double)(now - t->t_start) / 1e9));
    json_object_object_add(root, "time", json_object_new_int64((int64_t)time(NULL)));
    json_object *feat = json_object_new_object();
    json_object_object_add(feat, "kernel", json_object_new_string(t->feat.kernel));
    json_object_object_add(feat, "buffer", json_object_new_string(t->feat.ringbuf ? "ringbuf" : "perfbuf"));
    json_object_object_add(feat, "sched_tracepoints", json_object_new_string(t->feat.tp_btf ? "tp_btf" : "tracepoint"));
    json_object_object_add(feat, "eventfd_match",
                           json_object_new_string(t->feat.eventfd_write ? "f_op->write == eventfd_write" : "dentry name [eventfd]"));
    json_object_object_add(feat, "tracefs", json_object_new_string(t->feat.tracefs));
    json_object_object_add(root, "features", feat);
    if (t->madv) {
        json_object *m = json_object_new_array();
        walk_hists(bpf_map__fd(t->madv->maps.hists), sizeof(struct madv_key), reset, add_madv, m);
        json_object_array_sort(m, cmp_entries);
        json_object_object_add(root, "madvise", m);
        if (t->impl_path[0]) {
            json_object *s = json_object_new_array();
            walk_hists(bpf_map__fd(t->madv->maps.splm_hists), sizeof(struct splm_key), reset, add_splm, s);
            json_object_array_sort(s, cmp_entries);
            json_object_object_add(root, "splinter_madvise", s);
            json_object_object_add(root, "impl", json_object_new_string(t->impls));
        }
    }
    if (t->evfd) {
        json_object *e = json_object_new_object(), *writes = json_object_new_array(), *pairs = json_object_new_array();
        int fd = bpf_map__fd(t->evfd->maps.counts);
        uint32_t key, *pk = NULL, keys[1024];
        size_t n = 0;
        while (n < 1024 && bpf_map_get_next_key(fd, pk, &key) == 0) {
            struct evfd_count c;
            if (bpf_map_lookup_elem(fd, &key, &c) == 0) {
                json_object *w = json_object_new_object();
                json_object_object_add(w, "node", json_object_new_int((int)key));
                json_object_object_add(w, "writes", json_object_new_uint64(c.writes));
                json_object_object_add(w, "wakes", json_object_new_uint64(c.wakes));
                json_object_array_add(writes, w);
            }
            keys[n++] = key;
            pk = &keys[n - 1];
        }
        if (reset)
            for (size_t i = 0; i < n; i++) bpf_map_delete_elem(fd, &keys[i]);
        walk_hists(bpf_map__fd(t->evfd->maps.hists), sizeof(struct evfd_key), reset, add_evfd, pairs);
        json_object_array_sort(pairs, cmp_entries);
        json_object_array_sort(writes, cmp_entries);
        json_object_object_add(e, "writes", writes);
        json_object_object_add(e, "pairs", pairs);
        json_object_object_add(root, "eventfd", e);
    }
    if (reset) t->t_start = now;
    return root;
}

void spl_trace_close(struct spl_trace *t)
{
    if (!t) return;
    ring_buffer__free(t->rb);
    perf_buffer__free(t->pb[0]);
    perf_buffer__free(t->pb[1]);
    for (size_t i = 0; i < t->nup; i++) {
        bpf_link__destroy(t->up[i][0]);
        bpf_link__destroy(t->up[i][1]);
    }
    madvlat__destroy(t->madv);
    evfdlat__destroy(t->evfd);
    if (t->cgfd >= 0) close(t->cgfd);
    free(t);
}

struct spl_trace *spl_trace_start_self(const char *cmd, const char *const *impl_paths, size_t n)
{
    pid_t self = getpid();
    const char *first = NULL;
    size_t i = 0;
    for (; i < n && !first; i++) first = impl_paths[i];
    struct spl_trace_opts o = {.probes = SPL_TRACE_MADVISE | SPL_TRACE_EVENTFD, .pids = &self, .npids = 1,
                               .children = true, .impl_path = first, .more_impls = impl_paths + i,
                               .nmore_impls = n - i, .impls_optional = true};
    struct spl_trace *t;
    char err[512];
    int rc = spl_trace_open(&o, &t, err, sizeof err);
    if (rc) {
        fprintf(stderr, "splsuite %s: --trace: %s (kernel-side figures left out)\n", cmd, err);
        return NULL;
    }
    return t;
}

json_object *spl_trace_stop(struct spl_trace *t)
{
    if (!t) return NULL;
    json_object *snap = spl_trace_snapshot(t, false);
    spl_trace_close(t);
    return snap;
}

void spl_trace_print_kernel(json_object *snap, FILE *out)
{
    if (!snap) return;
    fprintf(out, "\n== kernel side (eBPF, as splsuite trace measures it) ==\n");
    spl_trace_render(snap, out);
}
