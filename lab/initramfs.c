/*
 * initramfs.c - the lab's initramfs: a static busybox, the modules the guest
 * needs to reach the host's files (virtio-pci, 9p, overlay, with their
 * dependencies in load order as kmod resolves them), and /init (init.sh).
 * Cached under the kernel release and a hash of everything that goes in, so
 * a changed init.sh or kernel gets a fresh one and nothing else rebuilds.
 */
#include "lab.h"
#include "proc.h"
#include "util.h"

#include "init_sh.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the guest must load to see the shares; a missing one may be built in. */
static const char *const wanted_modules[] = {"virtio_pci", "9pnet_virtio", "9p", "overlay"};

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

/* A busybox with no PT_INTERP: the initramfs has no libc to offer. */
static bool is_static_elf(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    Elf64_Ehdr eh;
    bool ok = read(fd, &eh, sizeof eh) == (ssize_t)sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
              eh.e_ident[EI_CLASS] == ELFCLASS64;
    for (int i = 0; ok && i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        /* unreadable program header, or PT_INTERP: not a static binary */
        if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) != (ssize_t)sizeof ph ||
            ph.p_type == PT_INTERP)
            ok = false;
    }
    close(fd);
    return ok;
}

static int find_busybox(char *out, size_t sz)
{
    static const char *const cands[] = {"/bin/busybox", "/usr/bin/busybox", "/sbin/busybox", "/usr/sbin/busybox"};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++)
        if (is_static_elf(cands[i])) {
            snprintf(out, sz, "%s", cands[i]);
            return 0;
        }
    return -1;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) return -1;
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (out < 0) { close(in); return -1; }
    char buf[65536];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n) { rc = -1; break; }
    if (n < 0) rc = -1;
    close(in);
    if (close(out) != 0) rc = -1;
    return rc;
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Copies one module into mods/, decompressed: busybox insmod takes plain .ko only. */
static int add_module(const char *path, const char *moddir, FILE *order)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char name[256];
    snprintf(name, sizeof name, "%s", base);
    char *tool = NULL;
    if (has_suffix(name, ".xz")) tool = "xz";
    else if (has_suffix(name, ".zst")) tool = "zstd";
    else if (has_suffix(name, ".gz")) tool = "gzip";
    if (tool) *strrchr(name, '.') = '\0';
    char dst[PATH_MAX];
    snprintf(dst, sizeof dst, "%s/%s", moddir, name);
    int rc;
    if (tool) {
        char *argv[] = {tool, "-dc", (char *)path, NULL};
        rc = lab_spawn_wait(argv, NULL, dst, false) == 0 ? 0 : -1;
    } else {
        rc = copy_file(path, dst, 0644);
    }
    if (rc == 0) fprintf(order, "%s\n", name);
    return rc;
}

/* Lines "insmod /path/x.ko" from modprobe --show-depends, in load order, once each. */
static int collect_modules(const struct lab_kernel *k, const char *moddir, char *missing, size_t msz, int *count)
{
    char orderp[PATH_MAX];
    snprintf(orderp, sizeof orderp, "%s/order", moddir);
    FILE *order = fopen(orderp, "w");
    if (!order) return -1;
    char seen[64][PATH_MAX];
    int nseen = 0;
    missing[0] = '\0';
    *count = 0;
    for (size_t w = 0; w < sizeof wanted_modules / sizeof wanted_modules[0]; w++) {
        char out[16384];
        char *argv[] = {"modprobe", "-d", (char *)k->modroot, "-S", (char *)k->release, "--show-depends",
                        (char *)wanted_modules[w], NULL};
        if (lab_spawn_capture(argv, out, sizeof out) != 0) {
            size_t l = strlen(missing);
            snprintf(missing + l, msz - l, "%s%s", l ? " " : "", wanted_modules[w]);
            continue;
        }
        char *save = NULL;
        for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (strncmp(line, "insmod ", 7) != 0) continue; /* "builtin x": nothing to load */
            char *p = line + 7;
            p[strcspn(p, " ")] = '\0';
            bool dup = false;
            for (int i = 0; i < nseen && !dup; i++) dup = strcmp(seen[i], p) == 0;
            if (dup || nseen == 64) continue;
            snprintf(seen[nseen++], PATH_MAX, "%s", p);
            if (add_module(p, moddir, order) != 0) {
                fclose(order);
                spl_err("lab", "cannot copy module %s into the initramfs", p);
                return -1;
            }
            (*count)++;
        }
    }
    fclose(order);
    return 0;
}

