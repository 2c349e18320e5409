/*
 * test_hist.c - the log-linear histogram: bucket mapping is a bijection on
 * its ranges, percentiles are within the promised relative error of the
 * exact ones, merge equals recording everything in one, JSON round-trips.
 */
#include "hist.h"
#include "helpers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>


static int cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    const int S = SPL_HIST_DEFAULT_SUB_BITS;
    struct spl_hist h, a, b, r;
    CHECK(spl_hist_init(&h, 0) != 0, "sub_bits 0 must be refused");
    CHECK(spl_hist_init(&h, S) == 0, "init");
    /* every bucket's low and high map back to the bucket; buckets tile the line */
    for (size_t i = 0; i + 1 < h.nbuckets; i++) {
        uint64_t lo = spl_hist_bucket_low(S, i), hi = spl_hist_bucket_high(S, i);
        CHECK(spl_hist_index(S, lo) == i && spl_hist_index(S, hi) == i, "bucket %zu [%llu,%llu]", i,
              (unsigned long long)lo, (unsigned long long)hi);
        CHECK(spl_hist_bucket_low(S, i + 1) == hi + 1, "gap after bucket %zu", i);
    }
    CHECK(spl_hist_index(S, UINT64_MAX) == h.nbuckets - 1, "u64 max lands in the last bucket");
    /* percentiles against exact order statistics of log-spread samples */
    enum { N = 200000 };
    uint64_t *v = malloc(N * sizeof *v);
    uint64_t x = 88172645463325252ull;
    spl_hist_init(&a, S);
    spl_hist_init(&b, S);
    for (int i = 0; i < N; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        v[i] = (x % 1000000) * (1 + (x >> 60)) + 1;
        spl_hist_record(&h, v[i]);
        spl_hist_record(i % 3 ? &a : &b, v[i]);
    }
    qsort(v, N, sizeof *v, cmp);
    const double ps[] = {1, 10, 50, 90, 99, 99.9, 99.99};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        uint64_t exact = v[(size_t)ceil(ps[i] / 100.0 * N) - 1], got = spl_hist_percentile(&h, ps[i]);
        double err = fabs((double)got - (double)exact) / (double)exact;
        CHECK(err <= 1.0 / (1 << S), "p%g: %llu vs exact %llu (err %.4f)", ps[i], (unsigned long long)got,
              (unsigned long long)exact, err);
    }
    CHECK(spl_hist_percentile(&h, 100) == v[N - 1] && h.min == v[0], "max/min exact");
    CHECK(h.count == N, "count");
    /* merge of two halves equals the whole */
    CHECK(spl_hist_merge(&a, &b) == 0, "merge");
    for (size_t i = 0; i < h.nbuckets; i++) CHECK(a.counts[i] == h.counts[i], "merged bucket %zu differs", i);
    CHECK(a.min == h.min && a.max == h.max && a.count == h.count, "merged min/max/count");
    struct spl_hist other;
    spl_hist_init(&other, S + 1);
    CHECK(spl_hist_merge(&a, &other) != 0, "merging different precisions must fail");
    /* log2 view sums to count */
    uint64_t l2[SPL_HIST_LOG2_BUCKETS], sum = 0;
    size_t top = spl_hist_log2(&h, l2, SPL_HIST_LOG2_BUCKETS);
    for (size_t i = 0; i < top; i++) sum += l2[i];
    CHECK(sum == N, "log2 buckets sum %llu != %d", (unsigned long long)sum, N);
    /* JSON round trip */
    json_object *j = spl_hist_json(&h, "ns", NULL, 0);
    CHECK(spl_hist_from_json(&r, j) == 0, "from_json");
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
        CHECK(spl_hist_percentile(&r, ps[i]) == spl_hist_percentile(&h, ps[i]), "round trip p%g", ps[i]);
    CHECK(fabs(spl_hist_mean(&r) - spl_hist_mean(&h)) < 1e-6 * spl_hist_mean(&h), "round trip mean");
    json_object *pct;
    CHECK(json_object_object_get_ex(j, "percentile", &pct) && json_object_object_get_ex(pct, "99.900000", NULL),
          "fio percentile key format");
    json_object_put(j);
    json_object *bad = json_tokener_parse("{\"sub_bits\": 7, \"buckets\": [[999999, 1]]}");
    CHECK(spl_hist_from_json(&r, bad) != 0, "out-of-range bucket index must be refused");
    json_object_put(bad);
    printf("%s: hist (%d checks failed)\n", fails ? "FAIL" : "PASS", fails);
    return fails ? 1 : 0;
}
