/*
 * db_pg.c - the results store on PostgreSQL (libpq), for many CI runners
 * writing to one database: postgresql://user:password@host:port/dbname.
 */
#include "db.h"

#include <stdio.h>
#include <string.h>

#ifdef SPLSUITE_HAVE_LIBPQ
#include <libpq-fe.h>

static int pg_open(struct rdb *db, const char *target, char *err, size_t errlen)
{
    PGconn *c = PQconnectdb(target);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        const char *m = c ? PQerrorMessage(c) : "out of memory";
        snprintf(err, errlen, "%s: %.*s", db->shown, (int)strcspn(m, "\n"), m);
        PQfinish(c);
        return -1;
    }
    /* the schema's CREATE ... IF NOT EXISTS would print a NOTICE per table */
    PGresult *r = PQexec(c, "SET client_min_messages = warning");
    PQclear(r);
    db->h = c;
    return 0;
}

static void pg_close(struct rdb *db) { PQfinish(db->h); }

static int pg_query(struct rdb *db, const char *sql, int nparams, const char *const *params, rdb_row_fn cb, void *arg,
                    char *err, size_t errlen)
{
    PGresult *r = PQexecParams(db->h, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *m = PQresultErrorMessage(r);
        snprintf(err, errlen, "%s: %.*s", db->shown, (int)strcspn(m, "\n"), m);
        PQclear(r);
        return -1;
    }
    int nr = PQntuples(r), nc = PQnfields(r);
    const char *vals[64];
    for (int i = 0; cb && i < nr; i++) {
        for (int c = 0; c < nc && c < 64; c++) vals[c] = PQgetisnull(r, i, c) ? NULL : PQgetvalue(r, i, c);
        if (cb(nc < 64 ? nc : 64, vals, arg)) break;
    }
    PQclear(r);
    return 0;
}

const struct rdb_ops rdb_pg_ops = {.name = "postgresql", .open = pg_open, .close = pg_close, .query = pg_query};

#else

static int pg_none(struct rdb *db, const char *target, char *err, size_t errlen)
{
    (void)target;
    snprintf(err, errlen, "%s: this splsuite was built without libpq (install libpq-dev and rebuild)", db->shown);
    return -1;
}
static void pg_close_none(struct rdb *db) { (void)db; }
static int pg_query_none(struct rdb *db, const char *sql, int np, const char *const *p, rdb_row_fn cb, void *arg,
                         char *err, size_t errlen)
{
    (void)db, (void)sql, (void)np, (void)p, (void)cb, (void)arg;
    snprintf(err, errlen, "no libpq");
    return -1;
}
const struct rdb_ops rdb_pg_ops = {.name = "postgresql", .open = pg_none, .close = pg_close_none, .query = pg_query_none};
#endif
