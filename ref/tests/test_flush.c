/*
 * test_flush.c - splinter_flush (reference extension).
 *
 * On persistent stores every strategy must leave the pages this process
 * dirtied clean in the page cache. The kernel's cachestat(2) (Linux 6.5+)
 * counts dirty pages of a file range: written data must show as dirty before
 * the flush and as clean after it, for the header, the slot record and the
 * value area of every written key. On shm stores flush is ENOTSUP.
 */
#include "common.h"

#include <sys/syscall.h>

#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif

struct t_cachestat_range { uint64_t off, len; };
struct t_cachestat { uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted; };

#ifdef T_FILE
static long dirty_pages(int fd, uint64_t off, uint64_t len)
{
    struct t_cachestat_range r = {off, len};
    struct t_cachestat cs;
    memset(&cs, 0, sizeof cs);
    if (syscall(__NR_cachestat, fd, &r, &cs, 0) != 0) return -1;
    return (long)cs.nr_dirty;
}

/* Without cachestat (kernel < 6.5, or valgrind, which does not know the
 * syscall) the flushes still run and must succeed; the page checks are
 * skipped, and the test says so. */
static int cs_ok(int fd) { return dirty_pages(fd, 0, 0) >= 0; }
#define DIRTY_CHECK(fd, cond, ...) do { if (cs_ok(fd)) cr_assert(cond, __VA_ARGS__); } while (0)
#define DIRTY_DONE(fd) do { if (!cs_ok(fd)) cr_skip_test("cachestat(2) unavailable: flushed, page state not verified"); } while (0)
#endif

Test(flush, names_roundtrip)
{
    for (int s = 0; s < SPLINTER_FLUSH__COUNT; s++) {
        const char *n = splinter_flush_strategy_name(s);
        cr_assert_not_null(n);
        cr_assert_eq(splinter_flush_strategy_parse(n), s);
    }
    cr_assert_null(splinter_flush_strategy_name(SPLINTER_FLUSH__COUNT));
    cr_assert_null(splinter_flush_strategy_name(-1));
    cr_assert_eq(splinter_flush_strategy_parse("fsync-please"), -1);
    cr_assert_eq(splinter_flush_strategy_parse(NULL), -1);
}

Test(flush, bad_strategy_is_einval, .init = t_setup, .fini = t_teardown)
{
    errno = 0;
    cr_assert_eq(splinter_flush(SPLINTER_FLUSH__COUNT), -1);
    cr_assert_eq(errno, EINVAL);
    errno = 0;
    cr_assert_eq(splinter_flush(-1), -1);
    cr_assert_eq(errno, EINVAL);
}

#ifndef T_FILE
Test(flush, shm_stores_have_nothing_to_flush, .init = t_setup, .fini = t_teardown)
{
    t_set_str("k", "v");
    for (int s = 0; s < SPLINTER_FLUSH__COUNT; s++) {
        errno = 0;
        cr_assert_eq(splinter_flush(s), -1);
        cr_assert_eq(errno, ENOTSUP);
    }
}
#else
/* Writes keys spread over the arena, checks they are dirty in the page
 * cache, flushes with strategy s, checks every written page is clean. */
static void check_strategy(int s)
{
    /* a store bigger than a few pages, so ranges are really partial */
    t_make(256, 1000);
    int fd = splref_fd(t_peek);
    long pg = sysconf(_SC_PAGESIZE);
    cr_assert_eq(splinter_flush(SPLINTER_FLUSH_FDATASYNC), 0, "start clean");
    DIRTY_CHECK(fd, dirty_pages(fd, 0, 0) == 0, "clean after fdatasync");

    const char *keys[] = {"alpha", "beta", "gamma", "delta", "epsilon"};
    char val[900];
    memset(val, 'q', sizeof val);
    for (size_t i = 0; i < 5; i++) cr_assert_eq(splinter_set(keys[i], val, sizeof val), 0);
    DIRTY_CHECK(fd, dirty_pages(fd, 0, 0) > 0, "writes through the mapping dirty the page cache");

    int rc = splinter_flush(s);
#ifndef SPLREF_HAVE_URING
    if (s == SPLINTER_FLUSH_URING_FSYNC || s == SPLINTER_FLUSH_URING_RANGES) {
        cr_assert_eq(rc, -1);
        cr_assert_eq(errno, ENOTSUP);
        return;
    }
#endif
    cr_assert_eq(rc, 0, "%s: %s", splinter_flush_strategy_name(s), strerror(errno));
    DIRTY_CHECK(fd, dirty_pages(fd, 0, pg) == 0, "header page still dirty");
    for (size_t i = 0; i < 5; i++) {
        long idx = t_slot_index(keys[i]);
        uint64_t slot_off = SPLINTER_HEADER_SIZE + (uint64_t)idx * SPLINTER_SLOT_SIZE;
        uint64_t val_off = SPLINTER_HEADER_SIZE + 256 * SPLINTER_SLOT_SIZE + t_slot(keys[i])->val_off;
        DIRTY_CHECK(fd, dirty_pages(fd, slot_off, SPLINTER_SLOT_SIZE) == 0, "%s slot record dirty", keys[i]);
        DIRTY_CHECK(fd, dirty_pages(fd, val_off, 1000) == 0, "%s value dirty", keys[i]);
    }
    /* nothing written since: a second flush is a cheap success */
    cr_assert_eq(splinter_flush(s), 0);
    DIRTY_DONE(fd);
}

