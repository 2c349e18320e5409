/*
 * edivisive.c - e-divisive means with a permutation test (edivisive.h).
 * The best split of a segment, over tau and kappa, is found in O(n^2) with
 * column prefix sums of the distance matrix (each sum over a range of rows
 * is one subtraction), so a test of R permutations costs O(R n^2).
 */
#include "edivisive.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ed_defaults(struct ed_opts *o)
{
    o->alpha = 0.05;
    o->perms = 999;
    o->min_size = 3;
    o->seed = 0x5eed;
}

static double q_of(double b, double wl, double wr, double m, double k)
{
    double e = 2.0 * b / (m * k);
    if (m > 1) e -= wl / (m * (m - 1) / 2.0);
    if (k > 1) e -= wr / (k * (k - 1) / 2.0);
    return m * k / (m + k) * e;
}

/* P[r * n + c] = sum over i < r of |x[i] - x[c]|: every distance sum over a
 * range of rows of one column in O(1). (n + 1) * n doubles. */
static void prefix(const double *x, size_t n, double *P)
{
    for (size_t c = 0; c < n; c++) P[c] = 0;
    for (size_t r = 0; r < n; r++)
        for (size_t c = 0; c < n; c++) P[(r + 1) * n + c] = P[r * n + c] + fabs(x[r] - x[c]);
}

/* Best (tau, kappa) of [s, e): X = [s, tau), Y = [tau, kappa), kappa <= e, as
 * Matteson and James search it (an excursion that comes back, low-high-low,
 * is found by its first edge even though the far side looks like X). */
static double split_p(const double *P, size_t n, size_t s, size_t e, size_t min_size, size_t *tau)
{
    *tau = s;
    if (e < s || e - s < 2 * min_size) return -INFINITY;
#define AT(r, c) P[(size_t)(r) * n + (size_t)(c)]
    double best = -INFINITY, wl = 0;
    for (size_t k = s; k < s + min_size; k++) wl += AT(k, k) - AT(s, k); /* WL of [s, s + min) */
    for (size_t t = s + min_size; t + min_size <= e; t++) {
        double b = 0, wr = 0;
        size_t k0 = t + min_size;
        for (size_t c = t; c < k0; c++) {
            b += AT(t, c) - AT(s, c);
            wr += AT(c, c) - AT(t, c);
        }
        for (size_t kap = k0;; kap++) {
            double q = q_of(b, wl, wr, (double)(t - s), (double)(kap - t));
            if (q > best) {
                best = q;
                *tau = t;
            }
            if (kap >= e) break;
            b += AT(t, kap) - AT(s, kap);
            wr += AT(kap, kap) - AT(t, kap);
        }
        wl += AT(t, t) - AT(s, t);
    }
#undef AT
    return best;
}

double ed_best_split(const double *x, size_t s, size_t e, size_t min_size, size_t *tau)
{
    *tau = s;
    if (min_size < 1) min_size = 1;
    if (e < s || e - s < 2 * min_size) return -INFINITY;
    size_t n = e;
    double *P = malloc((n + 1) * n * sizeof *P);
    if (!P) return -INFINITY;
    prefix(x, n, P);
    double q = split_p(P, n, s, e, min_size, tau);
    free(P);
    return q;
}

/* Best split over every segment between the sorted boundaries bd[0..nb). */
static double best_over(const double *x, size_t n, double *P, const size_t *bd, size_t nb, size_t min_size, size_t *tau)
{
    prefix(x, n, P);
    double best = -INFINITY;
    for (size_t k = 0; k + 1 < nb; k++) {
        size_t t;
        double q = split_p(P, n, bd[k], bd[k + 1], min_size, &t);
        if (q > best) {
            best = q;
            *tau = t;
        }
    }
    return best;
}

int ed_change_points(const double *x, size_t n, const struct ed_opts *o, struct ed_point *cp, size_t max)
{
    if (n > ED_MAX_POINTS) return -1;
    size_t min_size = o->min_size ? o->min_size : 1;
    size_t *bd = malloc((n + 2) * sizeof *bd);
    double *y = malloc((n ? n : 1) * sizeof *y);
    double *P = malloc((n + 1) * (n ? n : 1) * sizeof *P);
    if (!bd || !y || !P) {
        free(bd);
        free(y);
        free(P);
        return -1;
    }
    size_t nb = 2, ncp = 0;
    bd[0] = 0;
    bd[1] = n;
    struct spl_rng rng;
    spl_rng_seed(&rng, o->seed);
    unsigned perms = o->perms ? o->perms : 999;
    while (ncp < max) {
        size_t tau = 0;
        double q = best_over(x, n, P, bd, nb, min_size, &tau);
        if (!isfinite(q)) break;
        /* Shuffle within each segment: the change points found so far stay. */
        unsigned ge = 0, r;
        double stop = o->alpha * (perms + 1); /* once 1 + ge reaches it, p >= alpha whatever follows */
        for (r = 0; r < perms; r++) {
            memcpy(y, x, n * sizeof *y);
            for (size_t k = 0; k + 1 < nb; k++)
                for (size_t i = bd[k + 1] > bd[k] ? bd[k + 1] - 1 : bd[k]; i > bd[k]; i--) {
                    size_t j = bd[k] + (size_t)spl_rng_below(&rng, i - bd[k] + 1);
                    double t = y[i];
                    y[i] = y[j];
                    y[j] = t;
                }
            size_t tt;
            if (best_over(y, n, P, bd, nb, min_size, &tt) >= q * (1 - 1e-12)) ge++;
            if (1.0 + ge >= stop) break;
        }
        double p = (1.0 + ge) / (perms + 1.0);
        if (p >= o->alpha) break;
        cp[ncp++] = (struct ed_point){.index = tau, .q = q, .p = p};
        /* insert tau into the sorted boundaries */
        size_t k = nb;
        while (k > 0 && bd[k - 1] > tau) {
            bd[k] = bd[k - 1];
            k--;
        }
        bd[k] = tau;
        nb++;
    }
    free(bd);
    free(y);
    free(P);
    /* sort by index (found in order of strength) */
    for (size_t i = 1; i < ncp; i++)
        for (size_t j = i; j > 0 && cp[j - 1].index > cp[j].index; j--) {
            struct ed_point t = cp[j];
            cp[j] = cp[j - 1];
            cp[j - 1] = t;
        }
    return (int)ncp;
}
