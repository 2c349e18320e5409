/*
 * report.c - result model and its text/TAP/JUnit/JSON renderings.
 */
#include "report.h"
#include "outfile.h"
#include "util.h"
#include "envelope.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

void spl_report_init(struct spl_report *r, const char *suite, const char *subject, unsigned long long seed)
{
    memset(r, 0, sizeof *r);
    snprintf(r->suite, sizeof r->suite, "%s", suite);
    snprintf(r->subject, sizeof r->subject, "%s", subject ? subject : "");
    r->seed = seed;
}

void spl_report_free(struct spl_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->cases[i].detail);
        free(r->cases[i].counterexample);
        free(r->cases[i].repro);
    }
    free(r->cases);
    if (r->meta) json_object_put(r->meta);
    memset(r, 0, sizeof *r);
}

struct spl_case *spl_report_add(struct spl_report *r, const char *id, const char *title, const char *severity)
{
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 32;
        struct spl_case *c = realloc(r->cases, nc * sizeof *c);
        if (!c) return NULL;
        r->cases = c;
        r->cap = nc;
    }
    struct spl_case *c = &r->cases[r->n++];
    memset(c, 0, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", id);
    const char *dash = strchr(id, '-');
    snprintf(c->family, sizeof c->family, "%.*s", dash ? (int)(dash - id) : (int)strlen(id), id);
    snprintf(c->title, sizeof c->title, "%s", title ? title : "");
    snprintf(c->severity, sizeof c->severity, "%s", severity ? severity : "major");
    c->result = SPL_SKIP;
    return c;
}

__attribute__((format(printf, 1, 0))) static char *vfmt(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) return NULL;
    return s;
}

__attribute__((format(printf, 3, 0))) static void vset(struct spl_case *c, enum spl_result res, const char *fmt, va_list ap)
{
    free(c->detail);
    c->detail = vfmt(fmt, ap);
    c->result = res;
}

void spl_case_set(struct spl_case *c, enum spl_result res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(c, res, fmt, ap);
    va_end(ap);
}

void spl_case_merge(struct spl_case *c, enum spl_result res, const char *fmt, ...)
{
    /* severity of outcomes: ERROR > FAIL > SKIP > PASS; the worst one keeps its detail */
    static const int rank[] = {[SPL_PASS] = 0, [SPL_SKIP] = 1, [SPL_FAIL] = 2, [SPL_ERROR] = 3};
    if (c->detail && rank[res] <= rank[c->result]) return;
    va_list ap;
    va_start(ap, fmt);
    vset(c, res, fmt, ap);
    va_end(ap);
}

void spl_case_counterexample(struct spl_case *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vfmt(fmt, ap);
    va_end(ap);
    if (!s) return;
    if (c->counterexample) { /* several observations: keep them all */
        char *j = NULL;
        if (asprintf(&j, "%s\n%s", c->counterexample, s) >= 0) {
            free(c->counterexample);
            c->counterexample = j;
        }
        free(s);
    } else {
        c->counterexample = s;
    }
}

void spl_case_repro(struct spl_case *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(c->repro);
    c->repro = vfmt(fmt, ap);
    va_end(ap);
}

const char *spl_result_str(enum spl_result r)
{
    switch (r) {
    case SPL_PASS: return "PASS";
    case SPL_FAIL: return "FAIL";
    case SPL_SKIP: return "SKIP";
    case SPL_ERROR: return "ERROR";
    }
    return "?";
}

void spl_report_counts(const struct spl_report *r, size_t counts[4])
{
    memset(counts, 0, 4 * sizeof counts[0]);
    for (size_t i = 0; i < r->n; i++) counts[r->cases[i].result]++;
}

int spl_report_exit_code(const struct spl_report *r)
{
    size_t c[4];
    spl_report_counts(r, c);
    if (r->interrupted) return 128 + r->interrupted;
    if (c[SPL_FAIL] || c[SPL_ERROR]) return 1;
    if (c[SPL_PASS] == 0) return 77;
    return 0;
}

/* ---- text ---------------------------------------------------------------- */

static const char *color_of(enum spl_result r)
{
    switch (r) {
    case SPL_PASS: return "\033[32m";
    case SPL_FAIL: return "\033[1;31m";
    case SPL_SKIP: return "\033[33m";
    case SPL_ERROR: return "\033[1;35m";
    }
    return "";
}

