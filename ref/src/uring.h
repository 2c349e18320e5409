/*
 * uring.h - liburing for flush.c, loaded on first use.
 *
 * The original library needs only libc at load time, so a drop-in must too:
 * a machine without liburing.so.2 still loads us, and only the two io_uring
 * flush strategies fail (ENOTSUP). The four liburing functions the inline
 * helpers of <liburing.h> call are renamed here to local forwarders that
 * uring.c resolves with dlopen; everything else in the header is inline.
 */
#ifndef SPLREF_URING_H
#define SPLREF_URING_H
#ifdef SPLREF_HAVE_URING

#define io_uring_queue_init sr_uring_queue_init
#define io_uring_queue_exit sr_uring_queue_exit
#define io_uring_submit_and_wait sr_uring_submit_and_wait
#define __io_uring_get_cqe sr_uring_get_cqe
#include <liburing.h>

/* The soname of the ABI <liburing.h> 2.x describes. */
#define SR_LIBURING_SONAME "liburing.so.2"

/* 0 when liburing is loaded (once per process), -1 with errno ENOTSUP when it
 * cannot be (not installed, or lacks a function). */
int sr_uring_load(void);

#endif
#endif
