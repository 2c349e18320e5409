/*
 * opt.c - option tables: strict value parsers, defaults, getopt_long, --help.
 */
#include "opt.h"

#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

const char spl_exit_status_common[] =
    "  2    usage error, or a machine the run cannot use (store directory full,\n"
    "       read-only or missing), said in one line\n"
    "  3    a result could not be written (stdout, -o, --tap, --junit, --json-out)\n"
    "  77   skipped: nothing could run here, with the reason\n"
    "  130  interrupted by SIGINT (143: SIGTERM); what was done is reported, marked INTERRUPTED\n";

/* ---- the value parsers ------------------------------------------------------- */

static int bad(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Digits only (0x for hex), no sign, no blanks, no overflow. */
static int digits(const char *s, const char **end, uint64_t *out)
{
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) base = 16, s += 2;
    uint64_t v = 0;
    const char *p = s;
    for (;; p++) {
        int d;
        if (*p >= '0' && *p <= '9') d = *p - '0';
        else if (base == 16 && *p >= 'a' && *p <= 'f') d = *p - 'a' + 10;
        else if (base == 16 && *p >= 'A' && *p <= 'F') d = *p - 'A' + 10;
        else break;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) return -2;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (p == s) return -1;
    *end = p;
    *out = v;
    return 0;
}

int spl_opt_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    const char *end;
    uint64_t v;
    int r = digits(s, &end, &v);
    if (r == -2) return bad(err, errlen, "too large (at most %llu)", (unsigned long long)max);
    if (r != 0 || *end) return bad(err, errlen, "not a whole number");
    if (v < min || v > max) return bad(err, errlen, "out of range (%llu to %llu)", (unsigned long long)min, (unsigned long long)max);
    *out = v;
    return 0;
}

const char *spl_opt_duration_text(uint64_t ns, char *buf, size_t len)
{
    static const struct { uint64_t ns; const char *u; } units[] = {
        {86400000000000ull, "d"}, {3600000000000ull, "h"}, {60000000000ull, "m"}, {1000000000ull, "s"},
        {1000000ull, "ms"}, {1000ull, "us"}, {1, "ns"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ns >= units[i].ns && ns % units[i].ns == 0) {
            snprintf(buf, len, "%llu%s", (unsigned long long)(ns / units[i].ns), units[i].u);
            return buf;
        }
    snprintf(buf, len, "0s");
    return buf;
}

int spl_opt_duration(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    static const struct { const char *u; uint64_t ns; } units[] = {
        {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000ull}, {"", 1000000000ull},
        {"m", 60000000000ull}, {"min", 60000000000ull}, {"h", 3600000000000ull}, {"d", 86400000000000ull}};
    if (!max) max = 30 * 86400000000000ull;
    const char *p = s;
    uint64_t whole = 0, frac = 0, scale = 1;
    bool any = false;
    for (; *p >= '0' && *p <= '9'; p++, any = true) {
        if (whole > UINT64_MAX / 10 - 1) return bad(err, errlen, "too long");
        whole = whole * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, any = true)
            if (scale < 1000000000000ull) frac = frac * 10 + (uint64_t)(*p - '0'), scale *= 10;
    }
    uint64_t mul = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0] && any; i++)
        if (!strcmp(p, units[i].u)) mul = units[i].ns;
    if (!mul) return bad(err, errlen, "not a duration (a number and ns, us, ms, s, m or h: 500ms, 20s, 10m)");
    if (whole > UINT64_MAX / mul) return bad(err, errlen, "too long");
    uint64_t ns = whole * mul + (uint64_t)((double)frac * (double)mul / (double)scale);
    char a[32], b[32];
    spl_opt_duration_text(min, a, sizeof a), spl_opt_duration_text(max, b, sizeof b);
    if (ns < min || ns > max) return bad(err, errlen, "out of range (%s to %s)", a, b);
    *out = ns;
    return 0;
}

