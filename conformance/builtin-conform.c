/*
 * builtin-conform.c - `splsuite conform`: option parsing, rule selection, the rule
 * runner (one forked child per rule, with a deadline), the mutant matrix
 * and the reports.
 */
#include "commands.h"
#include "conform.h"
#include "envelope.h"
#include "opt.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMD "conform"

/* The command line, one table: parsing, defaults and --help together. */
static struct {
    const char *impl, *peer, *rules, *tap, *junit, *output, *store_dir;
    unsigned workers;
    uint64_t duration, seed;
    bool json, list, list_mut, kill, verbose, progress, no_progress, seed_set, workers_set;
} A;

static const struct spl_opt conform_opts[] = {
    {"impl", 'i', SPL_OPT_STR, SPL_OPT_DEST(A.impl), "SPEC",
     "the implementation: ref, ref-file, mut:NAME, mut-file:NAME or a .so path", .def = "ref", .group = "The run"},
    {"peer", 0, SPL_OPT_STR, SPL_OPT_DEST(A.peer), "SPEC", "second implementation for the interop rule FMT-004",
     .def_help = "the reference with --impl's backend"},
    {"rules", 0, SPL_OPT_STR, SPL_OPT_DEST(A.rules), "LIST",
     "comma-separated globs over rule ids or families (SEQ-001, 'ELE-*', API); each must select a rule"},
    {"workers", 'w', SPL_OPT_UINT, SPL_OPT_DEST(A.workers), "N", "processes in multi-process rules",
     .def_help = "max(4, cores + 2)", .min = 2, .max = 256, .seen = &A.workers_set},
    {"duration", 'd', SPL_OPT_DURATION, SPL_OPT_DEST(A.duration), "TIME", "hammering time of each concurrency rule",
     .def = "1s", .min = 1000000, .max = 600000000000ull},
    {"seed", 's', SPL_OPT_UINT, SPL_OPT_DEST(A.seed), "N", "seed of every random choice (printed, and in every repro line)",
     .def_help = "from the clock", .seen = &A.seed_set},
    {"store-dir", 0, SPL_OPT_STR, SPL_OPT_DEST(A.store_dir), "DIR", "where file-backed stores are made",
     .def_help = "$TMPDIR, else /tmp"},
    {"json", 'j', SPL_OPT_FLAG, SPL_OPT_DEST(A.json), NULL, "the report as JSON on stdout instead of the table",
     .group = "Reports"},
    {"output", 'o', SPL_OPT_STR, SPL_OPT_DEST(A.output), "FILE", "also write the JSON report to FILE ('-': stdout)"},
    {"json-out", 0, SPL_OPT_STR, SPL_OPT_DEST(A.output), "FILE", "old spelling of --output", .flags = SPL_OPT_HIDDEN},
    {"tap", 0, SPL_OPT_STR, SPL_OPT_DEST(A.tap), "FILE", "also write TAP 13 to FILE ('-': stdout, instead of the table)"},
    {"junit", 0, SPL_OPT_STR, SPL_OPT_DEST(A.junit), "FILE", "also write JUnit XML to FILE ('-': stdout, instead of the table)"},
    {"verbose", 'v', SPL_OPT_FLAG, SPL_OPT_DEST(A.verbose), NULL, "details and observations of passing rules too"},
    {"progress", 0, SPL_OPT_FLAG, SPL_OPT_DEST(A.progress), NULL, "a line per rule on stderr even when it is not a terminal"},
    {"no-progress", 0, SPL_OPT_FLAG, SPL_OPT_DEST(A.no_progress), NULL, "no progress lines on stderr"},
    {"list", 'l', SPL_OPT_FLAG, SPL_OPT_DEST(A.list), NULL, "list the rules and exit", .group = "Listings and the mutant matrix"},
    {"list-mutants", 0, SPL_OPT_FLAG, SPL_OPT_DEST(A.list_mut), NULL,
     "show the mutant matrix (fault, the rule meant to catch it) and exit"},
    {"kill-mutants", 0, SPL_OPT_FLAG, SPL_OPT_DEST(A.kill), NULL,
     "run each mutant build against the rule meant to catch it; one case per mutant (PASS = killed by its rule)"},
    {0},
};

