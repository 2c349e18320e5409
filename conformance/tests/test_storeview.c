/*
 * test_storeview.c - the independent byte view (lib/storeview) on images
 * built by hand from format-v4.md: both slot sizes, the probe chain, and
 * every accessor refusing what lies outside the arena or the mapping.
 */
#include "storeview.h"
#include "helpers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* A fresh image as format-v4.md lays it out, slot stride ss. */
static uint8_t *image(uint32_t n, uint32_t mv, size_t ss, size_t *len)
{
    *len = SPLINTER_HEADER_SIZE + (size_t)n * (ss + mv);
    uint8_t *b = aligned_alloc(64, (*len + 63) & ~(size_t)63);
    memset(b, 0, *len);
    uint32_t hdr[4] = {SPLINTER_MAGIC, SPLINTER_VER, n, mv};
    memcpy(b, hdr, sizeof hdr);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t off = i * mv;
        memcpy(b + SPLINTER_HEADER_SIZE + (size_t)i * ss + 16, &off, 4);
    }
    return b;
}

/* Places key at the first free slot of its chain, as a writer would. */
static long put(uint8_t *b, uint32_t n, uint32_t mv, size_t ss, const char *key, const char *val)
{
    uint64_t h = spl_sv_fnv1a(key);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t idx = (uint32_t)((h % n + i) % n);
        uint8_t *s = b + SPLINTER_HEADER_SIZE + (size_t)idx * ss;
        uint64_t sh;
        memcpy(&sh, s, 8);
        if (sh) continue;
        memcpy(s, &h, 8);
        uint32_t l = (uint32_t)strlen(val);
        memcpy(s + 20, &l, 4);
        strncpy((char *)s + 64, key, 63);
        memcpy(b + SPLINTER_HEADER_SIZE + (size_t)n * ss + (size_t)idx * mv, val, l); // NOLINT(bugprone-not-null-terminated-result): values are counted (val_len), no NUL
        return idx;
    }
    return -1;
}

static void both_strides(size_t ss)
{
    const uint32_t N = 13, MV = 48;
    size_t len;
    uint8_t *b = image(N, MV, ss, &len);
    struct spl_sv_geometry g;
    CHECK(spl_sv_geometry(b, len, 0, &g) == 0 && g.slot_size == ss && g.size_matches && g.arena == N * MV,
          "geometry of a %zu-byte-slot image: slot_size %zu, matches %d", ss, g.slot_size, g.size_matches);
    struct spl_storeview v;
    CHECK(spl_sv_wrap(&v, b, len, 0) == 0, "wrap: %s", strerror(errno));
    CHECK(v.slot_size == ss && v.slots == N && v.max_val == MV, "view geometry");
    CHECK((uint8_t *)spl_sv_slot(&v, 1) - (uint8_t *)spl_sv_slot(&v, 0) == (long)ss, "slot stride");
    CHECK(spl_sv_slot(&v, N) == NULL, "slot N is outside");
    CHECK((spl_sv_embedding(&v, 0) != NULL) == (ss == SPL_SV_SLOT_SIZE_EMB), "embedding only with 3200-byte slots");
    char key[32];
    long where[20];
    for (int k = 0; k < 10; k++) {
        snprintf(key, sizeof key, "key-%d", k);
        where[k] = put(b, N, MV, ss, key, key);
    }
    for (int k = 0; k < 10; k++) {
        snprintf(key, sizeof key, "key-%d", k);
        long idx = spl_sv_find(&v, key);
        CHECK(idx == where[k], "find(%s) = %ld, put it at %ld", key, idx, where[k]);
        size_t l = 0;
        const uint8_t *p = idx >= 0 ? spl_sv_value(&v, (uint32_t)idx, &l) : NULL;
        CHECK(p && l == strlen(key) && !memcmp(p, key, l), "value of %s", key);
        CHECK(spl_sv_count_key(&v, key) == 1, "count of %s", key);
    }
    CHECK(spl_sv_find(&v, "absent") == -1, "absent key found");
    /* val_off / val_len outside the arena: NULL, never a pointer past it */
    struct splinter_slot *s = spl_sv_slot(&v, (uint32_t)where[0]);
    s->val_off = N * MV - 4;
    CHECK(spl_sv_value(&v, (uint32_t)where[0], NULL) == NULL, "value running past the arena");
    CHECK(spl_sv_bytes(&v, (uint32_t)where[0], 4) != NULL, "last 4 bytes of the arena are inside");
    s->val_off = 0xFFFFFFF0u;
    CHECK(spl_sv_bytes(&v, (uint32_t)where[0], 1) == NULL, "val_off far past the arena");
    CHECK(spl_sv_home_area(&v, N - 1) != NULL && spl_sv_home_area(&v, N) == NULL, "home areas");
    CHECK(spl_sv_bid(&v, 31) != NULL && spl_sv_bid(&v, 32) == NULL, "bid records");
    spl_sv_close(&v);
    /* truncated: refused, or with ANY_SIZE every accessor stays inside */
    size_t cut = SPLINTER_HEADER_SIZE + 3 * ss;
    CHECK(spl_sv_wrap(&v, b, cut, 0) == -1 && errno == EBADMSG, "a truncated image is refused");
    CHECK(spl_sv_wrap(&v, b, cut, SPL_SV_ANY_SIZE) == 0, "ANY_SIZE wrap");
    /* a truncated image cannot tell its slot size: it is read with the format's 128 */
    CHECK(v.slot_size == SPL_SV_SLOT_SIZE, "truncated image read with 128-byte slots");
    uint32_t reach = (uint32_t)((cut - SPLINTER_HEADER_SIZE) / SPL_SV_SLOT_SIZE);
    if (reach > N) reach = N;
    CHECK(spl_sv_slot(&v, reach - 1) != NULL && (reach >= N || spl_sv_slot(&v, reach) == NULL), "only mapped slots are reachable");
    CHECK(spl_sv_bytes(&v, 0, 1) == NULL, "no value bytes in a truncated image");
    spl_sv_close(&v);
    free(b);
}

