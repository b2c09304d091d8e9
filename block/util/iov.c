/*
 * iov.c: scatter/gather vectors.
 *
 * Every copy helper walks the iovec array once, skipping whole elements
 * until "offset" falls inside one, then copies element by element; they
 * return how much was actually done so that callers can detect a vector
 * that is shorter than they assumed.
 */
#include "util/osdep.h"
#include "util/iov.h"

size_t iov_size(const struct iovec *iov, unsigned int iov_cnt)
{
    size_t total = 0;

    for (unsigned int i = 0; i < iov_cnt; i++) {
        total += iov[i].iov_len;
    }
    return total;
}

/*
 * Apply fn to each piece of the vector covering [offset, offset + bytes);
 * "done" is the number of bytes already handled, for the caller's buffer.
 */
typedef void IovPieceFn(void *piece, size_t len, size_t done, void *opaque);

static size_t iov_walk(const struct iovec *iov, unsigned int iov_cnt,
                       size_t offset, size_t bytes, IovPieceFn *fn,
                       void *opaque)
{
    size_t done = 0;

    for (unsigned int i = 0; i < iov_cnt && done < bytes; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t len = MIN(iov[i].iov_len - offset, bytes - done);
        fn((char *)iov[i].iov_base + offset, len, done, opaque);
        done += len;
        offset = 0;
    }
    return done;
}

static void iov_piece_from_buf(void *piece, size_t len, size_t done,
                               void *opaque)
{
    memcpy(piece, (const char *)opaque + done, len);
}

static void iov_piece_to_buf(void *piece, size_t len, size_t done,
                             void *opaque)
{
    memcpy((char *)opaque + done, piece, len);
}

static void iov_piece_memset(void *piece, size_t len, size_t done,
                             void *opaque)
{
    memset(piece, *(const int *)opaque, len);
}

size_t iov_from_buf(const struct iovec *iov, unsigned int iov_cnt,
                    size_t offset, const void *buf, size_t bytes)
{
    return iov_walk(iov, iov_cnt, offset, bytes, iov_piece_from_buf,
                    (void *)buf);
}

size_t iov_to_buf(const struct iovec *iov, unsigned int iov_cnt,
                  size_t offset, void *buf, size_t bytes)
{
    return iov_walk(iov, iov_cnt, offset, bytes, iov_piece_to_buf, buf);
}

size_t iov_memset(const struct iovec *iov, unsigned int iov_cnt,
                  size_t offset, int fillc, size_t bytes)
{
    return iov_walk(iov, iov_cnt, offset, bytes, iov_piece_memset, &fillc);
}

bool buffer_is_zero(const void *buf, size_t len)
{
    const unsigned char *p = buf;

    if (len == 0) {
        return true;
    }
    /*
     * Check the first byte, then compare the buffer with itself shifted by
     * one: equal means every byte equals the first one.  memcmp is
     * vectorised by libc, which beats a hand-written loop.
     */
    if (p[0] != 0) {
        return false;
    }
    return memcmp(p, p + 1, len - 1) == 0;
}

void qemu_iovec_init(QEMUIOVector *qiov, int alloc_hint)
{
    assert(alloc_hint >= 0);
    memset(qiov, 0, sizeof(*qiov));
    if (alloc_hint < 1) {
        alloc_hint = 1;
    }
    qiov->iov = g_new(struct iovec, alloc_hint);
    qiov->nalloc = alloc_hint;
}

void qemu_iovec_init_external(QEMUIOVector *qiov, struct iovec *iov,
                              int niov)
{
    assert(niov >= 0);
    memset(qiov, 0, sizeof(*qiov));
    qiov->iov = iov;
    qiov->niov = niov;
    qiov->nalloc = -1;
    qiov->size = iov_size(iov, (unsigned int)niov);
}

void qemu_iovec_init_buf(QEMUIOVector *qiov, void *buf, size_t len)
{
    memset(qiov, 0, sizeof(*qiov));
    qiov->local_iov.iov_base = buf;
    qiov->local_iov.iov_len = len;
    qiov->iov = &qiov->local_iov;
    qiov->niov = 1;
    qiov->nalloc = -1;
    qiov->size = len;
}

