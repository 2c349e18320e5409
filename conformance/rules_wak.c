/*
 * rules_wak.c - WAK: what a woken waiter sees, how many waiters wake, how
 * late, and that every wait ends by its timeout.
 *
 * A waiter woken by the event bus, by poll, or by a signal-count change and
 * reading at once must see the write that woke it: a wake never precedes
 * the data it announces (WAK-001..003; the writes are 4 MiB, so a wake sent
 * before the copy lands inside it). One write wakes every waiter of several
 * processes, soon, measured against the raw eventfd wake latency of the same
 * processes in the same run, and a quiet wait times out on time (WAK-004).
 * A wait that begins just before a write still sees it (WAK-005).
 *
 * Process 0 writes (and owns the event bus); the others wait. Rounds are
 * paced by the team's barrier and a per-round "ready" word the waiter sets
 * just before it waits, all outside the store.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "conform.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define WAK_BIG (4u << 20) /* bytes per write in WAK-001..003 */
#define WAK_ROUNDS 32
#define WAK_MAXW 16

enum wak_mode { WAIT_BUS, WAIT_POLL, WAIT_SIG };

struct wres {
    int rc, err;            /* the wait's result */
    uint64_t t_call, t_ret; /* around the wait */
    int get_rc, get_err;    /* the read right after the wake */
    uint32_t verdict, writer;
    uint64_t seq, len;
};

struct wak_shared {
    _Atomic uint32_t ready[WAK_MAXW];
    _Atomic uint64_t begin[WAK_MAXW]; /* WAK-005: when the waiter began waiting */
    uint64_t w_t0[64], w_t1[64];      /* the writer's set of each round */
    uint64_t raw_w[64][WAK_MAXW];     /* WAK-004: time of the raw eventfd write to each waiter */
    struct wres res[64][WAK_MAXW];
    int setup_err;
    char setup_msg[256];
};

struct wak {
    struct conform *c;
    char store[512];
    enum wak_mode mode;
    unsigned rounds;
    int raw_fd[WAK_MAXW]; /* WAK-004: one plain eventfd per waiter, made before the fork */
};

static const char *const mode_name[] = {"event bus", "poll", "signal count"};

static const char *const wak_key = "conform-wak";
#define WAK_GROUP 5

/* Drains notifications left from earlier writes, so a wait waits for the next one. */
static void drain_bus(struct spl_impl *im, int fd)
{
    for (int i = 0; i < 64 && im->event_bus_wait(fd, 0) == 0; i++) {}
}

/*
 * The first of a worker's two setup rounds: open the store, process 0 makes
 * the event bus (init), and after the barrier, unless that failed, a
 * process that waits on the bus (opens) opens it into *fd. A failure is
 * said in sh->setup_msg (wak_team fails the rule with it); the caller adds
 * what else it registers, then syncs again and checks sh->setup_err.
 * -1: the worker returns 1 (no store, or the team broke up).
 */
static int wak_setup(struct spl_worker *w, struct wak *K, bool init, bool opens, int *fd)
{
    struct spl_impl *im = &K->c->im;
    struct wak_shared *sh = w->shared;
    *fd = -1;
    if (worker_open(w, im, K->store) != 0) return -1;
    if (init && w->id == 0 && im->event_bus_init() != 0) {
        snprintf(sh->setup_msg, sizeof sh->setup_msg, "event_bus_init failed: %s", strerror(errno));
        sh->setup_err = 1;
    }
    if (spl_worker_sync(w) != SPL_BARRIER_OK) return -1;
    if (!sh->setup_err && opens && (*fd = im->event_bus_open()) < 0) {
        snprintf(sh->setup_msg, sizeof sh->setup_msg, "event_bus_open in process %u failed: %s", w->id, strerror(errno));
        sh->setup_err = 1;
    }
    return 0;
}

/* ---- WAK-001..003: one waiter, the read right after the wake ---------------- */

