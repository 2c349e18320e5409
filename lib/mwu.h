/*
 * mwu.h - Mann-Whitney U test and the sample statistics the perf gate judges with.
 *
 * The timing lane compares two sets of repeated samples (baseline ratios and
 * this run's ratios) without assuming they are normal: timing noise is
 * skewed and heavy-tailed, which is why Google Benchmark's compare.py uses
 * this rank test too. Exact distribution for small samples without ties,
 * normal approximation with tie and continuity correction otherwise.
 */
#ifndef SPLSUITE_MWU_H
#define SPLSUITE_MWU_H

#include <stddef.h>

enum mwu_alt {
    MWU_TWO_SIDED = 0,
    MWU_GREATER = 1, /* alternative: x tends to be larger than y */
    MWU_LESS = 2,    /* alternative: x tends to be smaller than y */
};

struct mwu_result {
    double u;      /* U of x: pairs (xi, yj) with xi > yj, ties count 1/2 */
    double p;      /* p-value for the alternative asked */
    double z;      /* normal score (0 when exact) */
    int exact;     /* 1 when p comes from the exact distribution */
    int ties;      /* 1 when the pooled sample has ties */
};

/* Largest sample size per side for which the exact distribution is used. */
#define MWU_EXACT_MAX 40

/* 0, or -1 when a side is empty or too large (n > 100000) or out of memory. */
int mwu_test(const double *x, size_t nx, const double *y, size_t ny, enum mwu_alt alt, struct mwu_result *out);

/* Smallest two-sided p-value the test can give for these sizes (complete
 * separation, no ties): 2 / C(nx + ny, nx). With 3 against 3 it is 0.1, so
 * no difference can reach alpha = 0.05 however large it is. */
double mwu_min_p(size_t nx, size_t ny);

/* Median of v (copied, v is left untouched). NAN for n == 0. */
double mwu_median(const double *v, size_t n);

#endif
