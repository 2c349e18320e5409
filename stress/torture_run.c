/*
 * torture_run.c - the supervisor: spawn, kill, detect stuck slots, recover
 * them, checkpoint with fsck, crash and reopen, report like rcutorture.
 */
#include "envelope.h"
#include "fsck.h"
#include "outfile.h"
#include "torture.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const kind_name[TT_NKINDS] = {"writer", "reader", "bidder"};

struct sup {
    struct tt_ctx *c;
    uint64_t *odd_since, *odd_e;
    uint8_t *long_flag;
    bool *killed;
    pid_t *pids;               /* scratch for reap_all */
    struct spl_proc_end *ends;
    uint32_t *need;
    struct tt_disk *disk;
    bool power_cut;
    struct spl_rng rng;
    uint64_t last_stat, next_kill, next_stat, next_check;
    FILE *out; /* stat lines: stdout, or stderr under --json */
    json_object *cycles;
    struct tt_deaths deaths; /* for the history check: when each killed worker was reaped */
    uint64_t first_crash;    /* the history is checked up to here */
    json_object *lin_json;   /* its verdict, for --json */
};

static double secs(const struct sup *s, uint64_t now) { return (double)(now - s->c->t0) / 1e9; }

static void spawn(struct sup *s, uint32_t wi)
{
    struct tt_ctx *c = s->c;
    struct tt_worker *w = &c->sh->workers[wi];
    w->generation++;
    s->killed[wi] = false;
    /* its own group, and SIGKILL if the supervisor dies: an orphaned worker
     * must not keep writing */
    pid_t p = spl_proc_fork(SPL_PROC_WORKER);
    if (p < 0) {
        tt_fail(c->sh, "fork for %s %u: %s", kind_name[w->kind], w->index, strerror(errno));
        return;
    }
    if (p == 0) tt_worker_main(c, wi);
    atomic_store(&w->pid, p);
    w->started_ns = spl_time_ns();
}

static void reap_one(struct sup *s, uint32_t wi, const struct spl_proc_end *e)
{
    int st = e->status;
    struct tt_ctx *c = s->c;
    struct tt_worker *w = &c->sh->workers[wi];
    bool ours = s->killed[wi] && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
    bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (!ours && !clean) {
        if (WIFSIGNALED(st))
            tt_fail(c->sh, "%s %u (pid %d) died of %s inside the implementation", kind_name[w->kind], w->index,
                    (int)atomic_load(&w->pid), strsignal(WTERMSIG(st)));
        else if (!atomic_load(&c->sh->failed))
            tt_fail(c->sh, "%s %u exited %d", kind_name[w->kind], w->index, WEXITSTATUS(st));
    }
    atomic_store(&w->pid, 0);
    w->died_ns = spl_time_ns();
    struct tt_deaths *d = &s->deaths;
    if (!clean && d->n == d->cap) {
        size_t nc = d->cap ? 2 * d->cap : 1024;
        uint32_t *a = realloc(d->worker, nc * sizeof *a), *b = a ? realloc(d->gen, nc * sizeof *b) : NULL;
        uint64_t *t = b ? realloc(d->ns, nc * sizeof *t) : NULL;
        if (a) d->worker = a;
        if (b) d->gen = b;
        if (t) d->ns = t, d->cap = nc;
    }
    if (!clean && d->n < d->cap) d->worker[d->n] = wi, d->gen[d->n] = w->generation, d->ns[d->n++] = w->died_ns;
}

/* Reaps the workers that ended (no waiting). */
static void reap(struct sup *s)
{
    struct tt_shared *sh = s->c->sh;
    struct spl_proc_end e;
    for (uint32_t i = 0; i < sh->nworkers; i++) {
        pid_t p = atomic_load(&sh->workers[i].pid);
        if (p > 0 && spl_proc_try_reap(p, &e)) reap_one(s, i, &e);
    }
}

/* Waits for every worker until deadline, then kills and reaps the rest. */
static void reap_all(struct sup *s, uint64_t deadline)
{
    struct tt_shared *sh = s->c->sh;
    pid_t *pids = s->pids;
    for (uint32_t i = 0; i < sh->nworkers; i++) pids[i] = atomic_load(&sh->workers[i].pid);
    spl_proc_reap(pids, sh->nworkers, deadline, s->ends);
    for (uint32_t i = 0; i < sh->nworkers; i++) {
        if (pids[i] <= 0) continue;
        if (s->ends[i].killed) s->killed[i] = true; /* ours: not a death inside the implementation */
        reap_one(s, i, &s->ends[i]);
    }
}

