/*
 * lab.h - the virtual NUMA lab: boot a real kernel under QEMU with a chosen
 * NUMA topology and run a splsuite subcommand inside it, against the host's
 * own build (shared read-only over 9p), bringing its output back.
 */
#ifndef SPLSUITE_LAB_H
#define SPLSUITE_LAB_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define LAB_MAX_NODES 16
#define LAB_MAX_CPUS 64

/* ---- topology (topology.c) ---- */
struct lab_topology {
    int nodes;
    int cpus;                              /* vCPUs in total */
    uint64_t mem_per_node;                 /* bytes */
    int dist[LAB_MAX_NODES][LAB_MAX_NODES]; /* SLIT: 10 local, >10 remote */
    int cpu_node[LAB_MAX_CPUS];            /* which node each vCPU belongs to */
};

/* Fills defaults: one vCPU per node, 256 MiB per node, remote distance 20. */
int lab_topology_init(struct lab_topology *t, int nodes, int cpus, uint64_t mem_per_node);
/* Parses "20" (every remote pair) or "0-1=30,1-0=25,..." (one direction each;
 * a pair given once is made symmetric). 0, or -1 with a message in err. */
int lab_topology_parse_distance(struct lab_topology *t, const char *spec, char *err, size_t errsz);
/* "node0: cpus 0-1, 256 MiB; ..." for the progress line. */
void lab_topology_describe(const struct lab_topology *t, char *buf, size_t sz);
/* The -smp/-m/-object/-numa arguments. Appends to argv (at most ~6 per node + pairs). */
struct lab_argv {
    char **v;
    int n, cap;
};
void lab_argv_add(struct lab_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lab_argv_free(struct lab_argv *a);
void lab_topology_qemu_args(const struct lab_topology *t, struct lab_argv *a);
/* Comma-separated rows of the distance matrix, "10,20;20,10", passed to the guest. */
void lab_topology_distance_string(const struct lab_topology *t, char *buf, size_t sz);

/* ---- kernel (kernel.c) ---- */
struct lab_kernel {
    char image[PATH_MAX];   /* what QEMU boots: vmlinux (PVH) or bzImage */
    char modroot[PATH_MAX]; /* a dir with lib/modules/<release>, or "" */
    char release[128];      /* "6.1.0-56-amd64", or "" when unknown */
    char origin[PATH_MAX + 64]; /* "debian linux-image-... 6.1.192-2 (cached)" or the user path */
    bool downloaded;        /* fetched during this run */
};

/* Resolves "debian" (default: Debian's packaged kernel through apt, cached in
 * cache_dir) or a path to a bzImage/vmlinux. modules_dir: an optional
 * lib/modules root for a user kernel. 0, or an SPL_EXIT_* status with the
 * reason printed (77 when the kernel cannot be obtained here). */
int lab_kernel_resolve(const char *spec, const char *modules_dir, const char *cache_dir, bool verbose,
                       struct lab_kernel *k);

/* ---- initramfs (initramfs.c) ---- */
/* Builds (or reuses from the cache) the initramfs for kernel k: busybox, the
 * 9p/virtio/overlay modules with their dependencies, and /init (init.sh).
 * Writes its path to out. 0, or an SPL_EXIT_* status. */
int lab_initramfs_prepare(const struct lab_kernel *k, const char *cache_dir, bool verbose, char *out, size_t outsz);

/* ---- accelerator (accel.c) ---- */
enum lab_accel { LAB_ACCEL_AUTO, LAB_ACCEL_KVM, LAB_ACCEL_TCG };
/* Decides KVM or TCG by trying KVM for real (API version, VM creation and
 * the CPU's vmx/svm flag). why gets the plain reason for the choice. */
enum lab_accel lab_accel_choose(enum lab_accel want, char *why, size_t whysz);

/* ---- running a guest (guest.c) ---- */
struct lab_run {
    const struct lab_topology *topo;
    const struct lab_kernel *kernel;
    const char *initramfs;
    enum lab_accel accel;
    const char *run_dir;      /* writable share; the guest writes its results here */
    const char *qemu;         /* qemu-system-x86_64 */
    char *const *cmd;         /* program + args to run in the guest (absolute program path) */
    const char *cwd;          /* working directory inside the guest */
    uint64_t timeout_ns;
    bool relay;               /* copy the guest's stdout/stderr to ours as they grow */
    bool verbose;
    /* results */
    int status;               /* inner exit status, -1 when none came back */
    bool timed_out;
    bool booted;              /* the guest reached /init's chroot */
    bool qemu_failed;         /* QEMU itself would not start */
    int qemu_status;
    double boot_s, run_s, total_s; /* host-measured: start->ready, ready->done, start->exit */
    double guest_boot_s;      /* guest uptime when the command started */
    char console[PATH_MAX];
};
/* Writes the job, boots QEMU, waits (bounded), collects the verdict. 0 when
 * the guest ran the command (whatever its status), else an SPL_EXIT_*. */
int lab_guest_run(struct lab_run *r);

/* ---- small process helpers (spawn.c, over lib/spawn.c) ---- */
/* Runs argv (argv[0] looked up in PATH) in cwd (NULL: ours), stdout to
 * out_path (NULL: /dev/null, "-": inherit) and stderr to our stderr when
 * verbose else /dev/null. Returns the exit status, or -1 when it could not run. */
int lab_spawn_wait(char *const argv[], const char *cwd, const char *out_path, bool verbose);
/* Same with stdin from in_path (NULL: /dev/null). */
int lab_spawn_io(char *const argv[], const char *cwd, const char *in_path, const char *out_path, bool verbose);
/* Captures argv's stdout (truncated to sz-1 bytes) into buf. Exit status as above. */
int lab_spawn_capture(char *const argv[], char *buf, size_t sz);
int lab_rm_rf(const char *path);
/* Appends a single-quoted shell word to f: the guest's /init reads the job. */
void lab_shell_quote(FILE *f, const char *s);

#endif
