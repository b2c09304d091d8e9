/*
 * qcow2 persistent bitmaps: the bitmap directory is validated at open and
 * preserved.  This driver does not update bitmaps on guest writes, so a
 * read-write open marks every bitmap "in use" (inconsistent), as QEMU
 * does while it has an image open: the bitmaps and their clusters stay,
 * and QEMU sees them as not to be trusted.
 */
#include "qcow2.h"

#define QCOW2_BITMAP_ENTRY_LEN 24
#define QCOW2_BITMAP_IN_USE (1U << 0)

/* Walk the directory: every entry inside it, as many as the header says */
static int qcow2_bitmaps_walk(BDRVQcow2State *s, uint8_t *dir, bool mark,
                              Error **errp)
{
    uint64_t pos = 0;
    uint32_t n = 0;

    while (pos < s->bitmap_dir_size) {
        uint8_t *e = dir + pos;
        uint32_t extra;
        uint64_t len;

        /* Before any field is read: the entry may not fit */
        if (s->bitmap_dir_size - pos < QCOW2_BITMAP_ENTRY_LEN) {
            error_setg(errp, "Bitmap directory entry %u at %" PRIu64
                       " is truncated", n, pos);
            return -EINVAL;
        }
        extra = ldl_be_p(e + 20);
        len = ROUND_UP(QCOW2_BITMAP_ENTRY_LEN + (uint64_t)extra +
                       lduw_be_p(e + 18), 8);
        if (len > s->bitmap_dir_size - pos) {
            error_setg(errp, "Bitmap directory entry %u at %" PRIu64
                       " (%" PRIu64 " bytes) goes past the end of the "
                       "directory", n, pos, len);
            return -EINVAL;
        }
        if (mark) {
            stl_be_p(e + 12, ldl_be_p(e + 12) | QCOW2_BITMAP_IN_USE);
        }
        pos += len;
        n++;
    }
    if (n != s->nb_bitmaps) {
        error_setg(errp, "Bitmap directory holds %u bitmaps, the header "
                   "says %u", n, s->nb_bitmaps);
        return -EINVAL;
    }
    return 0;
}

int qcow2_bitmaps_open(BlockDriverState *bs, BDRVQcow2State *s, bool rw,
                       Error **errp)
{
    g_autofree uint8_t *dir = NULL;
    int ret;

    if (!s->has_bitmaps || !(s->autoclear & QCOW2_AUTOCLEAR_BITMAPS)) {
        return 0;
    }
    /* The size was checked against QCOW2_MAX_BITMAP_DIR_BYTES */
    dir = g_try_malloc(s->bitmap_dir_size);
    if (!dir) {
        error_setg(errp, "Could not allocate the bitmap directory");
        return -ENOMEM;
    }
    ret = bdrv_pread(bs->file, s->bitmap_dir_offset, s->bitmap_dir_size, dir,
                     0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read the bitmap directory");
        return ret;
    }
    ret = qcow2_bitmaps_walk(s, dir, rw, errp);
    if (ret < 0 || !rw) {
        return ret;
    }
    if (qcow2_check_overlap(bs, QCOW2_OL_BITMAP_DIR, s->bitmap_dir_offset,
                            s->bitmap_dir_size)) {
        error_setg(errp, "Bitmap directory at %#" PRIx64 " overlaps other "
                   "metadata", s->bitmap_dir_offset);
        return -EINVAL;
    }
    ret = bdrv_pwrite_sync(bs->file, s->bitmap_dir_offset,
                           s->bitmap_dir_size, dir, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not mark the bitmaps in use");
    }
    return ret;
}
