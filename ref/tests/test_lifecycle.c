/*
 * test_lifecycle.c - create/open/close, the "no store" contract, exclusive
 * creation, permissions, symlinks, descriptor hygiene, several handles and
 * several threads on one store.
 */
#include "common.h"

#include <sched.h>
#include <sys/wait.h>

#include <pthread.h>
#include <sys/syscall.h>

Test(lifecycle, create_writes_a_fresh_v4_header, .init = t_setup, .fini = t_teardown)
{
    splinter_header_snapshot_t h;
    cr_assert_eq(splinter_get_header_snapshot(&h), 0);
    cr_assert_eq(h.magic, SPLINTER_MAGIC);
    cr_assert_eq(h.version, SPLINTER_VER);
    cr_assert_eq(h.slots, T_SLOTS);
    cr_assert_eq(h.max_val_sz, T_MAXVAL);
    cr_assert_eq(h.epoch, 1);
    cr_assert_eq(h.core_flags, SPL_SYS_AUTO_SCRUB | SPL_SYS_HYBRID_SCRUB);
    cr_assert_eq(splinter_get_mop(), 1);

    /* the raw layout of a fresh store, as format v4 fixes it */
    struct splinter_header *H = splref_header(t_peek);
    struct splinter_slot *S = splref_slots(t_peek);
    cr_assert_eq(splref_size(t_peek), SPLINTER_HEADER_SIZE + T_SLOTS * (SPLINTER_SLOT_SIZE + T_MAXVAL));
    cr_assert_eq((uint8_t *)S - (uint8_t *)H, 5440);
    cr_assert_eq(atomic_load(&H->event_bus.owner_fd), -1);
    cr_assert_eq(atomic_load(&H->event_bus.owner_pid), 0);
    for (int b = 0; b < 64; b++) cr_assert_eq(atomic_load(&H->bloom_watches[b]), 0xFF);
    for (int i = 0; i < T_SLOTS; i++) {
        cr_assert_eq(S[i].val_off, (uint32_t)(i * T_MAXVAL));
        cr_assert_eq(atomic_load(&S[i].type_flag), SPL_SLOT_TYPE_VOID);
        cr_assert_eq(atomic_load(&S[i].epoch), 0);
        cr_assert_eq(atomic_load(&S[i].hash), 0);
    }
    for (int b = 0; b < SPLINTER_MAX_SHARDS; b++) cr_assert_eq(atomic_load(&H->shard_bids[b].shard_id), 0);
}