static int wake_worker(struct spl_worker *w, void *arg)
{
    struct wak *K = arg;
    struct spl_impl *im = &K->c->im;
    struct wak_shared *sh = w->shared;
    int fd;
    if (wak_setup(w, K, K->mode == WAIT_BUS, K->mode == WAIT_BUS && w->id == 1, &fd) != 0) return 1;
    if (K->mode == WAIT_SIG && w->id == 1 && im->watch_register(wak_key, WAK_GROUP) != 0) {
        snprintf(sh->setup_msg, sizeof sh->setup_msg, "watch_register(%s, %d) failed: %s", wak_key, WAK_GROUP, strerror(errno));
        sh->setup_err = 1;
    }
    if (spl_worker_sync(w) != SPL_BARRIER_OK) return 1;
    if (sh->setup_err) return 0;
    uint8_t *buf = malloc(WAK_BIG);
    struct spl_rng rng;
    spl_rng_seed(&rng, w->seed);
    if (!buf) return 1;
    /* writer and waiter on different CPUs: a waiter that must read "at once"
     * has to be running when the wake comes, not preempted by the writer */
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu >= 2) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((int)(w->id % (uint32_t)ncpu), &set);
        sched_setaffinity(0, sizeof set, &set); /* best effort */
    }
    for (unsigned r = 0; r < K->rounds; r++) {
        if (spl_worker_sync(w) != SPL_BARRIER_OK) break;
        if (w->id == 0) {
            spl_payload_make(buf, WAK_BIG, 0, 0, r + 1);
            while (atomic_load(&sh->ready[1]) != r + 1) sched_yield();
            /* let the waiter get properly asleep (poll naps grow) before the write */
            spl_sleep_ns(200000 + spl_rng_below(&rng, 1000000));
            sh->w_t0[r] = spl_time_ns();
            for (int tries = 0; tries < 10000 && im->set(wak_key, buf, WAK_BIG) != 0 && errno == EAGAIN; tries++) {}
            sh->w_t1[r] = spl_time_ns();
        } else if (w->id == 1) {
            struct wres *o = &sh->res[r][1];
            if (K->mode == WAIT_BUS) drain_bus(im, fd);
            uint64_t sig0 = K->mode == WAIT_SIG ? im->get_signal_count(WAK_GROUP) : 0;
            atomic_store(&sh->ready[1], r + 1);
            o->t_call = spl_time_ns();
            errno = 0;
            if (K->mode == WAIT_BUS) {
                o->rc = im->event_bus_wait(fd, 3000);
            } else if (K->mode == WAIT_POLL) {
                o->rc = im->poll(wak_key, 3000);
            } else {
                /* spin (a reader that must see a change at once), yielding rarely */
                o->rc = -1, errno = ETIMEDOUT;
                for (unsigned n = 1; spl_time_ns() - o->t_call < 3000000000ull; n++) {
                    if (im->get_signal_count(WAK_GROUP) != sig0) { o->rc = 0; errno = 0; break; }
                    if (n % 1024 == 0) sched_yield();
                }
            }
            o->err = o->rc ? errno : 0;
            o->t_ret = spl_time_ns();
            /* read at once: this is what the wake announced */
            size_t got = 0;
            errno = 0;
            o->get_rc = im->get(wak_key, buf, WAK_BIG, &got);
            o->get_err = o->get_rc ? errno : 0;
            if (o->get_rc == 0) {
                struct spl_payload_info in;
                o->verdict = spl_payload_check(buf, got, 0, &in);
                o->seq = in.seq, o->writer = in.writer, o->len = got;
            }
        }
        if (spl_worker_sync(w) != SPL_BARRIER_OK) break;
    }
    if (fd >= 0) im->event_bus_close(fd);
    free(buf);
    im->close();
    return 0;
}