/* The file list cpio reads: every path under dir, relative, parents first. */
static void list_tree(const char *dir, const char *rel, FILE *out)
{
    char full[PATH_MAX];
    snprintf(full, sizeof full, "%s/%s", dir, rel);
    DIR *d = opendir(full);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char sub[PATH_MAX];
        snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        fprintf(out, "%s\n", sub);
        if (e->d_type == DT_DIR) list_tree(dir, sub, out);
    }
    closedir(d);
}

int lab_initramfs_prepare(const struct lab_kernel *k, const char *cache_dir, bool verbose, char *out, size_t outsz)
{
    char busybox[PATH_MAX];
    if (find_busybox(busybox, sizeof busybox) != 0) {
        spl_err("lab", "no static busybox found (install busybox-static)");
        return SPL_EXIT_SKIP;
    }
    struct stat bst;
    stat(busybox, &bst);
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv1a(h, lab_init_sh, strlen(lab_init_sh));
    h = fnv1a(h, k->release, strlen(k->release));
    h = fnv1a(h, k->modroot, strlen(k->modroot));
    h = fnv1a(h, &bst.st_size, sizeof bst.st_size);
    h = fnv1a(h, &bst.st_mtime, sizeof bst.st_mtime);
    for (size_t w = 0; w < sizeof wanted_modules / sizeof wanted_modules[0]; w++)
        h = fnv1a(h, wanted_modules[w], strlen(wanted_modules[w]) + 1);

    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/initramfs", cache_dir);
    if (spl_mkdir_p(dir, 0755) != 0) {
        spl_err("lab", "cannot create %s: %s", dir, strerror(errno));
        return SPL_EXIT_FAIL;
    }
    snprintf(out, outsz, "%s/%s-%016llx.cpio", dir, k->release[0] ? k->release : "nomodules", (unsigned long long)h);
    if (access(out, R_OK) == 0) return SPL_EXIT_OK;

    char tree[PATH_MAX];
    snprintf(tree, sizeof tree, "%s/.tree-%d", dir, (int)getpid());
    lab_rm_rf(tree);
    static const char *const dirs[] = {"bin", "dev", "proc", "sys", "tmp", "mods", "res", "lower", "upper", "newroot"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", tree, dirs[i]);
        if (spl_mkdir_p(p, 0755) != 0) {
            spl_err("lab", "cannot create %s: %s", p, strerror(errno));
            return SPL_EXIT_FAIL;
        }
    }
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/bin/busybox", tree);
    int rc = copy_file(busybox, p, 0755);
    snprintf(p, sizeof p, "%s/init", tree);
    FILE *f = rc == 0 ? fopen(p, "w") : NULL;
    if (!f || fputs(lab_init_sh, f) < 0 || fclose(f) != 0 || chmod(p, 0755) != 0) {
        spl_err("lab", "cannot write the initramfs tree in %s", tree);
        lab_rm_rf(tree);
        return SPL_EXIT_FAIL;
    }
    int nmods = 0;
    if (k->modroot[0] && k->release[0]) {
        char moddir[PATH_MAX], missing[256];
        snprintf(moddir, sizeof moddir, "%s/mods", tree);
        if (collect_modules(k, moddir, missing, sizeof missing, &nmods) != 0) {
            lab_rm_rf(tree);
            return SPL_EXIT_FAIL;
        }
        if (missing[0])
            fprintf(stderr, "splsuite lab: kernel %s has no module for: %s (fine if built in)\n", k->release, missing);
    } else {
        fprintf(stderr, "splsuite lab: no modules for this kernel: 9p, virtio-pci and overlay must be built in "
                        "(else give --modules DIR)\n");
    }
    char list[PATH_MAX], tmp[PATH_MAX];
    snprintf(list, sizeof list, "%s.list", tree);
    snprintf(tmp, sizeof tmp, "%s.tmp", out);
    f = fopen(list, "w");
    if (!f) {
        lab_rm_rf(tree);
        return SPL_EXIT_FAIL;
    }
    list_tree(tree, "", f);
    fclose(f);
    /* Uncompressed newc: the kernel unpacks it without a decompressor, owned by root. */
    char *cpio[] = {"cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0", NULL};
    rc = lab_spawn_io(cpio, tree, list, tmp, verbose);
    unlink(list);
    lab_rm_rf(tree);
    if (rc != 0 || rename(tmp, out) != 0) {
        unlink(tmp);
        spl_err("lab", "cpio failed to pack the initramfs (install cpio)");
        return rc < 0 ? SPL_EXIT_SKIP : SPL_EXIT_FAIL;
    }
    if (verbose) fprintf(stderr, "splsuite lab: initramfs %s (%d modules)\n", out, nmods);
    return SPL_EXIT_OK;
}
