/*
 * proc.c - processes (fork, kill and reap with a deadline), interrupts, the
 * start line, barriers, event logs, teams, risky children (see proc.h).
 */
#include "proc.h"

#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <sched.h>
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

/* ---- interrupts ---------------------------------------------------------------- */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    if (!got_signal) got_signal = sig;
}

void spl_interrupt_catch(void)
{
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: waits return early */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void spl_interrupt_release(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    got_signal = 0;
}

int spl_interrupted(void) { return got_signal; }

bool spl_nap(uint64_t ns)
{
    uint64_t end = spl_time_ns() + ns;
    for (uint64_t now; !got_signal && (now = spl_time_ns()) < end;) {
        struct timespec ts = {(time_t)((end - now) / 1000000000u), (long)((end - now) % 1000000000u)};
        nanosleep(&ts, NULL); /* EINTR: look at the flag again */
    }
    return !got_signal;
}
int spl_interrupt_status(void) { return got_signal ? 128 + got_signal : 0; }

/* ---- processes ------------------------------------------------------------------- */

static void child_setup(unsigned flags, pid_t parent)
{
    spl_interrupt_release();
    signal(SIGPIPE, SIG_DFL);
    if (flags & SPL_PROC_GROUP) setpgid(0, 0);
    if (flags & SPL_PROC_PDEATH) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(0); /* the parent died before we could ask */
    }
}

pid_t spl_proc_fork(unsigned flags)
{
    pid_t parent = getpid();
    fflush(NULL);
    pid_t p = fork();
    if (p == 0) child_setup(flags, parent);
    /* both sides set the group, so a kill right after fork already reaches it */
    if (p > 0 && (flags & SPL_PROC_GROUP)) setpgid(p, p);
    return p;
}

pid_t spl_proc_run(int (*fn)(void *), void *arg, unsigned flags)
{
    pid_t p = spl_proc_fork(flags);
    if (p == 0) {
        int r = fn(arg);
        fflush(NULL);
        _exit(r & 0xff);
    }
    return p;
}

