/*
 * guest.c - one guest run: write the job into the results share, start QEMU
 * with the topology and the two 9p shares, relay the guest's stdout/stderr
 * while they grow (9p writes land in the host file at once), enforce the
 * time bound, and read the verdict the guest left behind.
 */
#include "lab.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void path_in(char *buf, size_t sz, const char *dir, const char *name)
{
    snprintf(buf, sz, "%s/%s", dir, name);
}

static bool exists(const char *dir, const char *name)
{
    char p[PATH_MAX];
    path_in(p, sizeof p, dir, name);
    return access(p, F_OK) == 0;
}

static int read_text(const char *dir, const char *name, char *buf, size_t sz)
{
    char p[PATH_MAX];
    path_in(p, sizeof p, dir, name);
    FILE *f = fopen(p, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sz - 1, f);
    buf[n] = '\0';
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

static int write_job(const struct lab_run *r)
{
    char p[PATH_MAX], dist[1024];
    path_in(p, sizeof p, r->run_dir, "job");
    FILE *f = fopen(p, "w");
    if (!f) return -1;
    lab_topology_distance_string(r->topo, dist, sizeof dist);
    fputs("# written by splsuite lab on the host; sourced by the guest's /init\nLAB_RUN_DIR=", f);
    lab_shell_quote(f, r->run_dir);
    fputs("\nLAB_CWD=", f);
    lab_shell_quote(f, r->cwd);
    fprintf(f, "\nLAB_NODES=%d\nLAB_CPUS=%d\nLAB_DIST='%s'\nset --", r->topo->nodes, r->topo->cpus, dist);
    for (int i = 0; r->cmd[i]; i++) {
        fputc(' ', f);
        lab_shell_quote(f, r->cmd[i]);
    }
    fputc('\n', f);
    return fclose(f);
}

/* QEMU option values separate fields by ',': a literal comma is written ",,". */
static void escape_commas(const char *in, char *out, size_t sz)
{
    size_t n = 0;
    for (; *in && n + 2 < sz; in++) {
        if (*in == ',') out[n++] = ',';
        out[n++] = *in;
    }
    out[n] = '\0';
}

static void build_argv(const struct lab_run *r, const char *append, struct lab_argv *a)
{
    char esc[2 * PATH_MAX];
    lab_argv_add(a, "%s", r->qemu);
    lab_argv_add(a, "-name");
    lab_argv_add(a, "splsuite-lab");
    lab_argv_add(a, "-machine");
    lab_argv_add(a, "pc");
    lab_argv_add(a, "-accel");
    lab_argv_add(a, "%s", r->accel == LAB_ACCEL_KVM ? "kvm" : "tcg,thread=multi");
    lab_argv_add(a, "-cpu");
    lab_argv_add(a, "%s", r->accel == LAB_ACCEL_KVM ? "host" : "max");
    lab_topology_qemu_args(r->topo, a);
    lab_argv_add(a, "-kernel");
    lab_argv_add(a, "%s", r->kernel->image);
    lab_argv_add(a, "-initrd");
    lab_argv_add(a, "%s", r->initramfs);
    /* loglevel=5: warnings and their backtraces (soft lockups, WARN_ON, oopses)
     * reach console.log for diagnosis; the info-level boot chatter does not. */
    lab_argv_add(a, "-append");
    lab_argv_add(a, "console=ttyS0 panic=-1 loglevel=5 mitigations=off%s%s", append && *append ? " " : "",
                 append ? append : "");
    lab_argv_add(a, "-nodefaults");
    lab_argv_add(a, "-no-user-config");
    lab_argv_add(a, "-display");
    lab_argv_add(a, "none");
    lab_argv_add(a, "-monitor");
    lab_argv_add(a, "none");
    lab_argv_add(a, "-nic");
    lab_argv_add(a, "none");
    lab_argv_add(a, "-no-reboot");
    escape_commas(r->console, esc, sizeof esc);
    lab_argv_add(a, "-serial");
    lab_argv_add(a, "file:%s", esc);
    /* The host's root, read-only: the guest runs the host's own binaries and libraries. */
    lab_argv_add(a, "-virtfs");
    lab_argv_add(a, "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap");
    escape_commas(r->run_dir, esc, sizeof esc);
    lab_argv_add(a, "-virtfs");
    lab_argv_add(a, "local,path=%s,mount_tag=splres,security_model=none,multidevs=remap", esc);
}

struct relay {
    const char *name;
    int out_fd;
    int fd;
    off_t off;
};

static void relay_more(const char *dir, struct relay *rl, bool enabled)
{
    if (rl->fd < 0) {
        char p[PATH_MAX];
        path_in(p, sizeof p, dir, rl->name);
        rl->fd = open(p, O_RDONLY | O_CLOEXEC);
        if (rl->fd < 0) return;
    }
    char buf[65536];
    ssize_t n;
    while ((n = pread(rl->fd, buf, sizeof buf, rl->off)) > 0) {
        rl->off += n;
        if (enabled) {
            ssize_t w = 0;
            while (w < n) {
                ssize_t k = write(rl->out_fd, buf + w, (size_t)(n - w));
                if (k <= 0) break;
                w += k;
            }
        }
    }
}

int lab_guest_run(struct lab_run *r)
{
    r->status = -1;
    r->timed_out = r->booted = r->qemu_failed = false;
    r->boot_s = r->run_s = r->total_s = r->guest_boot_s = 0;
    /* Leftovers of an earlier run in the same --out directory would fake a verdict. */
    static const char *const stale[] = {"ready", "done", "status", "status.tmp", "stdout", "stderr", "lab-error", "job"};
    for (size_t i = 0; i < sizeof stale / sizeof stale[0]; i++) {
        char p[PATH_MAX];
        path_in(p, sizeof p, r->run_dir, stale[i]);
        unlink(p);
    }
    path_in(r->console, sizeof r->console, r->run_dir, "console.log");
    unlink(r->console);
    if (write_job(r) != 0) {
        spl_err("lab", "cannot write the job into %s: %s", r->run_dir, strerror(errno));
        return SPL_EXIT_FAIL;
    }
    struct lab_argv a = {0};
    build_argv(r, getenv("SPLSUITE_LAB_APPEND"), &a);
    if (r->verbose) {
        fprintf(stderr, "splsuite lab: ");
        for (int i = 0; i < a.n; i++) fprintf(stderr, "%s%s", a.v[i], i + 1 < a.n ? " " : "\n");
    }
    char qlog[PATH_MAX];
    path_in(qlog, sizeof qlog, r->run_dir, "qemu.log");
    uint64_t t0 = spl_time_ns();
    /* QEMU must not outlive us: a killed test run leaves no guest behind. */
    struct spl_spawn_opts so = {.out = qlog, .err = "&1", .flags = SPL_PROC_PDEATH};
    char serr[512];
    pid_t pid = spl_spawn(a.v, &so, serr, sizeof serr);
    lab_argv_free(&a);
    if (pid < 0) {
        spl_err("lab", "%s", serr);
        return SPL_EXIT_FAIL;
    }
    struct relay out = {"stdout", 1, -1, 0}, err = {"stderr", 2, -1, 0};
    uint64_t t_ready = 0, t_done = 0, t_kill = 0;
    struct spl_proc_end pe = {0};
    for (;;) {
        bool ended = spl_proc_try_reap(pid, &pe);
        uint64_t now = spl_time_ns();
        if (!t_ready && exists(r->run_dir, "ready")) {
            t_ready = now;
            r->booted = true;
            if (r->verbose) fprintf(stderr, "splsuite lab: guest up after %.1f s\n", (double)(now - t0) / 1e9);
        }
        if (r->relay || r->verbose) {
            relay_more(r->run_dir, &out, r->relay);
            relay_more(r->run_dir, &err, true);
        }
        if (!t_done && exists(r->run_dir, "status")) t_done = now;
        if (ended) break;
        if (!t_kill && (now - t0 > r->timeout_ns || spl_interrupted())) {
            r->timed_out = !spl_interrupted();
            spl_proc_signal(pid, SIGTERM);
            t_kill = now;
        } else if (t_kill && now - t_kill > 3000000000ull) {
            spl_proc_signal(pid, SIGKILL);
        }
        spl_nap(100000000ull);
    }
    uint64_t t_end = spl_time_ns();
    relay_more(r->run_dir, &out, r->relay);
    relay_more(r->run_dir, &err, true);
    if (out.fd >= 0) close(out.fd);
    if (err.fd >= 0) close(err.fd);
    if (!t_ready && exists(r->run_dir, "ready")) {
        t_ready = t_end;
        r->booted = true;
    }
    if (!t_done && exists(r->run_dir, "status")) t_done = t_end;
    r->total_s = (double)(t_end - t0) / 1e9;
    if (t_ready) r->boot_s = (double)(t_ready - t0) / 1e9;
    if (t_ready && t_done) r->run_s = (double)(t_done - t_ready) / 1e9;
    r->qemu_status = pe.exited ? pe.code : 128 + pe.signal;

    char buf[256];
    if (read_text(r->run_dir, "ready", buf, sizeof buf) == 0) r->guest_boot_s = strtod(buf, NULL);
    if (read_text(r->run_dir, "status", buf, sizeof buf) == 0) {
        char *end;
        long v = strtol(buf, &end, 10);
        if (end != buf && v >= 0 && v < 256) r->status = (int)v;
    }
    if (r->status >= 0) return SPL_EXIT_OK;
    if (!r->timed_out && !r->booted && r->qemu_status != 0) {
        r->qemu_failed = true;
        return SPL_EXIT_SKIP;
    }
    return SPL_EXIT_FAIL;
}
