/*
 * conform.h - the conformance harness: rules of docs/spec.md as code.
 *
 * Each rule runs in its own forked child with a deadline (the implementation
 * under test may crash or hang: that is a finding of the rule, not a crash of
 * the harness). The child writes its verdict into a struct rule_out that lives
 * in shared memory; the orchestrator turns it into a report case.
 */
#ifndef SPLSUITE_CONFORM_H
#define SPLSUITE_CONFORM_H

#include "impl.h"
#include "payload.h"
#include "proc.h"
#include "report.h"
#include "storeview.h"
#include "util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct conform {
    struct spl_impl im;    /* implementation under test */
    struct spl_impl peer;  /* interop partner (FMT-004); peer.dl NULL when none */
    bool have_peer;
    uint64_t seed;
    uint32_t workers;      /* processes per multi-process rule */
    uint64_t duration_ns;  /* per hammering rule */
    bool verbose;
    uint64_t tps;          /* splinter_now() ticks per second, calibrated once */
    char repro[1024];      /* base command line to reproduce a rule */
};

/* What a rule child reports back (shared memory). */
struct rule_out {
    int result; /* enum spl_result; SPL_ERROR until the rule says otherwise */
    char detail[512];
    char cex[4096];
    size_t cex_len;
    int ncex;
    char store[512]; /* store the rule created, removed by the orchestrator if the child died */
    /* non-zero while the child runs only the suite's own checker (the
     * implementation's calls are over): a timeout then is the checker's,
     * an ERROR, never blamed on the implementation */
    volatile int in_checker;
};

/* How much a broken rule costs a user: data loss or a crash (critical), a
 * wrong answer the caller can notice (major), a cosmetic or rare one (minor).
 * 0 is no severity, so a row that forgets it is caught by the rule-table test. */
enum rule_severity { SEV_CRITICAL = 1, SEV_MAJOR, SEV_MINOR };
const char *rule_severity_name(enum rule_severity s); /* "critical", "major", "minor"; NULL if unknown */

struct rule {
    const char *id;
    enum rule_severity severity;
    const char *title;
    const char *const *needs; /* splinter_* functions (without prefix) the rule calls; NULL-terminated */
    void (*run)(struct conform *c, struct rule_out *o);
    unsigned timeout_s;       /* deadline of the rule's child */
};

/* Does the comma list of globs (fnmatch over ids, or a bare family name:
 * "SEQ", "ELE-*,API-001") select id? NULL or "" selects everything. */
bool conform_rule_selected(const char *id, const char *globs);

extern struct rule conform_rules[];
extern size_t conform_nrules;
void conform_rules_init(void);

