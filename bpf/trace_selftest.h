/*
 * trace_selftest.h - known workloads run under the probes, with the totals
 * and the per-advice / per-node attribution checked exactly.
 */
#ifndef SPLSUITE_TRACE_SELFTEST_H
#define SPLSUITE_TRACE_SELFTEST_H

#include <stdbool.h>
#include <stdio.h>

struct spl_envelope;

struct trace_selftest_opts {
    long n;            /* madvise calls per advice, or eventfd wakes */
    int cpu;           /* madvise: CPU to pin to (-1: the last online CPU) */
    int writer_cpu;    /* eventfd: -1 = first CPU */
    int waiter_cpu;    /* eventfd: -1 = last CPU */
    const char *impl;  /* madvise: also check splinter_madvise outcomes of this implementation */
    bool json, verbose;
    FILE *out;
    const struct spl_envelope *envelope; /* run identity of the JSON report (NULL: none) */
};

/* SPL_EXIT_OK when every count matched, SPL_EXIT_FAIL with the mismatches
 * listed, SPL_EXIT_SKIP when BPF cannot run here. */
int trace_selftest_madvise(const struct trace_selftest_opts *o);
int trace_selftest_eventfd(const struct trace_selftest_opts *o);

#endif