static void kill_all(struct sup *s) { reap_all(s, 0); }

static void kill_one(struct sup *s);

/* Poisson process of kills: a late tick (a loaded machine) catches up on the
 * kills it owes, a few at a time, so the achieved rate follows --kill-interval. */
static void killer(struct sup *s, uint64_t now)
{
    struct tt_ctx *c = s->c;
    for (int burst = 0; c->o.kill_ns && now >= s->next_kill && burst < 8; burst++) {
        double u = ((double)(spl_rng_next(&s->rng) >> 11) + 1.0) / 9007199254740993.0;
        s->next_kill += (uint64_t)(-log(u) * (double)c->o.kill_ns);
        kill_one(s);
    }
    if (c->o.kill_ns && now >= s->next_kill + 100 * c->o.kill_ns) s->next_kill = now; /* do not owe forever */
}

static void kill_one(struct sup *s)
{
    struct tt_ctx *c = s->c;
    uint32_t n = c->sh->nworkers, start = (uint32_t)spl_rng_below(&s->rng, n);
    for (uint32_t j = 0; j < n; j++) {
        uint32_t i = (start + j) % n;
        pid_t p = atomic_load(&c->sh->workers[i].pid);
        if (p <= 0 || s->killed[i]) continue; /* already killed, not yet reaped */
        s->killed[i] = true;
        kill(p, SIGKILL);
        TT_INC(c->sh, kills);
        return;
    }
}

static bool owner_dead(const struct tt_ctx *c, uint32_t k)
{
    return atomic_load(&c->sh->workers[tt_owner(c, k)].pid) == 0; /* writers are workers 0..W-1 */
}

static int recover(struct sup *s, const uint32_t *keys, size_t n, bool count)
{
    struct tt_ctx *c = s->c;
    if (!n) return 0;
    for (size_t i = 0; i < n; i++) {
        atomic_fetch_add(&c->sh->keys[keys[i]].qgen, 1); /* odd: readers discard what they get */
        atomic_store(&c->sh->keys[keys[i]].stuck, 0);
    }
    char err[600];
    int rc = tt_medic(c, keys, n, err, sizeof err);
    for (size_t i = 0; i < n; i++) {
        atomic_fetch_add(&c->sh->keys[keys[i]].qgen, 1);
        s->odd_since[keys[i]] = 0;
    }
    if (rc != 0 && !spl_interrupted()) tt_fail(c->sh, "recovering %zu stuck slot(s) failed: %s", n, err);
    else if (count) tt_add(&c->sh->st.stuck_recovered, n);
    return rc;
}

/* Stuck: odd for longer than the bound while the key's only writer is dead. */
static void scan_epochs(struct sup *s, uint64_t now)
{
    struct tt_ctx *c = s->c;
    size_t nn = 0;
    for (uint32_t k = 0; k < c->sh->nkeys; k++) {
        uint64_t e = tt_slot_epoch(c, k);
        if (!(e & 1)) { s->odd_since[k] = 0; s->long_flag[k] = 0; continue; }
        if (!s->odd_since[k] || s->odd_e[k] != e) { s->odd_since[k] = now; s->odd_e[k] = e; continue; }
        if (now - s->odd_since[k] <= c->o.stuck_ns) continue;
        if (!owner_dead(c, k)) {
            if (!s->long_flag[k]) { s->long_flag[k] = 1; TT_INC(c->sh, long_odd); }
            continue;
        }
        if (!atomic_load(&c->sh->keys[k].stuck)) {
            atomic_store(&c->sh->keys[k].stuck, 1);
            TT_INC(c->sh, stuck_found);
            /* leave it stuck for one more bound so readers get to see it */
            s->odd_since[k] = now;
            continue;
        }
        s->need[nn++] = k;
    }
    recover(s, s->need, nn, true);
}

static bool writer_keys_even(const struct tt_ctx *c, uint32_t wi)
{
    for (uint32_t k = wi; k < c->sh->nkeys; k += c->o.nkind[TT_WRITER])
        if (tt_slot_epoch(c, k) & 1) return false;
    return true;
}

