/*
 * impl.c - dlopen an implementation, resolve its ABI, detect its backend.
 */
#include "impl.h"
#include "splref.h"

#include "splref_mutants.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef SPLSUITE_BUILD_LIBDIR
#define SPLSUITE_BUILD_LIBDIR ""
#endif
#ifndef SPLSUITE_INSTALL_LIBDIR
#define SPLSUITE_INSTALL_LIBDIR "/usr/local/lib"
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
    const char *mut = NULL;
    bool file = false;
    if (!strcmp(spec, "ref")) snprintf(path, len, "%s/libsplref.so", dir);
    else if (!strcmp(spec, "ref-file")) snprintf(path, len, "%s/libsplref_p.so", dir);
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
        snprintf(path, len, "%s/libsplref%s_mut_%s.so", dir, file ? "_p" : "", mut);
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

/* Which backend does create() use? A file build creates a regular file at a
 * path; a shm build refuses a name with inner slashes (EINVAL). */
static enum spl_backend detect_backend(struct spl_impl *im)
{
    if (im->ref_version) {
        const char *v = im->ref_version();
        if (v && strstr(v, "(file)")) return SPL_BACKEND_FILE;
        if (v && strstr(v, "(shm)")) return SPL_BACKEND_SHM;
    }
    if (!im->create || !im->close) return SPL_BACKEND_UNKNOWN;
    char path[128];
    snprintf(path, sizeof path, "/dev/shm/splsuite-probe-%d", (int)getpid());
    unlink(path);
    enum spl_backend be = SPL_BACKEND_UNKNOWN;
    if (im->create(path, 8, 64) == 0) {
        struct stat sb;
        be = stat(path, &sb) == 0 ? SPL_BACKEND_FILE : SPL_BACKEND_SHM;
        im->close();
        unlink(path);
    } else {
        be = SPL_BACKEND_SHM;
        char name[64];
        snprintf(name, sizeof name, "/splsuite-probe-%d", (int)getpid());
        shm_unlink(name);
        if (im->create(name, 8, 64) == 0) {
            im->close();
            shm_unlink(name);
        } else {
            be = SPL_BACKEND_UNKNOWN;
        }
    }
    return be;
}

int spl_impl_load(const char *spec, struct spl_impl *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    snprintf(out->spec, sizeof out->spec, "%s", spec);
    if (spl_impl_resolve(spec, out->path, sizeof out->path, err, errlen) != 0) return -1;
    out->dl = dlopen(out->path, RTLD_NOW | RTLD_LOCAL);
    if (!out->dl) {
        snprintf(err, errlen, "dlopen %s: %s", out->path, dlerror());
        return -1;
    }
#define SPL_RESOLVE(ret, name, args) *(void **)&out->name = dlsym(out->dl, "splinter_" #name);
    SPL_IMPL_FUNCS(SPL_RESOLVE)
#undef SPL_RESOLVE
    if (!out->set || !out->get || !out->create || !out->open || !out->close) {
        snprintf(err, errlen, "%s does not export the core splinter_* ABI (create/open/close/set/get)", out->path);
        dlclose(out->dl);
        out->dl = NULL;
        return -1;
    }
    if (strchr(spec, '/')) {
        const char *b = strrchr(out->path, '/');
        snprintf(out->label, sizeof out->label, "%s", b ? b + 1 : out->path);
    } else {
        snprintf(out->label, sizeof out->label, "%s", spec);
    }
    out->backend = detect_backend(out);
    if (out->backend == SPL_BACKEND_UNKNOWN) {
        snprintf(err, errlen, "%s: could not create a probe store with either backend", out->path);
        dlclose(out->dl);
        out->dl = NULL;
        return -1;
    }
    return 0;
}

void spl_impl_unload(struct spl_impl *im)
{
    if (im->dl) dlclose(im->dl);
    im->dl = NULL;
}

bool spl_impl_has(const struct spl_impl *im, const char *name)
{
    const void *const *fp = (const void *const *)&im->create;
    for (size_t i = 0; i < sizeof all_names / sizeof all_names[0]; i++)
        if (!strcmp(all_names[i], name)) return fp[i] != NULL;
    return false;
}

const char *spl_impl_missing(const struct spl_impl *im, const char *const *names)
{
    for (; *names; names++)
        if (!spl_impl_has(im, *names)) return *names;
    return NULL;
}

void spl_impl_store_name(const struct spl_impl *im, const char *tag, char *buf, size_t len)
{
    if (im->backend == SPL_BACKEND_FILE) {
        const char *tmp = getenv("TMPDIR");
        snprintf(buf, len, "%s/splsuite-%s-%d.spl", tmp && *tmp ? tmp : "/tmp", tag, (int)getpid());
    } else {
        snprintf(buf, len, "/splsuite-%s-%d", tag, (int)getpid());
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

uint64_t spl_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
    uint64_t v;
    __asm__ volatile("mrs %0, cntvct_el0" : "=r"(v));
    return v;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

uint64_t spl_impl_now(const struct spl_impl *im)
{
    return im->now ? im->now() : spl_ticks();
}