int spl_opt_size(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    const char *p;
    uint64_t v;
    int r = digits(s, &p, &v);
    if (r == -2) return bad(err, errlen, "too large");
    if (r != 0) return bad(err, errlen, "not a size (4096, 64k, 1M, 2G)");
    uint64_t mul = 1;
    switch (*p) {
    case 'k': case 'K': mul = 1ull << 10, p++; break;
    case 'm': case 'M': mul = 1ull << 20, p++; break;
    case 'g': case 'G': mul = 1ull << 30, p++; break;
    case 't': case 'T': mul = 1ull << 40, p++; break;
    default: break;
    }
    if (mul > 1 && *p == 'i') p++;
    if (*p == 'B' || (*p == 'b' && mul > 1)) p++;
    if (*p) return bad(err, errlen, "not a size (4096, 64k, 1M, 2G)");
    if (v > UINT64_MAX / mul) return bad(err, errlen, "too large");
    v *= mul;
    if (v < min || v > max) return bad(err, errlen, "out of range (%llu to %llu)", (unsigned long long)min, (unsigned long long)max);
    *out = v;
    return 0;
}

int spl_opt_real(const char *s, double min, double max, double *out, char *err, size_t errlen)
{
    /* digits [. digits] [e [-+] digits]: what strtod reads, minus signs, blanks, hex, inf and nan */
    const char *p = s;
    bool any = false;
    while (*p >= '0' && *p <= '9') p++, any = true;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++) any = true;
    if (any && (*p == 'e' || *p == 'E')) {
        p++;
        if (*p == '-' || *p == '+') p++;
        if (!(*p >= '0' && *p <= '9')) any = false;
        while (*p >= '0' && *p <= '9') p++;
    }
    if (!any || *p) return bad(err, errlen, "not a number");
    double v = strtod(s, NULL);
    if (!(v >= min && v <= max)) return bad(err, errlen, "out of range (%g to %g)", min, max);
    *out = v;
    return 0;
}

static void names_text(const char *const *names, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; names[i] && n + 1 < len; i++) {
        int w = snprintf(buf + n, len - n, "%s%s", i ? ", " : "", names[i]);
        if (w < 0) break;
        n += (size_t)w;
    }
}

int spl_opt_choice(const char *s, const char *const *names, char *err, size_t errlen)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(s, names[i])) return i;
    char all[512];
    names_text(names, all, sizeof all);
    return bad(err, errlen, "unknown value (one of: %s)", all);
}

int spl_opt_list(const char *s, const char *const *names, uint64_t *bits, char *err, size_t errlen)
{
    uint64_t b = 0;
    const char *p = s;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (!n) return bad(err, errlen, "an empty item in the list");
        int k = -1;
        for (int i = 0; i < 64 && names[i]; i++)
            if (strlen(names[i]) == n && !strncmp(p, names[i], n)) k = i;
        if (k < 0) {
            char all[512];
            names_text(names, all, sizeof all);
            return bad(err, errlen, "unknown item '%.*s' (one of: %s)", (int)n, p, all);
        }
        b |= 1ull << k;
        if (!e) break;
        p = e + 1;
    }
    *bits = b;
    return 0;
}

/* ---- one option ------------------------------------------------------------------- */

static int store_uint(const struct spl_opt *o, uint64_t v)
{
    switch (o->dsize) {
    case 1: *(uint8_t *)o->dest = (uint8_t)v; return 0;
    case 2: *(uint16_t *)o->dest = (uint16_t)v; return 0;
    case 4: *(uint32_t *)o->dest = (uint32_t)v; return 0;
    case 8: *(uint64_t *)o->dest = v; return 0;
    default: return -1;
    }
}

static uint64_t uint_cap(const struct spl_opt *o)
{
    uint64_t cap = o->dsize >= 8 ? UINT64_MAX : (1ull << (8 * o->dsize)) - 1;
    if (o->dsize == 4 && cap > INT32_MAX) cap = INT32_MAX; /* an int field must stay positive */
    return o->max && o->max < cap ? o->max : cap;
}

