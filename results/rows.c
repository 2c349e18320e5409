/*
 * rows.c - results documents (bench, conform, perf gate) read back as rows.
 * Input is a user's file: every key is type-checked, nothing is assumed.
 */
#include "rows.h"
#include "envelope.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_object *rj_get(json_object *o, const char *k)
{
    json_object *v;
    return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

const char *rj_str(json_object *o, const char *k)
{
    json_object *v = rj_get(o, k);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

static bool is_num(json_object *v) { return v && (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)); }

static double gnum(json_object *o, const char *k)
{
    json_object *v = rj_get(o, k);
    return is_num(v) ? json_object_get_double(v) : NAN;
}

void rrun_of(json_object *doc, struct rrun *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->schema, sizeof r->schema, "%s", spl_envelope_schema_of(doc));
    json_object *run = spl_envelope_run_of(doc);
    if (!run) return;
    snprintf(r->id, sizeof r->id, "%s", rj_str(run, "id"));
    snprintf(r->date, sizeof r->date, "%s", rj_str(run, "date"));
    json_object *s = rj_get(run, "suite"), *m = rj_get(run, "machine"), *d = rj_get(s, "dirty");
    snprintf(r->commit, sizeof r->commit, "%s", rj_str(s, "commit"));
    snprintf(r->version, sizeof r->version, "%s", rj_str(s, "version"));
    r->dirty = d && json_object_get_boolean(d);
    snprintf(r->hostname, sizeof r->hostname, "%s", rj_str(m, "hostname"));
    snprintf(r->fingerprint, sizeof r->fingerprint, "%s", rj_str(m, "fingerprint"));
    snprintf(r->kernel, sizeof r->kernel, "%s", rj_str(rj_get(m, "kernel"), "release"));
    json_object *cl = rj_get(run, "command_line");
    size_t off = 0;
    if (cl && json_object_is_type(cl, json_type_array))
        for (size_t i = 0; i < json_object_array_length(cl) && off < sizeof r->command - 1; i++) {
            json_object *a = json_object_array_get_idx(cl, i);
            off += (size_t)snprintf(r->command + off, sizeof r->command - off, "%s%s", i ? " " : "",
                                    json_object_is_type(a, json_type_string) ? json_object_get_string(a) : "?");
        }
}

static struct rrow *add(struct rdoc *d, size_t *cap)
{
    if (d->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct rrow *nr = realloc(d->rows, nc * sizeof *nr);
        if (!nr) return NULL;
        d->rows = nr;
        *cap = nc;
    }
    struct rrow *r = &d->rows[d->n++];
    memset(r, 0, sizeof *r);
    r->median = NAN;
    return r;
}

/* bench: "results" rows. Status "ok" (schema 1 and 2), or a reason; schema 2
 * may split it into "status" + "reason". */
static int bench_rows(struct rdoc *d, json_object *res, char *err, size_t errlen)
{
    size_t cap = 0;
    for (size_t i = 0; i < json_object_array_length(res); i++) {
        json_object *e = json_object_array_get_idx(res, i);
        if (!json_object_is_type(e, json_type_object) || !*rj_str(e, "name") || !*rj_str(e, "workload")) {
            snprintf(err, errlen, "results[%zu]: not a bench row (no workload or name)", i);
            return -1;
        }
        struct rrow *r = add(d, &cap);
        if (!r) { snprintf(err, errlen, "out of memory"); return -1; }
        r->kind = RROW_FIGURE;
        snprintf(r->workload, sizeof r->workload, "%s", rj_str(e, "workload"));
        snprintf(r->name, sizeof r->name, "%s", rj_str(e, "name"));
        snprintf(r->impl, sizeof r->impl, "%s", rj_str(e, "implementation"));
        snprintf(r->unit, sizeof r->unit, "%s", rj_str(e, "unit"));
        json_object *lib = rj_get(e, "lower_is_better");
        r->lower_is_better = lib ? json_object_get_boolean(lib) : true;
        const char *st = rj_str(e, "status"), *why = rj_str(e, "reason");
        snprintf(r->status, sizeof r->status, "%s%s%s", *st ? st : "no status", *why ? ": " : "", why);
        r->ok = !strcmp(st, "ok");
        if (!r->ok) continue;
        r->median = gnum(e, "median");
        json_object *reps = rj_get(e, "repetitions");
        if (reps && json_object_is_type(reps, json_type_array) && json_object_array_length(reps) > 0) {
            size_t n = json_object_array_length(reps);
            r->reps = malloc(n * sizeof *r->reps);
            if (!r->reps) { snprintf(err, errlen, "out of memory"); return -1; }
            for (size_t k = 0; k < n; k++) {
                json_object *v = json_object_array_get_idx(reps, k);
                if (!is_num(v) || !isfinite(json_object_get_double(v))) continue;
                r->reps[r->n++] = json_object_get_double(v);
            }
        }
        if (!isfinite(r->median) && r->n == 0) {
            r->ok = false;
            snprintf(r->status, sizeof r->status, "status ok but no median or repetitions");
        }
    }
    return 0;
}