static struct spl_team *wak_team(struct conform *c, struct rule_out *o, unsigned workers, int (*fn)(struct spl_worker *, void *),
                                 struct wak *K)
{
    struct spl_team_opts to = {.workers = workers, .seed = c->seed, .log_cap = 1, .shared_len = sizeof(struct wak_shared),
                               .deadline_ns = 90000000000ull, .barrier_ns = 20000000000ull};
    struct spl_team *t = spl_team_new(&to);
    if (!t) { r_error(o, "cannot allocate the team: %s", strerror(errno)); return NULL; }
    if (spl_team_run(t, fn, K) != 0) {
        char why[700];
        r_fail(o, "a process did not finish cleanly: %s", spl_team_describe(t, why, sizeof why));
        spl_team_free(t);
        return NULL;
    }
    struct wak_shared *sh = spl_team_shared(t);
    if (sh->setup_err) {
        r_fail(o, "%s", sh->setup_msg);
        spl_team_free(t);
        return NULL;
    }
    return t;
}

static int wak_store(struct conform *c, struct rule_out *o, struct wak *K, const char *tag, size_t max_val)
{
    K->c = c;
    if (store_create(c, o, tag, 8, max_val) != 0) return -1;
    snprintf(K->store, sizeof K->store, "%s", o->store);
    uint8_t v[128];
    spl_payload_make(v, sizeof v, 0, 0, 0);
    if (c->im.set(wak_key, v, sizeof v) != 0) {
        r_error(o, "set(%s) in a single process failed: %s", wak_key, strerror(errno));
        return -1;
    }
    c->im.close();
    return 0;
}

static void wake_sees_data(struct conform *c, struct rule_out *o, enum wak_mode mode, const char *tag)
{
    struct wak K = {.mode = mode, .rounds = WAK_ROUNDS};
    if (wak_store(c, o, &K, tag, WAK_BIG) != 0) return;
    struct spl_team *t = wak_team(c, o, 2, wake_worker, &K);
    if (!t) return;
    struct wak_shared *sh = spl_team_shared(t);
    unsigned bad = 0, woke = 0;
    for (unsigned r = 0; r < K.rounds; r++) {
        const struct wres *x = &sh->res[r][1];
        double at = (double)(x->t_ret - x->t_call) / 1e6, wr0 = (double)(sh->w_t0[r] - x->t_call) / 1e6,
               wr1 = (double)(sh->w_t1[r] - x->t_call) / 1e6;
        if (x->rc != 0) {
            bad++;
            r_cex(o, "round %u: the %s wait returned %d (%s) after %.1f ms although a set (%.1f..%.1f ms) came meanwhile", r,
                  mode_name[mode], x->rc, strerror(x->err), at, wr0, wr1);
            continue;
        }
        woke++;
        if (x->get_rc != 0) {
            bad++;
            r_cex(o, "round %u: woken by the %s at %.3f ms (the 4 MiB set ran %.3f..%.3f ms), the get at once failed: %s%s", r,
                  mode_name[mode], at, wr0, wr1, strerror(x->get_err),
                  x->get_err == EAGAIN ? " (the write was still in progress: the wake came before the data)" : "");
        } else if (x->verdict != SPL_PAYLOAD_OK || x->seq != r + 1) {
            bad++;
            r_cex(o, "round %u: woken by the %s at %.3f ms (the set ran %.3f..%.3f ms), the get at once returned %s #%llu, not the "
                     "round's #%u", r, mode_name[mode], at, wr0, wr1,
                  spl_payload_verdict_str((enum spl_payload_verdict)x->verdict), (unsigned long long)x->seq, r + 1);
        }
    }
    if (bad) r_fail(o, "%u of %u wakes by the %s did not show the write that caused them", bad, K.rounds, mode_name[mode]);
    else r_pass(o, "%u rounds: every %s wake, read at once, showed the 4 MiB write that caused it", woke, mode_name[mode]);
    spl_team_free(t);
}

static void rule_wak001(struct conform *c, struct rule_out *o) { wake_sees_data(c, o, WAIT_BUS, "wak1"); }
static void rule_wak002(struct conform *c, struct rule_out *o) { wake_sees_data(c, o, WAIT_POLL, "wak2"); }
static void rule_wak003(struct conform *c, struct rule_out *o) { wake_sees_data(c, o, WAIT_SIG, "wak3"); }

