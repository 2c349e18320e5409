/*
 * envelope.c - the "run" object of every --json document: suite build,
 * date, command line, machine, implementation files. Everything is read
 * from the kernel's own files (/proc, /sys, mountinfo) at render time, so
 * the envelope describes the machine the document was produced on.
 */
#include "envelope.h"
#include "fileid.h"
#include "impl.h"
#include "sha256.h"
#include "splsuite-commit.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef SPLSUITE_VERSION
#define SPLSUITE_VERSION "unknown"
#endif
#ifndef SPLSUITE_BUILDTYPE
#define SPLSUITE_BUILDTYPE "unknown"
#endif

/* ---- the suite build --------------------------------------------------------- */

/* SPLSUITE_GIT_DESCRIBE is `git describe --always --dirty=+dirty --abbrev=40`
 * of the source tree at build time (matching no tag: the bare commit). */
const char *spl_suite_commit(void)
{
    static char c[41];
    const char *d = SPLSUITE_GIT_DESCRIBE;
    size_t n = strspn(d, "0123456789abcdef");
    if (n != 40) return "unknown";
    memcpy(c, d, 40);
    c[40] = 0;
    return c;
}

bool spl_suite_dirty(void) { return strstr(SPLSUITE_GIT_DESCRIBE, "+dirty") != NULL; }

/* ---- small readers -------------------------------------------------------------- */

/* Whole small file into buf (NUL-terminated, trailing newline dropped); 0 or -1. */
static int slurp(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t off = 0;
    for (;;) {
        ssize_t r = read(fd, buf + off, len - 1 - off);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        off += (size_t)r;
        if (off == len - 1) break;
    }
    close(fd);
    buf[off] = 0;
    while (off && (buf[off - 1] == '\n' || buf[off - 1] == ' ')) buf[--off] = 0;
    return 0;
}

static json_object *jstr_or_null(const char *s) { return s && *s ? json_object_new_string(s) : NULL; }

/* ---- machine ------------------------------------------------------------------------ */

struct machine {
    char hostname[256], release[128], version[256], arch[64], cmdline[4096];
    char cpu_model[160], governor[64], thp[32];
    int logical, cores, sockets, numa_nodes;
    long long mem_bytes;
    long page_size;
};

static void cpu_model(char *out, size_t len)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    out[0] = 0;
    while (f && fgets(line, sizeof line, f)) {
        /* x86 "model name", arm64 has none (use "CPU part"?), others "cpu" */
        if (!strncmp(line, "model name", 10) || (!out[0] && !strncmp(line, "cpu\t", 4))) {
            char *c = strchr(line, ':');
            if (!c) continue;
            c++;
            while (*c == ' ' || *c == '\t') c++;
            c[strcspn(c, "\n")] = 0;
            snprintf(out, len, "%s", c);
            if (!strncmp(line, "model name", 10)) break;
        }
    }
    if (f) fclose(f);
}

/* Physical cores and sockets from sysfs topology: distinct (package, core) pairs. */
static void cpu_topology(int *cores, int *sockets)
{
    int pairs[1024][2], np = 0, pk[256], npk = 0;
    DIR *d = opendir("/sys/devices/system/cpu");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, "cpu", 3) || !isdigit((unsigned char)de->d_name[3])) continue;
        char p[300], v[32];
        int pkg = -1, core = -1;
        snprintf(p, sizeof p, "/sys/devices/system/cpu/%s/topology/physical_package_id", de->d_name);
        if (slurp(p, v, sizeof v) == 0) pkg = atoi(v);
        snprintf(p, sizeof p, "/sys/devices/system/cpu/%s/topology/core_id", de->d_name);
        if (slurp(p, v, sizeof v) == 0) core = atoi(v);
        if (pkg < 0 || core < 0) continue; /* offline CPUs have no topology */
        bool seen = false;
        for (int i = 0; i < np; i++) seen |= pairs[i][0] == pkg && pairs[i][1] == core;
        if (!seen && np < 1024) pairs[np][0] = pkg, pairs[np][1] = core, np++;
        seen = false;
        for (int i = 0; i < npk; i++) seen |= pk[i] == pkg;
        if (!seen && npk < 256) pk[npk++] = pkg;
    }
    if (d) closedir(d);
    *cores = np;
    *sockets = npk;
}

static int numa_node_count(void)
{
    DIR *d = opendir("/sys/devices/system/node");
    if (!d) return 1; /* a kernel without NUMA: one node */
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, "node", 4) && isdigit((unsigned char)de->d_name[4])) n++;
    closedir(d);
    return n ? n : 1;
}

