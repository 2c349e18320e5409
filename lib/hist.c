/*
 * hist.c - log-linear histogram (see hist.h for the bucket layout).
 *
 * Layout with S = sub_bits: values below 2^S each get a bucket of their own;
 * a value v >= 2^S with highest bit m lands in sub-bucket v >> (m - S) of
 * "shift" m - S, index (m - S + 1) * 2^S + (v >> (m - S)) - 2^S. Shifts run
 * to 63 - S, so the table has (65 - S) * 2^S buckets.
 */
#include "hist.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double spl_hist_fio_percentiles[] = {1.0,  5.0,  10.0, 20.0, 30.0, 40.0,  50.0,  60.0,  70.0,
                                           80.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99};
const size_t spl_hist_fio_npercentiles = sizeof spl_hist_fio_percentiles / sizeof spl_hist_fio_percentiles[0];

static size_t nbuckets_for(int s) { return (size_t)(65 - s) << s; }

size_t spl_hist_index(int s, uint64_t v)
{
    uint64_t sub = 1ull << s;
    if (v < sub) return (size_t)v;
    int m = 63 - __builtin_clzll(v);
    int shift = m - s;
    return ((size_t)(shift + 1) << s) + (size_t)((v >> shift) - sub);
}

/* An index outside the table (or sub_bits outside 1..SPL_HIST_MAX_SUB_BITS)
 * has no bucket: its shift would reach or pass the width of u64 (undefined),
 * so both bounds saturate to UINT64_MAX. */
static bool bucket_valid(int s, size_t idx) { return s >= 1 && s <= SPL_HIST_MAX_SUB_BITS && idx < nbuckets_for(s); }

uint64_t spl_hist_bucket_low(int s, size_t idx)
{
    if (!bucket_valid(s, idx)) return UINT64_MAX;
    uint64_t sub = 1ull << s;
    if ((idx >> s) == 0) return idx; /* idx < 2^s */
    size_t shift = (idx >> s) - 1;    /* 0 .. 63 - s */
    return (sub + (idx & (sub - 1))) << shift;
}

uint64_t spl_hist_bucket_high(int s, size_t idx)
{
    if (!bucket_valid(s, idx)) return UINT64_MAX;
    if ((idx >> s) == 0) return idx; /* idx < 2^s */
    size_t shift = (idx >> s) - 1;    /* 0 .. 63 - s */
    uint64_t low = spl_hist_bucket_low(s, idx);
    return low + ((1ull << shift) - 1);
}

int spl_hist_init(struct spl_hist *h, int sub_bits)
{
    memset(h, 0, sizeof *h);
    if (sub_bits < 1 || sub_bits > SPL_HIST_MAX_SUB_BITS) { errno = EINVAL; return -1; }
    h->sub_bits = sub_bits;
    h->nbuckets = nbuckets_for(sub_bits);
    h->counts = calloc(h->nbuckets, sizeof *h->counts);
    if (!h->counts) { errno = ENOMEM; return -1; }
    h->min = UINT64_MAX;
    return 0;
}

void spl_hist_free(struct spl_hist *h)
{
    free(h->counts);
    h->counts = NULL;
    h->nbuckets = 0;
}

void spl_hist_reset(struct spl_hist *h)
{
    if (h->counts) memset(h->counts, 0, h->nbuckets * sizeof *h->counts);
    h->count = 0;
    h->min = UINT64_MAX;
    h->max = 0;
    h->sum = h->sumsq = 0;
}

void spl_hist_record_n(struct spl_hist *h, uint64_t v, uint64_t n)
{
    if (!n) return;
    h->counts[spl_hist_index(h->sub_bits, v)] += n;
    h->count += n;
    if (v < h->min) h->min = v;
    if (v > h->max) h->max = v;
    h->sum += (double)v * (double)n;
    h->sumsq += (double)v * (double)v * (double)n;
}

void spl_hist_record(struct spl_hist *h, uint64_t v) { spl_hist_record_n(h, v, 1); }

int spl_hist_merge(struct spl_hist *dst, const struct spl_hist *src)
{
    if (dst->sub_bits != src->sub_bits) { errno = EINVAL; return -1; }
    for (size_t i = 0; i < dst->nbuckets; i++) dst->counts[i] += src->counts[i];
    dst->count += src->count;
    if (src->count) {
        if (src->min < dst->min) dst->min = src->min;
        if (src->max > dst->max) dst->max = src->max;
    }
    dst->sum += src->sum;
    dst->sumsq += src->sumsq;
    return 0;
}

uint64_t spl_hist_percentile(const struct spl_hist *h, double p)
{
    if (!h->count) return 0;
    if (p <= 0) return h->min;
    if (p >= 100) return h->max;
    /* the smallest value with at least ceil(p% of count) values at or below it */
    uint64_t want = (uint64_t)ceil(p / 100.0 * (double)h->count);
    if (want < 1) want = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < h->nbuckets; i++) {
        seen += h->counts[i];
        if (seen >= want) {
            uint64_t v = spl_hist_bucket_high(h->sub_bits, i);
            if (v > h->max) v = h->max;
            if (v < h->min) v = h->min;
            return v;
        }
    }
    return h->max;
}

