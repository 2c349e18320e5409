/*
 * builtin-trace.c - `splsuite trace`: madvise and eventfd latency with eBPF, with
 * the conventions of libbpf-tools ([interval] [count], -T, -m, -p, -c, -v)
 * plus --json snapshots that merge across runs and the NUMA breakdown.
 */
#include "commands.h"
#include "trace_embed.h"
#include "trace_hist.h"
#include "trace_report.h"
#include "trace_selftest.h"

#include "envelope.h"
#include "impl.h"
#include "util.h"

#include <errno.h>
#include "opt.h"
#include "outfile.h"
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t exiting;
static void on_signal(int sig) { exiting = 1; }

/* --pid PID[,PID...] into the growing array T.pids */
static struct {
    bool ts, millis, events, json, verbose;
    pid_t *pids;
    size_t npids;
    const char *cgroup, *impl, *outpath;
    uint64_t duration, selftest;
    uint32_t cpu, wcpu, rcpu;
    bool cpu_set, wcpu_set, rcpu_set;
} T;

static int parse_pids(const char *s, void *dest, char *err, size_t errlen)
{
    (void)dest;
    char *dup = strdup(s), *save = NULL;
    if (!dup) return snprintf(err, errlen, "out of memory"), -1;
    for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (spl_opt_uint(t, 1, 4194304, &v, err, errlen) != 0) {
            free(dup);
            return -1;
        }
        pid_t *np = realloc(T.pids, (T.npids + 1) * sizeof *T.pids);
        if (!np) break;
        T.pids = np;
        T.pids[T.npids++] = (pid_t)v;
    }
    free(dup);
    return T.npids ? 0 : (snprintf(err, errlen, "want PID or PID,PID,..."), -1);
}

static const struct spl_opt trace_opts[] = {
    {"timestamp", 'T', SPL_OPT_FLAG, SPL_OPT_DEST(T.ts), NULL, "print a timestamp with each interval's output"},
    {"milliseconds", 'm', SPL_OPT_FLAG, SPL_OPT_DEST(T.millis), NULL, "histograms in milliseconds (default microseconds)"},
    {"pid", 'p', SPL_OPT_CALL, .arg = "PID[,PID..]", .help = "trace only these processes", .parse = parse_pids},
    {"cgroup", 'c', SPL_OPT_STR, SPL_OPT_DEST(T.cgroup), "PATH", "trace only tasks in this cgroup v2 directory"},
    {"duration", 'd', SPL_OPT_DURATION, SPL_OPT_DEST(T.duration), "TIME", "stop after TIME (10s, 500ms, 2m) and print",
     .min = 1000000},
    {"impl", 'i', SPL_OPT_STR, SPL_OPT_DEST(T.impl), "SPEC",
     "madvise: uprobe splinter_madvise of this implementation (ref, ref-file, mut:NAME, or a .so path)"},
    {"events", 'e', SPL_OPT_FLAG, SPL_OPT_DEST(T.events), NULL, "one line per call / wake instead of histograms"},
    {"json", 'j', SPL_OPT_FLAG, SPL_OPT_DEST(T.json), NULL, "JSON snapshot(s): one object, or one line per interval"},
    {"output", 'o', SPL_OPT_STR, SPL_OPT_DEST(T.outpath), "FILE", "write the report to FILE instead of stdout ('-': stdout)"},
    {"verbose", 'v', SPL_OPT_FLAG, SPL_OPT_DEST(T.verbose), NULL, "libbpf debug output (verifier log) on stderr"},
    {"self-test", 0, SPL_OPT_UINT, SPL_OPT_DEST(T.selftest), "N",
     "run a known workload under the probes and check the counts exactly: madvise N calls of each of 5 advices "
     "(+ process_madvise, failing calls, and with --impl splinter_madvise outcomes); eventfd N wakes between two "
     "pinned processes", .min = 1, .max = 10000000, .group = "Self-test"},
    {"cpu", 0, SPL_OPT_UINT, SPL_OPT_DEST(T.cpu), "C", "madvise: pin the workload to CPU C", .max = 65535, .seen = &T.cpu_set},
    {"writer-cpu", 0, SPL_OPT_UINT, SPL_OPT_DEST(T.wcpu), "C", "eventfd: pin the writer to CPU C", .max = 65535,
     .seen = &T.wcpu_set},
    {"waiter-cpu", 0, SPL_OPT_UINT, SPL_OPT_DEST(T.rcpu), "C", "eventfd: pin the waiter to CPU C", .max = 65535,
     .seen = &T.rcpu_set},
    {0},
};

