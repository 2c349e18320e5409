/*
 * worker.c - the processes a benchmark case runs in.
 *
 * Every implementation keeps one global store per process (the original
 * ABI), so each worker is a forked process that loads the implementations
 * (the driver never does) and opens the store itself.
 * Workers meet at a start line in shared memory, run until the driver says
 * stop, and leave their figures in their struct wres; a crash or a hang of
 * the implementation becomes a failed row, never a crash of the suite.
 */
#include "bench.h"
#include "proc.h"
#include "util.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct bench_trace_hook bench_trace;

struct wshared *bench_shared_new(int nworkers)
{
    struct wshared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) return NULL;
    sh->nworkers = nworkers;
    for (int i = 0; i < BENCH_MAX_WORKERS; i++) sh->w[i].hmin = sh->w[i].smin = UINT64_MAX;
    return sh;
}

void bench_shared_free(struct wshared *sh)
{
    if (sh) munmap(sh, sizeof *sh);
}

int bench_cpus(int *cpus, int max)
{
    cpu_set_t cs;
    int n = 0;
    if (sched_getaffinity(0, sizeof cs, &cs) != 0) return 0;
    for (int c = 0; c < CPU_SETSIZE && n < max; c++)
        if (CPU_ISSET(c, &cs)) cpus[n++] = c;
    return n;
}

void bench_worker_ready(struct wshared *sh) { spl_startline_arrive(&sh->line, true); }

static void hist_rec(uint64_t *c, uint64_t *mn, uint64_t *mx, double *s, double *ss, uint64_t v)
{
    c[spl_hist_index(SPL_HIST_DEFAULT_SUB_BITS, v)]++;
    if (v < *mn) *mn = v;
    if (v > *mx) *mx = v;
    *s += (double)v;
    *ss += (double)v * (double)v;
}

void wres_take_perf(struct wres *w, struct spl_perfctr *pc)
{
    spl_perfctr_stop(pc);
    (void)spl_perfctr_read(pc); /* -1: no counter open, each event says "supported": false */
    w->perf = *pc;
    spl_perfctr_close(pc);
}

void wres_hist_record(struct wres *w, uint64_t v) { hist_rec(w->hcount, &w->hmin, &w->hmax, &w->hsum, &w->hsumsq, v); }
void wres_sync_record(struct wres *w, uint64_t v) { hist_rec(w->hsync, &w->smin, &w->smax, &w->ssum, &w->ssumsq, v); }

int wres_hist_to(const struct wres *w, struct spl_hist *h, bool sync)
{
    struct spl_hist t;
    if (spl_hist_init(&t, SPL_HIST_DEFAULT_SUB_BITS) != 0) return -1;
    const uint64_t *c = sync ? w->hsync : w->hcount;
    for (size_t i = 0; i < t.nbuckets; i++) {
        t.counts[i] = c[i];
        t.count += c[i];
    }
    t.min = sync ? w->smin : w->hmin;
    t.max = sync ? w->smax : w->hmax;
    t.sum = sync ? w->ssum : w->hsum;
    t.sumsq = sync ? w->ssumsq : w->hsumsq;
    int rc = t.count ? spl_hist_merge(h, &t) : 0;
    spl_hist_free(&t);
    return rc;
}

int wres_hist_p50(const struct wres *w, double *p50, uint64_t *count)
{
    struct spl_hist h;
    if (spl_hist_init(&h, SPL_HIST_DEFAULT_SUB_BITS) != 0) return -1;
    int rc = wres_hist_to(w, &h, false);
    *p50 = (double)spl_hist_percentile(&h, 50);
    *count = h.count;
    spl_hist_free(&h);
    return rc;
}

static void __attribute__((format(printf, 3, 0))) wres_vset(struct wres *w, enum bench_outcome why, const char *fmt, va_list ap)
{
    vsnprintf(w->why, sizeof w->why, fmt, ap);
    w->outcome = why;
    w->failed = 1;
    w->done = 1;
}

void wres_fail(struct wres *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wres_vset(w, BENCH_ERROR, fmt, ap);
    va_end(ap);
    _exit(1); /* a worker process ends here; the driver reads why from w */
}

void wres_refuse(struct wres *w, enum bench_outcome why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wres_vset(w, why, fmt, ap);
    va_end(ap);
    _exit(1);
}

void bench_pin_plan(const struct bench_opts *o, int nworkers, cpu_set_t *cpus_of)
{
    int cpus[CPU_SETSIZE], n = bench_cpus(cpus, CPU_SETSIZE);
    for (int i = 0; i < nworkers; i++) {
        CPU_ZERO(&cpus_of[i]);
        if (o->pin && n > 0) CPU_SET(cpus[i % n], &cpus_of[i]);
    }
}

/* A worker's process: attach the implementations (the driver never loads
 * them), take its CPUs, run, say it finished. */