void qemu_iovec_add(QEMUIOVector *qiov, void *base, size_t len)
{
    /* Borrowed arrays cannot grow: that is a caller bug */
    assert(qiov->nalloc >= 0);
    if (qiov->niov == qiov->nalloc) {
        assert(qiov->nalloc <= INT_MAX / 2);
        qiov->nalloc = 2 * qiov->nalloc + 1;
        qiov->iov = g_renew(struct iovec, qiov->iov, qiov->nalloc);
    }
    qiov->iov[qiov->niov].iov_base = base;
    qiov->iov[qiov->niov].iov_len = len;
    qiov->niov++;
    qiov->size += len;
}

void qemu_iovec_concat(QEMUIOVector *dst, QEMUIOVector *src,
                       size_t soffset, size_t sbytes)
{
    assert(dst != src);
    for (int i = 0; i < src->niov && sbytes > 0; i++) {
        size_t elen = src->iov[i].iov_len;

        if (soffset >= elen) {
            soffset -= elen;
            continue;
        }
        size_t len = MIN(elen - soffset, sbytes);
        qemu_iovec_add(dst, (char *)src->iov[i].iov_base + soffset, len);
        sbytes -= len;
        soffset = 0;
    }
    /* Asking for more than src holds is a caller bug */
    assert(sbytes == 0);
}

void qemu_iovec_init_slice(QEMUIOVector *qiov, QEMUIOVector *source,
                           size_t offset, size_t len)
{
    assert(offset <= source->size && len <= source->size - offset);
    qemu_iovec_init(qiov, source->niov);
    qemu_iovec_concat(qiov, source, offset, len);
}

void qemu_iovec_reset(QEMUIOVector *qiov)
{
    assert(qiov->nalloc >= 0);
    qiov->niov = 0;
    qiov->size = 0;
}

void qemu_iovec_destroy(QEMUIOVector *qiov)
{
    if (qiov->nalloc >= 0) {
        g_free(qiov->iov);
    }
    memset(qiov, 0, sizeof(*qiov));
}

size_t qemu_iovec_to_buf(QEMUIOVector *qiov, size_t offset,
                         void *buf, size_t bytes)
{
    return iov_to_buf(qiov->iov, (unsigned int)qiov->niov, offset, buf,
                      bytes);
}

size_t qemu_iovec_from_buf(QEMUIOVector *qiov, size_t offset,
                           const void *buf, size_t bytes)
{
    return iov_from_buf(qiov->iov, (unsigned int)qiov->niov, offset, buf,
                        bytes);
}

size_t qemu_iovec_memset(QEMUIOVector *qiov, size_t offset,
                         int fillc, size_t bytes)
{
    return iov_memset(qiov->iov, (unsigned int)qiov->niov, offset, fillc,
                      bytes);
}

bool qemu_iovec_is_zero(QEMUIOVector *qiov, size_t offset, size_t bytes)
{
    for (int i = 0; i < qiov->niov && bytes > 0; i++) {
        size_t elen = qiov->iov[i].iov_len;

        if (offset >= elen) {
            offset -= elen;
            continue;
        }
        size_t len = MIN(elen - offset, bytes);
        if (!buffer_is_zero((char *)qiov->iov[i].iov_base + offset, len)) {
            return false;
        }
        bytes -= len;
        offset = 0;
    }
    return true;
}

ssize_t qemu_iovec_compare(QEMUIOVector *a, QEMUIOVector *b)
{
    int ia = 0, ib = 0;
    size_t oa = 0, ob = 0, pos = 0;

    assert(a->size == b->size);
    while (ia < a->niov && ib < b->niov) {
        size_t la = a->iov[ia].iov_len - oa;
        size_t lb = b->iov[ib].iov_len - ob;
        size_t len = MIN(la, lb);
        const uint8_t *pa = (const uint8_t *)a->iov[ia].iov_base + oa;
        const uint8_t *pb = (const uint8_t *)b->iov[ib].iov_base + ob;

        if (len > 0 && memcmp(pa, pb, len) != 0) {
            size_t k = 0;
            while (pa[k] == pb[k]) {
                k++;
            }
            return (ssize_t)(pos + k);
        }
        pos += len;
        oa += len;
        ob += len;
        if (oa == a->iov[ia].iov_len) {
            ia++;
            oa = 0;
        }
        if (ob == b->iov[ib].iov_len) {
            ib++;
            ob = 0;
        }
    }
    return -1;
}
