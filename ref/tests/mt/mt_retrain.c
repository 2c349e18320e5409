/*
 * mt_retrain.c - retrain against live writers and readers on one handle.
 * (Moved from the Criterion kv tests so ThreadSanitizer runs them.)
 *  - a live writer holding the slot (for less than the dead-writer bound)
 *    is waited for: the retrain takes the slot after it, its value stays;
 *  - retrain racing a writer and a reader: no successful read returns a
 *    torn value (the original's retrain stores 3 then 4 outright, into the
 *    middle of a write);
 *  - a set and a retrain that bring the epoch back to where it was (4) are
 *    still seen by a poll that began at 4 (the retrain generation).
 */
#include "mt.h"

#include <sched.h>

/* The writer holds the slot through the peek mapping, as another process
 * would: odd, 5 ms, value, even. */
static _Atomic int sw_done; /* the writer released the slot */
static void *slow_writer(void *arg)
{
    struct splinter_slot *s = arg;
    uint64_t e = atomic_load(&s->epoch);
    atomic_store(&s->epoch, e + 1);
    mt_nap_ms(5);
    memcpy(splref_values(mt_peek) + s->val_off, "complete", 8);
    atomic_store(&s->val_len, 8);
    atomic_store(&s->epoch, e + 2);
    atomic_store(&sw_done, 1);
    return NULL;
}

TEST(retrain_waits_for_a_live_writer)
{
    if (!mt_make(64, 256)) { fails++; return; }
    for (int i = 0; i < 3; i++) splinter_set("live", "old", 3); /* epoch 6: the writer alone would leave it at 8 */
    struct splinter_slot *s = mt_slot("live");
    CHECK(s != NULL);
    if (!s) { mt_done(); return; }
    pthread_t th;
    atomic_store(&sw_done, 0);
    pthread_create(&th, NULL, slow_writer, s);
    /* until the writer holds the slot; or is already done with it (this
     * thread was off the CPU for its whole 5 ms, as under ASan on a loaded
     * machine): then the retrain simply follows the write */
    while (!(atomic_load(&s->epoch) & 1) && !atomic_load(&sw_done)) {}
    CHECK(splinter_retrain_slot("live") == 0);
    pthread_join(th, NULL);
    char b[16] = {0};
    size_t n = 0;
    CHECK(splinter_get("live", b, sizeof b, &n) == 0);
    CHECK(n == 8 && memcmp(b, "complete", 8) == 0, "the writer's value stays: %zu bytes", n);
    uint64_t e = atomic_load(&s->epoch);
    CHECK(e == 4, "republished at 4 after the writer, not during it (epoch %llu)", (unsigned long long)e);
    mt_done();
}

enum { RT_MS = 300, RT_LEN = 32768 };
static _Atomic int rt_stop;
static _Atomic unsigned long rt_ok, rt_torn;

static void *rt_writer(void *arg)
{
    (void)arg;
    static char v[RT_LEN];
    for (unsigned i = 0; !atomic_load(&rt_stop); i++) {
        memset(v, 'a' + (int)(i % 26), sizeof v);
        splinter_set("rt", v, sizeof v);
    }
    return NULL;
}

static void *rt_retrainer(void *arg)
{
    (void)arg;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* a fixed time, not a count: the original's retrain is a few stores */
    for (int i = 0; mt_ms_since(&t0) < RT_MS; i++) {
        splinter_retrain_slot("rt");
        if (i % 16 == 0) sched_yield(); /* let the writer get inside its odd phase */
    }
    atomic_store(&rt_stop, 1);
    return NULL;
}

static void *rt_reader(void *arg)
{
    (void)arg;
    static char b[RT_LEN];
    size_t n;
    while (!atomic_load(&rt_stop)) {
        if (splinter_get("rt", b, sizeof b, &n) != 0) continue;
        bool torn = n != RT_LEN;
        for (size_t i = 1; i < n && !torn; i++) torn = b[i] != b[0];
        atomic_fetch_add(torn ? &rt_torn : &rt_ok, 1);
    }
    return NULL;
}

TEST(retrain_racing_a_writer_hands_out_no_torn_value)
{
    if (!mt_make(16, RT_LEN)) { fails++; return; } /* long values: a write takes microseconds */
    static char v[RT_LEN];
    memset(v, 'a', sizeof v);
    CHECK(splinter_set("rt", v, sizeof v) == 0);
    pthread_t w, r, t;
    pthread_create(&w, NULL, rt_writer, NULL);
    pthread_create(&r, NULL, rt_reader, NULL);
    pthread_create(&t, NULL, rt_retrainer, NULL);
    pthread_join(t, NULL);
    pthread_join(w, NULL);
    pthread_join(r, NULL);
    unsigned long torn = atomic_load(&rt_torn), ok = atomic_load(&rt_ok);
    CHECK(torn == 0, "%lu torn values read (%lu intact)", torn, ok);
    uint64_t e = splinter_get_epoch("rt");
    CHECK((e & 1) == 0, "the slot is not left odd (epoch %llu)", (unsigned long long)e);
    mt_done();
}

static void *rt_poller(void *arg)
{
    *(int *)arg = splinter_poll("aba", 3000);
    return NULL;
}

TEST(poll_sees_a_set_and_retrain_that_end_at_the_same_epoch)
{
    if (!mt_make(64, 256)) { fails++; return; }
    splinter_set("aba", "1", 1);
    splinter_set("aba", "2", 1);
    CHECK(splinter_get_epoch("aba") == 4);
    int rc = 99;
    pthread_t th;
    pthread_create(&th, NULL, rt_poller, &rc);
    mt_nap_ms(50); /* the poll has taken its start and naps */
    splinter_set("aba", "3", 1);
    CHECK(splinter_retrain_slot("aba") == 0);
    CHECK(splinter_get_epoch("aba") == 4, "the epoch came back");
    pthread_join(th, NULL);
    CHECK(rc == 0, "poll missed a write: %d", rc);
    mt_done();
}

int main(void)
{
    RUN(retrain_waits_for_a_live_writer);
    RUN(retrain_racing_a_writer_hands_out_no_torn_value);
    RUN(poll_sees_a_set_and_retrain_that_end_at_the_same_epoch);
    return T_DONE("retrain against live writers");
}
