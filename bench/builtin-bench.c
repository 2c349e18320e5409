/*
 * builtin-bench.c - `splsuite bench`: option parsing and the run of the chosen
 * workloads over every --impl, then table / JSON / CSV output.
 */
#include "bench.h"
#include "commands.h"
#include "envelope.h"
#include "util.h"
/* --trace: the eBPF probes of `splsuite trace` per case, through the worker
 * hook. bench/ is configured before bpf/, so (as torture does) the entry
 * points are weak: NULL when splsuite was built without the bpf part. */
#include "../bpf/trace_embed.h"
#pragma weak spl_trace_cases_start
#pragma weak spl_trace_case_begin
#pragma weak spl_trace_case_end
#pragma weak spl_trace_cases_stop
#pragma weak spl_trace_cases_print
/* --db: the results store (results/), weak for the same reason */
#include "../results/results_db.h"
#pragma weak results_db_store

#include <errno.h>
#include "opt.h"
#include "outfile.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMD "bench"

/* "ops, wake, ..." from the workload list, for help and errors */
static void workload_names(char *buf, size_t len, const char *sep)
{
    size_t off = 0;
    buf[0] = 0;
    for (int w = 0; bench_workloads[w] && off < len; w++)
        off += (size_t)snprintf(buf + off, len - off, "%s%s", w ? sep : "", bench_workloads[w]->name);
}

/* The command line, one table. Lists (value sizes, fills, ...) are checked
 * item by item here and kept as text until --quick has chosen their defaults. */
static struct bench_opts o; /* large (impls), keep it off the stack */
static struct {
    const char *impl[BENCH_MAX_IMPLS];
    int nimpl;
    const char *vs, *fills, *miss_fills, *procs, *dirty, *ops, *strategies, *store_dir, *bmf, *db, *cpunodes, *memnodes;
    uint32_t reps;
    uint64_t run_ns, warm_ns, iters, fiters, slots, sfr;
    bool reps_set, run_set, warm_set, iters_set, fiters_set, progress, no_progress, trace;
} B;

static int add_impl(const char *arg, void *dest, char *err, size_t errlen)
{
    (void)dest;
    if (B.nimpl == BENCH_MAX_IMPLS) return snprintf(err, errlen, "at most %d implementations", BENCH_MAX_IMPLS), -1;
    B.impl[B.nimpl++] = arg;
    return 0;
}

/* A comma list of sizes (or 'all' where allowed) in [lo, hi]; kept as text. */
static int check_sizes(const char *arg, bool all_ok, uint64_t lo, uint64_t hi, char *err, size_t errlen)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", arg);
    int n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save), n++) {
        uint64_t v;
        if (n == BENCH_MAX_LIST) return snprintf(err, errlen, "at most %d items", BENCH_MAX_LIST), -1;
        if (all_ok && !strcmp(t, "all")) continue;
        char why[200];
        if (spl_opt_size(t, lo, hi, &v, why, sizeof why) != 0) return snprintf(err, errlen, "item '%s': %s", t, why), -1;
    }
    return n ? 0 : (snprintf(err, errlen, "an empty list"), -1);
}
#define LIST_PARSER(fn, field, all_ok, lo, hi)                                 \
    static int fn(const char *arg, void *dest, char *err, size_t errlen)      \
    {                                                                          \
        (void)dest;                                                            \
        if (check_sizes(arg, all_ok, lo, hi, err, errlen) != 0) return -1;    \
        B.field = arg;                                                         \
        return 0;                                                              \
    }
LIST_PARSER(set_vs, vs, false, 1, 64u << 20)
LIST_PARSER(set_fills, fills, false, 1, 100)
LIST_PARSER(set_miss_fills, miss_fills, false, 1, 100)
LIST_PARSER(set_procs, procs, false, 1, BENCH_MAX_WORKERS / 2)
LIST_PARSER(set_dirty, dirty, true, 1, 1u << 20)

