/*
 * trace_embed.h - the probes of `splsuite trace` as a library, for commands
 * that want kernel-side figures next to their own (bench --trace,
 * torture --trace) and for trace itself.
 *
 *   struct spl_trace *t;
 *   struct spl_trace_opts o = {.probes = SPL_TRACE_MADVISE | SPL_TRACE_EVENTFD};
 *   if (spl_trace_open(&o, &t, err, sizeof err) != 0) ... skip, err says why
 *   spl_trace_add_pid(t, worker_pid);   ... before the workers start
 *   ... run ...
 *   json_object *k = spl_trace_snapshot(t, false);
 *   spl_trace_render(k, stdout);         ... libbpf-tools style text
 *   spl_trace_close(t);
 *
 * Only available when the bpf part was built: callers guard with
 * #ifdef SPLSUITE_HAVE_TRACE (exported by spltrace_dep).
 */
#ifndef SPLSUITE_TRACE_EMBED_H
#define SPLSUITE_TRACE_EMBED_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

enum { SPL_TRACE_MADVISE = 1, SPL_TRACE_EVENTFD = 2 };

struct spl_trace_opts {
    unsigned probes;          /* SPL_TRACE_* */
    const pid_t *pids;        /* processes (tgids) to trace; npids 0 and no cgroup: all */
    size_t npids;
    bool filter_pids;         /* filter by pid even when npids is 0 (add them later) */
    const char *cgroup;       /* cgroup v2 directory to trace, or NULL */
    bool children;            /* the pid filter also matches descendants (forked workers) */
    const char *impl_path;    /* library whose splinter_madvise gets the uprobe, or NULL */
    const char *const *more_impls; /* further libraries to uprobe (bench --impl A --impl B) */
    size_t nmore_impls;
    bool impls_optional;      /* a library that cannot take the uprobe is skipped with a warning */
    bool millis;              /* log2 slots in msecs instead of usecs */
    bool events;              /* stream per-call records (spl_trace_poll) */
    bool verbose;             /* libbpf debug output on stderr */
};

struct spl_trace;

/* 0; or SPL_EXIT_SKIP (BPF unavailable: err says which part) or
 * SPL_EXIT_FAIL (load/attach failed) with the reason in err. */
int spl_trace_open(const struct spl_trace_opts *o, struct spl_trace **out, char *err, size_t errlen);
/* Adds a process to the pid filter (the opts must have set filter_pids or pids). */
int spl_trace_add_pid(struct spl_trace *t, pid_t pid);
/* Takes it out again (a reaped worker, before its pid can be reused). */
int spl_trace_del_pid(struct spl_trace *t, pid_t pid);
/*
 * Everything counted so far as one JSON object (schema in docs/trace.md):
 * {"schema":"splsuite-trace/1","unit","features",
 *  "madvise":[...], "splinter_madvise":[...], "eventfd":{"writes":[...],"pairs":[...]}}
 * reset clears the probes' histograms afterwards (interval mode).
 */
json_object *spl_trace_snapshot(struct spl_trace *t, bool reset);
/* Per-call records (--events): calls fn for each, waiting up to timeout_ms. */
struct trace_rec;
int spl_trace_poll(struct spl_trace *t, int timeout_ms, void (*fn)(const struct trace_rec *r, void *arg), void *arg);
void spl_trace_close(struct spl_trace *t);

/*
 * For a command's --trace (bench, torture): the madvise and eventfd probes on
 * this process and every process it forks afterwards, plus the
 * splinter_madvise uprobe on each library given (NULL entries and libraries
 * that cannot take it are skipped with a warning). NULL when BPF cannot
 * run, with the reason on stderr prefixed by "splsuite CMD: --trace:": the
 * command then goes on without kernel-side figures.
 */
struct spl_trace *spl_trace_start_self(const char *cmd, const char *const *impl_paths, size_t n);
/* Detaches t and returns everything it counted (the caller owns the JSON,
 * e.g. adds it as "kernel_trace" to its report); NULL for t NULL. */
json_object *spl_trace_stop(struct spl_trace *t);
/* The stopped snapshot as text under a "kernel side" heading; nothing for NULL. */
void spl_trace_print_kernel(json_object *snap, FILE *out);

/*
 * Per case, for a driver that knows its workers' pids (bench's worker hook):
 * the probes trace only the workers between begin and end, and each case's
 * snapshot is kept under its name (repetitions merged). begin/end have the
 * shape of bench's struct bench_trace_hook, with the cases as arg.
 */
struct spl_trace_cases;
struct spl_trace_cases *spl_trace_cases_start(const char *cmd, const char *const *impl_paths, size_t n);
void spl_trace_case_begin(const char *case_name, const pid_t *pids, int n, void *cases);
void spl_trace_case_end(const char *case_name, const pid_t *pids, int n, void *cases);
/* {"schema": "splsuite-trace-cases/1", "cases": {NAME: snapshot}}; NULL for NULL. */
json_object *spl_trace_cases_stop(struct spl_trace_cases *c);
/* One line per case: madvise calls and p50/p99, splinter_madvise outcomes,
 * eventfd wakes and write->wake / write->return p50/p99. */
void spl_trace_cases_print(json_object *cases, FILE *out);

/* The snapshot as libbpf-tools text: log2 histograms per advice and per
 * writer-node x waiter-node pair, tables by node, process and shard. */
void spl_trace_render(json_object *snap, FILE *out);
/* Adds snapshot src into dst (same unit and schema): -1 with a reason otherwise. */
int spl_trace_merge(json_object *dst, json_object *src, char *err, size_t errlen);

#endif
