/*
 * builtin-lab.c - `splsuite lab`: the command line of the virtual NUMA lab. Prepares
 * the kernel and initramfs (cached), boots one guest per topology asked for,
 * runs the given splsuite subcommand (or program) inside, and hands back its
 * output and exit status, with the boot and run times.
 */
#include "commands.h"
#include "envelope.h"
#include "lab.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include "opt.h"
#include "outfile.h"
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


struct lab_opts {
    int nodes;
    int cpus;
    uint64_t mem_per_node;
    const char *distance;
    const char *kernel;
    const char *modules;
    const char *cache;
    const char *out;            /* --outdir: the results directory shared with the guest */
    const char *output;         /* -o: the JSON record also goes there */
    const char *append;
    uint64_t timeout_ns;
    enum lab_accel accel;
    bool exec;
    bool json;
    bool verbose;
    bool prepare_only;
    int matrix[LAB_MAX_NODES];
    int nmatrix;
};

static void default_cache(char *buf, size_t sz)
{
    const char *e = getenv("SPLSUITE_LAB_CACHE");
    if (e && *e) { snprintf(buf, sz, "%s", e); return; }
    e = getenv("XDG_CACHE_HOME");
    if (e && *e) { snprintf(buf, sz, "%s/splsuite/lab", e); return; }
    e = getenv("HOME");
    if (e && *e) { snprintf(buf, sz, "%s/.cache/splsuite/lab", e); return; }
    snprintf(buf, sz, "/var/tmp/splsuite-lab-cache");
}

static struct lab_opts L;

static int parse_matrix(const char *s, void *dest, char *err, size_t errlen)
{
    struct lab_opts *o = dest;
    char *dup = strdup(s), *save = NULL;
    if (!dup) return snprintf(err, errlen, "out of memory"), -1;
    o->nmatrix = 0;
    int rc = 0;
    for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (o->nmatrix == LAB_MAX_NODES) { snprintf(err, errlen, "at most %d node counts", LAB_MAX_NODES); rc = -1; break; }
        if (spl_opt_uint(t, 1, LAB_MAX_NODES, &v, err, errlen) != 0) {
            snprintf(err, errlen, "want node counts from 1 to %d, like 2,4", LAB_MAX_NODES);
            rc = -1;
            break;
        }
        o->matrix[o->nmatrix++] = (int)v;
    }
    free(dup);
    if (!rc && !o->nmatrix) snprintf(err, errlen, "want node counts like 2,4"), rc = -1;
    return rc;
}

static const char *const accel_names[] = {"auto", "kvm", "tcg", NULL};

