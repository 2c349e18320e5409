/*
 * mt_seqlock.c - a writer thread alternates two uniform values on one key;
 * every read that succeeds must see one of them whole. A writer that skips
 * the odd phase, a reader that skips its recheck, or a write published
 * half-done shows up as a mixed read. (Moved from the Criterion kv tests so
 * ThreadSanitizer runs it too.)
 */
#include "mt.h"

#define TORN_SZ (64 * 1024) /* a long copy widens the window a broken seqlock leaves open */
static char torn_a[TORN_SZ], torn_b[TORN_SZ], torn_r[TORN_SZ];
static _Atomic int stop_writer;
/* Set by a reader that failed many reads in a row: under valgrind threads
 * run one at a time and the writer can hold the slot for every read. */
static _Atomic int reader_starved;

static void *flipper(void *arg)
{
    for (unsigned i = 0; !atomic_load(&stop_writer); i++) {
        splinter_set("torn", (i & 1) ? torn_a : torn_b, TORN_SZ);
        if (atomic_exchange(&reader_starved, 0)) mt_nap_ms(2);
    }
    return arg;
}

TEST(seqlock_reads_are_never_torn)
{
    if (!mt_make(16, TORN_SZ)) { fails++; return; }
    memset(torn_a, 'a', TORN_SZ);
    memset(torn_b, 'b', TORN_SZ);
    CHECK(splinter_set("torn", torn_a, TORN_SZ) == 0);
    CHECK(splinter_set_mop(0) == 0);
    pthread_t th;
    pthread_create(&th, NULL, flipper, NULL);
    long ok = 0, torn = 0, misses = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* enough successful reads to matter, bounded in time on a loaded machine */
    for (long i = 0; torn == 0 && (i < 20000 || ok < 2000) && mt_ms_since(&t0) < 5000; i++) {
        size_t n;
        if (splinter_get("torn", torn_r, TORN_SZ, &n) != 0) {
            if (++misses % 256 == 0) atomic_store(&reader_starved, 1);
            continue;
        }
        misses = 0;
        ok++;
        for (size_t j = 1; j < n; j++)
            if (torn_r[j] != torn_r[0]) { torn++; break; }
    }
    atomic_store(&stop_writer, 1);
    pthread_join(th, NULL);
    CHECK(torn == 0, "a successful read saw a half-written value");
    CHECK(ok > 0, "no read succeeded");
    mt_done();
}

int main(void)
{
    RUN(seqlock_reads_are_never_torn);
    return T_DONE("seqlock under a writer thread");
}
