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

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

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
Test(flush, group, .fini = t_teardown) { check_strategy(SPLINTER_FLUSH_GROUP); }

/* The group-commit sequence in the header's padding (group_commit.c). */
struct t_gc { _Atomic uint64_t started, done; _Atomic uint32_t leader, wake; };
static struct t_gc *t_gc(void) { return (struct t_gc *)(void *)((uint8_t *)splref_header(t_peek) + 4368); }
/* dirty pages of the store but the one the leader writes the words into after its fdatasync */
static long t_dirty_but_gc(int fd)
{
    long pg = sysconf(_SC_PAGESIZE), gcpage = 4368 / pg * pg;
    return dirty_pages(fd, 0, (uint64_t)gcpage) + dirty_pages(fd, (uint64_t)(gcpage + pg), 0);
}
static uint64_t t_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Four processes writing and group-flushing at once: every flush succeeds,
 * no more fdatasyncs are issued than flushes, each that succeeded is done. */
Test(flush, group_many_processes, .fini = t_teardown)
{
    t_make(256, 1000);
    enum { P = 4, N = 50 };
    pid_t pid[P];
    for (int p = 0; p < P; p++) {
        pid[p] = fork();
        cr_assert_geq(pid[p], 0);
        if (pid[p] == 0) {
            splref_store *h = splref_open(T_BACKEND, t_store);
            if (!h) _exit(2);
            char key[16];
            snprintf(key, sizeof key, "gc%d", p);
            for (int i = 0; i < N; i++)
                if (splref_set(h, key, &i, sizeof i) != 0 || splref_flush(h, SPLINTER_FLUSH_GROUP) != 0) _exit(1);
            splref_close(h);
            _exit(0);
        }
    }
    for (int p = 0; p < P; p++) {
        int st = 0;
        cr_assert_eq(waitpid(pid[p], &st, 0), pid[p]);
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d: status %#x", p, st);
    }
    struct t_gc *g = t_gc();
    cr_assert_eq(g->leader, 0);
    cr_assert(g->started >= 1 && g->started <= P * N, "started %llu", (unsigned long long)g->started);
    cr_assert_eq(g->done, g->started, "the last fdatasync succeeded: done %llu started %llu",
                 (unsigned long long)g->done, (unsigned long long)g->started);
}

/* A leader killed inside its flush: the next caller takes the word over at
 * once (kill(pid, 0) ESRCH) and flushes itself, its pages end clean. */
Test(flush, group_dead_leader_is_taken_over, .fini = t_teardown)
{
    t_make(256, 1000);
    int fd = splref_fd(t_peek);
    pid_t dead = fork();
    cr_assert_geq(dead, 0);
    if (dead == 0) _exit(0);
    cr_assert_eq(waitpid(dead, NULL, 0), dead);
    struct t_gc *g = t_gc();
    atomic_store(&g->started, 7);
    atomic_store(&g->done, 6);
    atomic_store(&g->leader, (uint32_t)dead); /* ticket 7 never finished */
    t_set_str("after", "the leader died");
    uint64_t t0 = t_ms();
    cr_assert_eq(splinter_flush(SPLINTER_FLUSH_GROUP), 0, "%s", strerror(errno));
    cr_assert_lt(t_ms() - t0, 1000, "waited %llu ms for a dead leader", (unsigned long long)(t_ms() - t0));
    cr_assert_eq(g->leader, 0);
    cr_assert_eq(g->started, 8);
    cr_assert_eq(g->done, 8);
    DIRTY_CHECK(fd, t_dirty_but_gc(fd) == 0, "the pages are not clean");
    DIRTY_DONE(fd);
}

/* A flush already running when a caller's writes are done began before
 * them: the caller must not return on its completion but lead the next one.
 * A forked "leader" holds the word at ticket 5, then finishes it. */
Test(flush, group_waits_for_a_flush_that_began_after, .fini = t_teardown)
{
    t_make(256, 1000);
    int fd = splref_fd(t_peek);
    struct t_gc *g = t_gc();
    cr_assert_eq(splinter_flush(SPLINTER_FLUSH_FDATASYNC), 0);
    atomic_store(&g->started, 5);
    atomic_store(&g->done, 4);
    /* the leader holds on for 300 ms after the caller's write, not after
     * the fork: on a loaded machine the caller may not run for 300 ms */
    _Atomic int *written = mmap(NULL, sizeof *written, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(written, MAP_FAILED);
    atomic_store(written, 0);
    pid_t leader = fork();
    cr_assert_geq(leader, 0);
    if (leader == 0) {
        atomic_store(&g->leader, (uint32_t)getpid());
        while (!atomic_load(written)) usleep(1000);
        usleep(300 * 1000);
        atomic_store(&g->done, 5);
        atomic_store(&g->leader, 0);
        atomic_fetch_add(&g->wake, 1);
        syscall(SYS_futex, &g->wake, 1 /* FUTEX_WAKE */, 1 << 30, NULL, NULL, 0);
        _exit(0);
    }
    while (atomic_load(&g->leader) != (uint32_t)leader) usleep(1000);
    t_set_str("late", "written while flush 5 runs");
    atomic_store(written, 1);
    int rc = splinter_flush(SPLINTER_FLUSH_GROUP);
    cr_assert_eq(waitpid(leader, NULL, 0), leader);
    munmap(written, sizeof *written);
    cr_assert_eq(rc, 0, "%s", strerror(errno));
    cr_assert_eq(g->started, 6, "returned on flush 5, which began before the write (started %llu)",
                 (unsigned long long)g->started);
    cr_assert_eq(g->done, 6);
    DIRTY_CHECK(fd, t_dirty_but_gc(fd) == 0, "the write is not durable when its flush returned");
    DIRTY_DONE(fd);
}

/* A leader that is alive but never finishes (a stopped process, a pid of
 * another namespace, a recycled pid): callers wait 2 s for it, then take
 * the word over and lead. */
Test(flush, group_stuck_leader_is_not_waited_for, .fini = t_teardown)
{
    t_make(256, 1000);
    int fd = splref_fd(t_peek);
    pid_t stuck = fork();
    cr_assert_geq(stuck, 0);
    if (stuck == 0) { pause(); _exit(0); }
    struct t_gc *g = t_gc();
    atomic_store(&g->started, 3);
    atomic_store(&g->done, 2);
    atomic_store(&g->leader, (uint32_t)stuck);
    t_set_str("after", "a stuck leader");
    uint64_t t0 = t_ms();
    int rc = splinter_flush(SPLINTER_FLUSH_GROUP);
    uint64_t ms = t_ms() - t0;
    kill(stuck, SIGKILL);
    waitpid(stuck, NULL, 0);
    cr_assert_eq(rc, 0, "%s", strerror(errno));
    cr_assert(ms >= 1900 && ms < 4000, "returned after %llu ms", (unsigned long long)ms);
    cr_assert_eq(g->leader, 0);
    cr_assert_eq(g->started, 4);
    cr_assert_eq(g->done, 4);
    DIRTY_CHECK(fd, t_dirty_but_gc(fd) == 0, "the pages are not clean");
    DIRTY_DONE(fd);
}

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
