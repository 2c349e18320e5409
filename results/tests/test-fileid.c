/*
 * test-fileid.c - SHA-256 against the FIPS 180-4 examples, and the file
 * identity of this very executable against sha256sum and readelf; then the
 * ELF reader on every truncation and on random corruptions of a real image
 * (it must never read out of bounds: run under ASan in the sanitizer gate).
 */
#include "fileid.h"
#include "sha256.h"
#include "util.h"
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


static void vec(const char *msg, size_t n, const char *want)
{
    char h[65];
    spl_sha256_hex(msg, n, h);
    CHECK(!strcmp(h, want), "sha256(%.20s...) = %s, want %s", msg, h, want);
}

/* First whitespace-separated word printed by a shell command. */
static int first_word(const char *cmd, char *out, size_t len)
{
    FILE *p = popen(cmd, "r"); // NOLINT(cert-env33-c): the system's own tools, on a path this test chose, are the reference
    if (!p) return -1;
    int ok = fscanf(p, "%255s", out) == 1;
    pclose(p);
    (void)len;
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    (void)argc;
    vec("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    vec("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    vec(m2, strlen(m2), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* one million 'a', fed in uneven pieces to exercise the buffering */
    struct spl_sha256 s;
    spl_sha256_init(&s);
    char a[997];
    memset(a, 'a', sizeof a);
    size_t left = 1000000;
    for (size_t k = 1; left; k = k % 997 + 1) {
        size_t n = k < left ? k : left;
        spl_sha256_update(&s, a, n);
        left -= n;
    }
    unsigned char d[32];
    char h[65];
    spl_sha256_final(&s, d);
    spl_hex(d, 32, h);
    CHECK(!strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"), "million a: %s", h);

    /* this executable: sha256sum and readelf agree with us */
    struct spl_fileid id;
    CHECK(spl_fileid_of("/proc/self/exe", &id) == 0, "fileid of self: %s", id.why);
    struct stat sb;
    CHECK(stat(id.path, &sb) == 0 && (uint64_t)sb.st_size == id.size, "size %llu", (unsigned long long)id.size);
    char cmd[8300], want[256];
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", id.path);
    if (first_word(cmd, want, sizeof want) == 0) CHECK(!strcmp(want, id.sha256), "sha256 %s, sha256sum %s", id.sha256, want);
    snprintf(cmd, sizeof cmd, "readelf -n '%s' 2>/dev/null | sed -n 's/.*Build ID: //p'", id.path);
    if (first_word(cmd, want, sizeof want) == 0) CHECK(!strcmp(want, id.build_id), "build-id %s, readelf %s", id.build_id, want);
    else printf("# readelf not available or no build-id: %s\n", id.build_id[0] ? id.build_id : "(none)");

    /* a shared library of this build has a SONAME (argv[1]: its path) */
    if (argv[1]) {
        CHECK(spl_fileid_of(argv[1], &id) == 0, "%s: %s", argv[1], id.why);
        snprintf(cmd, sizeof cmd, "readelf -d '%s' 2>/dev/null | sed -n 's/.*Library soname: \\[\\(.*\\)\\]/\\1/p'", argv[1]);
        if (first_word(cmd, want, sizeof want) == 0) CHECK(!strcmp(want, id.soname), "soname %s, readelf %s", id.soname, want);
        CHECK(id.build_id[0], "%s: no build-id", argv[1]);
    }

    /* errors: a missing file, a directory, an empty file */
    CHECK(spl_fileid_of("/nonexistent/x.so", &id) == -1 && strstr(id.why, "No such file"), "missing: %s", id.why);
    CHECK(spl_fileid_of("/", &id) == -1 && strstr(id.why, "not a regular file"), "dir: %s", id.why);
    CHECK(spl_fileid_of("/dev/null", &id) == -1, "char device accepted");

    /* hostile images: every truncation and 20000 random corruptions of a real one */
    FILE *f = fopen("/proc/self/exe", "rb");
    static unsigned char img[1 << 22];
    size_t n = f ? fread(img, 1, sizeof img, f) : 0;
    if (f) fclose(f);
    CHECK(n > 4096, "read self: %zu bytes", n);
    char hex[129], so[128];
    size_t lim = n < 16384 ? n : 16384;
    for (size_t t = 0; t <= lim; t++) {
        unsigned char *cp = malloc(t ? t : 1);
        memcpy(cp, img, t);
        spl_elf_ids(cp, t, hex, sizeof hex, so, sizeof so);
        free(cp);
    }
    struct spl_rng r;
    spl_rng_seed(&r, 17);
    unsigned char *cp = malloc(lim);
    for (int i = 0; i < 20000; i++) {
        memcpy(cp, img, lim);
        int flips = 1 + (int)spl_rng_below(&r, 8);
        for (int k = 0; k < flips; k++) cp[spl_rng_below(&r, i % 2 ? 64 : lim)] = (unsigned char)spl_rng_next(&r);
        spl_elf_ids(cp, lim, hex, sizeof hex, so, sizeof so);
    }
    free(cp);
    CHECK(!spl_elf_ids((const unsigned char *)"not an elf", 10, hex, sizeof hex, so, sizeof so), "text taken for ELF");
    printf("%s: %d failure(s)\n", fails ? "FAIL" : "PASS", fails);
    return fails ? 1 : 0;
}
