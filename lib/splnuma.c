/*
 * splnuma.c - topology from sysfs, numactl-style node lists, placement through
 * raw syscalls (see splnuma.h for why no libnuma dependency here).
 */
#include "splnuma.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MPOL_BIND
#define MPOL_BIND 2
#endif
#ifndef MPOL_MF_STRICT
#define MPOL_MF_STRICT (1 << 0)
#endif
#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE (1 << 1)
#endif

#define SYSNODE "/sys/devices/system/node"

void spl_nodemask_zero(struct spl_nodemask *m) { memset(m, 0, sizeof *m); }

void spl_nodemask_set(struct spl_nodemask *m, int node)
{
    if (node >= 0 && node < SPL_NUMA_MAX_NODES) m->bits[node / 64] |= 1ull << (node % 64);
}

bool spl_nodemask_isset(const struct spl_nodemask *m, int node)
{
    return node >= 0 && node < SPL_NUMA_MAX_NODES && (m->bits[node / 64] >> (node % 64)) & 1;
}

int spl_nodemask_count(const struct spl_nodemask *m)
{
    int n = 0;
    for (size_t i = 0; i < SPL_NUMA_MAX_NODES / 64; i++) n += __builtin_popcountll(m->bits[i]);
    return n;
}

int spl_nodemask_first(const struct spl_nodemask *m)
{
    for (int i = 0; i < SPL_NUMA_MAX_NODES; i++)
        if (spl_nodemask_isset(m, i)) return i;
    return -1;
}

void spl_nodemask_format(const struct spl_nodemask *m, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < SPL_NUMA_MAX_NODES; i++) {
        if (!spl_nodemask_isset(m, i)) continue;
        int j = i;
        while (j + 1 < SPL_NUMA_MAX_NODES && spl_nodemask_isset(m, j + 1)) j++;
        int w = j > i ? snprintf(buf + o, len - o, "%s%d-%d", o ? "," : "", i, j)
                      : snprintf(buf + o, len - o, "%s%d", o ? "," : "", i);
        if (w < 0 || (size_t)w >= len - o) return;
        o += (size_t)w;
        i = j;
    }
}

/* Parses a kernel list "0-3,8,10-11" into a mask; -1 on garbage. */
static int parse_list(const char *s, struct spl_nodemask *m, int limit)
{
    spl_nodemask_zero(m);
    while (*s && *s != '\n') {
        char *end;
        long a = strtol(s, &end, 10), b;
        if (end == s || a < 0 || a >= limit) return -1;
        b = a;
        s = end;
        if (*s == '-') {
            b = strtol(s + 1, &end, 10);
            if (end == s + 1 || b < a || b >= limit) return -1;
            s = end;
        }
        for (long i = a; i <= b; i++) spl_nodemask_set(m, (int)i);
        if (*s == ',') s++;
        else if (*s && *s != '\n') return -1;
    }
    return 0;
}

static int read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char *r = fgets(buf, (int)len, f);
    fclose(f);
    return r ? 0 : -1;
}

void spl_numa_probe(struct spl_numa_topo *t)
{
    memset(t, 0, sizeof *t);
    char buf[4096];
    t->kernel_numa = read_line(SYSNODE "/online", buf, sizeof buf) == 0 &&
                     parse_list(buf, &t->online, SPL_NUMA_MAX_NODES) == 0 && spl_nodemask_count(&t->online) > 0;
    if (!t->kernel_numa) {
        spl_nodemask_set(&t->online, 0);
        spl_nodemask_set(&t->has_cpus, 0);
        spl_nodemask_set(&t->has_memory, 0);
    } else {
        if (read_line(SYSNODE "/has_cpu", buf, sizeof buf) != 0 ||
            parse_list(buf, &t->has_cpus, SPL_NUMA_MAX_NODES) != 0)
            t->has_cpus = t->online;
        if (read_line(SYSNODE "/has_memory", buf, sizeof buf) != 0 ||
            parse_list(buf, &t->has_memory, SPL_NUMA_MAX_NODES) != 0)
            t->has_memory = t->online;
    }
    for (int i = 0; i < SPL_NUMA_MAX_NODES; i++)
        if (spl_nodemask_isset(&t->online, i)) {
            t->node_ids[t->nnodes++] = i;
            t->max_node = i;
        }
}

