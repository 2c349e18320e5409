/*
 * fileid.h - what identifies a file a run depended on (an implementation
 * under test): its resolved path, size, SHA-256 and, for an ELF object, the
 * GNU build-id the linker stamped in it (what debuginfod and perf key on).
 * The file is read, never loaded.
 */
#ifndef SPLSUITE_FILEID_H
#define SPLSUITE_FILEID_H

#include <stdbool.h>
#include <stdint.h>

struct spl_fileid {
    char path[4096];     /* realpath, or the path as given when it cannot be resolved */
    uint64_t size;
    char sha256[65];     /* lowercase hex; "" when unreadable */
    char build_id[129];  /* lowercase hex; "" when absent or not ELF */
    char soname[128];    /* DT_SONAME; "" when absent */
    char why[160];       /* "" or why something could not be read */
};

/* Fills id for path. 0, or -1 when the file cannot be read (id->why says why;
 * path and whatever was learnt stay filled). */
int spl_fileid_of(const char *path, struct spl_fileid *id);
/* ELF GNU build-id and SONAME of an image in memory (bounds-checked: any
 * bytes are safe). Returns true when it is an ELF object of this machine's
 * byte order; hex/soname are "" when the object has none. */
bool spl_elf_ids(const unsigned char *img, uint64_t len, char *hex, unsigned hexlen, char *soname, unsigned sonamelen);

#endif
