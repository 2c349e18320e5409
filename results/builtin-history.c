/*
 * builtin-history.c - `splsuite history ROW`: a row's figure over every stored
 * run, in date order, and its change points by e-divisive means with a
 * permutation test (lib/edivisive.h), so a slow drift over many commits is
 * found even when no two neighbouring runs differ.
 */
#include "commands.h"
#include "db.h"
#include "edivisive.h"
#include "envelope.h"
#include "history.h"
#include "util.h"

#include <errno.h>
#include "opt.h"
#include "outfile.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "history"

static const char *const figures[] = {"median", "cpu", NULL};
static struct {
    const char *db, *impl, *machine, *output;
    int figure;
    uint64_t last, perms, seed;
    double alpha, min_change;
    bool fail_worse, json, last_set, seed_set;
} H;

static const struct spl_opt history_opts[] = {
    {"db", 0, SPL_OPT_STR, SPL_OPT_DEST(H.db), "URL", "the results store",
     .def_help = "$SPLSUITE_DB, else ~/.local/share/splinter-suite/results.db"},
    {"impl", 'i', SPL_OPT_STR, SPL_OPT_DEST(H.impl), "LABEL", "the implementation (needed when the row has several)"},
    {"machine", 0, SPL_OPT_STR, SPL_OPT_DEST(H.machine), "NAME",
     "host name or machine fingerprint (needed when runs come from several machines: a series never mixes machines)"},
    {"figure", 0, SPL_OPT_CHOICE, SPL_OPT_DEST(H.figure), "F",
     "median (the row's own figure) or cpu (task-clock ns/op, ops rows: steadier on a loaded machine)", .def = "median",
     .choices = figures},
    {"last", 0, SPL_OPT_UINT, SPL_OPT_DEST(H.last), "N", "only the N most recent runs", .min = 2, .max = 1000000,
     .seen = &H.last_set},
    {"alpha", 'a', SPL_OPT_REAL, SPL_OPT_DEST(H.alpha), "P", "significance of a change point", .def = "0.05", .rmin = 1e-6,
     .rmax = 0.5},
    {"permutations", 0, SPL_OPT_UINT, SPL_OPT_DEST(H.perms), "N", "shuffles per test", .def = "999", .min = 19, .max = 1000000},
    {"min-change", 0, SPL_OPT_REAL, SPL_OPT_DEST(H.min_change), "PCT", "ignore changes of the mean below PCT percent",
     .def = "5", .rmin = 0, .rmax = 1e6},
    {"seed", 's', SPL_OPT_UINT, SPL_OPT_DEST(H.seed), "N", "of the shuffles (same store, same answer)",
     .def_help = "fixed", .seen = &H.seed_set},
    {"fail-worse", 0, SPL_OPT_FLAG, SPL_OPT_DEST(H.fail_worse), NULL, "exit 1 when a change point went the bad way"},
    {"json", 'j', SPL_OPT_FLAG, SPL_OPT_DEST(H.json), NULL, "splsuite-history/1 JSON on stdout"},
    {"output", 'o', SPL_OPT_STR, SPL_OPT_DEST(H.output), "FILE", "write the JSON to FILE ('-': stdout); the table still goes to stdout"},
    {0},
};

static const struct spl_cmd history_cmd = {
    .name = "history",
    .usage = "[OPTIONS] ROW",
    .about = "A row's figure over every run in the results store (splsuite db), oldest first, and\n"
             "its change points: e-divisive means (Matteson and James 2014, as MongoDB's CI and\n"
             "Apache Otava use) over the series, each kept when a permutation test gives p < alpha\n"
             "and the mean moved by at least --min-change percent. A drift spread over many runs is\n"
             "found even when no two neighbouring runs differ. ROW is WORKLOAD/CASE as in\n"
             "`splsuite db rows`: ops/set/v:64/fill:50, wake/bus, conform rows have no figure.",
    .opts = history_opts,
    .examples = "splsuite history --db results.db ops/set/v:64/fill:50 --impl ref\n"
                "splsuite history ops/get/v:64/fill:50 -i ref --figure cpu --last 50 --json\n"
                "splsuite plot --history ops/set/v:64/fill:50 --impl ref --db results.db --outdir plots",
    .exit_ok = "analysed",
    .exit_fail = "with --fail-worse a change for the worse; or no such row, or the store failed",
    .exit_more = "       (2 also: an ambiguous --impl or --machine, with the choices listed)\n",
};

int cmd_history(int argc, char **argv)
{
    memset(&H, 0, sizeof H);
    int optind, rc0 = spl_opt_parse(&history_cmd, argc, argv, &optind);
    if (rc0 != SPL_OPT_OK) return rc0 == SPL_OPT_HELP ? SPL_EXIT_OK : rc0;
    struct hist_query q;
    hist_query_defaults(&q);
    q.impl = H.impl;
    q.machine = H.machine;
    q.cpu = H.figure == 1;
    if (H.last_set) q.last = (size_t)H.last;
    q.ed.alpha = H.alpha;
    q.ed.perms = (unsigned)H.perms;
    q.min_change_pct = H.min_change;
    if (H.seed_set) q.ed.seed = H.seed;
    bool json = H.json, fail_worse = H.fail_worse;
    const char *url = H.db;
    if (argc - optind != 1)
        return spl_opt_error(&history_cmd, argc == optind ? "which row? (splsuite db rows lists them)" : "one ROW at a time");
    static struct spl_envelope env;
    spl_envelope_init(&env, "splsuite-history/1");
    struct rdb db;
    char err[1400];
    if (rdb_open(url ? url : rdb_default_url(), &db, err, sizeof err) != 0) {
        spl_err(CMD, "%s", err);
        return SPL_EXIT_FAIL;
    }
    struct hist_series s;
    int rc = hist_load(&db, argv[optind], &q, &s, err, sizeof err);
    rdb_close(&db);
    if (rc != 0) {
        spl_err(CMD, "%s", err);
        return rc == -2 ? SPL_EXIT_USAGE : SPL_EXIT_FAIL;
    }
    if (hist_analyse(&s, &q) != 0) {
        spl_err(CMD, "out of memory, or more than %d runs (use --last)", ED_MAX_POINTS);
        hist_free(&s);
        return SPL_EXIT_FAIL;
    }
    int wrc = SPL_EXIT_OK;
    if (json || H.output) {
        json_object *d = spl_envelope_wrap(&env, hist_json(&s, &q));
        if (json) printf("%s\n", json_object_to_json_string_ext(d, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        if (H.output && spl_outfile_json(H.output, d, err, sizeof err) != 0) {
            spl_err(CMD, "cannot write %s", err);
            wrc = SPL_EXIT_OUTPUT;
        }
        json_object_put(d);
    }
    if (!json) hist_print(&s, &q, stdout);
    bool worse = false;
    for (size_t i = 0; i < s.ncp; i++) worse |= s.cp[i].worse;
    hist_free(&s);
    return wrc ? wrc : fail_worse && worse ? SPL_EXIT_FAIL : SPL_EXIT_OK;
}
