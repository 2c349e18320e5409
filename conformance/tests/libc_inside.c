/*
 * libc_inside.c - what a statically linked libc puts inside a shared
 * object, for the calls the harness could otherwise observe: posix_madvise
 * and madvise resolved at link time to these hidden copies (raw syscalls),
 * so no symbol of the loading program can interpose them.
 *
 * Linked into a copy of the reference (libsplref_libcin*.so). A true
 * `-static` libc cannot go into a .so that lives in a glibc process (two
 * C libraries, two errnos, local-exec TLS); for what conform can see, this
 * is the same thing: the madvise syscalls happen, and nothing outside the
 * library can see them except the kernel. `nm -D` shows no import of
 * either name (conformance/tests/meson.build checks it).
 */
#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((visibility("hidden"))) int madvise(void *addr, size_t len, int advice)
{
    long rc;
    __asm__ volatile("syscall" : "=a"(rc) : "0"((long)SYS_madvise), "D"(addr), "S"(len), "d"((long)advice) : "rcx", "r11", "memory");
    if (rc < 0 && rc > -4096) {
        errno = (int)-rc;
        return -1;
    }
    return 0;
}

/* glibc's semantics: DONTNEED is ignored (it would discard data), errors are returned, not in errno */
__attribute__((visibility("hidden"))) int posix_madvise(void *addr, size_t len, int advice)
{
    if (advice == POSIX_MADV_DONTNEED) return 0;
    int saved = errno;
    int rc = madvise(addr, len, advice) == 0 ? 0 : errno;
    errno = saved;
    return rc;
}
