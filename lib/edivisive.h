/*
 * edivisive.h - change points of a series by e-divisive means (Matteson and
 * James, "A Nonparametric Approach for Multiple Change Point Analysis of
 * Multivariate Data", JASA 2014), the method of MongoDB's CI and Apache
 * Otava (hunter), with the paper's permutation test for significance.
 *
 * For a segment split at tau into X = [s, tau) and Y = [tau, kappa), kappa
 * up to the segment's end, the statistic
 *   Q = m n / (m + n) * ( 2/(m n) sum|Xi - Yj| - 1/C(m,2) sum|Xi - Xk| - 1/C(n,2) sum|Yj - Yk| )
 * is large when the two parts come from different distributions (any
 * change of location, not only a step: a slow drift splits too). The best
 * split over all current segments is kept when a permutation test says so:
 * the values are shuffled within each segment R times, and
 *   p = (1 + #{shuffles whose best Q >= the observed one}) / (R + 1).
 * Splits are added one at a time until the best is not significant.
 * Deterministic: the shuffles come from the given seed.
 */
#ifndef SPLSUITE_EDIVISIVE_H
#define SPLSUITE_EDIVISIVE_H

#include <stddef.h>
#include <stdint.h>

struct ed_opts {
    double alpha;        /* significance of each change point (default 0.05, as ecp) */
    unsigned perms;      /* permutations per test (default 999) */
    size_t min_size;     /* fewest points between change points (default 3) */
    uint64_t seed;       /* of the shuffles */
};

struct ed_point {
    size_t index;        /* first point after the change */
    double q;            /* its statistic */
    double p;            /* permutation p-value when it was accepted */
};

#define ED_MAX_POINTS 4000 /* the prefix matrix is n^2 doubles (128 MB here) */

/* Fills opts with the defaults above. */
void ed_defaults(struct ed_opts *o);
/* Change points of x[0..n), sorted by index, into cp (at most max). Returns
 * how many, or -1 when out of memory or n > ED_MAX_POINTS. n < 2 * min_size: none. */
int ed_change_points(const double *x, size_t n, const struct ed_opts *o, struct ed_point *cp, size_t max);
/* Best split of x[s..e) and its statistic (index = s when none fits). */
double ed_best_split(const double *x, size_t s, size_t e, size_t min_size, size_t *tau);

#endif
