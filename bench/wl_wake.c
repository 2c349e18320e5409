/*
 * wl_wake.c - cross-process wake latency.
 *
 * Two processes play ping-pong: the writer stamps CLOCK_MONOTONIC into
 * shared memory and makes one write; the waiter records (now - stamp) the
 * moment it is woken, then acknowledges on an eventfd so exactly one write
 * is in flight. Kinds:
 *   bus      splinter_set by the event-bus owner, waiter in splinter_event_bus_wait
 *   eventfd  raw eventfd write -> poll + read: the floor the bus is compared with
 *   bus-spin the bus again, its descriptor opened with SPLREF_BUS_SPIN=on (the
 *            reference's adaptive wait; other implementations ignore it)
 *   signal   splinter_set on a watched key, waiter spinning on splinter_get_signal_count
 * The first three run in one process pair, one round trip of each per
 * iteration (A,B,C,A,B,C...): the latency of a wake here is bimodal (a
 * waiter on an idle core or one that has to preempt something), and kinds
 * measured in different moments land in different modes. So each kind's
 * two modes are reported (share and median of each cluster), and the
 * ratios to the floor are per repetition of the same pair. The waiter's
 * CPU time per wake (CLOCK_THREAD_CPUTIME_ID around the wait, outside the
 * timed stretch) is reported beside the latency: a spin buys its latency
 * with CPU. No perf counters run here: their cost lands in every context
 * switch, that is, inside the figure.
 * The writer owns the bus (event_bus_init) and the waiter joins it with
 * event_bus_open: that is the arrangement both the original and the
 * reference notify from.
 */
#include "bench.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define WAKE_GROUP 7
#define WAKE_KEY "bench.wake"
#define WAKE_TIMEOUT_MS 10000 /* generous: a loaded machine can starve a process for seconds */

struct wake_case {
    const struct bench_opts *o;
    const struct spl_impl *im;
    const struct bench_store *st;
    int kind; /* 0 bus, 1 eventfd, 2 signal */
    int ping, ack; /* eventfds created before fork */
    uint64_t iters, warm;
};

static const char *const kinds[] = {"bus", "eventfd", "bus-spin", "signal"};
#define NPAIRED 3 /* kinds 0..2 run interleaved in one pair */

static int wait_fd(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc;
    do rc = poll(&p, 1, ms);
    while (rc < 0 && errno == EINTR);
    if (rc <= 0) return -1;
    uint64_t v;
    return read(fd, &v, sizeof v) == (ssize_t)sizeof v ? 0 : -1;
}

static void post_fd(int fd)
{
    uint64_t one = 1;
    ssize_t w = write(fd, &one, sizeof one);
    (void)w;
}

