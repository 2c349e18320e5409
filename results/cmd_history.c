/*
 * cmd_history.c - `splsuite history ROW`: a row's figure over every stored
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
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "history"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: splsuite history [OPTIONS] ROW\n"
            "\n"
            "A row's figure over every run in the results store (splsuite db), oldest first, and\n"
            "its change points: e-divisive means (Matteson and James 2014, as MongoDB's CI and\n"
            "Apache Otava use) over the series, each kept when a permutation test gives p < alpha\n"
            "and the mean moved by at least --min-change percent. A drift spread over many runs is\n"
            "found even when no two neighbouring runs differ. ROW is WORKLOAD/CASE as in\n"
            "`splsuite db rows`: ops/set/v:64/fill:50, wake/bus, conform rows have no figure.\n"
            "\n"
            "Options:\n"
            "      --db URL            the results store (default $SPLSUITE_DB, else\n"
            "                          ~/.local/share/splinter-suite/results.db)\n"
            "  -i, --impl LABEL        the implementation (needed when the row has several)\n"
            "  -m, --machine NAME      host name or machine fingerprint (needed when runs come from\n"
            "                          several machines: a series never mixes machines)\n"
            "      --figure F          median (default: the row's own figure) or cpu (task-clock\n"
            "                          ns/op, ops rows: steadier on a loaded machine)\n"
            "  -n, --last N            only the N most recent runs\n"
            "  -a, --alpha P           significance of a change point (default 0.05)\n"
            "      --permutations N    shuffles per test (default 999)\n"
            "      --min-change PCT    ignore changes of the mean below PCT percent (default 5)\n"
            "      --seed N            of the shuffles (default fixed: same store, same answer)\n"
            "      --fail-worse        exit 1 when a change point went the bad way\n"
            "      --json              splsuite-history/1 JSON on stdout\n"
            "  -h, --help\n"
            "\n"
            "Exit status: 0 analysed (1 with --fail-worse and a change for the worse), 1 no such row\n"
            "or the store failed, 2 usage (an ambiguous --impl or --machine lists the choices).\n"
            "\n"
            "Examples:\n"
            "  splsuite history --db results.db ops/set/v:64/fill:50 --impl ref\n"
            "  splsuite history ops/get/v:64/fill:50 -i ref --figure cpu --last 50 --json\n"
            "  splsuite plot --history ops/set/v:64/fill:50 --impl ref --db results.db -o set.png\n");
}

enum { O_DB = 256, O_FIG, O_PERMS, O_MINCH, O_SEED, O_FAILW, O_JSON };

static int num_opt(const char *name, const char *s, double lo, double hi, double *v)
{
    char *e;
    errno = 0;
    *v = strtod(s, &e);
    if (*e || errno || !isfinite(*v) || *v < lo || *v > hi) {
        spl_err(CMD, "--%s: a number in [%g, %g], got '%s'", name, lo, hi, s);
        return -1;
    }
    return 0;
}

int cmd_history(int argc, char **argv)
{
    static const struct option lo[] = {
        {"db", required_argument, 0, O_DB}, {"impl", required_argument, 0, 'i'},
        {"machine", required_argument, 0, 'm'}, {"figure", required_argument, 0, O_FIG},
        {"last", required_argument, 0, 'n'}, {"alpha", required_argument, 0, 'a'},
        {"permutations", required_argument, 0, O_PERMS}, {"min-change", required_argument, 0, O_MINCH},
        {"seed", required_argument, 0, O_SEED}, {"fail-worse", no_argument, 0, O_FAILW},
        {"json", no_argument, 0, O_JSON}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    struct hist_query q;
    hist_query_defaults(&q);
    bool json = false, fail_worse = false;
    const char *url = NULL;
    double v;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "i:m:n:a:h", lo, NULL)) != -1) {
        switch (c) {
        case O_DB: url = optarg; break;
        case 'i': q.impl = optarg; break;
        case 'm': q.machine = optarg; break;
        case O_FIG:
            if (strcmp(optarg, "median") && strcmp(optarg, "cpu")) { spl_err(CMD, "--figure: median or cpu"); return SPL_EXIT_USAGE; }
            q.cpu = !strcmp(optarg, "cpu");
            break;
        case 'n': if (num_opt("last", optarg, 2, 1e6, &v)) return SPL_EXIT_USAGE; q.last = (size_t)v; break;
        case 'a': if (num_opt("alpha", optarg, 1e-6, 0.5, &v)) return SPL_EXIT_USAGE; q.ed.alpha = v; break;
        case O_PERMS: if (num_opt("permutations", optarg, 19, 1e6, &v)) return SPL_EXIT_USAGE; q.ed.perms = (unsigned)v; break;
        case O_MINCH: if (num_opt("min-change", optarg, 0, 1e6, &v)) return SPL_EXIT_USAGE; q.min_change_pct = v; break;
        case O_SEED: q.ed.seed = strtoull(optarg, NULL, 0); break;
        case O_FAILW: fail_worse = true; break;
        case O_JSON: json = true; break;
        case 'h': usage(stdout); return SPL_EXIT_OK;
        default: usage(stderr); return SPL_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        spl_err(CMD, argc == optind ? "which row? (splsuite db rows lists them)" : "one ROW at a time");
        return SPL_EXIT_USAGE;
    }
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
    if (json) {
        json_object *d = spl_envelope_wrap(&env, hist_json(&s, &q));
        printf("%s\n", json_object_to_json_string_ext(d, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(d);
    } else {
        hist_print(&s, &q, stdout);
    }
    bool worse = false;
    for (size_t i = 0; i < s.ncp; i++) worse |= s.cp[i].worse;
    hist_free(&s);
    return fail_worse && worse ? SPL_EXIT_FAIL : SPL_EXIT_OK;
}