int spl_numa_node_cpus(int node, cpu_set_t *out)
{
    CPU_ZERO(out);
    char path[128], buf[8192];
    snprintf(path, sizeof path, SYSNODE "/node%d/cpulist", node);
    if (read_line(path, buf, sizeof buf) != 0) {
        /* no sysfs node directory: a non-NUMA kernel has all CPUs on node 0 */
        if (node != 0 || access(SYSNODE, F_OK) == 0) { errno = ENOENT; return -1; }
        long n = sysconf(_SC_NPROCESSORS_CONF);
        for (long c = 0; c < n && c < CPU_SETSIZE; c++) CPU_SET((int)c, out);
        return 0;
    }
    const char *s = buf;
    while (*s && *s != '\n') {
        char *end;
        long a = strtol(s, &end, 10), b;
        if (end == s) break;
        b = a;
        s = end;
        if (*s == '-') { b = strtol(s + 1, &end, 10); s = end; }
        for (long c = a; c <= b && c < CPU_SETSIZE; c++) CPU_SET((int)c, out);
        if (*s == ',') s++;
    }
    return 0;
}

int spl_numa_cpu_node(int cpu)
{
    struct spl_numa_topo t;
    spl_numa_probe(&t);
    for (int i = 0; i < t.nnodes; i++) {
        cpu_set_t cs;
        if (spl_numa_node_cpus(t.node_ids[i], &cs) == 0 && cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &cs))
            return t.node_ids[i];
    }
    return -1;
}

int spl_numa_current_node(void)
{
    unsigned cpu = 0, node = 0;
    if (syscall(SYS_getcpu, &cpu, &node, NULL) != 0) return -1;
    return (int)node;
}

int spl_numa_parse_nodes(const struct spl_numa_topo *t, const char *spec, struct spl_nodemask *out, char *err,
                         size_t errlen)
{
    spl_nodemask_zero(out);
    if (!spec || !*spec) { return spl_fail(EINVAL, err, errlen, "empty node list"); }
    if (strcmp(spec, "all") == 0) { *out = t->online; return 0; }
    bool invert = false, relative = false;
    if (*spec == '!') { invert = true; spec++; }
    if (*spec == '+') { relative = true; spec++; }
    struct spl_nodemask m;
    for (const char *c = spec; *c; c++)
        if (!isdigit((unsigned char)*c) && *c != ',' && *c != '-') {
            return spl_fail(EINVAL, err, errlen, "node list \"%s\": unexpected '%c' (use e.g. 0,2-3, all, !0, +0-1)",
                    spec, *c);
        }
    if (parse_list(spec, &m, SPL_NUMA_MAX_NODES) != 0) {
        return spl_fail(EINVAL, err, errlen, "node list \"%s\" is not a list of ids and ranges below %d", spec,
                SPL_NUMA_MAX_NODES);
    }
    if (relative) {
        /* +N means the N-th online node, whatever its id */
        struct spl_nodemask abs;
        spl_nodemask_zero(&abs);
        for (int i = 0; i < SPL_NUMA_MAX_NODES; i++) {
            if (!spl_nodemask_isset(&m, i)) continue;
            if (i >= t->nnodes) {
                return spl_fail(EINVAL, err, errlen, "relative node +%d: only %d nodes online", i, t->nnodes);
            }
            spl_nodemask_set(&abs, t->node_ids[i]);
        }
        m = abs;
    }
    for (int i = 0; i < SPL_NUMA_MAX_NODES; i++) {
        if (spl_nodemask_isset(&m, i) && !spl_nodemask_isset(&t->online, i)) {
            char on[256];
            spl_nodemask_format(&t->online, on, sizeof on);
            return spl_fail(EINVAL, err, errlen, "node %d is not online (online nodes: %s)", i, on);
        }
    }
    if (invert)
        for (size_t w = 0; w < SPL_NUMA_MAX_NODES / 64; w++) m.bits[w] = t->online.bits[w] & ~m.bits[w];
    if (spl_nodemask_count(&m) == 0) { return spl_fail(EINVAL, err, errlen, "node list \"%s\" selects no node", spec); }
    *out = m;
    return 0;
}

