/*
 * topology.c - the guest's NUMA topology and the QEMU arguments that make it:
 * one RAM backend per node, vCPUs split into contiguous blocks over the nodes
 * (nodes left without a vCPU are memory-only, as on real CXL/HBM machines),
 * and the full SLIT written out pair by pair.
 */
#include "lab.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int lab_topology_init(struct lab_topology *t, int nodes, int cpus, uint64_t mem_per_node)
{
    memset(t, 0, sizeof *t);
    if (nodes < 1 || nodes > LAB_MAX_NODES) return -1;
    if (cpus <= 0) cpus = nodes;
    if (cpus > LAB_MAX_CPUS) return -1;
    t->nodes = nodes;
    t->cpus = cpus;
    t->mem_per_node = mem_per_node ? mem_per_node : 256ull << 20;
    for (int a = 0; a < nodes; a++)
        for (int b = 0; b < nodes; b++) t->dist[a][b] = a == b ? 10 : 20;
    if (cpus >= nodes) {
        for (int c = 0; c < cpus; c++) t->cpu_node[c] = (int)((long)c * nodes / cpus);
    } else {
        /* Fewer vCPUs than nodes: the first nodes get one each, the rest are memory-only. */
        for (int c = 0; c < cpus; c++) t->cpu_node[c] = c;
    }
    return 0;
}

static int set_pair(struct lab_topology *t, int a, int b, int v, bool given[LAB_MAX_NODES][LAB_MAX_NODES],
                    char *err, size_t errsz)
{
    if (a < 0 || b < 0 || a >= t->nodes || b >= t->nodes) {
        snprintf(err, errsz, "node pair %d-%d out of range (nodes 0..%d)", a, b, t->nodes - 1);
        return -1;
    }
    if (a == b ? v != 10 : (v <= 10 || v > 254)) {
        snprintf(err, errsz, "distance %d-%d=%d: local distance must be 10, remote ones 11..254", a, b, v);
        return -1;
    }
    t->dist[a][b] = v;
    given[a][b] = true;
    if (!given[b][a]) t->dist[b][a] = v;
    return 0;
}

int lab_topology_parse_distance(struct lab_topology *t, const char *spec, char *err, size_t errsz)
{
    bool given[LAB_MAX_NODES][LAB_MAX_NODES] = {{false}};
    char *end;
    long v = strtol(spec, &end, 10);
    if (*spec && *end == '\0') {
        for (int a = 0; a < t->nodes; a++)
            for (int b = 0; b < t->nodes; b++)
                if (a != b && set_pair(t, a, b, (int)v, given, err, errsz) != 0) return -1;
        return 0;
    }
    char *dup = strdup(spec), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(dup, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        int a, b, val, used = 0;
        if (sscanf(tok, "%d-%d=%d%n", &a, &b, &val, &used) != 3 || tok[used] != '\0') {
            snprintf(err, errsz, "bad distance '%s' (want VALUE or SRC-DST=VALUE[,...], e.g. 0-1=30)", tok);
            rc = -1;
        } else {
            rc = set_pair(t, a, b, val, given, err, errsz);
        }
    }
    free(dup);
    return rc;
}

static void cpu_list(const struct lab_topology *t, int node, char *buf, size_t sz)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int c = 0; c < t->cpus; c++) {
        if (t->cpu_node[c] != node) continue;
        int e = c;
        while (e + 1 < t->cpus && t->cpu_node[e + 1] == node) e++;
        n += (size_t)snprintf(buf + n, n < sz ? sz - n : 0, "%s%d", n ? "," : "", c);
        if (e > c) n += (size_t)snprintf(buf + n, n < sz ? sz - n : 0, "-%d", e);
        c = e;
    }
}

void lab_topology_describe(const struct lab_topology *t, char *buf, size_t sz)
{
    size_t n = (size_t)snprintf(buf, sz, "%d node%s, %d vCPU%s:", t->nodes, t->nodes == 1 ? "" : "s", t->cpus,
                                t->cpus == 1 ? "" : "s");
    for (int i = 0; i < t->nodes && n < sz; i++) {
        char cl[128];
        cpu_list(t, i, cl, sizeof cl);
        n += (size_t)snprintf(buf + n, sz - n, " node%d[cpus %s, %llu MiB]", i, cl[0] ? cl : "none",
                              (unsigned long long)(t->mem_per_node >> 20));
    }
}

void lab_argv_add(struct lab_argv *a, const char *fmt, ...)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? a->cap * 2 : 64;
        a->v = realloc(a->v, (size_t)a->cap * sizeof *a->v);
    }
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&a->v[a->n], fmt, ap) < 0) a->v[a->n] = strdup("");
    va_end(ap);
    a->n++;
    a->v[a->n] = NULL;
}

void lab_argv_free(struct lab_argv *a)
{
    for (int i = 0; i < a->n; i++) free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
}

void lab_topology_qemu_args(const struct lab_topology *t, struct lab_argv *a)
{
    unsigned long long mib = t->mem_per_node >> 20;
    /* One socket per node, as on real machines: cores of one socket share an
     * LLC, and an LLC spanning two nodes makes Linux warn at boot and ignore
     * the scheduler's cache topology. Uneven splits get one socket per vCPU. */
    bool even = t->cpus >= t->nodes && t->cpus % t->nodes == 0;
    int cores = even ? t->cpus / t->nodes : 1;
    lab_argv_add(a, "-smp");
    lab_argv_add(a, "%d,sockets=%d,cores=%d,threads=1", t->cpus, t->cpus / cores, cores);
    lab_argv_add(a, "-m");
    lab_argv_add(a, "%lluM", mib * (unsigned long long)t->nodes);
    for (int i = 0; i < t->nodes; i++) {
        lab_argv_add(a, "-object");
        lab_argv_add(a, "memory-backend-ram,id=m%d,size=%lluM", i, mib);
        lab_argv_add(a, "-numa");
        lab_argv_add(a, "node,nodeid=%d,memdev=m%d", i, i);
    }
    for (int c = 0; c < t->cpus; c++) {
        lab_argv_add(a, "-numa");
        lab_argv_add(a, "cpu,node-id=%d,socket-id=%d,core-id=%d,thread-id=0", t->cpu_node[c], c / cores, c % cores);
    }
    for (int s = 0; s < t->nodes; s++)
        for (int d = 0; d < t->nodes; d++) {
            if (s == d) continue;
            lab_argv_add(a, "-numa");
            lab_argv_add(a, "dist,src=%d,dst=%d,val=%d", s, d, t->dist[s][d]);
        }
}

void lab_topology_distance_string(const struct lab_topology *t, char *buf, size_t sz)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int s = 0; s < t->nodes; s++)
        for (int d = 0; d < t->nodes; d++)
            n += (size_t)snprintf(buf + n, n < sz ? sz - n : 0, "%d%s", t->dist[s][d],
                                  d + 1 < t->nodes ? "," : (s + 1 < t->nodes ? ";" : ""));
}
