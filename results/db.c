/*
 * db.c - the results store's schema, import and queries, the same SQL on
 * every engine (db_sqlite.c, db_pg.c).
 */
#include "db.h"
#include "proc.h"
#include "envelope.h"
#include "sha256.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Portable types only: TEXT, INTEGER, BIGINT, DOUBLE PRECISION (SQLite reads
 * them by affinity); booleans are 0/1 integers; dates ISO 8601 UTC text,
 * which sorts in time order. */
const char *const rdb_schema_sql[] = {
    "CREATE TABLE IF NOT EXISTS splsuite_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS runs (\n"
    "  run_id TEXT PRIMARY KEY,          -- run.id of the envelope\n"
    "  schema TEXT NOT NULL,             -- splsuite-bench/2, splsuite-conform/1, ...\n"
    "  date TEXT NOT NULL,               -- run.date, ISO 8601 UTC\n"
    "  suite_version TEXT, suite_commit TEXT, suite_dirty INTEGER,\n"
    "  hostname TEXT, machine_fingerprint TEXT, kernel_release TEXT, kernel_cmdline TEXT,\n"
    "  cpu_model TEXT, cores INTEGER, logical_cpus INTEGER, numa_nodes INTEGER, memory_bytes BIGINT,\n"
    "  command_line TEXT,\n"
    "  imported_at TEXT NOT NULL,\n"
    "  document TEXT NOT NULL            -- the whole JSON document, as imported\n"
    ")",
    "CREATE TABLE IF NOT EXISTS implementations (\n"
    "  run_id TEXT NOT NULL REFERENCES runs (run_id),\n"
    "  idx INTEGER NOT NULL, label TEXT NOT NULL, spec TEXT, path TEXT, backend TEXT,\n"
    "  size BIGINT, sha256 TEXT, build_id TEXT,\n"
    "  PRIMARY KEY (run_id, idx)\n"
    ")",
    "CREATE TABLE IF NOT EXISTS results (\n"
    "  run_id TEXT NOT NULL REFERENCES runs (run_id),\n"
    "  workload TEXT NOT NULL, name TEXT NOT NULL, implementation TEXT NOT NULL,\n"
    "  unit TEXT, lower_is_better INTEGER,\n"
    "  status TEXT NOT NULL,             -- ok, or the reason it was not measured\n"
    "  verdict TEXT,                     -- conform rows: PASS FAIL SKIP ERROR\n"
    "  median DOUBLE PRECISION, cpu_median DOUBLE PRECISION, nreps INTEGER,\n"
    "  PRIMARY KEY (run_id, workload, name, implementation)\n"
    ")",
    "CREATE TABLE IF NOT EXISTS repetitions (\n"
    "  run_id TEXT NOT NULL, workload TEXT NOT NULL, name TEXT NOT NULL, implementation TEXT NOT NULL,\n"
    "  rep INTEGER NOT NULL, value DOUBLE PRECISION NOT NULL,\n"
    "  PRIMARY KEY (run_id, workload, name, implementation, rep),\n"
    "  FOREIGN KEY (run_id, workload, name, implementation) REFERENCES results (run_id, workload, name, implementation)\n"
    ")",
    "CREATE INDEX IF NOT EXISTS results_by_row ON results (workload, name, implementation)",
    "CREATE INDEX IF NOT EXISTS runs_by_date ON runs (date)",
    NULL,
};

const char *rdb_default_url(void)
{
    static char buf[1024];
    const char *e = getenv("SPLSUITE_DB");
    if (e && *e) return e;
    const char *x = getenv("XDG_DATA_HOME"), *h = getenv("HOME");
    if (x && *x) snprintf(buf, sizeof buf, "%s/splinter-suite/results.db", x);
    else snprintf(buf, sizeof buf, "%s/.local/share/splinter-suite/results.db", h && *h ? h : ".");
    return buf;
}

int rdb_query(struct rdb *db, const char *sql, int nparams, const char *const *params, rdb_row_fn cb, void *arg,
              char *err, size_t errlen)
{
    return db->ops->query(db, sql, nparams, params, cb, arg, err, errlen);
}

static int exec0(struct rdb *db, const char *sql, char *err, size_t errlen)
{
    return rdb_query(db, sql, 0, NULL, NULL, NULL, err, errlen);
}

static int first_col(int n, const char *const *v, void *arg)
{
    char *out = arg;
    snprintf(out, 256, "%s", n > 0 && v[0] ? v[0] : "");
    return 1;
}

