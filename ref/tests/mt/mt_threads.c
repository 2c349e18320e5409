/*
 * mt_threads.c - several threads of one process on the default store: a
 * poll wakes on another thread's write; four writers' keys all land, none
 * twice, and their shared counter is exact. (Moved from the Criterion kv
 * and lifecycle tests so ThreadSanitizer runs them.)
 */
#include "mt.h"

static void *late_writer(void *arg)
{
    mt_nap_ms(30);
    splinter_set("p", "1", 1);
    return arg;
}

TEST(poll_returns_on_a_write)
{
    if (!mt_make(64, 256)) { fails++; return; }
    splinter_set("p", "0", 1);
    pthread_t th;
    pthread_create(&th, NULL, late_writer, NULL);
    CHECK(splinter_poll("p", 10000) == 0);
    pthread_join(th, NULL);
    char b[2];
    size_t n;
    CHECK(splinter_get("p", b, sizeof b, &n) == 0 && b[0] == '1');
    mt_done();
}

struct th_arg { int id; int fails; };

static void *writer(void *arg)
{
    struct th_arg *a = arg;
    uint64_t one = 1;
    for (int i = 0; i < 200; i++) {
        char key[32], val[32];
        snprintf(key, sizeof key, "t%d-%d", a->id, i % 8);
        snprintf(val, sizeof val, "v%d", i);
        int rc;
        while ((rc = splinter_set(key, val, strlen(val))) != 0 && errno == EAGAIN) {}
        if (rc) a->fails++;
        while ((rc = splinter_integer_op("ctr", SPL_OP_INC, &one)) != 0 && errno == EAGAIN) {}
        if (rc) a->fails++;
    }
    return NULL;
}

TEST(threads_share_one_store)
{
    if (!mt_make(64, 256)) { fails++; return; }
    uint64_t zero = 0;
    CHECK(splinter_set("ctr", &zero, 8) == 0);
    CHECK(splinter_set_named_type("ctr", SPL_SLOT_TYPE_BIGUINT) == 0);
    pthread_t th[4];
    struct th_arg args[4] = {{0, 0}, {1, 0}, {2, 0}, {3, 0}};
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, writer, &args[i]);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) CHECK(args[i].fails == 0, "thread %d: %d writes failed", i, args[i].fails);
    uint64_t v = 0;
    size_t n;
    CHECK(splinter_get("ctr", &v, 8, &n) == 0 && v == 800, "counter %llu", (unsigned long long)v);
    char *keys[64];
    CHECK(splinter_list(keys, 64, &n) == 0 && n == 33, "32 thread keys + ctr, no duplicates: %zu", n);
    mt_done();
}

int main(void)
{
    RUN(poll_returns_on_a_write);
    RUN(threads_share_one_store);
    return T_DONE("threads on the default store");
}
