/*
 * fileid.c - size, SHA-256, GNU build-id and SONAME of a file. The ELF
 * reader trusts nothing in the image: every offset and size is checked
 * against the mapping before use (an implementation under test may be any
 * bytes at all).
 */
#include "fileid.h"
#include "sha256.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct elfimg {
    const unsigned char *p;
    uint64_t len;
    bool is64;
};

static bool in_range(const struct elfimg *e, uint64_t off, uint64_t n) { return off <= e->len && n <= e->len - off; }

/* One program header, either class, widened. */
struct phdr { uint32_t type; uint64_t offset, vaddr, filesz, align; };

static bool get_phdr(const struct elfimg *e, uint64_t i, struct phdr *ph)
{
    if (e->is64) {
        const Elf64_Ehdr *h = (const void *)e->p;
        uint64_t off = h->e_phoff + i * (uint64_t)h->e_phentsize;
        if (h->e_phentsize < sizeof(Elf64_Phdr) || !in_range(e, off, sizeof(Elf64_Phdr))) return false;
        Elf64_Phdr p;
        memcpy(&p, e->p + off, sizeof p);
        *ph = (struct phdr){p.p_type, p.p_offset, p.p_vaddr, p.p_filesz, p.p_align};
    } else {
        const Elf32_Ehdr *h = (const void *)e->p;
        uint64_t off = h->e_phoff + i * (uint64_t)h->e_phentsize;
        if (h->e_phentsize < sizeof(Elf32_Phdr) || !in_range(e, off, sizeof(Elf32_Phdr))) return false;
        Elf32_Phdr p;
        memcpy(&p, e->p + off, sizeof p);
        *ph = (struct phdr){p.p_type, p.p_offset, p.p_vaddr, p.p_filesz, p.p_align};
    }
    return true;
}

static uint64_t phnum(const struct elfimg *e)
{
    return e->is64 ? ((const Elf64_Ehdr *)(const void *)e->p)->e_phnum : ((const Elf32_Ehdr *)(const void *)e->p)->e_phnum;
}

/* Walks the notes of one PT_NOTE segment for NT_GNU_BUILD_ID. */
static bool note_build_id(const struct elfimg *e, const struct phdr *ph, char *hex, unsigned hexlen)
{
    if (!in_range(e, ph->offset, ph->filesz)) return false;
    uint64_t align = ph->align == 8 ? 8 : 4, pos = ph->offset, end = ph->offset + ph->filesz;
    while (end - pos >= sizeof(Elf32_Nhdr)) {
        Elf32_Nhdr n; /* Elf64_Nhdr has the same 32-bit fields */
        memcpy(&n, e->p + pos, sizeof n);
        uint64_t name = pos + sizeof n;
        uint64_t desc = name + (((uint64_t)n.n_namesz + align - 1) & ~(align - 1));
        uint64_t next = desc + (((uint64_t)n.n_descsz + align - 1) & ~(align - 1));
        if (desc > end || n.n_descsz > end - desc) return false;
        if (n.n_type == NT_GNU_BUILD_ID && n.n_namesz == 4 && memcmp(e->p + name, "GNU", 4) == 0) {
            if (n.n_descsz == 0 || 2u * n.n_descsz + 1 > hexlen) return false;
            spl_hex(e->p + desc, n.n_descsz, hex);
            return true;
        }
        if (next <= pos) return false;
        pos = next;
    }
    return false;
}

/* File offset of a virtual address, through the PT_LOAD segments. */
static bool vaddr_to_off(const struct elfimg *e, uint64_t va, uint64_t *off)
{
    uint64_t n = phnum(e);
    for (uint64_t i = 0; i < n; i++) {
        struct phdr ph;
        if (!get_phdr(e, i, &ph)) return false;
        if (ph.type == PT_LOAD && va >= ph.vaddr && va - ph.vaddr < ph.filesz) {
            *off = ph.offset + (va - ph.vaddr);
            return true;
        }
    }
    return false;
}

static void dyn_soname(const struct elfimg *e, const struct phdr *ph, char *soname, unsigned len)
{
    if (!in_range(e, ph->offset, ph->filesz)) return;
    uint64_t strtab = 0, sonoff = UINT64_MAX, esz = e->is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
    for (uint64_t pos = ph->offset; ph->offset + ph->filesz - pos >= esz; pos += esz) {
        int64_t tag;
        uint64_t val;
        if (e->is64) {
            Elf64_Dyn d;
            memcpy(&d, e->p + pos, sizeof d);
            tag = d.d_tag, val = d.d_un.d_val;
        } else {
            Elf32_Dyn d;
            memcpy(&d, e->p + pos, sizeof d);
            tag = d.d_tag, val = d.d_un.d_val;
        }
        if (tag == DT_NULL) break;
        if (tag == DT_STRTAB) strtab = val;
        if (tag == DT_SONAME) sonoff = val;
    }
    uint64_t so;
    if (sonoff == UINT64_MAX || !strtab || !vaddr_to_off(e, strtab, &so) || !in_range(e, so, sonoff)) return;
    so += sonoff;
    uint64_t max = e->len - so < len - 1 ? e->len - so : len - 1;
    size_t k = 0;
    while (k < max && e->p[so + k] && e->p[so + k] >= 0x20 && e->p[so + k] < 0x7f) k++;
    if (k < max && e->p[so + k] == 0) {
        memcpy(soname, e->p + so, k);
        soname[k] = 0;
    }
}

bool spl_elf_ids(const unsigned char *img, uint64_t len, char *hex, unsigned hexlen, char *soname, unsigned sonamelen)
{
    if (hexlen) hex[0] = 0;
    if (sonamelen) soname[0] = 0;
    if (len < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG) != 0) return false;
    struct elfimg e = {img, len, img[EI_CLASS] == ELFCLASS64};
    if (img[EI_CLASS] != ELFCLASS64 && img[EI_CLASS] != ELFCLASS32) return false;
    if (img[EI_DATA] != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB)) return false;
    if (len < (e.is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr))) return false;
    uint64_t n = phnum(&e);
    bool have_id = false;
    for (uint64_t i = 0; i < n; i++) {
        struct phdr ph;
        if (!get_phdr(&e, i, &ph)) break;
        if (ph.type == PT_NOTE && !have_id && hexlen) have_id = note_build_id(&e, &ph, hex, hexlen);
        if (ph.type == PT_DYNAMIC && sonamelen) dyn_soname(&e, &ph, soname, sonamelen);
    }
    return true;
}

int spl_fileid_of(const char *path, struct spl_fileid *id)
{
    memset(id, 0, sizeof *id);
    char rp[PATH_MAX];
    snprintf(id->path, sizeof id->path, "%s", realpath(path, rp) ? rp : path);
    int fd = open(id->path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        snprintf(id->why, sizeof id->why, "%s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(id->why, sizeof id->why, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    id->size = (uint64_t)sb.st_size;
    unsigned char dig[32];
    struct spl_sha256 s;
    spl_sha256_init(&s);
    if (sb.st_size == 0) {
        spl_sha256_final(&s, dig);
        spl_hex(dig, 32, id->sha256);
        close(fd);
        return 0;
    }
    void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        snprintf(id->why, sizeof id->why, "mmap %s: %s", path, strerror(errno));
        return -1;
    }
    spl_sha256_update(&s, m, (size_t)sb.st_size);
    spl_sha256_final(&s, dig);
    spl_hex(dig, 32, id->sha256);
    spl_elf_ids(m, (uint64_t)sb.st_size, id->build_id, sizeof id->build_id, id->soname, sizeof id->soname);
    munmap(m, (size_t)sb.st_size);
    return 0;
}
