// SPDX-License-Identifier: Apache-2.0
/*
 * madvlat.bpf.c - madvise / process_madvise latency from the syscall
 * tracepoints, and the outcome of splinter_madvise() from a uprobe pair on
 * the implementation under test. Only syscall tracepoints and uprobes: the
 * machines this suite targets may have neither kprobes nor fentry.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "madvlat.h"
#include "trace_common.bpf.h"

char LICENSE[] SEC("license") = "GPL";

struct start {
    __u64 ts;
    __s32 advice;
    __u16 node;
    __u8 syscall;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10240);
    __type(key, __u32); /* tid */
    __type(value, struct start);
} starts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 2048);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct madv_key);
    __type(value, struct trace_hist);
} hists SEC(".maps");

/* splinter_madvise calls in flight, per thread */
struct splm_call {
    __u64 ts;
    __u64 sys_ts; /* first madvise syscall inside the call, 0 if none yet */
    __u64 timeout;
    __u32 shard;
    __u16 node;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10240);
    __type(key, __u32);
    __type(value, struct splm_call);
} splm_calls SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 2048);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct splm_key);
    __type(value, struct trace_hist);
} splm_hists SEC(".maps");

const volatile bool splm_attached = false; /* the uprobe pair is in use */

static __always_inline int on_enter(__s32 advice, __u8 sys)
{
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    __u64 now = bpf_ktime_get_ns();
    if (splm_attached) {
        struct splm_call *c = bpf_map_lookup_elem(&splm_calls, &tid);
        if (c && c->sys_ts == 0) c->sys_ts = now;
    }
    if (!trace_current()) return 0;
    struct start s = {.ts = now, .advice = advice, .node = bpf_get_numa_node_id(), .syscall = sys};
    bpf_map_update_elem(&starts, &tid, &s, BPF_ANY);
    return 0;
}

static __always_inline int on_exit(void *ctx, long ret)
{
    __u64 id = bpf_get_current_pid_tgid();
    __u32 tid = (__u32)id;
    struct start *s = bpf_map_lookup_elem(&starts, &tid);
    if (!s) return 0;
    __u64 lat = bpf_ktime_get_ns() - s->ts;
    struct madv_key k = {.tgid = id >> 32, .advice = s->advice, .node = s->node, .syscall = s->syscall,
                         .failed = ret < 0};
    hist_record(&hists, &k, lat);
    if (emit_events) {
        struct trace_rec *e = event_reserve();
        if (e) {
            e->ts_ns = s->ts + lat;
            e->lat_ns = lat;
            e->pid = id >> 32;
            e->tid = tid;
            e->a = s->advice;
            e->b = ret;
            e->node = s->node;
            e->node2 = 0;
            e->kind = s->syscall == MADV_SYS_MADVISE ? TRACE_EV_MADVISE : TRACE_EV_PROCESS_MADVISE;
            bpf_get_current_comm(e->comm, sizeof e->comm);
            event_submit(ctx, e);
        }
    }
    bpf_map_delete_elem(&starts, &tid);
    return 0;
}

SEC("tracepoint/syscalls/sys_enter_madvise")
int madvise_enter(struct trace_event_raw_sys_enter *ctx)
{
    return on_enter((__s32)ctx->args[2], MADV_SYS_MADVISE);
}

SEC("tracepoint/syscalls/sys_exit_madvise")
int madvise_exit(struct trace_event_raw_sys_exit *ctx)
{
    return on_exit(ctx, ctx->ret);
}

/* process_madvise(pidfd, iovec, vlen, advice, flags): Linux 5.10+; user space
 * turns these off when the tracepoint does not exist */
SEC("tracepoint/syscalls/sys_enter_process_madvise")
int process_madvise_enter(struct trace_event_raw_sys_enter *ctx)
{
    return on_enter((__s32)ctx->args[3], MADV_SYS_PROCESS_MADVISE);
}

SEC("tracepoint/syscalls/sys_exit_process_madvise")
int process_madvise_exit(struct trace_event_raw_sys_exit *ctx)
{
    return on_exit(ctx, ctx->ret);
}

/* int splinter_madvise(uint32_t shard_id, void *addr, size_t len, int advice, uint64_t timeout) */
SEC("uprobe")
int BPF_KPROBE(splm_enter, __u32 shard, void *addr, __u64 len, int advice, __u64 timeout)
{
    if (!trace_current()) return 0;
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    struct splm_call c = {.ts = bpf_ktime_get_ns(), .timeout = timeout, .shard = shard,
                          .node = bpf_get_numa_node_id()};
    bpf_map_update_elem(&splm_calls, &tid, &c, BPF_ANY);
    return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(splm_exit, int ret)
{
    __u64 id = bpf_get_current_pid_tgid();
    __u32 tid = (__u32)id;
    struct splm_call *c = bpf_map_lookup_elem(&splm_calls, &tid);
    if (!c) return 0;
    __u64 now = bpf_ktime_get_ns();
    __u8 outcome;
    if (ret == 0)
        outcome = SPLM_SOVEREIGN;
    else if (ret == -1 && c->sys_ts)
        outcome = SPLM_FAILED;
    else if (ret == -1 && c->timeout == 0)
        outcome = SPLM_DEFERRED;
    else if (ret == -1)
        outcome = SPLM_TIMEDOUT;
    else
        outcome = SPLM_REJECTED;
    struct splm_key k = {.tgid = id >> 32, .shard = c->shard, .node = c->node, .outcome = outcome, .what = 0};
    hist_record(&splm_hists, &k, now - c->ts);
    if (outcome == SPLM_SOVEREIGN || outcome == SPLM_FAILED) {
        k.what = 1;
        hist_record(&splm_hists, &k, (c->sys_ts ? c->sys_ts : now) - c->ts);
    }
    bpf_map_delete_elem(&splm_calls, &tid);
    return 0;
}
