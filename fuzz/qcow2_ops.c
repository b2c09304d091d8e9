/*
 * Fuzz target "qcow2_ops": a valid image made by drydock (a template the
 * first byte picks: cluster sizes from 512 bytes to 64 KiB (2 MiB clusters
 * only in the parser targets' seeds: each operation there costs 100 ms
 * under ASan), refcount widths, v2, lazy refcounts,
 * zstd, a backing file, extended L2 where the driver has it), then a
 * program of up to 64 operations: read, write, zero write, discard,
 * flush, resize, reopen (close and open again, or read-only and back),
 * snapshot create and apply, compressed write, and a sweep that writes
 * into more L2 tables than the cache holds (opened with a two-table L2
 * cache) and reads them back.  Every read is checked against the shadow
 * model (qcow2_ops_shadow.h): a mismatch aborts.  Operations the driver
 * does not have yet (-ENOTSUP) leave the model alone.
 *
 * Input: template byte, then operations of one opcode byte and their
 * arguments (offsets u32, lengths u16, pattern u8); see scripts/fuzz-seeds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "block/block-global-state.h"
#include "block/block-debug.h"
#include "block/block-io.h"
#include "block/mem.h"
#include "util/cutils.h"
#include "util/qdict.h"
#include "fuzz-image.h"
#include "fuzz-shadow.h"

#define OPS_MAX 64
#define OPS_IMG "fz-ops"
#define OPS_BASE "fz-ops-base"
#define OPS_MAX_LEN (64 * 1024)
#define OPS_SNAPSHOTS 4

typedef struct OpsTemplate {
    const char *options;    /* creation options */
    int64_t size;
    bool backing;           /* over OPS_BASE (raw, pattern) */
    bool made;
    uint8_t *bytes;
    size_t len;
} OpsTemplate;

static OpsTemplate ops_templates[] = {
    { "cluster_size=512", 4 * 1024 * 1024 },
    { "cluster_size=4096,refcount_bits=1", 16 * 1024 * 1024 },
    { "cluster_size=65536", (int64_t)2 << 30 },
    { "cluster_size=512,compat=0.10", 2 * 1024 * 1024 },
    { "cluster_size=1024,lazy_refcounts=on,refcount_bits=64", 4 * 1024 * 1024 },
    { "cluster_size=4096,backing_fmt=raw", 8 * 1024 * 1024, true },
    { "cluster_size=2048,compression_type=zstd", 4 * 1024 * 1024 },
    { "cluster_size=32768,extended_l2=on", 64 * 1024 * 1024 },
};

typedef struct Ops {
    FuzzInput in;
    OpsTemplate *t;
    BlockBackend *blk;
    FuzzShadow sh;
    FuzzShadow snap[OPS_SNAPSHOTS];
    bool snap_valid[OPS_SNAPSHOTS];
    int64_t size;
    int64_t cluster;
    bool read_only;
    uint8_t wbuf[OPS_MAX_LEN];
    uint8_t rbuf[OPS_MAX_LEN];
} Ops;

static Ops ops;

/* The backing file's byte at @off (the template with a backing file) */
static uint8_t ops_base_byte(int64_t off)
{
    return (uint8_t)(off * 7 + (off >> 12));
}

static void ops_make_templates(void)
{
    g_autofree uint8_t *base = g_malloc(8 * 1024 * 1024);

    for (size_t i = 0; i < 8 * 1024 * 1024; i++) {
        base[i] = ops_base_byte(i);
    }
    mem_image_set(OPS_BASE, base, 8 * 1024 * 1024, &error_abort);
    for (size_t i = 0; i < ARRAY_SIZE(ops_templates); i++) {
        OpsTemplate *t = &ops_templates[i];
        g_autofree char *o = g_strdup(t->options);
        Error *err = NULL;
        const uint8_t *img;

        bdrv_img_create("mem:" OPS_IMG, "qcow2", t->backing ? OPS_BASE : NULL,
                        NULL, o, t->size, 0, true, &err);
        img = mem_image_get(OPS_IMG, &t->len);
        /* A feature the driver does not have yet: no such template */
        t->made = !err && img;
        error_free(err);
        if (t->made) {
            t->bytes = g_memdup2(img, t->len);
        }
        mem_image_delete(OPS_IMG);
    }
}

