/*
 * test_numa.c - numactl-style node lists against a synthetic topology with
 * non-contiguous ids (0, 2, 5; node 5 memory-only), then placement on this
 * machine: mbind of a mapping to the first node and move_pages verification.
 */
#include "splnuma.h"
#include "helpers.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>


static const char *parse(const struct spl_numa_topo *t, const char *spec, char *out, size_t len)
{
    struct spl_nodemask m;
    char err[256];
    if (spl_numa_parse_nodes(t, spec, &m, err, sizeof err) != 0) return NULL;
    spl_nodemask_format(&m, out, len);
    return out;
}

int main(void)
{
    struct spl_numa_topo t;
    memset(&t, 0, sizeof t);
    int ids[] = {0, 2, 5};
    for (int i = 0; i < 3; i++) {
        spl_nodemask_set(&t.online, ids[i]);
        spl_nodemask_set(&t.has_memory, ids[i]);
        if (ids[i] != 5) spl_nodemask_set(&t.has_cpus, ids[i]);
        t.node_ids[t.nnodes++] = ids[i];
    }
    t.max_node = 5;
    char b[128];
    const struct { const char *in, *out; } ok[] = {
        {"all", "0,2,5"}, {"0", "0"}, {"2,5", "2,5"}, {"!0", "2,5"}, {"+1", "2"}, {"+1-2", "2,5"}, {"0,2", "0,2"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        const char *got = parse(&t, ok[i].in, b, sizeof b);
        CHECK(got && strcmp(got, ok[i].out) == 0, "'%s' -> '%s', expected '%s'", ok[i].in, got ? got : "(error)", ok[i].out);
    }
    const char *bad[] = {"1", "0-2", "+3", "x", "", "!0,2,5", "3-1", "0,,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(parse(&t, bad[i], b, sizeof b) == NULL, "'%s' must be refused (offline, out of range or empty)", bad[i]);

    /* this machine */
    struct spl_numa_topo me;
    spl_numa_probe(&me);
    CHECK(me.nnodes >= 1, "at least one node");
    int first = me.node_ids[0];
    cpu_set_t cs;
    CHECK(spl_numa_node_cpus(first, &cs) == 0 || !spl_nodemask_isset(&me.has_cpus, first), "cpulist of node %d", first);
    size_t len = 64 * (size_t)sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    struct spl_nodemask m;
    spl_nodemask_zero(&m);
    spl_nodemask_set(&m, first);
    if (spl_numa_mbind(p, len, &m, true) != 0) {
        perror("mbind");
        printf("SKIP: mbind not available here\n");
        return fails ? 1 : 77;
    }
    for (size_t i = 0; i < len / 2; i += 4096) p[i] = 1; /* half the pages */
    long per[SPL_NUMA_MAX_NODES], np, oe;
    long n = spl_numa_where(p, len, per, &np, &oe);
    CHECK(n == 64, "64 pages examined, got %ld", n);
    CHECK(per[first] == 32 && np == 32 && oe == 0, "32 on node %d (%ld), 32 absent (%ld), no errors (%ld)", first,
          per[first], np, oe);
    printf("%s: numa (%d checks failed; %d node(s) here)\n", fails ? "FAIL" : "PASS", fails, me.nnodes);
    return fails ? 1 : 0;
}