static void record_end(struct spl_proc_end *e, pid_t pid, int status)
{
    e->pid = pid;
    e->status = status;
    e->exited = WIFEXITED(status);
    e->code = e->exited ? WEXITSTATUS(status) : -1;
    e->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

bool spl_proc_try_reap(pid_t pid, struct spl_proc_end *end)
{
    int st;
    pid_t r;
    while ((r = waitpid(pid, &st, WNOHANG)) < 0 && errno == EINTR) {}
    if (r != pid) return false;
    memset(end, 0, sizeof *end);
    record_end(end, pid, st);
    return true;
}

void spl_proc_signal(pid_t pid, int sig)
{
    if (pid <= 0) return;
    /* a group leader's group: it and everything it forked (workers of a rule) */
    if (getpgid(pid) == pid) kill(-pid, sig);
    kill(pid, sig);
}

void spl_proc_kill(pid_t pid, struct spl_proc_end *end)
{
    memset(end, 0, sizeof *end);
    spl_proc_signal(pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    record_end(end, pid, st);
    end->killed = true;
}

/* Sleeps until one of the n pids may have ended, or at most max_ns: a poll on
 * pidfds when the kernel has them (5.3+), else a short sleep. */
static void wait_some(const pid_t *pids, const bool *done, size_t n, uint64_t max_ns)
{
    struct pollfd fds[64];
    size_t nf = 0;
    for (size_t i = 0; i < n && nf < 64; i++) {
        if (pids[i] <= 0 || done[i]) continue;
        int fd = (int)syscall(SYS_pidfd_open, pids[i], 0);
        if (fd < 0) break;
        fds[nf++] = (struct pollfd){.fd = fd, .events = POLLIN};
    }
    int ms = (int)(max_ns / 1000000u) + 1;
    if (nf) poll(fds, nf, ms > 100 ? 100 : ms); /* 100 ms: also notices an interrupt that came between checks */
    else spl_sleep_ns(max_ns < 1000000u ? max_ns : 1000000u);
    for (size_t i = 0; i < nf; i++) close(fds[i].fd);
}

size_t spl_proc_reap(const pid_t *pids, size_t n, uint64_t deadline, struct spl_proc_end *ends)
{
    bool stack_done[64], *done = n <= 64 ? stack_done : calloc(n, sizeof *done);
    if (!done) { /* no memory to wait with: never leave a child behind */
        for (size_t i = 0; i < n; i++)
            if (pids[i] > 0) spl_proc_kill(pids[i], &ends[i]);
        return 0;
    }
    size_t left = 0, natural = 0;
    for (size_t i = 0; i < n; i++) {
        memset(&ends[i], 0, sizeof ends[i]);
        done[i] = pids[i] <= 0;
        left += !done[i];
    }
    while (left) {
        for (size_t i = 0; i < n; i++)
            if (!done[i] && spl_proc_try_reap(pids[i], &ends[i])) done[i] = true, left--, natural++;
        if (!left) break;
        uint64_t now = spl_time_ns();
        int intr = spl_interrupted();
        if (now >= deadline || intr) {
            for (size_t i = 0; i < n; i++) {
                if (done[i]) continue;
                spl_proc_kill(pids[i], &ends[i]);
                ends[i].interrupted = intr != 0 && now < deadline;
                done[i] = true;
            }
            break;
        }
        wait_some(pids, done, n, deadline - now);
    }
    if (done != stack_done) free(done);
    return natural;
}

const char *spl_proc_describe(const struct spl_proc_end *e, double secs, char *buf, size_t len)
{
    char sn[32];
    if (e->interrupted) snprintf(buf, len, "interrupted (killed after %.1f s)", secs);
    else if (e->killed) snprintf(buf, len, "hung (killed after %.1f s)", secs);
    else if (e->signal) snprintf(buf, len, "killed by %s (%s)", spl_signame(e->signal, sn, sizeof sn), strsignal(e->signal));
    else snprintf(buf, len, "exit %d", e->code);
    return buf;
}

/* ---- the start line ------------------------------------------------------------------- */

static long futex(_Atomic uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts);

void spl_startline_init(struct spl_startline *s, uint32_t n)
{
    atomic_store(&s->ready, 0);
    atomic_store(&s->go, 0);
    atomic_store(&s->stop, 0);
    s->n = n;
}

bool spl_startline_arrive(struct spl_startline *s, bool spin)
{
    atomic_fetch_add(&s->ready, 1);
    while (!atomic_load(&s->go)) {
        if (atomic_load(&s->stop)) return false;
        if (spin) sched_yield();
        else {
            struct timespec ts = {0, 100000000}; /* re-check stop: the driver may give up without go */
            futex(&s->go, FUTEX_WAIT, 0, &ts);
        }
    }
    return true;
}

uint32_t spl_startline_wait(struct spl_startline *s, const pid_t *pids, size_t n, uint64_t deadline)
{
    for (;;) {
        uint32_t r = atomic_load(&s->ready);
        if (r >= s->n || spl_time_ns() >= deadline || spl_interrupted()) return r;
        /* a worker that died before the line will never arrive */
        for (size_t i = 0; i < n; i++) {
            siginfo_t si = {0};
            if (pids[i] > 0 && waitid(P_PID, (id_t)pids[i], &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pids[i])
                return atomic_load(&s->ready);
        }
        spl_sleep_ns(100000);
    }
}

void spl_startline_go(struct spl_startline *s)
{
    atomic_store(&s->go, 1);
    futex(&s->go, FUTEX_WAKE, INT32_MAX, NULL);
}

void spl_startline_stop(struct spl_startline *s)
{
    atomic_store(&s->stop, 1);
    futex(&s->go, FUTEX_WAKE, INT32_MAX, NULL);
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
    struct spl_proc_end *ends;
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
const struct spl_proc_end *spl_team_end(const struct spl_team *t, uint32_t w) { return &t->ends[w]; }
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

int spl_team_run(struct spl_team *t, int (*fn)(struct spl_worker *, void *), void *arg)
{
    uint32_t n = t->o.workers;
    spl_barrier_init(t->bar, n);
    memset(t->msgs, 0, (size_t)n * SPL_MSG_MAX);
    memset(t->ends, 0, n * sizeof *t->ends);
    for (uint32_t i = 0; i < n; i++) atomic_store(&t->logs[i]->n, 0);
    pid_t *pids = calloc(n, sizeof *pids);
    if (!pids) return -1;
    uint64_t deadline = spl_time_ns() + t->o.deadline_ns;
    int rc = 0;
    for (uint32_t i = 0; i < n; i++) {
        /* the workers stay in the team driver's process group: killing it kills them */
        pid_t p = spl_proc_fork(SPL_PROC_PDEATH);
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
            /* no start line here: a team starts on its own barrier (its first
             * spl_worker_sync), which the rules' timing is built around */
            int r = fn(&w, arg);
            fflush(NULL);
            _exit(r & 0xff);
        }
        pids[i] = p;
    }
    spl_proc_reap(pids, n, deadline, t->ends);
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
            const struct spl_proc_end *e = &t->ends[i];
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
    uint64_t t0 = spl_time_ns();
    /* its own group: a kill at the deadline takes the workers it forked too */
    pid_t p = spl_proc_fork(SPL_PROC_WORKER);
    if (p < 0) {
        spl_shared_free(msg, SPL_MSG_MAX);
        return -1;
    }
    if (p == 0) {
        int r = fn(arg, msg);
        fflush(NULL);
        _exit(r & 0xff);
    }
    struct spl_proc_end e;
    spl_proc_reap(&p, 1, t0 + timeout_ns, &e);
    res->secs = (double)(spl_time_ns() - t0) / 1e9;
    res->exited = e.exited;
    res->code = e.code;
    res->signal = e.killed ? 0 : e.signal;
    res->timed_out = e.killed && !e.interrupted;
    res->interrupted = e.interrupted;
    memcpy(res->msg, msg, SPL_MSG_MAX);
    res->msg[SPL_MSG_MAX - 1] = '\0';
    spl_shared_free(msg, SPL_MSG_MAX);
    return 0;
}

const char *spl_child_describe(const struct spl_child_result *r, char *buf, size_t len)
{
    if (r->interrupted) snprintf(buf, len, "interrupted (killed after %.1f s)", r->secs);
    else if (r->timed_out) snprintf(buf, len, "hung (killed after %.1f s)", r->secs);
    else if (r->signal) {
        char sn[32];
        snprintf(buf, len, "killed by %s (%s)", spl_signame(r->signal, sn, sizeof sn), strsignal(r->signal));
    }
    else snprintf(buf, len, "exit %d", r->code);
    return buf;
}
