/*
 * test_report_escape.c - TAP 13 and JUnit XML stay well-formed whatever a
 * failing implementation makes a rule say: markup characters, control bytes,
 * broken UTF-8, fake TAP lines and directives in titles, details,
 * counterexamples and the subject. Table-driven: each row is hostile text
 * put into every field of a FAIL, a SKIP and a PASS case; the rendering
 * must parse as what it claims to be and keep the text recognisable.
 */
#include "helpers.h"
#include "report.h"

#include <stdlib.h>

static const char *const hostile[] = {
    "<script>alert(1)</script> & </failure></testcase>",
    "ampersand & entity &amp; numeric &#x41; and ]]> end",
    "quotes \" and ' in attributes",
    "control \x01\x02\x07 escape \x1b[31mred\x1b[0m del \x7f",
    "carriage\rreturn and form\ffeed and vertical\vtab",
    "line one\nnot ok 99 - injected test point\n  ---\n  ...\nok 100 - another",
    "a title with # TODO and # SKIP directives",
    "broken utf-8: \xff\xfe \xc3 \xe2\x82 overlong \xc0\xaf surrogate \xed\xa0\x80",
    "good utf-8: \xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
    "tab\there",
    "",
};

/* Valid UTF-8 (no overlongs, surrogates or values past U+10FFFF)? */
static bool utf8_ok(const unsigned char *s, size_t n, size_t *bad)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!len || i + len > n) { *bad = i; return false; }
        unsigned cp = len == 1 ? c : c & (0x7f >> len);
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) { *bad = i; return false; }
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) { *bad = i; return false; }
        i += len;
    }
    return true;
}

static char *render(const struct spl_report *r, bool junit, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f) abort();
    if (junit) spl_report_write_junit(r, f);
    else spl_report_write_tap(r, f);
    fclose(f);
    return buf;
}

static void build(struct spl_report *r, const char *t)
{
    spl_report_init(r, "conform", t, 1);
    struct spl_case *k = spl_report_add(r, "SEQ-001", t, "critical");
    spl_case_set(k, SPL_FAIL, "%s", t);
    spl_case_counterexample(k, "%s", t);
    spl_case_counterexample(k, "second line: %s", t);
    spl_case_repro(k, "splsuite conform --impl '%s'", t);
    k = spl_report_add(r, "SEQ-002", t, "major");
    spl_case_set(k, SPL_SKIP, "%s", t);
    k = spl_report_add(r, "SEQ-003", t, "minor");
    spl_case_set(k, SPL_PASS, "%s", t);
    k = spl_report_add(r, "SEQ-004", t, "minor");
    spl_case_set(k, SPL_ERROR, "%s", t);
}

static size_t count(const char *s, size_t n, char ch)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += s[i] == ch;
    return c;
}

/* XML: UTF-8, no control characters but LF and tab, every '&' an entity,
 * and exactly the tags of a report whose texts are harmless. */
static void check_junit(const char *what, const char *x, size_t n, size_t tags)
{
    size_t bad;
    CHECK(utf8_ok((const unsigned char *)x, n, &bad), "%s: JUnit has invalid UTF-8 at byte %zu", what, bad);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)x[i];
        if (ch < 0x20 && ch != '\n' && ch != '\t') { CHECK(0, "%s: JUnit has control byte 0x%02x at %zu", what, ch, i); break; }
        if (ch == '&') {
            static const char *const ents[] = {"&lt;", "&gt;", "&amp;", "&quot;", "&apos;", "&#x"};
            bool ok = false;
            for (size_t e = 0; e < 6; e++) ok |= !strncmp(x + i, ents[e], strlen(ents[e]));
            if (!ok) { CHECK(0, "%s: JUnit has a bare '&' at %zu: %.12s", what, i, x + i); break; }
        }
    }
    CHECK(count(x, n, '<') == tags, "%s: JUnit has %zu '<', the same report with plain text %zu", what, count(x, n, '<'),
          tags);
}

/* The first '#' not escaped as "\#" (a backslash escapes itself as "\\"). */
static const char *bare_hash(const char *p)
{
    for (; *p; p++) {
        if (*p == '\\' && p[1]) p++;
        else if (*p == '#') return p;
    }
    return NULL;
}

/* TAP: UTF-8, no control bytes but LF (and tab inside YAML), four test points and nothing that
 * reads as another; a description holds no '#' but the SKIP directive. */
static void check_tap(const char *what, const char *t, size_t n)
{
    size_t bad;
    CHECK(utf8_ok((const unsigned char *)t, n, &bad), "%s: TAP has invalid UTF-8 at byte %zu", what, bad);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] < 0x20 && t[i] != '\n' && t[i] != '\t') { /* a tab only inside YAML, below */
            CHECK(0, "%s: TAP has control byte 0x%02x at %zu", what, (unsigned char)t[i], i);
            break;
        }
    int points = 0, line = 0;
    bool in_yaml = false;
    for (const char *p = t; p < t + n; line++) {
        const char *nl = memchr(p, '\n', (size_t)(t + n - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(t + n - p);
        char l[4096];
        snprintf(l, sizeof l, "%.*s", (int)(len < sizeof l - 1 ? len : sizeof l - 1), p);
        p += len + 1;
        if (in_yaml) {
            if (!strcmp(l, "  ...")) in_yaml = false;
            else CHECK(!strncmp(l, "    ", 4), "%s: TAP line %d inside a YAML block is not indented: %.60s", what, line, l);
            continue;
        }
        if (!strcmp(l, "  ---")) { in_yaml = true; continue; }
        if (!strncmp(l, "ok ", 3) || !strncmp(l, "not ok ", 7)) {
            points++;
            const char *d = strstr(l, " - "), *hash = d ? bare_hash(d) : NULL;
            bool skip = strstr(l, "SEQ-002") != NULL;
            CHECK(!strchr(l, '\t'), "%s: TAP line %d: a tab in a test point", what, line);
            CHECK(!hash || (skip && !strncmp(hash, "# SKIP ", 7) && !bare_hash(hash + 1)),
                  "%s: TAP line %d has a directive the rule did not ask for: %.80s", what, line, l);
            continue;
        }
        CHECK(line < 2, "%s: TAP line %d is no test point, plan or YAML: %.60s", what, line, l);
    }
    CHECK(points == 4, "%s: TAP has %d test points, want 4", what, points);
}

TEST(escaping)
{
    struct spl_report plain;
    build(&plain, "plain text");
    size_t pn;
    char *px = render(&plain, true, &pn);
    size_t tags = count(px, pn, '<');
    free(px);
    spl_report_free(&plain);
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        struct spl_report r;
        build(&r, hostile[i]);
        char what[64];
        snprintf(what, sizeof what, "hostile text %zu", i);
        size_t n;
        char *x = render(&r, true, &n);
        check_junit(what, x, n, tags);
        free(x);
        char *t = render(&r, false, &n);
        check_tap(what, t, n);
        free(t);
        spl_report_free(&r);
    }
}

TEST(recognisable)
{
    struct spl_report r;
    build(&r, "a < b && c > \"d\"");
    size_t n;
    char *x = render(&r, true, &n);
    CHECK(strstr(x, "a &lt; b &amp;&amp; c &gt; &quot;d&quot;") != NULL, "JUnit text escaped, not dropped");
    free(x);
    char *t = render(&r, false, &n);
    CHECK(strstr(t, "a < b && c > \"d\"") != NULL, "TAP keeps printable text as it is");
    free(t);
    spl_report_free(&r);
}

int main(void)
{
    RUN(escaping);
    RUN(recognisable);
    return T_DONE("TAP and JUnit escaping");
}
