/*
 * qcow2 compressed clusters: compression and decompression of one
 * cluster, and the byte-granular allocation compressed data lives in.  "zlib"
 * clusters are raw deflate streams (no zlib header); zstd clusters are
 * zstd frames.  Either may be followed by unrelated bytes (the stored
 * size is rounded to sectors): decompression stops when the cluster is
 * full.
 */
#include <pthread.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "qcow2.h"

/*
 * Decompression state, kept per thread between clusters: setting up a zstd
 * context allocates ~100 KiB and an inflate state ~7 KiB, more than the
 * work of decompressing one small cluster.  Freed when the thread exits.
 */
typedef struct Qcow2Decompress {
    z_stream z;
    bool z_ready;
    ZSTD_DCtx *zstd;
} Qcow2Decompress;

static pthread_key_t qcow2_decompress_key;
static pthread_once_t qcow2_decompress_once = PTHREAD_ONCE_INIT;
/* Also reachable from TLS, so leak checkers see the main thread's state */
static __thread Qcow2Decompress *qcow2_decompress_state;

static void qcow2_decompress_free(void *opaque)
{
    Qcow2Decompress *d = opaque;

    if (d->z_ready) {
        inflateEnd(&d->z);
    }
    ZSTD_freeDCtx(d->zstd);
    g_free(d);
}

static void qcow2_decompress_key_init(void)
{
    pthread_key_create(&qcow2_decompress_key, qcow2_decompress_free);
}

static Qcow2Decompress *qcow2_decompress_get(void)
{
    if (!qcow2_decompress_state) {
        pthread_once(&qcow2_decompress_once, qcow2_decompress_key_init);
        qcow2_decompress_state = g_new0(Qcow2Decompress, 1);
        pthread_setspecific(qcow2_decompress_key, qcow2_decompress_state);
    }
    return qcow2_decompress_state;
}

static int qcow2_compress_inflate(uint8_t *dest, size_t dest_size,
                                  const uint8_t *src, size_t src_size)
{
    Qcow2Decompress *d = qcow2_decompress_get();
    z_stream *z = &d->z;
    int ret;

    if (!d->z_ready) {
        if (inflateInit2(z, -12) != Z_OK) {
            return -EIO;
        }
        d->z_ready = true;
    } else if (inflateReset(z) != Z_OK) {
        return -EIO;
    }
    z->next_in = (Bytef *)src;
    z->avail_in = src_size;
    z->next_out = dest;
    z->avail_out = dest_size;
    ret = inflate(z, Z_FINISH);
    /* The end of the stream, or a full cluster with input left over */
    if ((ret == Z_STREAM_END || ret == Z_BUF_ERROR) && z->avail_out == 0) {
        return 0;
    }
    return -EIO;
}

static int qcow2_compress_zstd(uint8_t *dest, size_t dest_size,
                               const uint8_t *src, size_t src_size)
{
    Qcow2Decompress *d = qcow2_decompress_get();
    ZSTD_inBuffer in = { src, src_size, 0 };
    ZSTD_outBuffer out = { dest, dest_size, 0 };

    if (!d->zstd) {
        d->zstd = ZSTD_createDCtx();
        if (!d->zstd) {
            return -ENOMEM;
        }
    } else {
        ZSTD_DCtx_reset(d->zstd, ZSTD_reset_session_only);
    }
    while (out.pos < out.size) {
        size_t zret = ZSTD_decompressStream(d->zstd, &out, &in);

        if (ZSTD_isError(zret)) {
            return -EIO;
        }
        /* A frame ended and no input is left: the cluster is short */
        if (in.pos == in.size && out.pos < out.size) {
            return -EIO;
        }
    }
    return 0;
}

int qcow2_decompress(int type, uint8_t *dest, size_t dest_size,
                     const uint8_t *src, size_t src_size)
{
    if (type == QCOW2_COMPRESSION_ZSTD) {
        return qcow2_compress_zstd(dest, dest_size, src, src_size);
    }
    return qcow2_compress_inflate(dest, dest_size, src, src_size);
}

/* Raw deflate, as QEMU writes it: window of 2^12 bytes, no zlib header */
static ssize_t qcow2_compress_deflate(uint8_t *dest, size_t dest_size,
                                      const uint8_t *src, size_t src_size)
{
    z_stream z = { 0 };
    ssize_t ret;

    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return -EIO;
    }
    z.next_in = (Bytef *)src;
    z.avail_in = src_size;
    z.next_out = dest;
    z.avail_out = dest_size;
    ret = deflate(&z, Z_FINISH);
    if (ret == Z_STREAM_END) {
        ret = dest_size - z.avail_out;
    } else {
        ret = (ret == Z_OK || ret == Z_BUF_ERROR) ? -ENOSPC : -EIO;
    }
    deflateEnd(&z);
    return ret;
}

static ssize_t qcow2_compress_zstd_frame(uint8_t *dest, size_t dest_size,
                                         const uint8_t *src, size_t src_size)
{
    size_t ret = ZSTD_compress(dest, dest_size, src, src_size,
                               ZSTD_CLEVEL_DEFAULT);

    if (ZSTD_isError(ret)) {
        return ZSTD_getErrorCode(ret) == ZSTD_error_dstSize_tooSmall ?
               -ENOSPC : -EIO;
    }
    return ret;
}

ssize_t qcow2_compress(int type, uint8_t *dest, size_t dest_size,
                       const uint8_t *src, size_t src_size)
{
    if (type == QCOW2_COMPRESSION_ZSTD) {
        return qcow2_compress_zstd_frame(dest, dest_size, src, src_size);
    }
    return qcow2_compress_deflate(dest, dest_size, src, src_size);
}

/*
 * @len bytes for compressed data: in the rest of the host cluster the last
 * compressed write ended in (one more reference to it), or in new clusters.
 * The cluster that holds the end becomes the next candidate.
 */
int64_t coroutine_fn qcow2_alloc_bytes(BlockDriverState *bs, int64_t len)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t off = s->free_byte_offset;
    int64_t room = off ? s->cluster_size - (off & (s->cluster_size - 1)) : 0;

    if (off && len <= room &&
        qcow2_update_refcount(bs, off & ~(s->cluster_size - 1), 1, 1,
                              QCOW2_DISCARD_NEVER) == 0) {
        s->free_byte_offset = (len == room) ? 0 : off + len;
        return off;
    }
    off = qcow2_alloc_clusters(bs, DIV_ROUND_UP(len, s->cluster_size));
    if (off < 0) {
        return off;
    }
    s->free_byte_offset = (len & (s->cluster_size - 1)) ? off + len : 0;
    return off;
}
