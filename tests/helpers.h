/*
 * helpers.h - the one assertion kit of the suite's C unit tests (bench/tests,
 * conformance/tests, ci/tests, results/tests, tests/abi). A check that fails
 * says where and what, counts, and lets the test go on, so one run shows
 * every broken case; main ends with T_DONE, whose exit status meson reads
 * (0 pass, 1 fail, 77 skip through T_SKIP).
 *
 *   CHECK(n == 3);                          // FAIL file.c:12: n == 3
 *   CHECK(n == 3, "n is %d", n);            // ... with a detail
 *   CHECK_ERRNO(fd >= 0, "open %s", path);  // ... and errno
 *   RUN(case_fn);                           // "ok   case_fn" / "FAIL case_fn"
 *   return T_DONE("hist");                  // "PASS: hist (0 checks failed)"
 */
#ifndef SPLSUITE_TEST_HELPERS_H
#define SPLSUITE_TEST_HELPERS_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fails;                                      /* checks failed so far */
static int t_checks __attribute__((unused));           /* checks made */
static const char *t_case __attribute__((unused)) = ""; /* the case RUN is in */

static inline void __attribute__((format(printf, 2, 3))) t_detail(int err, const char *fmt, ...)
{
    if (fmt[1]) { /* fmt is " " + the caller's detail */
        fputc(':', stderr);
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    if (err) fprintf(stderr, " (errno %d %s)", err, strerror(err));
    fputc('\n', stderr);
}

#define T_CHECK_(c, err, ...)                                                                                  \
    do {                                                                                                       \
        t_checks++;                                                                                            \
        if (!(c)) {                                                                                            \
            int t_err_ = (err);                                                                                \
            fails++;                                                                                           \
            fprintf(stderr, "FAIL %s:%d%s%s: %s", __FILE__, __LINE__, *t_case ? " " : "", t_case, #c);        \
            t_detail(t_err_, " " __VA_ARGS__);                                                                  \
        }                                                                                                      \
    } while (0)
/* CHECK(cond) or CHECK(cond, "format", ...): the detail starts with a string literal. */
#define CHECK(c, ...) T_CHECK_(c, 0, __VA_ARGS__)
#define CHECK_ERRNO(c, ...) T_CHECK_(c, errno, __VA_ARGS__)

#define TEST(fn) static void fn(void)
#define RUN(fn)                                                                                                \
    do {                                                                                                       \
        t_case = #fn;                                                                                          \
        int t_before_ = fails;                                                                                 \
        fn();                                                                                                  \
        printf("%s %s\n", fails == t_before_ ? "ok  " : "FAIL", #fn);                                         \
        t_case = "";                                                                                           \
    } while (0)

/* The verdict line and the exit status of main. */
#define T_DONE(what) (printf("%s: %s (%d checks failed)\n", fails ? "FAIL" : "PASS", (what), fails), fails ? 1 : 0)
/* An explicit skip, with its reason (meson: exit 77). */
#define T_SKIP(...) (printf("SKIP: " __VA_ARGS__), putchar('\n'), 77)

#endif
