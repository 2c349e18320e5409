/*
 * builtin-torture.c - `splsuite torture`: options, then the supervisor (torture_run.c).
 */
#include "proc.h"
#include "splref.h"
#include "torture.h"

#include <errno.h>
#include "opt.h"
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static struct tt_ctx ctx;
static const char *impl_spec, *store_dir;
static const char *flush_names[17];
static const char *const crash_modes[] = {"auto", "loop", "kill", NULL};

/* --bid-mix C:R:L:M:D */
static int parse_mix(const char *s, void *dest, char *err, size_t errlen)
{
    uint32_t *mix = dest;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL, *t = strtok_r(buf, ":", &save);
    for (int i = 0; i < 5; i++, t = strtok_r(NULL, ":", &save)) {
        uint64_t v;
        if (!t || spl_opt_uint(t, 0, 1000000, &v, err, errlen) != 0) {
            snprintf(err, errlen, "want five weights C:R:L:M:D (claim, rebid, release, madvise, dontneed storm)");
            return -1;
        }
        mix[i] = (uint32_t)v;
    }
    if (t) return snprintf(err, errlen, "want five weights, got more"), -1;
    if (!mix[0]) return snprintf(err, errlen, "the claim weight C must be > 0"), -1;
    return 0;
}

#define O (ctx.o)
static const struct spl_opt torture_opts[] = {
    {"impl", 'i', SPL_OPT_STR, SPL_OPT_DEST(impl_spec), "SPEC", "ref, ref-file, mut:NAME, mut-file:NAME or a .so path",
     .def = "ref", .group = "Implementation"},
    {"store-dir", 0, SPL_OPT_STR, SPL_OPT_DEST(store_dir), "DIR", "where a file-backed store is made",
     .def_help = "$TMPDIR, else /tmp"},
    {"writers", 0, SPL_OPT_UINT, SPL_OPT_DEST(O.nkind[TT_WRITER]), "N", "writer processes; key k belongs to writer k % N",
     .def = "2", .min = 1, .max = 64, .group = "Population"},
    {"readers", 0, SPL_OPT_UINT, SPL_OPT_DEST(O.nkind[TT_READER]), "N", "reader processes", .def = "2", .min = 1, .max = 64},
    {"bidders", 0, SPL_OPT_UINT, SPL_OPT_DEST(O.nkind[TT_BIDDER]), "N",
     "shard bidders: claim, rebid, release, madvise, DONTNEED storms (at most 8 bid)", .def = "1", .max = 64},
    {"keys", 0, SPL_OPT_UINT, SPL_OPT_DEST(O.keys), "N", "keys", .def = "64", .min = 1, .max = 1u << 20},
    {"slots", 0, SPL_OPT_UINT, SPL_OPT_DEST(O.slots), "N", "store slots", .def_help = "2 x keys", .min = 1, .max = 1u << 22},
    {"min-size", 0, SPL_OPT_UINT, SPL_OPT_DEST(O.min_size), "B", "smallest value", .def = "32", .min = 32, .max = 1u << 26},
    {"max-size", 0, SPL_OPT_UINT, SPL_OPT_DEST(O.max_size), "B", "largest value", .def = "256", .min = 32, .max = 1u << 26},
    {"bid-mix", 0, SPL_OPT_CALL, .dest = &O.bid_mix, .arg = "C:R:L:M:D",
     .help = "weights of claim, rebid, release, madvise, dontneed storm", .def = "4:2:2:6:1", .parse = parse_mix},
    {"duration", 'd', SPL_OPT_DURATION, SPL_OPT_DEST(O.duration_ns), "TIME", "run time", .def = "20s", .min = 1000000,
     .max = 7 * 86400000000000ull, .group = "Chaos"},
    {"kill-interval", 0, SPL_OPT_DURATION, SPL_OPT_DEST(O.kill_ns), "TIME",
     "mean time between SIGKILLs, exponential; 0: no killer", .def = "5ms", .max = 60000000000ull},
    {"stuck-bound", 0, SPL_OPT_DURATION, SPL_OPT_DEST(O.stuck_ns), "TIME",
     "a slot odd this long with its writer dead is stuck", .def = "20ms", .min = 1000, .max = 60000000000ull},
    {"crash-cycles", 0, SPL_OPT_UINT, SPL_OPT_DEST(O.crash_cycles), "N", "kill everything and reopen N times during the run",
     .def = "0", .max = 10000},
    {"crash-mode", 0, SPL_OPT_CHOICE, SPL_OPT_DEST(O.crash_mode), "MODE",
     "auto: a power cut when possible; loop: a power cut or skip; kill: kill and reopen", .def = "auto", .choices = crash_modes},
    {"flush-every", 0, SPL_OPT_UINT, SPL_OPT_DEST(O.flush_every), "N", "file backend: a writer flushes after N sets",
     .def = "32", .min = 1, .max = UINT32_MAX},
    {"flush", 0, SPL_OPT_CHOICE, SPL_OPT_DEST(O.flush_strategy), "STRATEGY", "how writers flush", .def = "fdatasync",
     .choices = flush_names},
    {"seed", 's', SPL_OPT_UINT, SPL_OPT_DEST(O.seed), "N", "PRNG seed (printed in the banner)", .def_help = "from the clock",
     .seen = &ctx.seed_set},
    {"stat-interval", 0, SPL_OPT_DURATION, SPL_OPT_DEST(O.stat_ns), "TIME", "stat line period", .def = "5s",
     .min = 1000000, .max = 86400000000000ull, .group = "Reporting"},
    {"check-interval", 0, SPL_OPT_DURATION, SPL_OPT_DEST(O.check_ns), "TIME", "fsck checkpoint period", .def = "1s",
     .min = 1000000, .max = 86400000000000ull},
    {"json", 'j', SPL_OPT_FLAG, SPL_OPT_DEST(O.json), NULL, "JSON summary on stdout (stat lines go to stderr)"},
    {"output", 'o', SPL_OPT_STR, SPL_OPT_DEST(O.output), "FILE", "also write the JSON summary to FILE ('-': stdout)"},
    {"keep", 0, SPL_OPT_FLAG, SPL_OPT_DEST(O.keep), NULL, "keep the store afterwards (not with a power-cut disk)"},
    {"trace", 0, SPL_OPT_FLAG, SPL_OPT_DEST(O.trace), NULL,
     "eBPF madvise/eventfd/splinter_madvise figures of all workers after the verdict (\"kernel_trace\" in the JSON); "
     "needs root and the bpf part"},
    {0},
};
#undef O

