/*
 * proc.h - the one process layer of the suite: how conform, torture, bench,
 * trace, lab and the CI gates start, stop and reap processes.
 *
 * A Splinter store is a multi-process protocol, so its checkers run real
 * processes: an orchestrator forks N workers that each open the same store,
 * meet on barriers that live OUTSIDE the store (an anonymous MAP_SHARED
 * region inherited over fork, so a broken implementation cannot corrupt
 * them), and record what they did and saw into per-process event logs. The
 * orchestrator checks the logs afterwards, Jepsen-style.
 *
 * Nothing here trusts the workers: a worker that crashes, hangs or never
 * reaches a barrier is killed at the deadline and reported, and barriers
 * give up (SPL_BARRIER_BROKEN) instead of waiting for a dead peer.
 *
 * Processes (stress-ng's core-killpid.c is the model): every child the
 * orchestrator starts leads its own process group, gets SIGKILL if the
 * orchestrator dies, and has the default SIGINT/SIGTERM dispositions. So a
 * Ctrl-C reaches the orchestrator alone, which then stops, kills and reaps
 * whole groups (a rule child and the workers it forked) and cleans up; no
 * deadline ever waits for a process that hangs.
 */
#ifndef SPLSUITE_PROC_H
#define SPLSUITE_PROC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- SIGINT and SIGTERM in the orchestrator -------------------------------- */

/* Records SIGINT/SIGTERM instead of dying (no SA_RESTART: sleeps and polls
 * return early). Long loops check spl_interrupted(); every wait below stops
 * waiting, and kills what it waits for, once it is set. */
void spl_interrupt_catch(void);
/* Back to the default dispositions (what children start with). */
void spl_interrupt_release(void);
int spl_interrupted(void);       /* the signal received (SIGINT, SIGTERM), or 0 */
int spl_interrupt_status(void);  /* the exit status it means: 128 + signal (130, 143) */

/* Sleeps ns, or less when interrupted; false when it was. */
bool spl_nap(uint64_t ns);

/* ---- processes --------------------------------------------------------------- */

enum {
    SPL_PROC_GROUP = 1u << 0,  /* the child leads its own process group (a kill reaches its descendants) */
    SPL_PROC_PDEATH = 1u << 1, /* the child gets SIGKILL when its parent dies */
    SPL_PROC_WORKER = SPL_PROC_GROUP | SPL_PROC_PDEATH,
};

/* How a child ended. */
struct spl_proc_end {
    pid_t pid;
    int status;       /* raw wait status */
    bool exited;      /* exited normally with code */
    int code;
    int signal;       /* terminating signal, 0 if none */
    bool killed;      /* killed by us: deadline passed, or interrupted */
    bool interrupted; /* ... because of spl_interrupted() */
};

/* fork() for the suite: flushes stdio first; in the child sets up flags and
 * default signal dispositions and returns 0. -1 with errno. */
pid_t spl_proc_fork(unsigned flags);
/* Forks fn(arg) in a child that exits with its return value. */
pid_t spl_proc_run(int (*fn)(void *arg), void *arg, unsigned flags);
/* Reaps pid if it has ended (no waiting): true and end filled, else false. */
bool spl_proc_try_reap(pid_t pid, struct spl_proc_end *end);
/* Sends sig to pid, or to its whole group when it leads one. */
void spl_proc_signal(pid_t pid, int sig);
/* Waits for the n children until each ended or deadline passed (absolute,
 * spl_time_ns; UINT64_MAX: no deadline), or spl_interrupted(); then SIGKILLs
 * (group and all) and reaps whoever is left, marked killed. pids[i] <= 0 are
 * skipped (ends[i].pid stays 0). Returns how many ended on their own. */
size_t spl_proc_reap(const pid_t *pids, size_t n, uint64_t deadline, struct spl_proc_end *ends);
/* SIGKILL and reap one child at once. */
void spl_proc_kill(pid_t pid, struct spl_proc_end *end);
/* "exit 3", "killed by SIGSEGV (Segmentation fault)", "hung (killed after 2.0 s)", "interrupted" */
const char *spl_proc_describe(const struct spl_proc_end *e, double secs, char *buf, size_t len);

/* ---- a start line and a stop flag, shared by a driver and its workers ----------
 * (bench cases and torture runs; a conformance team starts on its barrier) */

