/*
 * test_seq_judge.c - the SEQ rules' log look-ups on hand-made logs: which
 * events an index keeps, overlap at and around interval ends, other workers
 * only, and sequence look-up hits, misses and bounds. Table-driven: each row
 * is a question and the answer a correct judge must give.
 */
#include "helpers.h"
#include "seq_judge.h"

#include <stdlib.h>

enum { W = 1, R = 2, U = 3 }; /* op codes as the rules use them: write, read, unset */
enum { NKEYS = 3 };

/* A log of n events built from rows {op, key, t0, t1, seq}. */
struct row { uint16_t op; uint32_t key; uint64_t t0, t1, seq; };

static struct spl_log *mklog(uint32_t worker, const struct row *rows, size_t n)
{
    struct spl_log *l = calloc(1, sizeof *l + (n ? n : 1) * sizeof(struct spl_event));
    if (!l) abort();
    l->cap = n;
    for (size_t i = 0; i < n; i++)
        l->ev[i] = (struct spl_event){.op = rows[i].op, .key = rows[i].key, .t0 = rows[i].t0, .t1 = rows[i].t1,
                                      .seq = rows[i].seq, .worker = worker};
    atomic_store(&l->n, n);
    return l;
}

/* worker 0 writes key 0 at [10,20] seq 1 and [30,40] seq 2, reads key 0 at [50,60], unsets key 1 at [70,80];
 * worker 1 writes key 0 at [100,110] seq 7, key 2 at [5,6] seq 9, and key 5 (out of range) at [1,2];
 * worker 2 only reads. */
static const struct row w0[] = {{W, 0, 10, 20, 1}, {W, 0, 30, 40, 2}, {R, 0, 50, 60, 2}, {U, 1, 70, 80, 0}};
static const struct row w1[] = {{W, 0, 100, 110, 7}, {W, 2, 5, 6, 9}, {W, 5, 1, 2, 3}};
static const struct row w2[] = {{R, 0, 10, 200, 1}};

TEST(index_keeps_writes)
{
    struct spl_log *logs[3] = {mklog(0, w0, 4), mklog(1, w1, 3), mklog(2, w2, 1)};
    struct widx *ix = seq_index_writes(logs, 3, NKEYS, W, -1);
    CHECK(ix != NULL);
    if (ix) {
        static const struct { uint32_t w, k; size_t n; } want[] = {
            {0, 0, 2}, {0, 1, 0}, {0, 2, 0}, {1, 0, 1}, {1, 1, 0}, {1, 2, 1}, {2, 0, 0}};
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
            CHECK(ix[want[i].w * NKEYS + want[i].k].n == want[i].n, "worker %u key %u: %zu writes, want %zu", want[i].w,
                  want[i].k, ix[want[i].w * NKEYS + want[i].k].n, want[i].n);
        CHECK(ix[0].ev[0]->seq == 1 && ix[0].ev[1]->seq == 2, "log order kept");
    }
    seq_index_free(ix, 3, NKEYS);
    struct widx *iu = seq_index_writes(logs, 3, NKEYS, W, U);
    CHECK(iu && iu[0 * NKEYS + 1].n == 1, "with unsets: worker 0's unset of key 1 is indexed");
    seq_index_free(iu, 3, NKEYS);
    for (int i = 0; i < 3; i++) free(logs[i]);
}

TEST(overlap)
{
    struct spl_log *logs[3] = {mklog(0, w0, 4), mklog(1, w1, 3), mklog(2, w2, 1)};
    struct widx *ix = seq_index_writes(logs, 3, NKEYS, W, -1);
    static const struct { uint32_t except, key; uint64_t t0, t1; bool want; const char *why; } q[] = {
        {UINT32_MAX, 0, 12, 15, true, "inside a write"},
        {UINT32_MAX, 0, 20, 25, true, "touching a write's end"},
        {UINT32_MAX, 0, 5, 10, true, "touching a write's start"},
        {UINT32_MAX, 0, 21, 29, false, "between two writes of one worker"},
        {UINT32_MAX, 0, 0, 1000, true, "around every write"},
        {UINT32_MAX, 0, 41, 99, false, "after worker 0's writes, before worker 1's"},
        {UINT32_MAX, 0, 111, 1000, false, "after every write"},
        {0, 0, 12, 15, false, "worker 0's own write does not count"},
        {0, 0, 105, 105, true, "worker 1's write does"},
        {1, 0, 105, 105, false, "except worker 1"},
        {UINT32_MAX, 1, 0, 1000, false, "key 1 was only unset"},
        {UINT32_MAX, 2, 6, 6, true, "key 2 at its write's end"},
        {UINT32_MAX, 5, 0, 1000, false, "a key outside the index"},
    };
    CHECK(ix != NULL);
    for (size_t i = 0; ix && i < sizeof q / sizeof q[0]; i++)
        CHECK(seq_overlaps_write(ix, 3, NKEYS, q[i].except, q[i].key, q[i].t0, q[i].t1) == q[i].want,
              "%s: key %u [%llu, %llu] except %u", q[i].why, q[i].key, (unsigned long long)q[i].t0,
              (unsigned long long)q[i].t1, q[i].except);
    seq_index_free(ix, 3, NKEYS);
    for (int i = 0; i < 3; i++) free(logs[i]);
}

TEST(find_seq)
{
    static const struct row rows[] = {{W, 0, 1, 2, 3}, {W, 0, 3, 4, 5}, {W, 0, 5, 6, 8}, {W, 0, 7, 8, 13}};
    struct spl_log *l = mklog(0, rows, 4);
    struct widx *ix = seq_index_writes(&l, 1, 1, W, -1);
    static const struct { uint64_t seq; long want; } q[] = {
        {3, 0}, {5, 1}, {8, 2}, {13, 3}, {0, -1}, {4, -1}, {9, -1}, {14, -1}, {UINT64_MAX, -1}};
    CHECK(ix != NULL);
    for (size_t i = 0; ix && i < sizeof q / sizeof q[0]; i++)
        CHECK(seq_find_seq(&ix[0], q[i].seq) == q[i].want, "seq %llu: got %ld, want %ld", (unsigned long long)q[i].seq,
              seq_find_seq(&ix[0], q[i].seq), q[i].want);
    struct widx empty = {0};
    CHECK(seq_find_seq(&empty, 1) == -1, "an empty list has no write");
    seq_index_free(ix, 1, 1);
    free(l);
}

int main(void)
{
    RUN(index_keeps_writes);
    RUN(overlap);
    RUN(find_seq);
    return T_DONE("seq judges");
}
