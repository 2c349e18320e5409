/*
 * hotpaths.c - the fixed workload of the performance regression gate.
 *
 * Runs the single-process hot paths of an implementation (set, get, append,
 * integer op, election, set with the event bus armed) in one of two modes:
 *
 *   --callgrind  each path runs --ops times between callgrind collection
 *                toggles and is dumped under its own name ("hp:set", ...), so
 *                valgrind counts exactly the instructions of those calls and
 *                nothing of the setup (perfgate parses the dumps).
 *   --timing     --reps repetitions; in each one the path and its raw floor
 *                (the work no implementation can skip: hash the key, copy the
 *                value through a shared mapping, publish with atomics) are
 *                timed back to back, and the ratio path/floor is one sample.
 *                A same-run ratio cancels machine speed and frequency drift,
 *                which is what keeps the timing lane from flapping.
 *
 * Output (stdout): JSON, schema "splsuite-ci-hotpaths/1".
 */
#include "impl.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#define HP_KEYS 64
#define HP_VAL 64
#define HP_SLOTS 1024
#define HP_MAXVAL 4096

struct hp {
    struct spl_impl im;
    char store[256];
    char keys[HP_KEYS][SPLINTER_KEY_MAX];
    char miss[HP_KEYS][SPLINTER_KEY_MAX]; /* never set */
    unsigned char val[HP_VAL];
    unsigned long ops;
    int failures; /* calls that returned an error: a broken run, never a figure */
    unsigned long scan_div;
};

/* noinline wrappers: one symbol per path in callgrind's call graph, so a
 * reader of a dump sees which path the cost belongs to. */
static __attribute__((noinline)) void run_set(struct hp *h, unsigned long n)
{
    for (unsigned long i = 0; i < n; i++)
        h->failures += h->im.set(h->keys[i % HP_KEYS], h->val, HP_VAL) != 0;
}

static __attribute__((noinline)) void run_get(struct hp *h, unsigned long n)
{
    unsigned char buf[HP_MAXVAL];
    size_t got;
    for (unsigned long i = 0; i < n; i++)
        h->failures += h->im.get(h->keys[i % HP_KEYS], buf, sizeof buf, &got) != 0 || got != HP_VAL;
}

static __attribute__((noinline)) void run_append(struct hp *h, unsigned long n)
{
    size_t len;
    for (unsigned long i = 0; i < n; i++) {
        /* the value grows by 8 bytes a call; start over before it is full */
        if (i % 256 == 0) h->failures += h->im.set("hp/append", h->val, 8) != 0;
        h->failures += h->im.append("hp/append", h->val, 8, &len) != 0;
    }
}

static __attribute__((noinline)) void run_intop(struct hp *h, unsigned long n)
{
    uint64_t one = 1;
    for (unsigned long i = 0; i < n; i++) h->failures += h->im.integer_op("hp/counter", SPL_OP_INC, &one) != 0;
}

static __attribute__((noinline)) void run_election(struct hp *h, unsigned long n)
{
    uint8_t intent;
    for (unsigned long i = 0; i < n; i++) h->failures += h->im.shard_election(&intent) == 0;
}

/* get of keys never set: the probe runs to the end of the key's chain */
static __attribute__((noinline)) void run_get_miss(struct hp *h, unsigned long n)
{
    unsigned char buf[HP_VAL];
    size_t got;
    for (unsigned long i = 0; i < n; i++) h->failures += h->im.get(h->miss[i % HP_KEYS], buf, sizeof buf, &got) == 0;
}

static __attribute__((noinline)) void run_get_4k(struct hp *h, unsigned long n)
{
    unsigned char buf[HP_MAXVAL];
    size_t got;
    for (unsigned long i = 0; i < n; i++)
        h->failures += h->im.get("hp/big", buf, sizeof buf, &got) != 0 || got != HP_MAXVAL;
}