static void wake_worker(int idx, struct wshared *sh, void *arg)
{
    const struct wake_case *c = arg;
    const struct spl_impl *im = c->im;
    struct wres *w = &sh->w[idx];
    bool writer = idx == 0;
    int busfd = -1;
    uint64_t last_signal = 0;
    if (c->kind != 1) {
        if (im->open(c->st->name) != 0) wres_fail(w, "splinter_open(%s): %s", c->st->name, strerror(errno));
        uint64_t zero = 0;
        if (writer && im->set(WAKE_KEY, &zero, sizeof zero) != 0) /* before the bus: no stray wake */
            wres_fail(w, "splinter_set(%s): %s", WAKE_KEY, strerror(errno));
        if (writer && c->kind == 0 && im->event_bus_init() != 0)
            wres_fail(w, "splinter_event_bus_init: %s", strerror(errno));
        if (writer) atomic_store(&sh->seq, 1); /* bus published */
        if (!writer) {
            uint64_t dl = spl_time_ns() + 5000000000ull;
            while (atomic_load(&sh->seq) == 0 && spl_time_ns() < dl) spl_sleep_ns(100000);
            if (c->kind == 0) {
                busfd = im->event_bus_open();
                if (busfd < 0) wres_fail(w, "splinter_event_bus_open: %s", strerror(errno));
            } else if (im->watch_register(WAKE_KEY, WAKE_GROUP) != 0) {
                wres_fail(w, "splinter_watch_register(%s, %d): %s", WAKE_KEY, WAKE_GROUP, strerror(errno));
            } else {
                last_signal = im->get_signal_count(WAKE_GROUP);
            }
        }
    }
    bench_worker_ready(sh);
    uint64_t total = c->iters + c->warm, t_start = spl_time_ns();
    for (uint64_t i = 0; i < total; i++) {
        if (writer) {
            uint64_t t0 = spl_time_ns();
            atomic_store_explicit(&sh->t0, t0, memory_order_release);
            if (c->kind == 1) post_fd(c->ping);
            else {
                int rc, tries = 0;
                do rc = im->set(WAKE_KEY, &i, sizeof i);
                while (rc != 0 && errno == EAGAIN && ++tries < 1000);
                if (rc != 0) wres_fail(w, "splinter_set: %s", strerror(errno));
            }
            if (wait_fd(c->ack, WAKE_TIMEOUT_MS) != 0)
                wres_fail(w, "iteration %llu: waiter did not acknowledge within %d ms", (unsigned long long)i,
                          WAKE_TIMEOUT_MS);
        } else {
            uint64_t t1;
            if (c->kind == 0) {
                if (im->event_bus_wait(busfd, WAKE_TIMEOUT_MS) != 0)
                    wres_fail(w, "iteration %llu: no event-bus wake within %d ms (%s)", (unsigned long long)i,
                              WAKE_TIMEOUT_MS, strerror(errno));
                t1 = spl_time_ns();
            } else if (c->kind == 1) {
                if (wait_fd(c->ping, WAKE_TIMEOUT_MS) != 0)
                    wres_fail(w, "iteration %llu: no eventfd wake", (unsigned long long)i);
                t1 = spl_time_ns();
            } else {
                uint64_t dl = spl_time_ns() + (uint64_t)WAKE_TIMEOUT_MS * 1000000ull, s, spins = 0;
                while ((s = im->get_signal_count(WAKE_GROUP)) == last_signal)
                    if ((++spins & 1023) == 0 && spl_time_ns() > dl)
                        wres_fail(w, "iteration %llu: signal group %d never counted", (unsigned long long)i, WAKE_GROUP);
                t1 = spl_time_ns();
                last_signal = s;
            }
            uint64_t t0 = atomic_load_explicit(&sh->t0, memory_order_acquire);
            if (i >= c->warm) wres_hist_record(w, t1 > t0 ? t1 - t0 : 0);
            post_fd(c->ack);
        }
    }
    w->ops = c->iters;
    w->ns = spl_time_ns() - t_start;
    if (busfd >= 0) close(busfd);
    if (c->kind != 1 && im->close) im->close();
}