static void probe_machine(struct machine *m)
{
    memset(m, 0, sizeof *m);
    gethostname(m->hostname, sizeof m->hostname - 1);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(m->release, sizeof m->release, "%s", u.release);
        snprintf(m->version, sizeof m->version, "%s", u.version);
        snprintf(m->arch, sizeof m->arch, "%s", u.machine);
    }
    slurp("/proc/cmdline", m->cmdline, sizeof m->cmdline);
    cpu_model(m->cpu_model, sizeof m->cpu_model);
    m->logical = (int)sysconf(_SC_NPROCESSORS_ONLN);
    cpu_topology(&m->cores, &m->sockets);
    if (m->cores <= 0) m->cores = m->logical;
    m->numa_nodes = numa_node_count();
    m->page_size = sysconf(_SC_PAGESIZE);
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kb;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %llu kB", &kb) == 1) { m->mem_bytes = (long long)kb * 1024; break; }
    if (f) fclose(f);
    slurp("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", m->governor, sizeof m->governor);
    char thp[128];
    if (slurp("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof thp) == 0) {
        char *a = strchr(thp, '['), *b = a ? strchr(a, ']') : NULL;
        if (a && b) snprintf(m->thp, sizeof m->thp, "%.*s", (int)(b - a - 1), a + 1);
    }
}

/* Mount containing path (longest mount point prefix in mountinfo): fs type, source, mount point. */
static void fs_of(const char *path, char *type, size_t tlen, char *src, size_t slen, char *mnt, size_t mlen)
{
    type[0] = src[0] = mnt[0] = 0;
    FILE *f = fopen("/proc/self/mountinfo", "r");
    if (!f) return;
    char line[4096];
    size_t best = 0;
    while (fgets(line, sizeof line, f)) {
        /* id parent maj:min root mountpoint options [optional...] - fstype source superopts */
        char mp[1024], fst[64], source[512];
        if (sscanf(line, "%*s %*s %*s %*s %1023s", mp) != 1) continue;
        char *sep = strstr(line, " - ");
        if (!sep || sscanf(sep + 3, "%63s %511s", fst, source) != 2) continue;
        /* mountinfo escapes space, tab, newline, backslash as \ooo */
        char un[1024];
        size_t k = 0;
        for (const char *p = mp; *p && k < sizeof un - 1; p++) {
            if (p[0] == '\\' && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3])) {
                un[k++] = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
                p += 3;
            } else {
                un[k++] = *p;
            }
        }
        un[k] = 0;
        size_t l = strlen(un);
        bool prefix = !strcmp(un, "/") || (!strncmp(path, un, l) && (path[l] == '/' || path[l] == 0));
        if (prefix && l >= best) {
            best = l;
            snprintf(type, tlen, "%s", fst);
            snprintf(src, slen, "%s", source);
            snprintf(mnt, mlen, "%s", un);
        }
    }
    fclose(f);
}

static json_object *store_dir_json(const char *dir)
{
    char rp[PATH_MAX], type[64], src[512], mnt[1024];
    const char *p = realpath(dir, rp) ? rp : dir;
    fs_of(p, type, sizeof type, src, sizeof src, mnt, sizeof mnt);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "path", json_object_new_string(p));
    json_object_object_add(o, "filesystem", jstr_or_null(type));
    json_object_object_add(o, "source", jstr_or_null(src));
    json_object_object_add(o, "mount_point", jstr_or_null(mnt));
    return o;
}

