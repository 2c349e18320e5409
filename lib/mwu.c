/*
 * mwu.c - Mann-Whitney U (Wilcoxon rank-sum) test.
 */
#include "mwu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ranked { double v; int from_x; };

static int cmp_ranked(const void *a, const void *b)
{
    double x = ((const struct ranked *)a)->v, y = ((const struct ranked *)b)->v;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double mwu_median(const double *v, size_t n)
{
    if (n == 0) return NAN;
    double *c = malloc(n * sizeof *c);
    if (!c) return NAN;
    memcpy(c, v, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    double m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    free(c);
    return m;
}

/* P(U >= u) under H0 for sizes m, n without ties: the number of
 * arrangements of m x's and n y's with each U value, by the recurrence
 * f(i, j, u) = f(i-1, j, u-j) + f(i, j-1, u) (the largest value is an x,
 * beating all j y's, or a y). One table row per i, kept as doubles. */
static double exact_upper(size_t m, size_t n, double u)
{
    size_t umax = m * n;
    /* cnt[j][k]: arrangements of i x's and j y's with U = k, for the current i */
    double *cnt = calloc((n + 1) * (umax + 1), sizeof *cnt);
    double *prev = calloc((n + 1) * (umax + 1), sizeof *prev);
    if (!cnt || !prev) { free(cnt); free(prev); return NAN; }
#define AT(t, j, k) t[(j) * (umax + 1) + (k)]
    for (size_t j = 0; j <= n; j++) AT(prev, j, 0) = 1; /* i = 0: one arrangement, U = 0 */
    for (size_t i = 1; i <= m; i++) {
        memset(cnt, 0, (n + 1) * (umax + 1) * sizeof *cnt);
        for (size_t j = 0; j <= n; j++)
            for (size_t k = 0; k <= i * j; k++) {
                double a = k >= j ? AT(prev, j, k - j) : 0;
                double b = j > 0 ? AT(cnt, j - 1, k) : 0;
                AT(cnt, j, k) = a + b;
            }
        double *t = prev; prev = cnt; cnt = t;
    }
    double total = 0, upper = 0;
    for (size_t k = 0; k <= umax; k++) {
        total += AT(prev, n, k);
        if ((double)k >= u - 1e-9) upper += AT(prev, n, k);
    }
#undef AT
    free(cnt);
    free(prev);
    return upper / total;
}

double mwu_min_p(size_t nx, size_t ny)
{
    if (nx == 0 || ny == 0) return 1.0;
    double c = 1; /* C(nx + ny, nx), as a product of ratios */
    size_t k = nx < ny ? nx : ny;
    for (size_t i = 1; i <= k; i++) c = c * (double)(nx + ny - k + i) / (double)i;
    return fmin(1.0, 2.0 / c);
}

static double norm_sf(double z) { return 0.5 * erfc(z / sqrt(2.0)); }

int mwu_test(const double *x, size_t nx, const double *y, size_t ny, enum mwu_alt alt, struct mwu_result *out)
{
    memset(out, 0, sizeof *out);
    if (nx == 0 || ny == 0 || nx > 100000 || ny > 100000) return -1;
    size_t n = nx + ny;
    struct ranked *r = malloc(n * sizeof *r);
    if (!r) return -1;
    for (size_t i = 0; i < nx; i++) r[i] = (struct ranked){x[i], 1};
    for (size_t i = 0; i < ny; i++) r[nx + i] = (struct ranked){y[i], 0};
    qsort(r, n, sizeof *r, cmp_ranked);

    /* average ranks over runs of ties; sum of t^3 - t for the variance */
    double rank_x = 0, tie_term = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && r[j + 1].v == r[i].v) j++;
        double avg = ((double)(i + 1) + (double)(j + 1)) / 2.0, t = (double)(j - i + 1);
        for (size_t k = i; k <= j; k++)
            if (r[k].from_x) rank_x += avg;
        if (t > 1) { tie_term += t * t * t - t; out->ties = 1; }
        i = j + 1;
    }
    free(r);
    double m1 = (double)nx, m2 = (double)ny;
    double u = rank_x - m1 * (m1 + 1) / 2.0;
    out->u = u;

    if (!out->ties && nx <= MWU_EXACT_MAX && ny <= MWU_EXACT_MAX) {
        double up = exact_upper(nx, ny, u);               /* P(U >= u) */
        double lo = exact_upper(nx, ny, m1 * m2 - u);      /* P(U <= u), by symmetry */
        if (isnan(up) || isnan(lo)) return -1;
        out->exact = 1;
        if (alt == MWU_GREATER) out->p = up;
        else if (alt == MWU_LESS) out->p = lo;
        else out->p = fmin(1.0, 2.0 * fmin(up, lo));
        return 0;
    }
    double mu = m1 * m2 / 2.0;
    double var = m1 * m2 / 12.0 * ((double)n + 1.0 - tie_term / ((double)n * ((double)n - 1.0)));
    if (var <= 0) { out->p = 1.0; return 0; } /* every value equal: no evidence either way */
    double sd = sqrt(var), d = u - mu;
    if (alt == MWU_GREATER) {
        out->z = (d - 0.5) / sd;
        out->p = norm_sf(out->z);
    } else if (alt == MWU_LESS) {
        out->z = (d + 0.5) / sd;
        out->p = 1.0 - norm_sf(out->z);
    } else {
        out->z = (fabs(d) - 0.5) / sd;
        if (out->z < 0) out->z = 0;
        out->p = fmin(1.0, 2.0 * norm_sf(out->z));
        if (d < 0) out->z = -out->z;
    }
    return 0;
}
