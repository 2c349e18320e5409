/*
 * main.c - `splsuite conform`: option parsing, rule selection, the rule
 * runner (one forked child per rule, with a deadline), the mutant matrix
 * and the reports.
 */
#include "commands.h"
#include "conform.h"
#include "envelope.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *CMD = "conform";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: splsuite conform [--impl SPEC] [--peer SPEC] [--rules GLOB,...] [--workers N]\n"
            "                        [--duration TIME] [--seed N] [--json] [--tap FILE] [--junit FILE]\n"
            "                        [--json-out FILE] [-v]\n"
            "       splsuite conform --list | --list-mutants | --kill-mutants [--rules GLOB,...]\n\n"
            "Checks an implementation of the Splinter protocol rule by rule (docs/spec.md):\n"
            "multi-process seqlock and epoch checkers, signals, event bus, shard election and\n"
            "cooperative madvise, the byte format read independently, hostile store files,\n"
            "durability. Each rule runs in its own process with a deadline: a crash or hang of\n"
            "the implementation is a failure of that rule, with its counterexample.\n\n"
            "  --impl SPEC       implementation: ref (default), ref-file, mut:NAME, mut-file:NAME, or a .so path\n"
            "  --peer SPEC       second implementation for the interop rule FMT-004 (default: the\n"
            "                    reference with the same backend as --impl)\n"
            "  --rules LIST      comma-separated globs over rule ids or families (SEQ-001, 'ELE-*', API)\n"
            "  --workers N       processes in multi-process rules (default: max(4, cores + 2))\n"
            "  --duration TIME   hammering time of each concurrency rule (default 1s; e.g. 500ms, 5s)\n"
            "  --seed N          seed of every random choice (default: from the clock; printed)\n"
            "  --json            JSON report on stdout instead of the table\n"
            "  --tap FILE        also write TAP 13;  --junit FILE  JUnit XML;  --json-out FILE  JSON\n"
            "  --list            list the rules and exit\n"
            "  --list-mutants    show the mutant matrix (fault, the rule meant to catch it) and exit\n"
            "  --kill-mutants    run each mutant build against the rule meant to catch it; one case per\n"
            "                    mutant (PASS = killed by its rule), then the clean reference on those rules\n"
            "  -v, --verbose     show details and observations of passing rules too\n\n"
            "Exit status: 0 every rule passed (or was skipped with a reason), 1 a rule failed,\n"
            "2 usage error, 77 nothing could run.\n\n"
            "EXAMPLES\n"
            "  splsuite conform                                   # the reference, shm backend\n"
            "  splsuite conform --impl ref-file --rules 'DUR-*,SEC-*'\n"
            "  splsuite conform --impl ./libmysplinter.so --peer ref --seed 42\n"
            "  splsuite conform --impl mut:torn_write --rules SEQ-001 -v\n"
            "  splsuite conform --tap build/reports/conform.tap --junit build/reports/conform.xml \\\n"
            "                   --json-out build/reports/conform.json\n");
}

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
        bool conf = strncmp(m->catcher, "perf", 4) != 0;
        bool built = spl_impl_resolve(spec, path, sizeof path, err, sizeof err) == 0;
        printf("%-3d %-22s %-10s %-27s %s%s\n", m->id, m->name, m->catcher, conf ? spec : "(splsuite bench gate)", m->what,
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
    if (progress) fprintf(stderr, "  %-8s ...\r", r->id);
    /* the rule's own budget, plus room for its hammering time (--duration) */
    uint64_t deadline = (uint64_t)(r->timeout_s ? r->timeout_s : 30) * 1000000000ull + 3 * c->duration_ns;
    int rc = spl_child_run(rule_child, &a, deadline, &cr);
    k->secs = (double)(spl_time_ns() - t0) / 1e9;
    if (rc != 0) {
        spl_case_set(k, SPL_ERROR, "fork: %s", strerror(errno));
    } else if (cr.signal == SIGBUS && env_error(c, k, "the rule's process died of SIGBUS")) {
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
    } else if (o->result != SPL_ERROR || !env_error(c, k, o->detail)) {
        spl_case_set(k, (enum spl_result)o->result, "%s", o->detail);
        if (o->cex_len) spl_case_counterexample(k, "%s", o->cex);
    }
    if (k->result == SPL_FAIL || k->result == SPL_ERROR)
        spl_case_repro(k, "%s --rules %s", c->repro, r->id);
    if (progress) fprintf(stderr, "  %-8s %-5s %6.2fs\n", r->id, spl_result_str(k->result), k->secs);
    spl_shared_free(o, sizeof *o);
}

static const char *backend_name(enum spl_backend b) { return b == SPL_BACKEND_FILE ? "file" : "shm"; }

