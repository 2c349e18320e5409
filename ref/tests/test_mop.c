/*
 * test_mop.c - scrub ("mop") modes checked byte by byte in the value arena,
 * unset scrubbing, and purge.
 */
#include "common.h"

/* Leaves a 200-byte 'A' value in the slot of key, with scrubbing off. */
static uint8_t *dirty_slot(const char *key)
{
    char a[200];
    memset(a, 'A', sizeof a);
    cr_assert_eq(splinter_set_mop(0), 0);
    cr_assert_eq(splinter_set(key, a, sizeof a), 0);
    return t_value_area(key);
}

static void expect_bytes(const uint8_t *v, size_t from, size_t to, uint8_t want)
{
    for (size_t i = from; i < to; i++) cr_assert_eq(v[i], want, "byte %zu is 0x%02x, want 0x%02x", i, v[i], want);
}

Test(mop, modes_roundtrip, .init = t_setup, .fini = t_teardown)
{
    cr_assert_eq(splinter_get_mop(), 1, "fresh stores are hybrid");
    cr_assert_eq(splinter_set_mop(0), 0);
    cr_assert_eq(splinter_get_mop(), 0);
    cr_assert_eq(splinter_set_mop(2), 0);
    cr_assert_eq(splinter_get_mop(), 2);
    cr_assert_eq(splinter_set_mop(1), 0);
    cr_assert_eq(splinter_get_mop(), 1);
    /* from hybrid straight to full (the original keeps HYBRID set here) */
    cr_assert_eq(splinter_set_mop(2), 0);
    cr_assert_eq(splinter_get_mop(), 2);
    cr_assert_eq(splinter_config_snapshot(splref_header(t_peek)) & 3, SPL_SYS_AUTO_SCRUB);
    errno = 0;
    cr_assert_eq(splinter_set_mop(3), -1);
    cr_assert_eq(errno, EOPNOTSUPP);
}

Test(mop, off_leaves_old_bytes, .init = t_setup, .fini = t_teardown)
{
    uint8_t *v = dirty_slot("m");
    cr_assert_eq(splinter_set("m", "bbbbbbbbbb", 10), 0);
    expect_bytes(v, 0, 10, 'b');
    expect_bytes(v, 10, 200, 'A');
    expect_bytes(v, 200, T_MAXVAL, 0);
}

Test(mop, hybrid_scrubs_to_the_64_byte_rounding, .init = t_setup, .fini = t_teardown)
{
    uint8_t *v = dirty_slot("m");
    cr_assert_eq(splinter_set_mop(1), 0);
    cr_assert_eq(splinter_set("m", "bbbbbbbbbb", 10), 0);
    expect_bytes(v, 0, 10, 'b');
    expect_bytes(v, 10, 64, 0);
    expect_bytes(v, 64, 200, 'A');

    v = dirty_slot("m2");
    cr_assert_eq(splinter_set_mop(1), 0);
    char b[65];
    memset(b, 'b', sizeof b);
    cr_assert_eq(splinter_set("m2", b, 64), 0, "64 rounds to itself");
    expect_bytes(v, 64, 200, 'A');
    v = dirty_slot("m2");
    cr_assert_eq(splinter_set_mop(1), 0);
    cr_assert_eq(splinter_set("m2", b, 65), 0, "65 rounds to 128");
    expect_bytes(v, 65, 128, 0);
    expect_bytes(v, 128, 200, 'A');
}

Test(mop, hybrid_rounding_is_capped_at_max_val, .fini = t_teardown)
{
    t_make(4, 100);
    char a[100];
    memset(a, 'A', sizeof a);
    cr_assert_eq(splinter_set_mop(0), 0);
    cr_assert_eq(splinter_set("k", a, 100), 0);
    /* the next slot's value follows directly: a scrub past 100 would hit it */
    long idx = t_slot_index("k");
    uint8_t *v = t_value_area("k");
    uint8_t *next = splref_values(t_peek) + ((idx + 1) % 4) * 100;
    memset(next, 'N', 100);
    cr_assert_eq(splinter_set_mop(1), 0);
    char b[70];
    memset(b, 'b', sizeof b);
    cr_assert_eq(splinter_set("k", b, sizeof b), 0, "70 rounds to 128, past the 100-byte slot");
    expect_bytes(v, 0, 70, 'b');
    expect_bytes(v, 70, 100, 0);
    if (idx < 3) expect_bytes(next, 0, 100, 'N');
}

