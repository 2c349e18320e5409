/*
 * cmd_compare.c - `splsuite compare OLD.json NEW.json`: every row present in
 * both runs side by side, its change, a Mann-Whitney U test over the
 * repetitions and a verdict; exit 1 when a row got worse.
 */
#include "commands.h"
#include "compare.h"
#include "envelope.h"
#include "rows.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "compare"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: splsuite compare [OPTIONS] OLD.json NEW.json\n"
            "       splsuite compare [OPTIONS] --old-impl A --new-impl B RUN.json [NEW.json]\n"
            "\n"
            "Compares two results documents (splsuite bench --json, conform --json, perf-gate.json)\n"
            "row by row. A row is (workload, case, implementation); for each row present in both:\n"
            "the medians, the change, a two-sided Mann-Whitney U test over the repetitions, and a\n"
            "verdict: better, worse, no change, or not comparable (with the reason: a side missing\n"
            "or not measured, units differ). A row is worse or better when its median moved by at\n"
            "least --threshold percent in its unit's direction AND p < --alpha. With repetitions too\n"
            "few for any p below alpha (3 against 3: p >= 0.1) a row cannot be judged: use bench -r 5+.\n"
            "\n"
            "Options:\n"
            "  -t, --threshold PCT   smallest change of a median that counts (default 5)\n"
            "  -a, --alpha P         significance level of the U test (default 0.05)\n"
            "      --old-impl LABEL  only OLD's rows of this implementation...\n"
            "      --new-impl LABEL  ...matched with NEW's rows of this one (one file: both from it,\n"
            "                        as compare.py's filters mode)\n"
            "      --json            splsuite-compare/1 JSON on stdout\n"
            "      --markdown        Markdown for a pull-request comment on stdout\n"
            "  -o, --output FILE     write the JSON or Markdown there; the table still goes to stdout\n"
            "      --all             list unchanged rows in the table too\n"
            "  -h, --help\n"
            "\n"
            "Exit status: 0 nothing got worse, 1 a row got worse (or no row could be compared),\n"
            "2 usage or unreadable input.\n"
            "\n"
            "Examples:\n"
            "  splsuite compare main.json branch.json\n"
            "  splsuite compare --threshold 10 --markdown -o comment.md main.json branch.json\n"
            "  splsuite compare --old-impl ref --new-impl libsplinter.so run.json\n");
}

enum { O_OLDI = 256, O_NEWI, O_JSON, O_MD, O_ALL };

static int parse_pct(const char *s, double *v, double lo, double hi)
{
    char *e;
    errno = 0;
    *v = strtod(s, &e);
    return *e || errno || !isfinite(*v) || *v < lo || *v > hi ? -1 : 0;
}

int cmd_compare(int argc, char **argv)
{
    static const struct option lo[] = {
        {"threshold", required_argument, 0, 't'}, {"alpha", required_argument, 0, 'a'},
        {"old-impl", required_argument, 0, O_OLDI}, {"new-impl", required_argument, 0, O_NEWI},
        {"json", no_argument, 0, O_JSON}, {"markdown", no_argument, 0, O_MD},
        {"output", required_argument, 0, 'o'}, {"all", no_argument, 0, O_ALL},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    struct cmp_opts co = {.threshold_pct = 5, .alpha = 0.05};
    bool json = false, md = false, all = false;
    const char *out_path = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "t:a:o:h", lo, NULL)) != -1) {
        switch (c) {
        case 't':
            if (parse_pct(optarg, &co.threshold_pct, 0, 1e6)) { spl_err(CMD, "--threshold: a percentage >= 0, got '%s'", optarg); return SPL_EXIT_USAGE; }
            break;
        case 'a':
            if (parse_pct(optarg, &co.alpha, 1e-12, 0.5)) { spl_err(CMD, "--alpha: a probability in (0, 0.5], got '%s'", optarg); return SPL_EXIT_USAGE; }
            break;
        case O_OLDI: co.old_impl = optarg; break;
        case O_NEWI: co.new_impl = optarg; break;
        case O_JSON: json = true; break;
        case O_MD: md = true; break;
        case 'o': out_path = optarg; break;
        case O_ALL: all = true; break;
        case 'h': usage(stdout); return SPL_EXIT_OK;
        default: usage(stderr); return SPL_EXIT_USAGE;
        }
    }
    int nfiles = argc - optind;
    if (json && md) { spl_err(CMD, "--json and --markdown: choose one"); return SPL_EXIT_USAGE; }
    if (out_path && !json && !md) { spl_err(CMD, "-o needs --json or --markdown"); return SPL_EXIT_USAGE; }
    if (co.new_impl && !co.old_impl) { spl_err(CMD, "--new-impl needs --old-impl"); return SPL_EXIT_USAGE; }
    if (nfiles != 2 && !(nfiles == 1 && co.old_impl)) {
        spl_err(CMD, nfiles < 2 ? "needs OLD.json and NEW.json (or one file with --old-impl/--new-impl)"
                                : "compares two documents: OLD.json NEW.json");
        usage(stderr);
        return SPL_EXIT_USAGE;
    }
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
    FILE *out = stdout;
    if (out_path && !(out = fopen(out_path, "w"))) {
        spl_err(CMD, "-o %s: %s", out_path, strerror(errno));
        rc = SPL_EXIT_FAIL;
        out = NULL;
    }
    if (out && json) {
        json_object *doc = spl_envelope_wrap(&env, cmp_json(&cm, &a, &b));
        fprintf(out, "%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(doc);
    } else if (out && md) {
        cmp_markdown(&cm, &a, &b, out);
    }
    if (out && out != stdout && fclose(out) != 0) {
        spl_err(CMD, "-o %s: %s", out_path, strerror(errno));
        rc = SPL_EXIT_FAIL;
    }
    if ((!json && !md) || out_path) cmp_text(&cm, &a, &b, stdout, spl_isatty_out(), all);
    cmp_free(&cm);
    rdoc_free(&a);
    rdoc_free(&b);
    return rc;
}
