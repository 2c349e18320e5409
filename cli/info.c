/*
 * splsuite info - what this machine supports.
 */
#include "commands.h"
#include "envelope.h"
#include "sysinfo.h"
#include "util.h"
#include "impl.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {0}};
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'h':
            printf("usage: splsuite info [--json]\n\n"
                   "Prints what this machine offers the suite: kernel, io_uring, eBPF (BTF,\n"
                   "tracefs), NUMA nodes, perf counters, QEMU for the lab, and where the\n"
                   "reference libraries are. Every item is probed by doing it, not guessed.\n");
            return SPL_EXIT_OK;
        default: return SPL_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        spl_err("info", "unexpected argument '%s'", argv[optind]);
        return SPL_EXIT_USAGE;
    }
    struct spl_sysinfo si;
    spl_sysinfo_probe(&si);
    if (json) {
        json_object *o = spl_sysinfo_json(&si);
        json_object_object_add(o, "suite_version", json_object_new_string(SPLSUITE_VERSION));
        json_object_object_add(o, "reference_libdir", json_object_new_string(spl_impl_libdir()));
        static struct spl_envelope env;
        spl_envelope_init(&env, "splsuite-info/1");
        o = spl_envelope_wrap(&env, o);
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else {
        printf("splinter-suite %s\n", SPLSUITE_VERSION);
        spl_sysinfo_print(&si, stdout);
        printf("reference     %s\n", spl_impl_libdir());
    }
    return SPL_EXIT_OK;
}