/* ---- WAK-004: several waiters, one write; latency; timeouts ----------------- */

#define RAW_ROUNDS 12
#define WAKE_ROUNDS 12
#define QUIET_ROUNDS 2
#define WAKE_TIMEOUT_MS 1000
#define QUIET_TIMEOUT_MS 200
/* how late a wait may end past its timeout, and past the write that ends it */
#define TIMEOUT_SLACK_NS 100000000ull
#define LAT_FACTOR 20.0
#define LAT_FLOOR_NS 500000.0

enum { RK_RAW, RK_WAKE, RK_QUIET };
static int round_kind(unsigned r) { return r < RAW_ROUNDS ? RK_RAW : r < RAW_ROUNDS + WAKE_ROUNDS ? RK_WAKE : RK_QUIET; }

static int many_worker(struct spl_worker *w, void *arg)
{
    struct wak *K = arg;
    struct spl_impl *im = &K->c->im;
    struct wak_shared *sh = w->shared;
    int fd;
    if (wak_setup(w, K, true, w->id > 0, &fd) != 0) return 1;
    if (spl_worker_sync(w) != SPL_BARRIER_OK || sh->setup_err) goto out;
    uint8_t v[128];
    for (unsigned r = 0; r < K->rounds; r++) {
        int kind = round_kind(r);
        if (spl_worker_sync(w) != SPL_BARRIER_OK) break;
        if (w->id == 0) {
            for (uint32_t i = 1; i < w->nworkers; i++)
                while (atomic_load(&sh->ready[i]) != r + 1) sched_yield();
            spl_sleep_ns(2000000); /* everyone asleep in its wait */
            if (kind == RK_RAW) {
                uint64_t one = 1;
                for (uint32_t i = 1; i < w->nworkers; i++) {
                    sh->raw_w[r][i] = spl_time_ns();
                    if (write(K->raw_fd[i], &one, sizeof one) != sizeof one) sh->raw_w[r][i] = 0;
                }
            } else if (kind == RK_WAKE) {
                spl_payload_make(v, sizeof v, 0, 0, r + 1);
                sh->w_t0[r] = spl_time_ns();
                for (int tries = 0; tries < 10000 && im->set(wak_key, v, sizeof v) != 0 && errno == EAGAIN; tries++) {}
                sh->w_t1[r] = spl_time_ns();
            }
            /* a wait still running well past its timeout is stuck: record it
             * and write again, so that it ends and the round can go on */
            uint64_t limit = spl_time_ns() + (uint64_t)(kind == RK_QUIET ? QUIET_TIMEOUT_MS : WAKE_TIMEOUT_MS) * 1000000ull +
                             TIMEOUT_SLACK_NS + 400000000ull;
            for (;;) {
                uint32_t done = 0;
                for (uint32_t i = 1; i < w->nworkers; i++) done += sh->res[r][i].t_ret != 0;
                if (done == w->nworkers - 1) break;
                if (spl_time_ns() > limit) {
                    for (uint32_t i = 1; i < w->nworkers; i++)
                        if (!sh->res[r][i].t_ret) sh->res[r][i].writer = 1; /* flag: released by a later write */
                    im->set(wak_key, v, sizeof v);
                    limit = spl_time_ns() + 1000000000ull;
                }
                spl_sleep_ns(1000000);
            }
        } else {
            struct wres *o = &sh->res[r][w->id];
            drain_bus(im, fd);
            atomic_store(&sh->ready[w->id], r + 1);
            o->t_call = spl_time_ns();
            errno = 0;
            if (kind == RK_RAW) {
                struct pollfd p = {.fd = K->raw_fd[w->id], .events = POLLIN};
                uint64_t x;
                o->rc = poll(&p, 1, WAKE_TIMEOUT_MS) == 1 && read(K->raw_fd[w->id], &x, sizeof x) == sizeof x ? 0 : -1;
            } else {
                o->rc = im->event_bus_wait(fd, kind == RK_QUIET ? QUIET_TIMEOUT_MS : WAKE_TIMEOUT_MS);
            }
            o->err = o->rc ? errno : 0;
            o->t_ret = spl_time_ns();
        }
        if (spl_worker_sync(w) != SPL_BARRIER_OK) break;
    }
out:
    if (fd >= 0) im->event_bus_close(fd);
    im->close();
    return 0;
}

