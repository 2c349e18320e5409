/*
 * bench.h - internals of `splsuite bench`: options, the result model every
 * workload fills, the process machinery workers run in, and the hook the
 * tracer attaches to.
 *
 * Model: a workload enumerates CASES (one parameter combination each). For
 * every case the driver runs REPETITIONS, and inside each repetition every
 * implementation in turn (A, B, A, B, ...), so slow drift of the machine
 * hits all implementations alike. Each (case, implementation) pair becomes
 * one struct bres row: the per-repetition primary figure (median + spread),
 * a latency histogram merged over repetitions where the workload has one,
 * and perf counters summed over the workers.
 */
#ifndef SPLSUITE_BENCH_H
#define SPLSUITE_BENCH_H

#include "hist.h"
#include "impl.h"
#include "perfctr.h"
#include "proc.h"
#include "splnuma.h"

#include <json-c/json.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sched.h>
#include <sys/types.h>

#define BENCH_SCHEMA "splsuite-bench/2"
#define BENCH_MAX_IMPLS 4
#define BENCH_MAX_REPS 32
#define BENCH_MAX_WORKERS 16
#define BENCH_MAX_LIST 16
#define BENCH_MAX_WORKLOADS 16

struct bench_opts;
struct bench_results;

/* One workload, as stress-ng describes a stressor: the word on the command
 * line (and the JSON "workload"), one line of help, the options it reads,
 * and its run. A new workload is one wl_*.c defining one of these plus one
 * line in bench_workloads (workloads.c); the help, the argument check and
 * the output order all come from that list. */
struct bench_workload {
    const char *name;
    const char *help;
    const char *const *options; /* long options (without --) the run reads, NULL-terminated */
    int (*run)(struct bench_opts *o, struct bench_results *rs); /* adds its rows to rs */
    /* Optional: a line under the workload's table (e.g. the NUMA 1x1 note). */
    void (*table_note)(const struct bench_opts *o, FILE *out);
    /* Optional: the goals its rows are judged on (measured, never asserted):
     * one JSON object per judgement into arr, and a line on human if not NULL.
     * Rows are found by their parameters (bench_param_*), never by parsing names. */
    void (*targets)(const struct bench_opts *o, const struct bench_results *rs, json_object *arr, FILE *human);
    /* Optional: the names a list option it reads accepts ("ops" -> set, get, ...),
     * NULL-terminated, or NULL: the option table refuses any other name. */
    const char *const *(*choices)(const char *option);
};
extern const struct bench_workload bench_wl_ops, bench_wl_wake, bench_wl_madvise, bench_wl_flush, bench_wl_numa;
/* Every workload, in run and output order; NULL-terminated. */
extern const struct bench_workload *const bench_workloads[];

struct bench_list { /* a parsed "64,4096" option */
    int n;
    uint64_t v[BENCH_MAX_LIST];
};

struct bench_opts {
    bool wl[BENCH_MAX_WORKLOADS]; /* indexed like bench_workloads */
    int nimpls;
    struct spl_impl impls[BENCH_MAX_IMPLS];
    int reps;               /* repetitions per (case, impl) */
    uint64_t run_ns;        /* measured time of one ops repetition */
    uint64_t warmup_ns;     /* untimed work before measuring */
    uint64_t wake_iters;    /* round trips per wake repetition */
    uint64_t flush_iters;   /* flushes per flush repetition (upper bound) */
    uint64_t slots;
    uint64_t working_set;   /* ops: distinct keys a worker cycles through; 0 = all the store's keys */
    struct bench_list vsizes, fills, procs, dirty;
    bool procs_given;       /* --procs was on the command line (flush: its process counts, else 1 and 4) */
    struct bench_list miss_fills; /* ops: fill levels of the get-miss rows */
    const char *only_ops;   /* comma list filter of op names, NULL = all */
    const char *only_strategies;
    unsigned sfr_flags;     /* fio sync_file_range= flags for the sfr strategies */
    bool pin;               /* pin workers to distinct CPUs */
    struct spl_numa_policy numa;
    struct spl_numa_topo topo;
    bool quick;
    bool json, csv, table;
    const char *out_path;
    const char *dir;        /* directory of file-backed stores */
    uint64_t seed;
    bool progress;
    double load_start[3]; /* getloadavg() when the run began, -1 unknown */
    const struct spl_envelope *envelope; /* run identity of the JSON (lib/envelope.h); NULL: none */
};

