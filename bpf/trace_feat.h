/*
 * trace_feat.h - what this kernel offers the probes, probed at run time, and
 * the one reason BPF cannot run when it cannot (not root, no CAP_BPF, no
 * BTF, tracefs missing, kernel too old, bpf() refused).
 */
#ifndef SPLSUITE_TRACE_FEAT_H
#define SPLSUITE_TRACE_FEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trace_feat {
    char tracefs[64];           /* mount point of tracefs in use */
    bool mounted_tracefs;       /* we mounted it (as root) */
    bool ringbuf;               /* BPF_MAP_TYPE_RINGBUF (5.8+): else perf buffer */
    bool tp_btf;                /* BTF-typed raw tracepoints for sched events */
    uint64_t eventfd_write;     /* address of eventfd_write, 0 if kallsyms hides it */
    char kernel[65];
};

/* 0 when BPF tracing can run; otherwise SPL_EXIT_SKIP with the reason in
 * why (mounts tracefs on the way when root and it is not mounted). */
int trace_feat_probe(struct trace_feat *f, char *why, size_t len);
/* Whether tracepoint CATEGORY/NAME exists under tracefs. */
bool trace_tp_exists(const struct trace_feat *f, const char *category, const char *name);

#endif
