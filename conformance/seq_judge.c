/*
 * seq_judge.c - the SEQ rules' log look-ups (seq_judge.h).
 */
#include "seq_judge.h"

#include <errno.h>
#include <stdlib.h>

struct widx *seq_index_writes(struct spl_log *const *logs, uint32_t nw, unsigned nkeys, int write_op, int unset_op)
{
    size_t cells = (size_t)nw * nkeys;
    struct widx *ix = calloc(cells ? cells : 1, sizeof *ix);
    if (!ix) return NULL;
    for (uint32_t w = 0; w < nw; w++) {
        const struct spl_log *l = logs[w];
        size_t len = spl_log_len(l);
        for (unsigned k = 0; k < nkeys; k++)
            if (!(ix[w * nkeys + k].ev = calloc(len ? len : 1, sizeof(void *)))) {
                seq_index_free(ix, nw, nkeys);
                errno = ENOMEM;
                return NULL;
            }
        for (size_t i = 0; i < len; i++) {
            const struct spl_event *e = &l->ev[i];
            if (e->key >= nkeys || !(e->op == write_op || (unset_op >= 0 && e->op == unset_op))) continue;
            struct widx *x = &ix[w * nkeys + e->key];
            x->ev[x->n++] = e; // NOLINT(clang-analyzer-core.NullDereference): row w's cells were all allocated above, e->key < nkeys
        }
    }
    return ix;
}

void seq_index_free(struct widx *ix, uint32_t nw, unsigned nkeys)
{
    if (!ix) return;
    for (size_t i = 0; i < (size_t)nw * nkeys; i++) free(ix[i].ev);
    free(ix);
}

bool seq_overlaps_write(const struct widx *ix, uint32_t nw, unsigned nkeys, uint32_t except, uint32_t key, uint64_t t0,
                        uint64_t t1)
{
    if (key >= nkeys) return false;
    for (uint32_t w = 0; w < nw; w++) {
        if (w == except) continue;
        const struct widx *x = &ix[w * nkeys + key];
        size_t lo = 0, hi = x->n; /* first event with t0 > t1 */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (x->ev[mid]->t0 <= t1) lo = mid + 1;
            else hi = mid;
        }
        if (lo > 0 && x->ev[lo - 1]->t1 >= t0) return true;
    }
    return false;
}

long seq_find_seq(const struct widx *x, uint64_t seq)
{
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (x->ev[mid]->seq < seq) lo = mid + 1;
        else hi = mid;
    }
    return lo < x->n && x->ev[lo]->seq == seq ? (long)lo : -1;
}