static const struct spl_cmd torture_cmd = {
    .name = "torture",
    .about = "Forks writers, readers and bidders on one store, SIGKILLs them at random and\n"
             "respawns them, and checks continuously that no torn or foreign value is ever\n"
             "returned, per-key sequences never go backwards, completed writes are never lost,\n"
             "slots left odd by killed writers are found, refused to readers (EAGAIN) and\n"
             "recovered with splinter_retrain_slot, and the store's bytes pass fsck. Persistent\n"
             "stores also go through crash cycles: kill everything, cut the power (loop-mounted\n"
             "ext4, root only), reopen, and verify every value a completed flush covered.\n"
             "\n"
             "Output follows rcutorture: a banner with every parameter, periodic stat lines\n"
             "('!!!' once anything failed, '?\?\?' for a worker without forward progress), the\n"
             "reader pipe and retry histograms, then 'End of test: SUCCESS', 'FAILURE' (with the\n"
             "first counterexample) or 'INTERRUPTED' (never SUCCESS when stopped early).",
    .opts = torture_opts,
    .examples = "splsuite torture --duration 20s\n"
                "splsuite torture --impl ref-file --crash-cycles 3 --duration 30s\n"
                "splsuite torture --impl mut:torn_write --duration 5s      # must end in FAILURE\n"
                "nice splsuite torture --duration 10m --kill-interval 2ms --stat-interval 30s -o run.json",
    .exit_ok = "End of test: SUCCESS",
    .exit_fail = "End of test: FAILURE, or the implementation crashed, hung or failed in the probe",
};

/* The implementation crashed, hung or failed while being probed: the run's
 * verdict, in the run's own format. */
static int probe_failed(const struct tt_opts *o, const char *why)
{
    if (o->json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "impl", json_object_new_string(o->impl));
        json_object_object_add(j, "verdict", json_object_new_string("FAILURE"));
        json_object_object_add(j, "first_failure", json_object_new_string(why));
        puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
    } else {
        printf("!!! splsuite-torture: first failure: %s\n", why);
        printf("splsuite-torture:--- End of test: FAILURE: impl=%s seed=%llu\n", o->impl, (unsigned long long)o->seed);
    }
    return SPL_EXIT_FAIL;
}

