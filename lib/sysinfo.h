/*
 * sysinfo.h - what this machine supports, for `splsuite info`, for the
 * machine block of bench JSON, and for tests deciding whether to skip.
 */
#ifndef SPLSUITE_SYSINFO_H
#define SPLSUITE_SYSINFO_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

struct spl_sysinfo {
    char kernel[128];   /* uname -r */
    char machine[64];   /* uname -m */
    char cpu_model[128];
    int ncpus;
    long page_size;
    unsigned long long mem_total_kb;
    bool is_root;
    /* io_uring */
    bool uring_ok;
    char uring_why[128];
    /* eBPF */
    bool bpf_ok;
    bool btf_ok;
    bool tracefs_ok;
    char bpf_why[160];
    /* NUMA */
    bool numa_ok;
    int numa_nodes;          /* configured nodes with memory or CPUs */
    int numa_node_ids[64];   /* may be non-contiguous */
    char numa_why[128];
    /* perf_event_open */
    bool perf_sw_ok;         /* task-clock */
    bool perf_hw_ok;         /* instructions */
    char perf_why[128];
    int perf_paranoid;
    /* QEMU for the lab */
    bool qemu_ok;
    bool kvm_ok;
};

void spl_sysinfo_probe(struct spl_sysinfo *si);
json_object *spl_sysinfo_json(const struct spl_sysinfo *si);
void spl_sysinfo_print(const struct spl_sysinfo *si, FILE *out);

#endif
