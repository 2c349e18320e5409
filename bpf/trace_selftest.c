/*
 * trace_selftest.c - proof that the probes count right: a workload whose
 * every syscall is known in advance runs in a child process (the only pid
 * in the filter), and the snapshot must match it exactly, call for call,
 * advice for advice, node for node.
 *
 * The children are forked before the probes attach and start on a pipe, so
 * nothing of the parent's setup is counted; they make no other madvise or
 * eventfd calls (no malloc, no stdio) until they _exit.
 */
#include "trace_selftest.h"

#include "trace_embed.h"

#include "envelope.h"
#include "impl.h"
#include "proc.h"
#include "splnuma.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static const int advices[] = {MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED};
#define NADV (sizeof advices / sizeof advices[0])
#define BAD_ADVICE 12345 /* EINVAL: proves failed calls are told apart */
#define NBAD 7
#define NPROC 11 /* process_madvise(MADV_COLD) calls on our own pidfd */

struct expect {
    const char *what;
    long want, got;
};

static int last_cpu(void)
{
    cpu_set_t s;
    int c = -1;
    if (sched_getaffinity(0, sizeof s, &s) == 0)
        for (int i = 0; i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &s)) c = i;
    return c < 0 ? 0 : c;
}

static int first_cpu(void)
{
    cpu_set_t s;
    if (sched_getaffinity(0, sizeof s, &s) == 0)
        for (int i = 0; i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &s)) return i;
    return 0;
}

static int pin(int cpu)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    return sched_setaffinity(0, sizeof s, &s);
}

static void wait_go(int fd)
{
    char b;
    while (read(fd, &b, 1) < 0 && errno == EINTR) {}
}

/* Forks fn(arg) into a child that waits for the go byte. */
static pid_t spawn(int (*fn)(void *), void *arg, int *go_fd)
{
    int p[2];
    if (pipe(p)) return -1;
    pid_t pid = spl_proc_fork(SPL_PROC_WORKER);
    if (pid == 0) {
        close(p[1]);
        wait_go(p[0]);
        close(p[0]);
        _exit(fn(arg));
    }
    close(p[0]);
    *go_fd = p[1];
    return pid;
}

/* A workload that hangs (a broken implementation, a wake that never comes)
 * is killed at the deadline rather than waited for. */
static int wait_child(pid_t pid, const char *who, FILE *out)
{
    struct spl_proc_end e;
    uint64_t t0 = spl_time_ns();
    spl_proc_reap(&pid, 1, t0 + 120ull * 1000000000ull, &e);
    if (e.exited && e.code == 0) return 0;
    char why[128];
    if (e.exited && (e.code == 22 || e.code == 23))
        fprintf(out, "self-test: %s workload: %s\n", who, e.code == 22 ? "could not load the implementation" : "splinter_create failed");
    else
        fprintf(out, "self-test: %s workload %s\n", who, spl_proc_describe(&e, (double)(spl_time_ns() - t0) / 1e9, why, sizeof why));
    return -1;
}

static json_object *get(json_object *o, const char *k)
{
    json_object *x;
    return json_object_object_get_ex(o, k, &x) ? x : NULL;
}

static long count_of(json_object *h) { return h ? (long)json_object_get_int64(get(h, "count")) : 0; }

static int report(const struct trace_selftest_opts *o, const char *title, struct expect *e, size_t n, json_object *snap)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) bad += e[i].want != e[i].got;
    if (o->json) {
        json_object *r = json_object_new_object(), *arr = json_object_new_array();
        json_object_object_add(r, "selftest", json_object_new_string(title));
        json_object_object_add(r, "passed", json_object_new_boolean(!bad));
        for (size_t i = 0; i < n; i++) {
            json_object *x = json_object_new_object();
            json_object_object_add(x, "check", json_object_new_string(e[i].what));
            json_object_object_add(x, "want", json_object_new_int64(e[i].want));
            json_object_object_add(x, "got", json_object_new_int64(e[i].got));
            json_object_array_add(arr, x);
        }
        json_object_object_add(r, "checks", arr);
        json_object_object_add(r, "snapshot", json_object_get(snap));
        if (o->envelope) r = spl_envelope_wrap(o->envelope, r);
        fprintf(o->out, "%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
        json_object_put(r);
    } else {
        if (o->verbose) spl_trace_render(snap, o->out);
        fprintf(o->out, "\nself-test %s:\n", title);
        for (size_t i = 0; i < n; i++)
            fprintf(o->out, "  %-4s %-58s want %8ld got %8ld\n", e[i].want == e[i].got ? "ok" : "FAIL", e[i].what,
                    e[i].want, e[i].got);
        fprintf(o->out, "%s: %d of %zu checks failed\n", bad ? "FAILED" : "PASSED", bad, n);
    }
    return bad ? SPL_EXIT_FAIL : SPL_EXIT_OK;
}

