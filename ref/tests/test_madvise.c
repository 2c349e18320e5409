/*
 * test_madvise.c - splinter_madvise: only the sovereign advises.
 *
 * posix_madvise is interposed: this executable defines it (and is linked
 * with export_dynamic), so the library's call binds here. Each call is
 * counted and its arguments recorded, then forwarded to libc via
 * dlsym(RTLD_NEXT). The count proves defer (no call, EAGAIN), block
 * (exactly one call, once the rival's bid has expired) and ETIMEDOUT.
 */
#include "common.h"

#include <dlfcn.h>
#include <stdint.h>

static _Atomic int calls;
static void *last_addr;
static size_t last_len;
static int last_advice;
static int fail_with;

int posix_madvise(void *addr, size_t len, int advice)
{
    static int (*real)(void *, size_t, int);
    if (!real) real = (int (*)(void *, size_t, int))dlsym(RTLD_NEXT, "posix_madvise");
    atomic_fetch_add(&calls, 1);
    last_addr = addr;
    last_len = len;
    last_advice = advice;
    if (fail_with) return fail_with;
    return real(addr, len, advice);
}

#define LONG (UINT64_C(1) << 62)

static void reset(void)
{
    atomic_store(&calls, 0);
    last_addr = NULL;
    last_len = 0;
    fail_with = 0;
}

Test(madvise, interposer_is_live, .init = t_setup, .fini = t_teardown)
{
    /* guards the rest: if the library bypassed our symbol every count would be 0 */
    reset();
    cr_assert_eq(splinter_shard_claim(1, SPL_INTENT_WILLNEED, 1, LONG), 0);
    cr_assert_eq(splinter_madvise(1, NULL, 0, POSIX_MADV_WILLNEED, 0), 0);
    cr_assert_eq(atomic_load(&calls), 1);
}

Test(madvise, caller_must_hold_a_bid, .init = t_setup, .fini = t_teardown)
{
    reset();
    errno = 0;
    cr_assert_eq(splinter_madvise(9, NULL, 0, POSIX_MADV_NORMAL, 0), -2);
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_eq(splinter_madvise(0, NULL, 0, POSIX_MADV_NORMAL, 0), -2);
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(atomic_load(&calls), 0);
}

Test(madvise, sovereign_advises_the_whole_arena, .init = t_setup, .fini = t_teardown)
{
    reset();
    cr_assert_eq(splinter_shard_claim(1, SPL_INTENT_SEQUENTIAL, 1, LONG), 0);
    cr_assert_eq(splinter_madvise(1, NULL, 0, POSIX_MADV_SEQUENTIAL, 0), 0);
    cr_assert_eq(atomic_load(&calls), 1);
    long pg = sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)last_addr;
    cr_assert_eq(a % (uintptr_t)pg, 0, "start rounded down to a page");
    /* the range covers the arena of the global mapping: check via raw pointers */
    t_set_str("first", "x");
    const uint8_t *v = splinter_get_raw_ptr("first", NULL, NULL);
    const uint8_t *arena = v - t_slot("first")->val_off;
    cr_assert_leq(a, (uintptr_t)arena);
    cr_assert_geq(a + last_len, (uintptr_t)arena + (size_t)T_SLOTS * T_MAXVAL);
    cr_assert_lt((uintptr_t)arena - a, (uintptr_t)pg);
    cr_assert_eq(last_advice, POSIX_MADV_SEQUENTIAL);

    /* an explicit unaligned range: start rounded down, end still covered */
    reset();
    uint8_t *mid = (uint8_t *)arena + 100;
    cr_assert_eq(splinter_madvise(1, mid, 10, POSIX_MADV_NORMAL, 0), 0);
    cr_assert_eq((uintptr_t)last_addr % (uintptr_t)pg, 0);
    cr_assert_geq((uintptr_t)last_addr + last_len, (uintptr_t)mid + 10);
}

