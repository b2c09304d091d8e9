/*
 * Edges of the per-node queries of block/core/io-length.c and vmstate.c:
 * the length of a driver without getlength (the hint is checked), the
 * allocated size of filters and formats (which children count), buffer
 * alignment without a node, and VM state on nodes without it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

/* A driver whose length is set at open (8 sectors), without getlength */
static int no_length_open(BlockDriverState *bs, QDict *options, int flags,
                          Error **errp)
{
    bs->total_sectors = 8;
    return 0;
}

static BlockDriver no_length_drv = {
    .format_name = "no-length",
    .bdrv_open = no_length_open,
};

/* A protocol that cannot tell how much it allocates */
static BlockDriver no_size_proto_drv = {
    .format_name = "no-size-proto",
    .protocol_name = "no-size-proto",
    .bdrv_open = no_length_open,
};

static void test_length_hint_is_checked(void **state)
{
    BlockDriverState *bs = test_common_open_local(&no_length_drv, "le-fixed",
                                                  BDRV_O_RDWR);

    expect_int(bdrv_refresh_total_sectors(bs, 8), 0);
    expect_int(bdrv_getlength(bs), 8 * 512);
    expect_int(bdrv_refresh_total_sectors(bs, -1), -EINVAL);
    expect_int(bdrv_refresh_total_sectors(bs, BDRV_MAX_LENGTH / 512 + 1),
               -EFBIG);
    /* A refused hint leaves the length as it was */
    expect_int(bdrv_getlength(bs), 8 * 512);
    bdrv_unref(bs);
    end_test();
}

/*
 * A filter counts what it filters (nothing to count without a child); a
 * format counts its data children and not its backing file, and a child
 * that cannot tell makes the whole unknown.
 */
static void test_allocated_size_children(void **state)
{
    BlockDriverState *filter = test_common_open_local(&test_common_filter_drv,
                                                      "le-filter",
                                                      BDRV_O_RDWR);
    QDict *base_opts = test_common_opts_pairs("driver", "test", "node-name",
                                              "le-base", NULL);
    QDict *top_opts = test_common_opts_pairs("driver", "test", "node-name",
                                             "le-top", "backing", "le-base",
                                             "file.driver", "null-co", NULL);
    BlockDriverState *proto = test_common_open_local(&no_size_proto_drv,
                                                     "le-proto", BDRV_O_RDWR);
    BlockDriverState *base, *top;
    BdrvChild *c;

    expect_int(bdrv_get_allocated_file_size(filter), -ENOTSUP);
    expect_int(bdrv_get_allocated_file_size(proto), -ENOTSUP);
    base = open_ok(NULL, base_opts, BDRV_O_RDWR);
    top = open_ok(NULL, top_opts, BDRV_O_RDWR);
    bdrv_unref(base);
    /* null-co allocates nothing; the backing file is not counted */
    expect_int(bdrv_get_allocated_file_size(top), 0);
    bdrv_ref(top);
    c = test_common_attach(filter, top, "file",
                           BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY);
    expect_int(bdrv_get_allocated_file_size(filter), 0);
    bdrv_unref_child(filter, c);
    /* A data child that cannot tell makes the sum unknown */
    c = test_common_attach(top, proto, "extra", BDRV_CHILD_DATA);
    expect_int(bdrv_get_allocated_file_size(top), -ENOTSUP);
    bdrv_unref_child(top, c);
    unref_nodes(top, filter);
    end_test();
}

/* Without a node (or a driver) buffers take the strictest alignment */
static void test_blockalign_without_node(void **state)
{
    BlockDriverState *ejected = bdrv_new();
    size_t page = (size_t)MAX(4096, getpagesize());
    uint8_t *buf;

    expect_int(bdrv_min_mem_align(NULL), page);
    expect_int(bdrv_opt_mem_align(NULL), page);
    expect_int(bdrv_min_mem_align(ejected), page);
    expect_int(bdrv_opt_mem_align(ejected), page);
    buf = qemu_blockalign0(NULL, 100);
    expect_true(buf && ((uintptr_t)buf % page) == 0);
    expect_true(buf && buf[0] == 0 && buf[99] == 0);
    qemu_vfree(buf);
    bdrv_unref(ejected);
    end_test();
}

typedef struct CoVmstate {
    BlockDriverState *bs;
    QEMUIOVector in, out;      /* what is saved, where it is loaded */
    int read_ret, write_ret;
    bool done;
} CoVmstate;

static void coroutine_fn co_vmstate_entry(void *opaque)
{
    CoVmstate *v = opaque;

    v->write_ret = bdrv_co_writev_vmstate(v->bs, &v->in, 512);
    v->read_ret = bdrv_co_readv_vmstate(v->bs, &v->out, 512);
    v->done = true;
}

/* Saves @in at 512 and loads it back into @out, in a coroutine */
static void co_vmstate(CoVmstate *v, uint8_t *in, uint8_t *out, size_t len)
{
    qemu_iovec_init_buf(&v->in, in, len);
    qemu_iovec_init_buf(&v->out, out, len);
    qemu_coroutine_enter(qemu_coroutine_create(co_vmstate_entry, v));
    while (!v->done) {
        aio_poll(qemu_get_aio_context(), true);
    }
}

/* The coroutine entry points: a round trip, and a node without VM state */
static void test_co_vmstate(void **state)
{
    BlockDriverState *bs = open_test("le-vm");
    BlockDriverState *null = open_null("le-null");
    uint8_t in[512], out[512] = { 0 };
    CoVmstate v = { .bs = bs }, n = { .bs = null };

    memset(in, 0x3c, sizeof(in));
    co_vmstate(&v, in, out, sizeof(in));
    expect_int(v.write_ret, 0);
    expect_int(v.read_ret, 0);
    expect_true(!memcmp(in, out, sizeof(in)));
    co_vmstate(&n, in, out, sizeof(in));
    expect_int(n.write_ret, -ENOTSUP);
    expect_int(n.read_ret, -ENOTSUP);
    unref_nodes(null, bs);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_length_hint_is_checked),
        T(test_allocated_size_children),
        T(test_blockalign_without_node),
        T(test_co_vmstate),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