static const struct spl_cmd conform_cmd = {
    .name = "conform",
    .usage = "[OPTIONS]\n--list | --list-mutants | --kill-mutants [--rules LIST]",
    .about = "Checks an implementation of the Splinter protocol rule by rule (docs/spec.md):\n"
             "multi-process seqlock and epoch checkers, signals, event bus, shard election and\n"
             "cooperative madvise, the byte format read independently, hostile store files,\n"
             "durability. The implementation never runs in this process: a probe child learns what\n"
             "it exports, and each rule runs in its own process with a deadline, so a crash or hang\n"
             "of the implementation is a failure of that rule, with its counterexample.",
    .opts = conform_opts,
    .examples = "splsuite conform                                   # the reference, shm backend\n"
                "splsuite conform --impl ref-file --rules 'DUR-*,SEC-*'\n"
                "splsuite conform --impl ./libmysplinter.so --peer ref --seed 42\n"
                "splsuite conform --impl mut:torn_write --rules SEQ-001 -v\n"
                "splsuite conform --tap - | tappy                  # TAP on stdout\n"
                "splsuite conform --tap build/reports/conform.tap --junit build/reports/conform.xml \\\n"
                "                 -o build/reports/conform.json",
    .exit_ok = "every rule passed, or was skipped with its reason",
    .exit_fail = "a rule failed or could not be evaluated (ERROR), or the implementation\n"
                 "       crashed, hung or failed in the probe",
};

static void list_rules(void)
{
    printf("%-8s %-9s %s\n", "RULE", "SEVERITY", "WHAT IS CHECKED");
    for (size_t i = 0; i < conform_nrules; i++)
        printf("%-8s %-9s %s\n", conform_rules[i].id, rule_severity_name(conform_rules[i].severity),
               conform_rules[i].title);
}

static const char *mutant_impl_spec(const struct spl_mutant *m, char *buf, size_t len)
{
    /* durability only exists on the file backend */
    snprintf(buf, len, "%s:%s", !strncmp(m->catcher, "DUR-", 4) ? "mut-file" : "mut", m->name);
    return buf;
}

static void list_mutants(void)
{
    printf("%-3s %-22s %-10s %-27s %s\n", "ID", "MUTANT", "CAUGHT BY", "RUN AS", "FAULT");
    for (size_t i = 0; i < spl_nmutants; i++) {
        const struct spl_mutant *m = &spl_mutants[i];
        char spec[96], path[PATH_MAX], err[256];
        mutant_impl_spec(m, spec, sizeof spec);
        bool conf = strncmp(m->catcher, "perf", 4) != 0 && strncmp(m->catcher, "test:", 5) != 0;
        bool built = spl_impl_resolve(spec, path, sizeof path, err, sizeof err) == 0;
        printf("%-3d %-22s %-10s %-27s %s%s\n", m->id, m->name, m->catcher, conf ? spec : m->catcher[0] == 't' ? "(meson test)" : "(splsuite bench gate)", m->what,
               built ? "" : " [not built]");
    }
}

/* ---- running rules -------------------------------------------------------- */

struct child_arg {
    struct conform *c;
    const struct rule *r;
    struct rule_out *o;
};

static int rule_child(void *arg, char *msg)
{
    (void)msg;
    struct child_arg *a = arg;
    a->o->result = SPL_ERROR;
    /* the implementation is loaded here, in the rule's own process, never in the harness */
    if (spl_impl_attach(&a->c->im, a->o->detail, sizeof a->o->detail) != 0 ||
        (a->c->have_peer && spl_impl_attach(&a->c->peer, a->o->detail, sizeof a->o->detail) != 0))
        return 0;
    snprintf(a->o->detail, sizeof a->o->detail, "rule ended without a verdict");
    a->r->run(a->c, a->o);
    if (a->o->store[0]) store_remove(a->c, a->o);
    return 0;
}

/* Rules that could not run because of the machine (a full or read-only store
 * directory): the run ends with exit 2 and this reason, never a FAIL. */
static unsigned env_errors;
static char env_reason[400];

static bool env_error(struct conform *c, struct spl_case *k, const char *what)
{
    char why[300];
    if (!spl_impl_env_problem(&c->im, 8u << 20, why, sizeof why)) return false;
    spl_case_set(k, SPL_ERROR, "%s: %s (a problem of this machine, not a finding about the implementation)", why, what);
    if (!env_errors++) snprintf(env_reason, sizeof env_reason, "%s", why);
    return true;
}

/* A failure that a full or read-only store directory explains (a worker's
 * SIGBUS writing a new store, a create refused for space): not judged. */
static bool env_symptom(const char *detail)
{
    return strstr(detail, "SIGBUS") || strstr(detail, "No space left on device") || strstr(detail, "Read-only file system") ||
           strstr(detail, "Disk quota exceeded");
}