void wake_measure(struct bench_opts *o, int ii, const char *kind, const cpu_set_t *cpus, struct bres *r,
                  const struct spl_nodemask *place)
{
    struct spl_impl *im = &o->impls[ii];
    int k = strcmp(kind, "bus") == 0 ? 0 : strcmp(kind, "eventfd") == 0 ? 1 : 2; /* 2: signal */
    const char *const need_bus[] = {"create", "open", "set", "event_bus_init", "event_bus_open", "event_bus_wait", NULL};
    const char *const need_sig[] = {"create", "open", "set", "watch_register", "get_signal_count", NULL};
    const char *miss = k == 0 ? spl_impl_missing(im, need_bus) : k == 2 ? spl_impl_missing(im, need_sig) : NULL;
    if (miss) { bench_status(r, BENCH_UNSUPPORTED, "implementation lacks splinter_%s", miss); return; }
    if (!r->has_hist) {
        if (spl_hist_init(&r->hist, SPL_HIST_DEFAULT_SUB_BITS) != 0) {
            bench_status(r, BENCH_ERROR, "no memory for the latency histogram");
            return;
        }
        r->has_hist = true;
    }
    char why[256];
    struct bench_store st;
    memset(&st, 0, sizeof st);
    if (k != 1) {
        if (bench_store_create(o, im, "bench-wake", 64, 64, 0, 0, &st, r->extra, why, sizeof why) != 0) {
            bench_status(r, BENCH_ERROR, "store setup: %s", why);
            return;
        }
        if (place && bench_store_place(&st, place, r->extra, why, sizeof why) != 0) {
            bench_status(r, BENCH_ERROR, "placement: %s", why);
            bench_store_remove(im, &st);
            return;
        }
    }
    struct wake_case c = {.o = o, .im = im, .st = &st, .kind = k, .iters = o->wake_iters, .warm = o->wake_iters / 10 + 10};
    c.ping = eventfd(0, EFD_CLOEXEC);
    c.ack = eventfd(0, EFD_CLOEXEC);
    struct wshared *sh = bench_shared_new(2);
    pid_t pids[2];
    char cname[200];
    snprintf(cname, sizeof cname, "wake/%s/%s", r->name, im->label);
    if (c.ping < 0 || c.ack < 0 || !sh) {
        bench_status(r, BENCH_ERROR, "eventfd/mmap: %s", strerror(errno));
    } else if (bench_spawn(sh, wake_worker, &c, cpus, pids, cname) != 0) {
        bench_status(r, BENCH_ERROR, "cannot start workers");
    } else if (bench_run_wait(sh, pids, 2, 0, 60ull * 1000000000ull) != 0) {
        /* the waiter knows why a round trip broke; the writer only that it did */
        for (int i = 1; i >= 0; i--)
            if (sh->w[i].failed) { bench_status_from(r, &sh->w[i]); break; }
    } else if (r->nreps < BENCH_MAX_REPS) {
        double p50;
        if (wres_hist_p50(&sh->w[1], &p50, &r->iterations) != 0 || wres_hist_to(&sh->w[1], &r->hist, false) != 0)
            bench_status(r, BENCH_ERROR, "no memory for the latency histogram");
        else r->rep[r->nreps++] = p50;
    }
    if (c.ping >= 0) close(c.ping);
    if (c.ack >= 0) close(c.ack);
    bench_shared_free(sh);
    if (k != 1) bench_store_remove(im, &st);
}

/* ---- bus, eventfd and bus-spin, paired per round trip -------------------- */

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Each bus descriptor sees every bus write: what woke one is pending on the
 * other too, and is taken off it here, outside the timed stretch, once the
 * writer's call returned (the kernel signals the descriptors one after the
 * other inside the writer's write(): drained earlier, the other could get
 * its edge afterwards and report it at its next wait). */
static void drain_bus(const struct spl_impl *im, int fd, struct wshared *sh, uint64_t round)
{
    uint64_t dl = spl_time_ns() + (uint64_t)WAKE_TIMEOUT_MS * 1000000ull;
    for (unsigned n = 0; atomic_load_explicit(&sh->seq, memory_order_acquire) < 2 + round; n++)
        if ((n & 1023) == 0 && spl_time_ns() > dl) break;
    for (int n = 0; n < 64 && im->event_bus_wait(fd, 0) == 0; n++) {}
}

/* Worker 0 writes, worker 1 waits; kind k's latencies go to sh->w[1 + k]
 * (slots 2 and 3 are not workers, only histograms), its waiter CPU time to
 * w[1 + k].cpu_ns over w[1 + k].ops wakes. */