static __attribute__((noinline)) void run_raw(struct hp *h, unsigned long n)
{
    size_t len;
    uint64_t ep;
    for (unsigned long i = 0; i < n; i++) {
        const volatile unsigned char *p = h->im.get_raw_ptr(h->keys[i % HP_KEYS], &len, &ep);
        h->failures += !p || len != HP_VAL || p[0] != h->val[0];
    }
}

/* list and enumerate walk every slot: in timing mode they make 1/scan_div
 * of --ops calls, so a sample takes about as long as one of a point path
 * (callgrind counts every one of --ops calls: its figure is per call) */
static __attribute__((noinline)) void run_list(struct hp *h, unsigned long n)
{
    static char *out[HP_SLOTS];
    size_t got;
    for (unsigned long i = 0; i < (n + h->scan_div - 1) / h->scan_div; i++)
        h->failures += h->im.list(out, HP_SLOTS, &got) != 0 || got < HP_KEYS;
}

static void count_cb(const char *key, uint64_t epoch, void *data)
{
    (void)key;
    (void)epoch;
    ++*(unsigned long *)data;
}

static __attribute__((noinline)) void run_enum(struct hp *h, unsigned long n)
{
    for (unsigned long i = 0; i < (n + h->scan_div - 1) / h->scan_div; i++) {
        unsigned long got = 0;
        h->im.enumerate_matches(1, count_cb, &got);
        h->failures += got != HP_KEYS;
    }
}

/* set with the bus armed: the difference to "set" is the cost of a notify */
static __attribute__((noinline)) void run_set_bus(struct hp *h, unsigned long n) { run_set(h, n); }

struct path {
    const char *name;
    const char *needs[4];
    void (*run)(struct hp *, unsigned long);
};

static const struct path paths[] = {
    {"set", {"set", NULL}, run_set},
    {"get", {"get", NULL}, run_get},
    {"get_4k", {"get", NULL}, run_get_4k},
    {"get_miss", {"get", NULL}, run_get_miss},
    {"get_raw_ptr", {"get_raw_ptr", NULL}, run_raw},
    {"list", {"list", NULL}, run_list},
    {"enumerate", {"enumerate_matches", "set_label", NULL}, run_enum},
    {"append", {"append", "set", NULL}, run_append},
    {"integer_op", {"integer_op", "set_named_type", NULL}, run_intop},
    {"election", {"shard_election", "shard_claim_ex", NULL}, run_election},
    {"set_bus", {"set", "event_bus_init", NULL}, run_set_bus},
};
#define NPATHS (sizeof paths / sizeof paths[0])

static int setup(struct hp *h, const char *spec, char *err, size_t errlen)
{
    /* this program is the measured worker: the library is loaded right here */
    if (spl_impl_load_here(spec, &h->im, err, errlen) != 0) return -1;
    const char *need[] = {"create", "close", "set", "get", NULL};
    const char *miss = spl_impl_missing(&h->im, need);
    if (miss) { snprintf(err, errlen, "%s lacks splinter_%s", h->im.label, miss); return -1; }
    spl_impl_store_name(&h->im, "cihot", h->store, sizeof h->store);
    spl_impl_store_remove(&h->im, h->store);
    if (h->im.create(h->store, HP_SLOTS, HP_MAXVAL) != 0) {
        snprintf(err, errlen, "create %s: %s", h->store, strerror(errno));
        return -1;
    }
    for (int i = 0; i < HP_KEYS; i++) snprintf(h->keys[i], SPLINTER_KEY_MAX, "hp/key-%02d/some-typical-length", i);
    for (int i = 0; i < HP_KEYS; i++) snprintf(h->miss[i], SPLINTER_KEY_MAX, "hp/nop-%02d/some-typical-length", i);
    for (int i = 0; i < HP_VAL; i++) h->val[i] = (unsigned char)(i * 7 + 1);
    for (int i = 0; i < HP_KEYS; i++)
        if (h->im.set(h->keys[i], h->val, HP_VAL) != 0) { snprintf(err, errlen, "set: %s", strerror(errno)); return -1; }
    if (h->im.set_label)
        for (int i = 0; i < HP_KEYS; i++)
            if (h->im.set_label(h->keys[i], 1) != 0) { snprintf(err, errlen, "set_label: %s", strerror(errno)); return -1; }
    static unsigned char big[HP_MAXVAL];
    memset(big, 0x5a, sizeof big);
    if (h->im.set("hp/big", big, sizeof big) != 0) { snprintf(err, errlen, "set 4k: %s", strerror(errno)); return -1; }
    uint64_t zero = 0;
    if (h->im.set("hp/counter", &zero, 8) != 0 ||
        (h->im.set_named_type && h->im.set_named_type("hp/counter", SPL_SLOT_TYPE_BIGUINT) != 0)) {
        snprintf(err, errlen, "counter setup: %s", strerror(errno));
        return -1;
    }
    if (h->im.shard_claim_ex) {
        /* eight live bids, durations far beyond the run: the election walks a realistic table */
        for (uint32_t s = 1; s <= 8; s++)
            if (h->im.shard_claim_ex(s, 1000 + s, (uint8_t)(s % 4 + 1), (uint8_t)(s * 3 % 7), UINT64_MAX / 4,
                                     h->im.now ? h->im.now() : 0) != 0) {
                snprintf(err, errlen, "shard_claim_ex: %s", strerror(errno));
                return -1;
            }
    }
    return 0;
}