/* Parses arg into o's destination. 0, or -1 with the reason in err. */
static int set_value(const struct spl_opt *o, const char *arg, char *err, size_t errlen)
{
    uint64_t v = 0; /* the parsers set it on success only */
    int k;
    switch (o->type) {
    case SPL_OPT_FLAG: *(bool *)o->dest = true; return 0;
    case SPL_OPT_STR:
        if (!*arg) return bad(err, errlen, "empty");
        *(const char **)o->dest = arg;
        return 0;
    case SPL_OPT_UINT:
        if (spl_opt_uint(arg, o->min, uint_cap(o), &v, err, errlen) != 0) return -1;
        return store_uint(o, v) == 0 ? 0 : bad(err, errlen, "internal error: dsize %zu", o->dsize);
    case SPL_OPT_DURATION:
        if (spl_opt_duration(arg, o->min, o->max, &v, err, errlen) != 0) return -1;
        *(uint64_t *)o->dest = v;
        return 0;
    case SPL_OPT_SIZE:
        if (spl_opt_size(arg, o->min, o->max ? o->max : UINT64_MAX, &v, err, errlen) != 0) return -1;
        *(uint64_t *)o->dest = v;
        return 0;
    case SPL_OPT_CHOICE:
        if ((k = spl_opt_choice(arg, o->choices, err, errlen)) < 0) return -1;
        *(int *)o->dest = k;
        return 0;
    case SPL_OPT_LIST:
        return spl_opt_list(arg, o->choices, (uint64_t *)o->dest, err, errlen);
    case SPL_OPT_CALL:
        return o->parse(arg, o->dest, err, errlen);
    case SPL_OPT_REAL:
        return spl_opt_real(arg, o->rmin, o->rmax, (double *)o->dest, err, errlen);
    }
    return -1;
}

static int usage_line(const struct spl_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_line(const struct spl_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "splsuite %s: ", cmd->name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "; see 'splsuite %s --help'\n", cmd->name);
    va_end(ap);
    return SPL_EXIT_USAGE;
}

int spl_opt_error(const struct spl_cmd *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return usage_line(cmd, "%s", msg);
}

/* ---- --list-options ---------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", *s);
        else fputc(*s, f);
    }
    fputc('"', f);
}

static const char *type_name(enum spl_opt_type t)
{
    static const char *const n[] = {"flag", "string", "uint", "duration", "size", "choice", "list", "custom", "real"};
    return n[t];
}

static void list_options(const struct spl_cmd *cmd)
{
    for (const struct spl_opt *o = cmd->opts; o->name; o++) {
        printf("{\"command\": ");
        json_str(stdout, cmd->name);
        printf(", \"name\": ");
        json_str(stdout, o->name);
        if (o->key) printf(", \"short\": \"%c\"", o->key);
        printf(", \"type\": \"%s\"", type_name(o->type));
        if (o->arg) printf(", \"arg\": "), json_str(stdout, o->arg);
        if (o->type == SPL_OPT_UINT) printf(", \"min\": %llu, \"max\": %llu", (unsigned long long)o->min, (unsigned long long)uint_cap(o));
        if (o->type == SPL_OPT_DURATION || o->type == SPL_OPT_SIZE)
            printf(", \"min\": %llu, \"max\": %llu", (unsigned long long)o->min,
                   (unsigned long long)(o->max ? o->max : o->type == SPL_OPT_DURATION ? 30 * 86400000000000ull : UINT64_MAX));
        if (o->type == SPL_OPT_REAL) printf(", \"min\": %.17g, \"max\": %.17g", o->rmin, o->rmax);
        if (o->choices) {
            printf(", \"choices\": [");
            for (int i = 0; o->choices[i]; i++) printf("%s", i ? ", " : ""), json_str(stdout, o->choices[i]);
            printf("]");
        }
        if (o->def) printf(", \"default\": "), json_str(stdout, o->def);
        printf(", \"hidden\": %s}\n", o->flags & SPL_OPT_HIDDEN ? "true" : "false");
    }
}

/* ---- --help ------------------------------------------------------------------------- */

