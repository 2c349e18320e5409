/*
 * builtin-db.c - `splsuite db`: the results store. import (any results
 * document, bench/conform/perf gate), list, rows, export, schema; and the
 * hook `splsuite bench --db` stores a run through.
 */
#include "commands.h"
#include "db.h"
#include "envelope.h"
#include "results_db.h"
#include "rows.h"
#include "util.h"

#include <errno.h>
#include "opt.h"
#include "outfile.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "db"

static struct {
    const char *db, *output;
    bool json;
} D;

static const struct spl_opt db_opts[] = {
    {"db", 0, SPL_OPT_STR, SPL_OPT_DEST(D.db), "URL",
     "a file (SQLite, created when missing; also sqlite:PATH) or postgresql://user:password@host:port/dbname (libpq)",
     .def_help = "$SPLSUITE_DB, else ~/.local/share/splinter-suite/results.db"},
    {"json", 'j', SPL_OPT_FLAG, SPL_OPT_DEST(D.json), NULL, "splsuite-db/1 JSON on stdout (import, list, rows)"},
    {"output", 'o', SPL_OPT_STR, SPL_OPT_DEST(D.output), "FILE", "write that JSON to FILE instead ('-': stdout)"},
    {0},
};

static const struct spl_cmd db_cmd = {
    .name = "db",
    .usage = "[--db URL] import FILE.json...\n[--db URL] list [--json]\n[--db URL] rows [--json]\n"
             "[--db URL] export RUN_ID\nschema",
    .about = "The results store: every run's document and rows in SQL, keyed by the run id of its\n"
             "envelope, so splsuite history can follow a row over commits, kernels and machines.\n"
             "\n"
             "  import FILE...   store results documents (bench --json, conform --json, perf-gate.json);\n"
             "                   a run already stored is left as it is; each file is one transaction\n"
             "  list             the runs, oldest first: date, run id, schema, commit, host, kernel, rows\n"
             "  rows             the rows stored: workload/name, implementation, unit, runs\n"
             "  export RUN_ID    the stored document of a run, as it was imported\n"
             "  schema           the SQL schema (docs/results-db.md)",
    .opts = db_opts,
    .examples = "splsuite bench --json -o run.json --db results.db      # measure and store\n"
                "splsuite db --db results.db import ci-artifacts/*.json\n"
                "splsuite db --db postgresql://ci@db.example/perf list\n"
                "splsuite history --db results.db ops/set/v:64/fill:50 --impl ref",
    .exit_ok = "done",
    .exit_fail = "a file could not be stored (the others still are), or the store failed",
};

/* ---- the hook bench uses (results_db.h) ---------------------------------------- */

int results_db_store(json_object *doc, const char *url, char *msg, size_t msglen)
{
    struct rdb db;
    char err[1400];
    if (rdb_open(url, &db, err, sizeof err) != 0) {
        snprintf(msg, msglen, "%s", err);
        return -1;
    }
    struct rdoc d;
    /* rdoc takes the document over: give it its own reference */
    if (rdoc_from_json(json_object_get(doc), "this run", &d, err, sizeof err) != 0) {
        snprintf(msg, msglen, "%s", err);
        rdoc_free(&d);
        rdb_close(&db);
        return -1;
    }
    bool already;
    char id[80];
    int rc = rdb_import(&db, &d, &already, id, sizeof id, err, sizeof err);
    if (rc == 0) snprintf(msg, msglen, "run %s stored in %s (%zu rows)", id, db.shown, d.n);
    else snprintf(msg, msglen, "%s", err);
    rdoc_free(&d);
    rdb_close(&db);
    return rc;
}

/* ---- subcommands ------------------------------------------------------------------ */

static json_object *doc_new(const struct rdb *db, const char *action)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "database", json_object_new_string(db->shown));
    json_object_object_add(o, "engine", json_object_new_string(db->ops->name));
    json_object_object_add(o, "action", json_object_new_string(action));
    return o;
}