static void pair_worker(int idx, struct wshared *sh, void *arg)
{
    const struct wake_case *c = arg;
    const struct spl_impl *im = c->im;
    struct wres *w = &sh->w[idx];
    bool writer = idx == 0;
    int fd[NPAIRED] = {-1, -1, -1};
    if (im->open(c->st->name) != 0) wres_fail(w, "splinter_open(%s): %s", c->st->name, strerror(errno));
    if (writer) {
        uint64_t zero = 0;
        if (im->set(WAKE_KEY, &zero, sizeof zero) != 0) wres_fail(w, "splinter_set(%s): %s", WAKE_KEY, strerror(errno));
        if (im->event_bus_init() != 0) wres_fail(w, "splinter_event_bus_init: %s", strerror(errno));
        atomic_store(&sh->seq, 1);
    } else {
        uint64_t dl = spl_time_ns() + 5000000000ull;
        while (atomic_load(&sh->seq) == 0 && spl_time_ns() < dl) spl_sleep_ns(100000);
        fd[0] = im->event_bus_open();
        setenv("SPLREF_BUS_SPIN", "on", 1); /* read by the reference at open */
        fd[2] = im->event_bus_open();
        unsetenv("SPLREF_BUS_SPIN");
        if (fd[0] < 0 || fd[2] < 0) wres_fail(w, "splinter_event_bus_open: %s", strerror(errno));
    }
    bench_worker_ready(sh);
    uint64_t total = c->iters + c->warm, t_start = spl_time_ns();
    for (uint64_t i = 0; i < total; i++)
        for (int k = 0; k < NPAIRED; k++) {
            if (writer) {
                atomic_store_explicit(&sh->t0, spl_time_ns(), memory_order_release);
                if (k == 1) post_fd(c->ping);
                else {
                    int rc, tries = 0;
                    do rc = im->set(WAKE_KEY, &i, sizeof i);
                    while (rc != 0 && errno == EAGAIN && ++tries < 1000);
                    if (rc != 0) wres_fail(w, "splinter_set: %s", strerror(errno));
                }
                atomic_store_explicit(&sh->seq, 2 + i * NPAIRED + (uint64_t)k, memory_order_release);
                if (wait_fd(c->ack, WAKE_TIMEOUT_MS) != 0)
                    wres_fail(w, "iteration %llu %s: waiter did not acknowledge within %d ms", (unsigned long long)i,
                              kinds[k], WAKE_TIMEOUT_MS);
                continue;
            }
            uint64_t c0 = thread_cpu_ns();
            int rc = k == 1 ? wait_fd(c->ping, WAKE_TIMEOUT_MS) : im->event_bus_wait(fd[k], WAKE_TIMEOUT_MS);
            uint64_t t1 = spl_time_ns();
            if (rc != 0)
                wres_fail(w, "iteration %llu: no %s wake within %d ms (%s)", (unsigned long long)i, kinds[k],
                          WAKE_TIMEOUT_MS, strerror(errno));
            uint64_t c1 = thread_cpu_ns(), t0 = atomic_load_explicit(&sh->t0, memory_order_acquire);
            if (i >= c->warm) {
                struct wres *h = &sh->w[1 + k];
                wres_hist_record(h, t1 > t0 ? t1 - t0 : 0);
                h->cpu_ns += c1 - c0;
                h->ops++;
            }
            if (k != 1) drain_bus(im, fd[2 - k], sh, i * NPAIRED + (uint64_t)k);
            post_fd(c->ack);
        }
    if (!writer) w->ops = c->iters;
    w->ns = spl_time_ns() - t_start;
    for (int k = 0; k < NPAIRED; k++)
        if (fd[k] >= 0) close(fd[k]);
    if (im->close) im->close();
}