/* text from column indent on, broken at "\n" and at spaces before column 80 */
static void print_wrapped(FILE *out, const char *text, int indent)
{
    int room = 79 - indent < 30 ? 30 : 79 - indent;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        int n = e ? (int)(e - p) : (int)strlen(p);
        if (n > room) { /* the last space that fits, else the first one */
            int cut = -1;
            for (int i = 0; i < n; i++)
                if ((i <= room || cut < 0) && p[i] == ' ') cut = i;
            if (cut > 0) n = cut, e = p + cut;
        }
        fprintf(out, "%.*s\n", n, p);
        if (!e) break;
        p = e + 1;
        if (*p) fprintf(out, "%*s", indent, "");
    }
}

static int left_text(const struct spl_opt *o, char *buf, size_t len)
{
    return snprintf(buf, len, "  %c%c%s--%s%s%s", o->key ? '-' : ' ', o->key ? o->key : ' ', o->key ? ", " : "  ",
                    o->name, o->type == SPL_OPT_FLAG ? "" : " ", o->type == SPL_OPT_FLAG ? "" : o->arg ? o->arg : "VALUE");
}

void spl_opt_help(const struct spl_cmd *cmd, FILE *out)
{
    fprintf(out, "Usage: splsuite %s ", cmd->name);
    for (const char *p = cmd->usage ? cmd->usage : "[OPTIONS]"; *p; p++) {
        fputc(*p, out);
        if (*p == '\n') fprintf(out, "       splsuite %s ", cmd->name);
    }
    fputc('\n', out);
    if (cmd->about) fprintf(out, "\n%s\n", cmd->about);
    int w = 0;
    char left[160];
    for (const struct spl_opt *o = cmd->opts; o->name; o++) {
        int n = left_text(o, left, sizeof left);
        if (!(o->flags & SPL_OPT_HIDDEN) && n > w) w = n;
    }
    if (w > 32) w = 32;
    if (!cmd->opts[0].group) fprintf(out, "\nOptions:\n");
    for (const struct spl_opt *o = cmd->opts; o->name; o++) {
        if (o->flags & SPL_OPT_HIDDEN) continue;
        if (o->group) fprintf(out, "\n%s:\n", o->group);
        int n = left_text(o, left, sizeof left);
        fprintf(out, "%s", left);
        if (n > w) fprintf(out, "\n%*s", w + 2, "");
        else fprintf(out, "%*s", w - n + 2, "");
        char tail[700] = "";
        size_t tl = 0;
        if (o->choices && o->type != SPL_OPT_CALL) {
            char all[512];
            names_text(o->choices, all, sizeof all);
            tl += (size_t)snprintf(tail + tl, sizeof tail - tl, "%s: %s", o->type == SPL_OPT_LIST ? "any of" : "one of", all);
        }
        if (o->def || o->def_help)
            snprintf(tail + tl, sizeof tail - tl, "%sdefault %s", tl ? "; " : "", o->def ? o->def : o->def_help);
        char help[2048];
        snprintf(help, sizeof help, "%s%s%s%s", o->help ? o->help : "", tail[0] ? " (" : "", tail, tail[0] ? ")" : "");
        print_wrapped(out, help, w + 2);
    }
    snprintf(left, sizeof left, "  -h, --help");
    fprintf(out, "%s%*sthis help\n", left, w - (int)strlen(left) + 2, "");
    if (cmd->examples) {
        fprintf(out, "\nExamples:\n");
        for (const char *p = cmd->examples; *p;) {
            const char *e = strchr(p, '\n');
            int n = e ? (int)(e - p) : (int)strlen(p);
            fprintf(out, "  %.*s\n", n, p);
            if (!e) break;
            p = e + 1;
        }
    }
    fprintf(out, "\nExit status:\n  0    %s\n  1    %s\n", cmd->exit_ok ? cmd->exit_ok : "success",
            cmd->exit_fail ? cmd->exit_fail : "a failure was found");
    if (cmd->exit_more) fprintf(out, "%s", cmd->exit_more);
    fprintf(out, "%s", spl_exit_status_common);
}

