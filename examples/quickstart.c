/*
 * The smallest program using drydock: create a raw image, open it through a
 * BlockBackend, write a pattern and read it back.  `make check` builds it
 * against build/release/libblock.a and runs it.
 *
 *   cc -Iinclude examples/quickstart.c build/release/libblock.a \
 *      -pthread -lz -lzstd -luring -o quickstart && ./quickstart /tmp/t.raw
 */
#include "block/block-backend.h"

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "quickstart.raw";
    uint8_t out[4096], in[4096];
    Error *err = NULL;
    BlockBackend *blk;

    bdrv_init();
    bdrv_img_create(path, "raw", NULL, NULL, NULL, 1 << 20, 0, true, &err);
    if (err) {
        error_report_err(err);
        return 1;
    }
    blk = blk_new_open(path, NULL, NULL, BDRV_O_RDWR, &err);
    if (!blk) {
        error_report_err(err);
        return 1;
    }
    memset(out, 0xa5, sizeof(out));
    if (blk_pwrite(blk, 4096, sizeof(out), out, 0) < 0 ||
        blk_pread(blk, 4096, sizeof(in), in, 0) < 0 ||
        memcmp(in, out, sizeof(in)) != 0) {
        fprintf(stderr, "quickstart: pattern did not read back\n");
        return 1;
    }
    blk_unref(blk);
    bdrv_close_all();
    printf("quickstart: wrote and read back %zu bytes of 0xa5 in %s\n",
           sizeof(out), path);
    return 0;
}
