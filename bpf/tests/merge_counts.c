/*
 * merge_counts.c - snapshots of two runs merge into exactly the sum: a
 * child makes N madvise(MADV_RANDOM) calls, the snapshot is taken and the
 * probes reset, it makes M more, and merge(first, second) must hold N+M
 * calls in the same entry, in its log2 slots and in its latency buckets,
 * and a third snapshot after the reset must be empty.
 */
#include "trace_embed.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum { N = 300, M = 200 };

static void run_child(int go, int done, void *region)
{
    char b;
    for (int round = 0; round < 2; round++) {
        if (read(go, &b, 1) != 1) _exit(1);
        for (int i = 0; i < (round ? M : N); i++)
            if (madvise(region, 4096, MADV_RANDOM)) _exit(2);
        if (write(done, "d", 1) != 1) _exit(3);
    }
    _exit(0);
}

static json_object *get(json_object *o, const char *k)
{
    json_object *x;
    return o && json_object_object_get_ex(o, k, &x) ? x : NULL;
}

/* count, sum of log2 slots, latency count of the MADV_RANDOM entry of pid */
static void totals(json_object *snap, int pid, long out[3])
{
    memset(out, 0, 3 * sizeof *out);
    json_object *m = get(snap, "madvise");
    for (size_t i = 0; m && i < json_object_array_length(m); i++) {
        json_object *e = json_object_array_get_idx(m, i);
        if (json_object_get_int(get(e, "pid")) != pid || json_object_get_int(get(e, "advice")) != MADV_RANDOM) continue;
        out[0] += json_object_get_int64(get(e, "count"));
        json_object *l = get(e, "log2");
        for (size_t j = 0; l && j < json_object_array_length(l); j++) out[1] += json_object_get_int64(json_object_array_get_idx(l, j));
        out[2] += json_object_get_int64(get(get(e, "latency"), "count"));
    }
}

int main(void)
{
    void *region = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    int go[2], done[2];
    if (region == MAP_FAILED || pipe(go) || pipe(done)) return 1;
    pid_t kid = fork();
    if (kid == 0) run_child(go[0], done[1], region);
    char err[512], b;
    struct spl_trace *t;
    struct spl_trace_opts o = {.probes = SPL_TRACE_MADVISE, .pids = &kid, .npids = 1};
    int rc = spl_trace_open(&o, &t, err, sizeof err);
    if (rc) {
        printf("%s: %s\n", rc == 77 ? "SKIP" : "FAIL", err);
        kill(kid, SIGKILL);
        return rc;
    }
    if (write(go[1], "g", 1) != 1 || read(done[0], &b, 1) != 1) return 1;
    json_object *a = spl_trace_snapshot(t, true);
    if (write(go[1], "g", 1) != 1 || read(done[0], &b, 1) != 1) return 1;
    json_object *s2 = spl_trace_snapshot(t, true);
    json_object *s3 = spl_trace_snapshot(t, false);
    waitpid(kid, NULL, 0);
    spl_trace_close(t);
    long ta[3], tb[3], tm[3], te[3];
    totals(a, kid, ta);
    totals(s2, kid, tb);
    totals(s3, kid, te);
    if (spl_trace_merge(a, s2, err, sizeof err)) {
        printf("FAIL: merge: %s\n", err);
        return 1;
    }
    totals(a, kid, tm);
    int bad = 0;
    const char *what[3] = {"count", "log2 slots", "latency buckets"};
    for (int i = 0; i < 3; i++) {
        printf("%-16s first %ld second %ld merged %ld after reset %ld\n", what[i], ta[i], tb[i], tm[i], te[i]);
        bad += ta[i] != N || tb[i] != M || tm[i] != N + M || te[i] != 0;
    }
    /* a snapshot in another unit must be refused, not summed */
    json_object_object_add(s3, "unit", json_object_new_string("msecs"));
    if (spl_trace_merge(a, s3, err, sizeof err) == 0) {
        printf("FAIL: merging usecs with msecs snapshots was accepted\n");
        bad++;
    }
    json_object_put(a);
    json_object_put(s2);
    json_object_put(s3);
    printf("%s\n", bad ? "FAIL" : "PASS");
    return bad ? 1 : 0;
}