/* --ops and --strategy: every name must be one a workload offers */
static int check_names(const char *arg, const char *option, char *err, size_t errlen)
{
    const char *names[256];
    size_t n = 0;
    for (int w = 0; bench_workloads[w]; w++) {
        const char *const *c = bench_workloads[w]->choices ? bench_workloads[w]->choices(option) : NULL;
        for (; c && *c && n < 255; c++) names[n++] = *c;
    }
    names[n] = NULL;
    uint64_t bits;
    if (n > 64) return 0; /* more names than a bit set holds: left to the workload */
    return spl_opt_list(arg, names, &bits, err, errlen);
}
static int set_ops(const char *arg, void *dest, char *err, size_t errlen)
{
    (void)dest;
    if (check_names(arg, "ops", err, errlen) != 0) return -1;
    B.ops = arg;
    return 0;
}
static int set_strategies(const char *arg, void *dest, char *err, size_t errlen)
{
    (void)dest;
    if (check_names(arg, "strategy", err, errlen) != 0) return -1;
    B.strategies = arg;
    return 0;
}

static const char *const sfr_names[] = {"wait_before", "write", "wait_after", NULL}; /* SYNC_FILE_RANGE_* = 1, 2, 4 */

static const struct spl_opt bench_opts_table[] = {
    {"impl", 'i', SPL_OPT_CALL, .arg = "SPEC", .help = "ref, ref-file, mut:NAME, mut-file:NAME or a .so path; repeatable",
     .def_help = "--impl ref --impl ref-file", .parse = add_impl, .group = "Implementations"},
    {"repetitions", 'r', SPL_OPT_UINT, SPL_OPT_DEST(B.reps), "N", "repetitions per case and implementation (medians + spread)",
     .def_help = "3; 1 with --quick", .min = 1, .max = BENCH_MAX_REPS, .seen = &B.reps_set, .group = "Measurement"},
    {"time", 0, SPL_OPT_DURATION, SPL_OPT_DEST(B.run_ns), "TIME", "measured time of one ops repetition",
     .def_help = "200ms; 20ms with --quick", .min = 1000000, .max = 3600000000000ull, .seen = &B.run_set},
    {"warmup", 0, SPL_OPT_DURATION, SPL_OPT_DEST(B.warm_ns), "TIME", "untimed work before each measurement",
     .def_help = "50ms; 5ms with --quick", .max = 3600000000000ull, .seen = &B.warm_set},
    {"iterations", 0, SPL_OPT_SIZE, SPL_OPT_DEST(B.iters), "N", "wake round trips per repetition",
     .def_help = "2000; 200 with --quick", .min = 1, .max = 1000000000, .seen = &B.iters_set},
    {"flush-iterations", 0, SPL_OPT_SIZE, SPL_OPT_DEST(B.fiters), "N", "flushes per flush repetition, at most",
     .def_help = "100; 10 with --quick", .min = 1, .max = 1000000000, .seen = &B.fiters_set},
    {"quick", 0, SPL_OPT_FLAG, SPL_OPT_DEST(o.quick), NULL, "smoke-sized run (1 repetition, short times, small lists)"},
    {"pin", 0, SPL_OPT_FLAG, SPL_OPT_DEST(o.pin), NULL, "pin each worker to its own CPU"},
    {"seed", 's', SPL_OPT_UINT, SPL_OPT_DEST(o.seed), "N", "key order seed (fixed, so runs are comparable)", .def = "0x5eed"},
    {"slots", 0, SPL_OPT_SIZE, SPL_OPT_DEST(B.slots), "N", "store slots", .def = "1024", .min = 1, .max = 1u << 20,
     .group = "Parameters"},
    {"value-size", 0, SPL_OPT_CALL, .arg = "LIST", .help = "value sizes, e.g. 64,4096 (at most 64M)",
     .def_help = "64,4096; 64 with --quick", .parse = set_vs},
    {"fill", 0, SPL_OPT_CALL, .arg = "LIST", .help = "store fill levels in %", .def_help = "50", .parse = set_fills},
    {"miss-fill", 0, SPL_OPT_CALL, .arg = "LIST", .help = "fill levels in % of the get-miss rows (absent keys)",
     .def_help = "10,50,90; 50 with --quick", .parse = set_miss_fills},
    {"working-set", 0, SPL_OPT_SIZE, SPL_OPT_DEST(o.working_set), "N",
     "ops: each worker cycles through N of the store's keys", .def_help = "all of them, each once a pass, shuffled",
     .min = 1, .max = 1u << 20},
    {"procs", 0, SPL_OPT_CALL, .arg = "LIST", .help = "processes for the multi-process ops shapes; flush: processes flushing one store at once",
     .def_help = "ops: 1,2 (2 with --quick); flush: 1,4 at 1 dirty slot and the first value size", .parse = set_procs},
    {"ops", 0, SPL_OPT_CALL, .arg = "LIST", .help = "only these ops: set, get, miss, append, intop, raw, list, enum, mp",
     .parse = set_ops},
    {"dirty", 0, SPL_OPT_CALL, .arg = "LIST", .help = "flush: dirty slots per flush; 'all' = every slot",
     .def_help = "1,16,all; 1,all with --quick", .parse = set_dirty},
    {"fsync", 0, SPL_OPT_CALL, .arg = "N", .help = "fio spelling of --dirty N (one flush every N writes)", .parse = set_dirty},
    {"fdatasync", 0, SPL_OPT_CALL, .arg = "N", .help = "the same", .parse = set_dirty},
    {"sync-file-range", 0, SPL_OPT_LIST, SPL_OPT_DEST(B.sfr), "FLAGS", "fio's flags for the sfr strategies", .def = "write",
     .choices = sfr_names},
    {"strategy", 0, SPL_OPT_CALL, .arg = "LIST", .help = "flush: only these strategies (names as in the table)",
     .parse = set_strategies},
    {"store-dir", 0, SPL_OPT_STR, SPL_OPT_DEST(B.store_dir), "DIR", "directory of file-backed stores",
     .def_help = "$TMPDIR, else /tmp"},
    {"dir", 0, SPL_OPT_STR, SPL_OPT_DEST(B.store_dir), "DIR", "old spelling of --store-dir", .flags = SPL_OPT_HIDDEN},
    {"cpunodebind", 0, SPL_OPT_STR, SPL_OPT_DEST(B.cpunodes), "NODES",
     "run every worker on the CPUs of NODES (e.g. 0, 1-2, all, !0, +0)", .group = "NUMA (as numactl)"},
    {"membind", 0, SPL_OPT_STR, SPL_OPT_DEST(B.memnodes), "NODES", "allocate on NODES; every store is mbind'ed there and verified"},
    {"json", 'j', SPL_OPT_FLAG, SPL_OPT_DEST(o.json), NULL, "JSON (schema " BENCH_SCHEMA ") on stdout, or in -o FILE",
     .group = "Output"},
    {"csv", 0, SPL_OPT_FLAG, SPL_OPT_DEST(o.csv), NULL, "CSV on stdout, or in -o FILE"},
    {"output", 'o', SPL_OPT_STR, SPL_OPT_DEST(o.out_path), "FILE", "write the JSON (or CSV) there ('-': stdout) and the table on stdout"},
    {"bmf", 0, SPL_OPT_STR, SPL_OPT_DEST(B.bmf), "FILE", "also write every row in Bencher Metric Format (bencher run --adapter json)"},
    {"db", 0, SPL_OPT_STR, SPL_OPT_DEST(B.db), "URL", "also keep the run in a results store (splsuite db; a file or postgresql://)"},
    {"progress", 0, SPL_OPT_FLAG, SPL_OPT_DEST(B.progress), NULL, "progress lines on stderr even when it is not a terminal"},
    {"no-progress", 0, SPL_OPT_FLAG, SPL_OPT_DEST(B.no_progress), NULL, "no progress lines on stderr"},
    {"trace", 0, SPL_OPT_FLAG, SPL_OPT_DEST(B.trace), NULL,
     "kernel-side madvise and eventfd latency of each case's workers (eBPF, as splsuite trace; needs root and the bpf part)"},
    {0},
};

