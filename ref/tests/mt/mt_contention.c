/*
 * mt_contention.c - writer-writer contention is waited out inside the
 * library: four threads hammering the same keys see no EAGAIN, and every
 * append and increment lands. Clients of the original do not retry its
 * writers (its set never says EAGAIN). (Moved from the Criterion kv tests.)
 */
#include "mt.h"

enum { CT_THREADS = 4, CT_SETS = 200000, CT_APPENDS = 60, CT_INCS = 20000 };
static _Atomic unsigned ct_eagain, ct_other;
static pthread_barrier_t ct_start;

static void *contender(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    char val[48];
    uint64_t one = 1;
    pthread_barrier_wait(&ct_start);
    for (unsigned i = 0; i < CT_SETS; i++) {
        memset(val, 'a' + (int)id, sizeof val);
        int rc = splinter_set(i % 2 ? "hot-a" : "hot-b", val, 16 + i % 32);
        if (rc != 0) atomic_fetch_add(errno == EAGAIN ? &ct_eagain : &ct_other, 1);
        if (i % (CT_SETS / CT_APPENDS) == 0 && splinter_append("hot-log", "x", 1, NULL) != 0)
            atomic_fetch_add(errno == EAGAIN ? &ct_eagain : &ct_other, 1);
        if (i % (CT_SETS / CT_INCS) == 0 && splinter_integer_op("hot-n", SPL_OP_INC, &one) != 0)
            atomic_fetch_add(errno == EAGAIN ? &ct_eagain : &ct_other, 1);
    }
    return NULL;
}

TEST(contended_writers_never_eagain)
{
    if (!mt_make(64, 256)) { fails++; return; }
    uint64_t zero = 0;
    CHECK(splinter_set("hot-log", "L", 1) == 0);
    CHECK(splinter_set("hot-n", &zero, 8) == 0);
    CHECK(splinter_set_named_type("hot-n", SPL_SLOT_TYPE_BIGUINT) == 0);
    pthread_t th[CT_THREADS];
    pthread_barrier_init(&ct_start, NULL, CT_THREADS);
    for (uintptr_t i = 0; i < CT_THREADS; i++) CHECK(pthread_create(&th[i], NULL, contender, (void *)i) == 0);
    for (int i = 0; i < CT_THREADS; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&ct_start);
    unsigned eagain = atomic_load(&ct_eagain), other = atomic_load(&ct_other);
    CHECK(eagain == 0, "%u contended writes returned EAGAIN", eagain);
    CHECK(other == 0, "%u writes failed otherwise", other);
    size_t n = 0;
    CHECK(splinter_get("hot-log", NULL, 0, &n) == 0);
    size_t per_thread = (CT_SETS - 1) / (CT_SETS / CT_APPENDS) + 1;
    CHECK(n == 1 + CT_THREADS * per_thread, "every append landed: %zu bytes", n);
    uint64_t v = 0;
    CHECK(splinter_get("hot-n", &v, sizeof v, &n) == 0);
    per_thread = (CT_SETS - 1) / (CT_SETS / CT_INCS) + 1;
    CHECK(v == (uint64_t)CT_THREADS * per_thread, "every increment landed: %llu", (unsigned long long)v);
    mt_done();
}

int main(void)
{
    RUN(contended_writers_never_eagain);
    return T_DONE("writer-writer contention on one handle");
}