static const struct spl_opt lab_opts_table[] = {
    {"nodes", 'n', SPL_OPT_UINT, SPL_OPT_DEST(L.nodes), "N", "NUMA nodes", .def = "2", .min = 1, .max = LAB_MAX_NODES,
     .group = "Topology"},
    {"cpus", 0, SPL_OPT_UINT, SPL_OPT_DEST(L.cpus), "C",
     "vCPUs, split in contiguous blocks over the nodes (fewer than N leaves memory-only nodes)",
     .def_help = "one per node", .min = 1, .max = LAB_MAX_CPUS},
    {"mem-per-node", 0, SPL_OPT_SIZE, SPL_OPT_DEST(L.mem_per_node), "SIZE", "RAM per node", .def = "256M",
     .min = 64ull << 20, .max = 64ull << 30},
    {"distance", 0, SPL_OPT_STR, SPL_OPT_DEST(L.distance), "SPEC",
     "SLIT distances: one VALUE for every remote pair, or SRC-DST=VALUE[,...] (a pair given once is symmetric)",
     .def_help = "20"},
    {"matrix", 0, SPL_OPT_CALL, .dest = &L, .arg = "N1,N2,...",
     .help = "run once per node count (e.g. 2,4) and print a table of boot and run times", .parse = parse_matrix},
    {"kernel", 'k', SPL_OPT_STR, SPL_OPT_DEST(L.kernel), "debian|PATH",
     "debian: Debian's packaged kernel (linux-image-amd64's current dependency) fetched with apt-get download and "
     "cached; PATH: any bzImage or vmlinux (PVH) to evaluate", .def = "debian", .group = "Kernel and guest"},
    {"modules", 0, SPL_OPT_STR, SPL_OPT_DEST(L.modules), "DIR",
     "modules for a PATH kernel: a root with lib/modules/ or a depmod'ed lib/modules/RELEASE (needed unless 9p, "
     "virtio-pci and overlay are built in)"},
    {"append", 0, SPL_OPT_STR, SPL_OPT_DEST(L.append), "ARGS", "extra kernel command line arguments"},
    {"accel", 0, SPL_OPT_CHOICE, SPL_OPT_DEST(L.accel), "ACCEL", "KVM when it really works, else TCG", .def = "auto",
     .choices = accel_names},
    {"cache", 0, SPL_OPT_STR, SPL_OPT_DEST(L.cache), "DIR", "kernel and initramfs cache",
     .def_help = "$SPLSUITE_LAB_CACHE or ${XDG_CACHE_HOME:-~/.cache}/splsuite/lab"},
    {"prepare-only", 0, SPL_OPT_FLAG, SPL_OPT_DEST(L.prepare_only), NULL, "fetch/build kernel and initramfs, boot nothing"},
    {"exec", 0, SPL_OPT_FLAG, SPL_OPT_DEST(L.exec), NULL,
     "the words after -- are a program and its arguments, not a splsuite subcommand", .group = "Run"},
    {"outdir", 0, SPL_OPT_STR, SPL_OPT_DEST(L.out), "DIR",
     "results directory, shared writable with the guest and mounted there at the same path: write report files "
     "under it to get them back. Holds console.log, qemu.log, stdout, stderr, status",
     .def_help = "a new $TMPDIR/splsuite-lab.XXXXXX"},
    {"out", 0, SPL_OPT_STR, SPL_OPT_DEST(L.out), "DIR", "old spelling of --outdir", .flags = SPL_OPT_HIDDEN},
    {"timeout", 0, SPL_OPT_DURATION, SPL_OPT_DEST(L.timeout_ns), "TIME",
     "hard bound per guest, boot included; QEMU is killed when it expires", .def = "600s", .min = 1000000000ull,
     .max = 7 * 86400000000000ull},
    {"json", 'j', SPL_OPT_FLAG, SPL_OPT_DEST(L.json), NULL,
     "print one JSON record (topology, kernel, accelerator, times, status, the command's stdout) instead of relaying "
     "the command's stdout"},
    {"output", 'o', SPL_OPT_STR, SPL_OPT_DEST(L.output), "FILE", "also write the JSON record to FILE ('-': stdout)"},
    {"verbose", 'v', SPL_OPT_FLAG, SPL_OPT_DEST(L.verbose), NULL, "show the QEMU command line and the host-side steps"},
    {0},
};

static const struct spl_cmd lab_cmd = {
    .name = "lab",
    .usage = "[OPTIONS] -- SUBCOMMAND [ARGS...]\n[OPTIONS] --exec -- PROGRAM [ARGS...]\n--prepare-only [--kernel K] [--cache DIR]",
    .about = "Boots a real Linux kernel under QEMU with the NUMA topology asked for and runs\n"
             "a splsuite subcommand inside it, against this very build (the host's root is\n"
             "shared read-only over 9p, under a RAM overlay). The subcommand's stdout and\n"
             "stderr come back as it runs; the exit status is the subcommand's. Use it to\n"
             "exercise per-node code paths and probes, and to compare kernels: timings in\n"
             "the guest are NOT performance figures (TCG emulation is 15-100x slower).\n"
             "\n"
             "In the guest: the host's cwd is the cwd; the environment is clean apart from\n"
             "SPLSUITE_LAB=1, SPLSUITE_LAB_NODES, SPLSUITE_LAB_CPUS, SPLSUITE_LAB_DISTANCES\n"
             "(rows ';'-separated) and SPLSUITE_LAB_OUT (the --outdir directory). Writes outside\n"
             "the --outdir directory stay in guest RAM.",
    .opts = lab_opts_table,
    .examples = "splsuite lab --nodes 2 -- info\n"
                "splsuite lab --nodes 4 --cpus 4 --distance 0-1=15,2-3=15 -- bench --help\n"
                "splsuite lab --nodes 2 --outdir /tmp/l -- conform -o /tmp/l/conform.json\n"
                "splsuite lab --matrix 2,4 --exec -- ./lab/tests/guest-checks.sh build\n"
                "splsuite lab --kernel ~/linux/arch/x86/boot/bzImage --nodes 2 -- info",
    .exit_ok = "the subcommand's own status is passed through (0 when it succeeded)",
    .exit_fail = "the guest failed (no boot, timeout: see console.log), or the subcommand's 1",
    .operands_first = true,
};

