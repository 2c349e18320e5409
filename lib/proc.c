/*
 * proc.c - fork/barrier/log engine (see proc.h).
 */
#include "proc.h"

#include "util.h"
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void *spl_shared_alloc(size_t len)
{
    void *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void spl_shared_free(void *p, size_t len)
{
    if (p) munmap(p, len ? len : 1);
}

/* ---- barrier ------------------------------------------------------------- */

static long futex(_Atomic uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
    /* no FUTEX_PRIVATE_FLAG: the word is shared between processes */
    return syscall(SYS_futex, (uint32_t *)uaddr, op, val, ts, NULL, 0);
}

void spl_barrier_init(struct spl_barrier *b, uint32_t parties)
{
    atomic_store(&b->count, 0);
    atomic_store(&b->gen, 0);
    atomic_store(&b->broken, 0);
    b->parties = parties;
}

void spl_barrier_break(struct spl_barrier *b)
{
    atomic_store(&b->broken, 1);
    atomic_fetch_add(&b->gen, 1);
    futex(&b->gen, FUTEX_WAKE, INT32_MAX, NULL);
}

int spl_barrier_wait(struct spl_barrier *b, uint64_t timeout_ns)
{
    if (atomic_load(&b->broken)) return SPL_BARRIER_BROKEN;
    uint32_t g = atomic_load(&b->gen);
    if (atomic_fetch_add(&b->count, 1) + 1 == b->parties) {
        atomic_store(&b->count, 0);
        atomic_fetch_add(&b->gen, 1);
        futex(&b->gen, FUTEX_WAKE, INT32_MAX, NULL);
        return SPL_BARRIER_OK;
    }
    uint64_t deadline = timeout_ns == UINT64_MAX ? UINT64_MAX : spl_time_ns() + timeout_ns;
    while (atomic_load(&b->gen) == g) {
        struct timespec ts, *tp = NULL;
        if (deadline != UINT64_MAX) {
            uint64_t now = spl_time_ns();
            if (now >= deadline) {
                spl_barrier_break(b);
                return SPL_BARRIER_TIMEOUT;
            }
            uint64_t left = deadline - now;
            ts.tv_sec = (time_t)(left / 1000000000u);
            ts.tv_nsec = (long)(left % 1000000000u);
            tp = &ts;
        }
        futex(&b->gen, FUTEX_WAIT, g, tp);
    }
    return atomic_load(&b->broken) ? SPL_BARRIER_BROKEN : SPL_BARRIER_OK;
}

/* ---- logs ---------------------------------------------------------------- */

bool spl_log_append(struct spl_log *l, const struct spl_event *e)
{
    uint64_t i = atomic_fetch_add_explicit(&l->n, 1, memory_order_acq_rel);
    if (i >= l->cap) return false;
    l->ev[i] = *e;
    return true;
}

/* ---- teams --------------------------------------------------------------- */

struct spl_team {
    struct spl_team_opts o;
    void *mem; /* one shared mapping: barrier, messages, scratch, logs */
    size_t mem_len;
    struct spl_barrier *bar;
    char *msgs;
    void *shared;
    struct spl_log **logs;
    size_t log_bytes;
    struct spl_worker_end *ends;
};

static size_t round64(size_t n) { return (n + 63) & ~(size_t)63; }

struct spl_team *spl_team_new(const struct spl_team_opts *o)
{
    if (!o || o->workers == 0) { errno = EINVAL; return NULL; }
    struct spl_team *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->o = *o;
    if (!t->o.log_cap) t->o.log_cap = 1024;
    if (!t->o.deadline_ns) t->o.deadline_ns = 60ull * 1000000000u;
    if (!t->o.barrier_ns) t->o.barrier_ns = 10ull * 1000000000u;
    t->log_bytes = round64(sizeof(struct spl_log) + t->o.log_cap * sizeof(struct spl_event));
    size_t off_msgs = round64(sizeof(struct spl_barrier));
    size_t off_shared = off_msgs + round64((size_t)o->workers * SPL_MSG_MAX);
    size_t off_logs = off_shared + round64(o->shared_len);
    t->mem_len = off_logs + (size_t)o->workers * t->log_bytes;
    t->mem = spl_shared_alloc(t->mem_len);
    t->logs = calloc(o->workers, sizeof *t->logs); // NOLINT(bugprone-sizeof-expression): false positive, logs is an array of pointers, so the element size is a pointer's
    t->ends = calloc(o->workers, sizeof *t->ends);
    if (!t->mem || !t->logs || !t->ends) { spl_team_free(t); errno = ENOMEM; return NULL; }
    t->bar = t->mem;
    t->msgs = (char *)t->mem + off_msgs;
    t->shared = (char *)t->mem + off_shared;
    for (uint32_t i = 0; i < o->workers; i++) {
        t->logs[i] = (struct spl_log *)((char *)t->mem + off_logs + i * t->log_bytes);
        t->logs[i]->cap = t->o.log_cap;
    }
    spl_barrier_init(t->bar, o->workers);
    return t;
}

void spl_team_free(struct spl_team *t)
{
    if (!t) return;
    spl_shared_free(t->mem, t->mem_len);
    free(t->logs);
    free(t->ends);
    free(t);
}

uint32_t spl_team_size(const struct spl_team *t) { return t->o.workers; }
const struct spl_worker_end *spl_team_end(const struct spl_team *t, uint32_t w) { return &t->ends[w]; }
struct spl_log *spl_team_log(const struct spl_team *t, uint32_t w) { return t->logs[w]; }
const char *spl_team_msg(const struct spl_team *t, uint32_t w) { return t->msgs + (size_t)w * SPL_MSG_MAX; }
void *spl_team_shared(const struct spl_team *t) { return t->shared; }

static uint64_t mix(uint64_t seed, uint64_t id)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (id + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void record_end(struct spl_worker_end *e, int status)
{
    e->status = status;
    e->exited = WIFEXITED(status);
    e->code = e->exited ? WEXITSTATUS(status) : -1;
    e->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/* Waits for the listed children until deadline; SIGKILLs whoever is left. */
static void reap(pid_t *pids, struct spl_worker_end *ends, uint32_t n, uint64_t deadline)
{
    uint32_t left = 0;
    for (uint32_t i = 0; i < n; i++) left += pids[i] > 0;
    while (left) {
        bool any = false;
        for (uint32_t i = 0; i < n; i++) {
            if (pids[i] <= 0) continue;
            int st;
            pid_t r = waitpid(pids[i], &st, WNOHANG);
            if (r == pids[i]) {
                record_end(&ends[i], st);
                pids[i] = 0;
                left--;
                any = true;
            }
        }
        if (!left) break;
        if (spl_time_ns() >= deadline) {
            for (uint32_t i = 0; i < n; i++) {
                if (pids[i] <= 0) continue;
                kill(pids[i], SIGKILL);
                int st;
                waitpid(pids[i], &st, 0);
                record_end(&ends[i], st);
                ends[i].killed = true;
                pids[i] = 0;
            }
            break;
        }
        if (!any) spl_sleep_ns(1000000);
    }
}

int spl_team_run(struct spl_team *t, int (*fn)(struct spl_worker *, void *), void *arg)
{
    uint32_t n = t->o.workers;
    spl_barrier_init(t->bar, n);
    memset(t->msgs, 0, (size_t)n * SPL_MSG_MAX);
    memset(t->ends, 0, n * sizeof *t->ends);
    for (uint32_t i = 0; i < n; i++) atomic_store(&t->logs[i]->n, 0);
    pid_t *pids = calloc(n, sizeof *pids);
    if (!pids) return -1;
    fflush(NULL);
    uint64_t deadline = spl_time_ns() + t->o.deadline_ns;
    int rc = 0;
    for (uint32_t i = 0; i < n; i++) {
        pid_t p = fork();
        if (p < 0) {
            spl_barrier_break(t->bar);
            rc = -1;
            break;
        }
        if (p == 0) {
            struct spl_worker w = {
                .id = i, .nworkers = n, .seed = mix(t->o.seed, i), .bar = t->bar, .log = t->logs[i],
                .shared = t->shared, .msg = t->msgs + (size_t)i * SPL_MSG_MAX, .team = t,
            };
            int r = fn(&w, arg);
            fflush(NULL);
            _exit(r & 0xff);
        }
        pids[i] = p;
        t->ends[i].pid = p;
    }
    reap(pids, t->ends, n, deadline);
    free(pids);
    for (uint32_t i = 0; i < n; i++)
        if (!t->ends[i].exited || t->ends[i].code != 0) rc = -1;
    return rc;
}

const char *spl_team_describe(const struct spl_team *t, char *buf, size_t len)
{
    buf[0] = '\0';
    /* a crash or kill explains more than the peers that merely gave up on the barrier */
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < t->o.workers; i++) {
            const struct spl_worker_end *e = &t->ends[i];
            const char *m = spl_team_msg(t, i);
            if (pass == 0 && (e->signal || e->killed)) {
                if (e->killed)
                    snprintf(buf, len, "worker %u hung: killed at the %.1f s deadline%s%s", i,
                             (double)t->o.deadline_ns / 1e9, m[0] ? ": " : "", m);
                else
                    {
                    char sn[32];
                    snprintf(buf, len, "worker %u (pid %d) killed by %s (%s)%s%s", i, (int)e->pid,
                             spl_signame(e->signal, sn, sizeof sn), strsignal(e->signal), m[0] ? "; last words: " : "", m);
                }
                return buf;
            }
            if (pass == 1 && e->exited && e->code != 0) {
                snprintf(buf, len, "worker %u exited %d%s%s", i, e->code, m[0] ? ": " : "", m);
                return buf;
            }
        }
    }
    return buf;
}

int spl_worker_sync(struct spl_worker *w) { return spl_barrier_wait(w->bar, w->team->o.barrier_ns); }

void spl_worker_msg(struct spl_worker *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->msg, SPL_MSG_MAX, fmt, ap);
    va_end(ap);
}

