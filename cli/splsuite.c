/*
 * splsuite - the one front door: parses the subcommand and dispatches,
 * in the manner of perf and bpftool. Commands whose part was not built
 * (a missing optional dependency) say so and exit 77.
 */
#include "commands.h"
#include "envelope.h"
#include "opt.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cmd {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
    const char *missing; /* why it was not built, when fn is NULL */
};

#ifdef SPLSUITE_HAVE_CMD_CONFORM
#define CONFORM_FN cmd_conform
#else
#define CONFORM_FN NULL
#endif
#ifdef SPLSUITE_HAVE_CMD_TORTURE
#define TORTURE_FN cmd_torture
#define FSCK_FN cmd_fsck
#else
#define TORTURE_FN NULL
#define FSCK_FN NULL
#endif
#ifdef SPLSUITE_HAVE_CMD_BENCH
#define BENCH_FN cmd_bench
#define PLOT_FN cmd_plot
#else
#define BENCH_FN NULL
#define PLOT_FN NULL
#endif
#ifdef SPLSUITE_HAVE_CMD_TRACE
#define TRACE_FN cmd_trace
#else
#define TRACE_FN NULL
#endif
#ifdef SPLSUITE_HAVE_CMD_RESULTS
#define COMPARE_FN cmd_compare
#define DB_FN cmd_db
#define HISTORY_FN cmd_history
#define KCIDB_FN cmd_kcidb
#else
#define COMPARE_FN NULL
#define DB_FN NULL
#define HISTORY_FN NULL
#define KCIDB_FN NULL
#endif
#ifdef SPLSUITE_HAVE_CMD_LAB
#define LAB_FN cmd_lab
#else
#define LAB_FN NULL
#endif

static const struct cmd cmds[] = {
    {"conform", CONFORM_FN, "check an implementation against the protocol rules of docs/spec.md", "conformance part not built"},
    {"torture", TORTURE_FN, "fork, kill, crash and reopen; verify nothing is torn or lost", "stress part not built"},
    {"fsck", FSCK_FN, "check (and with consent repair) a store's bytes without any implementation", "stress part not built"},
    {"bench", BENCH_FN, "ops, wake latency, madvise, flush and NUMA benchmarks", "bench part not built"},
    {"plot", PLOT_FN, "draw bench results (latency CDFs, scaling, NUMA matrix) with gnuplot", "bench part not built"},
    {"trace", TRACE_FN, "eBPF probes: madvise and eventfd latency per NUMA node",
     "bpf part not built: needs libbpf-dev, bpftool and clang at configure time"},
    {"lab", LAB_FN, "boot a kernel under QEMU with a NUMA topology and run a subcommand inside", "lab part not built"},
    {"compare", COMPARE_FN, "two results documents row by row: change, U test, verdict (exit 1 if worse)", "results part not built"},
    {"db", DB_FN, "the results store (SQLite or PostgreSQL): import, list, rows, export", "results part not built"},
    {"history", HISTORY_FN, "a row over every stored run, with change points (e-divisive means)", "results part not built"},
    {"kcidb", KCIDB_FN, "conform and torture results as a KCIDB report (Kernel CI)", "results part not built"},
    {"info", cmd_info, "what this machine supports: kernel, io_uring, BPF, NUMA, perf counters", NULL},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: splsuite [--version] [--help] COMMAND [ARGS]\n\n"
            "splinter-suite " SPLSUITE_VERSION ": benchmark and conformance suite for the Splinter store protocol.\n\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(out, "  %-9s %s%s\n", cmds[i].name, cmds[i].summary, cmds[i].fn ? "" : " [not built]");
    fprintf(out, "\n'splsuite COMMAND --help' explains each one.\n\nExit status (every command):\n"
                 "  0    success\n  1    a failure was found (what that means is in the command's --help)\n%s",
            spl_exit_status_common);
}

/* As perf's run_builtin: the command's output is only as good as its last
 * write. stdout is flushed and closed here, so `splsuite conform > /dev/full`
 * or a full disk under `--json > run.json` is exit 3 with the reason, never
 * exit 0 with a short or empty file. A usage error or an interrupt keeps its
 * own status. */
static int check_stdout(const char *name, int rc)
{
    struct stat sb;
    if (fstat(STDOUT_FILENO, &sb) != 0) return rc; /* stdout was closed: nothing could have been written */
    int e = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) e = errno ? errno : EIO;
    if (fclose(stdout) != 0 && !e) e = errno;
    if (!e) return rc;
    spl_err(name, "cannot write to stdout: %s", strerror(e));
    return rc == SPL_EXIT_USAGE || rc >= 128 ? rc : SPL_EXIT_OUTPUT;
}

static int run_builtin(const struct cmd *c, int argc, char **argv) { return check_stdout(c->name, c->fn(argc, argv)); }

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return SPL_EXIT_USAGE;
    }
    const char *c = argv[1];
    if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
        if (argc > 2 && strcmp(c, "help") == 0) {
            char *hv[] = {argv[2], "--help", NULL};
            for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
                if (!strcmp(cmds[i].name, argv[2]) && cmds[i].fn) return run_builtin(&cmds[i], 2, hv);
        }
        usage(stdout);
        return check_stdout("help", SPL_EXIT_OK);
    }
    if (!strcmp(c, "--version") || !strcmp(c, "-V") || !strcmp(c, "version")) {
        printf("splsuite %s (commit %s%s)\n", SPLSUITE_VERSION, spl_suite_commit(), spl_suite_dirty() ? ", modified tree" : "");
        return check_stdout("version", SPL_EXIT_OK);
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(cmds[i].name, c) != 0) continue;
        if (!cmds[i].fn) {
            spl_err(c, "%s", cmds[i].missing);
            return SPL_EXIT_SKIP;
        }
        return run_builtin(&cmds[i], argc - 1, argv + 1);
    }
    spl_err(c, "unknown command (splsuite --help lists them)");
    return SPL_EXIT_USAGE;
}