/* Prints s with every line after the first indented. */
static void print_indented(FILE *out, const char *s, const char *indent)
{
    for (const char *p = s; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(out, "%s%.*s\n", indent, (int)n, p);
        p += n + (nl ? 1 : 0);
    }
}

void spl_report_print_text(const struct spl_report *r, FILE *out, bool color, bool verbose)
{
    int w = 8; /* the id column fits the longest id */
    for (size_t i = 0; i < r->n; i++)
        if ((int)strlen(r->cases[i].id) > w) w = (int)strlen(r->cases[i].id);
    int pad = w + 16;
    char bar[96];
    snprintf(bar, sizeof bar, "%*s| ", pad + 1, "");
    fprintf(out, "%-*s %-5s %7s  %s\n", w, "RULE", "RESULT", "TIME", "DETAIL");
    for (size_t i = 0; i < r->n; i++) {
        const struct spl_case *c = &r->cases[i];
        fprintf(out, "%-*s %s%-5s%s %6.2fs  %s\n", w, c->id, color ? color_of(c->result) : "", spl_result_str(c->result),
                color ? "\033[0m" : "", c->secs, c->detail ? c->detail : "");
        if ((c->result == SPL_FAIL || c->result == SPL_ERROR || verbose) && c->title[0] && c->result != SPL_PASS)
            fprintf(out, "%*s rule: %s\n", pad, "", c->title);
        if (c->counterexample && (c->result == SPL_FAIL || c->result == SPL_ERROR || verbose))
            print_indented(out, c->counterexample, bar);
        if (c->repro && (c->result == SPL_FAIL || verbose)) fprintf(out, "%*s repro: %s\n", pad, "", c->repro);
    }
    size_t k[4];
    spl_report_counts(r, k);
    fprintf(out, "\n%s: %zu rule%s: %zu passed, %zu failed, %zu skipped, %zu errors in %.1f s (seed %llu)\n",
            r->subject, r->n, r->n == 1 ? "" : "s", k[SPL_PASS], k[SPL_FAIL], k[SPL_SKIP], k[SPL_ERROR], r->secs, r->seed);
    if (r->interrupted) {
        char sn[32];
        fprintf(out, "INTERRUPTED by %s after %zu of %zu rules: the report is partial\n",
                spl_signame(r->interrupted, sn, sizeof sn), r->n, r->planned > r->n ? r->planned : r->n);
    }
}

/* ---- hostile text --------------------------------------------------------
 * Details and counterexamples quote what an implementation did: any bytes.
 * Each rendering gets text it can carry: valid UTF-8 (a broken sequence
 * becomes U+FFFD), no control characters its format forbids, and none of
 * its own syntax (XML markup, TAP's '#' directives and line structure). */
enum esc { ESC_XML, ESC_TAP_LINE, ESC_TAP_BLOCK };

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0], len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len <= 1) return len;
    unsigned cp = c & (0x7fu >> len);
    for (unsigned k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[k] & 0x3f);
    }
    static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
    return cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : len;
}

static void put_clean(FILE *out, const char *s, enum esc m)
{
    static const char repl[] = "\xef\xbf\xbd"; /* U+FFFD */
    for (const unsigned char *p = (const unsigned char *)s; p && *p;) {
        size_t n = utf8_seq(p);
        if (n == 0) { /* a broken sequence: one replacement per bad byte */
            fputs(m == ESC_XML ? "&#xfffd;" : repl, out);
            p++;
            continue;
        }
        if (n > 1) { fwrite(p, 1, n, out); p += n; continue; }
        unsigned char ch = *p++;
        if (m == ESC_XML) {
            switch (ch) {
            case '<': fputs("&lt;", out); continue;
            case '>': fputs("&gt;", out); continue;
            case '&': fputs("&amp;", out); continue;
            case '"': fputs("&quot;", out); continue;
            case '\'': fputs("&apos;", out); continue;
            }
            /* XML 1.0 allows no control characters, not even as references */
            if (ch < 0x20 && ch != '\n' && ch != '\t') fputs("&#xfffd;", out);
            else fputc(ch, out);
            continue;
        }
        if (m == ESC_TAP_LINE && (ch == '\n' || ch == '\r' || ch == '\t')) fputc(' ', out); /* one line */
        else if (m == ESC_TAP_LINE && (ch == '#' || ch == '\\')) fprintf(out, "\\%c", ch); /* TAP's escapes */
        else if ((ch < 0x20 && ch != '\t') || ch == 0x7f) fputs(repl, out); /* YAML's c-printable */
        else fputc(ch, out);
    }
}