static int conform_rows(struct rdoc *d, json_object *cases, const char *impl)
{
    size_t cap = 0;
    for (size_t i = 0; i < json_object_array_length(cases); i++) {
        json_object *c = json_object_array_get_idx(cases, i);
        if (!*rj_str(c, "id")) continue;
        struct rrow *r = add(d, &cap);
        if (!r) return -1;
        r->kind = RROW_VERDICT;
        snprintf(r->workload, sizeof r->workload, "conform");
        snprintf(r->name, sizeof r->name, "%s", rj_str(c, "id"));
        snprintf(r->impl, sizeof r->impl, "%s", impl);
        snprintf(r->unit, sizeof r->unit, "verdict");
        snprintf(r->verdict, sizeof r->verdict, "%s", rj_str(c, "result"));
        snprintf(r->status, sizeof r->status, "%s", rj_str(c, "detail"));
        r->ok = true;
    }
    return 0;
}

static int gate_rows(struct rdoc *d, json_object *metrics, const char *impl)
{
    size_t cap = 0;
    for (size_t i = 0; i < json_object_array_length(metrics); i++) {
        json_object *m = json_object_array_get_idx(metrics, i);
        double now = gnum(m, "now");
        struct rrow *r = add(d, &cap);
        if (!r) return -1;
        r->kind = RROW_FIGURE;
        snprintf(r->workload, sizeof r->workload, "perfgate-%s", rj_str(m, "lane"));
        snprintf(r->name, sizeof r->name, "%s", rj_str(m, "metric"));
        snprintf(r->impl, sizeof r->impl, "%s", impl);
        snprintf(r->unit, sizeof r->unit, "%s", rj_str(m, "unit"));
        r->lower_is_better = true; /* instructions per call, ratios to a floor */
        r->ok = isfinite(now);
        snprintf(r->status, sizeof r->status, "%s", r->ok ? "ok" : "not measured in this run");
        r->median = now;
        if (r->ok && (r->reps = malloc(sizeof *r->reps))) r->reps[r->n++] = now;
    }
    return 0;
}

int rdoc_from_json(json_object *doc, const char *what, struct rdoc *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    snprintf(d->path, sizeof d->path, "%s", what);
    d->doc = doc;
    if (!json_object_is_type(doc, json_type_object)) {
        snprintf(err, errlen, "%s: not a JSON object", what);
        return -1;
    }
    rrun_of(doc, &d->run);
    const char *schema = spl_envelope_schema_of(doc);
    json_object *x;
    int rc;
    if ((x = rj_get(doc, "results")) && json_object_is_type(x, json_type_array)) {
        rc = bench_rows(d, x, err, errlen);
    } else if ((x = rj_get(doc, "cases")) && json_object_is_type(x, json_type_array)) {
        json_object *im = rj_get(rj_get(doc, "run"), "implementations");
        const char *label = im && json_object_is_type(im, json_type_array) && json_object_array_length(im)
                                ? rj_str(json_object_array_get_idx(im, 0), "label") : "";
        rc = conform_rows(d, x, *label ? label : rj_str(rj_get(doc, "meta"), "impl"));
        if (rc) snprintf(err, errlen, "out of memory");
    } else if ((x = rj_get(doc, "metrics")) && json_object_is_type(x, json_type_array)) {
        rc = gate_rows(d, x, rj_str(doc, "impl"));
        if (rc) snprintf(err, errlen, "out of memory");
    } else {
        snprintf(err, errlen, "%s: %s%s%s has no rows (bench \"results\", conform \"cases\" or perf gate \"metrics\")",
                 what, *schema ? "a " : "not a splsuite results document: it", schema, *schema ? " document" : "");
        return -1;
    }
    if (rc) {
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%s", err);
        snprintf(err, errlen, "%s: %s", what, tmp);
        return -1;
    }
    return 0;
}

int rdoc_load(const char *path, struct rdoc *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    json_tokener *tok = json_tokener_new();
    json_object *doc = NULL;
    char buf[65536];
    size_t n;
    enum json_tokener_error je = json_tokener_continue;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        doc = json_tokener_parse_ex(tok, buf, (int)n);
        je = json_tokener_get_error(tok);
        if (je != json_tokener_continue) break;
    }
    bool ioerr = ferror(f);
    if (f != stdin) fclose(f);
    if (je == json_tokener_continue) doc = json_tokener_parse_ex(tok, "", 0), je = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (ioerr || !doc) {
        snprintf(err, errlen, "%s: %s", path, ioerr ? "read error" : je == json_tokener_success ? "empty file" :
                 je == json_tokener_continue ? "truncated JSON (the document does not end)" : json_tokener_error_desc(je));
        json_object_put(doc);
        return -1;
    }
    return rdoc_from_json(doc, path, d, err, errlen);
}

void rdoc_free(struct rdoc *d)
{
    for (size_t i = 0; i < d->n; i++) free(d->rows[i].reps);
    free(d->rows);
    json_object_put(d->doc);
    memset(d, 0, sizeof *d);
}

const struct rrow *rdoc_find(const struct rdoc *d, const char *workload, const char *name, const char *impl)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct rrow *r = &d->rows[i];
        if (!strcmp(r->workload, workload) && !strcmp(r->name, name) && (!impl || !strcmp(r->impl, impl))) return r;
    }
    return NULL;
}

void rrow_id(const struct rrow *r, char *buf, size_t len) { snprintf(buf, len, "%s/%s", r->workload, r->name); }
