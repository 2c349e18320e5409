/*
 * db_sqlite.c - the results store on SQLite (a file; the default engine).
 */
#include "db.h"

#include <stdio.h>
#include <string.h>

#ifdef SPLSUITE_HAVE_SQLITE
#include <sqlite3.h>

static int sq_open(struct rdb *db, const char *target, char *err, size_t errlen)
{
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(target, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", target, h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        sqlite3_close(h);
        return -1;
    }
    /* several CI jobs may import into one file: wait for the writer instead of failing */
    sqlite3_busy_timeout(h, 10000);
    db->h = h;
    return 0;
}

static void sq_close(struct rdb *db) { sqlite3_close(db->h); }

static int sq_query(struct rdb *db, const char *sql, int nparams, const char *const *params, rdb_row_fn cb, void *arg,
                    char *err, size_t errlen)
{
    sqlite3 *h = db->h;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", db->shown, sqlite3_errmsg(h));
        return -1;
    }
    /* $1..$n are named parameters to SQLite, numbered in order of first use */
    if (sqlite3_bind_parameter_count(st) != nparams) {
        snprintf(err, errlen, "internal: statement has %d parameters, %d given", sqlite3_bind_parameter_count(st), nparams);
        sqlite3_finalize(st);
        return -1;
    }
    for (int i = 0; i < nparams; i++) {
        int rc = params[i] ? sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i + 1);
        if (rc != SQLITE_OK) {
            snprintf(err, errlen, "%s: %s", db->shown, sqlite3_errmsg(h));
            sqlite3_finalize(st);
            return -1;
        }
    }
    int rc, nc = sqlite3_column_count(st);
    const char *vals[64];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!cb) continue;
        for (int c = 0; c < nc && c < 64; c++)
            vals[c] = sqlite3_column_type(st, c) == SQLITE_NULL ? NULL : (const char *)sqlite3_column_text(st, c);
        if (cb(nc < 64 ? nc : 64, vals, arg)) { rc = SQLITE_DONE; break; }
    }
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "%s: %s", db->shown, sqlite3_errmsg(h));
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

const struct rdb_ops rdb_sqlite_ops = {.name = "sqlite", .open = sq_open, .close = sq_close, .query = sq_query};

#else

static int sq_none(struct rdb *db, const char *target, char *err, size_t errlen)
{
    (void)db;
    snprintf(err, errlen, "%s: this splsuite was built without SQLite (install libsqlite3-dev and rebuild)", target);
    return -1;
}
static void sq_close_none(struct rdb *db) { (void)db; }
static int sq_query_none(struct rdb *db, const char *sql, int np, const char *const *p, rdb_row_fn cb, void *arg,
                         char *err, size_t errlen)
{
    (void)db, (void)sql, (void)np, (void)p, (void)cb, (void)arg;
    snprintf(err, errlen, "no SQLite");
    return -1;
}
const struct rdb_ops rdb_sqlite_ops = {.name = "sqlite", .open = sq_none, .close = sq_close_none, .query = sq_query_none};
#endif