static void respawn(struct sup *s)
{
    struct tt_ctx *c = s->c;
    for (uint32_t i = 0; i < c->sh->nworkers; i++) {
        struct tt_worker *w = &c->sh->workers[i];
        if (atomic_load(&w->pid) != 0) continue;
        /* a writer killed mid-write waits until the supervisor has recovered its slot */
        if (w->kind == TT_WRITER && !writer_keys_even(c, i)) continue;
        spawn(s, i);
        TT_INC(c->sh, respawns);
    }
}

static void checkpoint(struct sup *s, bool offline, const char *when)
{
    struct tt_ctx *c = s->c;
    struct spl_fsck_opts fo = SPL_FSCK_OPTS_INIT;
    fo.stuck = offline;
    fo.max_findings = 64;
    struct spl_fsck_result r;
    if (spl_fsck_image(c->map, c->map_len, &fo, &r) < 0) {
        tt_fail(c->sh, "fsck %s: out of memory", when);
        return;
    }
    TT_INC(c->sh, fsck_runs);
    if (r.errors) {
        for (size_t i = 0; i < r.nfindings; i++)
            if (r.findings[i].severity == SPL_FSCK_ERROR) {
                tt_fail(c->sh, "fsck %s: %s: %s", when, spl_fsck_code_name(r.findings[i].code), r.findings[i].msg);
                break;
            }
    }
    spl_fsck_result_free(&r);
}

#define V(f) ((unsigned long long)atomic_load(&sh->st.f))

static void stat_line(struct sup *s, uint64_t now, const char *tag)
{
    struct tt_ctx *c = s->c;
    struct tt_shared *sh = c->sh;
    char lazy[256] = "";
    size_t lz = 0;
    for (uint32_t i = 0; i < sh->nworkers; i++) {
        struct tt_worker *w = &sh->workers[i];
        uint64_t ops = atomic_load(&w->ops);
        /* alive through the whole interval and not one op: no forward progress */
        if (atomic_load(&w->pid) > 0 && w->started_ns <= s->last_stat && ops == w->ops_at_stat && s->last_stat) {
            TT_INC(sh, no_progress);
            if (lz < sizeof lazy - 24) lz += (size_t)snprintf(lazy + lz, sizeof lazy - lz, " %s%u", kind_name[w->kind], w->index);
        }
        w->ops_at_stat = ops;
    }
    s->last_stat = now;
    fprintf(s->out,
            "%s[%8.2fs] splsuite-torture:%s ops: set %llu get %llu claim %llu rebid %llu release %llu madv %llu dontneed %llu"
            " flush %llu | EAGAIN set %llu get %llu madv %llu | discarded %llu | kills %llu respawns %llu"
            " | stuck found %llu recovered %llu eagain-on-stuck %llu long-odd %llu | crashes %llu"
            " | checks %llu fsck %llu | failures %llu%s%s\n",
            V(failures) ? "!!! " : "", secs(s, now), tag, V(sets), V(gets), V(claims), V(rebids), V(releases), V(madvises),
            V(dontneeds), V(flushes), V(set_eagain), V(get_eagain), V(madv_eagain), V(get_discarded), V(kills),
            V(respawns), V(stuck_found), V(stuck_recovered), V(stuck_eagain), V(long_odd), V(crashes), V(checks),
            V(fsck_runs), V(failures), lz ? " ??? no progress:" : "", lazy);
    fflush(s->out);
}

