/*
 * test_kv.c - set/get/unset/append/list/poll/raw pointer/system slots,
 * snapshots, epochs and the seqlock contract (EAGAIN on an odd epoch).
 */
#include "common.h"

#include <pthread.h>
#include <sched.h>

Test(kv, set_get_roundtrip, .init = t_setup, .fini = t_teardown)
{
    t_set_str("hello", "world");
    char b[16] = {0};
    size_t n = 0;
    cr_assert_eq(splinter_get("hello", b, sizeof b, &n), 0);
    cr_assert_eq(n, 5);
    cr_assert_str_eq(b, "world");
    /* NULL buffer: size query */
    n = 0;
    cr_assert_eq(splinter_get("hello", NULL, 0, &n), 0);
    cr_assert_eq(n, 5);
    /* overwrite with a shorter value */
    t_set_str("hello", "hi");
    memset(b, 0, sizeof b);
    cr_assert_eq(splinter_get("hello", b, sizeof b, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(b, "hi");
}

Test(kv, get_small_buffer_is_emsgsize, .init = t_setup, .fini = t_teardown)
{
    t_set_str("k", "0123456789");
    char b[4];
    size_t n = 0;
    errno = 0;
    cr_assert_eq(splinter_get("k", b, sizeof b, &n), -1);
    cr_assert_eq(errno, EMSGSIZE);
    cr_assert_eq(n, 10, "out_sz tells the size needed");
}

Test(kv, get_missing_is_enoent, .init = t_setup, .fini = t_teardown)
{
    char b[4];
    size_t n;
    errno = 0;
    cr_assert_eq(splinter_get("nope", b, sizeof b, &n), -1);
    cr_assert_eq(errno, ENOENT);
}

Test(kv, value_size_limits, .init = t_setup, .fini = t_teardown)
{
    char big[T_MAXVAL + 1];
    memset(big, 'x', sizeof big);
    cr_assert_eq(splinter_set("k", big, T_MAXVAL), 0, "exactly max_val_sz fits");
    errno = 0;
    cr_assert_eq(splinter_set("k", big, T_MAXVAL + 1), -1);
    cr_assert_eq(errno, EMSGSIZE);
    size_t n;
    cr_assert_eq(splinter_get("k", NULL, 0, &n), 0);
    cr_assert_eq(n, T_MAXVAL, "the refused set changed nothing");
    cr_assert_eq(splinter_set("k", big, 0), -1, "empty values are refused");
    errno = 0;
    cr_assert_eq(splinter_set("fresh", big, T_MAXVAL + 1), -1);
    cr_assert_eq(errno, EMSGSIZE);
    cr_assert_eq(splinter_get("fresh", NULL, 0, &n), -1, "no slot was taken");
}

Test(kv, unset_returns_length_and_leaves_a_tombstone, .init = t_setup, .fini = t_teardown)
{
    t_set_str("gone", "12345");
    struct splinter_slot *s = t_slot("gone");
    cr_assert_not_null(s);
    uint64_t e = atomic_load(&s->epoch);
    cr_assert_eq(e % 2, 0);
    cr_assert_eq(splinter_unset("gone"), 5);
    cr_assert_eq(atomic_load(&s->hash), 0);
    cr_assert_eq(atomic_load(&s->epoch), e + 2, "unset is a seqlocked write: even, +2, never back to 0");
    cr_assert_eq(atomic_load(&s->val_len), 0);
    cr_assert_eq(atomic_load(&s->type_flag), SPL_SLOT_TYPE_VOID);
    errno = 0;
    cr_assert_eq(splinter_get("gone", NULL, 0, NULL), -1);
    cr_assert_eq(errno, ENOENT);
    errno = 0;
    cr_assert_eq(splinter_unset("gone"), -1);
    cr_assert_eq(errno, ENOENT);
    cr_assert_eq(splinter_unset(""), -1);
}

/* A small store where every key collides with some other key's chain:
 * tombstones must keep chains intact, and a full store says ENOSPC. */
Test(kv, chains_survive_unset_and_full_store_is_enospc, .fini = t_teardown)
{
    t_make(8, 16);
    char key[16];
    for (int i = 0; i < 8; i++) {
        snprintf(key, sizeof key, "key%d", i);
        cr_assert_eq(splinter_set(key, key, strlen(key)), 0, "set %s", key);
    }
    errno = 0;
    cr_assert_eq(splinter_set("one-too-many", "x", 1), -1);
    cr_assert_eq(errno, ENOSPC);
    /* updating an existing key in a full store still works */
    cr_assert_eq(splinter_set("key3", "again", 5), 0);
    for (int d = 0; d < 8; d += 2) {
        snprintf(key, sizeof key, "key%d", d);
        cr_assert_gt(splinter_unset(key), 0);
    }
    for (int i = 1; i < 8; i += 2) {
        char b[16];
        size_t n;
        snprintf(key, sizeof key, "key%d", i);
        cr_assert_eq(splinter_get(key, b, sizeof b, &n), 0, "%s lost behind a tombstone", key);
    }
    /* re-setting a live key never makes a duplicate, even with free tombstones earlier on its chain */
    for (int r = 0; r < 3; r++)
        for (int i = 1; i < 8; i += 2) {
            snprintf(key, sizeof key, "key%d", i);
            cr_assert_eq(splinter_set(key, "upd", 3), 0);
        }
    char *keys[8];
    size_t n;
    cr_assert_eq(splinter_list(keys, 8, &n), 0);
    cr_assert_eq(n, 4);
    cr_assert_eq(splinter_set("new-a", "1", 1), 0, "tombstones are reused");
}

Test(kv, long_keys_truncate_to_63_bytes, .init = t_setup, .fini = t_teardown)
{
    char longk[101], prefix[64];
    memset(longk, 'L', 100);
    longk[100] = '\0';
    memcpy(prefix, longk, 63);
    prefix[63] = '\0';
    t_set_str(longk, "v");
    char b[4];
    size_t n;
    cr_assert_eq(splinter_get(longk, b, sizeof b, &n), 0);
    cr_assert_eq(splinter_get(prefix, b, sizeof b, &n), 0, "the same key as its 63-byte prefix");
    t_set_str(prefix, "w");
    char *keys[4];
    cr_assert_eq(splinter_list(keys, 4, &n), 0);
    cr_assert_eq(n, 1, "no duplicate");
    cr_assert_eq(strlen(keys[0]), 63);
    cr_assert_eq(t_slot(prefix)->hash, t_fnv(prefix));
}

Test(kv, list_reports_live_keys, .init = t_setup, .fini = t_teardown)
{
    t_set_str("a", "1");
    t_set_str("b", "2");
    t_set_str("c", "3");
    cr_assert_eq(splinter_unset("b"), 1);
    char *keys[8];
    size_t n = 99;
    cr_assert_eq(splinter_list(keys, 8, &n), 0);
    cr_assert_eq(n, 2);
    int seen = 0;
    for (size_t i = 0; i < n; i++) seen |= !strcmp(keys[i], "a") ? 1 : !strcmp(keys[i], "c") ? 2 : 4;
    cr_assert_eq(seen, 3);
    cr_assert_eq(splinter_list(keys, 1, &n), 0);
    cr_assert_eq(n, 1, "max_keys bounds the count");
}

Test(kv, append_grows_the_value, .init = t_setup, .fini = t_teardown)
{
    t_set_str("log", "ab");
    size_t nl = 0;
    uint64_t g = t_global_epoch();
    cr_assert_eq(splinter_append("log", "cd", 2, &nl), 0);
    cr_assert_eq(nl, 4);
    cr_assert_eq(t_global_epoch(), g + 1);
    char b[8] = {0};
    size_t n;
    cr_assert_eq(splinter_get("log", b, sizeof b, &n), 0);
    cr_assert_str_eq(b, "abcd");
    char big[T_MAXVAL];
    memset(big, 'z', sizeof big);
    errno = 0;
    cr_assert_eq(splinter_append("log", big, T_MAXVAL - 3, &nl), -1);
    cr_assert_eq(errno, EMSGSIZE);
    cr_assert_eq(splinter_append("log", big, T_MAXVAL - 4, &nl), 0);
    cr_assert_eq(nl, T_MAXVAL);
    errno = 0;
    cr_assert_eq(splinter_append("nokey", "x", 1, &nl), -1);
    cr_assert_eq(errno, ENOENT);
    cr_assert_eq(splinter_append("log", "x", 0, &nl), -2);
    cr_assert_eq(splinter_append("log", NULL, 1, &nl), -2);
}

Test(kv, raw_pointer_and_epoch, .init = t_setup, .fini = t_teardown)
{
    t_set_str("raw", "bytes!");
    size_t n = 0;
    uint64_t e = 0;
    const char *p = splinter_get_raw_ptr("raw", &n, &e);
    cr_assert_not_null(p);
    cr_assert_eq(n, 6);
    cr_assert_eq(memcmp(p, "bytes!", 6), 0);
    cr_assert_eq(e, splinter_get_epoch("raw"));
    cr_assert_eq(e % 2, 0);
    t_set_str("raw", "BYTES!");
    cr_assert_eq(memcmp(p, "BYTES!", 6), 0, "the pointer is into the live mapping");
    cr_assert_eq(splinter_get_epoch("raw"), e + 2, "each completed write advances the slot epoch by 2");
    errno = 0;
    cr_assert_null(splinter_get_raw_ptr("missing", &n, &e));
    cr_assert_eq(errno, ENOENT);
    cr_assert_eq(splinter_get_epoch("missing"), 0);
}

Test(kv, set_as_system_takes_the_whole_slot, .init = t_setup, .fini = t_teardown)
{
    t_set_str("sys", "x");
    uint64_t e = splinter_get_epoch("sys");
    cr_assert_eq(splinter_set_as_system("sys"), 0);
    splinter_slot_snapshot_t ss;
    cr_assert_eq(splinter_get_slot_snapshot("sys", &ss), 0);
    cr_assert_eq(ss.val_len, T_MAXVAL);
    cr_assert_eq(ss.type_flag, SPL_SLOT_TYPE_BINARY);
    cr_assert_eq(ss.epoch, e + 2, "written under the seqlock");
    errno = 0;
    cr_assert_eq(splinter_set_as_system("missing"), -1);
    cr_assert_eq(errno, ENOENT);
}

Test(kv, snapshots_and_global_epoch, .init = t_setup, .fini = t_teardown)
{
    uint64_t g = t_global_epoch();
    t_set_str("snap", "value");
    cr_assert_eq(t_global_epoch(), g + 1);
    splinter_slot_snapshot_t ss;
    cr_assert_eq(splinter_get_slot_snapshot("snap", &ss), 0);
    cr_assert_eq(ss.hash, t_fnv("snap"));
    cr_assert_eq(ss.epoch % 2, 0);
    cr_assert_gt(ss.epoch, 0);
    cr_assert_eq(ss.val_len, 5);
    cr_assert_eq(ss.val_off, (uint32_t)(t_slot_index("snap") * T_MAXVAL));
    cr_assert_eq(ss.type_flag, SPL_SLOT_TYPE_VOID);
    cr_assert_str_eq(ss.key, "snap");
    errno = 0;
    cr_assert_eq(splinter_get_slot_snapshot("none", &ss), -1);
    cr_assert_eq(errno, ENOENT);
    /* unset is not a data write in the original's sense: the global epoch stays */
    g = t_global_epoch();
    cr_assert_eq(splinter_unset("snap"), 5);
    cr_assert_eq(t_global_epoch(), g);
}

Test(kv, named_type_and_slot_times, .init = t_setup, .fini = t_teardown)
{
    t_set_str("doc", "{}");
    uint64_t g = t_global_epoch(), e = splinter_get_epoch("doc");
    cr_assert_eq(splinter_set_named_type("doc", SPL_SLOT_TYPE_JSON), 0);
    cr_assert_eq(t_global_epoch(), g + 1);
    cr_assert_eq(splinter_get_epoch("doc"), e + 2);
    cr_assert_eq(splinter_set_slot_time("doc", SPL_TIME_CTIME, 1000, 10), 0);
    cr_assert_eq(splinter_set_slot_time("doc", SPL_TIME_ATIME, 2000, 1), 0);
    splinter_slot_snapshot_t ss;
    cr_assert_eq(splinter_get_slot_snapshot("doc", &ss), 0);
    cr_assert_eq(ss.type_flag, SPL_SLOT_TYPE_JSON);
    cr_assert_eq(ss.ctime, 990);
    cr_assert_eq(ss.atime, 1999);
    errno = 0;
    cr_assert_eq(splinter_set_slot_time("doc", 7, 1, 0), -2);
    cr_assert_eq(errno, ENOTSUP);
    errno = 0;
    cr_assert_eq(splinter_set_named_type("nope", SPL_SLOT_TYPE_JSON), -1);
    cr_assert_eq(errno, ENOENT);
}

Test(kv, bump_and_retrain, .init = t_setup, .fini = t_teardown)
{
    t_set_str("b", "1");
    t_set_str("b", "2");
    t_set_str("b", "3");
    uint64_t e = splinter_get_epoch("b"), g = t_global_epoch();
    cr_assert_eq(splinter_bump_slot("b"), 0);
    cr_assert_eq(splinter_get_epoch("b"), e + 2);
    cr_assert_eq(t_global_epoch(), g, "bump is not a data write");
    cr_assert_eq(splinter_retrain_slot("b"), 0);
    cr_assert_eq(splinter_get_epoch("b"), 4, "retrain republishes at epoch 4");
    cr_assert_eq(t_global_epoch(), g + 1);
    cr_assert_eq(splinter_get("b", NULL, 0, NULL), 0, "a healthy slot keeps its value");
    cr_assert_eq(splinter_bump_slot("missing"), -1);
    cr_assert_eq(splinter_retrain_slot("missing"), -1);
}

/* A slot held (odd epoch) past the dead-writer bound: readers back off at
 * once, writers after waiting SR_DEAD_NS (100 ms), and nobody steals it. */
Test(kv, odd_epoch_is_eagain, .init = t_setup, .fini = t_teardown)
{
    t_set_str("busy", "v");
    struct splinter_slot *s = t_slot("busy");
    uint64_t e = atomic_load(&s->epoch);
    atomic_store(&s->epoch, e + 1);
    size_t n;
    uint64_t one = 1;
    splinter_slot_snapshot_t ss;
#define EAG(call) do { errno = 0; cr_assert_eq((call), -1, #call); cr_assert_eq(errno, EAGAIN, #call); } while (0)
    EAG(splinter_get("busy", NULL, 0, &n));
    EAG(splinter_set("busy", "w", 1));
    EAG(splinter_unset("busy"));
    EAG(splinter_append("busy", "w", 1, &n));
    EAG(splinter_poll("busy", 10));
    EAG(splinter_set_as_system("busy"));
    EAG(splinter_set_named_type("busy", SPL_SLOT_TYPE_BIGUINT));
    EAG(splinter_set_slot_time("busy", SPL_TIME_CTIME, 1, 0));
    EAG(splinter_bump_slot("busy"));
    EAG(splinter_get_slot_snapshot("busy", &ss));
    atomic_store(&s->type_flag, SPL_SLOT_TYPE_BIGUINT);
    EAG(splinter_integer_op("busy", SPL_OP_INC, &one));
    atomic_store(&s->type_flag, SPL_SLOT_TYPE_VOID);
    cr_assert_eq(atomic_load(&s->epoch), e + 1, "nobody stole the held slot");
    atomic_store(&s->epoch, e);
    char b[4];
    cr_assert_eq(splinter_get("busy", b, sizeof b, &n), 0);
    cr_assert_eq(b[0], 'v', "value untouched while held");
}

/* A new key whose chain crosses an empty slot someone is filling goes on to
 * the next free slot: the filler, if it inserts the same key, sees this
 * claim and backs off (see insert_race_makes_no_duplicates). */
Test(kv, new_key_behind_a_filling_slot, .init = t_setup, .fini = t_teardown)
{
    const char *key = "newcomer";
    size_t home = t_fnv(key) % T_SLOTS;
    struct splinter_slot *s = &splref_slots(t_peek)[home];
    atomic_store(&s->epoch, 1);
    cr_assert_eq(splinter_set(key, "v", 1), 0);
    cr_assert_eq(t_slot_index(key), (long)((home + 1) % T_SLOTS));
    atomic_store(&s->epoch, 2);
    cr_assert_eq(splinter_set(key, "w", 1), 0, "an update of the key where it is");
    cr_assert_eq(t_slot_index(key), (long)((home + 1) % T_SLOTS));
}

/* A key being claimed elsewhere on its chain (hash and key published, slot
 * still odd: another inserter mid-write) is that inserter's: a set waits for
 * it, never makes a second copy; past the dead-writer bound it is EAGAIN. */
Test(kv, new_key_claimed_elsewhere_is_not_duplicated, .init = t_setup, .fini = t_teardown)
{
    const char *key = "claimed";
    size_t home = t_fnv(key) % T_SLOTS, at = (home + 2) % T_SLOTS;
    struct splinter_slot *S = splref_slots(t_peek), *s = &S[at];
    /* the two slots before it are tombstones: free, but not chain ends */
    atomic_store(&S[home].epoch, 2);
    atomic_store(&S[(home + 1) % T_SLOTS].epoch, 2);
    strcpy(s->key, key);
    atomic_store(&s->epoch, 1);
    atomic_store(&s->hash, t_fnv(key));
    errno = 0;
    cr_assert_eq(splinter_set(key, "v", 1), -1);
    cr_assert_eq(errno, EAGAIN);
    int copies = 0;
    for (int i = 0; i < T_SLOTS; i++) copies += atomic_load(&splref_slots(t_peek)[i].hash) == t_fnv(key);
    cr_assert_eq(copies, 1);
    atomic_store(&s->epoch, 2);
    cr_assert_eq(splinter_set(key, "v", 1), 0);
    cr_assert_eq(t_slot_index(key), (long)at);
}

Test(kv, poll_times_out_and_wakes, .init = t_setup, .fini = t_teardown, .timeout = 20)
{
    t_set_str("p", "0");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    errno = 0;
    cr_assert_eq(splinter_poll("p", 50), -1);
    cr_assert_eq(errno, ETIMEDOUT);
    cr_assert_geq(t_ms_since(&t0), 50.0, "no early timeout");
    errno = 0;
    cr_assert_eq(splinter_poll("missing", 10), -1);
    cr_assert_eq(errno, ENOENT);
}

Test(kv, config_and_user_flag_helpers, .init = t_setup, .fini = t_teardown)
{
    struct splinter_header *H = splref_header(t_peek);
    splinter_config_set(H, SPL_SUSR2);
    cr_assert(splinter_config_test(H, SPL_SUSR2));
    cr_assert_eq(splinter_config_snapshot(H), SPL_SYS_AUTO_SCRUB | SPL_SYS_HYBRID_SCRUB | SPL_SUSR2);
    splinter_config_clear(H, SPL_SUSR2);
    cr_assert_not(splinter_config_test(H, SPL_SUSR2));
    t_set_str("u", "1");
    struct splinter_slot *s = t_slot("u");
    splinter_slot_usr_set(s, 0x5);
    cr_assert(splinter_slot_usr_test(s, 0x4));
    splinter_slot_usr_clear(s, 0x1);
    cr_assert_eq(splinter_slot_usr_snapshot(s), 0x4);
    splinter_slot_snapshot_t ss;
    cr_assert_eq(splinter_get_slot_snapshot("u", &ss), 0);
    cr_assert_eq(ss.user_flag, 0x4, "visible through the API's own mapping");
}

/* ---- retrain ------------------------------------------------------------ */

/* A slot left odd by a dead writer (same odd epoch for SR_DEAD_NS, 100 ms): retrain frees
 * it, and the half-written value is never readable: the key is absent, its
 * value area zeroed (whatever the mop mode), the slot a tombstone at epoch 4. */
Test(kv, retrain_recovers_a_dead_writer_without_its_bytes, .init = t_setup, .fini = t_teardown)
{
    char full[200];
    memset(full, 'A', sizeof full);
    cr_assert_eq(splinter_set("dead", full, sizeof full), 0);
    cr_assert_eq(splinter_set_mop(0), 0); /* recovery must not depend on the mop */
    struct splinter_slot *s = t_slot("dead");
    uint8_t *v = t_value_area("dead");
    /* a writer took the slot, wrote half of a new value, and died */
    atomic_store(&s->epoch, atomic_load(&s->epoch) + 1);
    memset(v, 'X', 100);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(splinter_retrain_slot("dead"), 0);
    cr_assert_geq(t_ms_since(&t0), 99.0, "odd for 100 ms before it counts as dead");
    errno = 0;
    cr_assert_eq(splinter_get("dead", NULL, 0, NULL), -1, "the half-written value is not readable");
    cr_assert_eq(errno, ENOENT);
    for (int i = 0; i < T_MAXVAL; i++) cr_assert_eq(v[i], 0, "value byte %d is 0x%02x", i, v[i]);
    cr_assert_eq(atomic_load(&s->hash), 0);
    cr_assert_eq(s->key[0], 0);
    cr_assert_eq(atomic_load(&s->epoch), 4);
    char *keys[T_SLOTS];
    size_t n = 0;
    cr_assert_eq(splinter_list(keys, T_SLOTS, &n), 0);
    cr_assert_eq(n, 0);
    t_set_str("dead", "fresh");
    cr_assert_eq(splinter_get("dead", NULL, 0, &n), 0);
    cr_assert_eq(n, 5);
}

/* The multi-threaded cases (the seqlock under a writer thread, writer-writer
 * contention, retrain against live writers, poll woken by another thread)
 * are plain programs in ref/tests/mt/, so ThreadSanitizer runs them too. */