static void print_tail(const char *path, int lines)
{
    FILE *f = fopen(path, "r");
    if (!f) return;
    char *ring[64] = {0};
    if (lines > 64) lines = 64;
    char buf[1024];
    int n = 0;
    while (fgets(buf, sizeof buf, f)) {
        free(ring[n % lines]);
        ring[n % lines] = strdup(buf);
        n++;
    }
    fclose(f);
    int start = n > lines ? n - lines : 0;
    for (int i = start; i < n; i++) {
        fprintf(stderr, "  | %s", ring[i % lines]);
        if (!strchr(ring[i % lines], '\n')) fputc('\n', stderr);
    }
    for (int i = 0; i < lines; i++) free(ring[i]);
}

static json_object *read_stdout_json(const char *run_dir)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/stdout", run_dir);
    FILE *f = fopen(p, "r");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t k;
    while (buf && (k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) return NULL;
    buf[n] = '\0';
    /* A JSON report comes back as JSON, anything else as text. */
    json_object *o = json_tokener_parse(buf);
    if (!o) o = json_object_new_string(buf);
    free(buf);
    return o;
}

static const char *accel_name(enum lab_accel a) { return a == LAB_ACCEL_KVM ? "kvm" : "tcg"; }

/* One guest: topology with `nodes` nodes. Returns the command's status or a lab status. */
static int run_one(const struct lab_opts *o, int nodes, const struct lab_kernel *k, const char *initramfs,
                   enum lab_accel accel, const char *accel_why, char *const *cmd, const char *cwd,
                   const char *run_dir, json_object *runs, double times[3])
{
    struct lab_topology topo;
    if (lab_topology_init(&topo, nodes, o->cpus, o->mem_per_node) != 0) {
        spl_err("lab", "bad topology: %d nodes, %d vCPUs (at most %d and %d)", nodes, o->cpus, LAB_MAX_NODES,
                LAB_MAX_CPUS);
        return SPL_EXIT_USAGE;
    }
    if (o->distance) {
        char err[200];
        if (lab_topology_parse_distance(&topo, o->distance, err, sizeof err) != 0) {
            spl_err("lab", "--distance: %s", err);
            return SPL_EXIT_USAGE;
        }
    }
    if (spl_mkdir_p(run_dir, 0755) != 0) {
        spl_err("lab", "cannot create %s: %s", run_dir, strerror(errno));
        return SPL_EXIT_FAIL;
    }
    char desc[1024], dist[1024];
    lab_topology_describe(&topo, desc, sizeof desc);
    lab_topology_distance_string(&topo, dist, sizeof dist);
    fprintf(stderr, "splsuite lab: booting %s, distances %s\n", desc, dist);
    struct lab_run r = {
        .topo = &topo, .kernel = k, .initramfs = initramfs, .accel = accel, .run_dir = run_dir,
        .qemu = "qemu-system-x86_64", .cmd = cmd, .cwd = cwd, .timeout_ns = o->timeout_ns,
        .relay = !o->json, .verbose = o->verbose,
    };
    int rc = lab_guest_run(&r);
    int result;
    if (rc == SPL_EXIT_OK) {
        fprintf(stderr, "splsuite lab: %d node%s: boot %.1f s, run %.1f s, total %.1f s; exit status %d; console %s\n",
                nodes, nodes == 1 ? "" : "s", r.boot_s, r.run_s, r.total_s, r.status, r.console);
        result = r.status;
    } else if (rc == SPL_EXIT_SKIP) {
        char ql[PATH_MAX];
        snprintf(ql, sizeof ql, "%s/qemu.log", run_dir);
        spl_err("lab", "QEMU could not run (exit status %d); its messages (%s):", r.qemu_status, ql);
        print_tail(ql, 10);
        result = SPL_EXIT_SKIP;
    } else {
        char why[512] = "";
        char ep[PATH_MAX];
        snprintf(ep, sizeof ep, "%s/lab-error", run_dir);
        FILE *ef = fopen(ep, "r");
        if (ef) {
            if (!fgets(why, sizeof why, ef)) why[0] = '\0';
            why[strcspn(why, "\n")] = '\0';
            fclose(ef);
        } else if ((ef = fopen(r.console, "r"))) {
            /* Before the results share is mounted, /init can only say it on the console. */
            char line[1024];
            while (fgets(line, sizeof line, ef)) {
                char *m = strstr(line, "SPLSUITE-LAB-ERROR: ");
                if (!m) continue;
                snprintf(why, sizeof why, "%s", m + strlen("SPLSUITE-LAB-ERROR: "));
                why[strcspn(why, "\r\n")] = '\0';
            }
            fclose(ef);
        }
        if (r.timed_out)
            spl_err("lab", "timed out after %.0f s (%s); QEMU killed", r.total_s,
                    r.booted ? "the command did not finish" : "the guest never reached /init");
        else if (why[0])
            spl_err("lab", "the guest's /init failed: %s", why);
        else
            spl_err("lab", "the guest %s and left no exit status", r.booted ? "stopped during the command" : "did not boot");
        spl_err("lab", "last console lines (%s):", r.console);
        print_tail(r.console, 15);
        result = SPL_EXIT_FAIL;
    }
    times[0] = r.boot_s;
    times[1] = r.run_s;
    times[2] = r.total_s;
    if (runs) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "nodes", json_object_new_int(topo.nodes));
        json_object_object_add(j, "cpus", json_object_new_int(topo.cpus));
        json_object_object_add(j, "mem_per_node_mib", json_object_new_int64((int64_t)(topo.mem_per_node >> 20)));
        json_object *cn = json_object_new_array();
        for (int c = 0; c < topo.cpus; c++) json_object_array_add(cn, json_object_new_int(topo.cpu_node[c]));
        json_object_object_add(j, "cpu_node", cn);
        json_object *dm = json_object_new_array();
        for (int s = 0; s < topo.nodes; s++) {
            json_object *row = json_object_new_array();
            for (int d = 0; d < topo.nodes; d++) json_object_array_add(row, json_object_new_int(topo.dist[s][d]));
            json_object_array_add(dm, row);
        }
        json_object_object_add(j, "distances", dm);
        json_object_object_add(j, "accel", json_object_new_string(accel_name(accel)));
        json_object_object_add(j, "accel_reason", json_object_new_string(accel_why));
        json_object_object_add(j, "booted", json_object_new_boolean(r.booted));
        json_object_object_add(j, "timed_out", json_object_new_boolean(r.timed_out));
        json_object_object_add(j, "boot_s", json_object_new_double(r.boot_s));
        json_object_object_add(j, "run_s", json_object_new_double(r.run_s));
        json_object_object_add(j, "total_s", json_object_new_double(r.total_s));
        json_object_object_add(j, "guest_uptime_at_start_s", json_object_new_double(r.guest_boot_s));
        json_object_object_add(j, "exit_status", r.status >= 0 ? json_object_new_int(r.status) : NULL);
        json_object_object_add(j, "lab_status", json_object_new_int(result));
        json_object_object_add(j, "run_dir", json_object_new_string(run_dir));
        json_object_object_add(j, "console_log", json_object_new_string(r.console));
        json_object_object_add(j, "stdout", read_stdout_json(run_dir));
        json_object_array_add(runs, j);
    }
    return result;
}

