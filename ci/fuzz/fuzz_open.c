/*
 * fuzz_open.c - libFuzzer target: the reference library opening an arbitrary
 * store image, then reading and writing through it.
 *
 * The input becomes the bytes of a persistent store file (a tmpfs file the
 * target rewrites each run) and splref_open(SPLREF_BACKEND_FILE) maps it. A
 * hostile image must be refused with an errno or served without any access
 * outside the mapping: every read path (snapshots, list, get, raw pointer,
 * election, enumerate) and a few writes (set, append, integer op, unset)
 * run on whatever open accepted.
 */
#include "splref.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int img_fd = -1;
static char img_path[256];

static void cleanup(void)
{
    if (img_path[0]) unlink(img_path);
}

static int image_file(void)
{
    if (img_fd >= 0) return 0;
    /* SPLSUITE_FUZZ_DIR: the runner's scratch directory, removed by it (AFL++
     * ends its targets with SIGKILL: no atexit, the image would stay) */
    const char *dir = getenv("SPLSUITE_FUZZ_DIR");
    const char *tmpdir = getenv("TMPDIR");
    if (!dir || !*dir) dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : tmpdir && *tmpdir ? tmpdir : "/tmp";
    snprintf(img_path, sizeof img_path, "%s/splsuite-fuzz-open-%d.spl", dir, (int)getpid());
    img_fd = open(img_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (img_fd < 0) { perror(img_path); abort(); }
    atexit(cleanup);
    return 0;
}

static void count_match(const char *key, uint64_t epoch, void *arg)
{
    (void)epoch;
    *(size_t *)arg += key[0] != 0;
}

static void exercise(splref_store *st)
{
    splinter_header_snapshot_t hs;
    splref_get_header_snapshot(st, &hs);
    char *keys[64];
    size_t n = 0;
    if (splref_list(st, keys, 64, &n) == 0) {
        static unsigned char buf[1 << 16];
        for (size_t i = 0; i < n; i++) {
            char key[SPLINTER_KEY_MAX];
            /* the key lives in the (hostile) map: copy it bounded first */
            memcpy(key, keys[i], SPLINTER_KEY_MAX - 1);
            key[SPLINTER_KEY_MAX - 1] = 0;
            size_t got = 0;
            splref_get(st, key, buf, sizeof buf, &got);
            splinter_slot_snapshot_t ss;
            splref_get_slot_snapshot(st, key, &ss);
            size_t rsz = 0;
            uint64_t ep = 0;
            const unsigned char *p = splref_get_raw_ptr(st, key, &rsz, &ep);
            if (p && rsz) { volatile unsigned char sink = p[0] ^ p[rsz - 1]; (void)sink; }
            splref_get_epoch(st, key);
            uint64_t one = 1;
            splref_integer_op(st, key, SPL_OP_INC, &one);
        }
    }
    struct splinter_shard_bid_snapshot bids[SPLINTER_MAX_SHARDS];
    splref_shard_table_snapshot(st, bids, SPLINTER_MAX_SHARDS);
    uint8_t intent;
    splref_shard_election(st, &intent);
    size_t matches = 0;
    splref_enumerate_matches(st, ~0ULL, count_match, &matches);
    for (uint8_t g = 0; g < 64; g += 21) splref_get_signal_count(st, g);

    static const char v[] = "fuzzed value";
    size_t nl = 0;
    if (splref_set(st, "fuzz/key", v, sizeof v) == 0) splref_append(st, "fuzz/key", v, sizeof v, &nl);
    splref_set_label(st, "fuzz/key", 0x5);
    splref_pulse_keygroup(st, "fuzz/key");
    splref_unset(st, "fuzz/key");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    image_file();
    if (ftruncate(img_fd, 0) != 0) abort();
    size_t off = 0;
    while (off < size) {
        ssize_t w = pwrite(img_fd, data + off, size - off, (off_t)off);
        if (w <= 0) abort();
        off += (size_t)w;
    }
    splref_store *st = splref_open(SPLREF_BACKEND_FILE, img_path);
    if (st) {
        exercise(st);
        splref_close(st);
    }
    return 0;
}
