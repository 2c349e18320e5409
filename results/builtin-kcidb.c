/*
 * builtin-kcidb.c - `splsuite kcidb FILE.json...`: conform and torture results as
 * a KCIDB report (Kernel CI's common reporting format, schema v4.3), for
 * those who evaluate kernels with the suite: one checkout and one build for
 * the kernel each run ran on (its release, command line, architecture, from
 * the run envelope), one test per conformance rule
 * (splinter.conform.<RULE>), one per torture run (splinter.torture), and a
 * summary test per run with the highest-priority status of its rules, as
 * KCIDB orders them: FAIL, ERROR, MISS, PASS, DONE, SKIP.
 */
#include "commands.h"
#include "envelope.h"
#include "util.h"

#include "opt.h"
#include "outfile.h"
#include "rows.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "kcidb"

struct kopts {
    const char *origin, *commit, *repo, *branch, *tree, *build_id, *log_url;
};

static void put_s(json_object *o, const char *k, const char *v)
{
    if (v && *v) json_object_object_add(o, k, json_object_new_string(v)); /* KCIDB: no nulls, absent instead */
}

static void put_copy(json_object *o, const char *k, json_object *v)
{
    if (v && !json_object_is_type(v, json_type_null)) json_object_object_add(o, k, json_object_get(v));
}

/* ids are ORIGIN:REST; REST from our own strings, kept printable */
static void id_of(char *buf, size_t len, const char *origin, const char *a, const char *b, const char *c)
{
    snprintf(buf, len, "%s:%s%s%s%s%s", origin, a, b ? ":" : "", b ? b : "", c ? ":" : "", c ? c : "");
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x21 || *p == 0x7f) *p = '_';
}

/* KCIDB status priority: FAIL ERROR MISS PASS DONE SKIP (worst first) */
static int prio(const char *s)
{
    static const char *const order[] = {"FAIL", "ERROR", "MISS", "PASS", "DONE", "SKIP"};
    for (int i = 0; i < 6; i++)
        if (!strcmp(s, order[i])) return i;
    return 5;
}

static bool valid_commit(const char *c)
{
    return c && strlen(c) == 40 && strspn(c, "0123456789abcdef") == 40;
}

struct report {
    json_object *checkouts, *builds, *tests;
};