static int crash_cycle(struct sup *s)
{
    struct tt_ctx *c = s->c;
    struct tt_shared *sh = c->sh;
    uint64_t t = spl_time_ns();
    if (!s->first_crash) s->first_crash = t;
    kill_all(s);
    TT_INC(sh, crashes);
    uint64_t verified0 = V(crash_verified), inflight0 = V(crash_inflight), fail0 = V(failures),
             unflushed0 = V(crash_unflushed_lost);
    tt_unmap_store(c);
    char err[600];
    if (s->power_cut && tt_disk_powercut(s->disk, err, sizeof err) != 0) {
        tt_fail(sh, "power cut %llu: %s", V(crashes), err);
        return -1;
    }
    if (tt_map_store(c, err, sizeof err) != 0) {
        tt_fail(sh, "after crash %llu the store is gone: %s", V(crashes), err);
        return -1;
    }
    if (tt_check_geometry(c, err, sizeof err) != 0) {
        tt_fail(sh, "after crash %llu: %s", V(crashes), err);
        tt_unmap_store(c);
        return -1;
    }
    checkpoint(s, false, "after crash");
    size_t nn = tt_audit_crash(c, s->need, s->power_cut);
    uint64_t odd = 0, fresh = 0;
    for (size_t i = 0; i < nn; i++) {
        uint64_t o = tt_slot_epoch(c, s->need[i]) & 1;
        odd += o;
        fresh += o && !atomic_load(&sh->keys[s->need[i]].stuck); /* flagged ones were counted already */
    }
    tt_add(&sh->st.stuck_found, fresh);
    if (recover(s, s->need, nn, false) == 0) tt_add(&sh->st.stuck_recovered, odd);
    if (tt_find_slots(c, err, sizeof err) != 0) { /* slots do not move, but a crash may have lost a key */
        tt_fail(sh, "after crash %llu: %s", V(crashes), err);
        tt_unmap_store(c);
        return -1;
    }
    memset(s->odd_since, 0, sizeof(uint64_t) * sh->nkeys);
    json_object *cy = json_object_new_object();
    json_object_object_add(cy, "at_s", json_object_new_double(secs(s, t)));
    json_object_object_add(cy, "mode", json_object_new_string(s->power_cut ? "power-cut" : "kill"));
    json_object_object_add(cy, "keys_verified", json_object_new_int64((int64_t)(V(crash_verified) - verified0)));
    json_object_object_add(cy, "keys_in_flight", json_object_new_int64((int64_t)(V(crash_inflight) - inflight0)));
    json_object_object_add(cy, "stuck_recovered", json_object_new_int64((int64_t)odd));
    json_object_object_add(cy, "keys_back_to_flushed", json_object_new_int64((int64_t)(V(crash_unflushed_lost) - unflushed0)));
    json_object_object_add(cy, "failures", json_object_new_int64((int64_t)(V(failures) - fail0)));
    json_object_object_add(cy, "reopen_s", json_object_new_double((double)(spl_time_ns() - t) / 1e9));
    json_object_array_add(s->cycles, cy);
    char back[96] = "";
    if (s->power_cut)
        snprintf(back, sizeof back, " (%llu of them back at their last flushed value: unflushed writes gone)",
                 V(crash_unflushed_lost) - unflushed0);
    fprintf(stderr, "splsuite torture: crash %llu (%s): %llu keys intact%s, %llu in flight and rewritten, %llu stuck recovered\n",
            V(crashes), s->power_cut ? "power cut" : "kill all", V(crash_verified) - verified0, back,
            V(crash_inflight) - inflight0, (unsigned long long)odd);
    for (uint32_t i = 0; i < sh->nworkers; i++) {
        spawn(s, i);
        TT_INC(sh, respawns);
    }
    return 0;
}

/* Workers finish their op and exit; stragglers are killed after 2 s. */
static void stop_all(struct sup *s)
{
    spl_startline_stop(&s->c->sh->line);
    reap_all(s, spl_time_ns() + 2000000000ull);
}

static json_object *hist_json(_Atomic uint64_t *h)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < TT_PIPE_LEN; i++) json_object_array_add(a, json_object_new_int64((int64_t)atomic_load(&h[i])));
    return a;
}

static void print_hist(FILE *f, const char *name, _Atomic uint64_t *h)
{
    fprintf(f, "splsuite-torture: %s:", name);
    for (int i = 0; i < TT_PIPE_LEN; i++) fprintf(f, " %llu", (unsigned long long)atomic_load(&h[i]));
    fprintf(f, "\n");
}

/* The first line of a run: every parameter, so a log says how it was made. */
static void print_banner(const struct sup *s, bool dur_tested)
{
    const struct tt_ctx *c = s->c;
    fprintf(s->out,
            "splsuite-torture:--- Start of test: impl=%s backend=%s store=%s writers=%u readers=%u bidders=%u keys=%u"
            " slots=%u size=%u..%u duration=%.1fs kill-interval=%.3fms stuck-bound=%.1fms stat-interval=%.1fs"
            " check-interval=%.1fs crash-cycles=%u crash-mode=%s flush-every=%u flush=%s durability=%s%s%s%s"
            " bid-mix=%u:%u:%u:%u:%u seed=%llu\n",
            c->im.label, c->im.backend == SPL_BACKEND_FILE ? "file" : "shm", c->store, c->o.nkind[0], c->o.nkind[1],
            c->o.nkind[2], c->o.keys, c->o.slots ? c->o.slots : 2 * c->o.keys, c->o.min_size, c->o.max_size,
            (double)c->o.duration_ns / 1e9, (double)c->o.kill_ns / 1e6, (double)c->o.stuck_ns / 1e6,
            (double)c->o.stat_ns / 1e9, (double)c->o.check_ns / 1e9, c->o.crash_cycles,
            !c->o.crash_cycles ? "none" : s->power_cut ? "power-cut" : "kill", c->o.flush_every,
            c->durability ? spl_flush_strategy_name(c->o.flush_strategy) : "-", dur_tested ? "tested" : "not-tested",
            c->durability_why ? "(" : "", c->durability_why ? c->durability_why : "", c->durability_why ? ")" : "",
            c->o.bid_mix[0], c->o.bid_mix[1],
            c->o.bid_mix[2], c->o.bid_mix[3], c->o.bid_mix[4], (unsigned long long)c->o.seed);
    fflush(s->out);
}

