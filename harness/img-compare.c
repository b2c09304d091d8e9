/*
 * drydock-img compare: -f, -F, -s (strict: sizes and allocation must
 * match too), -q, -U, -T, -p, --image-opts; exit 0 identical, 1 different
 * (or a usage error), 2 an open or read error.
 */
#include "img-common.h"

#include "util/cutils.h"

#define IMG_COMPARE_CHUNK (1 << 20)

/* Offset of the first 512-byte sector where a and b differ, or -1 */
static int64_t img_compare_sectors(const uint8_t *a, const uint8_t *b,
                                   int64_t len)
{
    int64_t i;

    for (i = 0; i < len; i += BDRV_SECTOR_SIZE) {
        int64_t n = MIN((int64_t)BDRV_SECTOR_SIZE, len - i);

        if (b ? memcmp(a + i, b + i, n) : !buffer_is_zero(a + i, n)) {
            return i;
        }
    }
    return -1;
}

typedef struct ImgCompare {
    BlockBackend *blk1, *blk2;
    bool strict, quiet;
    uint8_t *a, *b;
    ImgProgress progress;
    int64_t total;
} ImgCompare;

/*
 * In strict mode, how many bytes from @offset (at most @n) have the same
 * allocation in both images: 0 after the mismatch message
 */
static int64_t img_compare_strict(ImgCompare *c, int64_t offset, int64_t n)
{
    int64_t p1, p2;
    int s1 = bdrv_block_status_above(blk_bs(c->blk1), NULL, offset, n, &p1,
                                     NULL, NULL);
    int s2 = bdrv_block_status_above(blk_bs(c->blk2), NULL, offset, n, &p2,
                                     NULL, NULL);

    if (s1 < 0 || s2 < 0 || p1 <= 0 || p2 <= 0) {
        return n;       /* the read below reports the error */
    }
    if ((s1 ^ s2) & BDRV_BLOCK_ALLOCATED) {
        if (!c->quiet) {
            printf("Strict mode: Offset %" PRId64 " block status mismatch!\n",
                   offset);
        }
        return 0;
    }
    return MIN(p1, p2);
}

/*
 * Compare [offset, end) of blk1 with blk2 (other NULL: blk with zeroes);
 * 0 same, 1 differs (reported), 2 read error
 */
static int img_compare_range(ImgCompare *c, BlockBackend *blk,
                             BlockBackend *other, int64_t offset,
                             int64_t end)
{
    while (offset < end) {
        int64_t n = MIN(IMG_COMPARE_CHUNK, end - offset), at;

        if (c->strict && other) {
            n = img_compare_strict(c, offset, n);
            if (n == 0) {
                return 1;
            }
        }
        if (blk_pread(blk, offset, n, c->a, 0) < 0 ||
            (other && blk_pread(other, offset, n, c->b, 0) < 0)) {
            error_report("Error while reading offset %" PRId64 ": %s",
                         offset, "Input/output error");
            return 2;
        }
        at = img_compare_sectors(c->a, other ? c->b : NULL, n);
        if (at >= 0) {
            if (!c->quiet) {
                printf("Content mismatch at offset %" PRId64 "!\n",
                       offset + at);
            }
            return 1;
        }
        offset += n;
        img_progress_print(&c->progress, offset, c->total);
    }
    return 0;
}

static int img_compare_images(ImgCompare *c)
{
    int64_t len1 = blk_getlength(c->blk1), len2 = blk_getlength(c->blk2);
    int ret;

    if (len1 < 0 || len2 < 0) {
        error_report("Can't get size of %s: %s", len1 < 0 ? "first image"
                     : "second image", strerror(-(len1 < 0 ? len1 : len2)));
        return 2;
    }
    if (c->strict && len1 != len2) {
        if (!c->quiet) {
            printf("Strict mode: Image size mismatch!\n");
        }
        return 1;
    }
    c->total = MAX(len1, len2);
    ret = img_compare_range(c, c->blk1, c->blk2, 0, MIN(len1, len2));
    if (ret == 0 && len1 != len2) {
        if (!c->quiet) {
            printf("Warning: Image size mismatch!\n");
        }
        ret = len1 > len2
            ? img_compare_range(c, c->blk1, NULL, len2, len1)
            : img_compare_range(c, c->blk2, NULL, len1, len2);
    }
    img_progress_end(&c->progress);
    if (ret == 0 && !c->quiet) {
        printf("Images are identical.\n");
    }
    return ret;
}

typedef struct ImgCompareArgs {
    ImgOpenArgs o1;         /* -f; -T, -U, ... for both images */
    const char *fmt2;       /* -F */
    bool progress, strict;
} ImgCompareArgs;

static int img_compare_opt(void *opaque, int c, const char *arg)
{
    ImgCompareArgs *a = opaque;

    switch (c) {
    case 'F': a->fmt2 = arg; return 0;
    case 'T': a->o1.cache = arg; return 0;
    case 'p': a->progress = true; return 0;
    case 's': a->strict = true; return 0;
    }
    return IMG_OPT_NOT_MINE;
}

int img_compare(int argc, char **argv)
{
    ImgCompareArgs a = { 0 };
    ImgOpenArgs o1, o2;
    ImgCompare c = { 0 };
    int ret = 2;

    if (img_getopt(argc, argv, ":hf:F:T:pqsU", &a.o1, img_compare_opt,
                   &a) < 0) {
        return 1;
    }
    o1 = a.o1;
    c.strict = a.strict;
    if (optind != argc - 2) {
        tool_usage_error("Expecting two image file names");
        return 1;
    }
    /* -F names the second image's format; the rest applies to both */
    o2 = o1;
    o2.fmt = a.fmt2;
    c.quiet = o1.quiet;
    if (!img_check_open_args(&o1) || !img_check_open_args(&o2)) {
        return 2;
    }
    img_progress_init(&c.progress, a.progress && !c.quiet);
    c.blk1 = img_open(&o1, argv[optind], 0);
    c.blk2 = c.blk1 ? img_open(&o2, argv[optind + 1], 0) : NULL;
    if (c.blk1 && c.blk2) {
        c.a = g_malloc(IMG_COMPARE_CHUNK);
        c.b = g_malloc(IMG_COMPARE_CHUNK);
        ret = img_compare_images(&c);
        g_free(c.a);
        g_free(c.b);
    }
    blk_unref(c.blk2);
    blk_unref(c.blk1);
    return ret;
}