static void refusals(void)
{
    size_t len;
    uint8_t *b = image(4, 16, 128, &len);
    struct spl_sv_geometry g;
    CHECK(spl_sv_geometry(b, 100, 0, &g) == -1 && errno == EBADMSG, "shorter than a header");
    uint32_t bad = 0x1234;
    memcpy(b, &bad, 4);
    CHECK(spl_sv_geometry(b, len, 0, &g) == -1 && errno == EBADMSG, "wrong magic");
    CHECK(spl_sv_geometry(b, len, SPL_SV_ANY_HEADER, &g) == 0, "wrong magic accepted with ANY_HEADER");
    uint32_t m = SPLINTER_MAGIC, ver = 5;
    memcpy(b, &m, 4);
    memcpy(b + 4, &ver, 4);
    CHECK(spl_sv_geometry(b, len, 0, &g) == -1 && errno == EPROTONOSUPPORT, "version 5");
    ver = 4;
    memcpy(b + 4, &ver, 4);
    uint32_t huge = 0xFFFFFFFFu;
    memcpy(b + 8, &huge, 4);
    memcpy(b + 12, &huge, 4);
    CHECK(spl_sv_geometry(b, len, 0, &g) == -1 && errno == EBADMSG, "2^32-1 x (3200 + 2^32-1) overflows 64 bits");
    uint32_t big = 1u << 20;
    memcpy(b + 8, &big, 4);
    memcpy(b + 12, &big, 4);
    CHECK(spl_sv_geometry(b, len, 0, &g) == 0 && !g.size_matches && g.arena == (uint64_t)1 << 40, "2^20 x 2^20: a geometry, not this size");
    struct spl_storeview v;
    CHECK(spl_sv_wrap(&v, b + 8, len - 8, 0) == -1 && errno == EINVAL, "unaligned buffer refused");
    free(b);
}

static void file_roundtrip(void)
{
    char path[] = "/tmp/splsuite-svtest-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd < 0) return;
    size_t len;
    uint8_t *b = image(8, 64, 3200, &len);
    put(b, 8, 64, 3200, "persist", "bytes on disk");
    CHECK(write(fd, b, len) == (ssize_t)len, "write");
    close(fd);
    struct spl_storeview v;
    CHECK(spl_sv_open(&v, path, 0) == 0, "open %s: %s", path, strerror(errno));
    long idx = spl_sv_find(&v, "persist");
    size_t l = 0;
    const uint8_t *p = idx >= 0 ? spl_sv_value(&v, (uint32_t)idx, &l) : NULL;
    CHECK(v.slot_size == 3200 && p && l == 13 && !memcmp(p, "bytes on disk", 13), "file view of an embeddings store");
    spl_sv_close(&v);
    CHECK(spl_sv_open(&v, "/nonexistent/splsuite", 0) == -1 && errno == ENOENT, "missing file");
    unlink(path);
    free(b);
}

int main(void)
{
    both_strides(SPL_SV_SLOT_SIZE);
    both_strides(SPL_SV_SLOT_SIZE_EMB);
    refusals();
    file_roundtrip();
    if (fails) fprintf(stderr, "test_storeview: %d failures\n", fails);
    else printf("test_storeview: ok\n");
    return fails ? 1 : 0;
}
