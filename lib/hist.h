/*
 * hist.h - a log-linear latency histogram in the manner of HdrHistogram.
 *
 * Values (nanoseconds, or any u64) are counted in buckets whose width grows
 * with the value: each power of two is split into 2^sub_bits equal
 * sub-buckets, so every recorded value is known to a relative error below
 * 2^-sub_bits (0.78% at the default 7) over the whole u64 range, in fixed
 * memory, with O(1) record and exact merge. Percentiles report the highest
 * value equivalent to the bucket (as HdrHistogram does), never above max.
 *
 * Histograms recorded in different processes merge exactly when they share
 * sub_bits; the JSON form keeps the non-empty buckets so a reader (plot, a
 * CI gate) can rebuild the histogram, merge it or draw its CDF.
 */
#ifndef SPLSUITE_HIST_H
#define SPLSUITE_HIST_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#define SPL_HIST_DEFAULT_SUB_BITS 7
#define SPL_HIST_MAX_SUB_BITS 14
#define SPL_HIST_LOG2_BUCKETS 64 /* [2^i, 2^(i+1)), bucket 0 also holds 0 */

struct spl_hist {
    int sub_bits;
    size_t nbuckets;
    uint64_t *counts;
    uint64_t count;
    uint64_t min, max;
    double sum, sumsq; /* for mean and standard deviation */
};

/* fio's default percentile list (fio --percentile_list default). */
extern const double spl_hist_fio_percentiles[];
extern const size_t spl_hist_fio_npercentiles;

/* 0, or -1 (EINVAL for sub_bits outside 1..SPL_HIST_MAX_SUB_BITS, ENOMEM). */
int spl_hist_init(struct spl_hist *h, int sub_bits);
void spl_hist_free(struct spl_hist *h);
void spl_hist_reset(struct spl_hist *h);
void spl_hist_record(struct spl_hist *h, uint64_t v);
void spl_hist_record_n(struct spl_hist *h, uint64_t v, uint64_t n);
/* Adds src into dst. -1 (EINVAL) when their sub_bits differ. */
int spl_hist_merge(struct spl_hist *dst, const struct spl_hist *src);

/* Value at percentile p in [0, 100]; 0 for an empty histogram. */
uint64_t spl_hist_percentile(const struct spl_hist *h, double p);
double spl_hist_mean(const struct spl_hist *h);
double spl_hist_stddev(const struct spl_hist *h);
/* Counts per power of two: out[i] = values in [2^i, 2^(i+1)) (out[0] also
 * counts 0). n entries are written (up to SPL_HIST_LOG2_BUCKETS); returns the
 * index of the highest non-empty bucket + 1. */
size_t spl_hist_log2(const struct spl_hist *h, uint64_t *out, size_t n);

/* Bucket helpers, exposed for tests and for readers of the JSON buckets. */
size_t spl_hist_index(int sub_bits, uint64_t v);
uint64_t spl_hist_bucket_low(int sub_bits, size_t idx);
uint64_t spl_hist_bucket_high(int sub_bits, size_t idx);

/*
 * JSON: {"unit": unit, "count", "min", "max", "mean", "stddev",
 *        "percentile": {"50.000000": v, ...}   (fio's key format),
 *        "log2": [counts of [2^i, 2^(i+1)) up to the highest non-empty],
 *        "sub_bits": S, "buckets": [[bucket_index, count], ...] (non-empty only)}
 * pcts NULL uses fio's default list.
 */
json_object *spl_hist_json(const struct spl_hist *h, const char *unit, const double *pcts, size_t npcts);
/* Rebuilds a histogram from spl_hist_json() output (exact for buckets, min,
 * max, count; mean and stddev are taken from the JSON). 0, or -1 (EINVAL). */
int spl_hist_from_json(struct spl_hist *h, json_object *o);

#endif
