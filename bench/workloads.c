/*
 * workloads.c - the one list of bench workloads. Each is described in its
 * own wl_*.c; this order is the run order and the order of the output.
 */
#include "bench.h"


const struct bench_workload *const bench_workloads[] = {
    &bench_wl_ops, &bench_wl_wake, &bench_wl_madvise, &bench_wl_flush, &bench_wl_numa, NULL,
};
_Static_assert(sizeof bench_workloads / sizeof bench_workloads[0] - 1 <= BENCH_MAX_WORKLOADS,
               "bench_opts.wl has one flag per workload: raise BENCH_MAX_WORKLOADS");