static void blank_password(const char *url, char *out, size_t len)
{
    const char *s = strstr(url, "://");
    const char *at = s ? strchr(s + 3, '@') : NULL, *colon = s ? strchr(s + 3, ':') : NULL;
    if (at && colon && colon < at) snprintf(out, len, "%.*s:****%s", (int)(colon - url), url, at);
    else snprintf(out, len, "%s", url);
}

int rdb_open(const char *url, struct rdb *db, char *err, size_t errlen)
{
    memset(db, 0, sizeof *db);
    snprintf(db->url, sizeof db->url, "%s", url);
    blank_password(url, db->shown, sizeof db->shown);
    const char *target = url;
    if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
        db->ops = &rdb_pg_ops;
    } else {
        db->ops = &rdb_sqlite_ops;
        if (!strncmp(url, "sqlite:", 7)) target = url + 7;
        /* a new store in a new directory: make the directory (mkdir -p) */
        char dir[1024];
        snprintf(dir, sizeof dir, "%s", target);
        char *sl = strrchr(dir, '/');
        if (sl && sl != dir) {
            *sl = 0;
            spl_mkdir_p(dir, 0755); /* a failure shows as the store's open error */
        }
    }
    if (db->ops->open(db, target, err, errlen) != 0) return -1;
    for (int i = 0; rdb_schema_sql[i]; i++)
        if (exec0(db, rdb_schema_sql[i], err, errlen) != 0) goto fail;
    char v[256] = "";
    if (rdb_query(db, "SELECT value FROM splsuite_meta WHERE key = 'schema_version'", 0, NULL, first_col, v, err, errlen))
        goto fail;
    if (!v[0]) {
        const char *p[] = {RDB_SCHEMA_VERSION};
        if (rdb_query(db, "INSERT INTO splsuite_meta (key, value) VALUES ('schema_version', $1)", 1, p, NULL, NULL, err,
                      errlen))
            goto fail;
    } else if (strcmp(v, RDB_SCHEMA_VERSION)) {
        snprintf(err, errlen, "%s: results store schema version %s, this splsuite reads version %s", db->shown, v,
                 RDB_SCHEMA_VERSION);
        goto fail;
    }
    return 0;
fail:
    db->ops->close(db);
    db->h = NULL;
    return -1;
}

void rdb_close(struct rdb *db)
{
    if (db->ops && db->h) db->ops->close(db);
    db->h = NULL;
}

/* ---- import -------------------------------------------------------------------------- */

/* Text of a JSON scalar into buf, or NULL for absent/null. */
static const char *txt(json_object *v, char *buf, size_t len)
{
    if (!v) return NULL;
    if (json_object_is_type(v, json_type_string)) return json_object_get_string(v);
    if (json_object_is_type(v, json_type_int)) snprintf(buf, len, "%lld", (long long)json_object_get_int64(v));
    else if (json_object_is_type(v, json_type_double)) snprintf(buf, len, "%.17g", json_object_get_double(v));
    else if (json_object_is_type(v, json_type_boolean)) snprintf(buf, len, "%d", json_object_get_boolean(v) ? 1 : 0);
    else return NULL;
    return buf;
}

static const char *num(double v, char *buf, size_t len)
{
    if (!isfinite(v)) return NULL;
    snprintf(buf, len, "%.17g", v);
    return buf;
}

/* The extra figure bench ops rows carry: task-clock ns per operation. */
static double cpu_median_of(json_object *doc, const struct rrow *r)
{
    json_object *res = rj_get(doc, "results");
    if (!res || !json_object_is_type(res, json_type_array)) return NAN;
    for (size_t i = 0; i < json_object_array_length(res); i++) {
        json_object *e = json_object_array_get_idx(res, i), *x;
        if (strcmp(json_object_get_string(rj_get(e, "name")) ?: "", r->name) ||
            strcmp(json_object_get_string(rj_get(e, "workload")) ?: "", r->workload) ||
            strcmp(json_object_get_string(rj_get(e, "implementation")) ?: "", r->impl))
            continue;
        x = rj_get(rj_get(e, "extra"), "cpu_ns_per_op");
        return x && (json_object_is_type(x, json_type_double) || json_object_is_type(x, json_type_int))
                   ? json_object_get_double(x) : NAN;
    }
    return NAN;
}

struct have_doc {
    char *doc;
    bool found;
};

static int have_row(int n, const char *const *v, void *arg)
{
    struct have_doc *h = arg;
    h->found = true;
    h->doc = n > 0 && v[0] ? strdup(v[0]) : NULL;
    return 1;
}

