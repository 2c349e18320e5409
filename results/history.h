/*
 * history.h - one row's series from the results store and its change
 * points: what `splsuite history` prints and `splsuite plot --history` draws.
 */
#ifndef SPLSUITE_HISTORY_H
#define SPLSUITE_HISTORY_H

#include "db.h"
#include "edivisive.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

struct hist_query {
    const char *impl;      /* NULL: the only one */
    const char *machine;   /* host name or fingerprint (prefix); NULL: the only one */
    bool cpu;              /* the cpu figure instead of the row's median */
    size_t last;           /* 0: all */
    double min_change_pct; /* change points whose mean moved less are dropped */
    struct ed_opts ed;
};

struct hist_cp {
    size_t index;          /* into points: the first run after the change */
    double p, q;
    double mean_before, mean_after, change_pct;
    bool worse;
};

struct hist_series {
    char row[224], workload[32], name[192], impl[64], unit[24], host[128], fingerprint[24];
    bool lower_is_better;
    struct rdb_point *pts; /* every run of the row on this machine, in date order */
    size_t npts;
    double *val;           /* figure of each point, NAN when not measured */
    size_t *idx;           /* measured points: indexes into pts */
    size_t nval;
    struct hist_cp cp[32];
    size_t ncp;
};

void hist_query_defaults(struct hist_query *q);
/* Loads ROW ("workload/name") for q. 0; -1 + err (no such row, store
 * failure); -2 + err when the choice is ambiguous (the choices listed). */
int hist_load(struct rdb *db, const char *row, const struct hist_query *q, struct hist_series *s, char *err,
              size_t errlen);
/* Change points of the measured points. 0, or -1 (out of memory, too long). */
int hist_analyse(struct hist_series *s, const struct hist_query *q);
void hist_free(struct hist_series *s);
json_object *hist_json(const struct hist_series *s, const struct hist_query *q);
void hist_print(const struct hist_series *s, const struct hist_query *q, FILE *out);

#endif
