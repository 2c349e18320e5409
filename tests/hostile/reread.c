/*
 * reread.c - a peer rewrites a shared field right after the library's first
 * look at it: the library must still stay inside its mapping.
 *
 * Every process that can open a store can write every byte of it at any
 * time. The reference's rule: read each shared field once into a local,
 * check the local, use only the local. This program checks that rule call
 * by call, deterministically: the re-read trap (peer.h) makes a field read
 * its real value the first time the library touches it and a hostile one
 * every time after, and the store is mapped between guards, so a second
 * read that is used as an address faults and is reported. A "planted" pass
 * also puts into val_off a value 48 bytes short of the arena's end for
 * every call (the 42 bytes an append makes fit there, but a check of the
 * written length alone would let the mop scrub run on past the mapping).
 *
 * Each case runs in a forked child (a finding is a fault). A case passes
 * when the child touched nothing outside the store and the call either
 * worked or was refused cleanly (-1 with EUCLEAN, EAGAIN, ENOENT, EMSGSIZE,
 * ENOMEM or EPROTOTYPE).
 *
 * usage: reread shm|file      exit 0 pass, 1 a finding, 77 not x86-64
 */
#include "helpers.h"
#include "peer.h"
#include "splref.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* 5440 + 16 x (128 + 300) = 12288: the store ends on a page boundary, so a
 * byte past its end is a guard byte, not slack in its last page */
enum { SLOTS = 16, MAXVAL = 300 };
static enum splref_backend g_be;
static char g_name[128];

static void remove_store(void)
{
    if (g_be == SPLREF_BACKEND_FILE) unlink(g_name);
    else shm_unlink(g_name);
}

static long slot_of(splref_store *st, const char *key)
{
    struct splinter_slot *S = splref_slots(st);
    for (long i = 0; i < SLOTS; i++)
        if (atomic_load(&S[i].hash) && !strcmp(S[i].key, key)) return i;
    return -1;
}

/* ---- the calls ------------------------------------------------------------
 * Each runs on a store holding "k" (a 40-byte text value) and "n" (a BIGUINT
 * 7) and returns the call's rc, errno in *err. */
static const char VAL40[] = "0123456789abcdef0123456789abcdef01234567";

static int c_set_short(splref_store *st) { return splref_set(st, "k", "xyz", 3); }
static int c_set_long(splref_store *st)
{
    char v[MAXVAL];
    memset(v, 'v', sizeof v);
    return splref_set(st, "k", v, 250);
}
static int c_unset(splref_store *st) { int rc = splref_unset(st, "k"); return rc >= 0 ? 0 : rc; }
static int c_append(splref_store *st) { return splref_append(st, "k", "++", 2, NULL); }
static int c_get(splref_store *st)
{
    char buf[MAXVAL];
    size_t n = 0;
    return splref_get(st, "k", buf, sizeof buf, &n);
}
static int c_raw_ptr(splref_store *st)
{
    size_t n = 0;
    const volatile uint8_t *p = splref_get_raw_ptr(st, "k", &n, NULL);
    if (!p) return -1;
    /* a client reads what it was handed: the range must be inside the store */
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) sum += p[i];
    (void)sum;
    return 0;
}
static int c_system(splref_store *st) { return splref_set_as_system(st, "k"); }
static int c_promote(splref_store *st)
{
    if (splref_set(st, "k", "5", 1) != 0) return -1;
    return splref_set_named_type(st, "k", SPL_SLOT_TYPE_BIGUINT);
}
static int c_intop(splref_store *st)
{
    uint64_t one = 1;
    return splref_integer_op(st, "n", SPL_OP_INC, &one);
}
static int c_purge(splref_store *st) { splref_purge(st); return 0; }
static int c_snapshot(splref_store *st)
{
    splinter_slot_snapshot_t s;
    return splref_get_slot_snapshot(st, "k", &s);
}
static int c_retrain(splref_store *st) { return splref_retrain_slot(st, "k"); }
static int c_flush(splref_store *st)
{
    if (splref_set(st, "k", "dirty", 5) != 0) return -1;
    return g_be == SPLREF_BACKEND_FILE ? splref_flush(st, SPLINTER_FLUSH_MSYNC_RANGES) : 0;
}

struct call {
    const char *name;
    const char *key; /* the key whose slot is trapped */
    int (*fn)(splref_store *st);
};
static const struct call calls[] = {
    {"set (short)", "k", c_set_short}, {"set (long)", "k", c_set_long}, {"unset", "k", c_unset},
    {"append", "k", c_append},         {"get", "k", c_get},             {"get_raw_ptr", "k", c_raw_ptr},
    {"set_as_system", "k", c_system},  {"set_named_type", "k", c_promote}, {"integer_op", "n", c_intop},
    {"purge", "k", c_purge},           {"get_slot_snapshot", "k", c_snapshot}, {"retrain_slot", "k", c_retrain},
    {"flush", "k", c_flush},
};

enum field { F_VAL_OFF, F_VAL_LEN, F_PLANTED_END };
static const char *const field_names[] = {"val_off re-read", "val_len re-read", "val_off planted at the arena end"};

static bool clean_errno(int e)
{
    return e == EUCLEAN || e == EAGAIN || e == ENOENT || e == EMSGSIZE || e == ENOMEM || e == EPROTOTYPE;
}