enum setup_end { SETUP_OK, SETUP_FAILED, SETUP_ENV };

/* Creates, fills and maps the store and finds every key's slot. A store the
 * implementation cannot create, or writes in a way the format does not
 * describe, is a FAILURE of the implementation (SETUP_FAILED, with a
 * verdict); a machine that cannot hold one is not (SETUP_ENV). */
static enum setup_end setup_store(struct sup *s)
{
    struct tt_ctx *c = s->c;
    struct tt_shared *sh = c->sh;
    char err[600];
    if (tt_populate(c, err, sizeof err) != 0 || tt_map_store(c, err, sizeof err) != 0) {
        char envwhy[300];
        if (spl_interrupted()) return SETUP_FAILED; /* killed by the interrupt: no verdict on it */
        if (spl_impl_env_problem(&c->im, 8u << 20, envwhy, sizeof envwhy)) { /* the machine's fault, not a FAILURE */
            spl_err("torture", "%s (setup: %s)", envwhy, err);
            return SETUP_ENV;
        }
        tt_fail(sh, "setup: %s", err);
        return SETUP_FAILED;
    }
    checkpoint(s, true, "after populate");
    if (tt_find_slots(c, err, sizeof err) != 0) {
        tt_fail(sh, "setup: %s", err);
        tt_unmap_store(c);
        return SETUP_FAILED;
    }
    return SETUP_OK;
}

/* Nobody writes any more: every odd slot is stuck by definition; recover
 * them, check the store offline and every key's value. */
static void final_audit(struct sup *s)
{
    struct tt_ctx *c = s->c;
    struct tt_shared *sh = c->sh;
    size_t nn = 0;
    for (uint32_t k = 0; k < sh->nkeys; k++) {
        if (!(tt_slot_epoch(c, k) & 1)) continue;
        s->need[nn++] = k;
        if (!atomic_load(&sh->keys[k].stuck)) TT_INC(sh, stuck_found); /* else counted when flagged */
    }
    recover(s, s->need, nn, true);
    checkpoint(s, true, "final (offline)");
    tt_audit_final(c);
}

/* The closing lines (rcutorture's one SUCCESS/FAILURE verdict); true on FAILURE. */
/* An interrupted run is never a SUCCESS: what it found, or INTERRUPTED. */
static const char *verdict_of(bool failed) { return failed ? "FAILURE" : spl_interrupted() ? "INTERRUPTED" : "SUCCESS"; }

static bool print_verdict(struct sup *s)
{
    struct tt_ctx *c = s->c;
    struct tt_shared *sh = c->sh;
    stat_line(s, spl_time_ns(), " final");
    print_hist(s->out, "Reader Pipe (write epochs during a successful read: 0..9, 10+)", sh->st.pipe);
    print_hist(s->out, "Reader Retries (EAGAIN before success: 0..9, 10+)", sh->st.retries);
    bool failed = atomic_load(&sh->failed) != 0;
    if (!failed && (V(sets) == 0 || V(gets) == 0)) tt_fail(sh, "no forward progress: %llu sets, %llu gets", V(sets), V(gets));
    failed = atomic_load(&sh->failed) != 0;
    int intr = spl_interrupted();
    char sn[32];
    if (intr)
        fprintf(s->out, "splsuite-torture: interrupted by %s after %.1f s of %.1f s: not judged\n",
                spl_signame(intr, sn, sizeof sn), secs(s, spl_time_ns()), (double)c->o.duration_ns / 1e9);
    if (failed) {
        fprintf(s->out, "!!! splsuite-torture: first failure: %s\n", sh->first_failure);
        fprintf(s->out, "!!! splsuite-torture: repro: %s\n", c->repro);
    }
    fprintf(s->out, "splsuite-torture:--- End of test: %s: impl=%s backend=%s seed=%llu\n", verdict_of(failed),
            c->im.label, c->im.backend == SPL_BACKEND_FILE ? "file" : "shm", (unsigned long long)c->o.seed);
    fflush(s->out);
    return failed;
}