struct spl_envelope;

/* What became of a row, typed: JSON "status" (bench_outcome_name) with the
 * human "reason" beside it, never a prefix of one string. */
enum bench_outcome {
    BENCH_OK = 0,
    BENCH_UNSUPPORTED,   /* the implementation or this machine lacks it (a symbol, io_uring, a file backend) */
    BENCH_NOT_PERMITTED, /* it exists but we may not use it here (EPERM: SQPOLL without CAP_SYS_NICE) */
    BENCH_REJECTED,      /* the kernel refused the combination, as documented (fsync on an IOPOLL ring) */
    BENCH_ERROR,         /* something broke: a failed call, a crash, a hang (exit status 1) */
};
const char *bench_outcome_name(enum bench_outcome s); /* "ok", "unsupported", "not permitted", "rejected", "error" */

/* One result row: a case measured on one implementation. */
struct bres {
    const struct bench_workload *wl;
    char name[160];   /* case name without implementation: "set/v:64/fill:50" */
    int impl;         /* index into opts.impls */
    char unit[16];    /* unit of the primary figure: "ns/op", "ns", "flushes/s" */
    bool lower_is_better;
    int nreps;
    double rep[BENCH_MAX_REPS]; /* primary figure per repetition */
    double rep_cpu[BENCH_MAX_REPS]; /* cpu ns/op per repetition (ops), else 0 */
    uint64_t iterations; /* per repetition (last) */
    double median, min, max, spread_pct; /* spread = (max-min)/median */
    double rate_median;  /* ops/s or flushes/s median */
    bool has_hist;
    struct spl_hist hist;  /* merged over repetitions */
    bool has_sync_hist;
    struct spl_hist sync_hist; /* flush: the sync call alone (fio's sync block) */
    struct spl_perfctr perf;   /* summed over repetitions and workers */
    uint64_t perf_ops;         /* operations the counters cover */
    enum bench_outcome status;
    char reason[192];   /* why it is not ok; "" when ok */
    json_object *params; /* owned */
    json_object *extra;  /* workload-specific figures, owned */
};

struct bench_results {
    int n, cap;
    struct bres *r;
};

/* ---- process machinery (bench/proc.c) ------------------------------------ */

/* What one worker process reports back through shared memory. */
struct wres {
    int done;            /* 1 once the worker filled this in */
    int failed;
    enum bench_outcome outcome; /* of a failed worker: BENCH_ERROR unless it said otherwise */
    char why[160];
    uint64_t ops;
    uint64_t ns;         /* wall time of the measured loop */
    uint64_t cpu_ns;     /* task-clock of the measured loop */
    uint64_t eagain;     /* contested reads/writes retried */
    double x[8];         /* workload-specific numbers */
    struct spl_perfctr perf;
    uint64_t hcount[(65 - SPL_HIST_DEFAULT_SUB_BITS) << SPL_HIST_DEFAULT_SUB_BITS];
    uint64_t hsync[(65 - SPL_HIST_DEFAULT_SUB_BITS) << SPL_HIST_DEFAULT_SUB_BITS];
    uint64_t hmin, hmax, smin, smax;
    double hsum, hsumsq, ssum, ssumsq;
};

