/*
 * qcow2 compressed clusters: decompression of one cluster.  "zlib"
 * clusters are raw deflate streams (no zlib header); zstd clusters are
 * zstd frames.  Either may be followed by unrelated bytes (the stored
 * size is rounded to sectors): decompression stops when the cluster is
 * full.
 */
#include <zlib.h>
#include <zstd.h>

#include "qcow2.h"

static int qcow2_compress_inflate(uint8_t *dest, size_t dest_size,
                                  const uint8_t *src, size_t src_size)
{
    z_stream z = { 0 };
    int ret;

    if (inflateInit2(&z, -12) != Z_OK) {
        return -EIO;
    }
    z.next_in = (Bytef *)src;
    z.avail_in = src_size;
    z.next_out = dest;
    z.avail_out = dest_size;
    ret = inflate(&z, Z_FINISH);
    /* The end of the stream, or a full cluster with input left over */
    if ((ret == Z_STREAM_END || ret == Z_BUF_ERROR) && z.avail_out == 0) {
        ret = 0;
    } else {
        ret = -EIO;
    }
    inflateEnd(&z);
    return ret;
}

static int qcow2_compress_zstd(uint8_t *dest, size_t dest_size,
                               const uint8_t *src, size_t src_size)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    ZSTD_inBuffer in = { src, src_size, 0 };
    ZSTD_outBuffer out = { dest, dest_size, 0 };
    int ret = 0;

    if (!dctx) {
        return -ENOMEM;
    }
    while (out.pos < out.size) {
        size_t zret = ZSTD_decompressStream(dctx, &out, &in);

        if (ZSTD_isError(zret)) {
            ret = -EIO;
            break;
        }
        /* A frame ended and no input is left: the cluster is short */
        if (in.pos == in.size && out.pos < out.size) {
            ret = -EIO;
            break;
        }
    }
    ZSTD_freeDCtx(dctx);
    return ret;
}

int qcow2_decompress(int type, uint8_t *dest, size_t dest_size,
                     const uint8_t *src, size_t src_size)
{
    if (type == QCOW2_COMPRESSION_ZSTD) {
        return qcow2_compress_zstd(dest, dest_size, src, src_size);
    }
    return qcow2_compress_inflate(dest, dest_size, src, src_size);
}