struct spl_startline {
    _Atomic uint32_t ready; /* workers at the line */
    _Atomic uint32_t go;    /* futex word: 1 once the driver lets them run */
    _Atomic uint32_t stop;  /* 1 once the driver wants them to finish */
    uint32_t n;             /* workers expected */
};
void spl_startline_init(struct spl_startline *s, uint32_t n);
/* Worker: count itself at the line and wait for go (spin: the workers start
 * together, for benchmarks; else a futex wait). false when the driver gave up
 * (stop was raised before go). */
bool spl_startline_arrive(struct spl_startline *s, bool spin);
/* Driver: wait until all n are at the line, one of pids ended, or deadline
 * (absolute). Returns how many are at the line. */
uint32_t spl_startline_wait(struct spl_startline *s, const pid_t *pids, size_t n, uint64_t deadline);
void spl_startline_go(struct spl_startline *s);
void spl_startline_stop(struct spl_startline *s); /* also releases workers still waiting for go */
static inline bool spl_startline_stopping(const struct spl_startline *s)
{
    return atomic_load_explicit(&((struct spl_startline *)s)->stop, memory_order_relaxed) != 0;
}

/* ---- programs ---------------------------------------------------------------- */

/* Where a spawned program's standard streams go: NULL /dev/null, "-" ours,
 * else a file (stdout/stderr created or truncated, stdin read); err "&1" joins stdout. */
struct spl_spawn_opts {
    const char *cwd;  /* NULL: ours */
    const char *in, *out, *err;
    int out_fd;       /* > 0: stdout to this descriptor (overrides out) */
    unsigned flags;   /* SPL_PROC_GROUP (default for every spawn), SPL_PROC_PDEATH */
};
/* Starts argv (argv[0] looked up in PATH) with posix_spawnp; with
 * SPL_PROC_PDEATH by fork and exec, since posix_spawn cannot set a
 * parent-death signal. pid, or -1 with the reason in err. */
pid_t spl_spawn(char *const argv[], const struct spl_spawn_opts *o, char *err, size_t errlen);
/* Runs argv to its end, at most timeout_ns (UINT64_MAX: no limit). Returns
 * its exit status (0..255), 128 + the signal that killed it, or -1 with
 * err: could not start, timed out (killed), or interrupted. */
int spl_spawn_wait(char *const argv[], const struct spl_spawn_opts *o, uint64_t timeout_ns, char *err, size_t errlen);
/* Same, with its stdout captured into buf (truncated to len - 1, NUL-terminated). */
int spl_spawn_capture(char *const argv[], const struct spl_spawn_opts *o, uint64_t timeout_ns, char *buf, size_t len,
                      char *err, size_t errlen);
/* Whether prog (a name looked up in $PATH, or a path) is an executable
 * regular file, as posix_spawnp would find it; its path into full (may be NULL). */
bool spl_find_program(const char *prog, char *full, size_t len);
/* mkdir -p: path and its missing parents. 0, or -1 with errno. */
int spl_mkdir_p(const char *path, unsigned mode);

/* ---- shared memory outside the store ------------------------------------ */

/* Zeroed anonymous MAP_SHARED memory, visible to children forked after it. */
void *spl_shared_alloc(size_t len);
void spl_shared_free(void *p, size_t len);

/* ---- process-shared barrier with a deadline ----------------------------- */

struct spl_barrier {
    _Atomic uint32_t count;  /* arrivals in the current generation */
    _Atomic uint32_t gen;    /* futex word: bumped when a generation completes */
    _Atomic uint32_t broken; /* set once any party gives up: everyone returns BROKEN */
    uint32_t parties;
};

enum { SPL_BARRIER_OK = 0, SPL_BARRIER_TIMEOUT = -1, SPL_BARRIER_BROKEN = -2 };

void spl_barrier_init(struct spl_barrier *b, uint32_t parties);
/* Waits for all parties, at most timeout_ns (UINT64_MAX: forever). A timeout
 * breaks the barrier for everyone, so one dead worker cannot hang the rest. */
int spl_barrier_wait(struct spl_barrier *b, uint64_t timeout_ns);
void spl_barrier_break(struct spl_barrier *b);

/* ---- per-process event logs ---------------------------------------------- */

