/*
 * report.h - the result model of checking commands and its four renderings.
 *
 * A report is a list of cases (one per rule or check), each PASS, FAIL,
 * SKIP (with the reason) or ERROR (the harness could not evaluate it),
 * with its duration, a one-line detail and, for failures, a counterexample
 * and the command line that reproduces it. The same model renders as a
 * terminal table, TAP 13, JUnit XML and JSON, so CI and humans read one truth.
 */
#ifndef SPLSUITE_REPORT_H
#define SPLSUITE_REPORT_H

#include <json-c/json.h>

struct spl_envelope;
#include <stdbool.h>
#include <stdio.h>

enum spl_result { SPL_PASS = 0, SPL_FAIL, SPL_SKIP, SPL_ERROR };

struct spl_case {
    char id[32];        /* "SEQ-001" */
    char family[16];    /* "SEQ" */
    char title[160];    /* what the rule says, in one line */
    char severity[16];  /* "critical", "major", "minor" */
    enum spl_result result;
    double secs;
    char *detail;       /* one line: what was checked, or the skip reason */
    char *counterexample; /* FAIL: the observation that breaks the rule (may be multi-line) */
    char *repro;        /* FAIL: command line that reproduces it */
};

struct spl_report {
    char suite[32];     /* "conform" */
    char subject[512];  /* what was tested: "ref (shm), peer ref-file" */
    unsigned long long seed;
    double secs;
    struct spl_case *cases;
    size_t n, cap;
    json_object *meta;  /* free-form extra facts (owned; may be NULL) */
    const struct spl_envelope *envelope; /* run identity the JSON carries (lib/envelope.h); may be NULL */
    int interrupted;    /* the signal that stopped the run early (SIGINT, SIGTERM), else 0 */
    size_t planned;     /* cases the run meant to have (0: unknown); more than n when interrupted */
};

void spl_report_init(struct spl_report *r, const char *suite, const char *subject, unsigned long long seed);
void spl_report_free(struct spl_report *r);
/* Adds a case (result SKIP until set). The pointer stays valid until the next add. */
struct spl_case *spl_report_add(struct spl_report *r, const char *id, const char *title, const char *severity);
void spl_case_set(struct spl_case *c, enum spl_result res, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void spl_case_counterexample(struct spl_case *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void spl_case_repro(struct spl_case *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Upgrades only: PASS < SKIP < FAIL < ERROR is not an order; a FAIL is never
 * overwritten by a PASS (used when a rule has several sub-checks). */
void spl_case_merge(struct spl_case *c, enum spl_result res, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

const char *spl_result_str(enum spl_result r); /* "PASS", "FAIL", "SKIP", "ERROR" */
void spl_report_counts(const struct spl_report *r, size_t counts[4]);
/* 0 nothing failed, 1 a case failed or errored, 77 every case skipped,
 * 128 + signal when interrupted (whatever the cases say). */
int spl_report_exit_code(const struct spl_report *r);

/* Terminal table: ID, result, time, detail / counterexample. color: ANSI. */
void spl_report_print_text(const struct spl_report *r, FILE *out, bool color, bool verbose);
void spl_report_write_tap(const struct spl_report *r, FILE *out);
void spl_report_write_junit(const struct spl_report *r, FILE *out);
json_object *spl_report_json(const struct spl_report *r);
void spl_report_write_json(const struct spl_report *r, FILE *out);
/* Writes one format ("tap", "junit", "json") to path ("-": stdout); creates
 * parent dirs; the file appears whole or not at all (written aside, then
 * renamed). 0, or -1 with errno (then nothing was left at path). */
int spl_report_save(const struct spl_report *r, const char *format, const char *path);

#endif
