/*
 * seq_judge.h - the look-ups the SEQ rules judge their logs with, apart from
 * the processes that wrote them so they can be unit-tested on hand-made logs
 * (conformance/tests/test_seq_judge.c).
 *
 * An index holds, per (worker, key), the worker's write events of that key in
 * log order: a worker is sequential, so its intervals are sorted and disjoint,
 * and "did anybody write k during [t0, t1]" or "which write had sequence s"
 * become binary searches instead of scans of every log.
 */
#ifndef SPLSUITE_SEQ_JUDGE_H
#define SPLSUITE_SEQ_JUDGE_H

#include "proc.h"

#include <stdbool.h>
#include <stdint.h>

struct widx {
    const struct spl_event **ev;
    size_t n;
};

/* ix[w * nkeys + k] for the nw logs: events with op == write_op, and with
 * op == unset_op too when unset_op >= 0; keys >= nkeys are ignored. NULL
 * (ENOMEM) when any part could not be allocated. */
struct widx *seq_index_writes(struct spl_log *const *logs, uint32_t nw, unsigned nkeys, int write_op, int unset_op);
void seq_index_free(struct widx *ix, uint32_t nw, unsigned nkeys);
/* Does a worker other than except (UINT32_MAX: none) have a write of key
 * whose [t0, t1] meets [t0, t1] (touching ends count)? */
bool seq_overlaps_write(const struct widx *ix, uint32_t nw, unsigned nkeys, uint32_t except, uint32_t key, uint64_t t0,
                        uint64_t t1);
/* Position of the write with sequence seq in one (worker, key) list whose
 * sequences ascend (a writes-only index), or -1. */
long seq_find_seq(const struct widx *x, uint64_t seq);

#endif
