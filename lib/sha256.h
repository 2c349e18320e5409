/*
 * sha256.h - SHA-256 (FIPS 180-4), for the identity of the files a run used
 * (implementations under test) without a crypto library dependency.
 */
#ifndef SPLSUITE_SHA256_H
#define SPLSUITE_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct spl_sha256 {
    uint32_t h[8];
    uint64_t len;       /* bytes hashed so far */
    unsigned char buf[64];
    size_t nbuf;
};

void spl_sha256_init(struct spl_sha256 *s);
void spl_sha256_update(struct spl_sha256 *s, const void *data, size_t n);
void spl_sha256_final(struct spl_sha256 *s, unsigned char out[32]);
/* One-shot, lowercase hex into hex[65]. */
void spl_sha256_hex(const void *data, size_t n, char hex[65]);
void spl_hex(const unsigned char *b, size_t n, char *out); /* out: 2n+1 bytes */

#endif