Test(lifecycle, reopen_sees_the_same_data, .init = t_setup, .fini = t_teardown)
{
    t_set_str("k", "v1");
    splinter_close();
    char b[8];
    size_t n = 0;
    cr_assert_eq(splinter_get("k", b, sizeof b, &n), -2, "no store after close");
    cr_assert_eq(splinter_open(t_store), 0);
    cr_assert_eq(splinter_get("k", b, sizeof b, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(memcmp(b, "v1", 2), 0);
    splinter_close();
    splinter_close(); /* twice is harmless */
    cr_assert_eq(splinter_open(t_store), 0);
}

Test(lifecycle, create_is_exclusive, .init = t_setup, .fini = t_teardown)
{
    t_set_str("keep", "me");
    errno = 0;
    cr_assert_eq(splinter_create(t_store, 8, 8), -1);
    cr_assert_eq(errno, EEXIST);
    /* the failed create left the existing store (and the default store) alone */
    char b[8];
    size_t n;
    cr_assert_eq(splinter_get("keep", b, sizeof b, &n), 0);
    cr_assert_eq(splref_header(t_peek)->slots, T_SLOTS);
}

Test(lifecycle, create_or_open_and_open_or_create, .fini = t_teardown)
{
    t_name(t_store, sizeof t_store, "co");
    cr_assert_eq(splinter_open_or_create(t_store, 16, 32), 0, "%s", strerror(errno));
    t_peek = splref_open(T_BACKEND, t_store);
    cr_assert_not_null(t_peek);
    t_set_str("x", "1");
    splinter_close();
    cr_assert_eq(splinter_create_or_open(t_store, 999, 999), 0);
    splinter_header_snapshot_t h;
    cr_assert_eq(splinter_get_header_snapshot(&h), 0);
    cr_assert_eq(h.slots, 16, "existing geometry kept");
    cr_assert_eq(splinter_open_or_create(t_store, 999, 999), 0);
    size_t n;
    char b[4];
    cr_assert_eq(splinter_get("x", b, sizeof b, &n), 0);
}

Test(lifecycle, bad_geometry)
{
    char name[128];
    t_name(name, sizeof name, "geo");
    errno = 0;
    cr_assert_eq(splinter_create(name, 0, 64), -2);
    cr_assert_eq(errno, ENOTSUP);
    cr_assert_eq(splinter_create(name, 64, 0), -2);
    cr_assert_eq(splinter_create(NULL, 64, 64), -2);
    cr_assert_eq(splinter_open(NULL), -2);
    /* sizes that overflow the region size: refused before anything is created */
    errno = 0;
    cr_assert_eq(splinter_create(name, UINT32_MAX, UINT32_MAX), -1);
    cr_assert_eq(errno, EOVERFLOW);
    errno = 0;
    cr_assert_eq(splinter_create(name, (size_t)UINT32_MAX + 1, 8), -1);
    cr_assert_eq(errno, EINVAL);
    char path[160];
    struct stat sb;
    t_path(path, sizeof path, name);
    cr_assert_eq(stat(path, &sb), -1, "nothing was created");
}

/* The format keeps val_off in 32 bits and slot i's value at i * max_val_sz:
 * a geometry whose offsets do not all fit is refused with EOVERFLOW before
 * anything is created (the original truncates them: 1024 x 8 MiB gives slot
 * 512 val_off 0). The largest that fits works, every offset exact; the
 * objects are sparse, only what the test writes is touched. */
Test(lifecycle, offsets_past_4gib)
{
    char name[128], path[160];
    struct stat sb;
    t_name(name, sizeof name, "big");
    t_path(path, sizeof path, name);
    const size_t MiB = 1024 * 1024;
    errno = 0;
    cr_assert_eq(splinter_create(name, 1024, 8 * MiB), -1);
    cr_assert_eq(errno, EOVERFLOW, "1024 x 8 MiB: %s", strerror(errno));
    errno = 0;
    cr_assert_eq(splinter_create(name, 1025, 4 * MiB), -1, "slot 1024 would start at 4 GiB");
    cr_assert_eq(errno, EOVERFLOW);
    cr_assert_eq(stat(path, &sb), -1, "nothing was created");

    /* 1024 x 4 MiB: the last value starts at 4 GiB - 4 MiB, still exact */
    t_make(1024, 4 * MiB);
    struct splinter_slot *S = splref_slots(t_peek);
    for (uint32_t i = 0; i < 1024; i++)
        cr_assert_eq(S[i].val_off, i * 4 * MiB, "slot %u val_off %u", i, S[i].val_off);
    char key[32];
    for (unsigned n = 0;; n++) { /* a key whose home is the last slot */
        snprintf(key, sizeof key, "top-%u", n);
        if (t_fnv(key) % 1024 == 1023) break;
    }
    t_set_str(key, "at the top");
    cr_assert_eq(t_slot_index(key), 1023);
    cr_assert_eq(memcmp(splref_values(t_peek) + (size_t)1023 * 4 * MiB, "at the top", 10), 0);
    cr_assert_eq(memcmp(splref_values(t_peek), "\0\0\0\0", 4), 0, "slot 0's value untouched");
    char buf[16] = {0};
    size_t n = 0;
    cr_assert_eq(splinter_get(key, buf, sizeof buf, &n), 0);
    cr_assert_eq(n, 10);
    t_teardown();

    /* a store of that geometry made elsewhere (consistent size, header only) */
    int fd = T_BACKEND == SPLREF_BACKEND_FILE ? open(name, O_RDWR | O_CREAT | O_EXCL, 0600) : shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    cr_assert_geq(fd, 0, "%s", strerror(errno));
    size_t total = SPLINTER_HEADER_SIZE + (size_t)1024 * (SPLINTER_SLOT_SIZE + 8 * MiB);
    cr_assert_eq(ftruncate(fd, (off_t)total), 0);
    struct splinter_header h = {.magic = SPLINTER_MAGIC, .version = SPLINTER_VER, .slots = 1024, .max_val_sz = 8 * MiB};
    cr_assert_eq(pwrite(fd, &h, 16, 0), 16);
    close(fd);
    errno = 0;
    cr_assert_eq(splinter_open(name), -1);
    cr_assert_eq(errno, EOVERFLOW, "open: %s", strerror(errno));
    t_unlink(name);
}

Test(lifecycle, open_missing_is_enoent)
{
    char name[128];
    t_name(name, sizeof name, "missing");
    errno = 0;
    cr_assert_eq(splinter_open(name), -1);
    cr_assert_eq(errno, ENOENT);
}

Test(lifecycle, no_store_means_minus_two)
{
    splinter_close();
    char b[8];
    size_t n;
    uint64_t one = 1;
    splinter_header_snapshot_t hs;
    splinter_slot_snapshot_t ss;
    struct splinter_shard_bid_snapshot bs[2];
    const void *vals[1] = {"v"};
    size_t lens[1] = {1};
    char *keys[4];
    cr_assert_eq(splinter_set("k", "v", 1), -2);
    cr_assert_eq(splinter_get("k", b, sizeof b, &n), -2);
    cr_assert_eq(splinter_unset("k"), -2);
    cr_assert_eq(splinter_list(keys, 4, &n), -2);
    cr_assert_eq(splinter_poll("k", 0), -2);
    cr_assert_eq(splinter_append("k", "v", 1, &n), -2);
    cr_assert_eq(splinter_set_as_system("k"), -2);
    cr_assert_eq(splinter_set_mop(1), -2);
    cr_assert_eq(splinter_get_mop(), -2);
    splinter_purge();
    cr_assert_eq(splinter_get_header_snapshot(&hs), -2);
    cr_assert_eq(splinter_get_slot_snapshot("k", &ss), -2);
    cr_assert_eq(splinter_set_named_type("k", SPL_SLOT_TYPE_JSON), -2);
    cr_assert_eq(splinter_set_slot_time("k", SPL_TIME_CTIME, 1, 0), -2);
    cr_assert_eq(splinter_integer_op("k", SPL_OP_INC, &one), -2);
    cr_assert_eq(splinter_get_epoch("k"), 0);
    cr_assert_eq(splinter_bump_slot("k"), -2);
    cr_assert_eq(splinter_retrain_slot("k"), -2);
    cr_assert_eq(splinter_set_label("k", 1), -2);
    cr_assert_eq(splinter_unset_label("k", 1), -2);
    cr_assert_eq(splinter_client_set_tandem("k", vals, lens, 1), -2);
    splinter_client_unset_tandem("k", 2);
    cr_assert_eq(splinter_watch_register("k", 1), -2);
    cr_assert_eq(splinter_watch_unregister("k", 1), -2);
    cr_assert_eq(splinter_watch_label_register(1, 1), -2);
    cr_assert_eq(splinter_pulse_keygroup("k"), -2);
    cr_assert_eq(splinter_get_signal_count(1), 0);
    cr_assert_null(splinter_get_raw_ptr("k", &n, NULL));
    cr_assert_eq(splinter_event_bus_init(), -1);
    cr_assert_eq(splinter_event_bus_open(), -1);
    cr_assert_eq(splinter_shard_claim(1, SPL_INTENT_WILLNEED, 1, 100), -2);
    cr_assert_eq(splinter_shard_claim_ex(1, 1, SPL_INTENT_WILLNEED, 1, 100, 1), -2);
    cr_assert_eq(splinter_shard_rebid(1, SPL_INTENT_WILLNEED, 1, 100), -2);
    cr_assert_eq(splinter_shard_release(1), -2);
    cr_assert_eq(splinter_shard_election(NULL), 0);
    cr_assert_eq(splinter_shard_is_sovereign(1), -2);
    cr_assert_eq(splinter_shard_table_snapshot(bs, 2), -2);
    cr_assert_eq(splinter_madvise(1, NULL, 0, 0, 0), -2);
    cr_assert_eq(splinter_flush(SPLINTER_FLUSH_MSYNC), -2);
}

Test(lifecycle, null_arguments_are_minus_two, .init = t_setup, .fini = t_teardown)
{
    size_t n;
    splinter_slot_snapshot_t ss;
    cr_assert_eq(splinter_set(NULL, "v", 1), -2);
    cr_assert_eq(splinter_set("k", NULL, 1), -2);
    cr_assert_eq(splinter_get(NULL, NULL, 0, &n), -2);
    cr_assert_eq(splinter_unset(NULL), -2);
    cr_assert_eq(splinter_list(NULL, 1, &n), -2);
    cr_assert_eq(splinter_poll(NULL, 0), -2);
    cr_assert_eq(splinter_append(NULL, "v", 1, &n), -2);
    cr_assert_eq(splinter_set_as_system(NULL), -2);
    cr_assert_eq(splinter_get_header_snapshot(NULL), -2);
    cr_assert_eq(splinter_get_slot_snapshot(NULL, &ss), -2);
    cr_assert_eq(splinter_get_slot_snapshot("k", NULL), -2);
    cr_assert_eq(splinter_set_named_type(NULL, 1), -2);
    cr_assert_eq(splinter_set_slot_time(NULL, 0, 0, 0), -2);
    cr_assert_eq(splinter_integer_op(NULL, SPL_OP_NOT, NULL), -2);
    cr_assert_eq(splinter_bump_slot(NULL), -2);
    cr_assert_eq(splinter_retrain_slot(NULL), -2);
    cr_assert_eq(splinter_set_label(NULL, 1), -2);
    cr_assert_eq(splinter_watch_register(NULL, 0), -2);
    cr_assert_eq(splinter_pulse_keygroup(NULL), -2);
    cr_assert_eq(splinter_shard_claim(0, 1, 1, 1), -2, "shard 0 is caller error");
    cr_assert_eq(splinter_shard_table_snapshot(NULL, 1), -2);
}

/* SPLINTER_DEFAULT_UMASK applies to creation only and is then undone. */
Test(lifecycle, default_umask_env, .fini = t_teardown)
{
    mode_t before = umask(022);
    setenv("SPLINTER_DEFAULT_UMASK", "077", 1);
    t_name(t_store, sizeof t_store, "umask");
    cr_assert_eq(splinter_create(t_store, 4, 8), 0);
    unsetenv("SPLINTER_DEFAULT_UMASK");
    char path[160];
    struct stat sb;
    t_path(path, sizeof path, t_store);
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600, "mode %o", sb.st_mode & 0777);
    cr_assert_eq(umask(before), 022, "process umask restored");

    /* without the variable: 0666 masked by the process umask */
    char other[128], opath[160];
    t_name(other, sizeof other, "umask2");
    umask(027);
    splinter_close();
    cr_assert_eq(splinter_create(other, 4, 8), 0);
    t_path(opath, sizeof opath, other);
    cr_assert_eq(stat(opath, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0640, "mode %o", sb.st_mode & 0777);
    /* a malformed value is refused (the original ignores it: a typo in a
     * variable meant to restrict access would widen it), nothing created */
    const char *bad[] = {"9z", "0777x", "1000", "-1", " 077"};
    char third[128], tpath[160];
    t_name(third, sizeof third, "umask3");
    t_path(tpath, sizeof tpath, third);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("SPLINTER_DEFAULT_UMASK", bad[i], 1);
        splinter_close();
        errno = 0;
        int rc = splinter_create(third, 4, 8);
        int err = errno;
        unsetenv("SPLINTER_DEFAULT_UMASK");
        cr_assert(rc != 0 && err == EINVAL, "SPLINTER_DEFAULT_UMASK=%s: rc %d errno %d, want -1 EINVAL", bad[i], rc, err);
        cr_assert(stat(tpath, &sb) != 0 && errno == ENOENT, "SPLINTER_DEFAULT_UMASK=%s: a store was created", bad[i]);
    }
    cr_assert_eq(umask(before), 027, "process umask untouched");
    umask(before);
    t_unlink(other);
    t_unlink(third);
}

#ifdef T_FILE
/* Files: a planted symlink is never followed, neither by create nor open. */
Test(lifecycle, o_nofollow_refuses_symlinks)
{
    char target[128], link[128];
    t_name(target, sizeof target, "target");
    t_name(link, sizeof link, "link");
    int fd = open(target, O_CREAT | O_EXCL | O_WRONLY, 0600);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "precious", 8), 8);
    close(fd);
    cr_assert_eq(symlink(target, link), 0);
    errno = 0;
    cr_assert_eq(splinter_create(link, 8, 8), -1);
    cr_assert_eq(errno, EEXIST);
    errno = 0;
    cr_assert_eq(splinter_open(link), -1);
    cr_assert_eq(errno, ELOOP);
    struct stat sb;
    cr_assert_eq(stat(target, &sb), 0);
    cr_assert_eq(sb.st_size, 8, "target untouched");

    /* a dangling symlink: O_EXCL|O_NOFOLLOW does not create its target */
    unlink(target);
    errno = 0;
    cr_assert_eq(splinter_create(link, 8, 8), -1);
    cr_assert_eq(errno, EEXIST);
    cr_assert_eq(stat(target, &sb), -1);
    unlink(link);
}

