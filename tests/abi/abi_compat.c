/*
 * abi_compat.c - a client written only against splinter.h, in the style of
 * the original's unit tests, linked with -lsplinter.
 *
 * It proves the drop-in claim: the same binary runs against the original
 * libsplinter.so and against splinter-suite's libsplinter.so alias (pick one
 * with LD_LIBRARY_PATH). It uses nothing but the original ABI, plus its own
 * mmap of the store where the original API takes raw header/slot pointers.
 * Checks stay inside behaviour both implementations share.
 *
 * usage: abi_compat shm|file    exit 0 all passed, 1 a check failed
 */
#include "splinter.h"
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int g_file;
static char g_name[128];



static void remove_store(void)
{
    if (g_file) unlink(g_name);
    else shm_unlink(g_name);
}

/* The caller's own mapping of the store, for the raw-pointer helpers. */
static void *map_store(size_t *len)
{
    int fd = g_file ? open(g_name, O_RDWR) : shm_open(g_name, O_RDWR, 0);
    if (fd < 0) return NULL;
    struct stat sb;
    void *p = MAP_FAILED;
    if (fstat(fd, &sb) == 0) p = mmap(NULL, (size_t)sb.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    *len = (size_t)sb.st_size;
    return p == MAP_FAILED ? NULL : p;
}

static uint64_t hdr_epoch(void)
{
    splinter_header_snapshot_t h;
    return splinter_get_header_snapshot(&h) == 0 ? h.epoch : 0;
}

static long slot_index(const char *key)
{
    splinter_slot_snapshot_t s;
    splinter_header_snapshot_t h;
    if (splinter_get_slot_snapshot(key, &s) != 0 || splinter_get_header_snapshot(&h) != 0) return -1;
    return (long)(s.val_off / h.max_val_sz);
}

TEST(test_create_and_exclusive)
{
    remove_store();
    CHECK_ERRNO(splinter_create(g_name, 128, 4096) == 0);
    errno = 0;
    CHECK_ERRNO(splinter_create(g_name, 128, 4096) == -1);
    CHECK_ERRNO(errno == EEXIST);
    CHECK_ERRNO(splinter_open(g_name) == 0);
    CHECK_ERRNO(splinter_create(g_name, 0, 10) == -2);
}

TEST(test_header_snapshot)
{
    splinter_header_snapshot_t h;
    CHECK_ERRNO(splinter_get_header_snapshot(&h) == 0);
    CHECK_ERRNO(h.magic == SPLINTER_MAGIC);
    CHECK_ERRNO(h.version == SPLINTER_VER);
    CHECK_ERRNO(h.slots == 128);
    CHECK_ERRNO(h.max_val_sz == 4096);
    CHECK_ERRNO(h.epoch >= 1);
}

TEST(test_set_get)
{
    uint64_t e0 = hdr_epoch();
    CHECK_ERRNO(splinter_set("greeting", "hello world", 11) == 0);
    CHECK_ERRNO(hdr_epoch() == e0 + 1);
    char buf[64] = {0};
    size_t n = 0;
    CHECK_ERRNO(splinter_get("greeting", buf, sizeof buf, &n) == 0);
    CHECK_ERRNO(n == 11 && memcmp(buf, "hello world", 11) == 0);
    n = 0;
    CHECK_ERRNO(splinter_get("greeting", NULL, 0, &n) == 0 && n == 11);
    char small[4];
    errno = 0;
    CHECK_ERRNO(splinter_get("greeting", small, sizeof small, &n) == -1 && errno == EMSGSIZE);
    CHECK_ERRNO(splinter_get("no-such-key", buf, sizeof buf, &n) == -1);
    CHECK_ERRNO(splinter_set("greeting", "hi", 2) == 0);
    CHECK_ERRNO(splinter_get("greeting", buf, sizeof buf, &n) == 0 && n == 2 && memcmp(buf, "hi", 2) == 0);
    char big[4097];
    memset(big, 'x', sizeof big);
    CHECK_ERRNO(splinter_set("big", big, sizeof big) == -1);
    CHECK_ERRNO(splinter_set("big", big, 4096) == 0);
    CHECK_ERRNO(splinter_set(NULL, "x", 1) == -2);
}

TEST(test_list_unset)
{
    CHECK_ERRNO(splinter_set("l1", "a", 1) == 0);
    CHECK_ERRNO(splinter_set("l2", "bb", 2) == 0);
    char *keys[256];
    size_t n = 0;
    CHECK_ERRNO(splinter_list(keys, 256, &n) == 0);
    int found = 0;
    for (size_t i = 0; i < n; i++) found += !strcmp(keys[i], "l1") + !strcmp(keys[i], "l2");
    CHECK_ERRNO(found == 2);
    size_t before = n;
    CHECK_ERRNO(splinter_unset("l2") == 2);
    CHECK_ERRNO(splinter_get("l2", NULL, 0, &n) == -1);
    CHECK_ERRNO(splinter_list(keys, 256, &n) == 0 && n == before - 1);
    CHECK_ERRNO(splinter_unset("l2") == -1);
    CHECK_ERRNO(splinter_set("l2", "back", 4) == 0);
}

TEST(test_slot_snapshot_epochs)
{
    splinter_slot_snapshot_t s;
    CHECK_ERRNO(splinter_set("snap", "12345", 5) == 0);
    CHECK_ERRNO(splinter_get_slot_snapshot("snap", &s) == 0);
    CHECK_ERRNO(s.val_len == 5 && strcmp(s.key, "snap") == 0 && s.epoch % 2 == 0);
    CHECK_ERRNO(s.type_flag == SPL_SLOT_TYPE_VOID);
    uint64_t e = splinter_get_epoch("snap");
    CHECK_ERRNO(e == s.epoch);
    CHECK_ERRNO(splinter_set("snap", "6", 1) == 0);
    CHECK_ERRNO(splinter_get_epoch("snap") == e + 2);
    CHECK_ERRNO(splinter_bump_slot("snap") == 0);
    CHECK_ERRNO(splinter_get_epoch("snap") == e + 4);
    CHECK_ERRNO(splinter_retrain_slot("snap") == 0);
    CHECK_ERRNO(splinter_get_epoch("snap") == 4);
    size_t n = 0;
    uint64_t re = 0;
    const char *p = splinter_get_raw_ptr("snap", &n, &re);
    CHECK_ERRNO(p && n == 1 && p[0] == '6' && re == 4);
    CHECK_ERRNO(splinter_set_slot_time("snap", SPL_TIME_CTIME, 5000, 1000) == 0);
    CHECK_ERRNO(splinter_get_slot_snapshot("snap", &s) == 0 && s.ctime == 4000);
    CHECK_ERRNO(splinter_set_slot_time("snap", 9, 1, 1) == -2);
}

TEST(test_append_poll)
{
    size_t nl = 0;
    CHECK_ERRNO(splinter_set("log", "ab", 2) == 0);
    CHECK_ERRNO(splinter_append("log", "cd", 2, &nl) == 0 && nl == 4);
    char b[8];
    size_t n;
    CHECK_ERRNO(splinter_get("log", b, sizeof b, &n) == 0 && n == 4 && memcmp(b, "abcd", 4) == 0);
    errno = 0;
    CHECK_ERRNO(splinter_poll("log", 30) == -1 && errno == ETIMEDOUT);
}

TEST(test_named_types)
{
    CHECK_ERRNO(splinter_set("doc", "{\"a\":1}", 7) == 0);
    CHECK_ERRNO(splinter_set_named_type("doc", SPL_SLOT_TYPE_JSON) == 0);
    splinter_slot_snapshot_t s;
    CHECK_ERRNO(splinter_get_slot_snapshot("doc", &s) == 0 && s.type_flag == SPL_SLOT_TYPE_JSON);
    CHECK_ERRNO(splinter_set_as_system("doc") == 0);
    CHECK_ERRNO(splinter_get_slot_snapshot("doc", &s) == 0 && s.type_flag == SPL_SLOT_TYPE_BINARY && s.val_len == 4096);
}

/* The original promotes BIGUINT into slot 0's value area (val_brk starts at
 * 0): run the integer checks on a fresh store whose slot 0 stays empty, so
 * the program's expectations hold for both implementations. */
TEST(test_integer_ops)
{
    splinter_close();
    remove_store();
    CHECK_ERRNO(splinter_create(g_name, 64, 64) == 0);
    const char *cands[] = {"counter", "counter-b", "counter-c", "counter-d"};
    const char *key = NULL;
    for (int i = 0; i < 4 && !key; i++) {
        if (splinter_set(cands[i], "41", 2) != 0) continue;
        if (slot_index(cands[i]) != 0) key = cands[i];
        else splinter_unset(cands[i]);
    }
    CHECK_ERRNO(key != NULL);
    if (!key) return;
    uint64_t one = 1, v = 0;
    size_t n;
    errno = 0;
    CHECK_ERRNO(splinter_integer_op(key, SPL_OP_INC, &one) == -1 && errno == EPROTOTYPE);
    CHECK_ERRNO(splinter_set_named_type(key, SPL_SLOT_TYPE_BIGUINT) == 0);
    CHECK_ERRNO(splinter_get(key, &v, sizeof v, &n) == 0 && n == 8 && v == 41);
    CHECK_ERRNO(splinter_integer_op(key, SPL_OP_INC, &one) == 0);
    CHECK_ERRNO(splinter_get(key, &v, sizeof v, &n) == 0 && v == 42);
    uint64_t m = 0xFF - 42 + 1;
    CHECK_ERRNO(splinter_integer_op(key, SPL_OP_INC, &m) == 0);
    CHECK_ERRNO(splinter_get(key, &v, sizeof v, &n) == 0 && v == 0x100);
    CHECK_ERRNO(splinter_integer_op(key, SPL_OP_DEC, &one) == 0);
    CHECK_ERRNO(splinter_get(key, &v, sizeof v, &n) == 0 && v == 0xFF);
    m = 0x0F;
    CHECK_ERRNO(splinter_integer_op(key, SPL_OP_AND, &m) == 0);
    m = 0x30;
    CHECK_ERRNO(splinter_integer_op(key, SPL_OP_OR, &m) == 0);
    m = 0x01;
    CHECK_ERRNO(splinter_integer_op(key, SPL_OP_XOR, &m) == 0);
    CHECK_ERRNO(splinter_get(key, &v, sizeof v, &n) == 0 && v == 0x3E);
    CHECK_ERRNO(splinter_integer_op(key, SPL_OP_NOT, NULL) == 0);
    CHECK_ERRNO(splinter_get(key, &v, sizeof v, &n) == 0 && v == ~(uint64_t)0x3E);
    splinter_close();
    remove_store();
    CHECK_ERRNO(splinter_create(g_name, 128, 4096) == 0);
}

TEST(test_tandem)
{
    const void *vals[3] = {"base", "one", "two"};
    size_t lens[3] = {4, 3, 3};
    CHECK_ERRNO(splinter_client_set_tandem("car", vals, lens, 3) == 0);
    char b[8];
    size_t n;
    CHECK_ERRNO(splinter_get("car.1", b, sizeof b, &n) == 0 && n == 3 && memcmp(b, "one", 3) == 0);
    CHECK_ERRNO(splinter_get("car.2", b, sizeof b, &n) == 0 && memcmp(b, "two", 3) == 0);
    splinter_client_unset_tandem("car", 3);
    CHECK_ERRNO(splinter_get("car", b, sizeof b, &n) == -1);
    CHECK_ERRNO(splinter_get("car.2", b, sizeof b, &n) == -1);
}

struct hits { int n; };
static void on_match(const char *key, uint64_t epoch, void *data)
{
    (void)key;
    (void)epoch;
    ((struct hits *)data)->n++;
}

TEST(test_watches_labels)
{
    CHECK_ERRNO(splinter_set("w", "0", 1) == 0);
    CHECK_ERRNO(splinter_watch_register("w", 5) == 0);
    uint64_t c = splinter_get_signal_count(5);
    CHECK_ERRNO(splinter_set("w", "1", 1) == 0);
    CHECK_ERRNO(splinter_get_signal_count(5) == c + 1);
    CHECK_ERRNO(splinter_pulse_keygroup("w") == 0);
    CHECK_ERRNO(splinter_get_signal_count(5) == c + 2);
    CHECK_ERRNO(splinter_watch_unregister("w", 5) == 0);
    CHECK_ERRNO(splinter_set("w", "2", 1) == 0);
    CHECK_ERRNO(splinter_get_signal_count(5) == c + 2);
    CHECK_ERRNO(splinter_watch_register("w", 64) == -2);

    CHECK_ERRNO(splinter_set_label("w", 1ull << 3) == 0);
    CHECK_ERRNO(splinter_watch_label_register(1ull << 3, 9) == 0);
    uint64_t c9 = splinter_get_signal_count(9);
    CHECK_ERRNO(splinter_set("w", "3", 1) == 0);
    CHECK_ERRNO(splinter_get_signal_count(9) == c9 + 1);
    CHECK_ERRNO(splinter_set("x", "1", 1) == 0);
    CHECK_ERRNO(splinter_set_label("x", 1ull << 3 | 1ull << 4) == 0);
    struct hits h = {0};
    splinter_enumerate_matches(1ull << 3, on_match, &h);
    CHECK_ERRNO(h.n == 2);
    h.n = 0;
    splinter_enumerate_matches(1ull << 4, on_match, &h);
    CHECK_ERRNO(h.n == 1);
    CHECK_ERRNO(splinter_unset_label("x", 1ull << 4) == 0);
    h.n = 0;
    splinter_enumerate_matches(1ull << 4, on_match, &h);
    CHECK_ERRNO(h.n == 0);
}

/* The flag helpers take raw pointers: use this program's own mapping. */
TEST(test_raw_flags)
{
    size_t len = 0;
    uint8_t *base = map_store(&len);
    CHECK_ERRNO(base != NULL);
    if (!base) return;
    struct splinter_header *H = (struct splinter_header *)base;
    splinter_config_set(H, SPL_SUSR3);
    splinter_header_snapshot_t hs;
    CHECK_ERRNO(splinter_get_header_snapshot(&hs) == 0 && (hs.core_flags & SPL_SUSR3));
    CHECK_ERRNO(splinter_config_test(H, SPL_SUSR3) == 1);
    splinter_config_clear(H, SPL_SUSR3);
    CHECK_ERRNO(!(splinter_config_snapshot(H) & SPL_SUSR3));
    CHECK_ERRNO(splinter_set("u", "1", 1) == 0);
    struct splinter_slot *S = (struct splinter_slot *)(base + sizeof(struct splinter_header));
    long idx = slot_index("u");
    CHECK_ERRNO(idx >= 0);
    if (idx >= 0) {
        splinter_slot_usr_set(&S[idx], 0x3);
        splinter_slot_usr_clear(&S[idx], 0x1);
        CHECK_ERRNO(splinter_slot_usr_snapshot(&S[idx]) == 0x2);
        splinter_slot_snapshot_t ss;
        CHECK_ERRNO(splinter_get_slot_snapshot("u", &ss) == 0 && ss.user_flag == 0x2);
        CHECK_ERRNO(splinter_watch_register("u", 11) == 0);
        uint64_t c = splinter_get_signal_count(11);
        splinter_pulse_watchers(&S[idx]);
        CHECK_ERRNO(splinter_get_signal_count(11) == c + 1);
    }
    munmap(base, len);
}

TEST(test_mop)
{
    CHECK_ERRNO(splinter_get_mop() == 1);
    CHECK_ERRNO(splinter_set_mop(0) == 0 && splinter_get_mop() == 0);
    CHECK_ERRNO(splinter_set_mop(2) == 0 && splinter_get_mop() == 2);
    CHECK_ERRNO(splinter_set_mop(1) == 0 && splinter_get_mop() == 1);
    errno = 0;
    CHECK_ERRNO(splinter_set_mop(7) == -1);
    CHECK_ERRNO(splinter_set("kept", "abcd", 4) == 0);
    splinter_purge();
    char b[8];
    size_t n;
    CHECK_ERRNO(splinter_get("kept", b, sizeof b, &n) == 0 && n == 4 && memcmp(b, "abcd", 4) == 0);
}

TEST(test_event_bus)
{
    CHECK_ERRNO(splinter_event_bus_init() == 0);
    int fd = splinter_event_bus_open();
    CHECK_ERRNO(fd >= 0);
    if (fd < 0) return;
    CHECK_ERRNO(splinter_set("bus-key", "ping", 4) == 0);
    CHECK_ERRNO(splinter_event_bus_wait(fd, 2000) == 0);
    uint64_t d[SPLINTER_EVENT_BUS_MASK_WORDS] = {0};
    splinter_event_bus_get_dirty(d, SPLINTER_EVENT_BUS_MASK_WORDS);
    long idx = slot_index("bus-key");
    CHECK_ERRNO(idx >= 0 && ((d[idx / 64] >> (idx % 64)) & 1));
    CHECK_ERRNO(splinter_event_bus_wait(fd, 10) == -1);
    splinter_event_bus_close(fd);
}

TEST(test_shards)
{
    const uint64_t forever = UINT64_C(1) << 62;
    CHECK_ERRNO(splinter_shard_election(NULL) == 0);
    CHECK_ERRNO(splinter_shard_claim(1, SPL_INTENT_WILLNEED, 10, forever) == 0);
    uint8_t it = 0;
    CHECK_ERRNO(splinter_shard_election(&it) == 1 && it == SPL_INTENT_WILLNEED);
    CHECK_ERRNO(splinter_shard_is_sovereign(1) == 1);
    uint64_t now = splinter_now();
    CHECK_ERRNO(splinter_shard_claim_ex(2, 4242, SPL_INTENT_RANDOM, 20, forever, now) == 0);
    CHECK_ERRNO(splinter_shard_election(NULL) == 2);
    CHECK_ERRNO(splinter_shard_claim_ex(3, 4242, SPL_INTENT_DONTNEED, 250, forever, now) == 0);
    CHECK_ERRNO(splinter_shard_election(NULL) == 2); /* the DONTNEED bumper */
    CHECK_ERRNO(splinter_shard_rebid(1, SPL_INTENT_WILLNEED, 30, forever) == 0);
    CHECK_ERRNO(splinter_shard_election(NULL) == 1);
    errno = 0;
    CHECK_ERRNO(splinter_madvise(2, NULL, 0, POSIX_MADV_NORMAL, 0) == -1 && errno == EAGAIN);
    CHECK_ERRNO(splinter_madvise(1, NULL, 0, POSIX_MADV_NORMAL, 0) == 0);
    CHECK_ERRNO(splinter_madvise(9, NULL, 0, POSIX_MADV_NORMAL, 0) == -2);
    struct splinter_shard_bid_snapshot t[SPLINTER_MAX_SHARDS];
    int n = splinter_shard_table_snapshot(t, SPLINTER_MAX_SHARDS);
    CHECK_ERRNO(n == SPLINTER_MAX_SHARDS);
    int live = 0, sov = 0;
    for (int i = 0; i < n; i++) {
        live += t[i].shard_id != 0;
        sov += t[i].sovereign;
    }
    CHECK_ERRNO(live == 3 && sov == 1);
    CHECK_ERRNO(splinter_shard_release(1) == 0 && splinter_shard_release(2) == 0 && splinter_shard_release(3) == 0);
    CHECK_ERRNO(splinter_shard_election(NULL) == 0);
    for (uint32_t id = 1; id <= SPLINTER_MAX_SHARDS; id++) CHECK_ERRNO(splinter_shard_claim(id, SPL_INTENT_NONE, 1, forever) == 0);
    errno = 0;
    CHECK_ERRNO(splinter_shard_claim(99, SPL_INTENT_NONE, 1, forever) == -1 && errno == ENOSPC);
    for (uint32_t id = 1; id <= SPLINTER_MAX_SHARDS; id++) splinter_shard_release(id);
    CHECK_ERRNO(splinter_shard_claim(0, SPL_INTENT_NONE, 1, 1) == -2);
}

TEST(test_reopen)
{
    splinter_close();
    char b[8];
    size_t n;
    CHECK_ERRNO(splinter_get("kept", b, sizeof b, &n) == -2);
    CHECK_ERRNO(splinter_open(g_name) == 0);
    CHECK_ERRNO(splinter_get("kept", b, sizeof b, &n) == 0 && n == 4);
    splinter_close();
    CHECK_ERRNO(splinter_open_or_create(g_name, 1, 1) == 0);
    CHECK_ERRNO(splinter_get("kept", b, sizeof b, &n) == 0);
    splinter_close();
}

int main(int argc, char **argv)
{
    if (argc != 2 || (strcmp(argv[1], "shm") && strcmp(argv[1], "file"))) {
        fprintf(stderr, "usage: %s shm|file\n", argv[0]);
        return 2;
    }
    g_file = !strcmp(argv[1], "file");
    snprintf(g_name, sizeof g_name, g_file ? "/tmp/splsuite-abi-%d" : "/splsuite-abi-%d", (int)getpid());
    RUN(test_create_and_exclusive);
    RUN(test_header_snapshot);
    RUN(test_set_get);
    RUN(test_list_unset);
    RUN(test_slot_snapshot_epochs);
    RUN(test_append_poll);
    RUN(test_named_types);
    RUN(test_integer_ops);
    RUN(test_tandem);
    RUN(test_watches_labels);
    RUN(test_raw_flags);
    RUN(test_mop);
    RUN(test_event_bus);
    RUN(test_shards);
    RUN(test_reopen);
    splinter_close();
    remove_store();
    printf("%d checks passed, %d failed\n", t_checks - fails, fails);
    return fails ? 1 : 0;
}