static void write_outputs(struct spl_report *rep, bool json, bool verbose, const char *tap, const char *junit,
                          const char *json_out, int *rc)
{
    if (json) spl_report_write_json(rep, stdout);
    else spl_report_print_text(rep, stdout, spl_isatty_out(), verbose);
    const char *fmts[3] = {"tap", "junit", "json"};
    const char *paths[3] = {tap, junit, json_out};
    for (int i = 0; i < 3; i++) {
        if (!paths[i]) continue;
        if (spl_report_save(rep, fmts[i], paths[i]) != 0) {
            spl_err(CMD, "cannot write %s: %s", paths[i], strerror(errno));
            if (*rc == 0) *rc = SPL_EXIT_FAIL;
        }
    }
}

/* The implementation crashed, hung or failed while being probed: that is the
 * finding, reported like a failed rule in every requested format. */
static int probe_failed(const char *spec, const char *why, uint64_t seed, bool json, bool verbose, const char *tap,
                        const char *junit, const char *json_out)
{
    struct spl_report rep;
    spl_report_init(&rep, "conform", spec, seed);
    struct spl_case *k = spl_report_add(&rep, "PROBE", "the implementation loads, creates a store and answers splinter_now "
                                                       "in a probe process", "critical");
    spl_case_set(k, SPL_FAIL, "%s", why);
    spl_case_repro(k, "splsuite conform --impl %s", spec);
    int rc = SPL_EXIT_FAIL;
    write_outputs(&rep, json, verbose, tap, junit, json_out, &rc);
    spl_report_free(&rep);
    return rc;
}