/* One repetition of the pair; the three rows get their p50s and waiter CPU. */
static void pair_measure(struct bench_opts *o, int ii, const cpu_set_t *cpus, struct bres **r)
{
    struct spl_impl *im = &o->impls[ii];
    const char *const need_bus[] = {"create", "open", "set", "event_bus_init", "event_bus_open", "event_bus_wait", NULL};
    const char *miss = spl_impl_missing(im, need_bus);
    if (miss) {
        for (int k = 0; k < NPAIRED; k++) bench_status(r[k], BENCH_UNSUPPORTED, "implementation lacks splinter_%s", miss);
        return;
    }
    for (int k = 0; k < NPAIRED; k++)
        if (!r[k]->has_hist) {
            if (spl_hist_init(&r[k]->hist, SPL_HIST_DEFAULT_SUB_BITS) != 0) {
                bench_status(r[k], BENCH_ERROR, "no memory for the latency histogram");
                return;
            }
            r[k]->has_hist = true;
        }
    char why[256];
    struct bench_store st;
    memset(&st, 0, sizeof st);
    if (bench_store_create(o, im, "bench-wake", 64, 64, 0, 0, &st, r[0]->extra, why, sizeof why) != 0) {
        for (int k = 0; k < NPAIRED; k++) bench_status(r[k], BENCH_ERROR, "store setup: %s", why);
        return;
    }
    struct wake_case c = {.o = o, .im = im, .st = &st, .iters = o->wake_iters, .warm = o->wake_iters / 10 + 10};
    c.ping = eventfd(0, EFD_CLOEXEC);
    c.ack = eventfd(0, EFD_CLOEXEC);
    struct wshared *sh = bench_shared_new(2);
    pid_t pids[2];
    char cname[200];
    snprintf(cname, sizeof cname, "wake/paired/%s", im->label);
    if (c.ping < 0 || c.ack < 0 || !sh) {
        for (int k = 0; k < NPAIRED; k++) bench_status(r[k], BENCH_ERROR, "eventfd/mmap: %s", strerror(errno));
    } else if (bench_spawn(sh, pair_worker, &c, cpus, pids, cname) != 0) {
        for (int k = 0; k < NPAIRED; k++) bench_status(r[k], BENCH_ERROR, "cannot start workers");
    } else if (bench_run_wait(sh, pids, 2, 0, 120ull * 1000000000ull) != 0) {
        for (int i = 1; i >= 0; i--)
            if (sh->w[i].failed) {
                for (int k = 0; k < NPAIRED; k++) bench_status_from(r[k], &sh->w[i]);
                break;
            }
    } else {
        for (int k = 0; k < NPAIRED; k++) {
            struct wres *h = &sh->w[1 + k];
            double p50;
            if (r[k]->nreps >= BENCH_MAX_REPS) continue;
            if (wres_hist_p50(h, &p50, &r[k]->iterations) != 0 || wres_hist_to(h, &r[k]->hist, false) != 0) {
                bench_status(r[k], BENCH_ERROR, "no memory for the latency histogram");
                continue;
            }
            r[k]->rep_cpu[r[k]->nreps] = h->ops ? (double)h->cpu_ns / (double)h->ops : 0;
            r[k]->rep[r[k]->nreps++] = p50;
        }
    }
    if (c.ping >= 0) close(c.ping);
    if (c.ack >= 0) close(c.ack);
    bench_shared_free(sh);
    bench_store_remove(im, &st);
}

static double median_d(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0;
}

/* The histogram's two modes: the split of log(latency) that maximises the
 * between-cluster variance (Otsu), then each cluster's share and median
 * (a bucket's midpoint). One mode when the split leaves a cluster empty. */
static json_object *hist_modes(const struct spl_hist *h, FILE *human)
{
    if (!h->count) return NULL;
    size_t nb = h->nbuckets;
    double tot_n = 0, tot_s = 0;
    for (size_t i = 0; i < nb; i++)
        if (h->counts[i]) {
            double x = log((double)(spl_hist_bucket_low(h->sub_bits, i) + spl_hist_bucket_high(h->sub_bits, i)) / 2 + 1);
            tot_n += (double)h->counts[i];
            tot_s += (double)h->counts[i] * x;
        }
    double best = -1, n0 = 0, s0 = 0;
    size_t split = nb; /* first bucket of the upper cluster */
    for (size_t i = 0; i + 1 < nb; i++) {
        if (!h->counts[i]) continue;
        double x = log((double)(spl_hist_bucket_low(h->sub_bits, i) + spl_hist_bucket_high(h->sub_bits, i)) / 2 + 1);
        n0 += (double)h->counts[i];
        s0 += (double)h->counts[i] * x;
        double n1 = tot_n - n0;
        if (n1 <= 0) break;
        double d = s0 / n0 - (tot_s - s0) / n1, v = n0 * n1 * d * d;
        if (v > best) best = v, split = i + 1;
    }
    json_object *arr = json_object_new_array();
    for (int m = 0; m < 2; m++) {
        size_t lo = m ? split : 0, hi = m ? nb : split;
        uint64_t n = 0;
        for (size_t i = lo; i < hi; i++) n += h->counts[i];
        if (!n) continue;
        uint64_t seen = 0;
        double med = 0;
        for (size_t i = lo; i < hi; i++) {
            seen += h->counts[i];
            if (seen * 2 >= n) {
                med = (double)(spl_hist_bucket_low(h->sub_bits, i) + spl_hist_bucket_high(h->sub_bits, i)) / 2;
                break;
            }
        }
        double share = (double)n / (double)h->count;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "share", json_object_new_double(share));
        json_object_object_add(o, "median_ns", json_object_new_double(med));
        json_object_object_add(o, "count", json_object_new_uint64(n));
        json_object_array_add(arr, o);
        if (human) fprintf(human, "%s%.*f%% at %.0f ns", m && split > 0 ? ", " : "", share < 0.1 || share > 0.9 ? 1 : 0, 100 * share, med);
    }
    return arr;
}