/* ---- madvise ------------------------------------------------------------ */

struct madv_work {
    long n;
    int cpu;
    void *region;
    size_t len;
    bool pm_ok; /* process_madvise works here (5.10+, MADV_COLD on ourselves) */
    struct spl_impl *im;
    char store[256];
    long nsplm;        /* per outcome */
    struct splm_seen *seen;
    uint64_t tmo_ticks;
};

static int madv_child(void *arg)
{
    struct madv_work *w = arg;
    if (pin(w->cpu)) return 10;
    for (size_t a = 0; a < NADV; a++)
        for (long i = 0; i < w->n; i++)
            if (madvise(w->region, w->len, advices[a])) return 11;
    for (int i = 0; i < NBAD; i++)
        if (madvise(w->region, w->len, BAD_ADVICE) == 0) return 12;
    struct iovec iov = {w->region, w->len};
    int pidfd = w->pm_ok ? (int)syscall(SYS_pidfd_open, getpid(), 0) : -1;
    if (w->pm_ok && pidfd < 0) return 13;
    for (int i = 0; i < NPROC && w->pm_ok; i++)
        if (syscall(SYS_process_madvise, pidfd, &iov, 1, MADV_COLD, 0) < 0) return 14;
    return 0;
}

/* What the splinter_madvise caller itself saw, by the contract's outcome
 * (0 sovereign, 2 EAGAIN, 3 ETIMEDOUT, 4 -2, 1 anything else): shared with
 * the parent so the probe's classification is checked against it too. */
struct splm_seen {
    long n[5];
};

static void seen(struct splm_seen *s, int rc, int err)
{
    int k = rc == 0 ? 0 : rc == -2 ? 4 : rc == -1 && err == EAGAIN ? 2 : rc == -1 && err == ETIMEDOUT ? 3 : 1;
    __atomic_fetch_add(&s->n[k], 1, __ATOMIC_RELAXED);
}

/* splinter_madvise outcomes: shard 1 bids at priority 9, shard 2 at 1, so
 * shard 1 is sovereign and shard 2 is deferred (timeout 0) or times out.
 * The child does not judge the results: the probe and the parent do, so a
 * broken implementation shows up as a count mismatch. */
static int splm_child(void *arg)
{
    struct madv_work *w = arg;
    struct spl_impl *im = w->im;
    if (pin(w->cpu)) return 10;
    /* the implementation runs here only: loaded, its store made and its
     * clock read in this child (none of that is a splinter_madvise call) */
    char err[256];
    if (spl_impl_attach(im, err, sizeof err) != 0) return 22;
    if (im->create(w->store, 64, 256) != 0) return 23;
    /* a timeout of ~2 ms in the implementation's ticks (TSC or ns) */
    uint64_t a = spl_impl_now(im), t0 = spl_time_ns();
    spl_sleep_ns(10000000);
    uint64_t ticks_per_ms = (spl_impl_now(im) - a) * 1000000 / (spl_time_ns() - t0);
    w->tmo_ticks = ticks_per_ms ? 2 * ticks_per_ms : 2000000;
    uint32_t me = (uint32_t)getpid();
    uint64_t now = spl_impl_now(im);
    if (im->shard_claim_ex(1, me, 1, 9, UINT64_MAX / 4, now) != 0) return 20;
    if (im->shard_claim_ex(2, me, 1, 1, UINT64_MAX / 4, now) != 0) return 21;
    int rc;
    for (long i = 0; i < w->nsplm; i++) {
        rc = im->madvise(1, NULL, 0, POSIX_MADV_WILLNEED, 0);
        seen(w->seen, rc, errno);
    }
    for (long i = 0; i < w->nsplm; i++) {
        rc = im->madvise(2, NULL, 0, POSIX_MADV_WILLNEED, 0);
        seen(w->seen, rc, errno);
    }
    for (int i = 0; i < 3; i++) {
        rc = im->madvise(2, NULL, 0, POSIX_MADV_WILLNEED, w->tmo_ticks);
        seen(w->seen, rc, errno);
    }
    rc = im->madvise(7, NULL, 0, POSIX_MADV_WILLNEED, 0); /* no bid on shard 7 */
    seen(w->seen, rc, errno);
    return 0;
}

