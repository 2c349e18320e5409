/*
 * mt_enumerate.c - enumerate_matches must hand its callback whole keys
 * while other threads insert and unset them.
 *
 * Two threads keep inserting and unsetting keys that are each one letter
 * repeated (63 'A's, 63 'B's, ...), all carrying label bit 0; two others
 * enumerate bit 0 over and over. Every key the callback is given must be
 * one of those keys, whole: a key read from the slot while an unset zeroes
 * it or an insert copies another key into it comes out cut short or mixed.
 * The reference copies the key inside the slot's read window; its mutant
 * enum_shared_key (the original's behaviour) hands out the shared bytes
 * and fails here.
 */
#include "mt.h"

enum { RUN_MS = 1500, NLETTERS = 6 };
static _Atomic int stop;
static _Atomic unsigned long seen, bad;
static char bad_key[SPLINTER_KEY_MAX + 1];

static void make_key(char *k, int letter)
{
    memset(k, 'A' + letter, SPLINTER_KEY_MAX - 1);
    k[SPLINTER_KEY_MAX - 1] = '\0';
}

static void *churn(void *arg)
{
    int base = (int)(intptr_t)arg;
    char k[SPLINTER_KEY_MAX];
    for (unsigned i = 0; !atomic_load(&stop); i++) {
        make_key(k, base + (int)(i % (NLETTERS / 2)) * 2);
        if (splinter_set(k, "v", 1) == 0) splinter_set_label(k, 1);
        make_key(k, base + (int)((i + 1) % (NLETTERS / 2)) * 2);
        splinter_unset(k);
    }
    return NULL;
}

static void on_key(const char *key, uint64_t epoch, void *data)
{
    (void)epoch, (void)data;
    char k[SPLINTER_KEY_MAX + 1];
    memcpy(k, key, SPLINTER_KEY_MAX); /* what the caller sees, at once */
    k[SPLINTER_KEY_MAX] = '\0';
    atomic_fetch_add(&seen, 1);
    bool whole = strlen(k) == SPLINTER_KEY_MAX - 1 && k[0] >= 'A' && k[0] < 'A' + NLETTERS;
    for (size_t i = 1; whole && i < SPLINTER_KEY_MAX - 1; i++) whole = k[i] == k[0];
    if (!whole && atomic_fetch_add(&bad, 1) == 0) memcpy(bad_key, k, sizeof bad_key);
}

static void *enumerator(void *arg)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    const char *env = getenv("MT_RUN_MS");
    double ms = env && atoi(env) > 0 ? atoi(env) : RUN_MS;
    while (mt_ms_since(&t0) < ms && !atomic_load(&bad)) splinter_enumerate_matches(1, on_key, NULL);
    return arg;
}

TEST(enumerate_hands_out_whole_keys)
{
    if (!mt_make(64, 64)) { fails++; return; }
    pthread_t a, b, e;
    pthread_create(&a, NULL, churn, (void *)0);
    pthread_create(&b, NULL, churn, (void *)1);
    pthread_create(&e, NULL, enumerator, NULL);
    enumerator(NULL);
    pthread_join(e, NULL);
    atomic_store(&stop, 1);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    unsigned long nbad = atomic_load(&bad), nseen = atomic_load(&seen);
    CHECK(nbad == 0, "%lu of %lu keys handed to the callback were not whole keys (first: \"%.20s\", %zu bytes)", nbad,
          nseen, bad_key, strlen(bad_key));
    CHECK(nseen > 0, "the enumeration never saw a key");
    mt_done();
}

int main(void)
{
    RUN(enumerate_hands_out_whole_keys);
    return T_DONE("enumerate_matches against inserts and unsets");
}