static bool path_supported(const struct hp *h, const struct path *p)
{
    return spl_impl_missing(&h->im, p->needs) == NULL;
}

static int arm_bus(struct hp *h, const struct path *p)
{
    if (strcmp(p->name, "set_bus") != 0) return 0;
    return h->im.event_bus_init() < 0 ? -1 : 0;
}

/* ---- raw floors --------------------------------------------------------- */

static unsigned char *floor_region;
static _Atomic uint64_t *floor_epoch;

static inline uint64_t floor_hash(const char *s)
{
    uint64_t x = 14695981039346656037ULL;
    for (size_t i = 0; i < SPLINTER_KEY_MAX - 1 && s[i]; ++i) x = (x ^ (unsigned char)s[i]) * 1099511628211ULL;
    return x;
}

static __attribute__((noinline)) void floor_write(struct hp *h, unsigned long n)
{
    for (unsigned long i = 0; i < n; i++) {
        uint64_t k = floor_hash(h->keys[i % HP_KEYS]) % 64;
        _Atomic uint64_t *e = &floor_epoch[k * 8];
        atomic_fetch_add_explicit(e, 1, memory_order_acq_rel);
        memcpy(floor_region + k * HP_VAL, h->val, HP_VAL);
        atomic_fetch_add_explicit(e, 1, memory_order_release);
    }
}

static __attribute__((noinline)) void floor_read(struct hp *h, unsigned long n)
{
    unsigned char buf[HP_VAL];
    for (unsigned long i = 0; i < n; i++) {
        uint64_t k = floor_hash(h->keys[i % HP_KEYS]) % 64;
        _Atomic uint64_t *e = &floor_epoch[k * 8];
        uint64_t a = atomic_load_explicit(e, memory_order_acquire);
        memcpy(buf, floor_region + k * HP_VAL, HP_VAL);
        atomic_thread_fence(memory_order_acquire);
        h->failures += atomic_load_explicit(e, memory_order_acquire) != a;
        __asm__ volatile("" : : "r"(buf) : "memory");
    }
}

/* The floor of a notifying write: the write floor plus the one eventfd
 * write(2) any bus notification costs. Without it the set_bus ratio would
 * swing with the kernel's syscall cost, which has nothing to do with the
 * implementation under test. */
static int floor_efd = -1;
static __attribute__((noinline)) void floor_bus(struct hp *h, unsigned long n)
{
    uint64_t one = 1;
    for (unsigned long i = 0; i < n; i++) {
        floor_write(h, 1);
        h->failures += write(floor_efd, &one, sizeof one) != (ssize_t)sizeof one;
    }
}