/* The command the guest runs: this splsuite binary + subcommand, or a program. */
static int build_cmd(const struct lab_opts *o, int argc, char **argv, char ***out)
{
    if (argc <= 0) {
        spl_err("lab", "nothing to run: give a subcommand after --, e.g. 'splsuite lab -- info'");
        return SPL_EXIT_USAGE;
    }
    char **cmd = calloc((size_t)argc + 2, sizeof *cmd);
    if (!cmd) {
        spl_err("lab", "out of memory");
        return SPL_EXIT_FAIL;
    }
    int n = 0;
    if (o->exec) {
        char full[PATH_MAX], real[PATH_MAX];
        if (!spl_find_program(argv[0], full, sizeof full) || !realpath(full, real)) {
            spl_err("lab", "--exec %s: no such executable on the host (the guest sees the host's files)", argv[0]);
            free(cmd);
            return SPL_EXIT_USAGE;
        }
        cmd[n++] = strdup(real);
    } else {
        if (!strcmp(argv[0], "lab")) {
            spl_err("lab", "a lab inside the lab is not supported");
            free(cmd);
            return SPL_EXIT_USAGE;
        }
        char self[PATH_MAX];
        ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
        if (k <= 0) {
            spl_err("lab", "cannot find this splsuite binary: %s", strerror(errno));
            free(cmd);
            return SPL_EXIT_FAIL;
        }
        self[k] = '\0';
        cmd[n++] = strdup(self);
        cmd[n++] = strdup(argv[0]);
    }
    for (int i = 1; i < argc; i++) cmd[n++] = strdup(argv[i]);
    cmd[n] = NULL;
    *out = cmd;
    return SPL_EXIT_OK;
}

