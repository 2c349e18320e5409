/*
 * test_proc - the process engine (lib/proc.h) under the failures it exists
 * for: a worker that crashes, one that hangs, one that never reaches a
 * barrier, and a risky child that segfaults or hangs. Nothing may hang the
 * orchestrator, and each end must be described correctly.
 */
#include "proc.h"
#include "util.h"
#include "helpers.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>


/* 100 rounds: everyone increments a shared counter between two barriers; the
 * counter must read exactly n * round at each check (barriers really wait). */
static int rounds_worker(struct spl_worker *w, void *arg)
{
    (void)arg;
    _Atomic uint64_t *ctr = w->shared;
    for (uint64_t r = 1; r <= 100; r++) {
        atomic_fetch_add(ctr, 1);
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 2;
        if (atomic_load(ctr) != r * w->nworkers) {
            spl_worker_msg(w, "round %llu: counter %llu", (unsigned long long)r, (unsigned long long)atomic_load(ctr));
            return 3;
        }
        if (spl_worker_sync(w) != SPL_BARRIER_OK) return 2;
        struct spl_event e = {.worker = w->id, .seq = r};
        spl_log_append(w->log, &e);
    }
    return 0;
}

static int crash_worker(struct spl_worker *w, void *arg)
{
    (void)arg;
    if (w->id == 1) {
        spl_worker_msg(w, "about to crash");
        raise(SIGSEGV);
    }
    /* the others wait on a barrier the dead one never reaches */
    return spl_worker_sync(w) == SPL_BARRIER_OK ? 0 : 5;
}

static int hang_worker(struct spl_worker *w, void *arg)
{
    (void)arg;
    if (w->id == 0) for (;;) pause();
    return 0;
}

static int child_segv(void *arg, char *msg)
{
    (void)arg;
    snprintf(msg, SPL_MSG_MAX, "last words");
    raise(SIGSEGV);
    return 0;
}

static int child_hang(void *arg, char *msg)
{
    (void)arg;
    (void)msg;
    for (;;) pause();
    return 0;
}

static int child_exit(void *arg, char *msg)
{
    (void)arg;
    snprintf(msg, SPL_MSG_MAX, "fine");
    return 7;
}

int main(void)
{
    char buf[700];
    struct spl_team_opts o = {.workers = 4, .seed = 1, .log_cap = 50, .shared_len = 64, .deadline_ns = 20000000000ull,
                              .barrier_ns = 5000000000ull};
    struct spl_team *t = spl_team_new(&o);
    CHECK(t != NULL, "team");
    if (!t) return 1;
    int rc = spl_team_run(t, rounds_worker, NULL);
    CHECK(rc == 0, "barrier rounds: %s", spl_team_describe(t, buf, sizeof buf));
    for (uint32_t w = 0; w < 4; w++) {
        struct spl_log *l = spl_team_log(t, w);
        CHECK(l->n == 100 && spl_log_len(l) == 50, "worker %u log: %llu appended, %zu kept (cap 50)", w,
               (unsigned long long)l->n, spl_log_len(l));
    }
    spl_team_free(t);

    o.barrier_ns = 500000000ull;
    t = spl_team_new(&o);
    uint64_t t0 = spl_time_ns();
    rc = spl_team_run(t, crash_worker, NULL);
    double el = (double)(spl_time_ns() - t0) / 1e9;
    spl_team_describe(t, buf, sizeof buf);
    CHECK(rc != 0 && spl_team_end(t, 1)->signal == SIGSEGV, "crashed worker not reported");
    CHECK(strstr(buf, "worker 1") && strstr(buf, "about to crash"), "describe: '%s'", buf);
    CHECK(el < 5.0, "peers of a dead worker waited %.1f s", el);
    for (uint32_t w = 0; w < 4; w++)
        if (w != 1) CHECK(spl_team_end(t, w)->exited && spl_team_end(t, w)->code == 5, "worker %u did not see the barrier break", w);
    spl_team_free(t);

    o.deadline_ns = 300000000ull;
    t = spl_team_new(&o);
    t0 = spl_time_ns();
    rc = spl_team_run(t, hang_worker, NULL);
    el = (double)(spl_time_ns() - t0) / 1e9;
    CHECK(rc != 0 && spl_team_end(t, 0)->killed, "hung worker not killed at the deadline");
    CHECK(el < 3.0, "deadline 0.3 s, returned after %.1f s", el);
    CHECK(strstr(spl_team_describe(t, buf, sizeof buf), "hung") != NULL, "describe: '%s'", buf);
    spl_team_free(t);

    struct spl_child_result cr;
    spl_child_run(child_segv, NULL, 5000000000ull, &cr);
    CHECK(cr.signal == SIGSEGV && !strcmp(cr.msg, "last words"), "segfaulting child: signal %d msg '%s'", cr.signal, cr.msg);
    spl_child_run(child_hang, NULL, 200000000ull, &cr);
    CHECK(cr.timed_out && cr.secs < 3.0, "hanging child: timed_out %d after %.1f s", cr.timed_out, cr.secs);
    spl_child_run(child_exit, NULL, 5000000000ull, &cr);
    CHECK(cr.exited && cr.code == 7 && !strcmp(cr.msg, "fine"), "exiting child: code %d", cr.code);

    if (fails) return 1;
    printf("proc engine: ok\n");
    return 0;
}
