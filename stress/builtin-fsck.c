/*
 * builtin-fsck.c - `splsuite fsck STORE`: check a store's bytes, repair with consent.
 */
#include "commands.h"
#include "envelope.h"
#include "fsck.h"
#include "util.h"

#include "opt.h"
#include "outfile.h"
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static sigjmp_buf bus_jmp;
static void on_sigbus(int sig)
{
    (void)sig;
    siglongjmp(bus_jmp, 1);
}

/* The check under a SIGBUS guard: -2 when the mapped store shrank under us. */
static int guarded_check(const struct spl_store_map *m, const struct spl_fsck_opts *o, struct spl_fsck_result *r)
{
    struct sigaction sa = {.sa_handler = on_sigbus}, old;
    sigaction(SIGBUS, &sa, &old);
    int rc;
    if (sigsetjmp(bus_jmp, 1)) rc = -2;
    else rc = spl_fsck_image(m->base, m->len, o, r);
    sigaction(SIGBUS, &old, NULL);
    return rc;
}

static void print_log(const char *msg, void *arg)
{
    (void)arg;
    fprintf(stderr, "splsuite fsck: repair: %s\n", msg);
}

static void print_human(const struct spl_fsck_result *r, const char *path)
{
    printf("store    %s\n", path);
    if (r->header_ok) {
        printf("geometry %u slots x %u B values (slot record %zu B), %llu bytes expected, %llu present\n", r->slots,
               r->max_val_sz, r->slot_size, (unsigned long long)r->expected_size, (unsigned long long)r->image_size);
        printf("census   %llu live, %llu deleted, %llu never used, %llu odd epochs, %llu bids claimed, global epoch %llu\n",
               (unsigned long long)r->live, (unsigned long long)r->tombstones, (unsigned long long)r->virgin,
               (unsigned long long)r->odd, (unsigned long long)r->bids_claimed, (unsigned long long)r->global_epoch);
    }
    for (size_t i = 0; i < r->nfindings; i++) {
        const struct spl_fsck_finding *f = &r->findings[i];
        printf("%-7s  %-18s %s\n", spl_fsck_severity_name(f->severity), spl_fsck_code_name(f->code), f->msg);
    }
    if (r->dropped) printf("...      %zu more findings not listed (--max-findings)\n", r->dropped);
    printf("verdict  %s (%llu errors, %llu warnings)\n", r->errors ? "DAMAGED" : "clean",
           (unsigned long long)r->errors, (unsigned long long)r->warnings);
}

static bool ask_consent(const char *path, const struct spl_fsck_result *r)
{
    if (!isatty(STDIN_FILENO)) return false;
    fprintf(stderr, "Repair %s (%llu errors, %llu warnings)? Concurrent users may be affected. [y/N] ", path,
            (unsigned long long)r->errors, (unsigned long long)r->warnings);
    char line[16];
    if (!fgets(line, sizeof line, stdin)) return false;
    return line[0] == 'y' || line[0] == 'Y';
}

static const char *const fix_names[] = {"stuck", "slots", "bus", "bids", "all", NULL};
static struct {
    bool json, stuck, no_pids, no_values, repair, yes, list_codes;
    size_t max_findings;
    uint64_t fixes;
    const char *output;
} F;

static const struct spl_opt fsck_opts[] = {
    {"json", 'j', SPL_OPT_FLAG, SPL_OPT_DEST(F.json), NULL, "the report as JSON on stdout"},
    {"output", 'o', SPL_OPT_STR, SPL_OPT_DEST(F.output), "FILE", "also write the JSON report to FILE ('-': stdout)"},
    {"stuck", 0, SPL_OPT_FLAG, SPL_OPT_DEST(F.stuck), NULL, "offline check: nobody is writing, so an odd epoch is an error"},
    {"no-pid-check", 0, SPL_OPT_FLAG, SPL_OPT_DEST(F.no_pids), NULL, "do not probe bus-owner/bid pids with kill(pid, 0)"},
    {"no-values", 0, SPL_OPT_FLAG, SPL_OPT_DEST(F.no_values), NULL, "skip the scan of value bytes for orphans"},
    {"max-findings", 0, SPL_OPT_UINT, SPL_OPT_DEST(F.max_findings), "N", "findings listed (all are counted)", .def = "1000",
     .min = 1, .max = 100000000},
    {"repair", 0, SPL_OPT_FLAG, SPL_OPT_DEST(F.repair), NULL, "fix what can be fixed (opens the store read-write)"},
    {"fix", 0, SPL_OPT_LIST, SPL_OPT_DEST(F.fixes), "LIST", "with --repair: what to fix", .def = "all", .choices = fix_names},
    {"yes", 0, SPL_OPT_FLAG, SPL_OPT_DEST(F.yes), NULL, "consent to --repair without asking"},
    {"list-codes", 0, SPL_OPT_FLAG, SPL_OPT_DEST(F.list_codes), NULL, "print every finding code and exit"},
    {0},
};

