/*
 * mt-handle.c - several threads on ONE store handle (the ThreadSanitizer target).
 *
 * store.h promises that a handle may be shared by threads. Writers set keys
 * with self-checking values, readers verify every successful get (a torn
 * read that the seqlock let through fails the check), and all threads
 * increment one BIGUINT counter whose final value must equal the number of
 * increments that reported success. Run plain it checks the seqlock's
 * promise; run in the TSan build it checks the library for data races.
 * MT_RUN_MS=N keeps the writers going past ROUNDS until N ms have passed or
 * a torn read is seen: a race a loaded machine may not produce in ROUNDS
 * (the mutant check: ci-mt-handle-catches-torn-write) is then looked for
 * long enough, and found early when it is there.
 */
#include "splref.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define NKEYS 16
#define VAL 256
#define ROUNDS 4000

static splref_store *st;
static atomic_ulong incs_ok, torn, reads_ok, writes_ok, failures;
static atomic_int writers_left = 2;
static atomic_int started;      /* every thread starts at once, so they overlap */
static uint64_t deadline_ns;    /* MT_RUN_MS, or 0 */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void start_together(void)
{
    started++;
    while (started < 4) {}
}

static int more_rounds(uint64_t r)
{
    if (r < ROUNDS) return 1;
    return deadline_ns && !torn && (r % 64 || now_ns() < deadline_ns);
}

/* value: 8-byte sequence number, then bytes derived from (key, seq), then a checksum */
static void fill(unsigned char *v, unsigned key, uint64_t seq)
{
    memcpy(v, &seq, 8);
    uint32_t sum = 0;
    for (size_t i = 8; i < VAL - 4; i++) {
        v[i] = (unsigned char)(key * 31 + seq * 7 + i);
        sum = sum * 33 + v[i];
    }
    memcpy(v + VAL - 4, &sum, 4);
}

static int check(const unsigned char *v, unsigned key)
{
    uint64_t seq;
    memcpy(&seq, v, 8);
    unsigned char want[VAL];
    fill(want, key, seq);
    return memcmp(v, want, VAL) == 0;
}

static void key_name(char *b, unsigned k) { snprintf(b, 64, "ci/mt/key-%02u", k); }

static void inc_counter(void)
{
    uint64_t one = 1;
    for (int tries = 0; tries < 1000; tries++) {
        if (splref_integer_op(st, "ci/mt/counter", SPL_OP_INC, &one) == 0) { incs_ok++; return; }
        if (errno != EAGAIN) { failures++; return; }
    }
}

static void *writer(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    unsigned char v[VAL];
    char key[64];
    start_together();
    for (uint64_t r = 0; more_rounds(r); r++) {
        unsigned k = (unsigned)((r * 2 + id) % NKEYS);
        key_name(key, k);
        fill(v, k, r * 4 + id);
        if (splref_set(st, key, v, VAL) == 0) writes_ok++;
        else if (errno != EAGAIN) failures++;
        if (r % 8 == 0) inc_counter();
    }
    writers_left--;
    return NULL;
}

static void *reader(void *arg)
{
    unsigned char v[VAL];
    char key[64];
    size_t n;
    start_together();
    /* read for as long as anyone writes, so reads and writes always overlap */
    for (uint64_t r = 0; r < ROUNDS || writers_left > 0; r++) {
        unsigned k = (unsigned)((r + (uintptr_t)arg) % NKEYS);
        key_name(key, k);
        if (splref_get(st, key, v, sizeof v, &n) == 0) {
            if (n != VAL || !check(v, k)) torn++;
            else reads_ok++;
        } else if (errno != EAGAIN) {
            failures++;
        }
        if (r % 8 == 0) inc_counter();
    }
    return NULL;
}

int main(void)
{
    char name[64];
    const char *run_ms = getenv("MT_RUN_MS");
    if (run_ms && *run_ms) {
        char *end;
        unsigned long ms = strtoul(run_ms, &end, 10);
        if (*end || ms == 0 || ms > 600000) { printf("FAIL MT_RUN_MS=%s: not a number of ms in 1..600000\n", run_ms); return 2; }
        deadline_ns = now_ns() + ms * 1000000ull;
    }
    snprintf(name, sizeof name, "/splsuite-ci-mt-%d", (int)getpid());
    shm_unlink(name);
    st = splref_create(SPLREF_BACKEND_SHM, name, 256, 1024);
    if (!st) { printf("FAIL create %s: %s\n", name, strerror(errno)); return 1; }
    unsigned char v[VAL];
    char key[64];
    for (unsigned k = 0; k < NKEYS; k++) {
        key_name(key, k);
        fill(v, k, 0);
        if (splref_set(st, key, v, VAL) != 0) { printf("FAIL seed set: %s\n", strerror(errno)); return 1; }
    }
    uint64_t zero = 0;
    if (splref_set(st, "ci/mt/counter", &zero, 8) != 0 ||
        splref_set_named_type(st, "ci/mt/counter", SPL_SLOT_TYPE_BIGUINT) != 0) {
        printf("FAIL counter setup: %s\n", strerror(errno));
        return 1;
    }
    pthread_t th[4];
    for (uintptr_t i = 0; i < 2; i++) pthread_create(&th[i], NULL, writer, (void *)i);
    for (uintptr_t i = 2; i < 4; i++) pthread_create(&th[i], NULL, reader, (void *)i);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);

    uint64_t counter = 0;
    size_t n = 0;
    int fail = 0;
    if (splref_get(st, "ci/mt/counter", &counter, sizeof counter, &n) != 0 || n != 8) {
        printf("FAIL counter get: %s\n", strerror(errno));
        fail = 1;
    }
    printf("writes %lu, verified reads %lu, torn reads %lu, increments %lu, counter %llu, errors %lu\n",
           (unsigned long)writes_ok, (unsigned long)reads_ok, (unsigned long)torn, (unsigned long)incs_ok,
           (unsigned long long)counter, (unsigned long)failures);
    if (torn) { printf("FAIL a get returned a value no writer wrote\n"); fail = 1; }
    if (counter != incs_ok) { printf("FAIL counter %llu != %lu successful increments\n", (unsigned long long)counter, (unsigned long)incs_ok); fail = 1; }
    if (failures) { printf("FAIL calls failed with errors other than EAGAIN\n"); fail = 1; }
    if (writes_ok == 0 || reads_ok == 0) { printf("FAIL no progress\n"); fail = 1; }
    splref_close(st);
    shm_unlink(name);
    printf("%s\n", fail ? "FAILED" : "PASSED");
    return fail;
}
