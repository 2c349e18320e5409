/*
 * rows.h - a results document read back as rows: what compare, db import,
 * history and plot work on.
 *
 * A row is one figure of one run, keyed by (workload, name, implementation):
 *   bench    every entry of "results" (workload, case name, implementation
 *            label), its unit and direction, the per-repetition figures;
 *   conform  every case (workload "conform", name = rule id), a verdict
 *            (PASS, FAIL, SKIP, ERROR) instead of figures;
 *   perf gate every metric (workload "perfgate-<lane>", name = metric), the
 *            figure measured now.
 * Any schema version is read that has these keys; documents without an
 * envelope (files from before it existed) load with an empty identity.
 */
#ifndef SPLSUITE_ROWS_H
#define SPLSUITE_ROWS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

enum rrow_kind { RROW_FIGURE = 0, RROW_VERDICT };

struct rrow {
    enum rrow_kind kind;
    char workload[32];
    char name[192];
    char impl[64];
    char unit[24];
    bool lower_is_better;
    bool ok;             /* measured (status "ok"); false: status says why not */
    char status[256];    /* "ok", or the row's status and reason */
    char verdict[8];     /* RROW_VERDICT: PASS FAIL SKIP ERROR */
    double median;       /* NAN when not measured */
    size_t n;            /* repetitions */
    double *reps;        /* owned; n figures, or NULL */
};

/* The identity of the run a document came from (its envelope). */
struct rrun {
    char schema[64];
    char id[40];
    char date[32];
    char commit[48];
    bool dirty;
    char version[32];
    char hostname[128];
    char fingerprint[24];
    char kernel[128];
    char command[1024];  /* command line joined with spaces */
};

/* A member of a JSON object (NULL when o is not an object or has no k), and
 * a string member ("" when absent or not a string): how every reader of
 * results documents looks into them. */
json_object *rj_get(json_object *o, const char *k);
const char *rj_str(json_object *o, const char *k);

struct rdoc {
    char path[1024];
    json_object *doc;    /* owned */
    struct rrun run;
    struct rrow *rows;
    size_t n;
};

/* Reads path ("-" = stdin). 0, or -1 with a reason in err (not JSON, not a
 * splsuite results document, no rows). */
int rdoc_load(const char *path, struct rdoc *d, char *err, size_t errlen);
/* Same, from a parsed document (taken over: freed with the rdoc). */
int rdoc_from_json(json_object *doc, const char *what, struct rdoc *d, char *err, size_t errlen);
void rdoc_free(struct rdoc *d);
/* Row with this key (impl NULL: any implementation), or NULL. */
const struct rrow *rdoc_find(const struct rdoc *d, const char *workload, const char *name, const char *impl);
/* "ops/set/v:64/fill:50" */
void rrow_id(const struct rrow *r, char *buf, size_t len);
/* The run identity of any document with an envelope (zeroed when none). */
void rrun_of(json_object *doc, struct rrun *run);

#endif