Test(madvise, posix_madvise_error_is_reported, .init = t_setup, .fini = t_teardown)
{
    reset();
    cr_assert_eq(splinter_shard_claim(1, SPL_INTENT_WILLNEED, 1, LONG), 0);
    fail_with = ENOMEM;
    errno = 0;
    cr_assert_eq(splinter_madvise(1, NULL, 0, POSIX_MADV_WILLNEED, 0), -1);
    cr_assert_eq(errno, ENOMEM);
}

Test(madvise, defer_when_not_sovereign, .init = t_setup, .fini = t_teardown)
{
    reset();
    uint64_t now = splinter_now();
    cr_assert_eq(splinter_shard_claim_ex(2, 1, SPL_INTENT_WILLNEED, 200, LONG, now), 0);
    cr_assert_eq(splinter_shard_claim(1, SPL_INTENT_WILLNEED, 1, LONG), 0);
    errno = 0;
    cr_assert_eq(splinter_madvise(1, NULL, 0, POSIX_MADV_WILLNEED, 0), -1);
    cr_assert_eq(errno, EAGAIN);
    cr_assert_eq(atomic_load(&calls), 0, "a deferred caller never advises");
    /* the sovereign itself goes through */
    cr_assert_eq(splinter_madvise(2, NULL, 0, POSIX_MADV_WILLNEED, 0), 0);
    cr_assert_eq(atomic_load(&calls), 1);
}

Test(madvise, timeout_when_never_sovereign, .init = t_setup, .fini = t_teardown, .timeout = 20)
{
    reset();
    uint64_t tpm = t_ticks_per_ms();
    cr_assert_eq(splinter_shard_claim_ex(2, 1, SPL_INTENT_WILLNEED, 200, LONG, splinter_now()), 0);
    cr_assert_eq(splinter_shard_claim(1, SPL_INTENT_WILLNEED, 1, LONG), 0);
    uint64_t t0 = splinter_now();
    errno = 0;
    cr_assert_eq(splinter_madvise(1, NULL, 0, POSIX_MADV_WILLNEED, 30 * tpm), -1);
    cr_assert_eq(errno, ETIMEDOUT);
    cr_assert_geq(splinter_now() - t0, 30 * tpm, "not before the deadline");
    cr_assert_eq(atomic_load(&calls), 0);
}

Test(madvise, huge_timeout_does_not_wrap, .init = t_setup, .fini = t_teardown, .timeout = 20)
{
    reset();
    uint64_t tpm = t_ticks_per_ms();
    /* the rival expires in ~40 ms; a near-UINT64_MAX timeout must wait for
     * it rather than wrap into an instant ETIMEDOUT */
    cr_assert_eq(splinter_shard_claim_ex(2, 1, SPL_INTENT_WILLNEED, 200, 40 * tpm, splinter_now()), 0);
    cr_assert_eq(splinter_shard_claim(1, SPL_INTENT_WILLNEED, 1, LONG), 0);
    cr_assert_eq(splinter_madvise(1, NULL, 0, POSIX_MADV_WILLNEED, UINT64_MAX - 1), 0, "%s", strerror(errno));
    cr_assert_eq(atomic_load(&calls), 1);
}

Test(madvise, blocks_until_sovereign, .init = t_setup, .fini = t_teardown, .timeout = 20)
{
    reset();
    uint64_t tpm = t_ticks_per_ms();
    uint64_t start = splinter_now();
    cr_assert_eq(splinter_shard_claim_ex(2, 1, SPL_INTENT_WILLNEED, 200, 50 * tpm, start), 0);
    cr_assert_eq(splinter_shard_claim(1, SPL_INTENT_WILLNEED, 1, LONG), 0);
    cr_assert_eq(splinter_madvise(1, NULL, 0, POSIX_MADV_WILLNEED, UINT64_MAX), 0);
    cr_assert_eq(atomic_load(&calls), 1, "exactly one advise, after the wait");
    cr_assert_geq(splinter_now() - start, 50 * tpm, "not before the rival's window closed");
    cr_assert_eq(splinter_shard_election(NULL), 1);
}
