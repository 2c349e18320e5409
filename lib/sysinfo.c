/*
 * sysinfo.c - probes the kernel for what the suite can use. Each probe does
 * the real thing once (set up a ring, create a map, open a counter) rather
 * than guess from version numbers, and records why when it fails.
 */
#include <stdio.h>

#include "sysinfo.h"
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#ifdef SPLSUITE_HAVE_URING
#include <liburing.h>
#endif
#ifdef SPLSUITE_HAVE_NUMA
#include <numa.h>
#endif

static int read_int_file(const char *path, int *out)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int rc = fscanf(f, "%d", out) == 1 ? 0 : -1;
    fclose(f);
    return rc;
}

static void probe_cpu(struct spl_sysinfo *si)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "model name", 10)) {
            char *c = strchr(line, ':');
            if (c) {
                c += 2;
                c[strcspn(c, "\n")] = 0;
                snprintf(si->cpu_model, sizeof si->cpu_model, "%s", c);
            }
            break;
        }
    }
    if (f) fclose(f);
    f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %llu kB", &si->mem_total_kb) == 1) break;
    if (f) fclose(f);
}

static void probe_uring(struct spl_sysinfo *si)
{
#ifdef SPLSUITE_HAVE_URING
    struct io_uring ring;
    int rc = io_uring_queue_init(4, &ring, 0);
    if (rc == 0) {
        si->uring_ok = true;
        io_uring_queue_exit(&ring);
    } else {
        int dis = 0;
        if (read_int_file("/proc/sys/kernel/io_uring_disabled", &dis) == 0 && dis)
            snprintf(si->uring_why, sizeof si->uring_why, "disabled by kernel.io_uring_disabled=%d", dis);
        else
            snprintf(si->uring_why, sizeof si->uring_why, "io_uring_setup: %s", strerror(-rc));
    }
#else
    snprintf(si->uring_why, sizeof si->uring_why, "built without liburing");
#endif
}

static void probe_bpf(struct spl_sysinfo *si)
{
    struct stat sb;
    si->btf_ok = stat("/sys/kernel/btf/vmlinux", &sb) == 0;
    si->tracefs_ok = stat("/sys/kernel/tracing/events", &sb) == 0 || stat("/sys/kernel/debug/tracing/events", &sb) == 0;
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4;
    attr.value_size = 8;
    attr.max_entries = 1;
    int fd = (int)syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof attr);
    if (fd >= 0) {
        close(fd);
        si->bpf_ok = true;
    } else {
        snprintf(si->bpf_why, sizeof si->bpf_why, "bpf(BPF_MAP_CREATE): %s%s", strerror(errno),
                 errno == EPERM ? " (needs root or CAP_BPF)" : "");
    }
    if (si->bpf_ok && !si->btf_ok) snprintf(si->bpf_why, sizeof si->bpf_why, "no BTF at /sys/kernel/btf/vmlinux");
    else if (si->bpf_ok && !si->tracefs_ok)
        snprintf(si->bpf_why, sizeof si->bpf_why, "tracefs not mounted (splsuite trace mounts it when root)");
}

static void probe_numa(struct spl_sysinfo *si)
{
#ifdef SPLSUITE_HAVE_NUMA
    if (numa_available() < 0) {
        snprintf(si->numa_why, sizeof si->numa_why, "numa_available() < 0: kernel without NUMA support");
        return;
    }
    si->numa_ok = true;
    int max = numa_max_node();
    for (int n = 0; n <= max && si->numa_nodes < 64; n++)
        if (numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)n)) si->numa_node_ids[si->numa_nodes++] = n;
#else
    snprintf(si->numa_why, sizeof si->numa_why, "built without libnuma");
    si->numa_nodes = 1;
#endif
}

static int perf_try(uint32_t type, uint64_t config)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = type;
    a.config = config;
    a.disabled = 1;
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    int fd = (int)syscall(__NR_perf_event_open, &a, 0, -1, -1, 0);
    if (fd < 0) return -errno;
    close(fd);
    return 0;
}

static void probe_perf(struct spl_sysinfo *si)
{
    si->perf_paranoid = -99;
    read_int_file("/proc/sys/kernel/perf_event_paranoid", &si->perf_paranoid);
    int rc = perf_try(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK);
    si->perf_sw_ok = rc == 0;
    int hw = perf_try(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS);
    si->perf_hw_ok = hw == 0;
    if (!si->perf_sw_ok)
        snprintf(si->perf_why, sizeof si->perf_why, "software counters: %s (perf_event_paranoid=%d)", strerror(-rc),
                 si->perf_paranoid);
    else if (!si->perf_hw_ok)
        snprintf(si->perf_why, sizeof si->perf_why, "hardware counters not supported here (%s)", strerror(-hw));
}

static bool in_path(const char *prog) { return spl_find_program(prog, NULL, 0); }