/* The kernel of a run: one checkout and one build, shared by runs on the same kernel. */
static void kernel_objects(struct report *r, const struct kopts *o, json_object *run, char *build_id, size_t blen)
{
    json_object *m = rj_get(run, "machine"), *k = rj_get(m, "kernel");
    const char *release = *rj_str(k, "release") ? rj_str(k, "release") : "unknown-kernel", *arch = rj_str(m, "arch");
    char co_id[512];
    if (valid_commit(o->commit)) id_of(co_id, sizeof co_id, o->origin, o->commit, NULL, NULL);
    else id_of(co_id, sizeof co_id, o->origin, "kernel", release, NULL);
    if (o->build_id) snprintf(build_id, blen, "%s", o->build_id);
    else id_of(build_id, blen, o->origin, "kernel", release, *arch ? arch : NULL);
    for (size_t i = 0; i < json_object_array_length(r->builds); i++)
        if (!strcmp(rj_str(json_object_array_get_idx(r->builds, i), "id"), build_id)) return;
    bool have_co = false;
    for (size_t i = 0; i < json_object_array_length(r->checkouts); i++)
        have_co |= !strcmp(rj_str(json_object_array_get_idx(r->checkouts, i), "id"), co_id);
    if (!have_co) {
        json_object *c = json_object_new_object();
        put_s(c, "id", co_id);
        put_s(c, "origin", o->origin);
        if (valid_commit(o->commit)) put_s(c, "git_commit_hash", o->commit);
        put_s(c, "git_repository_url", o->repo);
        put_s(c, "git_repository_branch", o->branch);
        put_s(c, "tree_name", o->tree);
        put_s(c, "comment", release);
        json_object_object_add(c, "valid", json_object_new_boolean(true));
        json_object_array_add(r->checkouts, c);
    }
    json_object *b = json_object_new_object();
    put_s(b, "id", build_id);
    put_s(b, "origin", o->origin);
    put_s(b, "checkout_id", co_id);
    /* KCIDB architectures are [a-z0-9_]*: x86_64, aarch64 pass as they are */
    char a[64];
    size_t n = 0;
    for (const char *p = arch; *p && n < sizeof a - 1; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_') a[n++] = *p;
    a[n] = 0;
    put_s(b, "architecture", a);
    char comment[600];
    snprintf(comment, sizeof comment, "Linux %s %s", release, rj_str(k, "version"));
    put_s(b, "comment", comment);
    json_object_object_add(b, "valid", json_object_new_boolean(true));
    json_object *misc = json_object_new_object();
    put_s(misc, "kernel_release", release);
    put_s(misc, "kernel_cmdline", rj_str(k, "cmdline"));
    json_object_object_add(b, "misc", misc);
    json_object_array_add(r->builds, b);
}

static json_object *environment(json_object *run)
{
    json_object *m = rj_get(run, "machine"), *e = json_object_new_object(), *misc = json_object_new_object();
    char c[512];
    snprintf(c, sizeof c, "%s: %s, %lld cores, %d NUMA node(s)", rj_str(m, "hostname"), rj_str(rj_get(m, "cpu"), "model"),
             (long long)json_object_get_int64(rj_get(rj_get(m, "cpu"), "cores")), json_object_get_int(rj_get(m, "numa_nodes")));
    put_s(e, "comment", c);
    put_copy(misc, "machine", m);
    json_object_object_add(e, "misc", misc);
    return e;
}

/* Identity of the implementation and the suite, on every test. */
static json_object *test_misc(json_object *run, const char *run_id)
{
    json_object *misc = json_object_new_object();
    put_s(misc, "run_id", run_id);
    put_copy(misc, "suite", rj_get(run, "suite"));
    put_copy(misc, "implementations", rj_get(run, "implementations"));
    put_copy(misc, "command_line", rj_get(run, "command_line"));
    return misc;
}

static json_object *new_test(const struct kopts *o, const char *id, const char *build_id, const char *path,
                             const char *status, const char *start, json_object *run, const char *run_id)
{
    json_object *t = json_object_new_object();
    put_s(t, "id", id);
    put_s(t, "origin", o->origin);
    put_s(t, "build_id", build_id);
    put_s(t, "path", path);
    put_s(t, "status", status);
    put_s(t, "start_time", start);
    put_s(t, "log_url", o->log_url);
    json_object_object_add(t, "environment", environment(run));
    json_object_object_add(t, "misc", test_misc(run, run_id));
    return t;
}

static void excerpt(json_object *t, const char *s)
{
    if (!s || !*s) return;
    char buf[16384];
    snprintf(buf, sizeof buf, "%s", s); /* KCIDB: at most 16384 characters */
    put_s(t, "log_excerpt", buf);
}

static int add_doc(struct report *r, const struct kopts *o, json_object *doc, const char *path)
{
    const char *schema = spl_envelope_schema_of(doc);
    json_object *run = spl_envelope_run_of(doc);
    if (!run) {
        spl_err(CMD, "%s: no run envelope (schema %s): the kernel it ran on is unknown", path, *schema ? schema : "none");
        return -1;
    }
    const char *run_id = rj_str(run, "id"), *start = rj_str(run, "date");
    char build_id[600], id[1024];
    if (!strncmp(schema, "splsuite-conform/", 17)) {
        kernel_objects(r, o, run, build_id, sizeof build_id);
        json_object *cases = rj_get(doc, "cases");
        int worst = 5;
        double total = 0;
        for (size_t i = 0; cases && i < json_object_array_length(cases); i++) {
            json_object *c = json_object_array_get_idx(cases, i);
            const char *rid = rj_str(c, "id"), *res = rj_str(c, "result");
            const char *st = !strcmp(res, "PASS") ? "PASS" : !strcmp(res, "FAIL") ? "FAIL"
                           : !strcmp(res, "SKIP") ? "SKIP" : "ERROR";
            char tpath[256];
            snprintf(tpath, sizeof tpath, "splinter.conform.%s", rid);
            for (char *p = tpath; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                      *p == '_' || *p == '-'))
                    *p = '_';
            id_of(id, sizeof id, o->origin, run_id, "conform", rid);
            json_object *t = new_test(o, id, build_id, tpath, st, start, run, run_id);
            put_s(t, "comment", rj_str(c, "title"));
            json_object *secs = rj_get(c, "seconds");
            if (secs) json_object_object_add(t, "duration", json_object_new_double(json_object_get_double(secs)));
            total += secs ? json_object_get_double(secs) : 0;
            const char *ce = rj_str(c, "counterexample");
            excerpt(t, *ce ? ce : rj_str(c, "detail"));
            json_object *misc = rj_get(t, "misc");
            put_s(misc, "rule", rid);
            put_s(misc, "severity", rj_str(c, "severity"));
            put_s(misc, "detail", rj_str(c, "detail"));
            put_s(misc, "repro", rj_str(c, "repro"));
            json_object_array_add(r->tests, t);
            if (prio(st) < worst) worst = prio(st);
        }
        static const char *const order[] = {"FAIL", "ERROR", "MISS", "PASS", "DONE", "SKIP"};
        id_of(id, sizeof id, o->origin, run_id, "conform", NULL);
        json_object *t = new_test(o, id, build_id, "splinter.conform", order[worst], start, run, run_id);
        char cm[700];
        snprintf(cm, sizeof cm, "splsuite conform: %s", rj_str(doc, "subject"));
        put_s(t, "comment", cm);
        json_object_object_add(t, "duration", json_object_new_double(total));
        put_copy(rj_get(t, "misc"), "summary", rj_get(doc, "summary"));
        json_object_array_add(r->tests, t);
        return 0;
    }
    if (!strncmp(schema, "splsuite-torture/", 17)) {
        kernel_objects(r, o, run, build_id, sizeof build_id);
        id_of(id, sizeof id, o->origin, run_id, "torture", NULL);
        const char *v = rj_str(doc, "verdict");
        json_object *t = new_test(o, id, build_id, "splinter.torture", !strcmp(v, "SUCCESS") ? "PASS" : !strcmp(v, "FAILURE") ? "FAIL" : "ERROR",
                                  start, run, run_id);
        char cm[300];
        json_object *p = rj_get(doc, "params");
        snprintf(cm, sizeof cm, "splsuite torture: %s (%s backend), %s", rj_str(p, "impl"), rj_str(p, "backend"), v);
        put_s(t, "comment", cm);
        json_object *el = rj_get(doc, "elapsed_s");
        if (el) json_object_object_add(t, "duration", json_object_new_double(json_object_get_double(el)));
        excerpt(t, rj_str(doc, "first_failure"));
        put_copy(rj_get(t, "misc"), "params", p);
        put_copy(rj_get(t, "misc"), "totals", rj_get(doc, "totals"));
        json_object_array_add(r->tests, t);
        return 0;
    }
    spl_err(CMD, "%s: a %s document: only conform and torture results go to KCIDB", path, *schema ? schema : "non-splsuite");
    return -1;
}