static void run_rule(struct conform *c, const struct rule *r, struct spl_case *k, bool progress)
{
    const char *miss = r->needs ? spl_impl_missing(&c->im, r->needs) : NULL;
    if (miss) {
        spl_case_set(k, SPL_SKIP, "%s does not export splinter_%s", c->im.label, miss);
        return;
    }
    struct rule_out *o = spl_shared_alloc(sizeof *o);
    if (!o) {
        spl_case_set(k, SPL_ERROR, "out of memory");
        return;
    }
    struct child_arg a = {c, r, o};
    struct spl_child_result cr;
    uint64_t t0 = spl_time_ns();
    if (progress && isatty(STDERR_FILENO)) fprintf(stderr, "  %-8s ...\r", r->id);
    /* the rule's own budget, plus room for its hammering time (--duration) */
    uint64_t deadline = (uint64_t)(r->timeout_s ? r->timeout_s : 30) * 1000000000ull + 3 * c->duration_ns;
    int rc = spl_child_run(rule_child, &a, deadline, &cr);
    k->secs = (double)(spl_time_ns() - t0) / 1e9;
    if (rc != 0) {
        spl_case_set(k, SPL_ERROR, "fork: %s", strerror(errno));
    } else if (cr.interrupted) {
        spl_case_set(k, SPL_SKIP, "not finished: the run was interrupted after %.1f s of this rule", cr.secs);
        if (o->store[0]) spl_impl_store_remove(&c->im, o->store);
    } else if (cr.signal == SIGBUS && env_error(c, k, "the rule's process died of SIGBUS")) {
        if (o->store[0]) spl_impl_store_remove(&c->im, o->store);
    } else if (cr.timed_out && o->in_checker) {
        spl_case_set(k, SPL_ERROR, "the suite's history checker did not finish within the rule's %.0f s (the implementation's calls "
                     "were over; not judged)", cr.secs);
        if (o->store[0]) spl_impl_store_remove(&c->im, o->store);
    } else if (cr.signal || cr.timed_out) {
        char why[128];
        spl_child_describe(&cr, why, sizeof why);
        /* the rule's process only runs harness code and the implementation */
        bool last = o->result != SPL_ERROR && o->detail[0];
        spl_case_set(k, SPL_FAIL, "the implementation %s during the rule%s%s", why, last ? "; last state: " : "",
                     last ? o->detail : "");
        if (o->cex_len) spl_case_counterexample(k, "%s", o->cex);
        if (o->store[0]) spl_impl_store_remove(&c->im, o->store);
    } else if (!(o->result == SPL_ERROR || (o->result == SPL_FAIL && env_symptom(o->detail))) || !env_error(c, k, o->detail)) {
        spl_case_set(k, (enum spl_result)o->result, "%s", o->detail);
        if (o->cex_len) spl_case_counterexample(k, "%s", o->cex);
    }
    if (k->result == SPL_FAIL || k->result == SPL_ERROR)
        spl_case_repro(k, "%s --rules %s", c->repro, r->id);
    if (progress) fprintf(stderr, "  %-8s %-5s %6.2fs\n", r->id, spl_result_str(k->result), k->secs);
    spl_shared_free(o, sizeof *o);
}

static const char *backend_name(enum spl_backend b) { return b == SPL_BACKEND_FILE ? "file" : "shm"; }

/* The report on stdout (the table, or the one format sent to '-') and in
 * every requested file. A file that could not be written is exit 3, told
 * apart from a failed rule; stdout itself is checked by splsuite once the
 * command returns. */
static void write_outputs(struct spl_report *rep, int *rc)
{
    const char *fmts[3] = {"tap", "junit", "json"};
    const char *paths[3] = {A.tap, A.junit, A.output};
    bool on_stdout = A.json;
    for (int i = 0; i < 3; i++) on_stdout |= paths[i] && !strcmp(paths[i], "-");
    if (A.json && spl_report_save(rep, "json", "-") != 0) *rc = SPL_EXIT_OUTPUT;
    if (!on_stdout) spl_report_print_text(rep, stdout, spl_isatty_out(), A.verbose);
    for (int i = 0; i < 3; i++) {
        if (!paths[i] || (A.json && i == 2 && !strcmp(paths[i], "-"))) continue;
        if (spl_report_save(rep, fmts[i], paths[i]) != 0) {
            spl_err(CMD, "cannot write the %s report %s: %s", fmts[i], !strcmp(paths[i], "-") ? "to stdout" : paths[i],
                    strerror(errno));
            *rc = SPL_EXIT_OUTPUT;
        }
    }
}