static const struct spl_cmd trace_cmd = {
    .name = "trace",
    .usage = "madvise [OPTIONS] [interval [count]]\neventfd [OPTIONS] [interval [count]]\nmerge [-j] FILE...",
    .about = "eBPF probes (libbpf CO-RE; syscall and sched tracepoints, uprobes):\n"
             "  madvise   latency of madvise and process_madvise, entry to exit, as log2\n"
             "            histograms and percentiles by advice, NUMA node of the issuing\n"
             "            CPU and process; with --impl also the outcome of each\n"
             "            splinter_madvise call (sovereign, deferred, timed out) by shard,\n"
             "            and how long a bidder waited before its advice landed\n"
             "  eventfd   from a write(2) on an eventfd to the waiter's wake-up\n"
             "            (sched_wakeup) and to its read/poll returning, per writer node x\n"
             "            waiter node; eventfds are recognised in the kernel\n"
             "  merge     add up saved --json snapshots and print them (text or -j)\n"
             "\n"
             "Needs root (or CAP_BPF + CAP_PERFMON), kernel BTF and tracefs (mounted when\n"
             "missing and root). When any is missing it says which and exits 77. Ctrl-C ends\n"
             "the tracing and prints what was gathered, as libbpf-tools do (exit 0).",
    .opts = trace_opts,
    .examples = "splsuite trace madvise                      # histograms until Ctrl-C\n"
                "splsuite trace madvise -T 1 10              # every second, 10 times\n"
                "splsuite trace madvise -p 1234 -m -d 30s    # one process, msecs, 30 s\n"
                "splsuite trace madvise --impl ref -d 10s    # + splinter_madvise outcomes\n"
                "splsuite trace madvise -c /sys/fs/cgroup/unified/app -e\n"
                "splsuite trace eventfd -d 10s -j -o run1.json\n"
                "splsuite trace merge run1.json run2.json    # histograms of both runs\n"
                "splsuite trace madvise --self-test 1000 --cpu 1\n"
                "splsuite trace eventfd --self-test 500 --writer-cpu 0 --waiter-cpu 1",
    .exit_ok = "traced (or the self-test's counts all matched)",
    .exit_fail = "a self-test count did not match, or the trace could not be read",
};

/* Run identity of every JSON document this command prints (lib/envelope.h). */
static struct spl_envelope trace_env;

static json_object *enveloped(json_object *snap) { return spl_envelope_wrap(&trace_env, json_object_get(snap)); }

struct ev_ctx {
    FILE *out;
    bool ts;
    bool json;
    bool millis;
};

