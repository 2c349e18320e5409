/*
 * compare.h - two results documents row by row: the change of each row's
 * median, a two-sided Mann-Whitney U test over its repetitions, and a
 * verdict. Used by `splsuite compare` and by `splsuite plot` (two runs).
 *
 * Verdicts:
 *   worse / better   the median moved by at least threshold_pct in the bad
 *                    (good) direction of the row's unit AND the U test says
 *                    the repetitions differ (p < alpha).
 *   no change        either failed (the reason says which). With too few
 *                    repetitions for any p below alpha (3 against 3: at best
 *                    0.1) nothing can be judged worse: the reason and a
 *                    run-level warning say so, never a guess on 3 samples.
 *   not comparable   a side is missing or not measured, units differ, a
 *                    median is zero: the reason says which
 * Conform rows (verdicts, not figures): PASS -> FAIL/ERROR is worse, the
 * reverse better, a skip on either side not comparable.
 */
#ifndef SPLSUITE_COMPARE_H
#define SPLSUITE_COMPARE_H

#include "rows.h"

#include <json-c/json.h>
#include <stdio.h>

enum cverdict { CV_BETTER = 0, CV_WORSE, CV_SAME, CV_NA, CV__N };
extern const char *const cverdict_name[CV__N]; /* "better", "worse", "no change", "not comparable" */

struct cmp_opts {
    double threshold_pct; /* smallest change of the median that counts (default 5) */
    double alpha;         /* significance of the U test (default 0.05) */
    const char *old_impl; /* only rows of this implementation in OLD (NULL: match labels) */
    const char *new_impl; /* ... matched with rows of this one in NEW */
};

struct crow {
    const struct rrow *o, *n; /* either may be NULL (row only on one side) */
    char id[224];             /* "ops/set/v:64/fill:50" */
    char impl[136];           /* "ref", or "ref -> libsplinter.so" when mapped */
    char unit[24];
    bool lower_is_better;
    enum cverdict v;
    char reason[256];
    double old_med, new_med, change_pct; /* NAN when not comparable */
    bool has_p;
    double p, p_min;          /* two-sided U test; smallest p these sizes allow */
    bool separated;           /* every NEW repetition beyond every OLD one (or below) */
    size_t n_old, n_new;
};

struct cmp {
    struct cmp_opts o;
    struct crow *rows;
    size_t n;
    size_t count[CV__N];
    char warn[12][320];       /* run-level differences a reader must know */
    int nwarn;
};

/* Compares a (OLD) with b (NEW). 0, or -1 when out of memory. */
int cmp_run(const struct rdoc *a, const struct rdoc *b, const struct cmp_opts *o, struct cmp *c);
void cmp_free(struct cmp *c);
/* Body of the splsuite-compare/1 document (to be wrapped in an envelope). */
json_object *cmp_json(const struct cmp *c, const struct rdoc *a, const struct rdoc *b);
void cmp_text(const struct cmp *c, const struct rdoc *a, const struct rdoc *b, FILE *out, bool color, bool all);
/* GitHub/GitLab-flavoured Markdown for a pull-request comment: the rows that
 * changed in a table, the rest folded in <details>. */
void cmp_markdown(const struct cmp *c, const struct rdoc *a, const struct rdoc *b, FILE *out);

#endif
