/*
 * trace_hist.h - the latency histogram the BPF programs fill and user space
 * reads, shared by both sides so the layout cannot drift.
 *
 * Two views of the same samples: log2 slots in the display unit (usecs, or
 * msecs with -m), the familiar libbpf-tools text; and log-linear nanosecond
 * buckets with the exact bucket scheme of lib/hist.h at TRACE_SUB_BITS, so
 * user space rebuilds a struct spl_hist for percentiles and JSON that merges
 * across runs.
 */
#ifndef SPLSUITE_TRACE_HIST_H
#define SPLSUITE_TRACE_HIST_H

#ifndef __VMLINUX_H__
#include <linux/types.h> /* user space; the BPF side gets them from vmlinux.h */
#endif

#define TRACE_LOG2_SLOTS 27  /* libbpf-tools MAX_SLOTS */
#define TRACE_SUB_BITS 3     /* 8 sub-buckets per power of two: 12.5% worst-case error */
#define TRACE_MAX_SHIFT 40   /* values are clamped below 2^41 ns (~36 min) */
#define TRACE_FINE_SLOTS (((TRACE_MAX_SHIFT - TRACE_SUB_BITS + 2) << TRACE_SUB_BITS))
#define TRACE_COMM_LEN 16

struct trace_hist {
    __u64 slots[TRACE_LOG2_SLOTS];
    __u64 fine[TRACE_FINE_SLOTS];
    __u64 count;
    __u64 sum_ns;
    __u64 min_ns; /* 0 = unset (a 0 ns sample leaves it at 0, which is right) */
    __u64 max_ns;
    char comm[TRACE_COMM_LEN];
};

/* One record of the --events stream (both probes). */
struct trace_rec {
    __u64 ts_ns;  /* bpf_ktime_get_ns() at completion */
    __u64 lat_ns;
    __u32 pid, tid;
    __s32 a;      /* madvise: advice; eventfd: waiter pid */
    __s32 b;      /* madvise: return value; eventfd: 0 wake, 1 return */
    __u16 node;   /* madvise: node; eventfd: writer node */
    __u16 node2;  /* eventfd: waiter node */
    __u8 kind;    /* TRACE_EV_* */
    __u8 pad[3];
    char comm[TRACE_COMM_LEN];
};

enum { TRACE_EV_MADVISE = 1, TRACE_EV_PROCESS_MADVISE, TRACE_EV_EVENTFD_WAKE, TRACE_EV_EVENTFD_RETURN };

#endif