static void print_rec(const struct trace_rec *r, void *arg)
{
    struct ev_ctx *c = arg;
    double lat = c->millis ? r->lat_ns / 1e6 : r->lat_ns / 1e3;
    char comm[TRACE_COMM_LEN + 1];
    snprintf(comm, sizeof comm, "%.*s", TRACE_COMM_LEN, r->comm);
    if (c->json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "ts_ns", json_object_new_uint64(r->ts_ns));
        json_object_object_add(o, "pid", json_object_new_int((int)r->pid));
        json_object_object_add(o, "tid", json_object_new_int((int)r->tid));
        json_object_object_add(o, "comm", json_object_new_string(comm));
        json_object_object_add(o, "lat_ns", json_object_new_uint64(r->lat_ns));
        if (r->kind == TRACE_EV_MADVISE || r->kind == TRACE_EV_PROCESS_MADVISE) {
            json_object_object_add(o, "syscall", json_object_new_string(r->kind == TRACE_EV_MADVISE ? "madvise" : "process_madvise"));
            json_object_object_add(o, "advice", json_object_new_int(r->a));
            json_object_object_add(o, "ret", json_object_new_int(r->b));
            json_object_object_add(o, "node", json_object_new_int(r->node));
        } else {
            json_object_object_add(o, "event", json_object_new_string(r->kind == TRACE_EV_EVENTFD_WAKE ? "wake" : "return"));
            json_object_object_add(o, "waiter", json_object_new_int(r->a));
            json_object_object_add(o, "writer_node", json_object_new_int(r->node));
            json_object_object_add(o, "waiter_node", json_object_new_int(r->node2));
        }
        fprintf(c->out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
        return;
    }
    if (c->ts) {
        char b[16];
        time_t t = time(NULL);
        strftime(b, sizeof b, "%H:%M:%S", localtime(&t));
        fprintf(c->out, "%-8s ", b);
    }
    if (r->kind == TRACE_EV_MADVISE || r->kind == TRACE_EV_PROCESS_MADVISE)
        fprintf(c->out, "%-7u %-16s %-15s %4u %-20s %5d %12.3f\n", r->pid, comm,
                r->kind == TRACE_EV_MADVISE ? "madvise" : "process_madvise", r->node, trace_advice_name(r->a), r->b, lat);
    else
        fprintf(c->out, "%-7u %-16s %7d %4u -> %-4u %-7s %12.3f\n", r->pid, comm, r->a, r->node, r->node2,
                r->kind == TRACE_EV_EVENTFD_WAKE ? "wake" : "return", lat);
}

/* One tracing run of a probe, as the options asked for it. */
struct trace_run {
    const char *what; /* the probe's name */
    unsigned probes;
    bool ts, millis, events, json, with_impl;
    long interval, count; /* [interval [count]]: 0 and -1 when not given */
    uint64_t duration;
    FILE *out;
    struct spl_trace *t;
};

/* A snapshot of the histograms: JSON (a line per interval, else one
 * pretty document) or the tables; periodic ones carry -T's time and end
 * with a blank line. */
