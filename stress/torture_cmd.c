/*
 * torture_cmd.c - `splsuite torture`: options, then the supervisor (torture_run.c).
 */
#include "proc.h"
#include "splref.h"
#include "torture.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_torture(int argc, char **argv);

static void usage(FILE *f)
{
    fprintf(f,
            "usage: splsuite torture [options]\n"
            "\n"
            "Forks writers, readers and bidders on one store, SIGKILLs them at random and\n"
            "respawns them, and checks continuously that no torn or foreign value is ever\n"
            "returned, per-key sequences never go backwards, completed writes are never lost,\n"
            "slots left odd by killed writers are found, refused to readers (EAGAIN) and\n"
            "recovered with splinter_retrain_slot, and the store's bytes pass fsck. Persistent\n"
            "stores also go through crash cycles: kill everything, cut the power (loop-mounted\n"
            "ext4, root only), reopen, and verify every value a completed flush covered.\n"
            "\n"
            "implementation:\n"
            "  --impl SPEC            ref, ref-file, mut:NAME, mut-file:NAME or a .so (default ref)\n"
            "population:\n"
            "  --writers N            writer processes; key k belongs to writer k %% N (default 2)\n"
            "  --readers N            reader processes (default 2)\n"
            "  --bidders N            shard bidders: claim, rebid, release, madvise, DONTNEED storms (default 1)\n"
            "  --keys N               keys (default 64)    --slots N  store slots (default 2 x keys)\n"
            "  --min-size B, --max-size B   value sizes (default 32..256; at least 32)\n"
            "  --bid-mix C:R:L:M:D    weights of claim, rebid, release, madvise, dontneed storm (default 4:2:2:6:1)\n"
            "chaos:\n"
            "  --duration T           run time (default 20s)\n"
            "  --kill-interval T      mean time between SIGKILLs, exponential (default 5ms; 0 = no killer)\n"
            "  --stuck-bound T        a slot odd this long with its writer dead is stuck (default 20ms)\n"
            "  --crash-cycles N       kill everything and reopen N times during the run (default 0)\n"
            "  --crash-mode MODE      auto (power cut when possible), loop (power cut or skip), kill\n"
            "  --flush-every N        file backend: a writer flushes after N sets (default 32)\n"
            "  --flush STRATEGY       msync, msync-ranges, fdatasync, uring-fsync, uring-ranges (default fdatasync)\n"
            "  --seed N               PRNG seed (default: from the clock; printed in the banner)\n"
            "reporting:\n"
            "  --stat-interval T      stat line period (default 5s)\n"
            "  --check-interval T     fsck checkpoint period (default 1s)\n"
            "  --json                 JSON summary on stdout (stat lines go to stderr)\n"
            "  --keep                 keep the store afterwards (not with a power-cut disk)\n"
            "  --trace                eBPF madvise/eventfd/splinter_madvise figures of all workers after the\n"
            "                         verdict (\"kernel_trace\" in --json); needs root and the bpf part\n"
            "  -h, --help\n"
            "\n"
            "Output follows rcutorture: a banner with every parameter, periodic stat lines\n"
            "('!!!' once anything failed, '?\?\?' for a worker without forward progress), the\n"
            "reader pipe and retry histograms, then 'End of test: SUCCESS' or 'FAILURE' and\n"
            "the first counterexample. Exit 0 success, 1 failure, 2 usage, 77 skipped.\n"
            "\n"
            "examples:\n"
            "  splsuite torture --duration 20s\n"
            "  splsuite torture --impl ref-file --crash-cycles 3 --duration 30s\n"
            "  splsuite torture --impl mut:torn_write --duration 5s      # must end in FAILURE\n"
            "  nice splsuite torture --duration 10m --kill-interval 2ms --stat-interval 30s --json > run.json\n");
}