static int kill_mutants(struct conform *base, const char *globs, bool progress, struct spl_report *rep)
{
    for (size_t i = 0; i < spl_nmutants; i++) {
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
        snprintf(c.repro, sizeof c.repro, "splsuite conform --impl %s --seed %llu --workers %u", spec,
                 (unsigned long long)c.seed, c.workers);
        /* concurrency rules observe races by sampling: a mutant gets up to
         * three runs (seeds seed, seed+1, seed+2) to be caught */
        struct spl_case tmp;
        int attempt = 0;
        double secs = 0;
        memset(&tmp, 0, sizeof tmp);
        for (attempt = 1; attempt <= 3; attempt++) {
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
    const char *impl_spec = "ref", *peer_spec = NULL, *globs = NULL, *tap = NULL, *junit = NULL, *json_out = NULL;
    bool json = false, verbose = false, do_list = false, do_list_mut = false, do_kill = false;
    uint64_t seed = 0, dur = 1000000000ull;
    bool seed_set = false;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned workers = ncpu + 2 > 4 ? (unsigned)ncpu + 2 : 4;
    enum { O_TAP = 256, O_JUNIT, O_JSON_OUT, O_LIST_MUT, O_KILL };
    static const struct option opts[] = {
        {"impl", required_argument, 0, 'i'},     {"peer", required_argument, 0, 'p'},
        {"rules", required_argument, 0, 'r'},    {"workers", required_argument, 0, 'w'},
        {"duration", required_argument, 0, 'd'}, {"seed", required_argument, 0, 's'},
        {"json", no_argument, 0, 'j'},           {"tap", required_argument, 0, O_TAP},
        {"junit", required_argument, 0, O_JUNIT}, {"json-out", required_argument, 0, O_JSON_OUT},
        {"list", no_argument, 0, 'l'},           {"list-mutants", no_argument, 0, O_LIST_MUT},
        {"kill-mutants", no_argument, 0, O_KILL}, {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},           {0, 0, 0, 0},
    };
    conform_rules_init();
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "i:p:r:w:d:s:jlvh", opts, NULL)) != -1) {
        char *end;
        switch (ch) {
        case 'i': impl_spec = optarg; break;
        case 'p': peer_spec = optarg; break;
        case 'r': globs = optarg; break;
        case 'w': {
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || v < 2 || v > 256) {
                spl_err(CMD, "--workers: want 2..256, got '%s'", optarg);
                return SPL_EXIT_USAGE;
            }
            workers = (unsigned)v;
            break;
        }
        case 'd':
            if (spl_parse_duration(optarg, &dur) != 0 || dur == 0) {
                spl_err(CMD, "--duration: not a duration: '%s' (e.g. 500ms, 2s)", optarg);
                return SPL_EXIT_USAGE;
            }
            break;
        case 's':
            errno = 0;
            seed = strtoull(optarg, &end, 0);
            if (errno || *end || end == optarg) {
                spl_err(CMD, "--seed: not a number: '%s'", optarg);
                return SPL_EXIT_USAGE;
            }
            seed_set = true;
            break;
        case 'j': json = true; break;
        case O_TAP: tap = optarg; break;
        case O_JUNIT: junit = optarg; break;
        case O_JSON_OUT: json_out = optarg; break;
        case 'l': do_list = true; break;
        case O_LIST_MUT: do_list_mut = true; break;
        case O_KILL: do_kill = true; break;
        case 'v': verbose = true; break;
        case 'h': usage(stdout); return SPL_EXIT_OK;
        default: usage(stderr); return SPL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        spl_err(CMD, "unexpected argument '%s' (see --help)", argv[optind]);
        return SPL_EXIT_USAGE;
    }
    if (do_list) { list_rules(); return SPL_EXIT_OK; }
    if (do_list_mut) { list_mutants(); return SPL_EXIT_OK; }
    if (globs) {
        size_t n = 0;
        for (size_t i = 0; i < conform_nrules; i++) n += conform_rule_selected(conform_rules[i].id, globs);
        if (!n && !do_kill) {
            spl_err(CMD, "--rules '%s' matches no rule (splsuite conform --list)", globs);
            return SPL_EXIT_USAGE;
        }
    }
    if (!seed_set) seed = spl_seed_from_time();

    static struct conform c;
    memset(&c, 0, sizeof c);
    c.seed = seed;
    c.workers = workers;
    c.duration_ns = dur;
    c.verbose = verbose;
    char err[512];
    int lrc = spl_impl_load(impl_spec, &c.im, err, sizeof err);
    if (lrc == SPL_EXIT_FAIL) return probe_failed(impl_spec, err, seed, json, verbose, tap, junit, json_out);
    if (lrc != 0) {
        spl_err(CMD, "%s", err);
        return lrc;
    }
    char peer_default[16];
    if (!peer_spec) {
        snprintf(peer_default, sizeof peer_default, "%s", c.im.backend == SPL_BACKEND_FILE ? "ref-file" : "ref");
        peer_spec = peer_default;
    }
    if ((lrc = spl_impl_load(peer_spec, &c.peer, err, sizeof err)) == 0) {
        c.have_peer = true;
        if (c.peer.backend != c.im.backend) {
            spl_err(CMD, "--peer %s uses the %s backend and --impl %s the %s one: interop needs the same backend", peer_spec,
                    backend_name(c.peer.backend), impl_spec, backend_name(c.im.backend));
            return SPL_EXIT_USAGE;
        }
    } else if (peer_spec != peer_default) {
        if (lrc == SPL_EXIT_FAIL) return probe_failed(peer_spec, err, seed, json, verbose, tap, junit, json_out);
        spl_err(CMD, "%s", err);
        return lrc;
    }
    c.tps = c.im.tps;
    snprintf(c.repro, sizeof c.repro, "splsuite conform --impl %s%s%s --seed %llu --workers %u", impl_spec,
             peer_spec != peer_default ? " --peer " : "", peer_spec != peer_default ? peer_spec : "",
             (unsigned long long)seed, workers);

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
    bool progress = isatty(STDERR_FILENO) && !json;
    fprintf(stderr, "splsuite conform: %s, %u workers, %.2f s per concurrency rule, seed %llu\n", subject, workers,
            (double)dur / 1e9, (unsigned long long)seed);
    uint64_t t0 = spl_time_ns();
    if (do_kill) {
        snprintf(rep.subject, sizeof rep.subject, "mutant matrix (%zu mutants)", spl_nmutants);
        kill_mutants(&c, globs, progress, &rep);
    } else {
        for (size_t i = 0; i < conform_nrules; i++) {
            const struct rule *r = &conform_rules[i];
            if (!conform_rule_selected(r->id, globs)) continue;
            struct spl_case *k = spl_report_add(&rep, r->id, r->title, rule_severity_name(r->severity));
            run_rule(&c, r, k, progress);
        }
    }
    rep.secs = (double)(spl_time_ns() - t0) / 1e9;
    rep.meta = json_object_new_object();
    json_object_object_add(rep.meta, "impl", json_object_new_string(c.im.path));
    json_object_object_add(rep.meta, "backend", json_object_new_string(backend_name(c.im.backend)));
    if (c.have_peer) json_object_object_add(rep.meta, "peer", json_object_new_string(c.peer.path));
    json_object_object_add(rep.meta, "workers", json_object_new_int((int)workers));
    json_object_object_add(rep.meta, "duration_s", json_object_new_double((double)dur / 1e9));
    json_object_object_add(rep.meta, "ticks_per_s", json_object_new_uint64(c.tps));
    int rc = spl_report_exit_code(&rep);
    size_t counts[4];
    spl_report_counts(&rep, counts);
    bool env_only = env_errors && counts[SPL_FAIL] == 0 && counts[SPL_ERROR] == env_errors;
    if (env_only) rc = SPL_EXIT_USAGE;
    write_outputs(&rep, json, verbose, tap, junit, json_out, &rc);
    if (env_only) spl_err(CMD, "%u rule(s) could not run: %s", env_errors, env_reason);
    spl_report_free(&rep);
    spl_impl_unload(&c.im);
    if (c.have_peer) spl_impl_unload(&c.peer);
    return rc;
}