double spl_hist_mean(const struct spl_hist *h) { return h->count ? h->sum / (double)h->count : 0.0; }

double spl_hist_stddev(const struct spl_hist *h)
{
    if (h->count < 2) return 0.0;
    double n = (double)h->count, mean = h->sum / n;
    double var = (h->sumsq - n * mean * mean) / (n - 1);
    return var > 0 ? sqrt(var) : 0.0;
}

size_t spl_hist_log2(const struct spl_hist *h, uint64_t *out, size_t n)
{
    if (n > SPL_HIST_LOG2_BUCKETS) n = SPL_HIST_LOG2_BUCKETS;
    memset(out, 0, n * sizeof *out);
    size_t top = 0;
    for (size_t i = 0; i < h->nbuckets; i++) {
        if (!h->counts[i]) continue;
        uint64_t low = spl_hist_bucket_low(h->sub_bits, i);
        size_t b = low ? (size_t)(63 - __builtin_clzll(low)) : 0;
        if (b < n) out[b] += h->counts[i];
        if (b + 1 > top) top = b + 1;
    }
    return top;
}

json_object *spl_hist_json(const struct spl_hist *h, const char *unit, const double *pcts, size_t npcts)
{
    if (!pcts) {
        pcts = spl_hist_fio_percentiles;
        npcts = spl_hist_fio_npercentiles;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "unit", json_object_new_string(unit ? unit : "ns"));
    json_object_object_add(o, "count", json_object_new_uint64(h->count));
    json_object_object_add(o, "min", json_object_new_uint64(h->count ? h->min : 0));
    json_object_object_add(o, "max", json_object_new_uint64(h->max));
    json_object_object_add(o, "mean", json_object_new_double(spl_hist_mean(h)));
    json_object_object_add(o, "stddev", json_object_new_double(spl_hist_stddev(h)));
    json_object *p = json_object_new_object();
    for (size_t i = 0; i < npcts; i++) {
        char key[32];
        snprintf(key, sizeof key, "%f", pcts[i]);
        json_object_object_add(p, key, json_object_new_uint64(spl_hist_percentile(h, pcts[i])));
    }
    json_object_object_add(o, "percentile", p);
    uint64_t l2[SPL_HIST_LOG2_BUCKETS];
    size_t top = spl_hist_log2(h, l2, SPL_HIST_LOG2_BUCKETS);
    json_object *la = json_object_new_array();
    for (size_t i = 0; i < top; i++) json_object_array_add(la, json_object_new_uint64(l2[i]));
    json_object_object_add(o, "log2", la);
    json_object_object_add(o, "sub_bits", json_object_new_int(h->sub_bits));
    json_object *b = json_object_new_array();
    for (size_t i = 0; i < h->nbuckets; i++) {
        if (!h->counts[i]) continue;
        json_object *pair = json_object_new_array();
        json_object_array_add(pair, json_object_new_uint64(i));
        json_object_array_add(pair, json_object_new_uint64(h->counts[i]));
        json_object_array_add(b, pair);
    }
    json_object_object_add(o, "buckets", b);
    return o;
}

int spl_hist_from_json(struct spl_hist *h, json_object *o)
{
    json_object *sb, *b, *v;
    if (!json_object_object_get_ex(o, "sub_bits", &sb) || !json_object_object_get_ex(o, "buckets", &b) ||
        !json_object_is_type(b, json_type_array)) {
        errno = EINVAL;
        return -1;
    }
    if (spl_hist_init(h, json_object_get_int(sb)) < 0) return -1;
    size_t n = json_object_array_length(b);
    for (size_t i = 0; i < n; i++) {
        json_object *pair = json_object_array_get_idx(b, i);
        if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2) goto bad;
        uint64_t idx = json_object_get_uint64(json_object_array_get_idx(pair, 0));
        uint64_t c = json_object_get_uint64(json_object_array_get_idx(pair, 1));
        if (idx >= h->nbuckets) goto bad;
        h->counts[idx] += c;
        h->count += c;
    }
    h->min = json_object_object_get_ex(o, "min", &v) ? json_object_get_uint64(v) : 0;
    h->max = json_object_object_get_ex(o, "max", &v) ? json_object_get_uint64(v) : 0;
    if (!h->count) h->min = UINT64_MAX;
    double mean = json_object_object_get_ex(o, "mean", &v) ? json_object_get_double(v) : 0;
    double sd = json_object_object_get_ex(o, "stddev", &v) ? json_object_get_double(v) : 0;
    double n_ = (double)h->count;
    h->sum = mean * n_;
    h->sumsq = n_ > 1 ? sd * sd * (n_ - 1) + n_ * mean * mean : mean * mean * n_;
    return 0;
bad:
    spl_hist_free(h);
    errno = EINVAL;
    return -1;
}
