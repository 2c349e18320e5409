/*
 * cmd_bench.c - `splsuite bench`: option parsing and the run of the chosen
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
#include <getopt.h>
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

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: splsuite bench [WORKLOAD...] [OPTIONS]\n"
            "\n"
            "Measures Splinter implementations. Two or more --impl run interleaved (A,B,A,B per\n"
            "repetition) and are reported side by side with ratios against the first.\n"
            "\n"
            "Workloads (default: all):\n");
    for (int w = 0; bench_workloads[w]; w++) {
        const struct bench_workload *wl = bench_workloads[w];
        fprintf(f, "  %-9s %s\n", wl->name, wl->help);
        int col = fprintf(f, "            reads:");
        for (int k = 0; wl->options && wl->options[k]; k++) {
            if (col + 3 + (int)strlen(wl->options[k]) > 88) { fprintf(f, "\n"); col = fprintf(f, "                  "); }
            col += fprintf(f, " --%s", wl->options[k]);
        }
        fputc('\n', f);
    }
    fprintf(f,
            "\n"
            "Implementations:\n"
            "  -i, --impl SPEC          ref, ref-file, mut:NAME, mut-file:NAME or a .so path; repeatable\n"
            "                           (default: --impl ref --impl ref-file)\n"
            "Measurement:\n"
            "  -r, --repetitions N      repetitions per case and implementation (default 3; medians + spread)\n"
            "  -t, --time DUR           measured time of one ops repetition (default 200ms)\n"
            "      --warmup DUR         untimed work before each measurement (default 50ms)\n"
            "      --iterations N       wake round trips per repetition (default 2000)\n"
            "      --flush-iterations N flushes per flush repetition, at most (default 100)\n"
            "      --quick              smoke-sized run (1 repetition, short times, small lists)\n"
            "      --pin                pin each worker to its own CPU\n"
            "      --seed N             key order seed (default fixed, so runs are comparable)\n"
            "Parameters:\n"
            "      --slots N            store slots (default 1024)\n"
            "      --value-size LIST    value sizes, e.g. 64,4096 (default 64,4096)\n"
            "      --fill LIST          store fill levels in %% (default 50)\n"
            "      --procs LIST         processes for the multi-process ops shapes (default 1,2)\n"
            "      --ops LIST           only these ops: set,get,append,intop,raw,list,enum,mp\n"
            "      --dirty LIST         flush: dirty slots per flush; 'all' = every slot (default 1,16,all)\n"
            "      --fsync N, --fdatasync N   fio spelling of --dirty N (one flush every N writes)\n"
            "      --sync-file-range F  fio's flags for the sfr strategies: wait_before,write,wait_after\n"
            "                           (default write)\n"
            "      --strategy LIST      flush: only these strategies (names as in the table)\n"
            "      --dir DIR            directory for file-backed stores (default $TMPDIR or /tmp)\n"
            "NUMA (as numactl):\n"
            "      --cpunodebind NODES  run every worker on the CPUs of NODES (e.g. 0, 1-2, all, !0, +0)\n"
            "      --membind NODES      allocate on NODES; every store is mbind'ed there and verified\n"
            "Output:\n"
            "      --json               JSON (schema " BENCH_SCHEMA ") on stdout, or in -o FILE\n"
            "      --csv                CSV on stdout, or in -o FILE\n"
            "  -o, --output FILE        write the JSON/CSV there and print the table on stdout\n"
            "      --bmf FILE           also write every row in Bencher Metric Format (bencher run --adapter json)\n"
            "      --db URL             also keep the run in a results store (splsuite db; a file or postgresql://)\n"
            "      --no-progress        no progress lines on stderr\n"
            "      --trace              kernel-side madvise and eventfd latency of each case's workers (eBPF,\n"
            "                           as splsuite trace; needs root and the bpf part)\n"
            "  -h, --help\n"
            "\n"
            "Exit status: 0 ran (targets are reported, never enforced), 1 a case failed or an\n"
            "implementation crashed, 2 usage, 77 nothing could run here.\n"
            "\n"
            "Examples:\n"
            "  splsuite bench --quick\n"
            "  splsuite bench ops --impl ref --impl /path/to/libsplinter.so --ops set,get\n"
            "  splsuite bench wake --pin --iterations 20000 --json -o wake.json\n"
            "  splsuite bench flush --impl ref-file --dirty 1,8 --value-size 4096 --dir /var/tmp\n"
            "  splsuite bench numa --cpunodebind 0 --membind 0\n"
            "  splsuite plot wake.json -o plots\n");
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
        else if (spl_parse_size(t, &v) != 0 || v == 0) return -1;
        l->v[l->n++] = v;
    }
    return l->n ? 0 : -1;
}

static int parse_sfr(const char *s, unsigned *flags)
{
    *flags = 0;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "wait_before") == 0) *flags |= 1; /* SYNC_FILE_RANGE_WAIT_BEFORE */
        else if (strcmp(t, "write") == 0) *flags |= 2; /* SYNC_FILE_RANGE_WRITE */
        else if (strcmp(t, "wait_after") == 0) *flags |= 4; /* SYNC_FILE_RANGE_WAIT_AFTER */
        else return -1;
    }
    return *flags ? 0 : -1;
}

