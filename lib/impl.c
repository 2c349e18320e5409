/*
 * impl.c - resolve an implementation, probe it in a child, attach it in children.
 */
#include "impl.h"

#include "splref.h" /* SPLINTER_FLUSH_STRATEGY_NAMES */
#include "splref_mutants.h"
#include "proc.h"
#include "util.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#ifndef SPLSUITE_BUILD_LIBDIR
#define SPLSUITE_BUILD_LIBDIR ""
#endif
#ifndef SPLSUITE_INSTALL_LIBDIR
#define SPLSUITE_INSTALL_LIBDIR "/usr/local/lib"
#endif
#ifndef SPLSUITE_INSTALL_MUTDIR
#define SPLSUITE_INSTALL_MUTDIR SPLSUITE_INSTALL_LIBDIR "/splinter-suite/mutants"
#endif
#ifndef SPLSUITE_REF_SOVERSION
#define SPLSUITE_REF_SOVERSION "0"
#endif

const struct spl_mutant spl_mutants[] = {
#define SPL_MUT_ROW(id, name, catcher, what) {id, #name, catcher, what},
    SPLREF_MUTANTS(SPL_MUT_ROW)
#undef SPL_MUT_ROW
};
const size_t spl_nmutants = sizeof spl_mutants / sizeof spl_mutants[0];

static bool file_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

const char *spl_impl_libdir(void)
{
    const char *env = getenv("SPLSUITE_LIBDIR");
    if (env && *env) return env;
    static char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s/libsplref.so", SPLSUITE_BUILD_LIBDIR);
    if (SPLSUITE_BUILD_LIBDIR[0] && file_exists(probe)) return SPLSUITE_BUILD_LIBDIR;
    return SPLSUITE_INSTALL_LIBDIR;
}