static int u64cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void rule_wak004(struct conform *c, struct rule_out *o)
{
    unsigned waiters = c->workers - 1 < 2 ? 2 : c->workers - 1;
    if (waiters + 1 > WAK_MAXW) waiters = WAK_MAXW - 1;
    struct wak K = {.rounds = RAW_ROUNDS + WAKE_ROUNDS + QUIET_ROUNDS};
    if (wak_store(c, o, &K, "wak4", 128) != 0) return;
    for (unsigned i = 0; i < WAK_MAXW; i++) K.raw_fd[i] = -1;
    for (unsigned i = 1; i <= waiters; i++)
        if ((K.raw_fd[i] = eventfd(0, EFD_CLOEXEC)) < 0) { r_error(o, "eventfd: %s", strerror(errno)); goto close; }
    struct spl_team *t = wak_team(c, o, waiters + 1, many_worker, &K);
    if (!t) goto close;
    struct wak_shared *sh = spl_team_shared(t);
    uint64_t raw[RAW_ROUNDS * WAK_MAXW] = {0}, lat[WAKE_ROUNDS * WAK_MAXW] = {0}; /* the first nraw, nlat are used */
    size_t nraw = 0, nlat = 0;
    unsigned missed = 0, late = 0, early = 0, stuck = 0;
    for (unsigned r = 0; r < K.rounds; r++) {
        int kind = round_kind(r);
        for (unsigned i = 1; i <= waiters; i++) {
            const struct wres *x = &sh->res[r][i];
            double el = (double)(x->t_ret - x->t_call) / 1e6;
            if (kind == RK_RAW) {
                if (x->rc == 0 && sh->raw_w[r][i] && x->t_ret > sh->raw_w[r][i]) raw[nraw++] = x->t_ret - sh->raw_w[r][i];
                continue;
            }
            if (x->writer) { /* still waiting well past its timeout: a later write released it */
                stuck++;
                r_cex(o, "round %u: process %u's event_bus_wait(%d ms) was still blocked %.0f ms after it began (%s)", r, i,
                      kind == RK_QUIET ? QUIET_TIMEOUT_MS : WAKE_TIMEOUT_MS, el,
                      kind == RK_WAKE ? "the write that should have woken it had come long before" : "nothing was written");
                continue;
            }
            if (kind == RK_WAKE) {
                if (x->rc != 0) {
                    missed++;
                    r_cex(o, "round %u: one write, but process %u's event_bus_wait returned %d (%s) after %.1f ms", r, i, x->rc,
                          strerror(x->err), el);
                } else {
                    lat[nlat++] = x->t_ret > sh->w_t1[r] ? x->t_ret - sh->w_t1[r] : 0;
                }
            } else {
                uint64_t ns = x->t_ret - x->t_call;
                /* (its errno, ETIMEDOUT, is BUS-003's business) */
                if (x->rc != -1) {
                    early++;
                    r_cex(o, "round %u: nothing written, but process %u's event_bus_wait(%d ms) returned %d after %.1f ms", r, i,
                          QUIET_TIMEOUT_MS, x->rc, el);
                } else if (ns < QUIET_TIMEOUT_MS * 1000000ull) {
                    early++;
                    r_cex(o, "round %u: process %u's event_bus_wait(%d ms) timed out after %.1f ms, before its timeout", r, i,
                          QUIET_TIMEOUT_MS, el);
                } else if (ns > QUIET_TIMEOUT_MS * 1000000ull + TIMEOUT_SLACK_NS) {
                    late++;
                    r_cex(o, "round %u: process %u's event_bus_wait(%d ms) returned after %.1f ms", r, i, QUIET_TIMEOUT_MS, el);
                }
            }
        }
    }
    qsort(raw, nraw, sizeof raw[0], u64cmp);
    qsort(lat, nlat, sizeof lat[0], u64cmp);
    size_t raw_mid = nraw / 2, lat_mid = nlat / 2, lat_p90 = nlat * 9 / 10; /* indices: integer division meant */
    double raw_med = nraw ? (double)raw[raw_mid] : 0, lat_med = nlat ? (double)lat[lat_mid] : 0;
    double bound = LAT_FACTOR * raw_med + LAT_FLOOR_NS;
    bool slow = nlat && lat_med > bound;
    if (slow)
        r_cex(o, "median wake latency %.3f ms over %zu wakes (p90 %.3f ms), against a bound of %.3f ms: %.0f x the raw eventfd "
                 "wake of the same processes (median %.3f ms over %zu) + %.1f ms",
              lat_med / 1e6, nlat, (double)lat[lat_p90] / 1e6, bound / 1e6, LAT_FACTOR, raw_med / 1e6, nraw,
              LAT_FLOOR_NS / 1e6);
    if (missed || stuck || late || early || slow)
        r_fail(o, "%u waiters in %u processes: %u wakes missed, %u waits blocked past their timeout, %u timed out late, %u "
                  "early or wrongly%s",
               waiters, waiters, missed, stuck, late, early, slow ? ", and wakes too slow" : "");
    else if (nraw < 4 || nlat < 4)
        r_error(o, "too few measurements to judge the latency: %zu raw, %zu wakes", nraw, nlat);
    else
        r_pass(o, "%u waiters in %u processes: every one woke on each of %u writes (median %.3f ms after the set returned; "
                  "raw eventfd median %.3f ms), and %u quiet waits of %d ms each timed out on time",
               waiters, waiters, WAKE_ROUNDS, lat_med / 1e6, raw_med / 1e6, QUIET_ROUNDS * waiters, QUIET_TIMEOUT_MS);
    spl_team_free(t);
close:
    for (unsigned i = 0; i < WAK_MAXW; i++)
        if (K.raw_fd[i] >= 0) close(K.raw_fd[i]);
}