static int si_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

enum {
    O_WARMUP = 256, O_ITERS, O_FITERS, O_QUICK, O_PIN, O_SEED, O_SLOTS, O_VS, O_FILL, O_PROCS, O_OPS, O_DIRTY,
    O_FSYNC, O_SFR, O_STRAT, O_DIR, O_CPUNODE, O_MEMBIND, O_JSON, O_CSV, O_NOPROG, O_TRACE, O_BMF, O_DB
};

/* Loads every --impl (labels made distinct); 0, or the exit status of the
 * first that cannot be loaded (the others are unloaded). */
static int load_impls(struct bench_opts *o, const char *const *specs, int nspecs)
{
    char err[1024];
    for (int i = 0; i < nspecs; i++) {
        int lrc = spl_impl_load(specs[i], &o->impls[o->nimpls], err, sizeof err);
        if (lrc != 0) {
            spl_err(CMD, "--impl %s: %s", specs[i], err);
            for (int k = 0; k < o->nimpls; k++) spl_impl_unload(&o->impls[k]);
            return lrc;
        }
        /* two specs with one label (two paths named libsplinter.so) stay apart */
        for (int k = 0; k < o->nimpls; k++)
            if (strcmp(o->impls[k].label, o->impls[o->nimpls].label) == 0) {
                size_t l = strlen(o->impls[o->nimpls].label);
                snprintf(o->impls[o->nimpls].label + (l > 56 ? 56 : l), 8, "#%d", o->nimpls + 1);
            }
        o->nimpls++;
    }
    return 0;
}

/* --trace: the kernel-side probes of each case's workers, through the
 * worker hook; NULL (with a note) when they cannot run. */
static struct spl_trace_cases *start_trace(const struct bench_opts *o)
{
    if (!(spl_trace_cases_start && spl_trace_case_begin && spl_trace_case_end && spl_trace_cases_stop &&
          spl_trace_cases_print)) {
        spl_err(CMD, "--trace: this splsuite was built without the bpf part (splsuite trace); going on without "
                     "kernel-side figures");
        return NULL;
    }
    const char *kpaths[BENCH_MAX_IMPLS];
    for (int k = 0; k < o->nimpls; k++) kpaths[k] = o->impls[k].madvise ? o->impls[k].path : NULL;
    struct spl_trace_cases *kt = spl_trace_cases_start(CMD, kpaths, (size_t)o->nimpls);
    if (kt) bench_trace = (struct bench_trace_hook){spl_trace_case_begin, spl_trace_case_end, kt};
    return kt;
}

/* The table, JSON, CSV, results database and BMF outputs asked for; the
 * number of them that failed. */