/* The --json verdict: parameters, totals, histograms, crash cycles. */
/* The JSON summary on stdout (--json) and in -o FILE; 0, or SPL_EXIT_OUTPUT. */
static int print_json(struct sup *s, const struct spl_envelope *env, bool dur_tested, bool failed, json_object *ktrace)
{
    struct tt_ctx *c = s->c;
    struct tt_shared *sh = c->sh;
    json_object *o = json_object_new_object(), *p = json_object_new_object(), *t = json_object_new_object();
    json_object_object_add(p, "impl", json_object_new_string(c->im.label));
    json_object_object_add(p, "backend", json_object_new_string(c->im.backend == SPL_BACKEND_FILE ? "file" : "shm"));
    json_object_object_add(p, "writers", json_object_new_int(c->o.nkind[0]));
    json_object_object_add(p, "readers", json_object_new_int(c->o.nkind[1]));
    json_object_object_add(p, "bidders", json_object_new_int(c->o.nkind[2]));
    json_object_object_add(p, "keys", json_object_new_int((int)c->o.keys));
    json_object_object_add(p, "min_size", json_object_new_int((int)c->o.min_size));
    json_object_object_add(p, "max_size", json_object_new_int((int)c->o.max_size));
    json_object_object_add(p, "duration_s", json_object_new_double((double)c->o.duration_ns / 1e9));
    json_object_object_add(p, "kill_interval_ms", json_object_new_double((double)c->o.kill_ns / 1e6));
    json_object_object_add(p, "stuck_bound_ms", json_object_new_double((double)c->o.stuck_ns / 1e6));
    json_object_object_add(p, "crash_cycles", json_object_new_int((int)c->o.crash_cycles));
    json_object_object_add(p, "crash_mode", json_object_new_string(!c->o.crash_cycles ? "none" : s->power_cut ? "power-cut" : "kill"));
    json_object_object_add(p, "durability_tested", json_object_new_boolean(dur_tested));
    if (c->durability_why) json_object_object_add(p, "durability_note", json_object_new_string(c->durability_why));
    json_object_object_add(p, "seed", json_object_new_uint64(c->o.seed));
    json_object_object_add(o, "params", p);
#define TT_STAT_JSON(n) json_object_object_add(t, #n, json_object_new_uint64(atomic_load(&sh->st.n)));
    TT_STATS(TT_STAT_JSON)
#undef TT_STAT_JSON
    json_object_object_add(o, "totals", t);
    json_object_object_add(o, "reader_pipe", hist_json(sh->st.pipe));
    json_object_object_add(o, "reader_retries", hist_json(sh->st.retries));
    if (s->lin_json) json_object_object_add(o, "linearizability", json_object_get(s->lin_json));
    json_object_object_add(o, "crash_cycles", json_object_get(s->cycles));
    json_object_object_add(o, "elapsed_s", json_object_new_double((double)(spl_time_ns() - c->t0) / 1e9));
    int intr = spl_interrupted();
    char sn[32];
    json_object_object_add(o, "interrupted", json_object_new_boolean(intr != 0));
    if (intr) json_object_object_add(o, "signal", json_object_new_string(spl_signame(intr, sn, sizeof sn)));
    json_object_object_add(o, "verdict", json_object_new_string(verdict_of(failed)));
    json_object_object_add(o, "repro", json_object_new_string(c->repro));
    if (failed) json_object_object_add(o, "first_failure", json_object_new_string(sh->first_failure));
    if (ktrace) json_object_object_add(o, "kernel_trace", json_object_get(ktrace));
    o = spl_envelope_wrap(env, o);
    if (c->o.json) puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    char werr[600];
    int rc = 0;
    if (c->o.output && !(c->o.json && !strcmp(c->o.output, "-")) && spl_outfile_json(c->o.output, o, werr, sizeof werr) != 0) {
        spl_err("torture", "cannot write the JSON summary: %s", werr);
        rc = SPL_EXIT_OUTPUT;
    }
    json_object_put(o);
    return rc;
}