/* ---- WAK-005: a wait that begins just before a write sees it --------------- */

#define EARLY_ROUNDS 24
#define EARLY_TIMEOUT_MS 300

static int early_worker(struct spl_worker *w, void *arg)
{
    struct wak *K = arg;
    struct spl_impl *im = &K->c->im;
    struct wak_shared *sh = w->shared;
    int fd;
    if (wak_setup(w, K, true, w->id == 1, &fd) != 0) return 1;
    if (spl_worker_sync(w) != SPL_BARRIER_OK || sh->setup_err) goto out;
    struct spl_rng rng;
    spl_rng_seed(&rng, w->seed);
    uint8_t v[128];
    for (unsigned r = 0; r < K->rounds; r++) {
        bool bus = r % 2; /* alternately poll and the event bus */
        if (spl_worker_sync(w) != SPL_BARRIER_OK) break;
        if (w->id == 0) {
            /* the write comes 0.1..0.9 ms after the waiter began waiting */
            uint64_t delta = 100000 + spl_rng_below(&rng, 800000), b;
            while (!(b = atomic_load(&sh->begin[1]))) sched_yield();
            while (spl_time_ns() < b + delta) {}
            spl_payload_make(v, sizeof v, 0, 0, r + 1);
            sh->w_t0[r] = spl_time_ns();
            for (int tries = 0; tries < 10000 && im->set(wak_key, v, sizeof v) != 0 && errno == EAGAIN; tries++) {}
            sh->w_t1[r] = spl_time_ns();
        } else if (w->id == 1) {
            struct wres *o = &sh->res[r][1];
            if (bus) drain_bus(im, fd);
            o->t_call = spl_time_ns();
            atomic_store(&sh->begin[1], o->t_call);
            errno = 0;
            o->rc = bus ? im->event_bus_wait(fd, EARLY_TIMEOUT_MS) : im->poll(wak_key, EARLY_TIMEOUT_MS);
            o->err = o->rc ? errno : 0;
            o->t_ret = spl_time_ns();
        }
        if (spl_worker_sync(w) != SPL_BARRIER_OK) break;
        if (w->id == 1) atomic_store(&sh->begin[1], 0);
        if (spl_worker_sync(w) != SPL_BARRIER_OK) break;
    }
out:
    if (fd >= 0) im->event_bus_close(fd);
    im->close();
    return 0;
}

