/*
 * payload.c - self-checking values (see payload.h).
 */
#include "payload.h"

#include <stdio.h>
#include <string.h>

#define WORD_K 0x9E3779B97F4A7C15ull

uint64_t spl_fnv1a64(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static uint64_t body_word(uint32_t key, uint32_t writer, uint64_t seq, uint32_t len)
{
    uint64_t z = ((uint64_t)key << 32 | writer) ^ (seq * 0xD1B54A32D192ED03ull) ^ ((uint64_t)len << 17);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t spl_payload_make(void *buf, size_t len, uint32_t key, uint32_t writer, uint64_t seq)
{
    uint8_t *p = buf;
    if (len < SPL_PAYLOAD_MIN) return 0;
    uint32_t magic = SPL_PAYLOAD_MAGIC, l32 = (uint32_t)len;
    memcpy(p, &magic, 4);
    memcpy(p + 4, &l32, 4);
    memcpy(p + 8, &key, 4);
    memcpy(p + 12, &writer, 4);
    memcpy(p + 16, &seq, 8);
    uint64_t c = spl_fnv1a64(p, 24);
    memcpy(p + 24, &c, 8);
    uint64_t w = body_word(key, writer, seq, l32);
    size_t n = len - 32, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x = w ^ ((i / 8) * WORD_K);
        memcpy(p + 32 + i, &x, 8);
    }
    if (i < n) {
        uint64_t x = w ^ ((i / 8) * WORD_K);
        memcpy(p + 32 + i, &x, n - i);
    }
    return c;
}

enum spl_payload_verdict spl_payload_check(const void *buf, size_t len, uint32_t key, struct spl_payload_info *info)
{
    const uint8_t *p = buf;
    struct spl_payload_info in = {0};
    if (len < SPL_PAYLOAD_MIN) {
        if (info) *info = in;
        return SPL_PAYLOAD_SHORT;
    }
    uint32_t magic;
    memcpy(&magic, p, 4);
    memcpy(&in.len, p + 4, 4);
    memcpy(&in.key, p + 8, 4);
    memcpy(&in.writer, p + 12, 4);
    memcpy(&in.seq, p + 16, 8);
    memcpy(&in.csum, p + 24, 8);
    if (info) *info = in;
    if (magic != SPL_PAYLOAD_MAGIC) return SPL_PAYLOAD_MAGIC_BAD;
    if (spl_fnv1a64(p, 24) != in.csum) return SPL_PAYLOAD_CHECKSUM;
    if (in.len > len) return SPL_PAYLOAD_SHORT;
    if (in.len != len) return SPL_PAYLOAD_LEN;
    uint64_t w = body_word(in.key, in.writer, in.seq, in.len);
    size_t n = len - 32, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x = w ^ ((i / 8) * WORD_K), y;
        memcpy(&y, p + 32 + i, 8);
        if (x != y) return SPL_PAYLOAD_BODY;
    }
    if (i < n) {
        uint64_t x = w ^ ((i / 8) * WORD_K);
        if (memcmp(&x, p + 32 + i, n - i) != 0) return SPL_PAYLOAD_BODY;
    }
    if (key != UINT32_MAX && in.key != key) return SPL_PAYLOAD_FOREIGN;
    return SPL_PAYLOAD_OK;
}

const char *spl_payload_verdict_str(enum spl_payload_verdict v)
{
    switch (v) {
    case SPL_PAYLOAD_OK: return "intact";
    case SPL_PAYLOAD_SHORT: return "short";
    case SPL_PAYLOAD_LEN: return "length mismatch (torn)";
    case SPL_PAYLOAD_MAGIC_BAD: return "not a payload (zeroed, scrubbed or garbage)";
    case SPL_PAYLOAD_FOREIGN: return "foreign (another key's value)";
    case SPL_PAYLOAD_CHECKSUM: return "torn (header checksum mismatch)";
    case SPL_PAYLOAD_BODY: return "torn (body is not the header's)";
    }
    return "?";
}

const char *spl_payload_hexdump(const void *buf, size_t len, size_t max, char *out, size_t outlen)
{
    const uint8_t *p = buf;
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < len && i < max && o + 4 < outlen; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%02x%s", p[i], (i % 4 == 3 && i + 1 < len) ? " " : "");
    if (len > max && o + 4 < outlen) snprintf(out + o, outlen - o, "...");
    return out;
}
