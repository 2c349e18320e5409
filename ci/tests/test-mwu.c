/*
 * test-mwu.c - the gate's statistics against values worked out by hand
 * (and matching scipy.stats.mannwhitneyu), plus the properties the gate
 * relies on: no false alarm on identical noise, detection of a shift.
 */
#include "mwu.h"
#include "helpers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>


static void near(const char *what, double got, double want, double tol)
{
    if (fabs(got - want) > tol) {
        printf("FAIL %s: got %.6f want %.6f\n", what, got, want);
        fails++;
    } else {
        printf("ok   %s: %.6f\n", what, got);
    }
}

int main(void)
{
    struct mwu_result r;
    /* complete separation, 5 vs 5: exact P(U >= 25) = 1 / C(10,5) = 1/252 */
    double hi[] = {6, 7, 8, 9, 10}, lo[] = {1, 2, 3, 4, 5};
    mwu_test(hi, 5, lo, 5, MWU_GREATER, &r);
    near("separated greater p", r.p, 1.0 / 252, 1e-12);
    near("separated U", r.u, 25, 0);
    if (!r.exact) { printf("FAIL small untied samples should use the exact distribution\n"); fails++; }
    mwu_test(hi, 5, lo, 5, MWU_TWO_SIDED, &r);
    near("separated two-sided p", r.p, 2.0 / 252, 1e-12);
    mwu_test(hi, 5, lo, 5, MWU_LESS, &r);
    near("separated less p", r.p, 1.0, 1e-12);

    /* 3 vs 2 interleaved: x = {1,3,5}, y = {2,4}: U = 0+1+2 = 3 of 6.
     * U counts for u = 0..6 are 1,1,2,2,2,1,1 of C(5,2) = 10, so P(U >= 3) = 6/10. */
    double x3[] = {1, 3, 5}, y2[] = {2, 4};
    mwu_test(x3, 3, y2, 2, MWU_GREATER, &r);
    near("interleaved U", r.u, 3, 0);
    near("interleaved greater p", r.p, 6.0 / 10, 1e-12);

    /* ties force the normal approximation: ranks 1,3,3,5.5,7 -> U = 4.5,
     * tie term 24+6+6, var = 30/12 (12 - 36/110), z = 10/sd, p = 0.0641466 */
    double tx[] = {1, 2, 2, 3, 4}, ty[] = {2, 3, 5, 6, 6, 7};
    mwu_test(tx, 5, ty, 6, MWU_TWO_SIDED, &r);
    near("tied U", r.u, 4.5, 1e-12);
    near("tied two-sided p", r.p, 0.06414661873440443, 1e-9);
    if (!r.ties || r.exact) { printf("FAIL tie detection\n"); fails++; }

    /* all equal: no evidence */
    double eq[] = {1, 1, 1, 1};
    mwu_test(eq, 4, eq, 4, MWU_TWO_SIDED, &r);
    near("all-equal p", r.p, 1.0, 0);

    near("median odd", mwu_median(tx, 5), 2, 0);
    near("median even", mwu_median(ty, 6), 5.5, 0);

    /* the property the gate needs: two draws of the same noisy process rarely
     * look different at alpha 0.01, a 15% shift with the same noise always does */
    srand(12345);
    int false_alarm = 0, caught = 0;
    for (int trial = 0; trial < 200; trial++) {
        double a[15], b[15], c[15];
        for (int i = 0; i < 15; i++) {
            double na = (rand() / (double)RAND_MAX - 0.5) * 0.1, nb = (rand() / (double)RAND_MAX - 0.5) * 0.1;
            a[i] = 2.0 * (1 + na);
            b[i] = 2.0 * (1 + nb);
            c[i] = 2.0 * 1.15 * (1 + nb);
        }
        mwu_test(b, 15, a, 15, MWU_GREATER, &r);
        false_alarm += r.p < 0.01;
        mwu_test(c, 15, a, 15, MWU_GREATER, &r);
        caught += r.p < 0.01;
    }
    printf("same process: %d/200 below alpha 0.01; 15%% shift: %d/200 caught\n", false_alarm, caught);
    if (false_alarm > 8) { printf("FAIL too many false alarms\n"); fails++; }
    if (caught < 200) { printf("FAIL a 15%% shift was missed\n"); fails++; }

    if (mwu_test(tx, 0, ty, 6, MWU_TWO_SIDED, &r) != -1) { printf("FAIL empty side accepted\n"); fails++; }
    printf("%s\n", fails ? "FAILED" : "PASSED");
    return fails ? 1 : 0;
}