static bool ops_open(void)
{
    QDict *extra = qdict_new();
    BlockDriverInfo bdi;
    int flags = BDRV_O_RDWR | BDRV_O_RESIZE;

    /* Two L2 tables of cache: the sweep evicts */
    qdict_put_str(extra, "l2-cache-size", "1");
    ops.blk = fuzz_image_open(OPS_IMG, "qcow2", flags, 1, extra);
    if (!ops.blk) {
        return false;
    }
    memset(&bdi, 0, sizeof(bdi));
    bdrv_get_info(blk_bs(ops.blk), &bdi);
    ops.cluster = bdi.cluster_size > 0 ? bdi.cluster_size : 65536;
    ops.read_only = false;
    return true;
}

/* An offset anywhere in the disk or a little past it, and a length */
static void ops_range(int64_t *off, int64_t *len)
{
    uint32_t o = fuzz_u32(&ops.in);

    *len = fuzz_u16(&ops.in) % (OPS_MAX_LEN + 1);
    *off = (int64_t)((uint64_t)o * (uint64_t)(ops.size + 4096) >> 32);
    if (o & 1) {
        /* Cluster-aligned offsets are as likely as odd ones */
        *off &= ~(ops.cluster - 1);
    }
}

static void ops_read_check(int64_t off, int64_t len, const char *what)
{
    if (len <= 0 || blk_pread(ops.blk, off, len, ops.rbuf, 0) < 0) {
        return;
    }
    fuzz_shadow_check(&ops.sh, off, len, ops.rbuf, what);
}

static void ops_write(int64_t off, int64_t len, uint8_t pattern, int flags)
{
    int ret;

    /* (a sector at a time: a comparison per byte is a call under libFuzzer) */
    for (int64_t i = 0; i < len; i += 512) {
        memset(ops.wbuf + i, (uint8_t)(pattern + (uint8_t)(i >> 9)),
               MIN(512, len - i));
    }
    ret = blk_pwrite(ops.blk, off, len, ops.wbuf, flags);
    if (ret == 0 && off + len <= ops.size) {
        fuzz_shadow_set(&ops.sh, off, len, ops.wbuf);
    } else if (ret < 0) {
        /* A failed write may have written part of it */
        fuzz_shadow_forget(&ops.sh, off, len);
    }
}

static void ops_zero(int64_t off, int64_t len, int flags)
{
    int ret = blk_pwrite_zeroes(ops.blk, off, len, flags);

    if (ret == 0 && off + len <= ops.size) {
        fuzz_shadow_set(&ops.sh, off, len, NULL);
    } else if (ret < 0) {
        fuzz_shadow_forget(&ops.sh, off, len);
    }
}

static void ops_resize(void)
{
    int64_t size = ops.size + (int64_t)fuzz_u16(&ops.in) * 512 -
                   (fuzz_u8(&ops.in) & 1 ? 32 * 1024 : 0);
    int ret;

    size = MAX(size, 512);
    ret = blk_truncate(ops.blk, size, false, PREALLOC_MODE_OFF, 0, NULL);
    if (ret == 0) {
        /* Bytes past the new end, now or after a later growth, read as 0 */
        fuzz_shadow_truncate(&ops.sh, size, ops.size);
        ops.size = size;
    }
}

/* Close and open again: everything written must have reached the image */
static void ops_reopen(void)
{
    blk_unref(ops.blk);
    ops.blk = NULL;
    fuzz_check_graph("closing for a reopen");
    if (!ops_open()) {
        fuzz_die("qcow2_ops: the image does not open again");
    }
    if (blk_getlength(ops.blk) != ops.size) {
        fuzz_die("qcow2_ops: length %" PRId64 " after a reopen, expected %"
                 PRId64, blk_getlength(ops.blk), ops.size);
    }
}

static void ops_toggle_read_only(void)
{
    if (bdrv_reopen_set_read_only(blk_bs(ops.blk), !ops.read_only,
                                  NULL) == 0) {
        ops.read_only = !ops.read_only;
    }
    fuzz_check_graph("a read-only toggle");
}

