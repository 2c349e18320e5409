/*
 * trace_common.bpf.h - what every probe of `splsuite trace` shares on the
 * BPF side: the pid / cgroup filter, the histogram update, and the event
 * channel (ring buffer where the kernel has one, perf buffer otherwise).
 */
#ifndef SPLSUITE_TRACE_COMMON_BPF_H
#define SPLSUITE_TRACE_COMMON_BPF_H

#include "trace_hist.h"

const volatile bool filter_tgid = false; /* only tgids present in `tgids` */
const volatile bool filter_cg = false;   /* only tasks under cgroup_map[0] */
const volatile bool targ_ms = false;     /* log2 slots in msecs instead of usecs */
const volatile bool filter_children = false; /* tgids also match their descendants */

#define FILTER_ANCESTORS 8

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32);
    __type(value, __u8);
} tgids SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} cgroup_map SEC(".maps");

/* zero value for lookup-or-init: too large for the BPF stack */
static struct trace_hist zero_hist;

static __always_inline bool tgid_allowed(__u32 tgid)
{
    return bpf_map_lookup_elem(&tgids, &tgid) != NULL;
}

/* A process started by a traced one (bench and torture workers, forked
 * after the probes attached): walk real_parent a few levels up. */
static __always_inline bool ancestor_allowed(void)
{
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    for (int i = 0; i < FILTER_ANCESTORS; i++) {
        t = BPF_CORE_READ(t, real_parent);
        if (!t) return false;
        __u32 tgid = BPF_CORE_READ(t, tgid);
        if (tgid <= 1) return false;
        if (tgid_allowed(tgid)) return true;
    }
    return false;
}

/* Whether the current task is one we trace. */
static __always_inline bool trace_current(void)
{
    if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0)) return false;
    if (filter_tgid && !tgid_allowed(bpf_get_current_pid_tgid() >> 32) && !(filter_children && ancestor_allowed()))
        return false;
    return true;
}

static __always_inline __u64 log2_u32(__u32 v)
{
    __u32 shift, r;
    r = (v > 0xFFFF) << 4; v >>= r;
    shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
    shift = (v > 0xF) << 2; v >>= shift; r |= shift;
    shift = (v > 0x3) << 1; v >>= shift; r |= shift;
    r |= (v >> 1);
    return r;
}

static __always_inline __u64 log2_u64(__u64 v)
{
    __u32 hi = v >> 32;
    return hi ? log2_u32(hi) + 32 : log2_u32(v);
}

/* lib/hist.h's spl_hist_index() at TRACE_SUB_BITS, on a clamped value. */
static __always_inline __u64 fine_index(__u64 v)
{
    const __u64 sub = 1ull << TRACE_SUB_BITS;
    if (v >= (1ull << (TRACE_MAX_SHIFT + 1))) v = (1ull << (TRACE_MAX_SHIFT + 1)) - 1;
    if (v < sub) return v;
    __u64 m = log2_u64(v);
    __u64 shift = m - TRACE_SUB_BITS;
    return ((shift + 1) << TRACE_SUB_BITS) + ((v >> shift) - sub);
}

static __always_inline void hist_add(struct trace_hist *h, __u64 ns)
{
    __u64 unit = targ_ms ? ns / 1000000 : ns / 1000;
    __u64 slot = log2_u64(unit);
    if (slot >= TRACE_LOG2_SLOTS) slot = TRACE_LOG2_SLOTS - 1;
    __sync_fetch_and_add(&h->slots[slot], 1);
    __u64 fi = fine_index(ns);
    if (fi >= TRACE_FINE_SLOTS) fi = TRACE_FINE_SLOTS - 1;
    __sync_fetch_and_add(&h->fine[fi], 1);
    __sync_fetch_and_add(&h->count, 1);
    __sync_fetch_and_add(&h->sum_ns, ns);
    /* min/max races only lose to a concurrent sample of the same key: the
     * buckets and count stay exact, which is what the tests assert */
    if (h->max_ns < ns) h->max_ns = ns;
    if (h->min_ns == 0 || h->min_ns > ns) h->min_ns = ns;
}

/* Adds ns to the histogram of key in map, creating it (comm of the current
 * task) on first use. */
static __always_inline void hist_record(void *map, const void *key, __u64 ns)
{
    struct trace_hist *h = bpf_map_lookup_elem(map, key);
    if (!h) {
        bpf_map_update_elem(map, key, &zero_hist, BPF_NOEXIST);
        h = bpf_map_lookup_elem(map, key);
        if (!h) return;
        bpf_get_current_comm(h->comm, sizeof h->comm);
    }
    hist_add(h, ns);
}

/* ---- event channel (--events): ring buffer where the kernel has one (5.8+),
 * else a perf buffer; decided by CO-RE at load time, user space sizes the
 * map to match (trace_buffer.c), as libbpf-tools' compat.bpf.h does. ---- */

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct trace_rec);
} heap SEC(".maps");

const volatile bool emit_events = false;

static __always_inline struct trace_rec *event_reserve(void)
{
    static const __u32 zero = 0;
    if (bpf_core_type_exists(struct bpf_ringbuf))
        return bpf_ringbuf_reserve(&events, sizeof(struct trace_rec), 0);
    return bpf_map_lookup_elem(&heap, &zero);
}

static __always_inline void event_submit(void *ctx, struct trace_rec *e)
{
    if (bpf_core_type_exists(struct bpf_ringbuf))
        bpf_ringbuf_submit(e, 0);
    else
        bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e, sizeof *e);
}

#endif
