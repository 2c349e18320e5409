/*
 * kernel.c - the kernel the lab boots. By default Debian's own packaged
 * kernel (linux-image-amd64's current dependency), fetched with apt-get
 * download, unpacked with dpkg -x (never installed into /boot), depmod'ed,
 * and cached per package version so a second run downloads nothing. The
 * uncompressed vmlinux is cut out of the vmlinuz because QEMU boots it through
 * the PVH entry in half the time. Any other bzImage/vmlinux is taken as given:
 * that is the kernel-evaluation use.
 */
#include "lab.h"
#include "proc.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEBIAN_META "linux-image-amd64"

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* The only subdirectory of root/lib/modules: the kernel release. */
static int find_release(const char *root, char *rel, size_t sz)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/lib/modules", root);
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    int found = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(rel, sz, "%s", e->d_name);
        found++;
    }
    closedir(d);
    return found == 1 ? 0 : -1;
}

/* Cuts the xz-compressed payload out of a bzImage and decompresses it: the
 * result is the ELF vmlinux with the PVH note QEMU's -kernel can enter. */
static int extract_vmlinux(const char *vmlinuz, const char *out)
{
    int fd = open(vmlinuz, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 1024) { close(fd); return -1; }
    unsigned char *buf = malloc((size_t)st.st_size);
    ssize_t got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (got != st.st_size) { free(buf); return -1; }
    static const unsigned char magic[] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
    unsigned char *m = memmem(buf, (size_t)got, magic, sizeof magic);
    if (!m) { free(buf); return -1; }
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.xz", out);
    FILE *f = fopen(tmp, "wb");
    size_t len = (size_t)(buf + got - m);
    bool ok = f && fwrite(m, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = false;
    free(buf);
    if (!ok) { unlink(tmp); return -1; }
    /* The payload is followed by padding and trailer bytes: one stream only. */
    char *argv[] = {"xz", "-dc", "--single-stream", "-q", tmp, NULL};
    int rc = lab_spawn_wait(argv, NULL, out, false);
    unlink(tmp);
    /* xz may complain about the trailing garbage (status 1/2) yet write the whole stream. */
    unsigned char elf[4] = {0};
    int ofd = open(out, O_RDONLY | O_CLOEXEC);
    if (ofd >= 0) {
        if (read(ofd, elf, 4) != 4) elf[0] = 0;
        close(ofd);
    }
    if (rc < 0 || memcmp(elf, "\177ELF", 4) != 0) { unlink(out); return -1; }
    return 0;
}

/* "Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2)" of the metapackage: one
 * apt-cache call (each costs a second or more loading the package cache). */
static int debian_current(char *pkg, size_t psz, char *ver, size_t vsz)
{
    char out[16384];
    char *a1[] = {"apt-cache", "show", "--no-all-versions", DEBIAN_META, NULL};
    if (lab_spawn_capture(a1, out, sizeof out) != 0) return -1;
    char *p = strstr(out, "\nDepends: linux-image-");
    if (!p) return -1;
    p += strlen("\nDepends: ");
    size_t n = strcspn(p, " ,\n");
    snprintf(pkg, psz, "%.*s", (int)n, p);
    p += n;
    if (strncmp(p, " (= ", 4) == 0) {
        p += 4;
        n = strcspn(p, ")\n");
        snprintf(ver, vsz, "%.*s", (int)n, p);
        return 0;
    }
    char *a2[] = {"apt-cache", "show", "--no-all-versions", pkg, NULL};
    if (lab_spawn_capture(a2, out, sizeof out) != 0) return -1;
    const char *v = strstr(out, "\nVersion: ");
    if (v) v += strlen("\nVersion: ");
    else if (strncmp(out, "Version: ", 9) == 0) v = out + strlen("Version: "); /* first line: no '\n' before it */
    if (!v) return -1;
    n = strcspn(v, "\n");
    snprintf(ver, vsz, "%.*s", (int)n, v);
    return 0;
}

/* Newest complete entry of the cache: used when apt cannot be asked. */
static int newest_cached(const char *base, char *name, size_t sz)
{
    DIR *d = opendir(base);
    if (!d) return -1;
    struct dirent *e;
    time_t best = 0;
    int found = -1;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char stamp[PATH_MAX];
        snprintf(stamp, sizeof stamp, "%s/%s/ready", base, e->d_name);
        struct stat st;
        if (stat(stamp, &st) == 0 && st.st_mtime >= best) {
            best = st.st_mtime;
            snprintf(name, sz, "%s", e->d_name);
            found = 0;
        }
    }
    closedir(d);
    return found;
}

