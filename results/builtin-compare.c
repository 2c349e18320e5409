/*
 * builtin-compare.c - `splsuite compare OLD.json NEW.json`: every row present in
 * both runs side by side, its change, a Mann-Whitney U test over the
 * repetitions and a verdict; exit 1 when a row got worse.
 */
#include "commands.h"
#include "compare.h"
#include "envelope.h"
#include "rows.h"
#include "util.h"

#include <errno.h>
#include "opt.h"
#include "outfile.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "compare"

static struct {
    double threshold, alpha;
    const char *old_impl, *new_impl, *out_path;
    bool json, md, all;
} C;

static const struct spl_opt compare_opts[] = {
    {"threshold", 't', SPL_OPT_REAL, SPL_OPT_DEST(C.threshold), "PCT", "smallest change of a median that counts", .def = "5",
     .rmin = 0, .rmax = 1e6},
    {"alpha", 'a', SPL_OPT_REAL, SPL_OPT_DEST(C.alpha), "P", "significance level of the U test", .def = "0.05",
     .rmin = 1e-12, .rmax = 0.5},
    {"old-impl", 0, SPL_OPT_STR, SPL_OPT_DEST(C.old_impl), "LABEL", "only OLD's rows of this implementation..."},
    {"new-impl", 0, SPL_OPT_STR, SPL_OPT_DEST(C.new_impl), "LABEL",
     "...matched with NEW's rows of this one (one file: both from it, as compare.py's filters mode)"},
    {"json", 'j', SPL_OPT_FLAG, SPL_OPT_DEST(C.json), NULL, "splsuite-compare/1 JSON on stdout"},
    {"markdown", 0, SPL_OPT_FLAG, SPL_OPT_DEST(C.md), NULL, "Markdown for a pull-request comment on stdout"},
    {"output", 'o', SPL_OPT_STR, SPL_OPT_DEST(C.out_path), "FILE", "write the JSON or Markdown there; the table still goes to stdout"},
    {"all", 0, SPL_OPT_FLAG, SPL_OPT_DEST(C.all), NULL, "list unchanged rows in the table too"},
    {0},
};

static const struct spl_cmd compare_cmd = {
    .name = "compare",
    .usage = "[OPTIONS] OLD.json NEW.json\n[OPTIONS] --old-impl A --new-impl B RUN.json [NEW.json]",
    .about = "Compares two results documents (splsuite bench --json, conform --json, perf-gate.json)\n"
             "row by row. A row is (workload, case, implementation); for each row present in both:\n"
             "the medians, the change, a two-sided Mann-Whitney U test over the repetitions, and a\n"
             "verdict: better, worse, no change, or not comparable (with the reason: a side missing\n"
             "or not measured, units differ). A row is worse or better when its median moved by at\n"
             "least --threshold percent in its unit's direction AND p < --alpha. With repetitions too\n"
             "few for any p below alpha (3 against 3: p >= 0.1) a row cannot be judged: use bench -r 5+.",
    .opts = compare_opts,
    .examples = "splsuite compare main.json branch.json\n"
                "splsuite compare --threshold 10 --markdown -o comment.md main.json branch.json\n"
                "splsuite compare --old-impl ref --new-impl libsplinter.so run.json",
    .exit_ok = "nothing got worse",
    .exit_fail = "a row got worse (or no row could be compared)",
    .exit_more = "       (2 also: unreadable input)\n",
};

int cmd_compare(int argc, char **argv)
{
    memset(&C, 0, sizeof C);
    int optind, rc0 = spl_opt_parse(&compare_cmd, argc, argv, &optind);
    if (rc0 != SPL_OPT_OK) return rc0 == SPL_OPT_HELP ? SPL_EXIT_OK : rc0;
    struct cmp_opts co = {.threshold_pct = C.threshold, .alpha = C.alpha, .old_impl = C.old_impl, .new_impl = C.new_impl};
    bool json = C.json, md = C.md, all = C.all;
    const char *out_path = C.out_path;
    int nfiles = argc - optind;
    if (json && md) return spl_opt_error(&compare_cmd, "--json and --markdown: choose one");
    if (out_path && !json && !md) return spl_opt_error(&compare_cmd, "-o needs --json or --markdown");
    if (co.new_impl && !co.old_impl) return spl_opt_error(&compare_cmd, "--new-impl needs --old-impl");
    if (nfiles != 2 && !(nfiles == 1 && co.old_impl))
        return spl_opt_error(&compare_cmd, nfiles < 2 ? "needs OLD.json and NEW.json (or one file with --old-impl/--new-impl)"
                                                      : "compares two documents: OLD.json NEW.json");
    static struct spl_envelope env;
    spl_envelope_init(&env, "splsuite-compare/1");
    char err[1400];
    struct rdoc a, b;
    if (rdoc_load(argv[optind], &a, err, sizeof err) != 0) { spl_err(CMD, "%s", err); return SPL_EXIT_USAGE; }
    const char *bpath = nfiles == 2 ? argv[optind + 1] : argv[optind];
    if (rdoc_load(bpath, &b, err, sizeof err) != 0) {
        spl_err(CMD, "%s", err);
        rdoc_free(&a);
        return SPL_EXIT_USAGE;
    }
    struct cmp cm;
    if (cmp_run(&a, &b, &co, &cm) != 0) {
        spl_err(CMD, "out of memory");
        rdoc_free(&a);
        rdoc_free(&b);
        return SPL_EXIT_FAIL;
    }
    int rc = cm.count[CV_WORSE] ? SPL_EXIT_FAIL : SPL_EXIT_OK;
    size_t compared = cm.count[CV_WORSE] + cm.count[CV_BETTER] + cm.count[CV_SAME];
    if (compared == 0) {
        spl_err(CMD, "no row could be compared (%zu not comparable): %s", cm.count[CV_NA],
                cm.n ? cm.rows[0].reason : "no rows selected");
        rc = SPL_EXIT_FAIL;
    }
    struct spl_outfile of;
    char oerr[600];
    FILE *out = stdout;
    if (out_path) {
        if (spl_outfile_open(&of, out_path, oerr, sizeof oerr) != 0) {
            spl_err(CMD, "cannot write %s", oerr);
            rc = SPL_EXIT_OUTPUT;
            out = NULL;
        } else {
            out = of.f;
        }
    }
    if (out && json) {
        json_object *doc = spl_envelope_wrap(&env, cmp_json(&cm, &a, &b));
        fprintf(out, "%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(doc);
    } else if (out && md) {
        cmp_markdown(&cm, &a, &b, out);
    }
    if (out && out_path && spl_outfile_close(&of, oerr, sizeof oerr) != 0) {
        spl_err(CMD, "cannot write %s", oerr);
        rc = SPL_EXIT_OUTPUT;
    }
    if ((!json && !md) || out_path) cmp_text(&cm, &a, &b, stdout, spl_isatty_out(), all);
    cmp_free(&cm);
    rdoc_free(&a);
    rdoc_free(&b);
    return rc;
}