/* The supervisor's per-key and per-worker tables, and the slot map. */
static int sup_alloc(struct sup *s)
{
    struct tt_ctx *c = s->c;
    uint32_t nk = c->sh->nkeys, nw = c->sh->nworkers;
    s->odd_since = calloc(nk, sizeof(uint64_t));
    s->odd_e = calloc(nk, sizeof(uint64_t));
    s->long_flag = calloc(nk, 1);
    s->need = calloc(nk, sizeof(uint32_t));
    s->killed = calloc(nw, sizeof(bool));
    s->pids = calloc(nw, sizeof *s->pids);
    s->ends = calloc(nw, sizeof *s->ends);
    c->slot_of = calloc(nk, sizeof(uint32_t));
    return s->odd_since && s->odd_e && s->long_flag && s->need && s->killed && s->pids && s->ends && c->slot_of ? 0 : -1;
}

static void sup_free(struct sup *s)
{
    free(s->odd_since), free(s->odd_e), free(s->long_flag), free(s->need), free(s->killed), free(s->pids), free(s->ends);
    free(s->c->slot_of);
    json_object_put(s->cycles);
}

/* Crash cycles on a file store cut the power of a disk of their own when
 * they can. 0, or SPL_EXIT_SKIP when --crash-mode loop insists and cannot. */
static int setup_power_cut(struct sup *s)
{
    struct tt_ctx *c = s->c;
    char err[600];
    if (!(c->o.crash_cycles > 0 && c->im.backend == SPL_BACKEND_FILE && c->o.crash_mode != TT_CRASH_KILL)) return 0;
    /* room for the store even with an embeddings build's 3200-byte slots */
    uint64_t est = spl_sv_region_size(c->o.slots ? c->o.slots : 2 * c->o.keys, c->o.max_size, SPL_SV_SLOT_SIZE_EMB);
    s->disk = tt_disk_setup(8 * est + (64u << 20), err, sizeof err);
    if (s->disk) {
        s->power_cut = true;
        snprintf(c->store, sizeof c->store, "%s/torture-%d.spl", tt_disk_dir(s->disk), (int)getpid());
    } else if (c->o.crash_mode == TT_CRASH_LOOP) {
        spl_err("torture", "--crash-mode loop: %s", err);
        return SPL_EXIT_SKIP;
    } else {
        fprintf(stderr, "splsuite torture: no power-cut simulation (%s): crash cycles kill every process and reopen; "
                        "flushed-data durability is not tested\n", err);
    }
    return 0;
}

/* The harness makes the freshly created store durable itself, so that what a
 * power cut can lose is exactly what the workers wrote: their values are
 * covered only by the implementation's own flushes. */