Test(lifecycle, directory_and_device_are_refused)
{
    errno = 0;
    cr_assert_eq(splinter_open("/tmp"), -1);
    cr_assert_eq(errno, EISDIR);
    errno = 0;
    cr_assert_eq(splinter_open("/dev/zero"), -1);
    cr_assert_eq(errno, EINVAL);
}
#else
Test(lifecycle, shm_names)
{
    /* shm object names are one component: an embedded slash is refused */
    errno = 0;
    cr_assert_eq(splinter_create("/splref-t/bad", 4, 8), -1);
    cr_assert_eq(errno, EINVAL);
    char name[128], path[160];
    t_name(name, sizeof name, "shmname");
    cr_assert_eq(splinter_create(name, 4, 8), 0);
    t_path(path, sizeof path, name);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0, "lives in /dev/shm");
    cr_assert_eq((size_t)sb.st_size, SPLINTER_HEADER_SIZE + 4 * (SPLINTER_SLOT_SIZE + 8));
    splinter_close();
    shm_unlink(name);
}
#endif

Test(lifecycle, no_descriptor_leaks_on_error_paths, .init = t_setup, .fini = t_teardown)
{
    char missing[128], bad[128], path[160];
    t_name(missing, sizeof missing, "leak-missing");
    t_name(bad, sizeof bad, "leak-bad");
    t_path(path, sizeof path, bad);
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
    cr_assert_geq(fd, 0);
    char junk[8192];
    memset(junk, 0x5A, sizeof junk);
    cr_assert_eq(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
    close(fd);
    /* a failed open closes the store that was open (conformance RES-002): count from there */
    cr_assert_eq(splinter_open(missing), -1);
    int before = t_count_fds();
    for (int i = 0; i < 50; i++) {
        cr_assert_eq(splinter_open(missing), -1);
        cr_assert_eq(splinter_open(bad), -1);
        cr_assert_eq(splinter_create(t_store, 8, 8), -1);
        cr_assert_eq(splinter_create(missing, UINT32_MAX, UINT32_MAX), -1);
        cr_assert_null(splref_open(T_BACKEND, bad));
    }
    cr_assert_eq(t_count_fds(), before, "descriptors leaked");
    /* open/close cycles of a good store do not leak either */
    for (int i = 0; i < 50; i++) {
        splref_store *st = splref_open(T_BACKEND, t_store);
        cr_assert_not_null(st);
        splref_close(st);
    }
    cr_assert_eq(t_count_fds(), before);
    t_unlink(bad);
}

/* The handle API: one process, several stores, independent contents. */
Test(lifecycle, several_stores_by_handle)
{
    char a[128], b[128];
    t_name(a, sizeof a, "ha");
    t_name(b, sizeof b, "hb");
    splref_store *sa = splref_create(T_BACKEND, a, 8, 16);
    splref_store *sb = splref_create(T_BACKEND, b, 16, 32);
    cr_assert_not_null(sa);
    cr_assert_not_null(sb);
    cr_assert_eq(splref_set(sa, "k", "A", 1), 0);
    cr_assert_eq(splref_set(sb, "k", "BB", 2), 0);
    char buf[32];
    size_t n;
    cr_assert_eq(splref_get(sa, "k", buf, sizeof buf, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(buf[0], 'A');
    cr_assert_eq(splref_get(sb, "k", buf, sizeof buf, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(splref_header(sb)->slots, 16);
    splref_close(sa);
    splref_close(sb);
    t_unlink(a);
    t_unlink(b);
}

/* Several threads on one store: ref/tests/mt/mt_threads.c (a plain program, so
 * ThreadSanitizer runs it). */

Test(lifecycle, now_and_version)
{
    uint64_t a = splinter_now(), b = splinter_now();
    cr_assert_geq(b, a);
    cr_assert_neq(a, 0);
    const char *v = splinter_ref_version();
    cr_assert_not_null(strstr(v, "splref"));
#ifdef T_FILE
    cr_assert_not_null(strstr(v, "file"));
#else
    cr_assert_not_null(strstr(v, "shm"));
#endif
}

/* splinter_open_numa opens the store, binds its pages to a node and makes it
 * the default store; a bad node is refused, and nothing is installed. */
Test(lifecycle, open_numa, .init = t_setup, .fini = t_teardown)
{
    t_set_str("numa", "1");
    splinter_close();
    void *probe = splinter_open_numa(t_store, 0);
    if (!probe && errno == ENOSYS) cr_skip_test("the kernel has no NUMA support (mbind: ENOSYS)");
    splinter_close();
    errno = 0;
    cr_assert_null(splinter_open_numa(t_store, 4096));
    cr_assert_eq(errno, EINVAL);
    cr_assert_eq(splinter_get("numa", NULL, 0, NULL), -2, "a refused open installs nothing");
    void *base = splinter_open_numa(t_store, 0);
    cr_assert_not_null(base, "%s", strerror(errno));
    cr_assert_eq(((struct splinter_header *)base)->magic, SPLINTER_MAGIC);
    size_t n;
    cr_assert_eq(splinter_get("numa", NULL, 0, &n), 0);
    cr_assert_eq(n, 1);
}

/* ---- creation races -------------------------------------------------------
 * Several processes create-or-open (or open-or-create) one new name at the
 * same moment: every one of them succeeds and sees the same store. (The
 * losers of the exclusive create used to open the winner's object while it
 * was still being sized: EBADMSG.) Rounds start on a spin barrier in shared
 * memory; each child writes its own key and reads everyone's back. */
/* a big slot table: its creator takes a while to initialise it */
enum { CR_PROCS = 3, CR_ROUNDS = 40, CR_SLOTS = 65536, CR_MAXVAL = 64 };

struct cr_shared {
    _Atomic int round, ready, done, failed;
    char why[256];
};

static void cr_child(struct cr_shared *sh, int id, bool open_first, const char *base)
{
    for (int r = 1; r <= CR_ROUNDS; r++) {
        while (atomic_load(&sh->round) < r) sched_yield();
        atomic_fetch_add(&sh->ready, 1);
        while (atomic_load(&sh->ready) < CR_PROCS * r) {}
        char name[160], key[32];
        snprintf(name, sizeof name, "%s-%d", base, r);
        int rc = open_first ? splinter_open_or_create(name, CR_SLOTS, CR_MAXVAL) : splinter_create_or_open(name, CR_SLOTS, CR_MAXVAL);
        splinter_header_snapshot_t h;
        snprintf(key, sizeof key, "c%d", id);
        if (rc != 0 || splinter_get_header_snapshot(&h) != 0 || h.slots != CR_SLOTS || h.max_val_sz != CR_MAXVAL ||
            splinter_set(key, "v", 1) != 0) {
            if (atomic_fetch_add(&sh->failed, 1) == 0)
                snprintf(sh->why, sizeof sh->why, "child %d round %d: %s returned %d (%s)", id, r,
                         open_first ? "open_or_create" : "create_or_open", rc, strerror(errno));
        }
        splinter_close();
        atomic_fetch_add(&sh->done, 1);
    }
    _exit(0);
}

static void creation_race(bool open_first)
{
    struct cr_shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(sh, MAP_FAILED);
    memset(sh, 0, sizeof *sh);
    char base[128];
    t_name(base, sizeof base, open_first ? "race-oc" : "race-co");
    pid_t kids[CR_PROCS];
    for (int i = 0; i < CR_PROCS; i++) {
        kids[i] = t_fork();
        cr_assert_geq(kids[i], 0);
        if (kids[i] == 0) cr_child(sh, i, open_first, base);
    }
    for (int r = 1; r <= CR_ROUNDS; r++) {
        atomic_store(&sh->round, r);
        while (atomic_load(&sh->done) < CR_PROCS * r) sched_yield();
        char name[160];
        snprintf(name, sizeof name, "%s-%d", base, r);
        splref_store *st = splref_open(T_BACKEND, name);
        cr_assert_not_null(st, "round %d: %s", r, strerror(errno));
        for (int i = 0; i < CR_PROCS && !atomic_load(&sh->failed); i++) {
            char key[32];
            size_t n = 0;
            snprintf(key, sizeof key, "c%d", i);
            cr_assert_eq(splref_get(st, key, NULL, 0, &n), 0, "round %d: %s missing: two stores?", r, key);
        }
        splref_close(st);
        t_unlink(name);
    }
    for (int i = 0; i < CR_PROCS; i++) waitpid(kids[i], NULL, 0);
    cr_assert_eq(atomic_load(&sh->failed), 0, "%d of %d calls failed, first: %s", atomic_load(&sh->failed),
                 CR_PROCS * CR_ROUNDS, sh->why);
    munmap(sh, sizeof *sh);
}

Test(lifecycle, concurrent_create_or_open_all_succeed, .timeout = 60) { creation_race(false); }
Test(lifecycle, concurrent_open_or_create_all_succeed, .timeout = 60) { creation_race(true); }