/* ---- TAP 13 -------------------------------------------------------------- */

static void yaml_block(FILE *out, const char *key, const char *s)
{
    fprintf(out, "    %s: |\n", key);
    for (const char *p = s; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = strndup(p, n);
        fputs("      ", out);
        put_clean(out, line ? line : "", ESC_TAP_BLOCK);
        fputc('\n', out);
        free(line);
        p += n + (nl ? 1 : 0);
    }
}

void spl_report_write_tap(const struct spl_report *r, FILE *out)
{
    fprintf(out, "TAP version 13\n1..%zu\n", r->n);
    for (size_t i = 0; i < r->n; i++) {
        const struct spl_case *c = &r->cases[i];
        const char *d = c->detail ? c->detail : "";
        bool ok = c->result == SPL_PASS || c->result == SPL_SKIP;
        fprintf(out, "%s %zu - ", ok ? "ok" : "not ok", i + 1);
        put_clean(out, c->id, ESC_TAP_LINE);
        fputc(' ', out);
        put_clean(out, c->title, ESC_TAP_LINE);
        if (c->result == SPL_SKIP) {
            fputs(" # SKIP ", out);
            put_clean(out, d, ESC_TAP_LINE);
        }
        fputc('\n', out);
        if (c->result == SPL_FAIL || c->result == SPL_ERROR) {
            fprintf(out, "  ---\n    result: %s\n    severity: %s\n    seconds: %.3f\n", spl_result_str(c->result),
                    c->severity, c->secs);
            yaml_block(out, "message", d);
            if (c->counterexample) yaml_block(out, "counterexample", c->counterexample);
            if (c->repro) yaml_block(out, "repro", c->repro);
            fprintf(out, "  ...\n");
        }
    }
    if (r->interrupted) {
        char sn[32];
        fprintf(out, "Bail out! interrupted by %s after %zu of %zu rules\n", spl_signame(r->interrupted, sn, sizeof sn),
                r->n, r->planned > r->n ? r->planned : r->n);
    }
}

/* ---- JUnit XML ------------------------------------------------------------- */

static void xml_esc(FILE *out, const char *s) { put_clean(out, s, ESC_XML); }

void spl_report_write_junit(const struct spl_report *r, FILE *out)
{
    size_t k[4];
    spl_report_counts(r, k);
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    /* an interrupted run is one more errored case, so every JUnit reader sees it */
    size_t extra = r->interrupted ? 1 : 0;
    fprintf(out, "<testsuites tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\"%s>\n",
            r->n + extra, k[SPL_FAIL], k[SPL_ERROR] + extra, k[SPL_SKIP], r->secs, r->interrupted ? " interrupted=\"true\"" : "");
    fprintf(out, "  <testsuite name=\"");
    xml_esc(out, r->suite);
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n", r->n + extra,
            k[SPL_FAIL], k[SPL_ERROR] + extra, k[SPL_SKIP], r->secs);
    fprintf(out, "    <properties>\n      <property name=\"subject\" value=\"");
    xml_esc(out, r->subject);
    fprintf(out, "\"/>\n      <property name=\"seed\" value=\"%llu\"/>\n    </properties>\n", r->seed);
    for (size_t i = 0; i < r->n; i++) {
        const struct spl_case *c = &r->cases[i];
        fprintf(out, "    <testcase classname=\"%s.%s\" name=\"", r->suite, c->family);
        xml_esc(out, c->id);
        fputs(" ", out);
        xml_esc(out, c->title);
        fprintf(out, "\" time=\"%.3f\">\n", c->secs);
        const char *d = c->detail ? c->detail : "";
        if (c->result == SPL_SKIP) {
            fprintf(out, "      <skipped message=\"");
            xml_esc(out, d);
            fprintf(out, "\"/>\n");
        } else if (c->result == SPL_FAIL || c->result == SPL_ERROR) {
            const char *tag = c->result == SPL_FAIL ? "failure" : "error";
            fprintf(out, "      <%s message=\"", tag);
            xml_esc(out, d);
            fprintf(out, "\" type=\"%s\">", c->severity);
            if (c->counterexample) xml_esc(out, c->counterexample);
            if (c->repro) {
                fputs("\nrepro: ", out);
                xml_esc(out, c->repro);
            }
            fprintf(out, "</%s>\n", tag);
        } else if (c->detail) {
            fprintf(out, "      <system-out>");
            xml_esc(out, d);
            fprintf(out, "</system-out>\n");
        }
        fprintf(out, "    </testcase>\n");
    }
    if (r->interrupted) {
        char sn[32];
        fprintf(out, "    <testcase classname=\"%s.run\" name=\"INTERRUPTED\" time=\"0\">\n"
                     "      <error message=\"interrupted by %s after %zu of %zu rules\" type=\"interrupted\"/>\n"
                     "    </testcase>\n",
                r->suite, spl_signame(r->interrupted, sn, sizeof sn), r->n, r->planned > r->n ? r->planned : r->n);
    }
    fprintf(out, "  </testsuite>\n</testsuites>\n");
}