static int worker_main(struct wshared *sh, int i, bench_worker_fn fn, void *arg, const cpu_set_t *cpus_of)
{
    char err[160];
    if (spl_impl_attach_loaded(err, sizeof err) != 0) wres_fail(&sh->w[i], "%s", err);
    if (cpus_of && CPU_COUNT(&cpus_of[i]) > 0 && sched_setaffinity(0, sizeof cpus_of[i], &cpus_of[i]) != 0)
        wres_fail(&sh->w[i], "sched_setaffinity: %s", strerror(errno));
    fn(i, sh, arg);
    sh->w[i].done = 1;
    return 0;
}

int bench_spawn(struct wshared *sh, bench_worker_fn fn, void *arg, const cpu_set_t *cpus_of, pid_t *pids,
                const char *case_name)
{
    snprintf(sh->case_name, sizeof sh->case_name, "%s", case_name ? case_name : "");
    if (spl_interrupted()) { /* the run is being stopped: no new workers */
        errno = EINTR;
        return -1;
    }
    spl_startline_init(&sh->line, (uint32_t)sh->nworkers);
    for (int i = 0; i < sh->nworkers; i++) {
        /* its own group, and dies with the driver rather than linger holding a store */
        pid_t p = spl_proc_fork(SPL_PROC_WORKER);
        if (p < 0) {
            struct spl_proc_end e;
            for (int j = 0; j < i; j++) spl_proc_kill(pids[j], &e);
            return -1;
        }
        if (p == 0) _exit(worker_main(sh, i, fn, arg, cpus_of));
        pids[i] = p;
    }
    /* wait for the start line, but not for a worker that already died */
    spl_startline_wait(&sh->line, pids, (size_t)sh->nworkers, spl_time_ns() + 30ull * 1000000000ull);
    if (bench_trace.workers_started) bench_trace.workers_started(case_name, pids, sh->nworkers, bench_trace.arg);
    return 0;
}

int bench_run_wait(struct wshared *sh, const pid_t *pids, int npids, uint64_t run_ns, uint64_t timeout_ns)
{
    spl_startline_go(&sh->line);
    if (run_ns) {
        spl_nap(run_ns);
        spl_startline_stop(&sh->line);
    }
    struct spl_proc_end ends[BENCH_MAX_WORKERS];
    int n = npids < BENCH_MAX_WORKERS ? npids : BENCH_MAX_WORKERS;
    spl_proc_reap(pids, (size_t)n, spl_time_ns() + timeout_ns, ends);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        const struct spl_proc_end *e = &ends[i];
        char sn[32];
        if (e->interrupted) {
            snprintf(sh->w[i].why, sizeof sh->w[i].why, "worker %d stopped: the run was interrupted", i);
            sh->w[i].failed = 1;
        } else if (e->killed) {
            snprintf(sh->w[i].why, sizeof sh->w[i].why, "worker %d hung (killed after %.1f s)", i, (double)timeout_ns / 1e9);
            sh->w[i].failed = 1;
        } else if (e->signal) {
            snprintf(sh->w[i].why, sizeof sh->w[i].why, "worker %d crashed: %s (%s)", i,
                     spl_signame(e->signal, sn, sizeof sn), strsignal(e->signal));
            sh->w[i].failed = 1;
        } else if (e->exited && e->code != 0 && !sh->w[i].failed) {
            snprintf(sh->w[i].why, sizeof sh->w[i].why, "worker %d exited %d", i, e->code);
            sh->w[i].failed = 1;
        }
        if (sh->w[i].failed) bad++;
    }
    if (bench_trace.workers_done) bench_trace.workers_done(sh->case_name, pids, npids, bench_trace.arg);
    return bad ? -1 : 0;
}

struct in_child {
    void (*fn)(struct wres *w, void *arg);
    void *arg;
};

static void in_child_fn(int idx, struct wshared *sh, void *arg)
{
    struct in_child *a = arg;
    a->fn(&sh->w[idx], a->arg);
}

int bench_in_child(void (*fn)(struct wres *w, void *arg), void *arg, char *why, size_t whylen, uint64_t timeout_ns)
{
    struct wshared *sh = bench_shared_new(1);
    if (!sh) { snprintf(why, whylen, "mmap: %s", strerror(errno)); return -1; }
    if (spl_interrupted()) {
        snprintf(why, whylen, "interrupted");
        bench_shared_free(sh);
        return -1;
    }
    spl_startline_init(&sh->line, 1);
    struct in_child a = {fn, arg};
    pid_t p = spl_proc_fork(SPL_PROC_WORKER);
    if (p < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        bench_shared_free(sh);
        return -1;
    }
    if (p == 0) _exit(worker_main(sh, 0, in_child_fn, &a, NULL));
    pid_t pids[1] = {p};
    int rc = bench_run_wait(sh, pids, 1, 0, timeout_ns);
    if (rc != 0) snprintf(why, whylen, "%s", sh->w[0].why);
    bench_shared_free(sh);
    return rc;
}