static int write_outputs(const struct bench_opts *o, const struct bench_results *rs, int argc, char **argv,
                         json_object *ktrace, const char *db_url, const char *bmf_path)
{
    int nfail = 0;
    FILE *mout = stdout;
    if (o->out_path) {
        mout = fopen(o->out_path, "w");
        if (!mout) { spl_err(CMD, "-o %s: %s", o->out_path, strerror(errno)); nfail++; mout = NULL; }
    }
    if ((mout && o->json) || db_url) {
        json_object *j = bench_json(o, rs, argc, argv);
        if (ktrace) json_object_object_add(j, "kernel_trace", json_object_get(ktrace));
        if (mout && o->json)
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
    if (mout && o->csv) bench_csv(o, rs, mout);
    if (mout && mout != stdout) { /* a full disk: the file is not complete */
        int bad = ferror(mout);
        if (fclose(mout) != 0 || bad) {
            spl_err(CMD, "-o %s: %s", o->out_path, bad ? "write error" : strerror(errno));
            nfail++;
        }
    }
    if (bmf_path) {
        json_object *b = bench_bmf(o, rs);
        if (json_object_to_file_ext(bmf_path, b, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE) != 0) {
            spl_err(CMD, "--bmf %s: %s", bmf_path, strerror(errno));
            nfail++;
        }
        json_object_put(b);
    }
    if ((!o->json && !o->csv) || o->out_path) bench_table(o, rs, stdout);
    if (ktrace && ((!o->json && !o->csv) || o->out_path)) spl_trace_cases_print(ktrace, stdout);
    json_object_put(ktrace);
    return nfail;
}

int cmd_bench(int argc, char **argv)
{
    static const struct option lo[] = {
        {"impl", required_argument, 0, 'i'}, {"repetitions", required_argument, 0, 'r'},
        {"time", required_argument, 0, 't'}, {"warmup", required_argument, 0, O_WARMUP},
        {"iterations", required_argument, 0, O_ITERS}, {"flush-iterations", required_argument, 0, O_FITERS},
        {"quick", no_argument, 0, O_QUICK}, {"pin", no_argument, 0, O_PIN}, {"seed", required_argument, 0, O_SEED},
        {"slots", required_argument, 0, O_SLOTS}, {"value-size", required_argument, 0, O_VS},
        {"fill", required_argument, 0, O_FILL}, {"procs", required_argument, 0, O_PROCS},
        {"ops", required_argument, 0, O_OPS}, {"dirty", required_argument, 0, O_DIRTY},
        {"fsync", required_argument, 0, O_FSYNC}, {"fdatasync", required_argument, 0, O_FSYNC},
        {"sync-file-range", required_argument, 0, O_SFR}, {"strategy", required_argument, 0, O_STRAT},
        {"dir", required_argument, 0, O_DIR}, {"cpunodebind", required_argument, 0, O_CPUNODE},
        {"membind", required_argument, 0, O_MEMBIND}, {"json", no_argument, 0, O_JSON},
        {"csv", no_argument, 0, O_CSV}, {"output", required_argument, 0, 'o'}, {"bmf", required_argument, 0, O_BMF},
        {"db", required_argument, 0, O_DB},
        {"no-progress", no_argument, 0, O_NOPROG}, {"trace", no_argument, 0, O_TRACE}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    static struct bench_opts o; /* large (impls), keep it off the stack */
    memset(&o, 0, sizeof o);
    const char *impl_specs[BENCH_MAX_IMPLS];
    int nspecs = 0;
    const char *vs = NULL, *fills = NULL, *procs = NULL, *dirty = NULL, *sfr = "write";
    int reps = -1;
    uint64_t run_ns = 0, warm_ns = 0, iters = 0, fiters = 0, slots = 1024;
    bool seed_set = false, trace = false;
    const char *bmf_path = NULL, *db_url = NULL; /* --bmf, --db */
    o.progress = true;
    o.seed = 0x5eed;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "i:r:t:o:h", lo, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (nspecs == BENCH_MAX_IMPLS) { spl_err(CMD, "at most %d --impl", BENCH_MAX_IMPLS); return SPL_EXIT_USAGE; }
            impl_specs[nspecs++] = optarg;
            break;
        case 'r':
            reps = atoi(optarg);
            if (reps < 1 || reps > BENCH_MAX_REPS) { spl_err(CMD, "--repetitions: 1..%d", BENCH_MAX_REPS); return SPL_EXIT_USAGE; }
            break;
        case 't':
            if (spl_parse_duration(optarg, &run_ns) != 0 || !run_ns) { spl_err(CMD, "--time: bad duration '%s'", optarg); return SPL_EXIT_USAGE; }
            break;
        case O_WARMUP:
            if (spl_parse_duration(optarg, &warm_ns) != 0) { spl_err(CMD, "--warmup: bad duration '%s'", optarg); return SPL_EXIT_USAGE; }
            break;
        case O_ITERS:
        case O_FITERS:
        case O_SLOTS: {
            uint64_t v;
            if (spl_parse_size(optarg, &v) != 0 || v == 0) { spl_err(CMD, "--%s: positive number expected, got '%s'", c == O_SLOTS ? "slots" : "iterations", optarg); return SPL_EXIT_USAGE; }
            if (c == O_ITERS) iters = v;
            else if (c == O_FITERS) fiters = v;
            else slots = v;
            break;
        }
        case O_QUICK: o.quick = true; break;
        case O_PIN: o.pin = true; break;
        case O_SEED: o.seed = strtoull(optarg, NULL, 0); seed_set = true; break;
        case O_VS: vs = optarg; break;
        case O_FILL: fills = optarg; break;
        case O_PROCS: procs = optarg; break;
        case O_OPS: o.only_ops = optarg; break;
        case O_DIRTY: case O_FSYNC: dirty = optarg; break;
        case O_SFR: sfr = optarg; break;
        case O_STRAT: o.only_strategies = optarg; break;
        case O_DIR: o.dir = optarg; break;
        case O_CPUNODE:
            o.numa.cpubind = true;
            snprintf(o.numa.cpuspec, sizeof o.numa.cpuspec, "%s", optarg);
            break;
        case O_MEMBIND:
            o.numa.membind = true;
            snprintf(o.numa.memspec, sizeof o.numa.memspec, "%s", optarg);
            break;
        case O_JSON: o.json = true; break;
        case O_CSV: o.csv = true; break;
        case 'o': o.out_path = optarg; break;
        case O_BMF: bmf_path = optarg; break;
        case O_DB: db_url = optarg; break;
        case O_NOPROG: o.progress = false; break;
        case O_TRACE: trace = true; break;
        case 'h': usage(stdout); return SPL_EXIT_OK;
        default: usage(stderr); return SPL_EXIT_USAGE;
        }
    }
    (void)seed_set;
    bool any = false;
    for (int i = optind; i < argc; i++) {
        int w;
        for (w = 0; bench_workloads[w]; w++)
            if (strcmp(argv[i], bench_workloads[w]->name) == 0) break;
        if (!bench_workloads[w]) {
            char names[256];
            workload_names(names, sizeof names, ", ");
            spl_err(CMD, "unknown workload '%s' (%s)", argv[i], names);
            return SPL_EXIT_USAGE;
        }
        o.wl[w] = any = true;
    }
    if (!any)
        for (int w = 0; bench_workloads[w]; w++) o.wl[w] = true;
    if (o.json && o.csv) { spl_err(CMD, "--json and --csv: choose one"); return SPL_EXIT_USAGE; }
    if (o.out_path && !o.json && !o.csv) o.json = true;
    if (slots > 1u << 20) { spl_err(CMD, "--slots: at most 1048576"); return SPL_EXIT_USAGE; }
    o.slots = slots;
    o.reps = reps > 0 ? reps : o.quick ? 1 : 3;
    o.run_ns = run_ns ? run_ns : o.quick ? 20000000ull : 200000000ull;
    o.warmup_ns = warm_ns ? warm_ns : o.quick ? 5000000ull : 50000000ull;
    o.wake_iters = iters ? iters : o.quick ? 200 : 2000;
    o.flush_iters = fiters ? fiters : o.quick ? 10 : 100;
    if (parse_list(vs ? vs : o.quick ? "64" : "64,4096", &o.vsizes, false, 0) != 0) { spl_err(CMD, "--value-size: list of sizes expected"); return SPL_EXIT_USAGE; }
    if (parse_list(fills ? fills : "50", &o.fills, false, 0) != 0) { spl_err(CMD, "--fill: list of percentages expected"); return SPL_EXIT_USAGE; }
    for (int i = 0; i < o.fills.n; i++)
        if (o.fills.v[i] > 100) { spl_err(CMD, "--fill: %llu%% is over 100", (unsigned long long)o.fills.v[i]); return SPL_EXIT_USAGE; }
    if (parse_list(procs ? procs : o.quick ? "2" : "1,2", &o.procs, false, 0) != 0) { spl_err(CMD, "--procs: list of counts expected"); return SPL_EXIT_USAGE; }
    for (int i = 0; i < o.procs.n; i++)
        if (o.procs.v[i] * 2 > BENCH_MAX_WORKERS) { spl_err(CMD, "--procs: at most %d", BENCH_MAX_WORKERS / 2); return SPL_EXIT_USAGE; }
    if (parse_list(dirty ? dirty : o.quick ? "1,all" : "1,16,all", &o.dirty, true, o.slots) != 0) { spl_err(CMD, "--dirty: list of slot counts or 'all' expected"); return SPL_EXIT_USAGE; }
    for (int i = 0; i < o.dirty.n; i++)
        if (o.dirty.v[i] > o.slots) { spl_err(CMD, "--dirty %llu: the store has %llu slots", (unsigned long long)o.dirty.v[i], (unsigned long long)o.slots); return SPL_EXIT_USAGE; }
    for (int i = 0; i < o.vsizes.n; i++)
        if (o.vsizes.v[i] > (64u << 20)) { spl_err(CMD, "--value-size: at most 64M"); return SPL_EXIT_USAGE; }
    if (parse_sfr(sfr, &o.sfr_flags) != 0) { spl_err(CMD, "--sync-file-range: comma list of wait_before, write, wait_after"); return SPL_EXIT_USAGE; }
    if (o.dir) {
        struct stat sb;
        if (stat(o.dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) { spl_err(CMD, "--dir %s: not a directory", o.dir); return SPL_EXIT_USAGE; }
        setenv("TMPDIR", o.dir, 1); /* where spl_impl_store_name puts file stores */
    }

    /* NUMA first, so every worker and every store inherits it, as under numactl */
    spl_numa_probe(&o.topo);
    char err[1024];
    if (o.numa.cpubind && spl_numa_parse_nodes(&o.topo, o.numa.cpuspec, &o.numa.cpunodes, err, sizeof err) != 0) {
        spl_err(CMD, "--cpunodebind: %s", err);
        return SPL_EXIT_USAGE;
    }
    if (o.numa.membind && spl_numa_parse_nodes(&o.topo, o.numa.memspec, &o.numa.memnodes, err, sizeof err) != 0) {
        spl_err(CMD, "--membind: %s", err);
        return SPL_EXIT_USAGE;
    }
    if (spl_numa_apply(&o.numa, err, sizeof err) != 0) { spl_err(CMD, "%s", err); return SPL_EXIT_FAIL; }

    if (nspecs == 0) {
        impl_specs[nspecs++] = "ref";
        impl_specs[nspecs++] = "ref-file";
    }
    int lrc = load_impls(&o, impl_specs, nspecs);
    if (lrc != 0) return lrc;

    static struct spl_envelope env; /* the run identity of the JSON, dated now */
    spl_envelope_init(&env, BENCH_SCHEMA);
    for (int k = 0; k < o.nimpls; k++) spl_envelope_add_spl_impl(&env, &o.impls[k]);
    o.envelope = &env;
    if (getloadavg(o.load_start, 3) != 3) o.load_start[0] = -1;
    if (o.load_start[0] > si_ncpus())
        spl_err(CMD, "note: load average %.1f exceeds the %d CPUs: expect noisy figures", o.load_start[0], si_ncpus());
    struct spl_trace_cases *kt = trace ? start_trace(&o) : NULL; /* --trace */
    json_object *ktrace = NULL;
    struct bench_results rs = {0};
    int failed = 0, okrows = 0;
    for (int w = 0; bench_workloads[w]; w++)
        if (o.wl[w] && bench_workloads[w]->run(&o, &rs) != 0) {
            spl_err(CMD, "%s: %s; its remaining cases were not run", bench_workloads[w]->name, strerror(errno));
            failed++;
        }
    bench_progress_done(&o);
    if (kt) {
        bench_trace = (struct bench_trace_hook){0};
        ktrace = spl_trace_cases_stop(kt);
    }

    for (int i = 0; i < rs.n; i++) {
        if (rs.r[i].status == BENCH_ERROR) failed++;
        if (rs.r[i].status == BENCH_OK) okrows++;
    }
    failed += write_outputs(&o, &rs, argc, argv, ktrace, db_url, bmf_path);
    for (int i = 0; i < rs.n; i++)
        if (rs.r[i].status == BENCH_ERROR)
            spl_err(CMD, "%s %s [%s]: error: %s", rs.r[i].wl->name, rs.r[i].name, o.impls[rs.r[i].impl].label,
                    rs.r[i].reason);
    bench_results_free(&rs);
    for (int k = 0; k < o.nimpls; k++) spl_impl_unload(&o.impls[k]);
    char envwhy[300];
    for (int k = 0; failed && k < o.nimpls; k++)
        if (spl_impl_env_problem(&o.impls[k], 8u << 20, envwhy, sizeof envwhy)) {
            spl_err(CMD, "%s: the failed cases are this machine's problem, not the implementation's", envwhy);
            return SPL_EXIT_USAGE;
        }
    if (failed) return SPL_EXIT_FAIL;
    return okrows ? SPL_EXIT_OK : SPL_EXIT_SKIP;
}