Test(mop, full_scrubs_the_whole_slot, .init = t_setup, .fini = t_teardown)
{
    uint8_t *v = dirty_slot("m");
    cr_assert_eq(splinter_set_mop(2), 0);
    cr_assert_eq(splinter_set("m", "bbbbbbbbbb", 10), 0);
    expect_bytes(v, 0, 10, 'b');
    expect_bytes(v, 10, T_MAXVAL, 0);
}

Test(mop, unset_scrubs_when_on, .init = t_setup, .fini = t_teardown)
{
    uint8_t *v = dirty_slot("u");
    struct splinter_slot *s = t_slot("u");
    cr_assert_eq(splinter_set_mop(1), 0);
    cr_assert_eq(splinter_unset("u"), 200);
    expect_bytes(v, 0, T_MAXVAL, 0);
    for (int i = 0; i < SPLINTER_KEY_MAX; i++) cr_assert_eq(s->key[i], 0);

    /* mop off: only the key's first byte is cleared, the value stays */
    v = dirty_slot("wide");
    s = t_slot("wide");
    cr_assert_eq(splinter_unset("wide"), 200);
    expect_bytes(v, 0, 200, 'A');
    cr_assert_eq(s->key[0], 0);
    cr_assert_eq(s->key[1], 'i');
}

Test(mop, purge_zeroes_tails_and_tombstones, .init = t_setup, .fini = t_teardown)
{
    uint8_t *live = dirty_slot("live");
    cr_assert_eq(splinter_set("live", "bbbbbbbbbb", 10), 0);
    uint8_t *dead = dirty_slot("dead");
    cr_assert_eq(splinter_unset("dead"), 200);
    expect_bytes(dead, 0, 200, 'A');
    expect_bytes(live, 10, 200, 'A');
    /* count virgin slots: purge must keep them virgin (they end chains) */
    struct splinter_slot *S = splref_slots(t_peek);
    int virgins = 0;
    for (int i = 0; i < T_SLOTS; i++) virgins += atomic_load(&S[i].hash) == 0 && atomic_load(&S[i].epoch) == 0;
    cr_assert_eq(virgins, T_SLOTS - 2);
    uint64_t e = splinter_get_epoch("live");
    splinter_purge();
    expect_bytes(live, 0, 10, 'b');
    expect_bytes(live, 10, T_MAXVAL, 0);
    expect_bytes(dead, 0, T_MAXVAL, 0);
    cr_assert_eq(splinter_get_epoch("live"), e + 2, "purge holds the seqlock");
    int after = 0;
    for (int i = 0; i < T_SLOTS; i++) after += atomic_load(&S[i].hash) == 0 && atomic_load(&S[i].epoch) == 0;
    cr_assert_eq(after, virgins);
    char b[16];
    size_t n;
    cr_assert_eq(splinter_get("live", b, sizeof b, &n), 0);
    cr_assert_eq(n, 10);
    /* a slot held by a writer is skipped, not waited on */
    struct splinter_slot *s = t_slot("live");
    atomic_store(&s->epoch, e + 3);
    memset(live + 10, 'Z', 5);
    splinter_purge();
    expect_bytes(live, 10, 15, 'Z');
    atomic_store(&s->epoch, e + 4);
}

/* The end of what mode m must have zeroed past a value of len bytes. */
static size_t mop_end(unsigned m, size_t len, size_t maxval)
{
    if (m == 0) return len;
    if (m == 2) return maxval;
    size_t r = (len + 63) & ~(size_t)63;
    return r < maxval ? r : maxval;
}

/* Every write path leaves no stale byte past the new length beyond what the
 * mop mode allows. Each case starts from a slot an older 200-byte 'A' value
 * dirtied with scrubbing off, writes a short value under mode m, then the
 * path under test. (The original's append leaves 'A's inside the hybrid
 * rounding of the new length, and set_as_system exposes them as value.) */