/* Which floor a path is judged against: reads against the read floor, a set
 * with the bus armed against the bus floor, other writes against the write floor. */
static void (*floor_for(const struct path *p))(struct hp *, unsigned long)
{
    if (!strcmp(p->name, "set_bus")) return floor_bus;
    return !strncmp(p->name, "get", 3) || !strcmp(p->name, "election") || !strcmp(p->name, "list") ||
                   !strcmp(p->name, "enumerate")
               ? floor_read
               : floor_write;
}

static const char *floor_name(void (*fl)(struct hp *, unsigned long))
{
    return fl == floor_read ? "floor_read" : fl == floor_bus ? "floor_bus" : "floor_write";
}

static double time_ns_per_op(void (*fn)(struct hp *, unsigned long), struct hp *h, unsigned long n)
{
    uint64_t t0 = spl_time_ns();
    fn(h, n);
    return (double)(spl_time_ns() - t0) / (double)n;
}

/* One timing sample: the path and its floor in HP_BLOCKS alternating blocks,
 * each side's time the fastest of its blocks. On a shared machine the noise
 * is almost all additive (preemption, another tenant's cache traffic), so
 * the minimum is the estimate least disturbed by it. */
#define HP_BLOCKS 5
static void time_sample(void (*path)(struct hp *, unsigned long), void (*fl)(struct hp *, unsigned long), struct hp *h,
                        unsigned long ops, double *path_ns, double *floor_ns)
{
    unsigned long n = ops / HP_BLOCKS ? ops / HP_BLOCKS : 1;
    double a = INFINITY, b = INFINITY;
    for (int k = 0; k < HP_BLOCKS; k++) {
        double x, y;
        if (k & 1) { y = time_ns_per_op(fl, h, n); x = time_ns_per_op(path, h, n); }
        else { x = time_ns_per_op(path, h, n); y = time_ns_per_op(fl, h, n); }
        if (x < a) a = x;
        if (y < b) b = y;
    }
    *path_ns = a;
    *floor_ns = b;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: hotpaths --impl SPEC (--callgrind | --timing) [--ops N] [--reps R]\n"
            "  --impl SPEC   implementation: ref, mut:NAME, or a .so path (default ref)\n"
            "  --callgrind   run each path between callgrind toggles (run under valgrind)\n"
            "  --timing      time each path against its raw floor, --reps samples of the ratio\n"
            "  --ops N       calls per path per sample (default 2000 callgrind, 50000 timing)\n"
            "  --reps R      timing samples per path (default 15)\n"
            "EXAMPLES\n"
            "  valgrind --tool=callgrind --collect-atstart=no hotpaths --impl ref --callgrind\n"
            "  hotpaths --impl mut:slow_keycmp --timing --reps 21\n");
}

