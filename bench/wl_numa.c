/*
 * wl_numa.c - the writer-node x reader-node matrix.
 *
 * For every pair (w, r) of nodes with CPUs (restricted to --cpunodebind when
 * given), the writer runs on w's CPUs and the reader/waiter on r's, the
 * store's pages bound with mbind to --membind (or to the writer's node) and
 * checked with move_pages before measuring. Two figures per cell: the
 * reader's get ns/op while the writer sets the same keys, and the p50 of the
 * event-bus wake. Node ids are taken as they are (0, 2, 5 ... is fine).
 */
#include "bench.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static int wl_numa_run(struct bench_opts *o, struct bench_results *rs)
{
    int nodes[SPL_NUMA_MAX_NODES], n = 0;
    for (int i = 0; i < o->topo.nnodes; i++) {
        int id = o->topo.node_ids[i];
        if (!spl_nodemask_isset(&o->topo.has_cpus, id)) continue; /* memory-only: nobody runs there */
        if (o->numa.cpubind && !spl_nodemask_isset(&o->numa.cpunodes, id)) continue;
        nodes[n++] = id;
    }
    uint64_t vs = o->vsizes.v[0];
    char name[128];
    for (int wi = 0; wi < n; wi++)
        for (int ri = 0; ri < n; ri++)
            for (int kind = 0; kind < 2; kind++)
                for (int ii = 0; ii < o->nimpls; ii++) {
                    snprintf(name, sizeof name, "%s/w:%d/r:%d", kind ? "wake" : "ops", nodes[wi], nodes[ri]);
                    struct bres *r = bench_result_new(rs, &bench_wl_numa, name, ii, kind ? "ns" : "ns/op", true);
                    if (!r) return -1;
                    json_object_object_add(r->params, "figure", json_object_new_string(
                        kind ? "p50 event-bus wake latency, writer on w, waiter on r"
                             : "reader get ns/op on r while a writer sets the same keys on w"));
                    json_object_object_add(r->params, "kind", json_object_new_string(kind ? "wake" : "ops"));
                    json_object_object_add(r->params, "writer_node", json_object_new_int(nodes[wi]));
                    json_object_object_add(r->params, "reader_node", json_object_new_int(nodes[ri]));
                    json_object_object_add(r->params, "value_size", json_object_new_uint64(vs));
                    json_object_object_add(r->params, "nodes_on_machine", json_object_new_int(o->topo.nnodes));
                    if (o->topo.nnodes == 1)
                        json_object_object_add(r->extra, "note", json_object_new_string("this machine has one NUMA node: 1x1 case only"));
                }
    if (n == 0) return 0;
    for (int rep = 0; rep < o->reps; rep++)
        for (int wi = 0; wi < n; wi++)
            for (int ri = 0; ri < n; ri++) {
                cpu_set_t cpus[2];
                if (spl_numa_node_cpus(nodes[wi], &cpus[0]) != 0 || spl_numa_node_cpus(nodes[ri], &cpus[1]) != 0) continue;
                if (o->numa.cpubind) { /* stay inside the binding the driver runs under */
                    cpu_set_t allowed;
                    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
                        for (int k = 0; k < 2; k++) CPU_AND(&cpus[k], &cpus[k], &allowed);
                }
                struct spl_nodemask place;
                if (o->numa.membind) place = o->numa.memnodes;
                else {
                    spl_nodemask_zero(&place);
                    spl_nodemask_set(&place, nodes[wi]);
                }
                for (int kind = 0; kind < 2; kind++)
                    for (int ii = 0; ii < o->nimpls; ii++) {
                        snprintf(name, sizeof name, "%s/w:%d/r:%d", kind ? "wake" : "ops", nodes[wi], nodes[ri]);
                        struct bres *r = bench_result_find(rs, &bench_wl_numa, name, ii);
                        if (!r || r->status != BENCH_OK) continue;
                        bench_progress(o, "numa %s [%s] rep %d/%d", name, o->impls[ii].label, rep + 1, o->reps);
                        if (kind) wake_measure(o, ii, "bus", cpus, r, &place);
                        else ops_pair_measure(o, ii, vs, cpus, r, &place);
                    }
            }
    for (int i = 0; i < rs->n; i++)
        if (rs->r[i].wl == &bench_wl_numa) {
            bench_result_finish(&rs->r[i]);
            if (rs->r[i].median > 0 && !strcmp(rs->r[i].unit, "ns/op")) rs->r[i].rate_median = 1e9 / rs->r[i].median;
        }
    return 0;
}

static void numa_note(const struct bench_opts *o, FILE *out)
{
    if (o->topo.nnodes == 1)
        fprintf(out, "(this machine has one NUMA node (node %d): the matrix is the 1x1 case)\n", o->topo.node_ids[0]);
}

static const char *const numa_options[] = {"value-size", "cpunodebind", "membind", NULL};
const struct bench_workload bench_wl_numa = {
    .name = "numa",
    .help = "writer-node x reader-node matrix of get ns/op and wake p50",
    .options = numa_options,
    .run = wl_numa_run,
    .table_note = numa_note,
};
