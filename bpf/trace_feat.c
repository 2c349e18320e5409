/*
 * trace_feat.c - run-time feature probing for `splsuite trace`.
 *
 * Each check names the one thing that is missing, so a user (or meson's
 * skip) reads why the probes cannot run instead of a libbpf errno.
 */
#include "trace_feat.h"

#include "util.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39

static uint64_t cap_eff(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long v = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "CapEff: %llx", &v) == 1) break;
    fclose(f);
    return v;
}

static bool dir_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

bool trace_tp_exists(const struct trace_feat *f, const char *category, const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/events/%s/%s", f->tracefs, category, name);
    return dir_exists(p);
}

/* libbpf reads tracepoint ids from /sys/kernel/debug/tracing when that
 * exists, else /sys/kernel/tracing: mirror its choice. */
static int find_tracefs(struct trace_feat *f, char *why, size_t len)
{
    static const char *const dirs[] = {"/sys/kernel/debug/tracing", "/sys/kernel/tracing"};
    for (size_t i = 0; i < 2; i++) {
        char ev[128];
        snprintf(ev, sizeof ev, "%s/events", dirs[i]);
        if (access(dirs[i], F_OK) == 0 && dir_exists(ev)) {
            snprintf(f->tracefs, sizeof f->tracefs, "%s", dirs[i]);
            return 0;
        }
    }
    if (access("/sys/kernel/debug/tracing", F_OK) == 0) {
        snprintf(why, len, "/sys/kernel/debug/tracing exists but holds no events/ (debugfs tracing unusable)");
        return SPL_EXIT_SKIP;
    }
    if (geteuid() != 0) {
        snprintf(why, len, "tracefs is not mounted (as root: mount -t tracefs nodev /sys/kernel/tracing)");
        return SPL_EXIT_SKIP;
    }
    if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0) {
        snprintf(why, len, "tracefs is not mounted and mounting it on /sys/kernel/tracing failed: %s", strerror(errno));
        return SPL_EXIT_SKIP;
    }
    if (!dir_exists("/sys/kernel/tracing/events")) {
        snprintf(why, len, "tracefs mounted on /sys/kernel/tracing has no events/ (kernel without CONFIG_FTRACE?)");
        return SPL_EXIT_SKIP;
    }
    snprintf(f->tracefs, sizeof f->tracefs, "/sys/kernel/tracing");
    f->mounted_tracefs = true;
    return 0;
}

static uint64_t kallsyms_addr(const char *sym)
{
    FILE *f = fopen("/proc/kallsyms", "r");
    char line[512], name[256], type;
    unsigned long long addr;
    uint64_t found = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3) continue;
        if (strcmp(name, sym) == 0 && strchr(line, '[') == NULL) {
            found = addr;
            break;
        }
    }
    fclose(f);
    return found;
}

static int silent(enum libbpf_print_level l, const char *fmt, va_list ap) { return 0; }

int trace_feat_probe(struct trace_feat *f, char *why, size_t len)
{
    memset(f, 0, sizeof *f);
    struct utsname u;
    int maj = 0, min = 0;
    if (uname(&u) == 0) {
        snprintf(f->kernel, sizeof f->kernel, "%s", u.release);
        sscanf(u.release, "%d.%d", &maj, &min);
    }
    /* bpf_probe_read_kernel (CO-RE reads) and vmlinux BTF: 5.5 */
    if (maj < 5 || (maj == 5 && min < 5)) {
        snprintf(why, len, "kernel %s is too old: the probes need Linux 5.5 or later (BTF, bpf_probe_read_kernel)",
                 f->kernel);
        return SPL_EXIT_SKIP;
    }
    if (geteuid() != 0) {
        uint64_t c = cap_eff();
        bool admin = c & (1ull << CAP_SYS_ADMIN_BIT);
        bool bpf = c & (1ull << CAP_BPF_BIT), perfmon = c & (1ull << CAP_PERFMON_BIT);
        if (!admin && !(bpf && perfmon)) {
            snprintf(why, len, "not root and no %s%s%s: run as root, or grant cap_bpf,cap_perfmon",
                     bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " nor " : "", perfmon ? "" : "CAP_PERFMON");
            return SPL_EXIT_SKIP;
        }
    }
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
        snprintf(why, len, "no kernel BTF (/sys/kernel/btf/vmlinux: %s): the kernel needs CONFIG_DEBUG_INFO_BTF",
                 strerror(errno));
        return SPL_EXIT_SKIP;
    }
    int rc = find_tracefs(f, why, len);
    if (rc) return rc;
    if (!trace_tp_exists(f, "syscalls", "sys_enter_madvise")) {
        snprintf(why, len, "no syscall tracepoints in %s/events/syscalls (kernel without CONFIG_FTRACE_SYSCALLS)",
                 f->tracefs);
        return SPL_EXIT_SKIP;
    }
    libbpf_print_fn_t old = libbpf_set_print(silent);
    int ok = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, NULL);
    int err = errno;
    f->ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) > 0;
    struct btf *vmlinux = btf__load_vmlinux_btf();
    if (vmlinux) {
        f->tp_btf = btf__find_by_name_kind(vmlinux, "btf_trace_sched_waking", BTF_KIND_TYPEDEF) > 0 &&
                    btf__find_by_name_kind(vmlinux, "btf_trace_sched_wakeup", BTF_KIND_TYPEDEF) > 0;
        btf__free(vmlinux);
    }
    libbpf_set_print(old);
    if (ok <= 0) {
        snprintf(why, len, "the kernel refused to load a BPF tracepoint program (%s): lockdown, seccomp or "
                           "kernel.unprivileged_bpf_disabled",
                 strerror(ok < 0 ? -ok : err ? err : EPERM));
        return SPL_EXIT_SKIP;
    }
    f->eventfd_write = kallsyms_addr("eventfd_write");
    /* force the fallbacks, so one machine can test every flavour */
    const char *e;
    if ((e = getenv("SPLSUITE_TRACE_EVENTFD_MATCH")) && !strcmp(e, "name")) f->eventfd_write = 0;
    if ((e = getenv("SPLSUITE_TRACE_BUFFER")) && !strcmp(e, "perf")) f->ringbuf = false;
    if ((e = getenv("SPLSUITE_TRACE_SCHED_TP")) && !strcmp(e, "tracepoint")) f->tp_btf = false;
    return 0;
}
