/*
 * iov.h: scatter/gather vectors (QEMUIOVector) and helpers on raw iovecs.
 *
 * A QEMUIOVector either owns a growable iovec array (qemu_iovec_init,
 * nalloc >= 0) or borrows the caller's array (qemu_iovec_init_external,
 * nalloc == -1).  The single-buffer case (qemu_iovec_init_buf and
 * QEMU_IOVEC_INIT_BUF) keeps its one element inside the vector itself in
 * local_iov, so no allocation is needed; such a vector must not be copied
 * by value after initialisation (iov points into it) and must not be
 * extended with qemu_iovec_add.
 */
#ifndef DRYDOCK_UTIL_IOV_H
#define DRYDOCK_UTIL_IOV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef struct QEMUIOVector {
    struct iovec *iov;
    int niov;
    /*
     * Elements allocated in iov; -1 when iov is not owned (external array
     * or the embedded local_iov).
     */
    int nalloc;
    size_t size;               /* total bytes over all elements */
    struct iovec local_iov;    /* storage for the single-buffer case */
} QEMUIOVector;

/* Total bytes described by an iovec array */
size_t iov_size(const struct iovec *iov, unsigned int iov_cnt);

/*
 * Copy between a flat buffer and an iovec array starting at byte "offset" of
 * the vector; returns the number of bytes copied (less than requested when
 * the vector ends first).
 */
size_t iov_from_buf(const struct iovec *iov, unsigned int iov_cnt,
                    size_t offset, const void *buf, size_t bytes);
size_t iov_to_buf(const struct iovec *iov, unsigned int iov_cnt,
                  size_t offset, void *buf, size_t bytes);
/* Fill bytes of the vector from offset with fillc; returns bytes filled */
size_t iov_memset(const struct iovec *iov, unsigned int iov_cnt,
                  size_t offset, int fillc, size_t bytes);

/* True when len bytes at buf are all zero (len 0 counts as zero) */
bool buffer_is_zero(const void *buf, size_t len);

void qemu_iovec_init(QEMUIOVector *qiov, int alloc_hint);
void qemu_iovec_init_external(QEMUIOVector *qiov, struct iovec *iov,
                              int niov);
void qemu_iovec_init_buf(QEMUIOVector *qiov, void *buf, size_t len);

/*
 * Static initialiser for a single-buffer vector: iov points at the vector's
 * own local_iov, so "self" must be the variable being initialised.
 */
#define QEMU_IOVEC_INIT_BUF(self, buf, len)                 \
    {                                                       \
        .iov = &(self).local_iov,                           \
        .niov = 1,                                          \
        .nalloc = -1,                                       \
        .size = (len),                                      \
        .local_iov = { .iov_base = (void *)(buf),           \
                       .iov_len = (len) },                  \
    }

/* Append one element; qiov must own its array (qemu_iovec_init) */
void qemu_iovec_add(QEMUIOVector *qiov, void *base, size_t len);
/* Append sbytes of src starting at soffset (elements are referenced) */
void qemu_iovec_concat(QEMUIOVector *dst, QEMUIOVector *src,
                       size_t soffset, size_t sbytes);
/*
 * Initialise qiov as a view of len bytes of source from offset; qiov owns
 * a new array (destroy it), the data buffers stay the source's.
 */
void qemu_iovec_init_slice(QEMUIOVector *qiov, QEMUIOVector *source,
                           size_t offset, size_t len);
/* Drop all elements, keep the allocation (owned vectors only) */
void qemu_iovec_reset(QEMUIOVector *qiov);
/* Free the element array when owned; safe on every kind of vector */
void qemu_iovec_destroy(QEMUIOVector *qiov);

size_t qemu_iovec_to_buf(QEMUIOVector *qiov, size_t offset,
                         void *buf, size_t bytes);
size_t qemu_iovec_from_buf(QEMUIOVector *qiov, size_t offset,
                           const void *buf, size_t bytes);
size_t qemu_iovec_memset(QEMUIOVector *qiov, size_t offset,
                         int fillc, size_t bytes);
/* True when bytes of qiov from offset are all zero */
bool qemu_iovec_is_zero(QEMUIOVector *qiov, size_t offset, size_t bytes);
/*
 * Compare a with b (same total size); returns the offset of the first
 * differing byte, or -1 when equal.
 */
ssize_t qemu_iovec_compare(QEMUIOVector *a, QEMUIOVector *b);

#endif /* DRYDOCK_UTIL_IOV_H */