static json_object *machine_json(const struct spl_envelope *e)
{
    struct machine m;
    probe_machine(&m);
    /* Same hardware and host name = same machine, whichever kernel it boots:
     * comparing kernels on one machine is what history filters on. */
    char fp_src[1024], fp[65];
    snprintf(fp_src, sizeof fp_src, "%s|%s|%s|%d|%d|%lld|%d", m.hostname, m.arch, m.cpu_model, m.logical, m.cores,
             m.mem_bytes, m.numa_nodes);
    spl_sha256_hex(fp_src, strlen(fp_src), fp);
    fp[16] = 0;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "hostname", json_object_new_string(m.hostname));
    json_object_object_add(o, "fingerprint", json_object_new_string(fp));
    json_object *k = json_object_new_object();
    json_object_object_add(k, "release", json_object_new_string(m.release));
    json_object_object_add(k, "version", json_object_new_string(m.version));
    json_object_object_add(k, "cmdline", json_object_new_string(m.cmdline));
    json_object_object_add(o, "kernel", k);
    json_object_object_add(o, "arch", json_object_new_string(m.arch));
    json_object *c = json_object_new_object();
    json_object_object_add(c, "model", json_object_new_string(m.cpu_model));
    json_object_object_add(c, "logical_cpus", json_object_new_int(m.logical));
    json_object_object_add(c, "cores", json_object_new_int(m.cores));
    json_object_object_add(c, "sockets", json_object_new_int(m.sockets));
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        json_object_object_add(c, "allowed_cpus", json_object_new_int(CPU_COUNT(&set)));
    json_object_object_add(c, "scaling_governor", jstr_or_null(m.governor));
    json_object_object_add(o, "cpu", c);
    json_object_object_add(o, "numa_nodes", json_object_new_int(m.numa_nodes));
    json_object_object_add(o, "memory_bytes", json_object_new_int64(m.mem_bytes));
    json_object_object_add(o, "page_size", json_object_new_int64(m.page_size));
    json_object_object_add(o, "transparent_hugepage", jstr_or_null(m.thp));
    json_object *dirs = json_object_new_array();
    for (int i = 0; i < e->ndirs; i++) json_object_array_add(dirs, store_dir_json(e->dirs[i]));
    json_object_object_add(o, "store_dirs", dirs);
    return o;
}

/* ---- the envelope ------------------------------------------------------------------------ */

void spl_envelope_init(struct spl_envelope *e, const char *schema)
{
    memset(e, 0, sizeof *e);
    snprintf(e->schema, sizeof e->schema, "%s", schema);
    unsigned char u[16];
    if (getrandom(u, sizeof u, 0) != (ssize_t)sizeof u) {
        /* no entropy source: time and pid still make it unique enough here */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long long x[2] = {(unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec,
                                   (unsigned long long)getpid()};
        memcpy(u, x, sizeof u);
    }
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40); /* RFC 9562 version 4 */
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
    char h[33];
    spl_hex(u, 16, h);
    snprintf(e->run_id, sizeof e->run_id, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
    /* milliseconds: runs a second apart (a CI loop) must still sort in order */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    char sec[24];
    strftime(sec, sizeof sec, "%Y-%m-%dT%H:%M:%S", gmtime_r(&ts.tv_sec, &tm));
    snprintf(e->date, sizeof e->date, "%s.%03ldZ", sec, ts.tv_nsec / 1000000);
}

void spl_envelope_add_store_dir(struct spl_envelope *e, const char *dir)
{
    if (!dir || !*dir) return;
    char d[1024];
    struct stat sb;
    snprintf(d, sizeof d, "%s", dir);
    if (stat(d, &sb) != 0 || !S_ISDIR(sb.st_mode)) { /* a store file, or a name not yet created: its directory */
        char *s = strrchr(d, '/');
        if (s && s != d) *s = 0;
        else if (s) s[1] = 0;
        else snprintf(d, sizeof d, ".");
    }
    char rp[PATH_MAX];
    if (realpath(d, rp)) snprintf(d, sizeof d, "%s", rp);
    for (int i = 0; i < e->ndirs; i++)
        if (!strcmp(e->dirs[i], d)) return;
    if (e->ndirs < SPL_ENV_MAX_DIRS) snprintf(e->dirs[e->ndirs++], sizeof e->dirs[0], "%s", d);
}

int spl_envelope_add_impl(struct spl_envelope *e, const char *label, const char *spec, const char *path,
                          const char *backend)
{
    if (e->nimpls >= SPL_ENV_MAX_IMPLS) return -1;
    struct spl_env_impl *i = &e->impl[e->nimpls++];
    snprintf(i->label, sizeof i->label, "%s", label ? label : "");
    snprintf(i->spec, sizeof i->spec, "%s", spec ? spec : "");
    snprintf(i->path, sizeof i->path, "%s", path ? path : "");
    snprintf(i->backend, sizeof i->backend, "%s", backend ? backend : "");
    return 0;
}

int spl_envelope_add_spl_impl(struct spl_envelope *e, const struct spl_impl *im)
{
    const char *be = im->backend == SPL_BACKEND_FILE ? "file" : im->backend == SPL_BACKEND_SHM ? "shm" : NULL;
    if (im->backend == SPL_BACKEND_SHM) spl_envelope_add_store_dir(e, "/dev/shm");
    if (im->backend == SPL_BACKEND_FILE) {
        const char *t = getenv("TMPDIR");
        spl_envelope_add_store_dir(e, t && *t ? t : "/tmp");
    }
    return spl_envelope_add_impl(e, im->label, im->spec, im->path, be);
}

static json_object *impl_json(const struct spl_env_impl *i)
{
    struct spl_fileid id;
    int rc = spl_fileid_of(i->path, &id);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "label", json_object_new_string(i->label));
    json_object_object_add(o, "spec", json_object_new_string(i->spec));
    json_object_object_add(o, "path", json_object_new_string(id.path));
    json_object_object_add(o, "backend", jstr_or_null(i->backend));
    json_object_object_add(o, "size", rc == 0 ? json_object_new_int64((int64_t)id.size) : NULL);
    json_object_object_add(o, "sha256", jstr_or_null(id.sha256));
    json_object_object_add(o, "build_id", jstr_or_null(id.build_id));
    json_object_object_add(o, "soname", jstr_or_null(id.soname));
    if (rc != 0) json_object_object_add(o, "error", json_object_new_string(id.why));
    return o;
}