/* Shared by the driver and its workers (MAP_SHARED | MAP_ANONYMOUS). */
struct wshared {
    struct spl_startline line; /* workers meet here; the driver says go, and stop when time is up */
    _Atomic uint64_t t0;   /* wake: timestamp of the write being measured */
    _Atomic uint64_t seq;
    int nworkers;
    char case_name[200]; /* for the tracer hook */
    struct wres w[BENCH_MAX_WORKERS];
};

typedef void (*bench_worker_fn)(int idx, struct wshared *sh, void *arg);

struct wshared *bench_shared_new(int nworkers);
void bench_shared_free(struct wshared *sh);
/* Forks nworkers processes running fn(i, sh, arg), worker i restricted to
 * the CPUs cpus_of[i] (NULL or an empty set: inherit). Returns after they
 * are all at the start line; pids filled. -1 if a fork failed. */
int bench_spawn(struct wshared *sh, bench_worker_fn fn, void *arg, const cpu_set_t *cpus_of, pid_t *pids,
                const char *case_name);
/* cpus_of for --pin: worker i on the i-th allowed CPU (round robin), or
 * inherited affinity when pin is false. */
void bench_pin_plan(const struct bench_opts *o, int nworkers, cpu_set_t *cpus_of);
/* Lets spawned workers start, waits run_ns (0 = until they finish), tells
 * them to stop and reaps them within timeout_ns; a worker that crashed or
 * hung is reported in its wres (failed, why). 0 if all succeeded. npids is
 * the length of pids (= the nworkers given to bench_shared_new): the count is
 * the caller's, not read back from the shared page the workers can write. */
int bench_run_wait(struct wshared *sh, const pid_t *pids, int npids, uint64_t run_ns, uint64_t timeout_ns);
/* Worker side: announce readiness and wait for go. */
void bench_worker_ready(struct wshared *sh);
/* Worker side: record into the shared histogram slots. */
/* End of a worker's measurement: stop the counters, keep their values in w, close them. */
void wres_take_perf(struct wres *w, struct spl_perfctr *pc);
void wres_hist_record(struct wres *w, uint64_t v);
void wres_sync_record(struct wres *w, uint64_t v);
/* Driver side: merges the worker's histogram (or its sync one) into h; 0, or -1 (ENOMEM). */
int wres_hist_to(const struct wres *w, struct spl_hist *h, bool sync);
/* Driver side: p50 and count of the worker's histogram alone (one repetition); 0 or -1 (ENOMEM). */
int wres_hist_p50(const struct wres *w, double *p50, uint64_t *count);
/* Worker side: fail with a reason (printf style) and end the worker: an
 * error, or the given outcome (unsupported, not permitted, rejected). */