static void sanitize(char *s)
{
    for (; *s; s++)
        if (*s == '/' || *s == ':' || *s == ' ') *s = '_';
}

static int fetch_debian(const char *base, const char *entry, const char *pkg, const char *ver, bool verbose)
{
    char tmp[PATH_MAX], root[PATH_MAX], final[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/.fetch-%d", base, (int)getpid());
    snprintf(final, sizeof final, "%s/%s", base, entry);
    lab_rm_rf(tmp);
    if (spl_mkdir_p(tmp, 0755) != 0) {
        spl_err("lab", "cannot create %s: %s", tmp, strerror(errno));
        return SPL_EXIT_FAIL;
    }
    fprintf(stderr, "splsuite lab: fetching %s %s with apt-get download (once; cached in %s)\n", pkg, ver, base);
    char spec[256];
    snprintf(spec, sizeof spec, "%s=%s", pkg, ver);
    /* As root apt drops to its _apt user, who cannot write into a private cache. */
    char *dl[] = {"apt-get", "download", "-q", "-o", geteuid() == 0 ? "APT::Sandbox::User=root" : "Debug::NoLocking=0",
                  spec, NULL};
    /* apt-get download writes into its working directory. */
    if (lab_spawn_wait(dl, tmp, NULL, verbose) != 0) {
        lab_rm_rf(tmp);
        spl_err("lab", "apt-get download %s failed (is the Debian archive reachable? 'apt-get update' may help); "
                       "or give --kernel PATH", spec);
        return SPL_EXIT_SKIP;
    }
    char deb[PATH_MAX] = "";
    DIR *d = opendir(tmp);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".deb")) snprintf(deb, sizeof deb, "%s/%s", tmp, e->d_name);
    if (d) closedir(d);
    snprintf(root, sizeof root, "%s/root", tmp);
    char *x[] = {"dpkg", "-x", deb, root, NULL};
    if (!deb[0] || lab_spawn_wait(x, NULL, NULL, verbose) != 0) {
        lab_rm_rf(tmp);
        spl_err("lab", "unpacking %s with dpkg -x failed", deb[0] ? deb : "the downloaded package");
        return SPL_EXIT_FAIL;
    }
    unlink(deb); /* the unpacked tree is what the cache keeps */
    char rel[128];
    if (find_release(root, rel, sizeof rel) != 0) {
        lab_rm_rf(tmp);
        spl_err("lab", "%s has no single lib/modules/<release> directory", pkg);
        return SPL_EXIT_FAIL;
    }
    /* The .deb ships no modules.dep: maintainer scripts make it on install. */
    char *dm[] = {"depmod", "-b", root, rel, NULL};
    if (lab_spawn_wait(dm, NULL, NULL, verbose) != 0) {
        lab_rm_rf(tmp);
        spl_err("lab", "depmod -b %s %s failed (install kmod)", root, rel);
        return SPL_EXIT_FAIL;
    }
    char vmlinuz[PATH_MAX], vmlinux[PATH_MAX];
    snprintf(vmlinuz, sizeof vmlinuz, "%s/boot/vmlinuz-%s", root, rel);
    snprintf(vmlinux, sizeof vmlinux, "%s/vmlinux", tmp);
    if (!is_file(vmlinuz)) {
        lab_rm_rf(tmp);
        spl_err("lab", "%s has no boot/vmlinuz-%s", pkg, rel);
        return SPL_EXIT_FAIL;
    }
    if (extract_vmlinux(vmlinuz, vmlinux) != 0)
        fprintf(stderr, "splsuite lab: could not extract vmlinux from %s; booting the bzImage (slower)\n", vmlinuz);
    char stamp[PATH_MAX];
    snprintf(stamp, sizeof stamp, "%s/ready", tmp);
    FILE *f = fopen(stamp, "w");
    if (f) {
        fprintf(f, "%s %s %s\n", pkg, ver, rel);
        fclose(f);
    }
    lab_rm_rf(final);
    if (rename(tmp, final) != 0) {
        spl_err("lab", "cannot move %s to %s: %s", tmp, final, strerror(errno));
        lab_rm_rf(tmp);
        return SPL_EXIT_FAIL;
    }
    return SPL_EXIT_OK;
}