static bool origin_ok(const char *s)
{
    return *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

static struct kopts K;
static const char *kcidb_out;

static const struct spl_opt kcidb_opts[] = {
    {"origin", 0, SPL_OPT_STR, SPL_OPT_DEST(K.origin), "NAME", "KCIDB origin of every id ([a-z0-9_]+)", .def = "splinter"},
    {"kernel-commit", 0, SPL_OPT_STR, SPL_OPT_DEST(K.commit), "HASH", "the tested kernel's git commit (40 hex digits)"},
    {"kernel-repo", 0, SPL_OPT_STR, SPL_OPT_DEST(K.repo), "URL", "its git repository (https:// or git://)"},
    {"kernel-branch", 0, SPL_OPT_STR, SPL_OPT_DEST(K.branch), "BRANCH", "its branch"},
    {"tree", 0, SPL_OPT_STR, SPL_OPT_DEST(K.tree), "NAME", "its tree (mainline, net-next, ...)"},
    {"build-id", 0, SPL_OPT_STR, SPL_OPT_DEST(K.build_id), "ID", "the kernel build's id in your CI (ORIGIN:...)",
     .def_help = "from the kernel release and architecture"},
    {"log-url", 0, SPL_OPT_STR, SPL_OPT_DEST(K.log_url), "URL", "where the results files are published (log_url of each test)"},
    {"output", 'o', SPL_OPT_STR, SPL_OPT_DEST(kcidb_out), "FILE", "write the report there instead of stdout"},
    {0},
};

static const struct spl_cmd kcidb_cmd = {
    .name = "kcidb",
    .usage = "[OPTIONS] RESULT.json...",
    .about = "Converts conform and torture --json results into a KCIDB report (Kernel CI's\n"
             "common database, schema version 4.3) on stdout, for kcidb-submit. The kernel each\n"
             "run ran on is the checkout and the build (release, command line and architecture\n"
             "come from the run's envelope); each conformance rule is a test\n"
             "splinter.conform.RULE, each torture run splinter.torture, and each run also gets a\n"
             "summary test (splinter.conform, the worst status of its rules).",
    .opts = kcidb_opts,
    .examples = "splsuite conform -o conform.json && splsuite torture --json > torture.json\n"
                "splsuite kcidb --origin mylab --kernel-commit $(git -C linux rev-parse HEAD) conform.json torture.json",
    .exit_ok = "the report was written",
    .exit_fail = "a file could not be read or is not a conform or torture result",
};

int cmd_kcidb(int argc, char **argv)
{
    memset(&K, 0, sizeof K);
    kcidb_out = NULL;
    int optind, rc0 = spl_opt_parse(&kcidb_cmd, argc, argv, &optind);
    if (rc0 != SPL_OPT_OK) return rc0 == SPL_OPT_HELP ? SPL_EXIT_OK : rc0;
    struct kopts o = K;
    const char *out_path = kcidb_out;
    if (!origin_ok(o.origin)) return spl_opt_error(&kcidb_cmd, "--origin: lowercase letters, digits and _ only (KCIDB), got '%s'", o.origin);
    if (o.commit && !valid_commit(o.commit)) return spl_opt_error(&kcidb_cmd, "--kernel-commit: 40 lowercase hex digits, got '%s'", o.commit);
    if (o.repo && strncmp(o.repo, "https://", 8) && strncmp(o.repo, "git://", 6))
        return spl_opt_error(&kcidb_cmd, "--kernel-repo: an https:// or git:// URL");
    if (o.build_id && (strncmp(o.build_id, o.origin, strlen(o.origin)) || o.build_id[strlen(o.origin)] != ':'))
        return spl_opt_error(&kcidb_cmd, "--build-id: KCIDB ids start with the origin and a colon (%s:...)", o.origin);
    if (optind == argc) return spl_opt_error(&kcidb_cmd, "which results? (conform -o FILE, torture --json)");
    struct report r = {json_object_new_array(), json_object_new_array(), json_object_new_array()};
    int failed = 0;
    for (int i = optind; i < argc; i++) {
        json_object *doc = json_object_from_file(argv[i]);
        if (!doc) {
            spl_err(CMD, "%s: not readable JSON (%s)", argv[i], json_util_get_last_err());
            failed++;
            continue;
        }
        if (add_doc(&r, &o, doc, argv[i]) != 0) failed++;
        json_object_put(doc);
    }
    json_object *rep = json_object_new_object(), *v = json_object_new_object();
    json_object_object_add(v, "major", json_object_new_int(4));
    json_object_object_add(v, "minor", json_object_new_int(3));
    json_object_object_add(rep, "version", v);
    json_object_object_add(rep, "checkouts", r.checkouts);
    json_object_object_add(rep, "builds", r.builds);
    json_object_object_add(rep, "tests", r.tests);
    int rc = failed ? SPL_EXIT_FAIL : SPL_EXIT_OK;
    char werr[600];
    if (out_path) {
        if (spl_outfile_json(out_path, rep, werr, sizeof werr) != 0) {
            spl_err(CMD, "cannot write %s", werr);
            rc = SPL_EXIT_OUTPUT;
        }
    } else {
        fprintf(stdout, "%s\n", json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    }
    json_object_put(rep);
    return rc;
}
