/*
 * trace_report.h - histograms of the probes in JSON and in libbpf-tools
 * text; internal to bpf/.
 */
#ifndef SPLSUITE_TRACE_REPORT_H
#define SPLSUITE_TRACE_REPORT_H

#include <json-c/json.h>
#include <linux/types.h>
#include <stdint.h>
#include <stdio.h>

#include "trace_hist.h"

/* {"count","sum_ns","min_ns","max_ns","log2":[slots in the unit],
 *  "latency": lib/hist.h JSON in ns (percentiles, sub_bits, buckets)} */
json_object *trace_hist_json(const struct trace_hist *th);
/* dst += src for two trace_hist_json objects. 0, or -1. */
int trace_hist_json_merge(json_object *dst, json_object *src);
/* libbpf-tools' print_log2_hist(): "     usecs : count    distribution". */
void trace_print_log2(FILE *out, json_object *log2, const char *unit);
/* "count 1000  avg 1.2  p50 1.0  p90 1.9  p99 3.8  max 12.0 usecs" */
void trace_print_summary(FILE *out, json_object *hist, const char *unit);
/* Percentile p of a trace_hist_json in ns (0 when empty). */
uint64_t trace_hist_pct(json_object *hist, double p);
const char *trace_advice_name(int advice);
const char *trace_outcome_name(int outcome);

#endif