/* ---- verdict helpers (called inside the rule child) ---------------------- */
void r_pass(struct rule_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void r_fail(struct rule_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void r_skip(struct rule_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void r_error(struct rule_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds one counterexample line (at most 8 are kept; the count is). */
void r_cex(struct rule_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* r_check(o, ok, fmt, ...): ok; when false, fails o (once) with the detail
 * and a counterexample line, so checks read `if (!r_check(o, cond, "..."))`.
 * A macro over r_check_failed, so that after `if (!r_check(o, p != NULL, ...))
 * return;` the static analyzers know p is not NULL (a function in another
 * file hides that its result is ok); the message's arguments are evaluated
 * only when the check fails. */
#define r_check(o, ok, ...) __extension__({ bool r_ok_ = (ok); r_ok_ || (r_check_failed((o), __VA_ARGS__), false); })
void r_check_failed(struct rule_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool r_failed(const struct rule_out *o);

/* ---- one judged call ------------------------------------------------------- */
/* errno is preset to ERRNO_POISON before every judged call, so a failure
 * that leaves errno alone shows as "errno untouched", never as a stale value
 * of an earlier call; and errno is printed only beside a failing result. */
#define ERRNO_POISON 4093
struct callres {
    long rc;  /* return value (pointers: non-zero when non-NULL) */
    int err;  /* errno right after the call */
};
#define CALL(expr) __extension__({ errno = ERRNO_POISON; long rc_ = (long)(expr); struct callres cr_ = {rc_, errno}; cr_; })
#define CALLP(expr) __extension__({ errno = ERRNO_POISON; const void *p_ = (expr); struct callres cr_ = {p_ != NULL, errno}; cr_; })
#define CALLV(expr) __extension__({ errno = ERRNO_POISON; expr; struct callres cr_ = {0, errno}; cr_; })
/* "ENOENT", "errno untouched", "errno 0" */
const char *errno_name(int err);
/* "0", "-1 (ENOENT)", "-1 (errno untouched)": errno only beside rc < 0 */
const char *callres_str(struct callres r, char *buf, size_t n);
#define CRS(r) callres_str((r), (char[96]){0}, 96)
/* True when r is want_rc with errno want_err (0: any errno but the poison);
 * else fails o: "<what> returned -1 (errno untouched), want -1 ENOENT". */
bool want_err(struct rule_out *o, struct callres r, long want_rc, int want_err, const char *what, ...)
    __attribute__((format(printf, 5, 6)));

/* ---- stores -------------------------------------------------------------- */
/* Creates a fresh store for the rule (name recorded in o->store). 0 or -1 (o set to ERROR). */
int store_create(struct conform *c, struct rule_out *o, const char *tag, size_t slots, size_t max_val);
void store_remove(struct conform *c, struct rule_out *o);

/* The store's bytes, read by the harness itself (lib/storeview.h): slot i of
 * view v as an lvalue; i must be < v->slots (indices from spl_sv_find or a
 * loop over the slots). */
#define SV_SLOT(v, i) (*spl_sv_slot((v), (uint32_t)(i)))
/* Maps the rule's store (o->store) with flags; 0, or -1 with o set to ERROR. */
int store_view(struct conform *c, struct rule_out *o, struct spl_storeview *v, unsigned flags);
void store_path(struct conform *c, const char *name, char *buf, size_t len);

/* Runs fn(c, arg, msg) in another process that opens store itself through
 * the implementation (so "seen by another process" is judged for real), and
 * closes it after. true when fn returned 0; else o fails with what and the
 * child's words (or how it died). */
typedef int (*other_fn)(struct conform *c, void *arg, char *msg);
bool in_other_process(struct conform *c, struct rule_out *o, const char *store, other_fn fn, void *arg, const char *what);
/* Writes n bytes at off into the store file path behind the implementation's
 * back (a planted damage). 0, or -1 with errno. */
int file_patch(const char *path, off_t off, const void *bytes, size_t n);
/* FNV-1a of a file's bytes (0 when it cannot be read): did a call change a
 * store it should have left alone? */
uint64_t file_sum(const char *path);
/* A team worker's first step: open the rule's store through the
 * implementation. 0, or -1 after saying why in the worker's message and
 * breaking the team's barrier (the worker then returns 1). */
int worker_open(struct spl_worker *w, struct spl_impl *im, const char *store);
/* Offset inside the file mapped at p in this process (from /proc/self/maps),
 * when the mapping's path contains name_part; -1 when p is in no such mapping. */
long long mapped_file_offset(const void *p, const char *name_part);

/* ---- time -------------------------------------------------------------- */
uint64_t ticks_per_ms(const struct conform *c);

/* ---- fake rdtsc (ELE-003): trap the implementation's rdtsc and answer it ---- */
/* 0 when rdtsc now traps into our handler (x86-64 PR_SET_TSC); -1 if unsupported. */
int fakeclock_install(uint64_t start);
void fakeclock_set(uint64_t now);

/* ---- madvise(2) calls that reach the kernel (ELE-006/007) ------------------ */
/* Opens a perf tracepoint counter of this process's (and its later children's)
 * madvise syscalls with the given MADV_* advice, and proves it counts.
 * 0, or -1 with the reason in why (the rule is then skipped with it). */
int madvise_counter_open(int advice, char *why, size_t len);
unsigned long madvise_counter_get(void);
void madvise_counter_reset(void);
void madvise_counter_close(void);

#endif
