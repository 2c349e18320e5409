/*
 * test_intops.c - BIGUINT promotion and splinter_integer_op, with carry and
 * borrow checked across byte boundaries.
 */
#include "common.h"

static uint64_t val(const char *key)
{
    uint64_t v = 0;
    size_t n = 0;
    cr_assert_eq(splinter_get(key, &v, sizeof v, &n), 0);
    cr_assert_eq(n, 8);
    return v;
}

static void make_uint(const char *key, uint64_t v)
{
    cr_assert_eq(splinter_set(key, &v, 8), 0);
    cr_assert_eq(splinter_set_named_type(key, SPL_SLOT_TYPE_BIGUINT), 0);
}

static void op(const char *key, splinter_integer_op_t o, uint64_t m)
{
    cr_assert_eq(splinter_integer_op(key, o, &m), 0, "op %d: %s", o, strerror(errno));
}

Test(intops, needs_a_biguint_slot, .init = t_setup, .fini = t_teardown)
{
    uint64_t one = 1;
    t_set_str("text", "5");
    errno = 0;
    cr_assert_eq(splinter_integer_op("text", SPL_OP_INC, &one), -1);
    cr_assert_eq(errno, EPROTOTYPE);
    cr_assert_eq(splinter_set_named_type("text", SPL_SLOT_TYPE_JSON), 0);
    errno = 0;
    cr_assert_eq(splinter_integer_op("text", SPL_OP_INC, &one), -1);
    cr_assert_eq(errno, EPROTOTYPE);
    errno = 0;
    cr_assert_eq(splinter_integer_op("missing", SPL_OP_INC, &one), -1);
    cr_assert_eq(errno, ENOENT);
    make_uint("n", 1);
    errno = 0;
    cr_assert_eq(splinter_integer_op("n", (splinter_integer_op_t)9, &one), -1);
    cr_assert_eq(errno, ENOTSUP);
    cr_assert_eq(val("n"), 1);
}

Test(intops, promotion_parses_text_and_binary, .init = t_setup, .fini = t_teardown)
{
    t_set_str("dec", "1234");
    t_set_str("hex", "0x1f");
    uint8_t raw[3] = {0x01, 0x02, 0x03};
    cr_assert_eq(splinter_set("bin", raw, 3), 0);
    cr_assert_eq(splinter_set_named_type("dec", SPL_SLOT_TYPE_BIGUINT), 0);
    cr_assert_eq(splinter_set_named_type("hex", SPL_SLOT_TYPE_BIGUINT), 0);
    cr_assert_eq(splinter_set_named_type("bin", SPL_SLOT_TYPE_BIGUINT), 0);
    cr_assert_eq(val("dec"), 1234);
    cr_assert_eq(val("hex"), 0x1f);
    cr_assert_eq(val("bin"), 0x030201);
    splinter_slot_snapshot_t ss;
    cr_assert_eq(splinter_get_slot_snapshot("dec", &ss), 0);
    cr_assert_eq(ss.type_flag, SPL_SLOT_TYPE_BIGUINT);
    cr_assert_eq(ss.val_len, 8);
}

/* The original bump-allocates the promoted value from val_brk (which starts
 * at 0): slot 0's value gets overwritten. Here promotion stays in place. */
Test(intops, promotion_is_in_place, .init = t_setup, .fini = t_teardown)
{
    char key[16];
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof key, "k%02d", i);
        cr_assert_eq(splinter_set(key, "ABCDEFGHIJKLMNOP", 16), 0);
    }
    t_set_str("ctr", "9");
    uint32_t off = t_slot("ctr")->val_off;
    cr_assert_eq(splinter_set_named_type("ctr", SPL_SLOT_TYPE_BIGUINT), 0);
    cr_assert_eq(t_slot("ctr")->val_off, off);
    cr_assert_eq(val("ctr"), 9);
    for (int i = 0; i < 40; i++) {
        char b[16];
        size_t n;
        snprintf(key, sizeof key, "k%02d", i);
        cr_assert_eq(splinter_get(key, b, sizeof b, &n), 0);
        cr_assert_eq(memcmp(b, "ABCDEFGHIJKLMNOP", 16), 0, "%s clobbered by the promotion", key);
    }
}

Test(intops, inc_carries_across_bytes, .init = t_setup, .fini = t_teardown)
{
    make_uint("c", 0xFF);
    op("c", SPL_OP_INC, 1);
    cr_assert_eq(val("c"), 0x100);
    const uint8_t *p = t_value_area("c");
    cr_assert_eq(p[0], 0x00);
    cr_assert_eq(p[1], 0x01, "native little-endian bytes in the arena");
    make_uint("c32", 0xFFFFFFFFu);
    op("c32", SPL_OP_INC, 1);
    cr_assert_eq(val("c32"), 0x100000000ull);
    make_uint("wrap", UINT64_MAX);
    op("wrap", SPL_OP_INC, 2);
    cr_assert_eq(val("wrap"), 1);
    make_uint("big", 5);
    op("big", SPL_OP_INC, 1000000);
    cr_assert_eq(val("big"), 1000005);
}

Test(intops, dec_borrows_across_bytes, .init = t_setup, .fini = t_teardown)
{
    make_uint("d", 0x100);
    op("d", SPL_OP_DEC, 1);
    cr_assert_eq(val("d"), 0xFF);
    make_uint("d2", 0x10000);
    op("d2", SPL_OP_DEC, 0x101);
    cr_assert_eq(val("d2"), 0xFEFF);
    make_uint("z", 0);
    op("z", SPL_OP_DEC, 1);
    cr_assert_eq(val("z"), UINT64_MAX);
}

Test(intops, bitwise_ops, .init = t_setup, .fini = t_teardown)
{
    make_uint("b", 0xF0F0);
    op("b", SPL_OP_AND, 0xFF00);
    cr_assert_eq(val("b"), 0xF000);
    op("b", SPL_OP_OR, 0x000F);
    cr_assert_eq(val("b"), 0xF00F);
    op("b", SPL_OP_XOR, 0xFFFF);
    cr_assert_eq(val("b"), 0x0FF0);
    cr_assert_eq(splinter_integer_op("b", SPL_OP_NOT, NULL), 0, "NOT needs no mask");
    cr_assert_eq(val("b"), ~(uint64_t)0x0FF0);
}

Test(intops, ops_are_data_writes, .init = t_setup, .fini = t_teardown)
{
    make_uint("e", 1);
    uint64_t e = splinter_get_epoch("e"), g = t_global_epoch();
    op("e", SPL_OP_INC, 1);
    cr_assert_eq(splinter_get_epoch("e"), e + 2);
    cr_assert_eq(t_global_epoch(), g + 1);
}