static int node_of(int cpu)
{
    int n = spl_numa_cpu_node(cpu);
    return n < 0 ? 0 : n;
}

/* What the madvise probes saw of the workload child kid (kid2: the
 * splinter_madvise child), against what it did: per advice, on its node,
 * the invalid advice, process_madvise, and nothing else or from elsewhere. */
static size_t expect_kernel(const struct trace_selftest_opts *o, const struct madv_work *w, json_object *snap, pid_t kid,
                            pid_t kid2, int node, struct expect *e, char (*names)[96])
{
    size_t ne = 0;
    long per_adv[NADV] = {0}, per_adv_node[NADV] = {0}, bad_calls = 0, bad_failed = 0, pm = 0, pm_node = 0, other = 0;
    long wrong_pid = 0;
    json_object *m = get(snap, "madvise");
    for (size_t i = 0; m && i < json_object_array_length(m); i++) {
        json_object *x = json_object_array_get_idx(m, i);
        int pid = json_object_get_int(get(x, "pid")), adv = json_object_get_int(get(x, "advice"));
        int nd = json_object_get_int(get(x, "node"));
        bool failed = json_object_get_boolean(get(x, "failed"));
        bool is_pm = !strcmp(json_object_get_string(get(x, "syscall")), "process_madvise");
        long n = count_of(x);
        if (pid != kid) {
            if (pid != kid2) wrong_pid += n;
            continue;
        }
        size_t a;
        for (a = 0; a < NADV && advices[a] != adv; a++) {}
        if (is_pm && adv == MADV_COLD && !failed) {
            pm += n;
            if (nd == node) pm_node += n;
        } else if (!is_pm && adv == BAD_ADVICE) {
            bad_calls += n;
            if (failed) bad_failed += n;
        } else if (!is_pm && a < NADV && !failed) {
            per_adv[a] += n;
            if (nd == node) per_adv_node[a] += n;
        } else {
            other += n;
        }
    }
    for (size_t a = 0; a < NADV; a++) {
        snprintf(names[ne], sizeof names[ne], "madvise %s calls", advices[a] == MADV_NORMAL ? "MADV_NORMAL"
                 : advices[a] == MADV_RANDOM ? "MADV_RANDOM" : advices[a] == MADV_SEQUENTIAL ? "MADV_SEQUENTIAL"
                 : advices[a] == MADV_WILLNEED ? "MADV_WILLNEED" : "MADV_DONTNEED");
        e[ne] = (struct expect){names[ne], o->n, per_adv[a]};
        ne++;
        snprintf(names[ne], sizeof names[ne], "  of them attributed to node %d (CPU %d)", node, w->cpu);
        e[ne] = (struct expect){names[ne], o->n, per_adv_node[a]};
        ne++;
    }
    e[ne++] = (struct expect){"madvise with an invalid advice (EINVAL)", NBAD, bad_calls};
    e[ne++] = (struct expect){"  of them counted as failed", NBAD, bad_failed};
    e[ne++] = (struct expect){w->pm_ok ? "process_madvise MADV_COLD calls" : "process_madvise calls (unsupported here)",
                              w->pm_ok ? NPROC : 0, pm};
    snprintf(names[ne], sizeof names[ne], "  of them attributed to node %d", node);
    e[ne] = (struct expect){names[ne], w->pm_ok ? NPROC : 0, pm_node};
    ne++;
    e[ne++] = (struct expect){"calls of the workload with other advice or syscall", 0, other};
    e[ne++] = (struct expect){"calls from processes outside the filter", 0, wrong_pid};
    return ne;
}

/* The splinter_madvise outcomes the uprobes saw of kid2, against the plan
 * and against what the caller itself saw. */
