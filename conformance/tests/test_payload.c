/*
 * test_payload - the self-checking payload tells intact from torn, foreign,
 * scrubbed and truncated values (lib/payload.h). Every checker of the suite
 * leans on these verdicts, so each is shown to fire.
 */
#include "payload.h"
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int main(void)
{
    uint8_t a[1000], b[1000], t[1000];
    struct spl_payload_info in;
    for (size_t len = SPL_PAYLOAD_MIN; len <= sizeof a; len += 37) {
        spl_payload_make(a, len, 7, 3, 99);
        CHECK(spl_payload_check(a, len, 7, &in) == SPL_PAYLOAD_OK, "intact payload of %zu bytes rejected", len);
        CHECK(in.key == 7 && in.writer == 3 && in.seq == 99 && in.len == len, "header fields not read back");
        CHECK(spl_payload_check(a, len, UINT32_MAX, NULL) == SPL_PAYLOAD_OK, "any-key check rejected");
        CHECK(spl_payload_check(a, len, 8, NULL) == SPL_PAYLOAD_FOREIGN, "another key's value not called foreign");
    }
    /* torn: first half of one write, second half of another (same key, same length) */
    spl_payload_make(a, 1000, 1, 0, 10);
    spl_payload_make(b, 1000, 1, 1, 11);
    memcpy(t, a, 500);
    memcpy(t + 500, b + 500, 500);
    CHECK(spl_payload_check(t, 1000, 1, NULL) == SPL_PAYLOAD_BODY, "halves of two writes not torn");
    memcpy(t, b, 20); /* header torn inside */
    memcpy(t + 20, a + 20, 980);
    enum spl_payload_verdict v = spl_payload_check(t, 1000, 1, NULL);
    CHECK(v == SPL_PAYLOAD_CHECKSUM, "a header mixed from two writes not torn (%s)", spl_payload_verdict_str(v));
    /* one flipped bit anywhere in the body */
    for (size_t i = 32; i < 1000; i += 97) {
        memcpy(t, a, 1000);
        t[i] ^= 0x10;
        CHECK(spl_payload_check(t, 1000, 1, NULL) != SPL_PAYLOAD_OK, "flipped bit at %zu not detected", i);
    }
    /* the last, partial word counts too */
    spl_payload_make(a, 45, 2, 0, 1);
    a[44] ^= 1;
    CHECK(spl_payload_check(a, 45, 2, NULL) == SPL_PAYLOAD_BODY, "flipped bit in the tail not detected");
    /* scrubbed / zeroed / truncated / length lies */
    memset(t, 0, sizeof t);
    CHECK(spl_payload_check(t, 1000, 1, NULL) == SPL_PAYLOAD_MAGIC_BAD, "zeroes not called garbage");
    spl_payload_make(a, 600, 1, 0, 5);
    CHECK(spl_payload_check(a, 300, 1, NULL) == SPL_PAYLOAD_SHORT, "truncated value not short");
    memcpy(t, a, 600);
    memset(t + 600, 0xAA, 100);
    CHECK(spl_payload_check(t, 700, 1, NULL) == SPL_PAYLOAD_LEN, "value with trailing bytes not a length mismatch");
    CHECK(spl_payload_check(a, 10, 1, NULL) == SPL_PAYLOAD_SHORT, "10 bytes not short");
    /* the same inputs make the same bytes (reproducible from a seed) */
    spl_payload_make(a, 500, 4, 4, 4);
    spl_payload_make(b, 500, 4, 4, 4);
    CHECK(!memcmp(a, b, 500), "payload not deterministic");
    spl_payload_make(b, 500, 4, 4, 5);
    CHECK(memcmp(a + 32, b + 32, 468) != 0, "different sequences give the same body");
    if (fails) return 1;
    printf("payload verdicts: ok\n");
    return 0;
}