void spl_sysinfo_probe(struct spl_sysinfo *si)
{
    memset(si, 0, sizeof *si);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(si->kernel, sizeof si->kernel, "%s", u.release);
        snprintf(si->machine, sizeof si->machine, "%s", u.machine);
    }
    si->ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    si->page_size = sysconf(_SC_PAGESIZE);
    si->is_root = geteuid() == 0;
    probe_cpu(si);
    probe_uring(si);
    probe_bpf(si);
    probe_numa(si);
    probe_perf(si);
    si->qemu_ok = in_path("qemu-system-x86_64");
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    si->kvm_ok = fd >= 0; /* opening is not enough to run guests: the lab checks further */
    if (fd >= 0) close(fd);
}

json_object *spl_sysinfo_json(const struct spl_sysinfo *si)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "kernel", json_object_new_string(si->kernel));
    json_object_object_add(o, "arch", json_object_new_string(si->machine));
    json_object_object_add(o, "cpu_model", json_object_new_string(si->cpu_model));
    json_object_object_add(o, "cpus", json_object_new_int(si->ncpus));
    json_object_object_add(o, "page_size", json_object_new_int64(si->page_size));
    json_object_object_add(o, "mem_total_kb", json_object_new_int64((int64_t)si->mem_total_kb));
    json_object_object_add(o, "root", json_object_new_boolean(si->is_root));
    json_object *u = json_object_new_object();
    json_object_object_add(u, "supported", json_object_new_boolean(si->uring_ok));
    if (!si->uring_ok) json_object_object_add(u, "reason", json_object_new_string(si->uring_why));
    json_object_object_add(o, "io_uring", u);
    json_object *b = json_object_new_object();
    json_object_object_add(b, "supported", json_object_new_boolean(si->bpf_ok && si->btf_ok));
    json_object_object_add(b, "btf", json_object_new_boolean(si->btf_ok));
    json_object_object_add(b, "tracefs_mounted", json_object_new_boolean(si->tracefs_ok));
    if (si->bpf_why[0]) json_object_object_add(b, "reason", json_object_new_string(si->bpf_why));
    json_object_object_add(o, "bpf", b);
    json_object *n = json_object_new_object();
    json_object_object_add(n, "supported", json_object_new_boolean(si->numa_ok));
    json_object *ids = json_object_new_array();
    for (int i = 0; i < si->numa_nodes; i++) json_object_array_add(ids, json_object_new_int(si->numa_node_ids[i]));
    json_object_object_add(n, "nodes", ids);
    if (!si->numa_ok) json_object_object_add(n, "reason", json_object_new_string(si->numa_why));
    json_object_object_add(o, "numa", n);
    json_object *p = json_object_new_object();
    json_object_object_add(p, "software", json_object_new_boolean(si->perf_sw_ok));
    json_object_object_add(p, "hardware", json_object_new_boolean(si->perf_hw_ok));
    json_object_object_add(p, "perf_event_paranoid", json_object_new_int(si->perf_paranoid));
    if (si->perf_why[0]) json_object_object_add(p, "reason", json_object_new_string(si->perf_why));
    json_object_object_add(o, "perf", p);
    json_object *q = json_object_new_object();
    json_object_object_add(q, "qemu", json_object_new_boolean(si->qemu_ok));
    json_object_object_add(q, "kvm_device", json_object_new_boolean(si->kvm_ok));
    json_object_object_add(o, "lab", q);
    return o;
}

static const char *yesno(bool b) { return b ? "yes" : "no"; }

void spl_sysinfo_print(const struct spl_sysinfo *si, FILE *out)
{
    fprintf(out, "kernel        %s (%s)\n", si->kernel, si->machine);
    fprintf(out, "cpu           %s, %d online\n", si->cpu_model[0] ? si->cpu_model : "?", si->ncpus);
    fprintf(out, "memory        %.1f GiB, page size %ld\n", (double)si->mem_total_kb / (1024.0 * 1024.0), si->page_size);
    fprintf(out, "user          %s\n", si->is_root ? "root" : "not root (trace and lab need root)");
    fprintf(out, "io_uring      %s%s%s\n", yesno(si->uring_ok), si->uring_ok ? "" : ": ", si->uring_ok ? "" : si->uring_why);
    fprintf(out, "eBPF          %s (BTF %s, tracefs %s)%s%s\n", yesno(si->bpf_ok && si->btf_ok), yesno(si->btf_ok),
            si->tracefs_ok ? "mounted" : "not mounted", si->bpf_why[0] ? ": " : "", si->bpf_why);
    fprintf(out, "NUMA          ");
    if (!si->numa_ok) fprintf(out, "no: %s\n", si->numa_why);
    else {
        fprintf(out, "%d node%s:", si->numa_nodes, si->numa_nodes == 1 ? "" : "s");
        for (int i = 0; i < si->numa_nodes; i++) fprintf(out, " %d", si->numa_node_ids[i]);
        fprintf(out, "%s\n", si->numa_nodes == 1 ? " (one node: NUMA matrices run the 1x1 case)" : "");
    }
    fprintf(out, "perf          software counters %s, hardware counters %s (perf_event_paranoid=%d)\n",
            yesno(si->perf_sw_ok), si->perf_hw_ok ? "yes" : "not supported", si->perf_paranoid);
    fprintf(out, "lab           qemu %s, /dev/kvm %s\n", si->qemu_ok ? "found" : "not installed",
            si->kvm_ok ? "opens (KVM use is checked at boot)" : "absent");
}