/* The JSON document on stdout, or whole into -o FILE. 0 or SPL_EXIT_OUTPUT. */
static int doc_print(const struct spl_envelope *env, json_object *o)
{
    json_object *d = spl_envelope_wrap(env, o);
    int rc = SPL_EXIT_OK;
    char err[600];
    if (!D.output) printf("%s\n", json_object_to_json_string_ext(d, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    else if (spl_outfile_json(D.output, d, err, sizeof err) != 0) {
        spl_err(CMD, "cannot write %s", err);
        rc = SPL_EXIT_OUTPUT;
    }
    json_object_put(d);
    return rc;
}

static int do_import(struct rdb *db, int n, char **files, bool json, const struct spl_envelope *env)
{
    int failed = 0;
    json_object *arr = json_object_new_array();
    for (int i = 0; i < n; i++) {
        struct rdoc d;
        char err[1400], id[80] = "";
        bool already = false;
        json_object *e = json_object_new_object();
        json_object_object_add(e, "file", json_object_new_string(files[i]));
        int rc = rdoc_load(files[i], &d, err, sizeof err);
        if (rc == 0) rc = rdb_import(db, &d, &already, id, sizeof id, err, sizeof err);
        if (rc == 0) {
            if (!json)
                printf("%s: run %s %s (%s, %zu rows)\n", files[i], id, already ? "already stored" : "stored",
                       d.run.schema[0] ? d.run.schema : "no schema", d.n);
            json_object_object_add(e, "run_id", json_object_new_string(id));
            json_object_object_add(e, "status", json_object_new_string(already ? "already stored" : "stored"));
            json_object_object_add(e, "rows", json_object_new_int64((int64_t)d.n));
        } else {
            failed++;
            spl_err(CMD, "%s", err);
            json_object_object_add(e, "status", json_object_new_string("error"));
            json_object_object_add(e, "error", json_object_new_string(err));
        }
        json_object_array_add(arr, e);
        rdoc_free(&d);
    }
    int wrc = SPL_EXIT_OK;
    if (json) {
        json_object *o = doc_new(db, "import");
        json_object_object_add(o, "files", arr);
        wrc = doc_print(env, o);
    } else {
        json_object_put(arr);
    }
    return wrc ? wrc : failed ? SPL_EXIT_FAIL : SPL_EXIT_OK;
}

struct table_acc {
    bool json;
    json_object *arr;
    const char *const *keys;
    int nkeys;
    const int *width; /* of each text column */
};

static int table_row(int nc, const char *const *v, void *arg)
{
    struct table_acc *t = arg;
    if (t->json) {
        json_object *e = json_object_new_object();
        for (int i = 0; i < nc && i < t->nkeys; i++)
            json_object_object_add(e, t->keys[i], v[i] ? json_object_new_string(v[i]) : NULL);
        json_object_array_add(t->arr, e);
    } else {
        for (int i = 0; i < nc && i < t->nkeys; i++) {
            bool last = i + 1 == nc || i + 1 == t->nkeys;
            printf("%-*s%s", last ? 0 : t->width[i], v[i] ? v[i] : "-", last ? "\n" : " ");
        }
    }
    return 0;
}

static int do_table(struct rdb *db, const char *action, const char *sql, const char *const *keys, int nkeys,
                    const int *width, bool json, const struct spl_envelope *env)
{
    struct table_acc t = {json, json ? json_object_new_array() : NULL, keys, nkeys, width};
    char err[1400];
    for (int i = 0; !json && i < nkeys; i++) printf("%-*s%s", i + 1 < nkeys ? width[i] : 0, keys[i], i + 1 < nkeys ? " " : "\n");
    if (rdb_query(db, sql, 0, NULL, table_row, &t, err, sizeof err) != 0) {
        spl_err(CMD, "%s", err);
        json_object_put(t.arr);
        return SPL_EXIT_FAIL;
    }
    if (json) {
        json_object *o = doc_new(db, action);
        json_object_object_add(o, !strcmp(action, "list") ? "runs" : "rows", t.arr);
        return doc_print(env, o);
    }
    return SPL_EXIT_OK;
}

static int export_row(int nc, const char *const *v, void *arg)
{
    *(int *)arg = 1;
    if (nc > 0 && v[0]) {
        json_object *o = json_tokener_parse(v[0]);
        printf("%s\n", o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE) : v[0]);
        json_object_put(o);
    }
    return 1;
}


int cmd_db(int argc, char **argv)
{
    memset(&D, 0, sizeof D);
    /* options may come before or after the action */
    int optind, rc0 = spl_opt_parse(&db_cmd, argc, argv, &optind);
    if (rc0 != SPL_OPT_OK) return rc0 == SPL_OPT_HELP ? SPL_EXIT_OK : rc0;
    const char *url = D.db;
    bool json = D.json || D.output; /* -o FILE: the JSON, into FILE */
    if (optind >= argc) return spl_opt_error(&db_cmd, "which action? import, list, rows, export or schema");
    const char *action = argv[optind++];
    if (!strcmp(action, "schema")) {
        if (D.json || D.output) return spl_opt_error(&db_cmd, "schema prints SQL: no --json or -o");
        for (int i = 0; rdb_schema_sql[i]; i++) printf("%s;\n", rdb_schema_sql[i]);
        return SPL_EXIT_OK;
    }
    static const char *const actions[] = {"import", "list", "rows", "export", NULL};
    bool known = false;
    for (int i = 0; actions[i]; i++) known |= !strcmp(actions[i], action);
    if (!known) return spl_opt_error(&db_cmd, "unknown action '%s' (import, list, rows, export, schema)", action);
    if (!strcmp(action, "import") && optind >= argc) return spl_opt_error(&db_cmd, "import: which files?");
    if (!strcmp(action, "export") && argc - optind != 1) return spl_opt_error(&db_cmd, "export: one RUN_ID");
    if ((!strcmp(action, "list") || !strcmp(action, "rows")) && optind < argc)
        return spl_opt_error(&db_cmd, "%s: unexpected argument '%s'", action, argv[optind]);
    if (json && !strcmp(action, "export"))
        return spl_opt_error(&db_cmd, "export prints the stored JSON document: no --json or -o (redirect it)");
    static struct spl_envelope env;
    spl_envelope_init(&env, "splsuite-db/1");
    struct rdb db;
    char err[1400];
    if (rdb_open(url ? url : rdb_default_url(), &db, err, sizeof err) != 0) {
        spl_err(CMD, "%s", err);
        return SPL_EXIT_FAIL;
    }
    int rc;
    if (!strcmp(action, "import")) {
        rc = do_import(&db, argc - optind, argv + optind, json, &env);
    } else if (!strcmp(action, "list")) {
        static const char *const k[] = {"date", "run_id", "schema", "suite_commit", "hostname", "kernel_release", "rows"};
        static const int w[] = {20, 36, 22, 40, 12, 20, 4};
        rc = do_table(&db, "list",
                      "SELECT r.date, r.run_id, r.schema, r.suite_commit, r.hostname, r.kernel_release, "
                      "(SELECT count(*) FROM results x WHERE x.run_id = r.run_id) FROM runs r ORDER BY r.date, r.run_id",
                      k, 7, w, json, &env);
    } else if (!strcmp(action, "rows")) {
        static const char *const k[] = {"row", "implementation", "unit", "runs"};
        static const int w[] = {44, 20, 10, 4};
        rc = do_table(&db, "rows",
                      "SELECT workload || '/' || name, implementation, unit, count(*) FROM results "
                      "GROUP BY workload, name, implementation, unit ORDER BY workload, name, implementation",
                      k, 4, w, json, &env);
    } else {
        int found = 0;
        const char *p[] = {argv[optind]};
        rc = rdb_query(&db, "SELECT document FROM runs WHERE run_id = $1", 1, p, export_row, &found, err, sizeof err);
        if (rc) spl_err(CMD, "%s", err);
        else if (!found) spl_err(CMD, "no run %s in %s (splsuite db list)", argv[optind], db.shown), rc = SPL_EXIT_FAIL;
        rc = rc ? SPL_EXIT_FAIL : SPL_EXIT_OK;
    }
    rdb_close(&db);
    return rc;
}
