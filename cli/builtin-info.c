/*
 * splsuite info - what this machine supports.
 */
#include "commands.h"
#include "envelope.h"
#include "sysinfo.h"
#include "util.h"
#include "impl.h"
#include "opt.h"
#include "outfile.h"

#include <stdio.h>
#include <string.h>

static bool json;
static const char *output;
static const struct spl_opt info_opts[] = {
    {"json", 'j', SPL_OPT_FLAG, SPL_OPT_DEST(json), NULL, "the findings as JSON on stdout"},
    {"output", 'o', SPL_OPT_STR, SPL_OPT_DEST(output), "FILE", "write the JSON to FILE ('-': stdout); the text still goes to stdout"},
    {0},
};
static const struct spl_cmd info_cmd = {
    .name = "info",
    .about = "Prints what this machine offers the suite: kernel, io_uring, eBPF (BTF,\n"
             "tracefs), NUMA nodes, perf counters, QEMU for the lab, and where the\n"
             "reference libraries are. Every item is probed by doing it, not guessed.",
    .opts = info_opts,
    .examples = "splsuite info\nsplsuite info --json | jq .numa_nodes",
    .exit_ok = "printed",
    .exit_fail = "(not used)",
};

int cmd_info(int argc, char **argv)
{
    json = false, output = NULL;
    int first, rc = spl_opt_parse(&info_cmd, argc, argv, &first);
    if (rc != SPL_OPT_OK) return rc == SPL_OPT_HELP ? SPL_EXIT_OK : rc;
    if (first < argc) return spl_opt_error(&info_cmd, "unexpected argument '%s'", argv[first]);
    struct spl_sysinfo si;
    spl_sysinfo_probe(&si);
    rc = SPL_EXIT_OK;
    if (json || output) {
        json_object *o = spl_sysinfo_json(&si);
        json_object_object_add(o, "suite_version", json_object_new_string(SPLSUITE_VERSION));
        json_object_object_add(o, "reference_libdir", json_object_new_string(spl_impl_libdir()));
        static struct spl_envelope env;
        spl_envelope_init(&env, "splsuite-info/1");
        o = spl_envelope_wrap(&env, o);
        if (json) puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        char err[600];
        if (output && !(json && !strcmp(output, "-")) && spl_outfile_json(output, o, err, sizeof err) != 0) {
            spl_err("info", "cannot write %s", err);
            rc = SPL_EXIT_OUTPUT;
        }
        json_object_put(o);
    }
    if (!json) {
        printf("splinter-suite %s\n", SPLSUITE_VERSION);
        spl_sysinfo_print(&si, stdout);
        printf("reference     %s\n", spl_impl_libdir());
    }
    return rc;
}
