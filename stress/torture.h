/*
 * torture.h - shared state of `splsuite torture` (rcutorture for Splinter).
 *
 * One supervisor process forks writers, readers and bidders, kills them at
 * random and respawns them. Everything they agree on lives in one anonymous
 * MAP_SHARED region OUTSIDE the store (struct tt_shared), so the store under
 * test can be torn, stuck or lost without taking the bookkeeping with it.
 */
#ifndef SPLSUITE_TORTURE_H
#define SPLSUITE_TORTURE_H

#include "impl.h"
#include "proc.h"
#include "storeview.h"
#include "util.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

enum tt_kind { TT_WRITER = 0, TT_READER, TT_BIDDER, TT_NKINDS };

enum tt_crash_mode { TT_CRASH_AUTO = 0, TT_CRASH_LOOP, TT_CRASH_KILL };

struct tt_opts {
    char impl[4096];
    uint32_t nkind[TT_NKINDS];  /* writers, readers, bidders */
    uint32_t keys;
    uint32_t slots;             /* 0: 2 x keys */
    uint32_t min_size, max_size;
    uint64_t duration_ns;
    uint64_t kill_ns;           /* mean interval between kills; 0 = no killer */
    uint64_t stuck_ns;          /* odd for longer than this, writer dead: stuck */
    uint64_t stat_ns, check_ns;
    uint64_t seed;
    uint32_t crash_cycles;
    enum tt_crash_mode crash_mode;
    uint32_t flush_every;       /* sets between flushes (file backend) */
    int flush_strategy;
    uint32_t bid_mix[5];        /* claim, rebid, release, madvise, dontneed storm */
    bool json, keep, quiet, trace;
    const char *output;         /* -o: the JSON summary also goes there */
};

#define TT_PIPE_LEN 11 /* 0..9 and 10+ */
#define TT_MSG 512

struct tt_key {
    _Atomic uint64_t started;  /* last seq the owner began writing */
    _Atomic uint64_t done;     /* last seq whose set returned 0 */
    _Atomic uint64_t durable;  /* last seq covered by a flush that returned 0 */
    _Atomic uint32_t qgen;     /* odd while the medic rewrites the key */
    _Atomic uint32_t stuck;    /* 1 while the supervisor holds the slot for stuck */
};

struct tt_worker {
    _Atomic int32_t pid;       /* 0 when not running */
    uint32_t kind, index;      /* index within its kind: a writer's index owns keys */
    _Atomic uint64_t ops;      /* forward progress (ops that completed, any rc) */
    uint64_t ops_at_stat;      /* supervisor-private: ops at the last stat line */
    uint64_t started_ns;       /* supervisor-private */
    uint64_t died_ns;
    uint32_t generation;       /* respawns */
};

/* Counters, all updated with relaxed atomics from every process. */
#define TT_STATS(X)                                                                  \
    X(sets) X(set_eagain) X(gets) X(get_eagain) X(get_discarded) X(claims)           \
    X(claim_enospc) X(rebids) X(releases) X(madvises) X(madv_eagain) X(dontneeds)    \
    X(flushes) X(flush_fail) X(checks) X(kills) X(respawns) X(stuck_found)           \
    X(stuck_recovered) X(stuck_eagain) X(long_odd) X(fsck_runs) X(failures)          \
    X(crashes) X(crash_verified) X(crash_inflight) X(crash_unflushed_lost) X(no_progress)

struct tt_stats {
#define TT_STAT_FIELD(n) _Atomic uint64_t n;
    TT_STATS(TT_STAT_FIELD)
#undef TT_STAT_FIELD
    _Atomic uint64_t pipe[TT_PIPE_LEN];
    _Atomic uint64_t retries[TT_PIPE_LEN];
};

/* The history of the first TT_HIST_KEYS keys, checked for linearizability at
 * the end of the run (torture_hist.c). */
#define TT_HIST_KEYS 4
#define TT_HIST_CAP (1u << 20)        /* calls logged at most (the first ones) */
#define TT_HIST_MEDIC 0xFFFFu         /* "worker" of the medic's rewrites */
#define TT_HIST_DISCARDED 0xFFFFFFFFu /* verdict of a read the medic overlapped */
enum { TT_HIST_SET = 1, TT_HIST_GET = 2 };
enum { TT_HIST_INVOKED = 1, TT_HIST_RETURNED = 2 };

struct tt_hist_ev {
    _Atomic uint32_t state;    /* 0 unused, invoked, returned */
    uint16_t op, worker;       /* worker: its slot in tt_shared.workers */
    uint32_t key, gen;         /* gen: the worker's generation (respawns) */
    int32_t rc, err;
    uint32_t verdict;          /* get: 0 an intact value of the key's owner, 1 not, or DISCARDED */
    uint64_t t0, t1, seq;      /* seq written, or read back */
};

struct tt_hist {
    _Atomic uint64_t n;        /* calls logged (may exceed cap: the excess was dropped) */
    _Atomic int closed;
    /* the earliest time a call found the log full (0: never): a call not
     * logged takes effect after it, so the history is judged up to there */
    _Atomic uint64_t full_at;
    uint64_t cap;
    struct tt_hist_ev ev[];
};