static size_t expect_outcomes(const struct madv_work *w, json_object *snap, pid_t kid2, struct expect *e)
{
    size_t ne = 0;
    long oc[5] = {0}, wsov = 0;
    static const char *const on[] = {"sovereign", "failed", "deferred", "timedout", "rejected"};
    json_object *s = get(snap, "splinter_madvise");
    for (size_t i = 0; s && i < json_object_array_length(s); i++) {
        json_object *x = json_object_array_get_idx(s, i);
        if (json_object_get_int(get(x, "pid")) != kid2) continue;
        for (int k = 0; k < 5; k++)
            if (!strcmp(json_object_get_string(get(x, "outcome")), on[k])) {
                oc[k] += count_of(get(x, "call"));
                if (k == 0) wsov += count_of(get(x, "wait"));
            }
    }
    e[ne++] = (struct expect){"splinter_madvise issued as sovereign (shard 1)", w->nsplm, oc[0]};
    e[ne++] = (struct expect){"  bidder waits recorded for them", w->nsplm, wsov};
    e[ne++] = (struct expect){"splinter_madvise deferred, EAGAIN (shard 2, timeout 0)", w->nsplm, oc[2]};
    e[ne++] = (struct expect){"splinter_madvise timed out (shard 2, ~2 ms)", 3, oc[3]};
    e[ne++] = (struct expect){"splinter_madvise rejected (-2, no bid on shard 7)", 1, oc[4]};
    e[ne++] = (struct expect){"splinter_madvise failed after issuing", 0, oc[1]};
    /* the probe against the caller's own view of the same calls */
    static const char *const vs[5] = {"probe sovereign = caller saw 0", "probe failed = caller saw other errors",
                                      "probe deferred = caller saw EAGAIN", "probe timed out = caller saw ETIMEDOUT",
                                      "probe rejected = caller saw -2"};
    for (int k = 0; k < 5; k++) e[ne++] = (struct expect){vs[k], w->seen->n[k], oc[k]};
    return ne;
}

/* --impl: the implementation whose splinter_madvise outcomes are checked
 * too, its store name, and the page the child reports what it saw in.
 * SPL_EXIT_OK, or the exit status (SKIP: it lacks a function). */