/* One operation as a worker saw it. Fields a given op does not use stay 0. */
struct spl_event {
    uint64_t t0, t1;        /* spl_time_ns() before the call and after it returned */
    uint64_t ep0, ep1;      /* slot (or global) epoch observed before and after */
    uint64_t seq;           /* payload sequence written, or read back */
    uint64_t csum;          /* payload checksum written, or of the bytes read back */
    uint64_t aux;           /* op-specific: value length, signal count, shard id... */
    uint32_t worker;        /* who logged it */
    uint32_t key;           /* key index in the run's key table */
    uint32_t peer;          /* writer id found in a payload that was read */
    uint16_t op;            /* caller-defined op code (SPL_OP_* of the user) */
    int16_t rc;             /* return value of the call */
    int32_t err;            /* errno after a failing call, else 0 */
    int32_t verdict;        /* caller-defined check result (payload verdict for reads) */
};

struct spl_log {
    _Atomic uint64_t n; /* events appended (may exceed cap: the excess was dropped) */
    uint64_t cap;
    struct spl_event ev[];
};

/* Appends; false when the log is full (the event is counted, not stored). */
bool spl_log_append(struct spl_log *l, const struct spl_event *e);
static inline size_t spl_log_len(const struct spl_log *l)
{
    uint64_t n = atomic_load_explicit(&((struct spl_log *)l)->n, memory_order_acquire);
    return n < l->cap ? (size_t)n : (size_t)l->cap;
}

/* ---- a team of worker processes ------------------------------------------ */

struct spl_team;

/* What a worker gets: its id, the team's shared pieces, and a message slot
 * to explain a failure in words (the orchestrator reports it). */
struct spl_worker {
    uint32_t id, nworkers;
    uint64_t seed;             /* run seed mixed with the worker id */
    struct spl_barrier *bar;   /* one barrier for the whole team */
    struct spl_log *log;       /* this worker's own log */
    void *shared;              /* the team's scratch area (shared_len bytes, zeroed) */
    char *msg;                 /* SPL_MSG_MAX bytes, this worker's, shown in reports */
    struct spl_team *team;
};

#define SPL_MSG_MAX 512

struct spl_team_opts {
    uint32_t workers;        /* processes to fork */
    uint64_t seed;
    size_t log_cap;          /* events per worker log */
    size_t shared_len;       /* bytes of shared scratch for the caller */
    uint64_t deadline_ns;    /* whole run; stragglers are SIGKILLed at it */
    uint64_t barrier_ns;     /* default barrier timeout for spl_worker_sync */
};


struct spl_team *spl_team_new(const struct spl_team_opts *o);
void spl_team_free(struct spl_team *t);
/* Forks the workers; each runs fn(w, arg) and exits with its return value.
 * Returns after every worker has ended (or was killed at the deadline):
 * 0 when all exited 0, else -1 (see spl_team_end / spl_team_describe). */
int spl_team_run(struct spl_team *t, int (*fn)(struct spl_worker *w, void *arg), void *arg);
uint32_t spl_team_size(const struct spl_team *t);
const struct spl_proc_end *spl_team_end(const struct spl_team *t, uint32_t worker);
struct spl_log *spl_team_log(const struct spl_team *t, uint32_t worker);
const char *spl_team_msg(const struct spl_team *t, uint32_t worker);
void *spl_team_shared(const struct spl_team *t);
/* Explains the first abnormal end in words ("worker 2 killed by SIGSEGV",
 * "worker 0 exited 1: <its message>"); "" when all exited 0. */
const char *spl_team_describe(const struct spl_team *t, char *buf, size_t len);

/* Barrier with the team's default timeout; a worker that sees a broken barrier
 * should return promptly (its peers already gave up). */
int spl_worker_sync(struct spl_worker *w);
/* printf into the worker's message slot (kept for the report). */
void spl_worker_msg(struct spl_worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- one risky call in a child with a deadline --------------------------- */

/* Runs fn(arg, msg) in a forked child; msg (SPL_MSG_MAX, shared) lets the
 * child explain itself. A crash or hang of the code under test becomes a
 * result here, never a crash of the caller. */
struct spl_child_result {
    bool exited;
    int code;
    int signal;
    bool timed_out;
    bool interrupted; /* killed because the orchestrator was interrupted */
    double secs;
    char msg[SPL_MSG_MAX];
};
int spl_child_run(int (*fn)(void *arg, char *msg), void *arg, uint64_t timeout_ns, struct spl_child_result *res);
/* "exit 3", "killed by SIGSEGV (Segmentation fault)", "hung (killed after 2.0 s)", "interrupted" */
const char *spl_child_describe(const struct spl_child_result *r, char *buf, size_t len);

#endif