/* /proc/self/cmdline: the real argv of this process, whichever command runs. */
static json_object *cmdline_json(void)
{
    json_object *a = json_object_new_array();
    static char buf[65536];
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    size_t n = 0;
    if (fd >= 0) {
        ssize_t r;
        while (n < sizeof buf - 1 && (r = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += (size_t)r;
        close(fd);
    }
    buf[n] = 0;
    for (size_t i = 0; i < n; i += strlen(buf + i) + 1) json_object_array_add(a, json_object_new_string(buf + i));
    return a;
}

json_object *spl_envelope_run_json(const struct spl_envelope *e)
{
    json_object *r = json_object_new_object();
    json_object_object_add(r, "id", json_object_new_string(e->run_id));
    json_object *s = json_object_new_object();
    json_object_object_add(s, "name", json_object_new_string("splinter-suite"));
    json_object_object_add(s, "version", json_object_new_string(SPLSUITE_VERSION));
    json_object_object_add(s, "commit", json_object_new_string(spl_suite_commit()));
    json_object_object_add(s, "dirty", json_object_new_boolean(spl_suite_dirty()));
    json_object_object_add(s, "buildtype", json_object_new_string(SPLSUITE_BUILDTYPE));
#ifdef __clang__
    json_object_object_add(s, "compiler", json_object_new_string("clang " __clang_version__));
#else
    json_object_object_add(s, "compiler", json_object_new_string("gcc " __VERSION__));
#endif
    json_object_object_add(r, "suite", s);
    json_object_object_add(r, "date", json_object_new_string(e->date));
    json_object_object_add(r, "command_line", cmdline_json());
    /* the variables that change what a run loads or where it writes */
    static const char *const vars[] = {"LD_PRELOAD", "LD_LIBRARY_PATH", "SPLSUITE_LIBDIR", "TMPDIR"};
    json_object *env = json_object_new_object();
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) json_object_object_add(env, vars[i], json_object_new_string(getenv(vars[i])));
    json_object_object_add(r, "environment", env);
    json_object_object_add(r, "machine", machine_json(e));
    json_object *im = json_object_new_array();
    for (int i = 0; i < e->nimpls; i++) json_object_array_add(im, impl_json(&e->impl[i]));
    json_object_object_add(r, "implementations", im);
    return r;
}

json_object *spl_envelope_wrap(const struct spl_envelope *e, json_object *body)
{
    json_object *doc = json_object_new_object();
    json_object_object_add(doc, "schema", json_object_new_string(e->schema));
    json_object_object_add(doc, "run", spl_envelope_run_json(e));
    if (body) {
        json_object_object_foreach(body, k, v) {
            if (!strcmp(k, "schema") || !strcmp(k, "run")) continue; /* the envelope's own */
            json_object_object_add(doc, k, json_object_get(v));
        }
        json_object_put(body);
    }
    return doc;
}

const char *spl_envelope_schema_of(json_object *doc)
{
    json_object *s;
    if (!doc || !json_object_is_type(doc, json_type_object) || !json_object_object_get_ex(doc, "schema", &s) ||
        !json_object_is_type(s, json_type_string))
        return "";
    return json_object_get_string(s);
}

json_object *spl_envelope_run_of(json_object *doc)
{
    json_object *r;
    if (!doc || !json_object_is_type(doc, json_type_object) || !json_object_object_get_ex(doc, "run", &r) ||
        !json_object_is_type(r, json_type_object))
        return NULL;
    return r;
}
