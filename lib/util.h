/*
 * util.h - small shared helpers of the suite: clocks, a seeded PRNG, exit codes.
 */
#ifndef SPLSUITE_UTIL_H
#define SPLSUITE_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses of every splsuite command (meson's skip is 77; docs/guide.md).
 * An interrupted run exits 128 + the signal (spl_interrupt_status). */
enum { SPL_EXIT_OK = 0, SPL_EXIT_FAIL = 1, SPL_EXIT_USAGE = 2, SPL_EXIT_OUTPUT = 3, SPL_EXIT_SKIP = 77 };

uint64_t spl_time_ns(void);      /* CLOCK_MONOTONIC */
uint64_t spl_wall_ns(void);      /* CLOCK_REALTIME */
void spl_sleep_ns(uint64_t ns);

/* xoshiro256** seeded through splitmix64: reproducible runs from --seed. */
struct spl_rng { uint64_t s[4]; };
void spl_rng_seed(struct spl_rng *r, uint64_t seed);
uint64_t spl_rng_next(struct spl_rng *r);
uint64_t spl_rng_below(struct spl_rng *r, uint64_t n); /* uniform in [0, n) */
uint64_t spl_seed_from_time(void);

/* Sizes like "4096", "64k", "1M", "2G" (powers of 1024), strictly (lib/opt.h). -1 on error. */
int spl_parse_size(const char *s, uint64_t *out);
/* Durations like "500ms", "20s", "10m", "100us" into ns, bare numbers are
 * seconds, at most 30 days, strictly (lib/opt.h). -1 on error. */
int spl_parse_duration(const char *s, uint64_t *out_ns);

/* "SIGSEGV" (or "signal 77" for one without a name). */
const char *spl_signame(int sig, char *buf, size_t len);

/* True when stdout is a terminal (human output) and NO_COLOR is unset. */
bool spl_isatty_out(void);

/* lib's error convention in one call: writes one sentence into err (when
 * not NULL), sets errno to e and returns -1. */
int spl_fail(int e, char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* printf to stderr prefixed with "splsuite <cmd>: " */
void spl_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