static char bench_about[2048];
static struct spl_cmd bench_cmd = {
    .name = "bench",
    .usage = "[WORKLOAD...] [OPTIONS]",
    .about = bench_about,
    .opts = bench_opts_table,
    .examples = "splsuite bench --quick\n"
                "splsuite bench ops --impl ref --impl /path/to/libsplinter.so --ops set,get\n"
                "splsuite bench wake --pin --iterations 20000 --json -o wake.json\n"
                "splsuite bench flush --impl ref-file --dirty 1,8 --value-size 4096 --store-dir /var/tmp\n"
                "splsuite bench numa --cpunodebind 0 --membind 0\n"
                "splsuite plot wake.json --outdir plots",
    .exit_ok = "ran (targets are reported, never enforced)",
    .exit_fail = "a case failed or an implementation crashed, hung or failed in the probe",
};

/* The workloads and the options each reads, under the paragraph of --help. */
static void make_about(void)
{
    size_t n = (size_t)snprintf(bench_about, sizeof bench_about,
                                "Measures Splinter implementations. Two or more --impl run interleaved (A,B,A,B per\n"
                                "repetition) and are reported side by side with ratios against the first. The\n"
                                "implementations run only in the workers, never in this process.\n\nWorkloads (default: all):");
    for (int w = 0; bench_workloads[w] && n < sizeof bench_about; w++) {
        const struct bench_workload *wl = bench_workloads[w];
        n += (size_t)snprintf(bench_about + n, sizeof bench_about - n, "\n  %-9s %s\n            reads:", wl->name, wl->help);
        int col = 18;
        for (int k = 0; wl->options && wl->options[k] && n < sizeof bench_about; k++) {
            if (col + 3 + (int)strlen(wl->options[k]) > 88) {
                n += (size_t)snprintf(bench_about + n, sizeof bench_about - n, "\n                  ");
                col = 18;
            }
            int w2 = snprintf(bench_about + n, sizeof bench_about - n, " --%s", wl->options[k]);
            n += (size_t)w2, col += w2;
        }
    }
}