static void print_snapshot(const struct trace_run *r, json_object *snap, bool periodic)
{
    FILE *out = r->out;
    if (r->json) {
        json_object *doc = enveloped(snap);
        fprintf(out, "%s\n", json_object_to_json_string_ext(doc, r->interval ? JSON_C_TO_STRING_PLAIN
                                                                          : JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
        json_object_put(doc);
        return;
    }
    if (periodic && r->ts) {
        char b[16];
        time_t tt = time(NULL);
        strftime(b, sizeof b, "%H:%M:%S", localtime(&tt));
        fprintf(out, "%-8s\n", b);
    }
    spl_trace_render(snap, out);
    if (periodic) fputc('\n', out);
}

static int cmd_merge(int argc, char **argv, bool json, FILE *out)
{
    json_object *acc = NULL, *merged = json_object_new_array(); /* run ids of the inputs */
    char err[256];
    if (argc < 1) {
        spl_err("trace", "merge needs at least one JSON file (from trace --json)");
        return SPL_EXIT_USAGE;
    }
    for (int i = 0; i < argc; i++) {
        FILE *f = fopen(argv[i], "r");
        if (!f) {
            spl_err("trace", "%s: %s", argv[i], strerror(errno));
            return SPL_EXIT_FAIL;
        }
        /* one object, or one per line (interval mode): all are added */
        json_tokener *tok = json_tokener_new();
        char buf[65536];
        size_t nobj = 0;
        while (fgets(buf, sizeof buf, f) || (buf[0] = 0, 0)) {
            json_object *o = json_tokener_parse_ex(tok, buf, (int)strlen(buf));
            enum json_tokener_error je = json_tokener_get_error(tok);
            if (je == json_tokener_continue) continue;
            if (!o) {
                if (strspn(buf, " \t\r\n") == strlen(buf)) { json_tokener_reset(tok); continue; }
                spl_err("trace", "%s: not JSON: %s", argv[i], json_tokener_error_desc(je));
                json_tokener_free(tok);
                fclose(f);
                if (acc) json_object_put(acc);
                return SPL_EXIT_FAIL;
            }
            json_tokener_reset(tok);
            nobj++;
            json_object *rid, *run = spl_envelope_run_of(o);
            if (run && json_object_object_get_ex(run, "id", &rid)) json_object_array_add(merged, json_object_get(rid));
            if (!acc) {
                acc = o;
                json_object *s;
                if (!json_object_object_get_ex(acc, "schema", &s) ||
                    strcmp(json_object_get_string(s), "splsuite-trace/1") != 0) {
                    spl_err("trace", "%s: not a splsuite trace snapshot (schema splsuite-trace/1)", argv[i]);
                    json_object_put(acc);
                    json_tokener_free(tok);
                    fclose(f);
                    return SPL_EXIT_FAIL;
                }
                continue;
            }
            int rc = spl_trace_merge(acc, o, err, sizeof err);
            json_object_put(o);
            if (rc) {
                spl_err("trace", "%s: %s", argv[i], err);
                json_object_put(acc);
                json_tokener_free(tok);
                fclose(f);
                return SPL_EXIT_FAIL;
            }
        }
        json_tokener_free(tok);
        fclose(f);
        if (!nobj) {
            spl_err("trace", "%s: no JSON snapshot in it", argv[i]);
            if (acc) json_object_put(acc);
            return SPL_EXIT_FAIL;
        }
    }
    if (json) {
        json_object_object_add(acc, "merged_runs", merged);
        merged = NULL;
    }
    struct trace_run r = {.json = json, .out = out};
    print_snapshot(&r, acc, false);
    json_object_put(merged);
    json_object_put(acc);
    return SPL_EXIT_OK;
}

/* [interval] [count], as libbpf-tools: SPL_EXIT_OK or a usage error. */
static int parse_interval_count(char *const *args, int n, long *interval, long *count)
{
    char err[512];
    uint64_t v;
    *interval = 0, *count = -1;
    if (n < 1) return SPL_EXIT_OK;
    if (spl_opt_uint(args[0], 1, 86400, &v, err, sizeof err) != 0)
        return spl_opt_error(&trace_cmd, "interval '%s' (seconds): %s", args[0], err);
    *interval = (long)v;
    if (n < 2) return SPL_EXIT_OK;
    if (spl_opt_uint(args[1], 1, 100000000, &v, err, sizeof err) != 0)
        return spl_opt_error(&trace_cmd, "count '%s': %s", args[1], err);
    *count = (long)v;
    if (n > 2) return spl_opt_error(&trace_cmd, "unexpected argument '%s'", args[2]);
    return SPL_EXIT_OK;
}

/* "Tracing ... Hit Ctrl-C to end." on stderr; with --events the header
 * line (JSON: the record naming the run) on the output. */
static void print_start(const struct trace_run *r)
{
    FILE *out = r->out;
    if (r->events) {
        fprintf(stderr, "Tracing %s%s... Hit Ctrl-C to end.\n", r->what, r->with_impl ? " and splinter_madvise" : "");
        if (r->json) { /* JSON lines: the first says which run the events that follow come from */
            snprintf(trace_env.schema, sizeof trace_env.schema, "splsuite-trace-events/1");
            json_object *hdr = json_object_new_object();
            json_object_object_add(hdr, "probe", json_object_new_string(r->what));
            hdr = spl_envelope_wrap(&trace_env, hdr);
            fprintf(out, "%s\n", json_object_to_json_string_ext(hdr, JSON_C_TO_STRING_PLAIN));
            json_object_put(hdr);
            fflush(out);
        }
        if (!r->json && r->probes == SPL_TRACE_MADVISE)
            fprintf(out, "%s%-7s %-16s %-15s %4s %-20s %5s %12s\n", r->ts ? "TIME     " : "", "PID", "COMM", "SYSCALL", "NODE",
                    "ADVICE", "RET", r->millis ? "LAT(ms)" : "LAT(us)");
        else if (!r->json)
            fprintf(out, "%s%-7s %-16s %7s %-12s %-7s %12s\n", r->ts ? "TIME     " : "", "PID", "COMM", "WAITER",
                    "NODE W->R", "EVENT", r->millis ? "LAT(ms)" : "LAT(us)");
    } else if (r->interval)
        fprintf(stderr, "Tracing %s latency... Hit Ctrl-C to end, output every %ld s.\n", r->what, r->interval);
    else
        fprintf(stderr, "Tracing %s latency... Hit Ctrl-C to end%s.\n", r->what, r->duration ? " (or wait for --duration)" : "");
}

/* Until Ctrl-C, --duration or count intervals: snapshots on each interval
 * (or once at the end), events as they come. SPL_EXIT_OK or FAIL. */
static int trace_loop(struct trace_run *r)
{
    struct ev_ctx ec = {.out = r->out, .ts = r->ts, .json = r->json, .millis = r->millis};
    uint64_t t0 = spl_time_ns(), next = t0 + (uint64_t)r->interval * 1000000000ull;
    uint64_t end_at = r->duration ? t0 + r->duration : UINT64_MAX;
    while (!exiting) {
        uint64_t now = spl_time_ns();
        bool last = now >= end_at;
        bool tick = r->interval && now >= next;
        if (tick || last) {
            if (!r->events) {
                json_object *snap = spl_trace_snapshot(r->t, r->interval > 0);
                print_snapshot(r, snap, true);
                fflush(r->out);
                json_object_put(snap);
            }
            if (last || (r->count > 0 && --r->count == 0)) break;
            next += (uint64_t)r->interval * 1000000000ull;
            if (!r->interval) break;
        }
        uint64_t wake = r->interval ? next : end_at;
        uint64_t left = wake > now ? wake - now : 0;
        int ms = left > 200000000ull ? 200 : (int)(left / 1000000) + 1;
        if (r->events) {
            int rc = spl_trace_poll(r->t, ms, print_rec, &ec);
            if (rc < 0 && rc != -EINTR) {
                spl_err("trace", "polling the event buffer: %s", strerror(-rc));
                return SPL_EXIT_FAIL;
            }
            fflush(r->out);
        } else {
            spl_sleep_ns((uint64_t)ms * 1000000ull);
        }
    }
    /* Ctrl-C without interval/duration: print what was gathered, as libbpf-tools do */
    if (exiting && !r->events && !r->interval) {
        json_object *snap = spl_trace_snapshot(r->t, false);
        print_snapshot(r, snap, false);
        json_object_put(snap);
    }
    return SPL_EXIT_OK;
}

int cmd_trace(int argc, char **argv)
{
    int c, rc = SPL_EXIT_OK;
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help") ||
        !strcmp(argv[1], "--list-options")) {
        if (argc >= 2 && !strcmp(argv[1], "--list-options")) return spl_opt_parse(&trace_cmd, argc, argv, &c), SPL_EXIT_OK;
        if (argc < 2) return spl_opt_error(&trace_cmd, "which probe? madvise, eventfd or merge");
        spl_opt_help(&trace_cmd, stdout);
        return SPL_EXIT_OK;
    }
    const char *what = argv[1];
    unsigned probes = !strcmp(what, "madvise") ? SPL_TRACE_MADVISE : !strcmp(what, "eventfd") ? SPL_TRACE_EVENTFD : 0;
    bool merge = !strcmp(what, "merge");
    if (!probes && !merge) return spl_opt_error(&trace_cmd, "unknown probe '%s' (madvise, eventfd or merge)", what);
    argc--, argv++;
    free(T.pids);
    memset(&T, 0, sizeof T);
    int argi;
    rc = spl_opt_parse(&trace_cmd, argc, argv, &argi);
    if (rc != SPL_OPT_OK) {
        free(T.pids);
        return rc == SPL_OPT_HELP ? SPL_EXIT_OK : rc;
    }
    struct trace_run r = {.what = what, .probes = probes, .ts = T.ts, .millis = T.millis, .events = T.events,
                          .json = T.json, .with_impl = T.impl != NULL, .duration = T.duration};
    bool verbose = T.verbose;
    pid_t *pids = T.pids;
    const char *impl = T.impl;
    long selftest = (long)T.selftest;
    int cpu = T.cpu_set ? (int)T.cpu : -1, wcpu = T.wcpu_set ? (int)T.wcpu : -1, rcpu = T.rcpu_set ? (int)T.rcpu : -1;
    T.pids = NULL;
    if (impl && probes != SPL_TRACE_MADVISE) {
        free(pids);
        return spl_opt_error(&trace_cmd, "--impl applies to the madvise probe only");
    }
    struct spl_outfile of;
    char oerr[600];
    if (spl_outfile_open(&of, T.outpath ? T.outpath : "-", oerr, sizeof oerr) != 0) {
        spl_err("trace", "cannot write %s", oerr);
        free(pids);
        return SPL_EXIT_OUTPUT;
    }
    r.out = of.f;
    spl_envelope_init(&trace_env, "splsuite-trace/1");
    if (merge) {
        rc = cmd_merge(argc - argi, argv + argi, r.json, r.out);
        goto done;
    }

    char implpath[4096], err[512];
    if (impl && spl_impl_resolve(impl, implpath, sizeof implpath, err, sizeof err) != 0) {
        spl_err("trace", "--impl %s: %s", impl, err);
        rc = SPL_EXIT_USAGE;
        goto done;
    }
    if (impl && access(implpath, R_OK) != 0) {
        spl_err("trace", "--impl %s: %s: %s", impl, implpath, strerror(errno));
        rc = SPL_EXIT_USAGE;
        goto done;
    }
    if (impl) spl_envelope_add_impl(&trace_env, impl, impl, implpath, NULL);
    if (selftest) {
        struct trace_selftest_opts so = {.n = selftest, .cpu = cpu, .writer_cpu = wcpu, .waiter_cpu = rcpu,
                                         .impl = impl ? implpath : NULL, .json = r.json, .verbose = verbose, .out = r.out,
                                         .envelope = &trace_env};
        snprintf(trace_env.schema, sizeof trace_env.schema, "splsuite-trace-selftest/1");
        rc = probes == SPL_TRACE_MADVISE ? trace_selftest_madvise(&so) : trace_selftest_eventfd(&so);
        goto done;
    }
    if ((rc = parse_interval_count(argv + argi, argc - argi, &r.interval, &r.count)) != SPL_EXIT_OK) goto done;

    struct spl_trace_opts o = {.probes = probes, .pids = pids, .npids = T.npids, .cgroup = T.cgroup,
                               .impl_path = impl ? implpath : NULL, .millis = r.millis, .events = r.events, .verbose = verbose};
    rc = spl_trace_open(&o, &r.t, err, sizeof err);
    if (rc) {
        spl_err("trace", "%s", err);
        goto done;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    print_start(&r);
    rc = trace_loop(&r);
    spl_trace_close(r.t);
done:
    free(pids);
    /* a report file appears only when there is a report: not after a usage error or a skip */
    if (rc != SPL_EXIT_OK && rc != SPL_EXIT_FAIL) spl_outfile_abort(&of);
    else if (spl_outfile_close(&of, oerr, sizeof oerr) != 0 && !of.is_stdout) {
        spl_err("trace", "cannot write %s", oerr);
        rc = SPL_EXIT_OUTPUT;
    }
    return rc;
}