Test(mop, every_write_path_leaves_no_stale_tail, .init = t_setup, .fini = t_teardown)
{
    char b[64], key[32];
    memset(b, 'b', sizeof b);
    for (unsigned m = 0; m <= 2; m++) {
        /* append: 10 + 60 = 70 bytes, whose rounding (128) reaches old 'A's */
        snprintf(key, sizeof key, "app%u", m);
        uint8_t *v = dirty_slot(key);
        cr_assert_eq(splinter_set_mop(m), 0);
        cr_assert_eq(splinter_set(key, b, 10), 0);
        size_t n = 0;
        cr_assert_eq(splinter_append(key, b, 60, &n), 0);
        cr_assert_eq(n, 70);
        expect_bytes(v, 0, 70, 'b');
        expect_bytes(v, 70, mop_end(m, 70, T_MAXVAL), 0);

        /* set_as_system: the value becomes max_val_sz long; what lies past the
         * written 10 bytes is value now and must be zero in every mode */
        snprintf(key, sizeof key, "sys%u", m);
        v = dirty_slot(key);
        cr_assert_eq(splinter_set_mop(m), 0);
        cr_assert_eq(splinter_set(key, b, 10), 0);
        cr_assert_eq(splinter_set_as_system(key), 0);
        cr_assert_eq(splinter_get(key, NULL, 0, &n), 0);
        cr_assert_eq(n, T_MAXVAL);
        expect_bytes(v, 0, 10, 'b');
        expect_bytes(v, 10, T_MAXVAL, 0);

        /* BIGUINT promotion of a 1-byte value written with scrubbing off:
         * 8 bytes now, their rounding must be clean */
        snprintf(key, sizeof key, "int%u", m);
        v = dirty_slot(key);
        cr_assert_eq(splinter_set(key, "5", 1), 0); /* mop still off */
        cr_assert_eq(splinter_set_mop(m), 0);
        cr_assert_eq(splinter_set_named_type(key, SPL_SLOT_TYPE_BIGUINT), 0);
        uint64_t one = 1, got = 0;
        cr_assert_eq(splinter_integer_op(key, SPL_OP_INC, &one), 0);
        cr_assert_eq(splinter_get(key, &got, sizeof got, &n), 0);
        cr_assert_eq(n, 8);
        cr_assert_eq(got, 6);
        expect_bytes(v, 8, mop_end(m, 8, T_MAXVAL), 0);

        /* an integer op on a BIGUINT value shorter than 8 bytes (a set after
         * the promotion) widens it to 8 and writes nothing past them */
        v = dirty_slot(key);
        cr_assert_eq(splinter_set_mop(m), 0);
        cr_assert_eq(splinter_set(key, "\x02\x01", 2), 0);
        cr_assert_eq(splinter_integer_op(key, SPL_OP_INC, &one), 0);
        cr_assert_eq(splinter_get(key, &got, sizeof got, &n), 0);
        cr_assert_eq(n, 8, "widened to 8 bytes");
        cr_assert_eq(got, 0x0103);
        expect_bytes(v, 8, mop_end(m, 8, T_MAXVAL), 0);

        /* tandem keys are plain sets: order 1 lands on a dirty slot too */
        snprintf(key, sizeof key, "tan%u", m);
        char t1[40];
        snprintf(t1, sizeof t1, "%s.1", key);
        v = dirty_slot(t1);
        cr_assert_eq(splinter_set_mop(m), 0);
        const void *vals[2] = {b, b};
        size_t lens[2] = {5, 9};
        cr_assert_eq(splinter_client_set_tandem(key, vals, lens, 2), 0);
        expect_bytes(v, 0, 9, 'b');
        expect_bytes(v, 9, mop_end(m, 9, T_MAXVAL), 0);

        /* purge: every tail to max_val_sz, whatever the mode */
        snprintf(key, sizeof key, "pur%u", m);
        v = dirty_slot(key);
        cr_assert_eq(splinter_set_mop(m), 0);
        cr_assert_eq(splinter_set(key, b, 3), 0);
        splinter_purge();
        expect_bytes(v, 3, T_MAXVAL, 0);
    }
}