static int wl_wake_run(struct bench_opts *o, struct bench_results *rs)
{
    cpu_set_t cpus[2];
    bench_pin_plan(o, 2, cpus);
    for (int k = 0; k < NPAIRED + 1; k++) {
        for (int ii = 0; ii < o->nimpls; ii++) {
            struct bres *r = bench_result_new(rs, &bench_wl_wake, kinds[k], ii, "ns", true);
            if (!r) return -1;
            json_object_object_add(r->params, "kind", json_object_new_string(kinds[k]));
            json_object_object_add(r->params, "iterations", json_object_new_uint64(o->wake_iters));
            json_object_object_add(r->params, "pinned", json_object_new_boolean(o->pin));
            json_object_object_add(r->params, "figure", json_object_new_string("p50 one-way wake latency"));
            json_object_object_add(r->params, "paired", json_object_new_boolean(k < NPAIRED));
            if (k == 2)
                json_object_object_add(r->params, "environment",
                                       json_object_new_string("SPLREF_BUS_SPIN=on at event_bus_open (the reference's adaptive wait; other implementations ignore it)"));
        }
    }
    /* the pair and the signal case inside each repetition, implementations inside them */
    for (int rep = 0; rep < o->reps; rep++)
        for (int ii = 0; ii < o->nimpls; ii++) {
            struct bres *r[NPAIRED + 1];
            for (int k = 0; k <= NPAIRED; k++) r[k] = bench_result_find(rs, &bench_wl_wake, kinds[k], ii);
            if (r[0] && r[1] && r[2] && r[0]->status == BENCH_OK && r[1]->status == BENCH_OK && r[2]->status == BENCH_OK) {
                bench_progress(o, "wake bus,eventfd,bus-spin [%s] rep %d/%d", o->impls[ii].label, rep + 1, o->reps);
                pair_measure(o, ii, cpus, r);
            }
            if (r[NPAIRED] && r[NPAIRED]->status == BENCH_OK) {
                bench_progress(o, "wake signal [%s] rep %d/%d", o->impls[ii].label, rep + 1, o->reps);
                wake_measure(o, ii, "signal", cpus, r[NPAIRED], NULL);
            }
        }
    for (int i = 0; i < rs->n; i++) {
        struct bres *r = &rs->r[i];
        if (r->wl != &bench_wl_wake) continue;
        bench_result_finish(r);
        if (r->nreps && r->rep_cpu[0] > 0) {
            double cpu[BENCH_MAX_REPS];
            memcpy(cpu, r->rep_cpu, sizeof(double) * (size_t)r->nreps);
            json_object_object_add(r->extra, "cpu_ns_per_op", json_object_new_double(median_d(cpu, r->nreps)));
            json_object_object_add(r->extra, "cpu_figure", json_object_new_string("waiter CPU time per wake (CLOCK_THREAD_CPUTIME_ID around the wait)"));
        }
        json_object *m = r->has_hist ? hist_modes(&r->hist, NULL) : NULL;
        if (m) json_object_object_add(r->extra, "modes", m);
    }
    /* each kind against the floor measured in the same pair, per repetition */
    for (int ii = 0; ii < o->nimpls; ii++) {
        struct bres *fl = bench_result_find(rs, &bench_wl_wake, "eventfd", ii);
        for (int k = 0; k < NPAIRED; k += 2) {
            struct bres *b = bench_result_find(rs, &bench_wl_wake, kinds[k], ii);
            if (!b || !fl || b->nreps != fl->nreps || !b->nreps) continue;
            double q[BENCH_MAX_REPS];
            json_object *arr = json_object_new_array();
            for (int i = 0; i < b->nreps; i++) {
                q[i] = fl->rep[i] > 0 ? b->rep[i] / fl->rep[i] : 0;
                json_object_array_add(arr, json_object_new_double(q[i]));
            }
            json_object_object_add(b->extra, "p50_vs_eventfd_floor_per_rep", arr);
            json_object_object_add(b->extra, "p50_vs_eventfd_floor", json_object_new_double(median_d(q, b->nreps)));
        }
    }
    return 0;
}

