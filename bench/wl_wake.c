/*
 * wl_wake.c - cross-process wake latency.
 *
 * Two processes play ping-pong: the writer stamps CLOCK_MONOTONIC into
 * shared memory and makes one write; the waiter records (now - stamp) the
 * moment it is woken, then acknowledges on an eventfd so exactly one write
 * is in flight. Three kinds, run in the same invocation:
 *   bus     splinter_set by the event-bus owner, waiter in splinter_event_bus_wait
 *   eventfd raw eventfd write -> poll + read: the floor the bus is compared with
 *   signal  splinter_set on a watched key, waiter spinning on splinter_get_signal_count
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
#include <sys/eventfd.h>
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

static const char *const kinds[] = {"bus", "eventfd", "signal"};

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
    struct spl_perfctr pc;
    (void)spl_perfctr_open(&pc, 0, false); /* optional: unsupported counters say so in the row */
    bench_worker_ready(sh);
    spl_perfctr_start(&pc);
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
    wres_take_perf(w, &pc);
    w->ops = c->iters;
    w->ns = spl_time_ns() - t_start;
    if (busfd >= 0) close(busfd);
    if (c->kind != 1 && im->close) im->close();
}

void wake_measure(struct bench_opts *o, int ii, const char *kind, const cpu_set_t *cpus, struct bres *r,
                  const struct spl_nodemask *place)
{
    struct spl_impl *im = &o->impls[ii];
    int k = strcmp(kind, "bus") == 0 ? 0 : strcmp(kind, "eventfd") == 0 ? 1 : 2;
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
        for (int i = 0; i < 2; i++) spl_perfctr_add(&r->perf, &sh->w[i].perf);
        r->perf_ops += c.iters;
    }
    if (c.ping >= 0) close(c.ping);
    if (c.ack >= 0) close(c.ack);
    bench_shared_free(sh);
    if (k != 1) bench_store_remove(im, &st);
}

static int wl_wake_run(struct bench_opts *o, struct bench_results *rs)
{
    cpu_set_t cpus[2];
    bench_pin_plan(o, 2, cpus);
    for (int k = 0; k < 3; k++) {
        for (int ii = 0; ii < o->nimpls; ii++) {
            struct bres *r = bench_result_new(rs, &bench_wl_wake, kinds[k], ii, "ns", true);
            if (!r) return -1;
            json_object_object_add(r->params, "kind", json_object_new_string(kinds[k]));
            json_object_object_add(r->params, "iterations", json_object_new_uint64(o->wake_iters));
            json_object_object_add(r->params, "pinned", json_object_new_boolean(o->pin));
            json_object_object_add(r->params, "figure", json_object_new_string("p50 one-way wake latency"));
        }
    }
    /* kinds interleaved inside each repetition, implementations inside kinds */
    for (int rep = 0; rep < o->reps; rep++)
        for (int k = 0; k < 3; k++)
            for (int ii = 0; ii < o->nimpls; ii++) {
                struct bres *r = bench_result_find(rs, &bench_wl_wake, kinds[k], ii);
                if (!r || r->status != BENCH_OK) continue;
                bench_progress(o, "wake %s [%s] rep %d/%d", kinds[k], o->impls[ii].label, rep + 1, o->reps);
                wake_measure(o, ii, kinds[k], cpus, r, NULL);
            }
    for (int i = 0; i < rs->n; i++)
        if (rs->r[i].wl == &bench_wl_wake) bench_result_finish(&rs->r[i]);
    /* the bus measured against its floor, per implementation */
    for (int ii = 0; ii < o->nimpls; ii++) {
        struct bres *bus = bench_result_find(rs, &bench_wl_wake, "bus", ii), *fl = bench_result_find(rs, &bench_wl_wake, "eventfd", ii);
        if (bus && fl && fl->median > 0 && bus->median > 0)
            json_object_object_add(bus->extra, "p50_vs_eventfd_floor", json_object_new_double(bus->median / fl->median));
    }
    return 0;
}

/* The event-bus wake p50 against the raw eventfd floor of the same run:
 * a comparison, not a verdict (our goal for the reference is in docs/benchmarks.md). */
static void wake_targets(const struct bench_opts *o, const struct bench_results *rs, json_object *arr, FILE *human)
{
    for (int ii = 0; ii < o->nimpls; ii++) {
        const struct bres *bus = bench_row(rs, &bench_wl_wake, "bus", ii), *fl = bench_row(rs, &bench_wl_wake, "eventfd", ii);
        if (!bus || !fl || bus->status != BENCH_OK || fl->status != BENCH_OK || fl->median <= 0) continue;
        double q = bus->median / fl->median;
        json_object *t = json_object_new_object();
        json_object_object_add(t, "target", json_object_new_string("event-bus wake p50 over the raw eventfd ping-pong p50, same run"));
        json_object_object_add(t, "implementation", json_object_new_string(o->impls[ii].label));
        json_object_object_add(t, "bus_p50_ns", json_object_new_double(bus->median));
        json_object_object_add(t, "eventfd_p50_ns", json_object_new_double(fl->median));
        json_object_object_add(t, "measured", bench_json_double(q));
        json_object_array_add(arr, t);
        if (human)
            fprintf(human, "  wake bus/eventfd p50 [%s]: %.0f / %.0f ns = %.2fx\n", o->impls[ii].label, bus->median,
                    fl->median, q);
    }
}

static const char *const wake_options[] = {"iterations", "pin", NULL};
const struct bench_workload bench_wl_wake = {
    .name = "wake",
    .help = "cross-process wake latency: event bus, raw eventfd floor, signal groups",
    .options = wake_options,
    .run = wl_wake_run,
    .targets = wake_targets,
};