static int parse_list(const char *s, struct bench_list *l, bool allow_all, uint64_t all_value)
{
    l->n = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (l->n == BENCH_MAX_LIST) return -1;
        uint64_t v;
        if (allow_all && strcmp(t, "all") == 0) v = all_value;
        else if (spl_parse_size(t, &v) != 0 || v == 0) return -1; /* checked by the table already */
        l->v[l->n++] = v;
    }
    return l->n ? 0 : -1;
}

static int si_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* Loads every --impl (labels made distinct); 0, or the exit status of the
 * first that cannot be loaded (the others are unloaded). */
static int load_impls(struct bench_opts *bo, const char *const *specs, int nspecs)
{
    char err[1024];
    for (int i = 0; i < nspecs; i++) {
        if (spl_impl_load(specs[i], &bo->impls[bo->nimpls], err, sizeof err) != 0) {
            spl_err(CMD, "--impl %s: %s", specs[i], err);
            bool fault = bo->impls[bo->nimpls].at_fault;
            for (int k = 0; k < bo->nimpls; k++) spl_impl_unload(&bo->impls[k]);
            return fault ? SPL_EXIT_FAIL : SPL_EXIT_USAGE;
        }
        /* two specs with one label (two paths named libsplinter.so) stay apart */
        for (int k = 0; k < bo->nimpls; k++)
            if (strcmp(bo->impls[k].label, bo->impls[bo->nimpls].label) == 0) {
                size_t l = strlen(bo->impls[bo->nimpls].label);
                snprintf(bo->impls[bo->nimpls].label + (l > 56 ? 56 : l), 8, "#%d", bo->nimpls + 1);
            }
        bo->nimpls++;
    }
    return 0;
}

/* --trace: the kernel-side probes of each case's workers, through the
 * worker hook; NULL (with a note) when they cannot run. */
static struct spl_trace_cases *start_trace(const struct bench_opts *bo)
{
    if (!(spl_trace_cases_start && spl_trace_case_begin && spl_trace_case_end && spl_trace_cases_stop &&
          spl_trace_cases_print)) {
        spl_err(CMD, "--trace: this splsuite was built without the bpf part (splsuite trace); going on without "
                     "kernel-side figures");
        return NULL;
    }
    const char *kpaths[BENCH_MAX_IMPLS];
    for (int k = 0; k < bo->nimpls; k++) kpaths[k] = bo->impls[k].madvise ? bo->impls[k].path : NULL;
    struct spl_trace_cases *kt = spl_trace_cases_start(CMD, kpaths, (size_t)bo->nimpls);
    if (kt) bench_trace = (struct bench_trace_hook){spl_trace_case_begin, spl_trace_case_end, kt};
    return kt;
}

/* The table, JSON, CSV, results database and BMF outputs asked for; the
 * number of them that failed. */