/* When the supervisor reaped each (worker, generation) it did not see exit. */
struct tt_deaths { uint32_t *worker, *gen; uint64_t *ns; size_t n, cap; };

struct tt_hist *tt_hist_new(void);
void tt_hist_free(struct tt_hist *h);
/* NULL when key is not logged or the log is full; then the other calls do nothing. */
struct tt_hist_ev *tt_hist_begin(struct tt_hist *h, uint32_t op, uint32_t key, uint32_t worker, uint32_t gen, uint64_t seq);
void tt_hist_stamp(struct tt_hist_ev *e); /* the call returned (time) */
void tt_hist_end(struct tt_hist_ev *e, int rc, int err, uint64_t seq_read, uint32_t verdict);

struct tt_shared {
    struct spl_startline line; /* workers start together and finish their op and exit once stopped */
    _Atomic int failed;        /* first failure recorded */
    char first_failure[TT_MSG];
    struct tt_stats st;
    uint32_t nkeys, nworkers;
    struct tt_worker *workers; /* point into this region */
    struct tt_key *keys;
    struct tt_hist *hist;      /* a mapping of its own, NULL if it could not be made */
};

struct tt_ctx {
    struct tt_opts o;
    bool seed_set;
    char repro[1200];          /* the command line that reproduces the run */
    struct spl_impl im;
    char store[4096];          /* name handed to im->open */
    char path[4096];           /* where its bytes are (fsck, RO map) */
    struct tt_shared *sh;
    size_t sh_len;
    bool durability;           /* flush exported and file backend */
    const char *durability_why;
    /* read-only view of the store for epochs and fsck (lib/storeview) */
    struct spl_storeview view;
    const uint8_t *map;        /* view.base while mapped, else NULL */
    size_t map_len;
    uint32_t *slot_of;         /* key -> slot index */
    uint64_t t0;
};

static inline uint64_t tt_add(_Atomic uint64_t *c, uint64_t n) { return atomic_fetch_add_explicit(c, n, memory_order_relaxed); }
#define TT_INC(sh, f) tt_add(&(sh)->st.f, 1)

void tt_key_name(uint32_t k, char *buf, size_t len);
uint32_t tt_owner(const struct tt_ctx *c, uint32_t key); /* writer index owning key */
/* Records a failure (first one kept as the counterexample) and counts it. */
void tt_fail(struct tt_shared *sh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Worker body: runs until sh->stop, in a forked child. Never returns. */
void tt_worker_main(struct tt_ctx *c, uint32_t wi) __attribute__((noreturn));

/* Store setup and medic actions, each in a forked child (crash-safe). */
int tt_populate(struct tt_ctx *c, char *err, size_t errlen);
/* Retrains each listed key and writes a fresh payload (seq started+1). */
int tt_medic(struct tt_ctx *c, const uint32_t *keys, size_t n, char *err, size_t errlen);

/* Audits from the bytes (torture_store.c). After a crash: fails on any lost
 * flushed value; returns the keys the medic must rewrite in need[]. */
size_t tt_audit_crash(struct tt_ctx *c, uint32_t *need, bool power_cut);
void tt_audit_final(struct tt_ctx *c);

/* Read-only map of the store (re-done after a crash cycle). */
int tt_map_store(struct tt_ctx *c, char *err, size_t errlen);
void tt_unmap_store(struct tt_ctx *c);
uint64_t tt_slot_epoch(const struct tt_ctx *c, uint32_t key);
int tt_find_slots(struct tt_ctx *c, char *err, size_t errlen);
/* The header still describes the store the run created, and fits the map. */
int tt_check_geometry(struct tt_ctx *c, char *err, size_t errlen);


/* --trace (torture_trace.c): NULL when the bpf part is missing or BPF cannot
 * run (the reason is on stderr); stop prints the text report to text (if
 * non-NULL) and returns the snapshot for the JSON summary. */
struct spl_trace;
struct json_object;
struct spl_trace *tt_trace_start(const struct tt_ctx *c);
struct json_object *tt_trace_stop(struct spl_trace *t, FILE *text);

/* The final linearizability check of the history logged before `until`
 * (the first crash, or UINT64_MAX); prints the verdict (and the witness) to
 * out, records a failure on a violation, returns the JSON summary. */
struct tt_ctx;
struct json_object *tt_hist_check(struct tt_ctx *c, const struct tt_deaths *d, uint64_t until, FILE *out);

/* Runs the whole torture; returns the exit code. */
int tt_run(struct tt_ctx *c);

/* Power-loss simulation for persistent stores (crashdisk.c). */
struct tt_disk;
/* Makes an ext4 image on a loop device mounted at a private directory. */
struct tt_disk *tt_disk_setup(uint64_t bytes, char *err, size_t errlen);
const char *tt_disk_dir(const struct tt_disk *d);
/* Power cut: copies what the block device holds (not the page cache),
 * drops the mounted filesystem, and mounts the copy (journal replay). */
int tt_disk_powercut(struct tt_disk *d, char *err, size_t errlen);
void tt_disk_teardown(struct tt_disk *d);

#endif