/* ---- parsing ---------------------------------------------------------------------------- */

enum { LIST_OPTIONS = 1000, HELP = 1001 };

int spl_opt_parse(const struct spl_cmd *cmd, int argc, char **argv, int *first)
{
    size_t n = 0;
    while (cmd->opts[n].name) n++;
    char err[600];
    for (size_t i = 0; i < n; i++) {
        const struct spl_opt *o = &cmd->opts[i];
        if (o->def && o->type != SPL_OPT_FLAG && set_value(o, o->def, err, sizeof err) != 0) {
            fprintf(stderr, "splsuite %s: internal error: the default of --%s, '%s': %s\n", cmd->name, o->name, o->def, err);
            abort();
        }
    }
    struct option *lo = calloc(n + 3, sizeof *lo);
    char *shorts = calloc(3 * n + 8, 1);
    if (!lo || !shorts) {
        free(lo), free(shorts);
        fprintf(stderr, "splsuite %s: out of memory\n", cmd->name);
        return SPL_EXIT_USAGE;
    }
    size_t sl = 0;
    if (cmd->operands_first) shorts[sl++] = '+';
    shorts[sl++] = ':'; /* a missing argument is told apart from an unknown option */
    bool h_taken = false;
    for (size_t i = 0; i < n; i++) {
        const struct spl_opt *o = &cmd->opts[i];
        lo[i] = (struct option){o->name, o->type == SPL_OPT_FLAG ? no_argument : required_argument, NULL, (int)(2000 + i)};
        if (o->key) {
            shorts[sl++] = (char)o->key;
            if (o->type != SPL_OPT_FLAG) shorts[sl++] = ':';
            h_taken |= o->key == 'h';
        }
    }
    lo[n] = (struct option){"help", no_argument, NULL, HELP};
    lo[n + 1] = (struct option){"list-options", no_argument, NULL, LIST_OPTIONS};
    if (!h_taken) shorts[sl++] = 'h';
    int rc = SPL_OPT_OK, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
        const struct spl_opt *o = NULL;
        if (c >= 2000 && c < 2000 + (int)n) o = &cmd->opts[c - 2000];
        for (size_t i = 0; !o && i < n; i++)
            if (cmd->opts[i].key && cmd->opts[i].key == c) o = &cmd->opts[i];
        if (o) {
            if (o->seen) *o->seen = true;
            if (set_value(o, o->type == SPL_OPT_FLAG ? "" : optarg, err, sizeof err) != 0) {
                rc = usage_line(cmd, "--%s '%s': %s", o->name, optarg, err);
                break;
            }
            continue;
        }
        if (c == HELP || (c == 'h' && !h_taken)) {
            spl_opt_help(cmd, stdout);
            rc = SPL_OPT_HELP;
            break;
        }
        if (c == LIST_OPTIONS) {
            list_options(cmd);
            rc = SPL_OPT_HELP;
            break;
        }
        const char *what = argv[optind - 1] ? argv[optind - 1] : "?";
        if (c == ':') {
            rc = usage_line(cmd, "%s needs a value", what);
        } else if (optopt >= 2000 && optopt < 2000 + (int)n) {
            rc = usage_line(cmd, "--%s takes no value", cmd->opts[optopt - 2000].name);
        } else if (optopt == HELP || optopt == LIST_OPTIONS) {
            rc = usage_line(cmd, "%s takes no value", optopt == HELP ? "--help" : "--list-options");
        } else {
            char shortopt[3] = {'-', (char)optopt, 0};
            rc = usage_line(cmd, "unknown option '%s'", optopt && what[1] != '-' ? shortopt : what);
        }
        break;
    }
    free(lo), free(shorts);
    *first = optind;
    return rc;
}
