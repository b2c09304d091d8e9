/*
 * drydock-img map: the allocation of an image and its backing chain
 * (depth = how far down the chain the data is), human or JSON, from
 * --start-offset for at most --max-length bytes.
 */
#include "img-common.h"

typedef struct ImgMapEntry {
    int64_t start, length, offset;
    int depth;
    bool present, zero, data, has_offset;
    const char *filename;
} ImgMapEntry;

static void img_map_print(const ImgMapEntry *e, bool json, bool first)
{
    if (json) {
        printf("%s{ \"start\": %" PRId64 ", \"length\": %" PRId64 ", "
               "\"depth\": %d, \"present\": %s, \"zero\": %s, "
               "\"data\": %s", first ? "[" : ",\n", e->start, e->length,
               e->depth, e->present ? "true" : "false",
               e->zero ? "true" : "false", e->data ? "true" : "false");
        if (e->has_offset) {
            printf(", \"offset\": %" PRId64, e->offset);
        }
        printf("}");
    } else if (e->data && e->has_offset) {
        printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n",
               (uint64_t)e->start, (uint64_t)e->length,
               (uint64_t)e->offset, e->filename ? e->filename : "");
    }
}

/* Does @next continue @cur (same status and file, contiguous)? */
static bool img_map_mergeable(const ImgMapEntry *cur, const ImgMapEntry *next)
{
    return cur->present == next->present && cur->zero == next->zero &&
           cur->data == next->data && cur->depth == next->depth &&
           cur->has_offset == next->has_offset &&
           cur->filename == next->filename &&
           (!cur->has_offset || cur->offset + cur->length == next->offset);
}

/* The status at @offset: down the chain until something answers */
static int img_map_status(BlockDriverState *bs, int64_t offset,
                          int64_t bytes, ImgMapEntry *e)
{
    BlockDriverState *file = NULL;
    int64_t pnum = 0, map = 0;
    int depth = 0, ret;

    for (;;) {
        bs = bdrv_skip_filters(bs);
        ret = bdrv_block_status(bs, offset, bytes, &pnum, &map, &file);
        if (ret < 0) {
            return ret;
        }
        bytes = pnum;
        if (ret & (BDRV_BLOCK_ZERO | BDRV_BLOCK_DATA) || !bdrv_cow_bs(bs)) {
            break;
        }
        bs = bdrv_cow_bs(bs);
        depth++;
    }
    if (pnum <= 0) {
        return -EIO;
    }
    *e = (ImgMapEntry) {
        .start = offset, .length = pnum, .offset = map, .depth = depth,
        .present = ret & BDRV_BLOCK_ALLOCATED, .zero = ret & BDRV_BLOCK_ZERO,
        .data = ret & BDRV_BLOCK_DATA,
        .has_offset = ret & BDRV_BLOCK_OFFSET_VALID,
        .filename = file && (ret & BDRV_BLOCK_OFFSET_VALID) ? file->filename
                                                           : NULL,
    };
    return 0;
}

static int img_map_print_all(BlockDriverState *bs, bool json, int64_t start,
                             int64_t end)
{
    ImgMapEntry cur = { 0 }, next;
    bool have = false, first = true;
    int64_t offset = start;

    if (!json) {
        printf("%-16s%-16s%-16s%s\n", "Offset", "Length", "Mapped to",
               "File");
    }
    while (offset < end) {
        int ret = img_map_status(bs, offset, end - offset, &next);

        if (ret < 0) {
            error_report("Could not read file metadata: %s", strerror(-ret));
            return 1;
        }
        if (have && img_map_mergeable(&cur, &next)) {
            cur.length += next.length;
        } else {
            if (have) {
                img_map_print(&cur, json, first);
                first = false;
            }
            cur = next;
            have = true;
        }
        offset += next.length;
    }
    if (have) {
        img_map_print(&cur, json, first);
    }
    if (json) {
        printf(have ? "]\n" : "[]\n");
    }
    return 0;
}

typedef struct ImgMapArgs {
    ImgOpenArgs o;
    bool json;
    int64_t start, max_length;
} ImgMapArgs;

static int img_map_opt(void *opaque, int c, const char *arg)
{
    ImgMapArgs *a = opaque;

    switch (c) {
    case IMG_OPT_OUTPUT:
        return tool_parse_output(arg, &a->json) ? 0 : -1;
    case IMG_OPT_START_OFFSET:
        a->start = img_parse_size_arg(arg, "start offset");
        return a->start < 0 ? -1 : 0;
    case IMG_OPT_MAX_LENGTH:
        a->max_length = img_parse_size_arg(arg, "max length");
        return a->max_length < 0 ? -1 : 0;
    }
    return IMG_OPT_NOT_MINE;
}

static int img_map_parse(ImgMapArgs *a, int argc, char **argv)
{
    if (img_getopt(argc, argv, ":f:hU", &a->o, img_map_opt, a) < 0) {
        return -1;
    }
    return img_one_image_args(argc, &a->o);
}

int img_map(int argc, char **argv)
{
    ImgMapArgs a = { .max_length = INT64_MAX };
    BlockBackend *blk;
    int64_t len, end;
    int ret;

    if (img_map_parse(&a, argc, argv) < 0) {
        return 1;
    }
    blk = img_open(&a.o, argv[optind], 0);
    if (!blk) {
        return 1;
    }
    len = blk_getlength(blk);
    if (len < 0) {
        error_report("Failed to get size for '%s'", argv[optind]);
        blk_unref(blk);
        return 1;
    }
    end = a.max_length < len - a.start ? a.start + a.max_length : len;
    ret = img_map_print_all(blk_bs(blk), a.json, a.start, end);
    blk_unref(blk);
    return ret;
}