int spl_numa_apply(const struct spl_numa_policy *p, char *err, size_t errlen)
{
    if (p->cpubind) {
        cpu_set_t all;
        CPU_ZERO(&all);
        for (int n = 0; n < SPL_NUMA_MAX_NODES; n++) {
            if (!spl_nodemask_isset(&p->cpunodes, n)) continue;
            cpu_set_t cs;
            if (spl_numa_node_cpus(n, &cs) != 0) { return spl_fail(EINVAL, err, errlen, "node %d: no cpulist", n); }
            CPU_OR(&all, &all, &cs);
        }
        if (CPU_COUNT(&all) == 0) {
            return spl_fail(EINVAL, err, errlen, "--cpunodebind=%s: those nodes have no CPUs (memory-only nodes)",
                    p->cpuspec);
        }
        if (sched_setaffinity(0, sizeof all, &all) != 0) {
            return spl_fail(errno, err, errlen, "--cpunodebind=%s: sched_setaffinity: %s", p->cpuspec, strerror(errno));
        }
    }
    if (p->membind) {
        if (access(SYSNODE, F_OK) != 0) {
            if (spl_nodemask_count(&p->memnodes) == 1 && spl_nodemask_isset(&p->memnodes, 0)) return 0;
            return spl_fail(ENOSYS, err, errlen, "--membind=%s: kernel without NUMA", p->memspec);
        }
        if (syscall(SYS_set_mempolicy, MPOL_BIND, p->memnodes.bits, (unsigned long)SPL_NUMA_MAX_NODES + 1) != 0) {
            return spl_fail(errno, err, errlen, "--membind=%s: set_mempolicy: %s", p->memspec, strerror(errno));
        }
    }
    return 0;
}

static void page_range(const void *addr, size_t len, uintptr_t *start, size_t *plen)
{
    long pg = sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)addr & ~((uintptr_t)pg - 1);
    uintptr_t e = ((uintptr_t)addr + len + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
    *start = a;
    *plen = e - a;
}

int spl_numa_mbind(void *addr, size_t len, const struct spl_nodemask *nodes, bool move)
{
    uintptr_t a;
    size_t l;
    page_range(addr, len, &a, &l);
    unsigned flags = MPOL_MF_STRICT | (move ? MPOL_MF_MOVE : 0);
    return (int)syscall(SYS_mbind, (void *)a, l, MPOL_BIND, nodes->bits, (unsigned long)SPL_NUMA_MAX_NODES + 1,
                        flags);
}

long spl_numa_where(const void *addr, size_t len, long *per_node, long *not_present, long *other_err)
{
    uintptr_t a;
    size_t l;
    page_range(addr, len, &a, &l);
    long pg = sysconf(_SC_PAGESIZE);
    size_t n = l / (size_t)pg;
    if (per_node) memset(per_node, 0, SPL_NUMA_MAX_NODES * sizeof *per_node);
    long np = 0, oe = 0;
    enum { CHUNK = 512 };
    void *pages[CHUNK];
    int status[CHUNK];
    for (size_t done = 0; done < n;) {
        size_t k = n - done < CHUNK ? n - done : CHUNK;
        for (size_t i = 0; i < k; i++) pages[i] = (void *)(a + (done + i) * (size_t)pg);
        /* nodes == NULL: query only, status[i] = node or -errno */
        if (syscall(SYS_move_pages, 0, (unsigned long)k, pages, NULL, status, 0) != 0) return -1;
        for (size_t i = 0; i < k; i++) {
            if (status[i] >= 0 && status[i] < SPL_NUMA_MAX_NODES) {
                if (per_node) per_node[status[i]]++;
            } else if (status[i] == -ENOENT || status[i] == -EFAULT) {
                np++; /* never touched: no page to place yet */
            } else {
                oe++;
            }
        }
        done += k;
    }
    if (not_present) *not_present = np;
    if (other_err) *other_err = oe;
    return (long)n;
}

json_object *spl_numa_topo_json(const struct spl_numa_topo *t)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "kernel_numa", json_object_new_boolean(t->kernel_numa));
    json_object *ids = json_object_new_array();
    for (int i = 0; i < t->nnodes; i++) json_object_array_add(ids, json_object_new_int(t->node_ids[i]));
    json_object_object_add(o, "nodes", ids);
    json_object_object_add(o, "max_node", json_object_new_int(t->max_node));
    char buf[512];
    spl_nodemask_format(&t->has_cpus, buf, sizeof buf);
    json_object_object_add(o, "nodes_with_cpus", json_object_new_string(buf));
    spl_nodemask_format(&t->has_memory, buf, sizeof buf);
    json_object_object_add(o, "nodes_with_memory", json_object_new_string(buf));
    return o;
}
