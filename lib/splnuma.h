/*
 * splnuma.h - NUMA topology and placement the way numactl does it, without
 * assuming node ids are 0..N-1 (memory-only nodes, offlined nodes and
 * sparse ids all occur on real machines).
 *
 * Everything here talks to the kernel directly (sysfs, sched_setaffinity,
 * set_mempolicy, mbind, move_pages), so it works in builds without libnuma
 * and on machines whose kernel has no NUMA (one implicit node 0).
 * (Named splnuma.h, not numa.h: lib/ is on the include path and must not
 * shadow libnuma's <numa.h>.)
 */
#ifndef SPLSUITE_SPLNUMA_H
#define SPLSUITE_SPLNUMA_H

#include <json-c/json.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPL_NUMA_MAX_NODES 1024 /* the kernel's MAX_NUMNODES upper bound */

struct spl_nodemask {
    uint64_t bits[SPL_NUMA_MAX_NODES / 64];
};

struct spl_numa_topo {
    bool kernel_numa;              /* /sys/devices/system/node exists */
    int nnodes;                    /* online nodes */
    int node_ids[SPL_NUMA_MAX_NODES]; /* ascending, possibly non-contiguous */
    int max_node;                  /* highest online id */
    struct spl_nodemask online;
    struct spl_nodemask has_cpus;  /* nodes with at least one CPU */
    struct spl_nodemask has_memory;
};

void spl_nodemask_zero(struct spl_nodemask *m);
void spl_nodemask_set(struct spl_nodemask *m, int node);
bool spl_nodemask_isset(const struct spl_nodemask *m, int node);
int spl_nodemask_count(const struct spl_nodemask *m);
int spl_nodemask_first(const struct spl_nodemask *m); /* -1 if empty */
/* "0,2-3" form (numactl --show style). */
void spl_nodemask_format(const struct spl_nodemask *m, char *buf, size_t len);

/* Reads the topology; on a kernel without NUMA: one node, id 0. Never fails. */
void spl_numa_probe(struct spl_numa_topo *t);
/* CPUs of a node (from /sys/devices/system/node/nodeN/cpulist). 0 or -1. */
int spl_numa_node_cpus(int node, cpu_set_t *out);
/* Node of a CPU, -1 when unknown. */
int spl_numa_cpu_node(int cpu);
/* Node of the CPU this thread runs on now (getcpu). */
int spl_numa_current_node(void);

/*
 * Parses a numactl node list against the topology: "all", "0", "0,2",
 * "1-3", "!0" (all but), "+0-1" (relative to the allowed nodes, numactl's
 * "+" form: the i-th online node). Every named node must be online.
 * 0, or -1 with errno EINVAL and a human reason in err.
 */
int spl_numa_parse_nodes(const struct spl_numa_topo *t, const char *spec, struct spl_nodemask *out, char *err,
                         size_t errlen);

/* Options --cpunodebind / --membind as numactl applies them. */
struct spl_numa_policy {
    bool cpubind, membind;
    struct spl_nodemask cpunodes, memnodes;
    char cpuspec[128], memspec[128]; /* as given, for reports */
};
/* Binds the calling thread's CPUs to the union of the nodes' CPUs
 * (sched_setaffinity) and its future allocations to the memory nodes
 * (set_mempolicy MPOL_BIND). Children inherit both, as under numactl.
 * 0, or -1 with errno (EINVAL, ENOSYS, the kernel's) and a reason in err. */
int spl_numa_apply(const struct spl_numa_policy *p, char *err, size_t errlen);

/* mbind(MPOL_BIND, flags MPOL_MF_MOVE | MPOL_MF_STRICT) of a page-aligned
 * range (addr rounded down, len rounded up). 0, or -1 with errno. */
int spl_numa_mbind(void *addr, size_t len, const struct spl_nodemask *nodes, bool move);

/* Where the pages of [addr, addr+len) are now, by move_pages(2) queries:
 * per_node[node] pages on node (array of SPL_NUMA_MAX_NODES, may be NULL),
 * *not_present pages not yet faulted in, *other_err pages with another
 * error. Returns pages examined, or -1 with errno. */
long spl_numa_where(const void *addr, size_t len, long *per_node, long *not_present, long *other_err);

/* {"kernel_numa", "nodes": [ids], "max_node", "cpus_per_node": {"id": "list"}} */
json_object *spl_numa_topo_json(const struct spl_numa_topo *t);

#endif