static int resolve_debian(const char *cache_dir, bool verbose, struct lab_kernel *k)
{
    char base[PATH_MAX];
    snprintf(base, sizeof base, "%s/debian", cache_dir);
    if (spl_mkdir_p(base, 0755) != 0) {
        spl_err("lab", "cannot create the kernel cache %s: %s (choose another with --cache DIR)", base,
                strerror(errno));
        return SPL_EXIT_FAIL;
    }
    char lockp[PATH_MAX];
    snprintf(lockp, sizeof lockp, "%s/.lock", base);
    int lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock >= 0) flock(lock, LOCK_EX); /* two labs starting at once fetch once */

    char pkg[160] = "", ver[96] = "", entry[300];
    int rc = SPL_EXIT_OK;
    /* apt's answer can only change with its package lists: remembered until they do. */
    char memo[PATH_MAX];
    snprintf(memo, sizeof memo, "%s/current", base);
    struct stat ms, ls;
    bool fresh = stat(memo, &ms) == 0 && stat("/var/lib/apt/lists", &ls) == 0 && ls.st_mtime < ms.st_mtime;
    FILE *mf = fresh ? fopen(memo, "r") : NULL;
    bool asked = false;
    if (mf) {
        asked = fscanf(mf, "%159s %95s", pkg, ver) == 2;
        fclose(mf);
    }
    if (!asked && debian_current(pkg, sizeof pkg, ver, sizeof ver) == 0) {
        asked = true;
        mf = fopen(memo, "w");
        if (mf) {
            fprintf(mf, "%s %s\n", pkg, ver);
            fclose(mf);
        }
    }
    if (asked) {
        snprintf(entry, sizeof entry, "%s_%s", pkg, ver);
        sanitize(entry);
        char stamp[PATH_MAX];
        snprintf(stamp, sizeof stamp, "%s/%s/ready", base, entry);
        if (!is_file(stamp)) {
            rc = fetch_debian(base, entry, pkg, ver, verbose);
            k->downloaded = rc == SPL_EXIT_OK;
        }
    } else if (newest_cached(base, entry, sizeof entry) != 0) {
        spl_err("lab", "cannot ask apt which Debian kernel is current (no apt-cache, or no package lists) and "
                       "nothing is cached in %s: give --kernel PATH", base);
        rc = SPL_EXIT_SKIP;
    } else {
        fprintf(stderr, "splsuite lab: apt-cache unavailable; using the newest cached kernel %s\n", entry);
    }
    if (lock >= 0) close(lock);
    if (rc != SPL_EXIT_OK) return rc;

    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/%s", base, entry);
    snprintf(k->modroot, sizeof k->modroot, "%s/root", dir);
    if (find_release(k->modroot, k->release, sizeof k->release) != 0) {
        spl_err("lab", "the cached kernel in %s is incomplete: remove it and retry", dir);
        return SPL_EXIT_FAIL;
    }
    snprintf(k->image, sizeof k->image, "%s/vmlinux", dir);
    if (!is_file(k->image)) snprintf(k->image, sizeof k->image, "%s/boot/vmlinuz-%s", k->modroot, k->release);
    snprintf(k->origin, sizeof k->origin, "debian %s%s", entry, k->downloaded ? " (downloaded)" : " (cached)");
    return SPL_EXIT_OK;
}

