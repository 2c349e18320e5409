/*
 * fsck_cmd.c - `splsuite fsck STORE`: check a store's bytes, repair with consent.
 */
#include "envelope.h"
#include "fsck.h"
#include "util.h"

#include <getopt.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_fsck(int argc, char **argv);

static void usage(FILE *f)
{
    fprintf(f,
            "usage: splsuite fsck [options] STORE\n"
            "\n"
            "Checks a Splinter store (shm name or file path) byte by byte against format v4,\n"
            "without loading any implementation: header, geometry against size, every slot\n"
            "(hash vs key, value range, epoch parity, duplicate and unreachable keys, orphaned\n"
            "values), the shard bid table and the event bus fields.\n"
            "\n"
            "options:\n"
            "  --json              machine-readable report on stdout\n"
            "  --stuck             offline check: nobody is writing, so an odd epoch is an error\n"
            "  --no-pid-check      do not probe bus-owner/bid pids with kill(pid, 0)\n"
            "  --no-values         skip the scan of value bytes for orphans\n"
            "  --max-findings N    findings listed (default 1000; all are counted)\n"
            "  --repair            fix what can be fixed (opens the store read-write)\n"
            "  --fix LIST          with --repair: stuck,slots,bus,bids or all (default all)\n"
            "  --yes               consent to --repair without asking\n"
            "  --list-codes        print every finding code and exit\n"
            "  -h, --help          this help\n"
            "\n"
            "exit: 0 no errors (warnings allowed), 1 damaged, 2 usage or store not readable\n"
            "\n"
            "examples:\n"
            "  splsuite fsck /splsuite-torture-1234          # a live shm store\n"
            "  splsuite fsck --stuck --json /var/lib/app/store.spl\n"
            "  splsuite fsck --repair --fix stuck --yes /myshm   # release epochs left odd by dead writers\n");
}

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

static int parse_fixes(const char *s, unsigned *out)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    *out = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strcmp(t, "stuck")) *out |= SPL_FSCK_FIX_STUCK;
        else if (!strcmp(t, "slots")) *out |= SPL_FSCK_FIX_SLOTS;
        else if (!strcmp(t, "bus")) *out |= SPL_FSCK_FIX_BUS;
        else if (!strcmp(t, "bids")) *out |= SPL_FSCK_FIX_BIDS;
        else if (!strcmp(t, "all")) *out |= SPL_FSCK_FIX_ALL;
        else return -1;
    }
    return *out ? 0 : -1;
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

int cmd_fsck(int argc, char **argv)
{
    static const struct option lo[] = {
        {"json", no_argument, 0, 'j'},          {"stuck", no_argument, 0, 's'},
        {"no-pid-check", no_argument, 0, 'P'},  {"no-values", no_argument, 0, 'V'},
        {"max-findings", required_argument, 0, 'm'}, {"repair", no_argument, 0, 'r'},
        {"fix", required_argument, 0, 'f'},     {"yes", no_argument, 0, 'y'},
        {"list-codes", no_argument, 0, 'L'},    {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct spl_fsck_opts o = SPL_FSCK_OPTS_INIT;
    o.check_pids = true;
    bool json = false, repair = false, yes = false;
    unsigned fixes = SPL_FSCK_FIX_ALL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 's': o.stuck = true; break;
        case 'P': o.check_pids = false; break;
        case 'V': o.scan_values = false; break;
        case 'm': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v <= 0) { spl_err("fsck", "--max-findings: want a positive number, got '%s'", optarg); return SPL_EXIT_USAGE; }
            o.max_findings = (size_t)v;
            break;
        }
        case 'r': repair = true; break;
        case 'f':
            if (parse_fixes(optarg, &fixes) != 0) {
                spl_err("fsck", "--fix: want a list of stuck,slots,bus,bids,all; got '%s'", optarg);
                return SPL_EXIT_USAGE;
            }
            break;
        case 'y': yes = true; break;
        case 'L':
            for (int i = 0; i < SPL_FSCK__NCODES; i++) printf("%-18s %s\n", spl_fsck_code_name(i), spl_fsck_code_what(i));
            return SPL_EXIT_OK;
        case 'h': usage(stdout); return SPL_EXIT_OK;
        default: usage(stderr); return SPL_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        spl_err("fsck", "want exactly one STORE (shm name or file path)");
        usage(stderr);
        return SPL_EXIT_USAGE;
    }
    const char *store = argv[optind];
    struct spl_store_map m;
    char err[512];
    if (spl_store_map(store, false, &m, err, sizeof err) != 0) {
        spl_err("fsck", "%s", err);
        return SPL_EXIT_USAGE;
    }
    struct spl_fsck_result r = {0};
    int rc = guarded_check(&m, &o, &r);
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
    if (json) {
        static struct spl_envelope env; /* dated at output: fsck's check takes no time to speak of */
        spl_envelope_init(&env, "splsuite-fsck/1");
        spl_envelope_add_store_dir(&env, m.path);
        struct json_object *jo = spl_envelope_wrap(&env, spl_fsck_result_json(&r, m.path));
        puts(json_object_to_json_string_ext(jo, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(jo);
    } else {
        print_human(&r, m.path);
    }
    spl_fsck_result_free(&r);
    spl_store_unmap(&m);
    return rc == 0 ? SPL_EXIT_OK : SPL_EXIT_FAIL;
}