/* ---- JSON ---------------------------------------------------------------- */

json_object *spl_report_json(const struct spl_report *r)
{
    json_object *o = json_object_new_object();
    size_t k[4];
    spl_report_counts(r, k);
    json_object_object_add(o, "suite", json_object_new_string(r->suite));
    json_object_object_add(o, "subject", json_object_new_string(r->subject));
    json_object_object_add(o, "seed", json_object_new_uint64(r->seed));
    json_object_object_add(o, "seconds", json_object_new_double(r->secs));
    json_object *sum = json_object_new_object();
    json_object_object_add(sum, "total", json_object_new_int64((int64_t)r->n));
    json_object_object_add(sum, "passed", json_object_new_int64((int64_t)k[SPL_PASS]));
    json_object_object_add(sum, "failed", json_object_new_int64((int64_t)k[SPL_FAIL]));
    json_object_object_add(sum, "skipped", json_object_new_int64((int64_t)k[SPL_SKIP]));
    json_object_object_add(sum, "errors", json_object_new_int64((int64_t)k[SPL_ERROR]));
    json_object_object_add(sum, "exit_code", json_object_new_int(spl_report_exit_code(r)));
    json_object_object_add(sum, "interrupted", json_object_new_boolean(r->interrupted != 0));
    if (r->interrupted) {
        char sn[32];
        json_object_object_add(sum, "signal", json_object_new_string(spl_signame(r->interrupted, sn, sizeof sn)));
        json_object_object_add(sum, "planned", json_object_new_int64((int64_t)(r->planned > r->n ? r->planned : r->n)));
    }
    json_object_object_add(o, "summary", sum);
    if (r->meta) json_object_object_add(o, "meta", json_object_get(r->meta));
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < r->n; i++) {
        const struct spl_case *c = &r->cases[i];
        json_object *j = json_object_new_object();
        json_object_object_add(j, "id", json_object_new_string(c->id));
        json_object_object_add(j, "family", json_object_new_string(c->family));
        json_object_object_add(j, "title", json_object_new_string(c->title));
        json_object_object_add(j, "severity", json_object_new_string(c->severity));
        json_object_object_add(j, "result", json_object_new_string(spl_result_str(c->result)));
        json_object_object_add(j, "seconds", json_object_new_double(c->secs));
        json_object_object_add(j, "detail", c->detail ? json_object_new_string(c->detail) : NULL);
        json_object_object_add(j, "counterexample", c->counterexample ? json_object_new_string(c->counterexample) : NULL);
        json_object_object_add(j, "repro", c->repro ? json_object_new_string(c->repro) : NULL);
        json_object_array_add(arr, j);
    }
    json_object_object_add(o, "cases", arr);
    return r->envelope ? spl_envelope_wrap(r->envelope, o) : o;
}

void spl_report_write_json(const struct spl_report *r, FILE *out)
{
    json_object *o = spl_report_json(r);
    fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static int write_format(const struct spl_report *r, const char *format, FILE *f)
{
    if (!strcmp(format, "tap")) spl_report_write_tap(r, f);
    else if (!strcmp(format, "junit")) spl_report_write_junit(r, f);
    else if (!strcmp(format, "json")) spl_report_write_json(r, f);
    else {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int spl_report_save(const struct spl_report *r, const char *format, const char *path)
{
    struct spl_outfile o;
    char err[600];
    if (spl_outfile_open(&o, path, err, sizeof err) != 0) return -1;
    if (write_format(r, format, o.f) != 0) {
        int e = errno;
        spl_outfile_abort(&o);
        errno = e;
        return -1;
    }
    return spl_outfile_close(&o, err, sizeof err);
}