static int sync_new_store(const struct sup *s)
{
    const struct tt_ctx *c = s->c;
    int fd = open(c->path, O_RDONLY | O_CLOEXEC), dfd = open(tt_disk_dir(s->disk), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd < 0 || fsync(fd) != 0 || dfd < 0 || fsync(dfd) != 0 ? -1 : 0;
    if (rc != 0) spl_err("torture", "fsync of the new store %s: %s", c->path, strerror(errno));
    if (fd >= 0) close(fd);
    if (dfd >= 0) close(dfd);
    return rc;
}

/* The run: the workers start together; until the end (or an interrupt) the
 * supervisor reaps, kills, scans, respawns, checks, prints and crashes on
 * schedule; then it stops them all. */
static void supervise(struct sup *s)
{
    struct tt_ctx *c = s->c;
    struct tt_shared *sh = c->sh;
    for (uint32_t i = 0; i < sh->nworkers; i++) spawn(s, i);
    /* they start together; a respawned worker finds the line open */
    for (uint32_t i = 0; i < sh->nworkers; i++) s->pids[i] = atomic_load(&sh->workers[i].pid);
    spl_startline_wait(&sh->line, s->pids, sh->nworkers, spl_time_ns() + 10000000000ull);
    spl_startline_go(&sh->line);
    uint64_t now = spl_time_ns(), end = c->t0 + c->o.duration_ns;
    s->next_kill = now + c->o.kill_ns;
    s->next_stat = now + c->o.stat_ns;
    s->next_check = now + c->o.check_ns;
    uint32_t cycle = 0;
    while ((now = spl_time_ns()) < end && !spl_interrupted()) {
        reap(s);
        killer(s, now);
        scan_epochs(s, now);
        respawn(s);
        if (now >= s->next_check) { checkpoint(s, false, "checkpoint"); s->next_check = now + c->o.check_ns; }
        if (now >= s->next_stat) { stat_line(s, now, ""); s->next_stat = now + c->o.stat_ns; }
        if (cycle < c->o.crash_cycles && now >= c->t0 + c->o.duration_ns / (c->o.crash_cycles + 1) * (cycle + 1)) {
            cycle++;
            if (crash_cycle(s) != 0) break;
        }
        spl_sleep_ns(500000);
    }
    stop_all(s);
}

int tt_run(struct tt_ctx *c)
{
    struct tt_shared *sh = c->sh;
    struct sup s = {.c = c, .out = c->o.json ? stderr : stdout, .cycles = json_object_new_array()};
    spl_startline_init(&sh->line, sh->nworkers);
    if (sup_alloc(&s) != 0) {
        spl_err("torture", "out of memory");
        sup_free(&s);
        return SPL_EXIT_FAIL;
    }
    spl_rng_seed(&s.rng, c->o.seed);
    int code = setup_power_cut(&s);
    if (code != 0) {
        sup_free(&s);
        return code;
    }
    struct spl_trace *kt = NULL;

    if (c->im.backend == SPL_BACKEND_FILE) snprintf(c->path, sizeof c->path, "%s", c->store);
    else spl_impl_store_path(&c->im, c->store, c->path, sizeof c->path);
    /* durability is tested only by a power cut after flushes the implementation made */
    bool dur_tested = c->durability && s.power_cut;
    if (!dur_tested && !c->durability_why)
        c->durability_why = !c->o.crash_cycles ? "no crash cycles (--crash-cycles N)" : "no power-cut simulation";
    if (dur_tested) c->durability_why = NULL;

    print_banner(&s, dur_tested);

    c->t0 = spl_time_ns();
    static struct spl_envelope env; /* run identity of the JSON verdict */
    spl_envelope_init(&env, "splsuite-torture/1");
    spl_envelope_add_impl(&env, c->im.label, c->im.spec, c->im.path, c->im.backend == SPL_BACKEND_FILE ? "file" : "shm");
    spl_envelope_add_store_dir(&env, c->path);
    switch (setup_store(&s)) {
    case SETUP_OK: break;
    case SETUP_FAILED: goto verdict;
    case SETUP_ENV: code = SPL_EXIT_USAGE; goto cleanup;
    }
    if (s.power_cut && sync_new_store(&s) != 0) {
        code = SPL_EXIT_FAIL;
        goto cleanup;
    }
    if (c->o.trace) kt = tt_trace_start(c); /* before the fork: the probes follow children */
    sh->hist = tt_hist_new(); /* before the fork: workers and the medic log into it */
    if (!sh->hist) fprintf(stderr, "splsuite torture: no memory for the history log: its linearizability is not checked\n");
    supervise(&s);
    /* interrupted: the run is not complete, so it is not judged (never SUCCESS) */
    if (c->map && !spl_interrupted()) final_audit(&s); /* else the store did not survive a crash */
    if (!spl_interrupted()) /* an interrupted run is not judged */
        s.lin_json = tt_hist_check(c, &s.deaths, s.first_crash ? s.first_crash : UINT64_MAX, s.out);
verdict:; /* a declaration cannot follow a label before C23 */
    bool failed = print_verdict(&s);
    code = spl_interrupted() ? spl_interrupt_status() : failed ? SPL_EXIT_FAIL : SPL_EXIT_OK;
    json_object *ktrace = tt_trace_stop(kt, c->o.json ? NULL : s.out);
    kt = NULL;
    if ((c->o.json || c->o.output) && print_json(&s, &env, dur_tested, failed, ktrace) != 0 && !spl_interrupted())
        code = SPL_EXIT_OUTPUT;
    json_object_put(ktrace);
cleanup:
    json_object_put(tt_trace_stop(kt, NULL));
    kill_all(&s);
    tt_unmap_store(c);
    if (c->o.keep) fprintf(stderr, "splsuite torture: store kept at %s\n", c->path);
    else spl_impl_store_remove(&c->im, c->store);
    if (s.disk) {
        if (c->o.keep) fprintf(stderr, "splsuite torture: --keep with a power-cut disk: the disk is torn down anyway\n");
        tt_disk_teardown(s.disk);
    }
    json_object_put(s.lin_json);
    tt_hist_free(sh->hist);
    sh->hist = NULL;
    free(s.deaths.worker), free(s.deaths.gen), free(s.deaths.ns);
    sup_free(&s);
    return code;
}