/* ---- risky child ----------------------------------------------------------- */

int spl_child_run(int (*fn)(void *, char *), void *arg, uint64_t timeout_ns, struct spl_child_result *res)
{
    memset(res, 0, sizeof *res);
    char *msg = spl_shared_alloc(SPL_MSG_MAX);
    if (!msg) return -1;
    fflush(NULL);
    uint64_t t0 = spl_time_ns();
    pid_t p = fork();
    if (p < 0) {
        spl_shared_free(msg, SPL_MSG_MAX);
        return -1;
    }
    if (p == 0) {
        int r = fn(arg, msg);
        fflush(NULL);
        _exit(r & 0xff);
    }
    struct spl_worker_end e = {.pid = p};
    reap(&p, &e, 1, t0 + timeout_ns);
    res->secs = (double)(spl_time_ns() - t0) / 1e9;
    res->exited = e.exited;
    res->code = e.code;
    res->signal = e.killed ? 0 : e.signal;
    res->timed_out = e.killed;
    memcpy(res->msg, msg, SPL_MSG_MAX);
    res->msg[SPL_MSG_MAX - 1] = '\0';
    spl_shared_free(msg, SPL_MSG_MAX);
    return 0;
}

const char *spl_child_describe(const struct spl_child_result *r, char *buf, size_t len)
{
    if (r->timed_out) snprintf(buf, len, "hung (killed after %.1f s)", r->secs);
    else if (r->signal) {
        char sn[32];
        snprintf(buf, len, "killed by %s (%s)", spl_signame(r->signal, sn, sizeof sn), strsignal(r->signal));
    }
    else snprintf(buf, len, "exit %d", r->code);
    return buf;
}