void wres_fail(struct wres *w, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void wres_refuse(struct wres *w, enum bench_outcome why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* Runs fn(arg) in one forked child that reports through w; used for store
 * setup. 0 if it succeeded; else reason copied to why. */
int bench_in_child(void (*fn)(struct wres *w, void *arg), void *arg, char *why, size_t whylen, uint64_t timeout_ns);

/* CPUs the workers may use (the affinity mask after --cpunodebind). */
int bench_cpus(int *cpus, int max);

/* ---- tracer hook --------------------------------------------------------- */
/* Called with the pids of a case's workers after they are forked and before
 * they start, and again after they were reaped (pids still valid as ids).
 * `splsuite bench --trace` attaches its probes here. NULL = no tracer. */
struct bench_trace_hook {
    void (*workers_started)(const char *case_name, const pid_t *pids, int n, void *arg);
    void (*workers_done)(const char *case_name, const pid_t *pids, int n, void *arg);
    void *arg;
};
extern struct bench_trace_hook bench_trace;

/* ---- stores ---------------------------------------------------------------- */
struct bench_store {
    char name[512];   /* name passed to the implementation */
    char path[4096];  /* backing file (/dev/shm/... or the file) */
    uint64_t slots, max_val;
};
/* Creates a store for im in a child process (the implementation's globals
 * stay untouched in the driver), fills fill% of the slots with keys
 * "k<i>" and values of vsize bytes. 0, or -1 with why. */
/* With --membind the pages are then placed on those nodes and verified
 * (bench_store_place), the finding recorded in extra when not NULL. */
int bench_store_create(const struct bench_opts *o, const struct spl_impl *im, const char *tag, uint64_t slots,
                       uint64_t max_val, uint64_t nkeys, uint64_t vsize, struct bench_store *st, json_object *extra,
                       char *why, size_t whylen);
void bench_store_remove(const struct spl_impl *im, struct bench_store *st);
/* Places the store's pages on nodes with mbind and checks with move_pages.
 * Adds {"requested", "pages_on": {"node": n}, "not_present", "ok"} to extra. */
int bench_store_place(struct bench_store *st, const struct spl_nodemask *nodes, json_object *extra, char *why,
                      size_t whylen);
void bench_key(char *buf, size_t len, uint64_t i);

/* ---- results --------------------------------------------------------------- */
/* The row of (wl, name, impl), created if new; NULL (errno ENOMEM) when
 * there is no memory for it: the workload's run then returns -1. */
struct bres *bench_result_new(struct bench_results *rs, const struct bench_workload *wl, const char *name,
                              int impl, const char *unit, bool lower_is_better);
struct bres *bench_result_find(struct bench_results *rs, const struct bench_workload *wl, const char *name, int impl);
void bench_result_finish(struct bres *r); /* median, spread */
void bench_results_free(struct bench_results *rs);
/* Is name in the comma list (--ops, --strategy)? A NULL list has everything. */
bool bench_list_has(const char *list, const char *name);
/* The row of case name on implementation impl, or NULL. */
const struct bres *bench_row(const struct bench_results *rs, const struct bench_workload *wl, const char *name,
                             int impl);
/* A row's parameter: "" / 0 when it has none. */
const char *bench_param_str(const struct bres *r, const char *key);
uint64_t bench_param_u64(const struct bres *r, const char *key);
/* A JSON number, or JSON null when v is not finite (NaN from a missing figure). */
json_object *bench_json_double(double v);
/* Marks r not ok (the first reason is kept). */
void bench_status(struct bres *r, enum bench_outcome st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A failed worker's outcome and reason onto its row. */
void bench_status_from(struct bres *r, const struct wres *w);

/* ---- workloads --------------------------------------------------------------- */
/* Progress line on stderr once a run lasts over a second. */
void bench_progress(const struct bench_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bench_progress_done(const struct bench_opts *o);

/* Shared by wake and the NUMA matrix: one repetition of a wake kind
 * ("bus", "eventfd", "signal") between a writer on cpus[0] and a waiter on
 * cpus[1] into r (p50 as the repetition figure, histogram merged). */
void wake_measure(struct bench_opts *o, int ii, const char *kind, const cpu_set_t *cpus, struct bres *r,
                  const struct spl_nodemask *place);
/* Shared by ops and the NUMA matrix: one writer (set) and one reader (get)
 * on the same keys, concurrently; reader ns/op into r, writer's in extra. */
void ops_pair_measure(struct bench_opts *o, int ii, uint64_t vsize, const cpu_set_t *cpus, struct bres *r,
                      const struct spl_nodemask *place);

/* ---- output (bench/output.c) ------------------------------------------------ */
json_object *bench_json(const struct bench_opts *o, const struct bench_results *rs, int argc, char **argv);
void bench_table(const struct bench_opts *o, const struct bench_results *rs, FILE *out);
void bench_csv(const struct bench_opts *o, const struct bench_results *rs, FILE *out);
/* bench/output_gbench.c: every row as Google Benchmark "context" and
 * "benchmarks" entries, and as Bencher Metric Format (--bmf). */
json_object *bench_gbench_context(const struct bench_opts *o);
void bench_gbench_entries(const struct bench_opts *o, const struct bench_results *rs, json_object *arr);
json_object *bench_bmf(const struct bench_opts *o, const struct bench_results *rs);

#endif