static int load_impl(const struct trace_selftest_opts *o, struct madv_work *w, struct spl_impl *im)
{
    char err[512];
    if (spl_impl_load(o->impl, im, err, sizeof err) != 0) {
        fprintf(o->out, "self-test: --impl %s: %s\n", o->impl, err);
        return SPL_EXIT_FAIL;
    }
    const char *need[] = {"create", "shard_claim_ex", "madvise", "now", NULL};
    const char *miss = spl_impl_missing(im, need);
    if (miss) {
        fprintf(o->out, "self-test: %s has no splinter_%s: outcome checks skipped\n", o->impl, miss);
        spl_impl_unload(im);
        return SPL_EXIT_SKIP;
    }
    spl_impl_store_name(im, "bpf", w->store, sizeof w->store);
    spl_impl_store_remove(im, w->store);
    w->im = im;
    w->seen = mmap(NULL, sizeof *w->seen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (w->seen == MAP_FAILED) {
        fprintf(o->out, "self-test: mmap: %s\n", strerror(errno));
        spl_impl_unload(im);
        return SPL_EXIT_FAIL;
    }
    w->nsplm = o->n < 200 ? o->n : 200;
    return SPL_EXIT_OK;
}

int trace_selftest_madvise(const struct trace_selftest_opts *o)
{
    struct madv_work w = {.n = o->n, .cpu = o->cpu >= 0 ? o->cpu : last_cpu()};
    char err[512];
    int rc;
    int node = node_of(w.cpu);
    w.len = 16 * 4096;
    w.region = mmap(NULL, w.len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (w.region == MAP_FAILED) {
        fprintf(o->out, "self-test: mmap: %s\n", strerror(errno));
        return SPL_EXIT_FAIL;
    }
    int pfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (pfd >= 0) {
        struct iovec iov = {w.region, w.len};
        w.pm_ok = syscall(SYS_process_madvise, pfd, &iov, 1, MADV_COLD, 0) >= 0;
        close(pfd);
    }

    struct spl_impl im;
    bool have_impl = o->impl != NULL;
    if (have_impl && (rc = load_impl(o, &w, &im)) != SPL_EXIT_OK) {
        munmap(w.region, w.len);
        return rc;
    }

    int go = -1, go2 = -1;
    struct spl_trace *t = NULL;
    pid_t kid2 = -1;
    pid_t kid = spawn(madv_child, &w, &go);
    if (kid < 0) {
        rc = SPL_EXIT_FAIL;
        goto out;
    }
    struct spl_trace_opts to = {.probes = SPL_TRACE_MADVISE, .pids = &kid, .npids = 1, .filter_pids = true,
                                .impl_path = have_impl ? o->impl : NULL, .verbose = o->verbose};
    if (have_impl) {
        char path[4096];
        if (spl_impl_resolve(o->impl, path, sizeof path, err, sizeof err) == 0) to.impl_path = strdup(path);
        kid2 = spawn(splm_child, &w, &go2);
    }
    rc = spl_trace_open(&to, &t, err, sizeof err);
    if (rc) {
        fprintf(o->out, "self-test: %s\n", err);
        struct spl_proc_end e;
        spl_proc_kill(kid, &e);
        if (kid2 > 0) spl_proc_kill(kid2, &e);
        goto out;
    }
    if (kid2 > 0) spl_trace_add_pid(t, kid2);
    if (write(go, "g", 1) != 1) {}
    close(go);
    int bad = wait_child(kid, "madvise", o->out);
    if (kid2 > 0) {
        if (write(go2, "g", 1) != 1) {}
        close(go2);
        bad |= wait_child(kid2, "splinter_madvise", o->out);
    }
    json_object *snap = spl_trace_snapshot(t, false);
    if (bad) {
        json_object_put(snap);
        rc = SPL_EXIT_FAIL;
        goto out;
    }

    struct expect e[NADV * 2 + 20];
    static char names[NADV * 2 + 12][96];
    size_t ne = expect_kernel(o, &w, snap, kid, kid2, node, e, names);
    if (have_impl) ne += expect_outcomes(&w, snap, kid2, e + ne);
    char title[128];
    snprintf(title, sizeof title, "madvise, %ld calls per advice on CPU %d (node %d)%s", o->n, w.cpu, node,
             have_impl ? " + splinter_madvise outcomes" : "");
    rc = report(o, title, e, ne, snap);
    json_object_put(snap);
out:
    spl_trace_close(t);
    if (have_impl) {
        spl_impl_store_remove(&im, w.store);
        spl_impl_unload(&im);
        munmap(w.seen, sizeof *w.seen);
    }
    munmap(w.region, w.len);
    return rc;
}

/* ---- eventfd ------------------------------------------------------------ */

struct evfd_work {
    long n;
    int efd;          /* the eventfd, shared over fork */
    int ack[2];       /* waiter -> writer: a pipe, deliberately not an eventfd */
    int writer_cpu, waiter_cpu;
    pid_t waiter;
};

static int waiter_child(void *arg)
{
    struct evfd_work *w = arg;
    if (pin(w->waiter_cpu)) return 10;
    for (long i = 0; i < w->n; i++) {
        struct pollfd p = {.fd = w->efd, .events = POLLIN};
        int r;
        while ((r = ppoll(&p, 1, NULL, NULL)) < 0 && errno == EINTR) {}
        if (r != 1) return 11;
        uint64_t v;
        if (read(w->efd, &v, sizeof v) != sizeof v) return 12;
        if (write(w->ack[1], "a", 1) != 1) return 13;
    }
    return 0;
}

/* True once the waiter sleeps in ppoll: state S and /proc/PID/syscall
 * naming ppoll, so the next eventfd write must wake it. */
static bool waiter_asleep(pid_t pid)
{
    char p[64], buf[512];
    snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(p, "r");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *rp = strrchr(buf, ')');
    if (!rp || rp[1] != ' ' || rp[2] != 'S') return false;
    snprintf(p, sizeof p, "/proc/%d/syscall", (int)pid);
    if (!(f = fopen(p, "r"))) return false;
    long nr = -1;
    if (fscanf(f, "%ld", &nr) != 1) nr = -1;
    fclose(f);
    return nr == SYS_ppoll;
}

static int writer_child(void *arg)
{
    struct evfd_work *w = arg;
    if (pin(w->writer_cpu)) return 10;
    /* a different descriptor number than the waiter's: the probe must not
     * care which number an eventfd has */
    int fd = fcntl(w->efd, F_DUPFD, 100);
    if (fd < 0) return 11;
    for (long i = 0; i < w->n; i++) {
        uint64_t spins = 0;
        while (!waiter_asleep(w->waiter)) {
            if (++spins > 20000000) return 12;
            sched_yield();
        }
        uint64_t one = 1;
        if (write(fd, &one, sizeof one) != sizeof one) return 13;
        char a;
        if (read(w->ack[0], &a, 1) != 1) return 14;
    }
    return 0;
}

int trace_selftest_eventfd(const struct trace_selftest_opts *o)
{
    struct evfd_work w = {.n = o->n};
    w.writer_cpu = o->writer_cpu >= 0 ? o->writer_cpu : first_cpu();
    w.waiter_cpu = o->waiter_cpu >= 0 ? o->waiter_cpu : last_cpu();
    int wnode = node_of(w.writer_cpu), rnode = node_of(w.waiter_cpu);
    char err[512];
    int rc, gw = -1, gr = -1;
    struct spl_trace *t = NULL;
    w.efd = eventfd(0, EFD_CLOEXEC);
    if (w.efd < 0 || pipe(w.ack)) {
        fprintf(o->out, "self-test: eventfd/pipe: %s\n", strerror(errno));
        return SPL_EXIT_FAIL;
    }
    pid_t waiter = spawn(waiter_child, &w, &gr);
    w.waiter = waiter;
    pid_t writer = spawn(writer_child, &w, &gw);
    pid_t pids[2] = {writer, waiter};
    struct spl_trace_opts to = {.probes = SPL_TRACE_EVENTFD, .pids = pids, .npids = 2, .verbose = o->verbose};
    rc = spl_trace_open(&to, &t, err, sizeof err);
    if (rc) {
        fprintf(o->out, "self-test: %s\n", err);
        struct spl_proc_end e;
        spl_proc_kill(waiter, &e);
        spl_proc_kill(writer, &e);
        goto out;
    }
    if (write(gr, "g", 1) != 1 || write(gw, "g", 1) != 1) {}
    close(gr);
    close(gw);
    int bad = wait_child(writer, "eventfd writer", o->out);
    bad |= wait_child(waiter, "eventfd waiter", o->out);
    json_object *snap = spl_trace_snapshot(t, false);
    if (bad) {
        json_object_put(snap);
        rc = SPL_EXIT_FAIL;
        goto out;
    }
    long writes = 0, wakes = 0, wake_pair = 0, ret_pair = 0, wake_other = 0, ret_other = 0, wnode_writes = 0;
    json_object *ev = get(snap, "eventfd"), *ws = get(ev, "writes"), *ps = get(ev, "pairs");
    for (size_t i = 0; ws && i < json_object_array_length(ws); i++) {
        json_object *x = json_object_array_get_idx(ws, i);
        writes += (long)json_object_get_int64(get(x, "writes"));
        wakes += (long)json_object_get_int64(get(x, "wakes"));
        if (json_object_get_int(get(x, "node")) == wnode) wnode_writes += (long)json_object_get_int64(get(x, "writes"));
    }
    for (size_t i = 0; ps && i < json_object_array_length(ps); i++) {
        json_object *x = json_object_array_get_idx(ps, i);
        bool mine = json_object_get_int(get(x, "writer_node")) == wnode && json_object_get_int(get(x, "waiter_node")) == rnode;
        *(mine ? &wake_pair : &wake_other) += count_of(get(x, "wake"));
        *(mine ? &ret_pair : &ret_other) += count_of(get(x, "return"));
    }
    char n1[96], n2[96], n3[96];
    snprintf(n1, sizeof n1, "  of them on the writer's node %d (CPU %d)", wnode, w.writer_cpu);
    snprintf(n2, sizeof n2, "wake-ups, writer node %d -> waiter node %d (CPU %d)", wnode, rnode, w.waiter_cpu);
    snprintf(n3, sizeof n3, "read/poll returns, writer node %d -> waiter node %d", wnode, rnode);
    struct expect e[] = {
        {"eventfd writes (the ack pipe's writes must not count)", o->n, writes},
        {n1, o->n, wnode_writes},
        {"tasks woken from inside those writes", o->n, wakes},
        {n2, o->n, wake_pair},
        {"wake-ups attributed to any other node pair", 0, wake_other},
        {n3, o->n, ret_pair},
        {"returns attributed to any other node pair", 0, ret_other},
    };
    char title[128];
    snprintf(title, sizeof title, "eventfd, %ld wakes, writer CPU %d -> waiter CPU %d", o->n, w.writer_cpu, w.waiter_cpu);
    rc = report(o, title, e, sizeof e / sizeof e[0], snap);
    json_object_put(snap);
out:
    spl_trace_close(t);
    close(w.efd);
    close(w.ack[0]);
    close(w.ack[1]);
    return rc;
}
