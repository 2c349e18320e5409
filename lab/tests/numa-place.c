/*
 * numa-place - does a reference store bound to node N have its pages on N?
 *
 * Creates a store with the reference handle API, binds it with
 * splref_bind_node(), fills it through splref_set() so every part of the
 * arena is written, then asks the kernel where each page is (move_pages with
 * no target nodes is a query) and what policy covers it (get_mempolicy). The
 * process runs on a CPU of ANOTHER node when there is one, so the default
 * local policy would put the pages elsewhere: a bind that did nothing fails.
 * --no-bind is that control, expected to fail for a remote node.
 *
 *   numa-place [--node N | --all] [--no-bind] [--min-resident PCT]
 * Exit 0 all pages on the asked node, 1 not, 2 usage, 77 no such node/NUMA.
 */
#include "splref.h"

#include <errno.h>
#include <getopt.h>
#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLOTS 1024
#define VAL_SZ 4096

static int cpu_off_node(int node, int *cpu_node)
{
    int ncpu = numa_num_configured_cpus();
    for (int c = 0; c < ncpu; c++) {
        int n = numa_node_of_cpu(c);
        if (n >= 0 && n != node) {
            *cpu_node = n;
            return c;
        }
    }
    return -1;
}

static int check_node(int node, bool bind, int min_resident)
{
    int run_node = -1, cpu = cpu_off_node(node, &run_node);
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) cpu = -1;
    }
    char name[96];
    snprintf(name, sizeof name, "splsuite-lab-place-%d-%d", (int)getpid(), node);
    splref_store *st = splref_create(SPLREF_BACKEND_SHM, name, SLOTS, VAL_SZ);
    if (!st) {
        fprintf(stderr, "numa-place: splref_create %s: %s\n", name, strerror(errno));
        return 1;
    }
    int rc = 1;
    if (bind && splref_bind_node(st, node) != 0) {
        printf("node %d: splref_bind_node failed: %s\n", node, strerror(errno));
        goto out;
    }
    /* Writes through the API reach the slots and the whole value arena. */
    static char val[VAL_SZ - 64];
    memset(val, 0x5a, sizeof val);
    int stored = 0;
    for (int i = 0; i < SLOTS; i++) {
        char key[32];
        snprintf(key, sizeof key, "place-%d", i);
        if (splref_set(st, key, val, sizeof val) == 0) stored++;
    }
    char *base = splref_base(st);
    size_t size = splref_size(st);
    long pg = sysconf(_SC_PAGESIZE);
    size_t npages = (size + (size_t)pg - 1) / (size_t)pg;
    void **pages = calloc(npages, sizeof *pages);
    int *status = calloc(npages, sizeof *status);
    for (size_t i = 0; i < npages; i++) pages[i] = base + i * (size_t)pg;
    if (move_pages(0, (unsigned long)npages, pages, NULL, status, 0) != 0) {
        printf("node %d: move_pages query failed: %s\n", node, strerror(errno));
        free(pages);
        free(status);
        goto out;
    }
    size_t resident = 0, on_node = 0;
    int other = -1;
    for (size_t i = 0; i < npages; i++) {
        if (status[i] < 0) continue; /* -ENOENT: never touched */
        resident++;
        if (status[i] == node) on_node++;
        else if (other < 0) other = status[i];
    }
    int mode = -1;
    struct bitmask *bm = numa_allocate_nodemask();
    if (get_mempolicy(&mode, bm->maskp, bm->size + 1, base, MPOL_F_ADDR) != 0) mode = -1;
    bool policy_ok = mode == MPOL_BIND && numa_bitmask_isbitset(bm, (unsigned)node) &&
                     numa_bitmask_weight(bm) == 1;
    numa_free_nodemask(bm);
    free(pages);
    free(status);
    double pct = npages ? 100.0 * (double)resident / (double)npages : 0;
    printf("node %d: %zu/%zu resident pages on node %d (%.0f%% of the %zu-page store resident, %d/%d values "
           "stored), policy %s; ran on cpu %d (node %d)%s\n",
           node, on_node, resident, node, pct, npages, stored, SLOTS,
           policy_ok ? "MPOL_BIND{node}" : (mode == MPOL_BIND ? "MPOL_BIND(other nodes)" : "not bound"), cpu,
           run_node, bind ? "" : " [control: no bind]");
    if (pct < min_resident)
        printf("node %d: FAIL: only %.0f%% of the store resident (< %d%%): the check would prove nothing\n", node, pct,
               min_resident);
    else if (on_node != resident)
        printf("node %d: FAIL: %zu page(s) elsewhere, first on node %d\n", node, resident - on_node, other);
    else if (bind && !policy_ok)
        printf("node %d: FAIL: pages are on node %d but the policy is not a bind to it\n", node, node);
    else
        rc = 0;
out:
    splref_close(st);
    char path[128];
    snprintf(path, sizeof path, "/dev/shm/%s", name);
    unlink(path);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"node", required_argument, NULL, 'n'}, {"all", no_argument, NULL, 'a'},
                                         {"no-bind", no_argument, NULL, 'B'},
                                         {"min-resident", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'}, {0}};
    int node = -1, c, min_resident = 90;
    bool all = false, bind = true;
    while ((c = getopt_long(argc, argv, "n:ar:h", opts, NULL)) != -1) {
        switch (c) {
        case 'n': node = atoi(optarg); break;
        case 'a': all = true; break;
        case 'B': bind = false; break;
        case 'r': min_resident = atoi(optarg); break;
        case 'h':
            printf("usage: numa-place [--node N | --all] [--no-bind] [--min-resident PCT]\n"
                   "Checks that a reference store bound to node N has all its pages on N.\n");
            return 0;
        default: return 2;
        }
    }
    if ((node < 0) == !all) {
        fprintf(stderr, "numa-place: give --node N or --all\n");
        return 2;
    }
    if (numa_available() < 0) {
        printf("SKIP: no NUMA support in this kernel\n");
        return 77;
    }
    int max = numa_max_node();
    if (!all) {
        if (node > max || !numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)node)) {
            printf("SKIP: node %d does not exist here (nodes 0..%d)\n", node, max);
            return 77;
        }
        return check_node(node, bind, min_resident);
    }
    int fails = 0, nodes = 0;
    for (int n = 0; n <= max; n++) {
        if (!numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)n)) continue;
        nodes++;
        fails += check_node(n, bind, min_resident) != 0;
    }
    printf("%d of %d node(s) placed correctly\n", nodes - fails, nodes);
    return fails ? 1 : 0;
}
