/*
 * Fuzz target "scenario": the input is scenario text (docs/scenarios.md),
 * run in-process as `drydock run --seed N` runs a file, N a hash of the
 * input, in a sandbox that touches no host file:
 *
 * - the "file" protocol is the mem protocol under the name "file": every
 *   path (created images, backing files, data files, json: filenames)
 *   names a mem image, and all of them are deleted after each input; an
 *   image is created or resized to at most S_MAX_IMAGE bytes (a mem image
 *   is backed up to the highest byte written: a write at the end of a
 *   4 GiB image would allocate 4 GiB) and "size" at open is refused;
 * - the image helpers (poke, peek, write-hex, cat, graph --dot) and
 *   `write -s` use mem images too (ScnOptions.sandboxed);
 * - blkdebug refuses its config file; io sleep, sigraise, abort and break
 *   and the scenario's park are refused as syntax errors (real time,
 *   signals, or requests suspended under a drain: a deadlock abort);
 * - snapshot=on's temporary files go to a directory named after the
 *   process (bdrv_set_temp_dir), made for each input and removed after it
 *   (libFuzzer ends with _exit(): a directory kept for the whole run was
 *   left behind).  $TMPDIR is libFuzzer's: -fork and -merge keep their
 *   files there for the whole run;
 * - variables expand from a fixed table, not the environment, so that an
 *   input runs the same anywhere.
 *
 * Inputs longer than S_MAX_INPUT bytes run their start only.  After each
 * input every node is gone and the invariant checker passes.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block-debug.h"
#include "block/driver.h"
#include "block/mem.h"
#include "harness/scenario/scenario.h"
#include "util/qdict.h"
#include "util/qemu-option.h"
#include "fuzz-common.h"

#define S_MAX_INPUT (16 * 1024)
#define S_MAX_IMAGE (64 * 1024 * 1024)

/* The drivers the sandbox changes (block/drivers/registry.c) */
extern BlockDriver bdrv_file, bdrv_mem, bdrv_blkdebug;

static int (*s_blkdebug_open)(BlockDriverState *bs, QDict *options, int flags,
                              Error **errp);
static BlockDriver s_mem;             /* the mem driver's own functions */
static char s_tmpdir[64];             /* named after the process */

/* The variables iotests' scenarios use; paths name mem images */
static const char *const s_env[] = {
    "TEST_DIR=/fuzz",
    "TEST_IMG=/fuzz/t.qcow2",
    "IMGFMT=qcow2",
    "IMGPROTO=file",
    "IMGOPTS=",
    "SOCK_DIR=/fuzz",
    NULL,
};

static int s_blkdebug_open_sandboxed(BlockDriverState *bs, QDict *options,
                                     int flags, Error **errp)
{
    if (qdict_haskey(options, "config")) {
        error_setg(errp, "blkdebug config files are not read by the "
                   "scenario fuzz target");
        return -EPERM;
    }
    return s_blkdebug_open(bs, options, flags, errp);
}

static int s_mem_open(BlockDriverState *bs, QDict *options, int flags,
                      Error **errp)
{
    if (qdict_haskey(options, "size")) {
        error_setg(errp, "The scenario fuzz target creates no image at open");
        return -EPERM;
    }
    return s_mem.bdrv_open(bs, options, flags, errp);
}

static int coroutine_fn s_mem_create(BlockDriver *drv, const char *filename,
                                     QemuOpts *opts, Error **errp)
{
    if (qemu_opt_get_size(opts, BLOCK_OPT_SIZE, 0) > S_MAX_IMAGE) {
        error_setg(errp, "The scenario fuzz target creates files of at most "
                   "%d bytes", S_MAX_IMAGE);
        return -EFBIG;
    }
    return s_mem.bdrv_co_create_opts(drv, filename, opts, errp);
}

static int coroutine_fn s_mem_truncate(BlockDriverState *bs, int64_t offset,
                                       bool exact, PreallocMode prealloc,
                                       BdrvRequestFlags flags, Error **errp)
{
    if (offset > S_MAX_IMAGE) {
        error_setg(errp, "The scenario fuzz target has files of at most %d "
                   "bytes", S_MAX_IMAGE);
        return -EFBIG;
    }
    return s_mem.bdrv_co_truncate(bs, offset, exact, prealloc, flags, errp);
}

static void s_make_tmpdir(void)
{
    if (mkdir(s_tmpdir, 0700) < 0 && errno != EEXIST) {
        fuzz_die("scenario: cannot create %s: %s", s_tmpdir, strerror(errno));
    }
}

static void s_remove_tmpdir(void)
{
    DIR *d = opendir(s_tmpdir);
    struct dirent *e;

    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            unlinkat(dirfd(d), e->d_name, 0);
        }
    }
    if (d) {
        closedir(d);
    }
    rmdir(s_tmpdir);
}

static void s_sandbox(void)
{
    /* Paths are mem image names: "file" is "mem" under another name */
    s_mem = bdrv_mem;
    bdrv_mem.bdrv_open = s_mem_open;
    bdrv_mem.bdrv_co_create_opts = s_mem_create;
    bdrv_mem.bdrv_co_truncate = s_mem_truncate;
    bdrv_file = bdrv_mem;
    bdrv_file.format_name = "file";
    bdrv_file.protocol_name = "file";
    s_blkdebug_open = bdrv_blkdebug.bdrv_open;
    bdrv_blkdebug.bdrv_open = s_blkdebug_open_sandboxed;
    snprintf(s_tmpdir, sizeof(s_tmpdir), "/tmp/drydock-fuzz-scenario.%d",
             (int)getpid());
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static bool done;

    if (!done) {
        done = true;
        s_sandbox();
        fuzz_init();
        bdrv_set_temp_dir(s_tmpdir);
    }
    return 0;
}

/* FNV-1a: the scheduler's seed follows from the input */
static uint64_t s_hash(const uint8_t *data, size_t size)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (size_t i = 0; i < size; i++) {
        h = (h ^ data[i]) * 0x100000001b3ULL;
    }
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ScnOptions opts = { .seeded = true, .sandboxed = true, .env = s_env };
    int nodes;

    LLVMFuzzerInitialize(NULL, NULL);
    size = size < S_MAX_INPUT ? size : S_MAX_INPUT;
    opts.seed = s_hash(data, size);
    nodes = bdrv_debug_node_count();
    s_make_tmpdir();
    scn_run_text("fuzz.scn", (const char *)data, size, &opts);
    mem_image_delete_all();
    s_remove_tmpdir();
    fuzz_check_graph("the end of the input");
    fuzz_check_nodes(nodes, "scenario");
    return 0;
}
