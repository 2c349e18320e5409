/*
 * test_tandem.c - tandem keys: order i of "base" is "base.i".
 */
#include "common.h"

Test(tandem, set_and_unset_orders, .init = t_setup, .fini = t_teardown)
{
    const void *vals[3] = {"zero", "one", "two"};
    size_t lens[3] = {4, 3, 3};
    cr_assert_eq(splinter_client_set_tandem("car", vals, lens, 3), 0);
    char b[8];
    size_t n;
    cr_assert_eq(splinter_get("car", b, sizeof b, &n), 0);
    cr_assert_eq(n, 4);
    cr_assert_eq(splinter_get("car.1", b, sizeof b, &n), 0);
    cr_assert_eq(memcmp(b, "one", 3), 0);
    cr_assert_eq(splinter_get("car.2", b, sizeof b, &n), 0);
    cr_assert_eq(memcmp(b, "two", 3), 0);
    cr_assert_eq(splinter_get("car.3", b, sizeof b, &n), -1);
    splinter_client_unset_tandem("car", 3);
    cr_assert_eq(splinter_get("car", b, sizeof b, &n), -1);
    cr_assert_eq(splinter_get("car.1", b, sizeof b, &n), -1);
    cr_assert_eq(splinter_get("car.2", b, sizeof b, &n), -1);
}

Test(tandem, single_order_is_the_base_key, .init = t_setup, .fini = t_teardown)
{
    const void *vals[1] = {"only"};
    size_t lens[1] = {4};
    cr_assert_eq(splinter_client_set_tandem("solo", vals, lens, 1), 0);
    cr_assert_eq(splinter_client_set_tandem("zero", vals, lens, 0), 0, "orders 0 writes the base, as the original");
    size_t n;
    char *keys[4];
    cr_assert_eq(splinter_list(keys, 4, &n), 0);
    cr_assert_eq(n, 2);
}

Test(tandem, failures_are_reported, .init = t_setup, .fini = t_teardown)
{
    char big[T_MAXVAL + 1];
    memset(big, 'x', sizeof big);
    const void *vals[3] = {"a", "b", big};
    size_t lens[3] = {1, 1, sizeof big};
    errno = 0;
    cr_assert_eq(splinter_client_set_tandem("t", vals, lens, 3), -1);
    cr_assert_eq(errno, EMSGSIZE);
    char b[4];
    size_t n;
    cr_assert_eq(splinter_get("t.1", b, sizeof b, &n), 0, "orders before the failure stay written");
    /* a base so long that "base.1" no longer fits a key */
    char base[64];
    memset(base, 'k', 62);
    base[62] = '\0';
    lens[2] = 1;
    errno = 0;
    cr_assert_eq(splinter_client_set_tandem(base, vals, lens, 2), -1);
    cr_assert_eq(errno, ENAMETOOLONG);
    cr_assert_eq(splinter_client_set_tandem(NULL, vals, lens, 2), -2);
}
