/*
 * db.h - the results store: every run's document and rows in SQL, keyed by
 * the run identity of its envelope (run.id). One schema (docs/results-db.md)
 * on two engines behind one ops vector: SQLite (a file, the default) and
 * PostgreSQL (postgresql://..., for a fleet of CI runners writing to one
 * place). Statements use $1..$n placeholders, in order, which both accept.
 */
#ifndef SPLSUITE_RESULTS_DB_H
#define SPLSUITE_RESULTS_DB_H

#include "rows.h"

#include <stdbool.h>
#include <stddef.h>

#define RDB_SCHEMA_VERSION "1"

/* One result row of a query: ncols values as text, NULL for SQL NULL.
 * Return non-zero to stop. */
typedef int (*rdb_row_fn)(int ncols, const char *const *vals, void *arg);

struct rdb;
struct rdb_ops {
    const char *name; /* "sqlite", "postgresql" */
    int (*open)(struct rdb *db, const char *target, char *err, size_t errlen);
    void (*close)(struct rdb *db);
    /* Runs sql with text parameters (NULL = SQL NULL); cb per row (may be NULL). */
    int (*query)(struct rdb *db, const char *sql, int nparams, const char *const *params, rdb_row_fn cb, void *arg,
                 char *err, size_t errlen);
};

struct rdb {
    const struct rdb_ops *ops;
    void *h;             /* the engine's handle */
    char url[1024];      /* as given */
    char shown[1024];    /* for messages: the password blanked out */
};

extern const struct rdb_ops rdb_sqlite_ops; /* NULL-like ops (open fails with the reason) when not built */
extern const struct rdb_ops rdb_pg_ops;

/* The store named by url: "postgresql://..." or "postgres://..." (libpq),
 * "sqlite:PATH" or a plain path (SQLite; created with its directory). The
 * schema is created when missing and its version checked. 0, or -1 + err. */
int rdb_open(const char *url, struct rdb *db, char *err, size_t errlen);
void rdb_close(struct rdb *db);
/* $SPLSUITE_DB, else $XDG_DATA_HOME/splinter-suite/results.db (~/.local/share/...). */
const char *rdb_default_url(void);
int rdb_query(struct rdb *db, const char *sql, int nparams, const char *const *params, rdb_row_fn cb, void *arg,
              char *err, size_t errlen);
/* The schema's statements, one per line-terminated string (docs, `db schema`). */
extern const char *const rdb_schema_sql[];

/* Stores one document with its rows, in one transaction. *already is set
 * (and nothing written) when its run id is in the store with the same
 * document; a different document under the same id is an error. Documents
 * without an envelope get the id "doc-" + SHA-256 of their text and need a
 * top-level "date". 0, or -1 + err. */
int rdb_import(struct rdb *db, const struct rdoc *d, bool *already, char *run_id_out, size_t idlen, char *err,
               size_t errlen);

/* One point of a row's history: a run in date order. */
struct rdb_point {
    char run_id[72], date[32], commit[48], hostname[128], fingerprint[24], kernel[128], status[64], unit[24];
    bool dirty, lower_is_better;
    double median, cpu_median; /* NAN when NULL */
    int nreps;
};
/* Every run with row (workload, name[, impl]) in date order; impl NULL
 * matches any. *pts is malloc'ed. 0, or -1 + err. */
int rdb_series(struct rdb *db, const char *workload, const char *name, const char *impl, struct rdb_point **pts,
               size_t *n, char *err, size_t errlen);

#endif