/* The bus wakes against the raw eventfd floor of the same pair, with their
 * modes and CPU: a comparison, not a verdict (our goal for the reference is
 * in docs/benchmarks.md). */
static void wake_targets(const struct bench_opts *o, const struct bench_results *rs, json_object *arr, FILE *human)
{
    for (int ii = 0; ii < o->nimpls; ii++) {
        const struct bres *fl = bench_row(rs, &bench_wl_wake, "eventfd", ii);
        if (!fl || fl->status != BENCH_OK || fl->median <= 0) continue;
        for (int k = 0; k < NPAIRED + 1; k++) {
            const struct bres *b = bench_row(rs, &bench_wl_wake, kinds[k], ii);
            json_object *q = NULL, *cpu = NULL;
            if (!b || b->status != BENCH_OK || b->median <= 0) continue;
            if (human) {
                fprintf(human, "  wake %-8s [%s]: p50 %.0f ns", kinds[k], o->impls[ii].label, b->median);
                if (json_object_object_get_ex(b->extra, "p50_vs_eventfd_floor", &q))
                    fprintf(human, " = %.2fx the eventfd floor (median of per-repetition pairs)", json_object_get_double(q));
                if (json_object_object_get_ex(b->extra, "cpu_ns_per_op", &cpu))
                    fprintf(human, "; waiter CPU %.0f ns/wake", json_object_get_double(cpu));
                fprintf(human, "; modes: ");
                json_object *m = hist_modes(&b->hist, human);
                json_object_put(m);
                fprintf(human, "\n");
            }
            if (k == 1 || !json_object_object_get_ex(b->extra, "p50_vs_eventfd_floor", &q)) continue;
            json_object *t = json_object_new_object();
            json_object_object_add(t, "target", json_object_new_string(k == 0 ? "event-bus wake p50 over the raw eventfd p50, paired per round trip"
                                                                               : "adaptive (SPLREF_BUS_SPIN=on) event-bus wake p50 over the raw eventfd p50, paired per round trip"));
            json_object_object_add(t, "implementation", json_object_new_string(o->impls[ii].label));
            json_object_object_add(t, "bus_p50_ns", json_object_new_double(b->median));
            json_object_object_add(t, "eventfd_p50_ns", json_object_new_double(fl->median));
            if (cpu) json_object_object_add(t, "waiter_cpu_ns_per_wake", json_object_get(cpu));
            json_object_object_add(t, "measured", bench_json_double(json_object_get_double(q)));
            json_object_array_add(arr, t);
        }
    }
}

static const char *const wake_options[] = {"iterations", "pin", NULL};
const struct bench_workload bench_wl_wake = {
    .name = "wake",
    .help = "cross-process wake latency: bus, adaptive bus, eventfd floor, signal groups",
    .options = wake_options,
    .run = wl_wake_run,
    .targets = wake_targets,
};