static const struct spl_cmd fsck_cmd = {
    .name = "fsck",
    .usage = "[OPTIONS] STORE",
    .about = "Checks a Splinter store (shm name or file path) byte by byte against format v4,\n"
             "without loading any implementation: header, geometry against size, every slot\n"
             "(hash vs key, value range, epoch parity, duplicate and unreachable keys, orphaned\n"
             "values), the shard bid table and the event bus fields.",
    .opts = fsck_opts,
    .examples = "splsuite fsck /splsuite-torture-1234          # a live shm store\n"
                "splsuite fsck --stuck --json /var/lib/app/store.spl\n"
                "splsuite fsck --repair --fix stuck --yes /myshm   # release epochs left odd by dead writers",
    .exit_ok = "no errors (warnings allowed)",
    .exit_fail = "the store is damaged",
    .exit_more = "       (2 also: the store is not readable)\n",
};

int cmd_fsck(int argc, char **argv)
{
    memset(&F, 0, sizeof F);
    int first, rc = spl_opt_parse(&fsck_cmd, argc, argv, &first);
    if (rc != SPL_OPT_OK) return rc == SPL_OPT_HELP ? SPL_EXIT_OK : rc;
    if (F.list_codes) {
        for (int i = 0; i < SPL_FSCK__NCODES; i++) printf("%-18s %s\n", spl_fsck_code_name(i), spl_fsck_code_what(i));
        return SPL_EXIT_OK;
    }
    if (argc - first != 1)
        return spl_opt_error(&fsck_cmd, argc == first ? "which STORE? (a shm name or a file path)" : "one STORE at a time");
    struct spl_fsck_opts o = SPL_FSCK_OPTS_INIT;
    o.check_pids = !F.no_pids;
    o.stuck = F.stuck;
    if (F.no_values) o.scan_values = false;
    o.max_findings = F.max_findings;
    bool json = F.json, repair = F.repair, yes = F.yes;
    static const unsigned fix_bits[] = {SPL_FSCK_FIX_STUCK, SPL_FSCK_FIX_SLOTS, SPL_FSCK_FIX_BUS, SPL_FSCK_FIX_BIDS, SPL_FSCK_FIX_ALL};
    unsigned fixes = 0;
    for (int i = 0; i < 5; i++)
        if (F.fixes & (1ull << i)) fixes |= fix_bits[i];
    const char *store = argv[first];
    struct spl_store_map m;
    char err[512];
    if (spl_store_map(store, false, &m, err, sizeof err) != 0) {
        spl_err("fsck", "%s", err);
        return SPL_EXIT_USAGE;
    }
    struct spl_fsck_result r = {0};
    rc = guarded_check(&m, &o, &r);
    if (rc == -2) {
        spl_err("fsck", "%s shrank while being checked (SIGBUS); check again when it is quiet", m.path);
        spl_fsck_result_free(&r);
        spl_store_unmap(&m);
        return SPL_EXIT_FAIL;
    }
    if (rc < 0) {
        spl_err("fsck", "out of memory checking %s", m.path);
        spl_store_unmap(&m);
        return SPL_EXIT_FAIL;
    }
    if (repair && (r.errors || r.warnings)) {
        if (!yes && !ask_consent(m.path, &r)) {
            spl_err("fsck", "--repair needs consent: add --yes, or run on a terminal and answer y");
            spl_fsck_result_free(&r);
            spl_store_unmap(&m);
            return SPL_EXIT_USAGE;
        }
        struct spl_store_map w;
        if (spl_store_map(m.path, true, &w, err, sizeof err) != 0) {
            spl_err("fsck", "repair: %s", err);
        } else {
            size_t n = spl_fsck_repair(w.base, w.len, &r, fixes, print_log, NULL);
            fprintf(stderr, "splsuite fsck: repair: %zu changes; checking again\n", n);
            spl_store_unmap(&w);
            spl_fsck_result_free(&r);
            rc = guarded_check(&m, &o, &r);
            if (rc < 0) {
                spl_err("fsck", "re-check after repair failed");
                spl_store_unmap(&m);
                return SPL_EXIT_FAIL;
            }
        }
    }
    int out_rc = 0;
    if (json || F.output) {
        static struct spl_envelope env; /* dated at output: fsck's check takes no time to speak of */
        spl_envelope_init(&env, "splsuite-fsck/1");
        spl_envelope_add_store_dir(&env, m.path);
        struct json_object *jo = spl_envelope_wrap(&env, spl_fsck_result_json(&r, m.path));
        if (json) puts(json_object_to_json_string_ext(jo, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        char werr[600];
        if (F.output && !(json && !strcmp(F.output, "-")) && spl_outfile_json(F.output, jo, werr, sizeof werr) != 0) {
            spl_err("fsck", "cannot write %s", werr);
            out_rc = SPL_EXIT_OUTPUT;
        }
        json_object_put(jo);
    }
    if (!json) {
        print_human(&r, m.path);
    }
    spl_fsck_result_free(&r);
    spl_store_unmap(&m);
    if (out_rc) return out_rc;
    return rc == 0 ? SPL_EXIT_OK : SPL_EXIT_FAIL;
}