int rdb_import(struct rdb *db, const struct rdoc *d, bool *already, char *run_id_out, size_t idlen, char *err,
               size_t errlen)
{
    *already = false;
    const char *text = json_object_to_json_string_ext(d->doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *doc_text = strdup(text);
    if (!doc_text) { snprintf(err, errlen, "out of memory"); return -1; }
    json_object *run = spl_envelope_run_of(d->doc);
    char run_id[72], date[64];
    if (d->run.id[0]) {
        snprintf(run_id, sizeof run_id, "%s", d->run.id);
        snprintf(date, sizeof date, "%s", d->run.date);
    } else {
        char h[65];
        spl_sha256_hex(doc_text, strlen(doc_text), h);
        snprintf(run_id, sizeof run_id, "doc-%.32s", h);
        json_object *dt = rj_get(d->doc, "date");
        snprintf(date, sizeof date, "%s", dt && json_object_is_type(dt, json_type_string) ? json_object_get_string(dt) : "");
        if (!date[0]) {
            snprintf(err, errlen, "%s: no run envelope and no \"date\": cannot place it in a history", d->path);
            free(doc_text);
            return -1;
        }
    }
    snprintf(run_id_out, idlen, "%s", run_id);
    /* already there? */
    struct have_doc have = {NULL, false};
    const char *pid[] = {run_id};
    int rc = rdb_query(db, "SELECT document FROM runs WHERE run_id = $1", 1, pid, have_row, &have, err, errlen);
    if (rc) { free(doc_text); return -1; }
    if (have.found) {
        /* the same document (reformatted or not) is the same run: compare parsed */
        json_object *old = have.doc ? json_tokener_parse(have.doc) : NULL;
        bool same = old && json_object_equal(old, d->doc);
        json_object_put(old);
        free(have.doc);
        free(doc_text);
        if (!same) {
            snprintf(err, errlen, "%s: run %s is already in the store with a different document", d->path, run_id);
            return -1;
        }
        *already = true;
        return 0;
    }
    if (exec0(db, "BEGIN", err, errlen)) { free(doc_text); return -1; }
    char b[16][64];
    json_object *suite = rj_get(run, "suite"), *m = rj_get(run, "machine"), *k = rj_get(m, "kernel"), *cpu = rj_get(m, "cpu");
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    const char *pr[] = {
        run_id, d->run.schema[0] ? d->run.schema : "unknown", date,
        txt(rj_get(suite, "version"), b[0], 64), txt(rj_get(suite, "commit"), b[1], 64), txt(rj_get(suite, "dirty"), b[2], 64),
        txt(rj_get(m, "hostname"), b[3], 64), txt(rj_get(m, "fingerprint"), b[4], 64), txt(rj_get(k, "release"), b[5], 64),
        txt(rj_get(k, "cmdline"), b[6], 64), txt(rj_get(cpu, "model"), b[7], 64), txt(rj_get(cpu, "cores"), b[8], 64),
        txt(rj_get(cpu, "logical_cpus"), b[9], 64), txt(rj_get(m, "numa_nodes"), b[10], 64),
        txt(rj_get(m, "memory_bytes"), b[11], 64), d->run.command[0] ? d->run.command : NULL, now, doc_text};
    rc = rdb_query(db,
                   "INSERT INTO runs (run_id, schema, date, suite_version, suite_commit, suite_dirty, hostname, "
                   "machine_fingerprint, kernel_release, kernel_cmdline, cpu_model, cores, logical_cpus, numa_nodes, "
                   "memory_bytes, command_line, imported_at, document) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
                   "$10, $11, $12, $13, $14, $15, $16, $17, $18)",
                   18, pr, NULL, NULL, err, errlen);
    json_object *impls = rj_get(run, "implementations");
    for (size_t i = 0; rc == 0 && impls && json_object_is_type(impls, json_type_array) &&
                       i < json_object_array_length(impls); i++) {
        json_object *im = json_object_array_get_idx(impls, i);
        char idx[16];
        snprintf(idx, sizeof idx, "%zu", i);
        const char *pi[] = {run_id, idx, txt(rj_get(im, "label"), b[0], 64) ?: "", txt(rj_get(im, "spec"), b[1], 64),
                            txt(rj_get(im, "path"), b[2], 64), txt(rj_get(im, "backend"), b[3], 64),
                            txt(rj_get(im, "size"), b[4], 64), txt(rj_get(im, "sha256"), b[5], 64),
                            txt(rj_get(im, "build_id"), b[6], 64)};
        rc = rdb_query(db,
                       "INSERT INTO implementations (run_id, idx, label, spec, path, backend, size, sha256, build_id) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                       9, pi, NULL, NULL, err, errlen);
    }
    for (size_t i = 0; rc == 0 && i < d->n; i++) {
        const struct rrow *r = &d->rows[i];
        char nreps[16], med[40], cm[40];
        snprintf(nreps, sizeof nreps, "%zu", r->n);
        const char *px[] = {run_id, r->workload, r->name, r->impl, r->unit, r->lower_is_better ? "1" : "0",
                            r->ok ? "ok" : r->status, r->kind == RROW_VERDICT ? r->verdict : NULL,
                            num(r->median, med, sizeof med), num(cpu_median_of(d->doc, r), cm, sizeof cm), nreps};
        rc = rdb_query(db,
                       "INSERT INTO results (run_id, workload, name, implementation, unit, lower_is_better, status, "
                       "verdict, median, cpu_median, nreps) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                       11, px, NULL, NULL, err, errlen);
        for (size_t k2 = 0; rc == 0 && k2 < r->n; k2++) {
            char rep[16], val[40];
            snprintf(rep, sizeof rep, "%zu", k2);
            const char *pp[] = {run_id, r->workload, r->name, r->impl, rep, num(r->reps[k2], val, sizeof val)};
            rc = rdb_query(db,
                           "INSERT INTO repetitions (run_id, workload, name, implementation, rep, value) "
                           "VALUES ($1, $2, $3, $4, $5, $6)",
                           6, pp, NULL, NULL, err, errlen);
        }
    }
    free(doc_text);
    if (rc) {
        char e2[256];
        exec0(db, "ROLLBACK", e2, sizeof e2);
        return -1;
    }
    return exec0(db, "COMMIT", err, errlen);
}

/* ---- series ----------------------------------------------------------------------- */

struct series_acc {
    struct rdb_point *p;
    size_t n, cap;
    int oom;
};

static double dnum(const char *s) { return s ? strtod(s, NULL) : NAN; }

static int series_row(int nc, const char *const *v, void *arg)
{
    struct series_acc *a = arg;
    if (nc < 13) return 1;
    if (a->n == a->cap) {
        size_t c = a->cap ? a->cap * 2 : 64;
        struct rdb_point *np = realloc(a->p, c * sizeof *np);
        if (!np) { a->oom = 1; return 1; }
        a->p = np;
        a->cap = c;
    }
    struct rdb_point *p = &a->p[a->n++];
    memset(p, 0, sizeof *p);
#define S(f, i) snprintf(p->f, sizeof p->f, "%s", v[i] ? v[i] : "")
    S(run_id, 0); S(date, 1); S(commit, 2); S(hostname, 4); S(fingerprint, 5); S(kernel, 6); S(status, 7); S(unit, 8);
#undef S
    p->dirty = v[3] && atoi(v[3]);
    p->lower_is_better = !v[9] || atoi(v[9]);
    p->median = dnum(v[10]);
    p->cpu_median = dnum(v[11]);
    p->nreps = v[12] ? atoi(v[12]) : 0;
    return 0;
}

int rdb_series(struct rdb *db, const char *workload, const char *name, const char *impl, struct rdb_point **pts,
               size_t *n, char *err, size_t errlen)
{
    struct series_acc a = {0};
    const char *p[] = {workload, name, impl};
    int rc = rdb_query(db,
                       impl ? "SELECT r.run_id, r.date, r.suite_commit, r.suite_dirty, r.hostname, r.machine_fingerprint, "
                              "r.kernel_release, x.status, x.unit, x.lower_is_better, x.median, x.cpu_median, x.nreps "
                              "FROM results x JOIN runs r ON r.run_id = x.run_id "
                              "WHERE x.workload = $1 AND x.name = $2 AND x.implementation = $3 ORDER BY r.date, r.run_id"
                            : "SELECT r.run_id, r.date, r.suite_commit, r.suite_dirty, r.hostname, r.machine_fingerprint, "
                              "r.kernel_release, x.status, x.unit, x.lower_is_better, x.median, x.cpu_median, x.nreps "
                              "FROM results x JOIN runs r ON r.run_id = x.run_id "
                              "WHERE x.workload = $1 AND x.name = $2 ORDER BY r.date, r.run_id",
                       impl ? 3 : 2, p, series_row, &a, err, errlen);
    if (rc || a.oom) {
        if (a.oom) snprintf(err, errlen, "out of memory");
        free(a.p);
        return -1;
    }
    *pts = a.p;
    *n = a.n;
    return 0;
}