Test(flush, msync, .fini = t_teardown) { check_strategy(SPLINTER_FLUSH_MSYNC); }
Test(flush, msync_ranges, .fini = t_teardown) { check_strategy(SPLINTER_FLUSH_MSYNC_RANGES); }
Test(flush, fdatasync, .fini = t_teardown) { check_strategy(SPLINTER_FLUSH_FDATASYNC); }
Test(flush, uring_fsync, .fini = t_teardown) { check_strategy(SPLINTER_FLUSH_URING_FSYNC); }
Test(flush, uring_ranges, .fini = t_teardown) { check_strategy(SPLINTER_FLUSH_URING_RANGES); }

/* Every kind of write is remembered: unset, append, integer ops, labels... */
Test(flush, every_writer_marks_its_slot, .fini = t_teardown)
{
    t_make(256, 1000);
    int fd = splref_fd(t_peek);
    t_set_str("a", "1");
    t_set_str("b", "12345678");
    cr_assert_eq(splinter_set_named_type("b", SPL_SLOT_TYPE_BIGUINT), 0);
    cr_assert_eq(splinter_flush(SPLINTER_FLUSH_FDATASYNC), 0);
    uint64_t val_base = SPLINTER_HEADER_SIZE + 256 * SPLINTER_SLOT_SIZE;
    uint64_t one = 1;
    uint64_t boff = val_base + t_slot("b")->val_off;
    uint64_t aoff = val_base + t_slot("a")->val_off;
    cr_assert_eq(splinter_integer_op("b", SPL_OP_INC, &one), 0);
    cr_assert_eq(splinter_unset("a"), 1);
    DIRTY_CHECK(fd, dirty_pages(fd, boff, 8) > 0 && dirty_pages(fd, aoff, 1000) > 0, "writes left no dirty page");
    cr_assert_eq(splinter_flush(SPLINTER_FLUSH_MSYNC_RANGES), 0);
    DIRTY_CHECK(fd, dirty_pages(fd, boff, 8) == 0, "integer op not covered");
    DIRTY_CHECK(fd, dirty_pages(fd, aoff, 1000) == 0, "unset not covered");
    DIRTY_DONE(fd);
}
/* Metadata-only writes (watch registration, bump) dirty the slot record
 * page; the range strategies must cover it too. */
Test(flush, metadata_writes_are_covered, .fini = t_teardown)
{
    t_make(256, 1000);
    int fd = splref_fd(t_peek);
    char key[16] = "";
    /* a key whose slot record lies past the header's pages */
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "meta%d", i);
        cr_assert_eq(splinter_set(key, "1", 1), 0);
        if (t_slot_index(key) >= 64) break;
        splinter_unset(key);
    }
    long idx = t_slot_index(key);
    cr_assert_geq(idx, 64);
    uint64_t rec = SPLINTER_HEADER_SIZE + (uint64_t)idx * SPLINTER_SLOT_SIZE;
    cr_assert_eq(splinter_flush(SPLINTER_FLUSH_FDATASYNC), 0);
    cr_assert_eq(splinter_watch_register(key, 3), 0);
    DIRTY_CHECK(fd, dirty_pages(fd, rec, SPLINTER_SLOT_SIZE) > 0, "no dirty page");
    cr_assert_eq(splinter_flush(SPLINTER_FLUSH_MSYNC_RANGES), 0);
    DIRTY_CHECK(fd, dirty_pages(fd, rec, SPLINTER_SLOT_SIZE) == 0, "watch registration not covered");
    cr_assert_eq(splinter_bump_slot(key), 0);
    DIRTY_CHECK(fd, dirty_pages(fd, rec, SPLINTER_SLOT_SIZE) > 0, "no dirty page");
    cr_assert_eq(splinter_flush(SPLINTER_FLUSH_MSYNC_RANGES), 0);
    DIRTY_CHECK(fd, dirty_pages(fd, rec, SPLINTER_SLOT_SIZE) == 0, "bump not covered");
    DIRTY_DONE(fd);
}
#endif
