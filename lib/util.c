/*
 * util.c - clocks, PRNG and parsing shared by every part of the suite.
 */
#include "util.h"

#include "opt.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t spl_time_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t spl_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void spl_sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void spl_rng_seed(struct spl_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t spl_rng_next(struct spl_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t spl_rng_below(struct spl_rng *r, uint64_t n)
{
    if (n == 0) return 0;
    /* Lemire's multiply-shift with rejection: no modulo bias */
    for (;;) {
        __uint128_t m = (__uint128_t)spl_rng_next(r) * n;
        uint64_t lo = (uint64_t)m;
        if (lo >= n || lo >= (uint64_t)(-n) % n) return (uint64_t)(m >> 64);
    }
}

uint64_t spl_seed_from_time(void) { return spl_wall_ns() ^ ((uint64_t)getpid() << 32); }

int spl_parse_size(const char *s, uint64_t *out)
{
    char err[200];
    return s && spl_opt_size(s, 0, UINT64_MAX, out, err, sizeof err) == 0 ? 0 : -1;
}

int spl_parse_duration(const char *s, uint64_t *out_ns)
{
    char err[200];
    return s && spl_opt_duration(s, 0, 0, out_ns, err, sizeof err) == 0 ? 0 : -1;
}

const char *spl_signame(int sig, char *buf, size_t len)
{
    const char *a = sigabbrev_np(sig);
    if (a) snprintf(buf, len, "SIG%s", a);
    else snprintf(buf, len, "signal %d", sig);
    return buf;
}

bool spl_isatty_out(void) { return isatty(STDOUT_FILENO) && !getenv("NO_COLOR"); }

void spl_err(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "splsuite %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int spl_fail(int e, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen) vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    errno = e;
    return -1;
}