/* The implementation crashed, hung or failed while being probed: that is the
 * finding, reported like a failed rule in every requested format. */
static int probe_failed(const char *spec, const char *why, uint64_t seed)
{
    struct spl_report rep;
    spl_report_init(&rep, "conform", spec, seed);
    struct spl_case *k = spl_report_add(&rep, "PROBE", "the implementation loads, creates a store and answers splinter_now "
                                                       "in a probe process", "critical");
    spl_case_set(k, SPL_FAIL, "%s", why);
    spl_case_repro(k, "splsuite conform --impl %s", spec);
    int rc = SPL_EXIT_FAIL;
    write_outputs(&rep, &rc);
    spl_report_free(&rep);
    return rc;
}

/* The command line that reproduces this run (every option that changes it). */
static void make_repro(char *buf, size_t len, const char *impl, const char *peer, uint64_t seed, unsigned workers,
                       uint64_t duration)
{
    char d[32];
    int n = snprintf(buf, len, "splsuite conform --impl %s%s%s --seed %llu --workers %u --duration %s", impl,
                     peer ? " --peer " : "", peer ? peer : "", (unsigned long long)seed, workers,
                     spl_opt_duration_text(duration, d, sizeof d));
    if (A.store_dir && n > 0 && (size_t)n < len) snprintf(buf + n, len - (size_t)n, " --store-dir %s", A.store_dir);
}

/* Every item of --rules selects something: an unknown name is a usage error,
 * never silently dropped (with --kill-mutants: a rule, a mutant or a catcher). */
static int check_rules(const char *globs, bool kill)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", globs);
    char *save = NULL;
    for (char *g = strtok_r(buf, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        while (*g == ' ') g++;
        size_t n = 0;
        for (size_t i = 0; i < conform_nrules; i++) n += conform_rule_selected(conform_rules[i].id, g);
        for (size_t i = 0; kill && i < spl_nmutants; i++) {
            char id[64];
            snprintf(id, sizeof id, "MUT-%s", spl_mutants[i].name);
            n += conform_rule_selected(spl_mutants[i].name, g) || conform_rule_selected(id, g) ||
                 conform_rule_selected(spl_mutants[i].catcher, g);
        }
        if (!n) return spl_opt_error(&conform_cmd, "--rules '%s': matches no %s (splsuite conform --list%s)", g,
                                     kill ? "rule or mutant" : "rule", kill ? ", --list-mutants" : "");
    }
    return 0;
}

static int kill_mutants(struct conform *base, const char *globs, bool progress, struct spl_report *rep)
{
    for (size_t i = 0; i < spl_nmutants && !spl_interrupted(); i++) {
        const struct spl_mutant *m = &spl_mutants[i];
        char id[64];
        snprintf(id, sizeof id, "MUT-%s", m->name);
        if (globs && !conform_rule_selected(m->name, globs) && !conform_rule_selected(id, globs) &&
            !conform_rule_selected(m->catcher, globs)) continue;
        char title[256];
        snprintf(title, sizeof title, "mutant %s (%s) is caught by %s", m->name, m->what, m->catcher);
        struct spl_case *k = spl_report_add(rep, id, title, "critical");
        if (!strncmp(m->catcher, "perf", 4)) {
            spl_case_set(k, SPL_SKIP, "a planted slowdown: caught by the CI perf gate (splsuite bench), not a protocol rule");
            continue;
        }
        if (!strncmp(m->catcher, "test:", 5)) {
            spl_case_set(k, SPL_SKIP, "caught by the meson test %s, not a protocol rule", m->catcher + 5);
            continue;
        }
        const struct rule *r = NULL;
        for (size_t j = 0; j < conform_nrules; j++)
            if (!strcmp(conform_rules[j].id, m->catcher)) r = &conform_rules[j];
        if (!r) {
            spl_case_set(k, SPL_ERROR, "splref_mutants.h names catcher %s, which is not a rule of this harness", m->catcher);
            continue;
        }
        char spec[96], err[512];
        mutant_impl_spec(m, spec, sizeof spec);
        struct conform c = *base;
        if (spl_impl_load(spec, &c.im, err, sizeof err) != 0) {
            spl_case_set(k, SPL_ERROR, "%s", err);
            continue;
        }
        c.have_peer = base->have_peer;
        make_repro(c.repro, sizeof c.repro, spec, NULL, c.seed, c.workers, c.duration_ns);
        /* concurrency rules observe races by sampling: a mutant gets up to
         * three runs (seeds seed, seed+1, seed+2) to be caught */
        struct spl_case tmp;
        int attempt = 0;
        double secs = 0;
        memset(&tmp, 0, sizeof tmp);
        for (attempt = 1; attempt <= 3 && !spl_interrupted(); attempt++) {
            free(tmp.detail);
            free(tmp.counterexample);
            free(tmp.repro);
            memset(&tmp, 0, sizeof tmp);
            c.seed = base->seed + (uint64_t)(attempt - 1);
            run_rule(&c, r, &tmp, false);
            secs += tmp.secs;
            if (tmp.result == SPL_FAIL || tmp.result == SPL_SKIP || tmp.result == SPL_ERROR) break;
        }
        k->secs = secs;
        if (tmp.result == SPL_FAIL) {
            spl_case_set(k, SPL_PASS, "killed by %s%s: %s", r->id, attempt > 1 ? (attempt == 2 ? " (2nd run)" : " (3rd run)") : "",
                         tmp.detail ? tmp.detail : "");
        } else {
            spl_case_set(k, SPL_FAIL, "survived %s (%s: %s)", r->id, spl_result_str(tmp.result), tmp.detail ? tmp.detail : "");
            spl_case_repro(k, "%s --rules %s -v", c.repro, r->id);
        }
        if (tmp.counterexample && base->verbose) spl_case_counterexample(k, "%s", tmp.counterexample);
        free(tmp.detail);
        free(tmp.counterexample);
        free(tmp.repro);
        spl_impl_unload(&c.im);
        if (progress) fprintf(stderr, "  %-26s %-5s %6.2fs\n", id, spl_result_str(k->result), k->secs);
    }
    return 0;
}