/* The release string a bzImage carries (setup header field kernel_version). */
static void bzimage_release(const unsigned char *h, size_t n, char *rel, size_t sz)
{
    if (n < 0x210) return;
    unsigned off = (unsigned)h[0x20e] | (unsigned)h[0x20f] << 8;
    if (!off || off + 0x200 >= n) return;
    const char *s = (const char *)h + off + 0x200;
    size_t len = strnlen(s, n - off - 0x200);
    size_t w = strcspn(s, " ");
    if (w < len) len = w;
    snprintf(rel, sz, "%.*s", (int)len, s);
}

static int resolve_user(const char *path, const char *modules_dir, struct lab_kernel *k)
{
    if (!realpath(path, k->image)) {
        spl_err("lab", "kernel %s: %s", path, strerror(errno));
        return SPL_EXIT_USAGE;
    }
    int fd = open(k->image, O_RDONLY | O_CLOEXEC);
    static unsigned char h[0x10000];
    ssize_t n = fd >= 0 ? read(fd, h, sizeof h) : -1;
    if (fd >= 0) close(fd);
    bool elf = n >= 4 && memcmp(h, "\177ELF", 4) == 0;
    bool bz = n >= 0x206 && memcmp(h + 0x202, "HdrS", 4) == 0;
    if (!elf && !bz) {
        spl_err("lab", "%s is neither a bzImage nor an ELF vmlinux", k->image);
        return SPL_EXIT_USAGE;
    }
    if (bz) bzimage_release(h, (size_t)n, k->release, sizeof k->release);
    snprintf(k->origin, sizeof k->origin, "%s (%s)", k->image, bz ? "bzImage" : "vmlinux");
    if (modules_dir) {
        char probe[PATH_MAX];
        /* Either a root holding lib/modules/<release> or that release directory itself. */
        snprintf(probe, sizeof probe, "%s/lib/modules", modules_dir);
        if (is_dir(probe)) {
            snprintf(k->modroot, sizeof k->modroot, "%s", modules_dir);
            if (!k->release[0] && find_release(modules_dir, k->release, sizeof k->release) != 0) {
                spl_err("lab", "%s: several releases in lib/modules and none named by the kernel", modules_dir);
                return SPL_EXIT_USAGE;
            }
        } else {
            snprintf(probe, sizeof probe, "%s/modules.dep", modules_dir);
            char rp[PATH_MAX];
            if (!is_file(probe) || !realpath(modules_dir, rp)) {
                spl_err("lab", "--modules %s: neither a root with lib/modules/ nor a depmod'ed release directory",
                        modules_dir);
                return SPL_EXIT_USAGE;
            }
            char *slash = strrchr(rp, '/');
            snprintf(k->release, sizeof k->release, "%s", slash + 1);
            /* .../lib/modules/<rel> -> root is three levels up */
            *slash = '\0';
            char *lm = strstr(rp, "/lib/modules");
            if (!lm || strcmp(lm, "/lib/modules") != 0) {
                spl_err("lab", "--modules %s: expected a path ending in lib/modules/<release>", modules_dir);
                return SPL_EXIT_USAGE;
            }
            *lm = '\0';
            snprintf(k->modroot, sizeof k->modroot, "%s", rp[0] ? rp : "/");
        }
    } else if (k->release[0]) {
        /* The host's own modules when the user boots one of the host's kernels. */
        char probe[PATH_MAX];
        snprintf(probe, sizeof probe, "/lib/modules/%s/modules.dep", k->release);
        if (is_file(probe)) snprintf(k->modroot, sizeof k->modroot, "/");
    }
    return SPL_EXIT_OK;
}

int lab_kernel_resolve(const char *spec, const char *modules_dir, const char *cache_dir, bool verbose,
                       struct lab_kernel *k)
{
    memset(k, 0, sizeof *k);
    if (!spec || !strcmp(spec, "debian")) return resolve_debian(cache_dir, verbose, k);
    return resolve_user(spec, modules_dir, k);
}