int cmd_torture(int argc, char **argv)
{
    struct tt_ctx *c = &ctx;
    memset(c, 0, sizeof *c);
    struct tt_opts *o = &c->o;
    for (int i = 0; i < spl_flush_nstrategies && i < 16; i++) flush_names[i] = spl_flush_strategy_name(i);
    int first, rc = spl_opt_parse(&torture_cmd, argc, argv, &first);
    if (rc != SPL_OPT_OK) return rc == SPL_OPT_HELP ? SPL_EXIT_OK : rc;
    if (first != argc) return spl_opt_error(&torture_cmd, "unexpected argument '%s'", argv[first]);
    snprintf(o->impl, sizeof o->impl, "%s", impl_spec);
    if (!c->seed_set) o->seed = spl_seed_from_time();
    /* every option that changes the run, so a failure can be run again */
    char d[5][32];
    snprintf(c->repro, sizeof c->repro,
             "splsuite torture --impl %s --seed %llu --duration %s --writers %u --readers %u --bidders %u --keys %u%s%.0u"
             " --min-size %u --max-size %u --bid-mix %u:%u:%u:%u:%u --kill-interval %s --stuck-bound %s"
             " --crash-cycles %u --crash-mode %s --flush-every %u --flush %s --stat-interval %s --check-interval %s%s%s",
             o->impl, (unsigned long long)o->seed, spl_opt_duration_text(o->duration_ns, d[0], sizeof d[0]),
             o->nkind[TT_WRITER], o->nkind[TT_READER], o->nkind[TT_BIDDER], o->keys, o->slots ? " --slots " : "",
             o->slots, o->min_size, o->max_size, o->bid_mix[0], o->bid_mix[1], o->bid_mix[2], o->bid_mix[3],
             o->bid_mix[4], spl_opt_duration_text(o->kill_ns, d[1], sizeof d[1]),
             spl_opt_duration_text(o->stuck_ns, d[2], sizeof d[2]), o->crash_cycles, crash_modes[o->crash_mode],
             o->flush_every, flush_names[o->flush_strategy], spl_opt_duration_text(o->stat_ns, d[3], sizeof d[3]),
             spl_opt_duration_text(o->check_ns, d[4], sizeof d[4]), store_dir ? " --store-dir " : "", store_dir ? store_dir : "");
    if (store_dir) {
        char why[300];
        if (spl_store_dir_problem(store_dir, 1u << 20, why, sizeof why))
            return spl_opt_error(&torture_cmd, "--store-dir '%s': %s", store_dir, why);
        spl_set_store_dir(store_dir);
    }
    if (o->min_size > o->max_size) return spl_opt_error(&torture_cmd, "--min-size %u > --max-size %u", o->min_size, o->max_size);
    if (o->keys < o->nkind[TT_WRITER])
        return spl_opt_error(&torture_cmd, "--keys %u: every writer needs a key (%u writers)", o->keys, o->nkind[TT_WRITER]);
    uint32_t slots = o->slots ? o->slots : 2 * o->keys;
    if (slots < o->keys) return spl_opt_error(&torture_cmd, "--slots %u cannot hold %u keys", slots, o->keys);

    char err[1024];
    if (spl_impl_load(o->impl, &c->im, err, sizeof err) != 0) {
        if (c->im.at_fault) return probe_failed(o, err);
        spl_err("torture", "%s", err);
        return SPL_EXIT_USAGE;
    }
    static const char *const core[] = {"create", "open", "close", "set", "get", NULL};
    const char *miss = spl_impl_missing(&c->im, core);
    if (miss) { spl_err("torture", "%s does not export splinter_%s", c->im.path, miss); return SPL_EXIT_SKIP; }
    if (!c->im.retrain_slot) fprintf(stderr, "splsuite torture: %s lacks splinter_retrain_slot: stuck slots cannot be recovered and will fail the run\n", c->im.label);
    static const char *const bids[] = {"shard_claim", "shard_rebid", "shard_release", NULL};
    if (o->nkind[TT_BIDDER] && (miss = spl_impl_missing(&c->im, bids))) {
        fprintf(stderr, "splsuite torture: no bidders: %s lacks splinter_%s\n", c->im.label, miss);
        o->nkind[TT_BIDDER] = 0;
    }
    if (o->nkind[TT_BIDDER] > 8) {
        fprintf(stderr, "splsuite torture: --bidders %u: capped at 8 (4 shard ids each fill the 32-record table)\n", o->nkind[TT_BIDDER]);
        o->nkind[TT_BIDDER] = 8;
    }
    if (!c->im.madvise) o->bid_mix[3] = o->bid_mix[4] = 0;
    if (c->im.backend == SPL_BACKEND_FILE && c->im.flush) c->durability = true;
    else c->durability_why = c->im.backend != SPL_BACKEND_FILE ? "shm backend: nothing to flush"
                                                                : "implementation does not export splinter_flush";
    spl_impl_store_name(&c->im, "torture", c->store, sizeof c->store);

    uint32_t nw = o->nkind[0] + o->nkind[1] + o->nkind[2];
    c->sh_len = sizeof(struct tt_shared) + nw * sizeof(struct tt_worker) + o->keys * sizeof(struct tt_key);
    c->sh = spl_shared_alloc(c->sh_len);
    if (!c->sh) { spl_err("torture", "shared memory: %s", strerror(errno)); return SPL_EXIT_FAIL; }
    c->sh->nkeys = o->keys;
    c->sh->nworkers = nw;
    c->sh->workers = (struct tt_worker *)(c->sh + 1);
    c->sh->keys = (struct tt_key *)(c->sh->workers + nw);
    /* writers first: a key's owner is worker (k % writers) */
    uint32_t wi = 0;
    for (int k = 0; k < TT_NKINDS; k++)
        for (uint32_t i = 0; i < o->nkind[k]; i++, wi++) c->sh->workers[wi].kind = (uint32_t)k, c->sh->workers[wi].index = i;

    /* SIGINT/SIGTERM: workers stop, the store goes, the verdict is INTERRUPTED (exit 130/143) */
    spl_interrupt_catch();
    rc = tt_run(c);
    spl_shared_free(c->sh, c->sh_len);
    return rc;
}