int cmd_conform(int argc, char **argv)
{
    conform_rules_init();
    memset(&A, 0, sizeof A);
    int first, rc = spl_opt_parse(&conform_cmd, argc, argv, &first);
    if (rc != SPL_OPT_OK) return rc == SPL_OPT_HELP ? SPL_EXIT_OK : rc;
    if (first < argc) return spl_opt_error(&conform_cmd, "unexpected argument '%s'", argv[first]);
    if (A.list) { list_rules(); return SPL_EXIT_OK; }
    if (A.list_mut) { list_mutants(); return SPL_EXIT_OK; }
    if (A.rules && (rc = check_rules(A.rules, A.kill)) != 0) return rc;
    int to_stdout = A.json;
    const char *outs[3] = {A.tap, A.junit, A.output};
    for (int i = 0; i < 3; i++) to_stdout += outs[i] && !strcmp(outs[i], "-");
    if (to_stdout > 1 && !(A.json && A.output && !strcmp(A.output, "-") && !A.tap && !A.junit))
        return spl_opt_error(&conform_cmd, "one report at most on stdout (--json, or one of --tap/--junit/--output set to '-')");
    if (A.progress && A.no_progress) return spl_opt_error(&conform_cmd, "--progress and --no-progress: choose one");
    if (A.store_dir) {
        char why[300];
        if (spl_store_dir_problem(A.store_dir, 1u << 20, why, sizeof why))
            return spl_opt_error(&conform_cmd, "--store-dir '%s': %s", A.store_dir, why);
        spl_set_store_dir(A.store_dir);
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (!A.workers_set) A.workers = ncpu + 2 > 4 ? (unsigned)ncpu + 2 : 4;
    uint64_t seed = A.seed_set ? A.seed : spl_seed_from_time();
    unsigned workers = A.workers;
    uint64_t dur = A.duration;
    bool progress = A.progress || (!A.no_progress && !to_stdout && isatty(STDERR_FILENO));

    static struct conform c;
    memset(&c, 0, sizeof c);
    c.seed = seed;
    c.workers = workers;
    c.duration_ns = dur;
    c.verbose = A.verbose;
    char err[512];
    if (spl_impl_load(A.impl, &c.im, err, sizeof err) != 0) {
        if (c.im.at_fault) return probe_failed(A.impl, err, seed);
        spl_err(CMD, "%s", err);
        return SPL_EXIT_USAGE;
    }
    const char *peer_spec = A.peer ? A.peer : c.im.backend == SPL_BACKEND_FILE ? "ref-file" : "ref";
    if (spl_impl_load(peer_spec, &c.peer, err, sizeof err) == 0) {
        c.have_peer = true;
        if (c.peer.backend != c.im.backend) {
            spl_err(CMD, "--peer %s uses the %s backend and --impl %s the %s one: interop needs the same backend", peer_spec,
                    backend_name(c.peer.backend), A.impl, backend_name(c.im.backend));
            spl_impl_unload(&c.im), spl_impl_unload(&c.peer);
            return SPL_EXIT_USAGE;
        }
    } else if (A.peer) {
        spl_impl_unload(&c.im);
        if (c.peer.at_fault) return probe_failed(A.peer, err, seed);
        spl_err(CMD, "%s", err);
        return SPL_EXIT_USAGE;
    }
    c.tps = c.im.tps;
    make_repro(c.repro, sizeof c.repro, A.impl, A.peer, seed, workers, dur);

    char subject[512];
    snprintf(subject, sizeof subject, "%s (%s backend)%s%s", c.im.label, backend_name(c.im.backend),
             c.have_peer ? ", peer " : "", c.have_peer ? c.peer.label : "");
    struct spl_report rep;
    spl_report_init(&rep, "conform", subject, seed);
    static struct spl_envelope env; /* the run identity of the JSON report */
    spl_envelope_init(&env, "splsuite-conform/1");
    spl_envelope_add_spl_impl(&env, &c.im);
    if (c.have_peer) spl_envelope_add_spl_impl(&env, &c.peer);
    rep.envelope = &env;
    fprintf(stderr, "splsuite conform: %s, %u workers, %.2f s per concurrency rule, seed %llu\n", subject, workers,
            (double)dur / 1e9, (unsigned long long)seed);
    /* Ctrl-C or SIGTERM: the rule running is stopped (its process group
     * killed, its store removed), and what ran is reported, INTERRUPTED */
    spl_interrupt_catch();
    uint64_t t0 = spl_time_ns();
    if (A.kill) {
        snprintf(rep.subject, sizeof rep.subject, "mutant matrix (%zu mutants)", spl_nmutants);
        kill_mutants(&c, A.rules, progress, &rep);
    } else {
        for (size_t i = 0; i < conform_nrules; i++) rep.planned += conform_rule_selected(conform_rules[i].id, A.rules);
        for (size_t i = 0; i < conform_nrules && !spl_interrupted(); i++) {
            const struct rule *r = &conform_rules[i];
            if (!conform_rule_selected(r->id, A.rules)) continue;
            struct spl_case *k = spl_report_add(&rep, r->id, r->title, rule_severity_name(r->severity));
            run_rule(&c, r, k, progress);
        }
    }
    rep.interrupted = spl_interrupted();
    rep.secs = (double)(spl_time_ns() - t0) / 1e9;
    rep.meta = json_object_new_object();
    json_object_object_add(rep.meta, "impl", json_object_new_string(c.im.path));
    json_object_object_add(rep.meta, "backend", json_object_new_string(backend_name(c.im.backend)));
    if (c.have_peer) json_object_object_add(rep.meta, "peer", json_object_new_string(c.peer.path));
    json_object_object_add(rep.meta, "workers", json_object_new_int((int)workers));
    json_object_object_add(rep.meta, "duration_s", json_object_new_double((double)dur / 1e9));
    json_object_object_add(rep.meta, "ticks_per_s", json_object_new_uint64(c.tps));
    json_object_object_add(rep.meta, "repro", json_object_new_string(c.repro));
    rc = spl_report_exit_code(&rep);
    size_t counts[4];
    spl_report_counts(&rep, counts);
    bool env_only = !rep.interrupted && env_errors && counts[SPL_FAIL] == 0 && counts[SPL_ERROR] == env_errors;
    if (env_only) rc = SPL_EXIT_USAGE;
    int wrc = rc;
    write_outputs(&rep, &wrc);
    if (wrc == SPL_EXIT_OUTPUT && !rep.interrupted && rc != SPL_EXIT_USAGE) rc = SPL_EXIT_OUTPUT;
    if (env_only) spl_err(CMD, "%u rule(s) could not run: %s", env_errors, env_reason);
    if (rep.interrupted) {
        char sn[32];
        spl_err(CMD, "interrupted by %s: %zu of %zu rules ran; every store the run made was removed",
                spl_signame(rep.interrupted, sn, sizeof sn), rep.n, rep.planned > rep.n ? rep.planned : rep.n);
    }
    spl_report_free(&rep);
    spl_impl_unload(&c.im);
    if (c.have_peer) spl_impl_unload(&c.peer);
    return rc;
}