static int write_outputs(const struct bench_opts *bo, const struct bench_results *rs, int argc, char **argv,
                         json_object *ktrace, const char *db_url, const char *bmf_path)
{
    int nfail = 0, intr = spl_interrupted();
    char err[700], sn[32];
    struct spl_outfile of;
    FILE *mout = NULL;
    bool machine_on_stdout = (bo->json || bo->csv) && (!bo->out_path || !strcmp(bo->out_path, "-"));
    if (bo->json || bo->csv) {
        if (spl_outfile_open(&of, bo->out_path ? bo->out_path : "-", err, sizeof err) != 0) {
            spl_err(CMD, "cannot write %s", err);
            nfail++;
        } else {
            mout = of.f;
        }
    }
    if ((mout && bo->json) || db_url) {
        json_object *j = bench_json(bo, rs, argc, argv);
        if (ktrace) json_object_object_add(j, "kernel_trace", json_object_get(ktrace));
        /* an interrupted run's rows are the cases that ran; the flag says the rest did not */
        json_object_object_add(j, "interrupted", json_object_new_boolean(intr != 0));
        if (intr) json_object_object_add(j, "signal", json_object_new_string(spl_signame(intr, sn, sizeof sn)));
        if (mout && bo->json)
            fprintf(mout, "%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        char msg[1500];
        if (db_url && !results_db_store) {
            spl_err(CMD, "--db: this splsuite was built without the results part");
            nfail++;
        } else if (db_url && results_db_store(j, db_url, msg, sizeof msg) != 0) {
            spl_err(CMD, "--db: %s (the JSON output is complete)", msg);
            nfail++;
        } else if (db_url) {
            fprintf(stderr, "splsuite bench: %s\n", msg);
        }
        json_object_put(j);
    }
    if (mout && bo->csv) bench_csv(bo, rs, mout);
    if (mout && spl_outfile_close(&of, err, sizeof err) != 0) { /* a full disk: nothing half-written is left */
        spl_err(CMD, "cannot write %s", err);
        nfail++;
    }
    if (bmf_path) {
        json_object *b = bench_bmf(bo, rs);
        if (spl_outfile_json(bmf_path, b, err, sizeof err) != 0) {
            spl_err(CMD, "--bmf: cannot write %s", err);
            nfail++;
        }
        json_object_put(b);
    }
    if (!machine_on_stdout) {
        bench_table(bo, rs, stdout);
        if (ktrace) spl_trace_cases_print(ktrace, stdout);
        if (intr) printf("\nINTERRUPTED by %s: the cases above ran; the others did not\n", spl_signame(intr, sn, sizeof sn));
    }
    json_object_put(ktrace);
    return nfail;
}

/* After an interrupt: rows that never measured a repetition go (the rest of
 * the run did not happen); a row cut short says so. */
static void drop_unrun(struct bench_results *rs)
{
    int k = 0;
    for (int i = 0; i < rs->n; i++) {
        struct bres *r = &rs->r[i];
        if (r->nreps == 0 && r->status == BENCH_ERROR) {
            if (r->has_hist) spl_hist_free(&r->hist);
            if (r->has_sync_hist) spl_hist_free(&r->sync_hist);
            json_object_put(r->params);
            json_object_put(r->extra);
            continue;
        }
        if (r->status == BENCH_ERROR) snprintf(r->reason, sizeof r->reason, "interrupted after %d repetition(s)", r->nreps);
        if (k != i) rs->r[k] = *r;
        k++;
    }
    rs->n = k;
}

/* The workloads named on the command line (all when none is). */
static int select_workloads(int argi, int argc, char **argv)
{
    bool any = false;
    for (int i = argi; i < argc; i++) {
        int w;
        for (w = 0; bench_workloads[w]; w++)
            if (strcmp(argv[i], bench_workloads[w]->name) == 0) break;
        if (!bench_workloads[w]) {
            char names[256];
            workload_names(names, sizeof names, ", ");
            return spl_opt_error(&bench_cmd, "unknown workload '%s' (%s)", argv[i], names);
        }
        o.wl[w] = any = true;
    }
    if (!any)
        for (int w = 0; bench_workloads[w]; w++) o.wl[w] = true;
    return SPL_EXIT_OK;
}

/* The parsed options into the run's parameters, with --quick's defaults;
 * the combinations no table row can refuse alone are refused here. */
static int resolve_options(void)
{
    if (o.json && o.csv) return spl_opt_error(&bench_cmd, "--json and --csv: choose one");
    if (B.progress && B.no_progress) return spl_opt_error(&bench_cmd, "--progress and --no-progress: choose one");
    if (o.out_path && !o.json && !o.csv) o.json = true;
    o.progress = B.progress || (!B.no_progress && isatty(STDERR_FILENO));
    o.only_ops = B.ops;
    o.only_strategies = B.strategies;
    o.sfr_flags = (unsigned)B.sfr; /* bit i of wait_before, write, wait_after is SYNC_FILE_RANGE_* = 1 << i */
    o.slots = B.slots;
    o.reps = B.reps_set ? (int)B.reps : o.quick ? 1 : 3;
    o.run_ns = B.run_set ? B.run_ns : o.quick ? 20000000ull : 200000000ull;
    o.warmup_ns = B.warm_set ? B.warm_ns : o.quick ? 5000000ull : 50000000ull;
    o.wake_iters = B.iters_set ? B.iters : o.quick ? 200 : 2000;
    o.flush_iters = B.fiters_set ? B.fiters : o.quick ? 10 : 100;
    parse_list(B.vs ? B.vs : o.quick ? "64" : "64,4096", &o.vsizes, false, 0);
    parse_list(B.fills ? B.fills : "50", &o.fills, false, 0);
    parse_list(B.miss_fills ? B.miss_fills : o.quick ? "50" : "10,50,90", &o.miss_fills, false, 0);
    parse_list(B.procs ? B.procs : o.quick ? "2" : "1,2", &o.procs, false, 0);
    o.procs_given = B.procs != NULL;
    parse_list(B.dirty ? B.dirty : o.quick ? "1,all" : "1,16,all", &o.dirty, true, o.slots);
    for (int i = 0; i < o.dirty.n; i++)
        if (o.dirty.v[i] > o.slots)
            return spl_opt_error(&bench_cmd, "--dirty %llu: the store has %llu slots (--slots)",
                                 (unsigned long long)o.dirty.v[i], (unsigned long long)o.slots);
    if (B.store_dir) {
        char why[300];
        if (spl_store_dir_problem(B.store_dir, 1u << 20, why, sizeof why))
            return spl_opt_error(&bench_cmd, "--store-dir '%s': %s", B.store_dir, why);
        o.dir = B.store_dir;
        spl_set_store_dir(o.dir);
        setenv("TMPDIR", o.dir, 1); /* and for what the workers make beside the store (the flush floor's file) */
    }
    if (B.cpunodes) {
        o.numa.cpubind = true;
        snprintf(o.numa.cpuspec, sizeof o.numa.cpuspec, "%s", B.cpunodes);
    }
    if (B.memnodes) {
        o.numa.membind = true;
        snprintf(o.numa.memspec, sizeof o.numa.memspec, "%s", B.memnodes);
    }
    return SPL_EXIT_OK;
}

/* NUMA first, so every worker and every store inherits it, as under numactl */
static int apply_numa(void)
{
    spl_numa_probe(&o.topo);
    char err[1024];
    if (o.numa.cpubind && spl_numa_parse_nodes(&o.topo, o.numa.cpuspec, &o.numa.cpunodes, err, sizeof err) != 0)
        return spl_opt_error(&bench_cmd, "--cpunodebind '%s': %s", o.numa.cpuspec, err);
    if (o.numa.membind && spl_numa_parse_nodes(&o.topo, o.numa.memspec, &o.numa.memnodes, err, sizeof err) != 0)
        return spl_opt_error(&bench_cmd, "--membind '%s': %s", o.numa.memspec, err);
    if (spl_numa_apply(&o.numa, err, sizeof err) != 0) { spl_err(CMD, "%s", err); return SPL_EXIT_FAIL; }
    return SPL_EXIT_OK;
}

/* Every selected workload in turn, under --trace's probes when asked.
 * SIGINT/SIGTERM: the case running is stopped (its workers' groups killed,
 * its store removed) and no further case starts. Returns how many workloads
 * stopped on an error; *ktrace gets the trace's findings. */
static int run_workloads(struct bench_results *rs, bool trace, json_object **ktrace)
{
    struct spl_trace_cases *kt = trace ? start_trace(&o) : NULL; /* --trace */
    int failed = 0;
    spl_interrupt_catch();
    for (int w = 0; bench_workloads[w] && !spl_interrupted(); w++)
        if (o.wl[w] && bench_workloads[w]->run(&o, rs) != 0 && !spl_interrupted()) {
            spl_err(CMD, "%s: %s; its remaining cases were not run", bench_workloads[w]->name, strerror(errno));
            failed++;
        }
    bench_progress_done(&o);
    *ktrace = NULL;
    if (kt) {
        bench_trace = (struct bench_trace_hook){0};
        *ktrace = spl_trace_cases_stop(kt);
    }
    return failed;
}

/* What ran, written (marked interrupted after an interrupt), and the exit
 * status it means: 130/143, 3 when a result could not be written, 2 when
 * the failures are the machine's, 1, 0, or 77 when no case could run. */
static int finish(struct bench_results *rs, int failed, int argc, char **argv, json_object *ktrace)
{
    int okrows = 0, intr = spl_interrupted();
    if (intr) drop_unrun(rs);
    for (int i = 0; i < rs->n; i++) {
        if (rs->r[i].status == BENCH_ERROR) failed++;
        if (rs->r[i].status == BENCH_OK) okrows++;
    }
    int wfail = write_outputs(&o, rs, argc, argv, ktrace, B.db, B.bmf); /* --db, --bmf */
    for (int i = 0; i < rs->n; i++)
        if (rs->r[i].status == BENCH_ERROR)
            spl_err(CMD, "%s %s [%s]: error: %s", rs->r[i].wl->name, rs->r[i].name, o.impls[rs->r[i].impl].label,
                    rs->r[i].reason);
    bench_results_free(rs);
    for (int k = 0; k < o.nimpls; k++) spl_impl_unload(&o.impls[k]);
    if (intr) {
        char sn[32];
        spl_err(CMD, "interrupted by %s: %d case(s) written, marked interrupted", spl_signame(intr, sn, sizeof sn), okrows);
        return spl_interrupt_status();
    }
    if (wfail) return SPL_EXIT_OUTPUT;
    char envwhy[300];
    for (int k = 0; failed && k < o.nimpls; k++)
        if (spl_impl_env_problem(&o.impls[k], 8u << 20, envwhy, sizeof envwhy)) {
            spl_err(CMD, "%s: the failed cases are this machine's problem, not the implementation's", envwhy);
            return SPL_EXIT_USAGE;
        }
    if (failed) return SPL_EXIT_FAIL;
    return okrows ? SPL_EXIT_OK : SPL_EXIT_SKIP;
}

int cmd_bench(int argc, char **argv)
{
    memset(&o, 0, sizeof o);
    memset(&B, 0, sizeof B);
    make_about();
    int argi, rc = spl_opt_parse(&bench_cmd, argc, argv, &argi);
    if (rc != SPL_OPT_OK) return rc == SPL_OPT_HELP ? SPL_EXIT_OK : rc;
    if ((rc = select_workloads(argi, argc, argv)) != SPL_EXIT_OK || (rc = resolve_options()) != SPL_EXIT_OK ||
        (rc = apply_numa()) != SPL_EXIT_OK)
        return rc;
    const char **impl_specs = B.impl;
    int nspecs = B.nimpl;
    if (nspecs == 0) {
        impl_specs[nspecs++] = "ref";
        impl_specs[nspecs++] = "ref-file";
    }
    if ((rc = load_impls(&o, impl_specs, nspecs)) != 0) return rc;

    static struct spl_envelope env; /* the run identity of the JSON, dated now */
    spl_envelope_init(&env, BENCH_SCHEMA);
    for (int k = 0; k < o.nimpls; k++) spl_envelope_add_spl_impl(&env, &o.impls[k]);
    o.envelope = &env;
    if (getloadavg(o.load_start, 3) != 3) o.load_start[0] = -1;
    if (o.load_start[0] > si_ncpus())
        spl_err(CMD, "note: load average %.1f exceeds the %d CPUs: expect noisy figures", o.load_start[0], si_ncpus());
    struct bench_results rs = {0};
    json_object *ktrace;
    int failed = run_workloads(&rs, B.trace, &ktrace);
    return finish(&rs, failed, argc, argv, ktrace);
}