int spl_impl_resolve(const char *spec, char *path, size_t len, char *err, size_t errlen)
{
    const char *dir = spl_impl_libdir();
    /* Installed, the reference is found by its SONAME (the bare .so link
     * belongs to the -dev package) and the mutants in the suite's own
     * directory; in the build tree (or $SPLSUITE_LIBDIR) everything is in one. */
    bool installed = !strcmp(dir, SPLSUITE_INSTALL_LIBDIR) && !getenv("SPLSUITE_LIBDIR");
    const char *so = installed ? ".so." SPLSUITE_REF_SOVERSION : ".so";
    const char *mutdir = installed ? SPLSUITE_INSTALL_MUTDIR : dir;
    const char *mut = NULL;
    bool file = false;
    if (!strcmp(spec, "ref")) snprintf(path, len, "%s/libsplref%s", dir, so);
    else if (!strcmp(spec, "ref-file")) snprintf(path, len, "%s/libsplref_p%s", dir, so);
    else if (!strncmp(spec, "mut:", 4)) mut = spec + 4;
    else if (!strncmp(spec, "mut-file:", 9)) mut = spec + 9, file = true;
    else {
        if (strchr(spec, '/') == NULL && !file_exists(spec)) {
            snprintf(err, errlen, "unknown implementation '%s' (use ref, ref-file, mut:NAME, or a path to a .so)", spec);
            return -1;
        }
        if (!realpath(spec, path)) {
            snprintf(err, errlen, "%s: %s", spec, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (mut) {
        bool known = false;
        for (size_t i = 0; i < spl_nmutants; i++) known |= !strcmp(spl_mutants[i].name, mut);
        if (!known) {
            snprintf(err, errlen, "unknown mutant '%s' (splsuite conform --list-mutants)", mut);
            return -1;
        }
        snprintf(path, len, "%s/libsplref%s_mut_%s.so", mutdir, file ? "_p" : "", mut);
    }
    if (!file_exists(path)) {
        snprintf(err, errlen, "%s: not built (%s): build the suite first, or set SPLSUITE_LIBDIR", spec, path);
        return -1;
    }
    return 0;
}

static const char *const all_names[] = {
#define SPL_NAME(ret, name, args) #name,
    SPL_IMPL_FUNCS(SPL_NAME)
#undef SPL_NAME
};
#define NFUNCS (sizeof all_names / sizeof all_names[0])

/* The function pointers of a struct spl_impl, in SPL_IMPL_FUNCS order. */
static void (**fn_slots(struct spl_impl *im))(void) { return (void (**)(void))(void *)&im->create; }

/* What a function pointer holds in a process that has not attached: calling
 * it is a bug of the suite (the implementation would run in the orchestrator). */
static void not_attached(void)
{
    static const char m[] = "splsuite: internal error: an implementation function was called in a process that "
                            "has not attached the library (spl_impl_attach); the implementation runs only in children\n";
    if (write(STDERR_FILENO, m, sizeof m - 1) < 0) {}
    abort();
}

/* dlopen path here and resolve every splinter_* symbol. NULL, err set, on failure. */
static void *open_and_resolve(const char *path, struct spl_impl *im, char *err, size_t errlen)
{
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        snprintf(err, errlen, "dlopen %s: %s", path, dlerror());
        return NULL;
    }
    void (**fp)(void) = fn_slots(im);
    for (size_t i = 0; i < NFUNCS; i++) {
        char sym[64];
        snprintf(sym, sizeof sym, "splinter_%s", all_names[i]);
        void *a = dlsym(dl, sym);
        memcpy(&fp[i], &a, sizeof a);
    }
    return dl;
}

static const char *const core_names[] = {"create", "open", "close", "set", "get", NULL};

static void set_label(struct spl_impl *out, const char *spec)
{
    if (strchr(spec, '/')) {
        const char *b = strrchr(out->path, '/');
        snprintf(out->label, sizeof out->label, "%s", b ? b + 1 : out->path);
    } else {
        snprintf(out->label, sizeof out->label, "%s", spec);
    }
}

/* ---- the probe child ------------------------------------------------------- */

/* How a probe ended: the implementation is unusable here through no fault of
 * its own (bad spec, not the ABI, the machine), or it is at fault. */
enum { PROBE_PENDING = -1, PROBE_OK = 0, PROBE_UNUSABLE, PROBE_BROKEN };

/* Shared between the orchestrator and the probe child. */
struct probe {
    char path[4096];
    char file_name[4096]; /* a file-store path in the store directory */
    char shm_name[64];
    int code;             /* PROBE_PENDING until the child finishes */
    char stage[96];       /* what the child was doing: where a crash or hang happened */
    char err[512];
    int create_errno;     /* errno of a failing create, for the environment diagnosis */
    bool create_file;     /* that create was of the file store */
    unsigned char has[NFUNCS];
    int backend;
    uint64_t tps;
    size_t slot_size;
    char version[128];
};


static void stage(struct probe *p, const char *what) { snprintf(p->stage, sizeof p->stage, "%s", what); }

static void remove_probe_stores(const struct probe *p)
{
    unlink(p->file_name);
    shm_unlink(p->shm_name);
}

static int probe_create(struct probe *p, struct spl_impl *im, const char *name, bool file, size_t slots)
{
    stage(p, "splinter_create");
    p->create_file = file;
    errno = 0;
    int rc = im->create(name, slots, 64);
    if (rc != 0) {
        p->create_errno = errno;
        return rc;
    }
    stage(p, "splinter_close");
    im->close();
    return 0;
}

/* Which backend does create() use? A file build creates a regular file at a
 * path; a shm build refuses a name with inner slashes (EINVAL). */
static int probe_backend(struct probe *p, struct spl_impl *im)
{
    if (strstr(p->version, "(file)")) return SPL_BACKEND_FILE;
    if (strstr(p->version, "(shm)")) return SPL_BACKEND_SHM;
    remove_probe_stores(p);
    if (probe_create(p, im, p->file_name, true, 8) == 0) {
        struct stat sb;
        int be = stat(p->file_name, &sb) == 0 && S_ISREG(sb.st_mode) ? SPL_BACKEND_FILE : SPL_BACKEND_SHM;
        remove_probe_stores(p);
        return be;
    }
    int e1 = errno;
    if (probe_create(p, im, p->shm_name, false, 8) == 0) {
        remove_probe_stores(p);
        return SPL_BACKEND_SHM;
    }
    snprintf(p->err, sizeof p->err, "splinter_create failed both with a file path (%s: %s) and with a shm name (%s: %s)",
             p->file_name, strerror(e1), p->shm_name, strerror(errno));
    return SPL_BACKEND_UNKNOWN;
}

static int probe_child(void *arg, char *msg)
{
    (void)msg;
    struct probe *p = arg;
    struct spl_impl im;
    memset(&im, 0, sizeof im);
    stage(p, "loading the library (dlopen and its constructors)");
    if (!open_and_resolve(p->path, &im, p->err, sizeof p->err)) {
        p->code = PROBE_UNUSABLE;
        return 0;
    }
    void (**fp)(void) = fn_slots(&im);
    for (size_t i = 0; i < NFUNCS; i++) p->has[i] = fp[i] != NULL;
    const char *miss = spl_impl_missing(&im, core_names);
    if (miss) {
        snprintf(p->err, sizeof p->err, "%s does not export the core splinter_* ABI (no splinter_%s)", p->path, miss);
        p->code = PROBE_UNUSABLE;
        return 0;
    }
    if (im.ref_version) {
        stage(p, "splinter_ref_version");
        const char *v = im.ref_version();
        snprintf(p->version, sizeof p->version, "%s", v ? v : "");
    }
    p->backend = probe_backend(p, &im);
    if (p->backend == SPL_BACKEND_UNKNOWN) {
        p->code = PROBE_BROKEN;
        return 0;
    }
    /* bytes per slot, from the size of a 16-slot store with 64-byte values */
    bool file = p->backend == SPL_BACKEND_FILE;
    const char *name = file ? p->file_name : p->shm_name;
    char path[4200];
    if (file) snprintf(path, sizeof path, "%s", name);
    else snprintf(path, sizeof path, "/dev/shm/%s", name + 1);
    remove_probe_stores(p);
    if (probe_create(p, &im, name, file, 16) != 0) {
        snprintf(p->err, sizeof p->err, "splinter_create(%s, 16, 64) failed: %s", name, strerror(p->create_errno));
        p->code = PROBE_BROKEN;
        return 0;
    }
    struct stat sb;
    if (stat(path, &sb) == 0 && (size_t)sb.st_size > SPLINTER_HEADER_SIZE + 16 * 64)
        p->slot_size = ((size_t)sb.st_size - SPLINTER_HEADER_SIZE) / 16 - 64;
    remove_probe_stores(p);
    stage(p, "splinter_now");
    uint64_t t0 = spl_time_ns(), c0 = spl_impl_now(&im);
    spl_sleep_ns(20000000);
    uint64_t t1 = spl_time_ns(), c1 = spl_impl_now(&im);
    double tps = (double)(c1 - c0) * 1e9 / (double)(t1 - t0);
    p->tps = tps < 1000 ? 1000 : (uint64_t)tps;
    stage(p, "unloading the library (its destructors)");
    p->code = PROBE_OK;
    return 0;
}

static uint64_t probe_timeout_ns(void)
{
    uint64_t ns = 10ull * 1000000000ull;
    const char *e = getenv("SPLSUITE_PROBE_TIMEOUT");
    if (e && *e && spl_parse_duration(e, &ns) != 0) ns = 10ull * 1000000000ull;
    return ns ? ns : 1;
}

/* A create that failed (or a SIGBUS while writing a new store) because of the
 * directory is the environment's problem, not the implementation's. */
static const char *env_problem(const struct probe *p, char *buf, size_t len)
{
    const char *dir = p->create_file ? spl_store_dir() : "/dev/shm";
    return spl_store_dir_problem(dir, 64 * 1024, buf, len);
}

static int run_probe(struct spl_impl *out, char *err, size_t errlen)
{
    struct probe *p = spl_shared_alloc(sizeof *p);
    if (!p) {
        snprintf(err, errlen, "shared memory for the probe: %s", strerror(errno));
        return PROBE_BROKEN;
    }
    snprintf(p->path, sizeof p->path, "%s", out->path);
    snprintf(p->file_name, sizeof p->file_name, "%s/%s-probe-%d.spl", spl_store_dir(), spl_store_prefix(), (int)getpid());
    snprintf(p->shm_name, sizeof p->shm_name, "/%s-probe-%d", spl_store_prefix(), (int)getpid());
    p->code = PROBE_PENDING;
    struct spl_child_result cr;
    int rc = spl_child_run(probe_child, p, probe_timeout_ns(), &cr);
    char why[320], sig[32];
    const char *envp;
    if (rc != 0) {
        snprintf(err, errlen, "cannot fork the probe of %s: %s", out->path, strerror(errno));
        rc = PROBE_BROKEN;
    } else if (cr.timed_out) {
        snprintf(err, errlen, "the implementation hung in %s during the probe (killed after %.1f s)", p->stage, cr.secs);
        rc = PROBE_BROKEN;
    } else if (cr.signal) {
        if ((cr.signal == SIGBUS || cr.signal == SIGSEGV) && (envp = env_problem(p, why, sizeof why)))
            snprintf(err, errlen, "%s: the implementation died of %s in %s during the probe", envp,
                     spl_signame(cr.signal, sig, sizeof sig), p->stage);
        else
            snprintf(err, errlen, "the implementation crashed in %s during the probe: %s", p->stage,
                     spl_signame(cr.signal, sig, sizeof sig));
        rc = (cr.signal == SIGBUS || cr.signal == SIGSEGV) && env_problem(p, why, sizeof why) ? PROBE_UNUSABLE : PROBE_BROKEN;
    } else if (p->code == PROBE_PENDING || cr.code != 0) {
        snprintf(err, errlen, "the implementation ended the probe process (exit status %d) in %s", cr.code, p->stage);
        rc = PROBE_BROKEN;
    } else if (p->code != 0) {
        if (p->code == PROBE_BROKEN && p->create_errno && (envp = env_problem(p, why, sizeof why))) {
            snprintf(err, errlen, "%s (%s)", envp, p->err);
            rc = PROBE_UNUSABLE;
        } else {
            snprintf(err, errlen, "%s%s", p->code == PROBE_BROKEN ? "the implementation failed the probe: " : "", p->err);
            rc = p->code;
        }
    } else {
        void (**fp)(void) = fn_slots(out);
        void (*guard)(void) = not_attached;
        for (size_t i = 0; i < NFUNCS; i++) fp[i] = p->has[i] ? guard : NULL;
        out->backend = (enum spl_backend)p->backend;
        out->tps = p->tps;
        out->slot_size = p->slot_size;
        snprintf(out->version, sizeof out->version, "%s", p->version);
        out->probe_secs = cr.secs;
        rc = 0;
    }
    remove_probe_stores(p); /* whatever the child left behind */
    spl_shared_free(p, sizeof *p);
    return rc;
}

/* ---- loading, attaching ------------------------------------------------------ */

static struct spl_impl *loaded[16];

int spl_impl_load(const char *spec, struct spl_impl *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    snprintf(out->spec, sizeof out->spec, "%s", spec);
    if (spl_impl_resolve(spec, out->path, sizeof out->path, err, errlen) != 0) return -1;
    set_label(out, spec);
    int rc = run_probe(out, err, errlen);
    if (rc != PROBE_OK) {
        out->at_fault = rc == PROBE_BROKEN;
        return -1;
    }
    out->loader = getpid();
    for (size_t i = 0; i < sizeof loaded / sizeof loaded[0]; i++)
        if (!loaded[i]) {
            loaded[i] = out;
            break;
        }
    return 0;
}

int spl_impl_load_here(const char *spec, struct spl_impl *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    snprintf(out->spec, sizeof out->spec, "%s", spec);
    if (spl_impl_resolve(spec, out->path, sizeof out->path, err, errlen) != 0) return -1;
    set_label(out, spec);
    if (!(out->dl = open_and_resolve(out->path, out, err, errlen))) return -1;
    const char *miss = spl_impl_missing(out, core_names);
    if (miss) {
        snprintf(err, errlen, "%s does not export the core splinter_* ABI (no splinter_%s)", out->path, miss);
        dlclose(out->dl);
        out->dl = NULL;
        return -1;
    }
    if (out->ref_version) snprintf(out->version, sizeof out->version, "%s", out->ref_version());
    out->backend = strstr(out->version, "(file)") ? SPL_BACKEND_FILE : SPL_BACKEND_SHM;
    return 0;
}

int spl_impl_attach(struct spl_impl *im, char *err, size_t errlen)
{
    if (im->dl) return 0;
    if (im->loader == getpid()) {
        fprintf(stderr, "splsuite: internal error: spl_impl_attach(%s) in the orchestrator; the implementation runs "
                        "only in children\n", im->label);
        abort();
    }
    struct spl_impl tmp = *im;
    void *dl = open_and_resolve(im->path, &tmp, err, errlen);
    if (!dl) return -1;
    void (**was)(void) = fn_slots(im), (**now)(void) = fn_slots(&tmp);
    for (size_t i = 0; i < NFUNCS; i++)
        if ((was[i] != NULL) != (now[i] != NULL)) {
            snprintf(err, errlen, "%s changed since it was probed (splinter_%s %s)", im->path, all_names[i],
                     now[i] ? "appeared" : "vanished");
            dlclose(dl);
            return -1;
        }
    memcpy(fn_slots(im), fn_slots(&tmp), NFUNCS * sizeof *was);
    im->dl = dl;
    return 0;
}

int spl_impl_attach_loaded(char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof loaded / sizeof loaded[0]; i++)
        if (loaded[i] && spl_impl_attach(loaded[i], err, errlen) != 0) return -1;
    return 0;
}

void spl_impl_unload(struct spl_impl *im)
{
    for (size_t i = 0; i < sizeof loaded / sizeof loaded[0]; i++)
        if (loaded[i] == im) loaded[i] = NULL;
    if (im->dl) dlclose(im->dl);
    im->dl = NULL;
}

bool spl_impl_has(const struct spl_impl *im, const char *name)
{
    void (**fp)(void) = fn_slots((struct spl_impl *)im);
    for (size_t i = 0; i < NFUNCS; i++)
        if (!strcmp(all_names[i], name)) return fp[i] != NULL;
    return false;
}

const char *spl_impl_missing(const struct spl_impl *im, const char *const *names)
{
    for (; *names; names++)
        if (!spl_impl_has(im, *names)) return *names;
    return NULL;
}

/* ---- where stores go ----------------------------------------------------------- */

static char store_dir[4096];

const char *spl_store_dir(void)
{
    if (store_dir[0]) return store_dir;
    const char *tmp = getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

const char *spl_impl_env_problem(const struct spl_impl *im, uint64_t need, char *buf, size_t len)
{
    return spl_store_dir_problem(im->backend == SPL_BACKEND_FILE ? spl_store_dir() : "/dev/shm", need, buf, len);
}

const char *spl_store_prefix(void)
{
    const char *p = getenv("SPLSUITE_STORE_PREFIX");
    /* one path component, so it can start both a shm name and a file name */
    return p && *p && !strchr(p, '/') && strlen(p) < 64 ? p : "splsuite";
}

void spl_set_store_dir(const char *dir) { snprintf(store_dir, sizeof store_dir, "%s", dir ? dir : ""); }

const char *spl_store_dir_problem(const char *dir, uint64_t need, char *buf, size_t len)
{
    struct stat sb;
    struct statvfs vf;
    if (stat(dir, &sb) != 0) snprintf(buf, len, "the store directory %s: %s", dir, strerror(errno));
    else if (!S_ISDIR(sb.st_mode)) snprintf(buf, len, "the store directory %s is not a directory", dir);
    else if (statvfs(dir, &vf) == 0 && (vf.f_flag & ST_RDONLY))
        snprintf(buf, len, "the store directory %s is on a read-only filesystem", dir);
    else if (access(dir, W_OK | X_OK) != 0)
        snprintf(buf, len, "no permission to create stores in %s (%s)", dir, strerror(errno));
    else if (statvfs(dir, &vf) == 0 && (uint64_t)vf.f_bavail * vf.f_frsize < need)
        snprintf(buf, len, "the store directory %s is full (%llu bytes free)", dir,
                 (unsigned long long)vf.f_bavail * vf.f_frsize);
    else if (statvfs(dir, &vf) == 0 && vf.f_files && vf.f_favail == 0)
        snprintf(buf, len, "the store directory %s has no free inodes", dir);
    else return NULL;
    return buf;
}

void spl_impl_store_name(const struct spl_impl *im, const char *tag, char *buf, size_t len)
{
    if (im->backend == SPL_BACKEND_FILE) {
        snprintf(buf, len, "%s/%s-%s-%d.spl", spl_store_dir(), spl_store_prefix(), tag, (int)getpid());
    } else {
        snprintf(buf, len, "/%s-%s-%d", spl_store_prefix(), tag, (int)getpid());
    }
}

void spl_impl_store_remove(const struct spl_impl *im, const char *name)
{
    if (im->backend == SPL_BACKEND_FILE) unlink(name);
    else shm_unlink(name);
}

void spl_impl_store_path(const struct spl_impl *im, const char *name, char *buf, size_t len)
{
    if (im->backend == SPL_BACKEND_FILE) snprintf(buf, len, "%s", name);
    else snprintf(buf, len, "/dev/shm/%s", name[0] == '/' ? name + 1 : name);
}

/* The suite never links the reference into its own process: the names come
 * from the public header, not from libsplref's splinter_flush_strategy_name. */
static const char *const flush_names[] = SPLINTER_FLUSH_STRATEGY_NAMES;
const int spl_flush_nstrategies = (int)(sizeof flush_names / sizeof flush_names[0]);

const char *spl_flush_strategy_name(int strategy)
{
    return strategy >= 0 && strategy < spl_flush_nstrategies ? flush_names[strategy] : NULL;
}

int spl_flush_strategy_parse(const char *name)
{
    for (int i = 0; name && i < spl_flush_nstrategies; i++)
        if (strcmp(name, flush_names[i]) == 0) return i;
    return -1;
}

/* the public header's inline clock: no symbol of any implementation */
uint64_t spl_ticks(void) { return splinter_now(); }

uint64_t spl_impl_now(const struct spl_impl *im)
{
    return im->now ? im->now() : spl_ticks();
}