int main(int argc, char **argv)
{
    const char *spec = "ref";
    int mode = 0; /* 1 callgrind, 2 timing */
    unsigned long ops = 0, reps = 15;
    static const struct option lo[] = {
        {"impl", required_argument, NULL, 'i'}, {"callgrind", no_argument, NULL, 'c'},
        {"timing", no_argument, NULL, 't'},     {"ops", required_argument, NULL, 'n'},
        {"reps", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "i:ctn:r:h", lo, NULL)) != -1) {
        switch (c) {
        case 'i': spec = optarg; break;
        case 'c': mode = 1; break;
        case 't': mode = 2; break;
        case 'n': ops = strtoul(optarg, NULL, 10); break;
        case 'r': reps = strtoul(optarg, NULL, 10); break;
        case 'h': usage(stdout); return SPL_EXIT_OK;
        default: usage(stderr); return SPL_EXIT_USAGE;
        }
    }
    if (!mode || optind != argc || reps < 1 || reps > 1000) { usage(stderr); return SPL_EXIT_USAGE; }
    if (!ops) ops = mode == 1 ? 2000 : 50000;

    static struct hp h;
    char err[512] = "";
    if (setup(&h, spec, err, sizeof err) != 0) {
        fprintf(stderr, "hotpaths: %s\n", err);
        if (h.store[0] && h.im.dl) spl_impl_store_remove(&h.im, h.store);
        return SPL_EXIT_FAIL;
    }
    h.ops = ops;
    h.scan_div = mode == 1 ? 1 : 16;

    json_object *out = json_object_new_object();
    json_object_object_add(out, "schema", json_object_new_string("splsuite-ci-hotpaths/1"));
    json_object_object_add(out, "impl", json_object_new_string(h.im.label));
    json_object_object_add(out, "mode", json_object_new_string(mode == 1 ? "callgrind" : "timing"));
    json_object_object_add(out, "ops", json_object_new_int64((int64_t)ops));
    json_object *jp = json_object_new_object();
    json_object_object_add(out, "paths", jp);
    json_object *skipped = json_object_new_array();
    json_object_object_add(out, "skipped", skipped);

    if (mode == 2) {
        floor_region = mmap(NULL, 64 * HP_MAXVAL + 64 * 64, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (floor_region == MAP_FAILED) { perror("hotpaths: mmap"); return SPL_EXIT_FAIL; }
        floor_epoch = (_Atomic uint64_t *)(floor_region + 64 * HP_MAXVAL);
        floor_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (floor_efd < 0) { perror("hotpaths: eventfd"); return SPL_EXIT_FAIL; }
        json_object_object_add(out, "reps", json_object_new_int64((int64_t)reps));
    }

    for (size_t pi = 0; pi < NPATHS; pi++) {
        const struct path *p = &paths[pi];
        if (!path_supported(&h, p)) {
            json_object_array_add(skipped, json_object_new_string(p->name));
            fprintf(stderr, "hotpaths: %s: %s lacks a function it needs, skipped\n", p->name, h.im.label);
            continue;
        }
        if (arm_bus(&h, p) != 0) {
            fprintf(stderr, "hotpaths: event_bus_init: %s\n", strerror(errno));
            h.failures++;
            break;
        }
        p->run(&h, 256); /* warm: lazy binding, first-touch faults, caches */
        json_object *o = json_object_new_object();
        if (mode == 1) {
            char tag[64];
            snprintf(tag, sizeof tag, "hp:%s", p->name);
            CALLGRIND_ZERO_STATS;
            CALLGRIND_TOGGLE_COLLECT;
            p->run(&h, ops);
            CALLGRIND_TOGGLE_COLLECT;
            CALLGRIND_DUMP_STATS_AT(tag);
            json_object_object_add(o, "dump", json_object_new_string(tag));
        } else {
            void (*fl)(struct hp *, unsigned long) = floor_for(p);
            fl(&h, 256);
            json_object *ratio = json_object_new_array(), *pns = json_object_new_array(), *fns = json_object_new_array();
            for (unsigned long r = 0; r < reps; r++) {
                double a, b;
                time_sample(p->run, fl, &h, ops, &a, &b);
                json_object_array_add(ratio, json_object_new_double(a / b));
                json_object_array_add(pns, json_object_new_double(a));
                json_object_array_add(fns, json_object_new_double(b));
            }
            json_object_object_add(o, "floor", json_object_new_string(floor_name(fl)));
            json_object_object_add(o, "ratio", ratio);
            json_object_object_add(o, "ns_per_op", pns);
            json_object_object_add(o, "floor_ns_per_op", fns);
        }
        json_object_object_add(jp, p->name, o);
    }
    json_object_object_add(out, "failures", json_object_new_int(h.failures));
    printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(out);
    h.im.close();
    spl_impl_store_remove(&h.im, h.store);
    if (h.failures) {
        fprintf(stderr, "hotpaths: %d calls failed: the figures of this run are not valid\n", h.failures);
        return SPL_EXIT_FAIL;
    }
    return SPL_EXIT_OK;
}
