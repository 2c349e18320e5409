/*
 * payload.h - self-checking values for concurrency checkers.
 *
 * Every value a checker writes says who wrote it, for which key, in which
 * order, and carries a checksum over all of it; the body is derived from
 * those fields. A reader can therefore tell, from the bytes alone, whether a
 * value is intact, torn (halves of two writes), foreign (another key's
 * value), truncated, or scrubbed, without asking the implementation.
 *
 * Layout (host byte order: writer and reader share the machine):
 *   0  u32 magic 'SPLP'   4  u32 len (whole payload)   8  u32 key   12 u32 writer
 *   16 u64 seq            24 u64 checksum (FNV-1a 64 of bytes 0..23)
 *   32 body: 64-bit words w ^ (i * K), w derived from (key, writer, seq, len),
 *      i the word's index; a final partial word is the prefix of the next one.
 * Checking costs about as much as a memcmp, so a checker spends its time in
 * the implementation's copy, not in its own verification: that is what makes
 * short race windows observable.
 */
#ifndef SPLSUITE_PAYLOAD_H
#define SPLSUITE_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#define SPL_PAYLOAD_MAGIC 0x504C5053u /* "SPLP" */
#define SPL_PAYLOAD_MIN 32u           /* header only */

enum spl_payload_verdict {
    SPL_PAYLOAD_OK = 0,
    SPL_PAYLOAD_SHORT,      /* fewer bytes than a header, or than the length it claims */
    SPL_PAYLOAD_LEN,        /* claimed length differs from the length returned */
    SPL_PAYLOAD_MAGIC_BAD,  /* not a payload at all (zeroed, scrubbed, garbage) */
    SPL_PAYLOAD_FOREIGN,    /* an intact payload of another key */
    SPL_PAYLOAD_CHECKSUM,   /* header bytes do not add up: torn inside the header */
    SPL_PAYLOAD_BODY,       /* header intact, body not the one it implies: torn (two writes mixed) */
};

struct spl_payload_info {
    uint32_t len, key, writer;
    uint64_t seq, csum;
};

/* Fills buf[0..len) (len >= SPL_PAYLOAD_MIN) and returns its checksum. */
uint64_t spl_payload_make(void *buf, size_t len, uint32_t key, uint32_t writer, uint64_t seq);
/* Checks len bytes read back for key (UINT32_MAX: any key). info gets what the
 * header says (when at least a header is present) even for a bad verdict. */
enum spl_payload_verdict spl_payload_check(const void *buf, size_t len, uint32_t key, struct spl_payload_info *info);
const char *spl_payload_verdict_str(enum spl_payload_verdict v);
/* A short hex dump of the first bytes, for counterexamples. */
const char *spl_payload_hexdump(const void *buf, size_t len, size_t max, char *out, size_t outlen);
/* FNV-1a 64 of bytes (also the checksum used above). */
uint64_t spl_fnv1a64(const void *buf, size_t len);

#endif