static int parse_u32(const char *opt, const char *s, uint32_t lo, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || end == s || *end || v < lo || v > UINT32_MAX) {
        spl_err("torture", "%s: want a whole number >= %u, got '%s'", opt, lo, s);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

static int parse_dur(const char *opt, const char *s, bool zero_ok, uint64_t *out)
{
    if (spl_parse_duration(s, out) != 0 || (!zero_ok && *out == 0)) {
        spl_err("torture", "%s: want a duration like 500ms, 20s, 10m; got '%s'", opt, s);
        return -1;
    }
    return 0;
}

static int parse_mix(const char *s, uint32_t mix[5])
{
    unsigned a[5];
    char tail;
    if (sscanf(s, "%u:%u:%u:%u:%u%c", &a[0], &a[1], &a[2], &a[3], &a[4], &tail) != 5 || a[0] == 0) {
        spl_err("torture", "--bid-mix: want five weights C:R:L:M:D with C > 0, got '%s'", s);
        return -1;
    }
    for (int i = 0; i < 5; i++) mix[i] = a[i];
    return 0;
}

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

static volatile sig_atomic_t interrupted;
static void on_int(int sig) { (void)sig; interrupted = 1; }
volatile sig_atomic_t *tt_interrupted = &interrupted;

int cmd_torture(int argc, char **argv)
{
    enum { O_IMPL = 256, O_W, O_R, O_B, O_KEYS, O_SLOTS, O_MIN, O_MAX, O_DUR, O_KILL, O_STUCK, O_STAT, O_CHECK,
           O_SEED, O_CYCLES, O_CMODE, O_FEVERY, O_FLUSH, O_MIX, O_JSON, O_KEEP, O_TRACE };
    static const struct option lo[] = {
        {"impl", required_argument, 0, O_IMPL},        {"writers", required_argument, 0, O_W},
        {"readers", required_argument, 0, O_R},        {"bidders", required_argument, 0, O_B},
        {"keys", required_argument, 0, O_KEYS},        {"slots", required_argument, 0, O_SLOTS},
        {"min-size", required_argument, 0, O_MIN},     {"max-size", required_argument, 0, O_MAX},
        {"duration", required_argument, 0, O_DUR},     {"kill-interval", required_argument, 0, O_KILL},
        {"stuck-bound", required_argument, 0, O_STUCK}, {"stat-interval", required_argument, 0, O_STAT},
        {"check-interval", required_argument, 0, O_CHECK}, {"seed", required_argument, 0, O_SEED},
        {"crash-cycles", required_argument, 0, O_CYCLES}, {"crash-mode", required_argument, 0, O_CMODE},
        {"flush-every", required_argument, 0, O_FEVERY}, {"flush", required_argument, 0, O_FLUSH},
        {"bid-mix", required_argument, 0, O_MIX},      {"json", no_argument, 0, O_JSON},
        {"keep", no_argument, 0, O_KEEP},              {"trace", no_argument, 0, O_TRACE},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    static struct tt_ctx ctx;
    struct tt_ctx *c = &ctx;
    memset(c, 0, sizeof *c);
    struct tt_opts *o = &c->o;
    snprintf(o->impl, sizeof o->impl, "ref");
    o->nkind[TT_WRITER] = 2, o->nkind[TT_READER] = 2, o->nkind[TT_BIDDER] = 1;
    o->keys = 64, o->min_size = 32, o->max_size = 256;
    o->duration_ns = 20ull * 1000000000ull, o->kill_ns = 5000000, o->stuck_ns = 20000000;
    o->stat_ns = 5ull * 1000000000ull, o->check_ns = 1000000000ull;
    o->seed = spl_seed_from_time();
    o->flush_every = 32, o->flush_strategy = SPLINTER_FLUSH_FDATASYNC;
    uint32_t mix[5] = {4, 2, 2, 6, 1};
    memcpy(o->bid_mix, mix, sizeof mix);
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        int bad = 0;
        switch (opt) {
        case O_IMPL: snprintf(o->impl, sizeof o->impl, "%s", optarg); break;
        case O_W: bad = parse_u32("--writers", optarg, 1, &o->nkind[TT_WRITER]); break;
        case O_R: bad = parse_u32("--readers", optarg, 1, &o->nkind[TT_READER]); break;
        case O_B: bad = parse_u32("--bidders", optarg, 0, &o->nkind[TT_BIDDER]); break;
        case O_KEYS: bad = parse_u32("--keys", optarg, 1, &o->keys); break;
        case O_SLOTS: bad = parse_u32("--slots", optarg, 1, &o->slots); break;
        case O_MIN: bad = parse_u32("--min-size", optarg, 32, &o->min_size); break;
        case O_MAX: bad = parse_u32("--max-size", optarg, 32, &o->max_size); break;
        case O_DUR: bad = parse_dur("--duration", optarg, false, &o->duration_ns); break;
        case O_KILL: bad = parse_dur("--kill-interval", optarg, true, &o->kill_ns); break;
        case O_STUCK: bad = parse_dur("--stuck-bound", optarg, false, &o->stuck_ns); break;
        case O_STAT: bad = parse_dur("--stat-interval", optarg, false, &o->stat_ns); break;
        case O_CHECK: bad = parse_dur("--check-interval", optarg, false, &o->check_ns); break;
        case O_SEED: {
            char *end;
            errno = 0;
            o->seed = strtoull(optarg, &end, 0);
            if (errno || *end || end == optarg) { spl_err("torture", "--seed: want a number, got '%s'", optarg); bad = 1; }
            break;
        }
        case O_CYCLES: bad = parse_u32("--crash-cycles", optarg, 0, &o->crash_cycles); break;
        case O_CMODE:
            if (!strcmp(optarg, "auto")) o->crash_mode = TT_CRASH_AUTO;
            else if (!strcmp(optarg, "loop")) o->crash_mode = TT_CRASH_LOOP;
            else if (!strcmp(optarg, "kill")) o->crash_mode = TT_CRASH_KILL;
            else { spl_err("torture", "--crash-mode: auto, loop or kill; got '%s'", optarg); bad = 1; }
            break;
        case O_FEVERY: bad = parse_u32("--flush-every", optarg, 1, &o->flush_every); break;
        case O_FLUSH:
            o->flush_strategy = spl_flush_strategy_parse(optarg);
            if (o->flush_strategy < 0) { spl_err("torture", "--flush: unknown strategy '%s'", optarg); bad = 1; }
            break;
        case O_MIX: bad = parse_mix(optarg, o->bid_mix); break;
        case O_JSON: o->json = true; break;
        case O_KEEP: o->keep = true; break;
        case O_TRACE: o->trace = true; break;
        case 'h': usage(stdout); return SPL_EXIT_OK;
        default: usage(stderr); return SPL_EXIT_USAGE;
        }
        if (bad) return SPL_EXIT_USAGE;
    }
    if (optind != argc) { spl_err("torture", "unexpected argument '%s'", argv[optind]); return SPL_EXIT_USAGE; }
    if (o->min_size > o->max_size) { spl_err("torture", "--min-size %u > --max-size %u", o->min_size, o->max_size); return SPL_EXIT_USAGE; }
    if (o->keys < o->nkind[TT_WRITER]) { spl_err("torture", "--keys %u: every writer needs a key (%u writers)", o->keys, o->nkind[TT_WRITER]); return SPL_EXIT_USAGE; }
    uint32_t slots = o->slots ? o->slots : 2 * o->keys;
    if (slots < o->keys) { spl_err("torture", "--slots %u cannot hold %u keys", slots, o->keys); return SPL_EXIT_USAGE; }

    char err[1024];
    int lrc = spl_impl_load(o->impl, &c->im, err, sizeof err);
    if (lrc == SPL_EXIT_FAIL) return probe_failed(o, err);
    if (lrc != 0) {
        spl_err("torture", "%s", err);
        return lrc;
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

    struct sigaction sa = {.sa_handler = on_int}, oldi, oldt;
    sigaction(SIGINT, &sa, &oldi);
    sigaction(SIGTERM, &sa, &oldt);
    int rc = tt_run(c);
    sigaction(SIGINT, &oldi, NULL);
    sigaction(SIGTERM, &oldt, NULL);
    spl_shared_free(c->sh, c->sh_len);
    return rc;
}