static void ops_snapshot(bool create)
{
    int slot = fuzz_u8(&ops.in) % OPS_SNAPSHOTS;
    char name[16];
    QEMUSnapshotInfo sn;
    int ret;

    snprintf(name, sizeof(name), "s%d", slot);
    if (create) {
        memset(&sn, 0, sizeof(sn));
        pstrcpy(sn.name, sizeof(sn.name), name);
        /*
         * A second snapshot of the same name is another snapshot; applying
         * the name finds the first one (as qemu-img): the model keeps it
         */
        if (bdrv_snapshot_create(blk_bs(ops.blk), &sn) == 0 &&
            !ops.snap_valid[slot]) {
            fuzz_shadow_copy(&ops.snap[slot], &ops.sh);
            ops.snap_valid[slot] = true;
        }
        return;
    }
    ret = bdrv_snapshot_goto(blk_bs(ops.blk), name, NULL);
    if (ret == 0 && ops.snap_valid[slot]) {
        fuzz_shadow_copy(&ops.sh, &ops.snap[slot]);
        ops.size = blk_getlength(ops.blk);
    } else if (ret < 0 && ret != -ENOTSUP && ret != -ENOENT) {
        /* A failed apply may have switched part of the tables */
        fuzz_shadow_forget_all(&ops.sh);
    }
}

/* One write into each of more L2 tables than the cache holds, read back */
static void ops_sweep(void)
{
    int64_t span = ops.cluster / 8 * ops.cluster;
    int64_t first = fuzz_u8(&ops.in) * 512;
    uint8_t pattern = fuzz_u8(&ops.in);

    for (int i = 0; i < 5; i++) {
        int64_t off = first + i * span;

        if (off + 512 <= ops.size) {
            ops_write(off, 512, pattern + i, 0);
        }
    }
    for (int i = 0; i < 5; i++) {
        int64_t off = first + i * span;

        if (off + 512 <= ops.size) {
            ops_read_check(off, 512, "a sweep");
        }
    }
}

static void ops_step(void)
{
    uint8_t op = fuzz_u8(&ops.in) % 12;
    int64_t off = 0, len = 0;

    if (op <= 3 || op == 11) {
        ops_range(&off, &len);
    }
    if (fuzz_trace) {
        fprintf(stderr, "qcow2_ops: op %d offset %" PRId64 " length %" PRId64
                "\n", op, off, len);
    }
    switch (op) {
    case 0:
        ops_read_check(off, len, "a read");
        break;
    case 1:
        ops_write(off, len, fuzz_u8(&ops.in), 0);
        break;
    case 2:
        ops_zero(off, len, fuzz_u8(&ops.in) & 1 ? BDRV_REQ_MAY_UNMAP : 0);
        break;
    case 3:
        /* Advisory: discarded bytes read as zeroes or what they were */
        blk_pdiscard(ops.blk, off, len);
        fuzz_shadow_forget(&ops.sh, off, len);
        break;
    case 4:
        blk_flush(ops.blk);
        break;
    case 5:
        ops_resize();
        break;
    case 6:
        ops_reopen();
        break;
    case 7:
        ops_toggle_read_only();
        break;
    case 8:
    case 9:
        ops_snapshot(op == 8);
        break;
    case 10:
        ops_sweep();
        break;
    case 11:
        ops_write(off, len, fuzz_u8(&ops.in), BDRV_REQ_WRITE_COMPRESSED);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int nb_made;
    static OpsTemplate *made[ARRAY_SIZE(ops_templates)];
    int nodes = bdrv_debug_node_count();

    fuzz_init();
    if (!nb_made) {
        ops_make_templates();
        for (size_t i = 0; i < ARRAY_SIZE(ops_templates); i++) {
            if (ops_templates[i].made) {
                made[nb_made++] = &ops_templates[i];
            }
        }
    }
    fuzz_input_init(&ops.in, data, size);
    ops.t = made[fuzz_u8(&ops.in) % nb_made];
    if (fuzz_trace) {
        fprintf(stderr, "qcow2_ops: template %s\n", ops.t->options);
    }
    mem_image_set(OPS_IMG, ops.t->bytes, ops.t->len, &error_abort);
    ops.size = ops.t->size;
    ops.read_only = false;
    fuzz_shadow_reset(&ops.sh, ops.t->backing ? ops_base_byte : NULL,
                      ops.t->backing ? 8 * 1024 * 1024 : 0);
    memset(ops.snap_valid, 0, sizeof(ops.snap_valid));
    if (!ops_open()) {
        fuzz_die("qcow2_ops: template '%s' does not open", ops.t->options);
    }
    /* (reopen and toggles check the graph: other steps do not change it) */
    for (int i = 0; i < OPS_MAX && !fuzz_input_done(&ops.in); i++) {
        ops_step();
    }
    ops_reopen();
    ops_read_check(0, MIN(ops.size, OPS_MAX_LEN), "the end");
    blk_unref(ops.blk);
    ops.blk = NULL;
    fuzz_check_graph("closing");
    fuzz_check_nodes(nodes, "qcow2_ops");
    mem_image_delete(OPS_IMG);
    return 0;
}