static void rule_wak005(struct conform *c, struct rule_out *o)
{
    struct wak K = {.rounds = EARLY_ROUNDS};
    if (wak_store(c, o, &K, "wak5", 128) != 0) return;
    struct spl_team *t = wak_team(c, o, 2, early_worker, &K);
    if (!t) return;
    struct wak_shared *sh = spl_team_shared(t);
    unsigned missed[2] = {0, 0};
    for (unsigned r = 0; r < K.rounds; r++) {
        const struct wres *x = &sh->res[r][1];
        bool bus = r % 2;
        if (x->rc == 0) continue;
        missed[bus]++;
        r_cex(o, "round %u: %s began at 0, the set ran %.3f..%.3f ms, the wait returned %d (%s) at %.1f ms", r,
              bus ? "event_bus_wait" : "poll", (double)(sh->w_t0[r] - x->t_call) / 1e6, (double)(sh->w_t1[r] - x->t_call) / 1e6,
              x->rc, strerror(x->err), (double)(x->t_ret - x->t_call) / 1e6);
    }
    /* one miss could be the waiter descheduled between its clock read and the
     * call; a quarter of them is the implementation */
    unsigned per = K.rounds / 2;
    if (missed[0] * 4 >= per || missed[1] * 4 >= per)
        r_fail(o, "waits that began 0.1-0.9 ms before a write missed it: poll %u of %u, event bus %u of %u", missed[0], per,
               missed[1], per);
    else
        r_pass(o, "writes 0.1-0.9 ms after the wait began were seen by poll in %u of %u rounds and by the event bus in %u of %u",
               per - missed[0], per, per - missed[1], per);
    spl_team_free(t);
}

static const char *const needs_bus[] = {"set", "get", "event_bus_init", "event_bus_open", "event_bus_wait", "event_bus_close", NULL};
static const char *const needs_bus_only[] = {"set", "event_bus_init", "event_bus_open", "event_bus_wait", "event_bus_close", NULL};
static const char *const needs_poll[] = {"set", "get", "poll", NULL};
static const char *const needs_sig[] = {"set", "get", "watch_register", "get_signal_count", NULL};
static const char *const needs_early[] = {"set", "poll", "event_bus_init", "event_bus_open", "event_bus_wait", "event_bus_close", NULL};

const struct rule wak_rules[] = {
    {.id = "WAK-001", .severity = SEV_CRITICAL, .title = "an event bus wake, read at once, shows the write that caused it",
     .needs = needs_bus, .run = rule_wak001, .timeout_s = 60},
    {.id = "WAK-002", .severity = SEV_CRITICAL, .title = "a poll wake, read at once, shows the write that caused it",
     .needs = needs_poll, .run = rule_wak002, .timeout_s = 60},
    {.id = "WAK-003", .severity = SEV_CRITICAL, .title = "a signal-count change, read at once, shows the write that caused it",
     .needs = needs_sig, .run = rule_wak003, .timeout_s = 60},
    {.id = "WAK-004", .severity = SEV_MAJOR, .title = "one write wakes every bus waiter of several processes, soon; quiet waits time out on time",
     .needs = needs_bus_only, .run = rule_wak004, .timeout_s = 90},
    {.id = "WAK-005", .severity = SEV_MAJOR, .title = "poll and bus waits that begin just before a write (0.1-0.9 ms) see it",
     .needs = needs_early, .run = rule_wak005, .timeout_s = 60},
};
const size_t wak_nrules = sizeof wak_rules / sizeof wak_rules[0];