static void free_cmd(char **cmd)
{
    if (!cmd) return;
    for (int i = 0; cmd[i]; i++) free(cmd[i]);
    free(cmd);
}

/* Checks the topologies, prepares the kernel and initramfs and runs cmd (NULL
 * with --prepare-only) in the guests; cmd stays the caller's to free, so no
 * early return leaks it. */
static int lab_run(const struct lab_opts *o, char **cmd)
{
    static struct spl_envelope env; /* the run identity of --json, dated at the start */
    spl_envelope_init(&env, "splsuite-lab/1");
    int rc;
    /* Every topology asked for is checked before anything is fetched or booted. */
    for (int i = 0; i < (o->nmatrix ? o->nmatrix : 1); i++) {
        struct lab_topology t;
        int nodes = o->nmatrix ? o->matrix[i] : o->nodes;
        char err[200];
        if (lab_topology_init(&t, nodes, o->cpus, o->mem_per_node) != 0) {
            spl_err("lab", "bad topology: %d nodes, %d vCPUs", nodes, o->cpus);
            return SPL_EXIT_USAGE;
        }
        if (o->distance && lab_topology_parse_distance(&t, o->distance, err, sizeof err) != 0) {
            spl_err("lab", "--distance: %s", err);
            return SPL_EXIT_USAGE;
        }
    }
    if (!spl_find_program("qemu-system-x86_64", NULL, 0)) {
        spl_err("lab", "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86): skipped");
        return SPL_EXIT_SKIP;
    }
    char cache[PATH_MAX];
    if (o->cache) snprintf(cache, sizeof cache, "%s", o->cache);
    else default_cache(cache, sizeof cache);

    uint64_t t0 = spl_time_ns();
    struct lab_kernel k;
    if ((rc = lab_kernel_resolve(o->kernel, o->modules, cache, o->verbose, &k)) != SPL_EXIT_OK) return rc;
    char initramfs[PATH_MAX];
    if ((rc = lab_initramfs_prepare(&k, cache, o->verbose, initramfs, sizeof initramfs)) != SPL_EXIT_OK) return rc;
    fprintf(stderr, "splsuite lab: kernel %s, release %s (prepared in %.1f s)\n", k.origin,
            k.release[0] ? k.release : "unknown", (double)(spl_time_ns() - t0) / 1e9);
    if (o->prepare_only) {
        printf("kernel    %s\ninitramfs %s\ncache     %s\n", k.image, initramfs, cache);
        return SPL_EXIT_OK;
    }
    char why[300];
    enum lab_accel accel = lab_accel_choose(o->accel, why, sizeof why);
    fprintf(stderr, "splsuite lab: accelerator %s: %s\n", accel_name(accel), why);

    char run_dir[PATH_MAX];
    if (o->out) {
        if (spl_mkdir_p(o->out, 0755) != 0 || !realpath(o->out, run_dir)) {
            spl_err("lab", "--outdir %s: %s", o->out, strerror(errno));
            return SPL_EXIT_FAIL;
        }
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(run_dir, sizeof run_dir, "%s/splsuite-lab.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(run_dir)) {
            spl_err("lab", "mkdtemp %s: %s", run_dir, strerror(errno));
            return SPL_EXIT_FAIL;
        }
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, "/");

    json_object *runs = o->json || o->output ? json_object_new_array() : NULL;
    int counts[LAB_MAX_NODES], ncounts = 0;
    if (o->nmatrix) {
        memcpy(counts, o->matrix, sizeof counts);
        ncounts = o->nmatrix;
    } else {
        counts[ncounts++] = o->nodes;
    }
    double times[LAB_MAX_NODES][3] = {{0}}; /* a run that failed before a phase shows 0.0 */
    int status[LAB_MAX_NODES];
    int final = SPL_EXIT_OK, done = 0;
    for (int i = 0; i < ncounts; i++, done++) {
        char dir[PATH_MAX];
        if (o->nmatrix) snprintf(dir, sizeof dir, "%s/nodes-%d", run_dir, counts[i]);
        else snprintf(dir, sizeof dir, "%s", run_dir);
        status[i] = run_one(o, counts[i], &k, initramfs, accel, why, cmd, cwd, dir, runs, times[i]);
        /* The first failure decides; a skip only when nothing failed. */
        if (status[i] == SPL_EXIT_USAGE) { final = status[i]; break; }
        if (status[i] != SPL_EXIT_OK && (final == SPL_EXIT_OK || final == SPL_EXIT_SKIP)) final = status[i];
    }
    if (o->json || o->output) {
        json_object *top = json_object_new_object();
        json_object_object_add(top, "kernel", json_object_new_string(k.origin));
        json_object_object_add(top, "kernel_release", json_object_new_string(k.release));
        json_object_object_add(top, "kernel_image", json_object_new_string(k.image));
        json_object_object_add(top, "initramfs", json_object_new_string(initramfs));
        json_object *jc = json_object_new_array();
        for (int i = 0; cmd && cmd[i]; i++) json_object_array_add(jc, json_object_new_string(cmd[i]));
        json_object_object_add(top, "command", jc);
        json_object_object_add(top, "note", json_object_new_string(
            "timings are of an emulated guest: topology and correctness only, not performance figures"));
        json_object_object_add(top, "runs", runs);
        json_object_object_add(top, "exit_status", json_object_new_int(final));
        top = spl_envelope_wrap(&env, top);
        if (o->json) puts(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        char werr[600];
        if (o->output && !(o->json && !strcmp(o->output, "-")) && spl_outfile_json(o->output, top, werr, sizeof werr) != 0) {
            spl_err("lab", "cannot write %s", werr);
            if (final == SPL_EXIT_OK || final == SPL_EXIT_FAIL) final = SPL_EXIT_OUTPUT;
        }
        json_object_put(top);
    }
    if (!o->json && o->nmatrix) {
        printf("\nlab matrix (%s, %s; guest timings are not performance figures)\n", k.origin, accel_name(accel));
        printf("%-6s %-5s %9s %9s %9s  %s\n", "nodes", "cpus", "boot_s", "run_s", "total_s", "status");
        for (int i = 0; i < done; i++)
            printf("%-6d %-5d %9.1f %9.1f %9.1f  %d\n", counts[i], o->cpus ? o->cpus : counts[i], times[i][0],
                   times[i][1], times[i][2], status[i]);
        printf("results in %s\n", run_dir);
    }
    return final;
}

int cmd_lab(int argc, char **argv)
{
    memset(&L, 0, sizeof L);
    int argi, rc = spl_opt_parse(&lab_cmd, argc, argv, &argi);
    if (rc != SPL_OPT_OK) return rc == SPL_OPT_HELP ? SPL_EXIT_OK : rc;
    struct lab_opts o = L;
    if (o.append) setenv("SPLSUITE_LAB_APPEND", o.append, 1);
    if (o.modules && (!o.kernel || !strcmp(o.kernel, "debian"))) {
        return spl_opt_error(&lab_cmd, "--modules goes with --kernel PATH (the Debian kernel brings its own)");
    }
    char **cmd = NULL;
    if (!o.prepare_only && (rc = build_cmd(&o, argc - argi, argv + argi, &cmd)) != SPL_EXIT_OK) return rc;
    rc = lab_run(&o, cmd);
    free_cmd(cmd);
    return rc;
}