/* The child: make the store, trap the field, make the call. Exit 0 clean,
 * 1 an unclean return, PEER_EXIT_WILD (from the fault handler) a finding. */
static int child(const struct call *c, enum field f)
{
    peer_handlers_install();
    peer_guard_on();
    splref_store *st = splref_create(g_be, g_name, SLOTS, MAXVAL);
    if (!st) { perror("splref_create"); return 2; }
    uint64_t seven = 7;
    if (splref_set(st, "k", VAL40, 40) != 0 || splref_set(st, "n", &seven, 8) != 0 ||
        splref_set_named_type(st, "n", SPL_SLOT_TYPE_BIGUINT) != 0) {
        perror("setup");
        return 2;
    }
    long i = slot_of(st, c->key);
    if (i < 0) { fprintf(stderr, "setup: key %s not found\n", c->key); return 2; }
    struct splinter_slot *s = &splref_slots(st)[i];
    uint32_t legit, hostile;
    void *fld;
    switch (f) {
    case F_VAL_OFF:
        fld = &s->val_off, legit = s->val_off, hostile = 0xFFFFFF00u;
        break;
    case F_VAL_LEN:
        fld = &s->val_len, legit = atomic_load(&s->val_len), hostile = 0xFFFFFFF0u;
        break;
    default:
        fld = &s->val_off, legit = hostile = SLOTS * MAXVAL - 48;
        break;
    }
    peer_trap(fld, 4, &legit, &hostile);
    errno = 0;
    int rc = c->fn(st);
    int err = errno;
    int reads = peer_trap_off();
    if (rc != 0 && !clean_errno(err)) {
        fprintf(stderr, "rc %d errno %d (%s) after %d reads of the field\n", rc, err, strerror(err), reads);
        return 1;
    }
    return 0;
}

static void run_case(const struct call *c, enum field f)
{
    snprintf(g_name, sizeof g_name, g_be == SPLREF_BACKEND_FILE ? "/tmp/splsuite-rr-%d.spl" : "/splsuite-rr-%d",
             (int)getpid());
    remove_store();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) _exit(child(c, f));
    int ws = 0;
    waitpid(pid, &ws, 0);
    remove_store();
    bool wild = WIFEXITED(ws) && WEXITSTATUS(ws) == PEER_EXIT_WILD, clean = WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
    CHECK(clean, "%s, %s: %s", c->name, field_names[f],
          wild ? "the library touched memory outside the store"
          : WIFSIGNALED(ws) ? strsignal(WTERMSIG(ws))
                            : "unclean result");
    printf("%s %-18s %s\n", clean ? "ok  " : "FAIL", c->name, field_names[f]);
}

/* The geometry is read at open: slots and max_val_sz re-read as 0xFFFFFFFF
 * after the first look. Then every call runs over every slot. */
static int child_open(uint32_t off)
{
    peer_handlers_install();
    splref_store *st = splref_create(g_be, g_name, SLOTS, MAXVAL);
    if (!st) return 2;
    splref_close(st);
    peer_guard_on();
    uint32_t hostile = 0xFFFFFFFFu;
    peer_trap_on_map(off, 4, &hostile);
    st = splref_open(g_be, g_name);
    int reads = peer_trap_off();
    if (!st) { fprintf(stderr, "open refused: %s (%d reads)\n", strerror(errno), reads); return 0; }
    char key[32], buf[MAXVAL];
    size_t n;
    for (int k = 0; k < 64; k++) {
        snprintf(key, sizeof key, "key%d", k);
        splref_set(st, key, VAL40, 40);
        splref_get(st, key, buf, sizeof buf, &n);
        splref_append(st, key, "x", 1, NULL);
    }
    char *keys[64];
    splref_list(st, keys, 64, &n);
    splref_purge(st);
    splref_close(st);
    return 0;
}

static void run_open_case(const char *what, uint32_t off)
{
    snprintf(g_name, sizeof g_name, g_be == SPLREF_BACKEND_FILE ? "/tmp/splsuite-rr-%d.spl" : "/splsuite-rr-%d",
             (int)getpid());
    remove_store();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) _exit(child_open(off));
    int ws = 0;
    waitpid(pid, &ws, 0);
    remove_store();
    bool clean = WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
    CHECK(clean, "open, %s re-read: %s", what,
          WIFEXITED(ws) && WEXITSTATUS(ws) == PEER_EXIT_WILD ? "the library touched memory outside the store"
                                                              : "unclean");
    printf("%s %-18s %s re-read at open\n", clean ? "ok  " : "FAIL", "open", what);
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "shm") && strcmp(argv[1], "file"))) {
        fprintf(stderr, "usage: reread shm|file\n");
        return 2;
    }
    if (!peer_trap_supported()) return T_SKIP("the re-read trap needs x86-64 (the trap flag)");
    g_be = strcmp(argv[1], "file") ? SPLREF_BACKEND_SHM : SPLREF_BACKEND_FILE;
    for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++)
        for (int f = F_VAL_OFF; f <= F_PLANTED_END; f++) run_case(&calls[c], (enum field)f);
    run_open_case("slots", offsetof(struct splinter_header, slots));
    run_open_case("max_val_sz", offsetof(struct splinter_header, max_val_sz));
    return T_DONE("no call left the store's mapping when a peer rewrote a field under it");
}
