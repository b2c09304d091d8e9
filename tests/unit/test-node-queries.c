/*
 * Small node queries of block/core/node-info.c: cache modes as -drive and
 * qemu-img take them, operation names, op blockers stacked by several
 * users, child queries on NULL and ejected nodes, and buffer registration
 * on a node without a driver.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"

typedef struct CacheMode {
    const char *name;
    int flags;            /* the cache flags it sets */
    bool writethrough;
} CacheMode;

static const CacheMode cache_modes[] = {
    { "none", BDRV_O_NOCACHE, false },
    { "off", BDRV_O_NOCACHE, false },
    { "directsync", BDRV_O_NOCACHE, true },
    { "writeback", 0, false },
    { "unsafe", BDRV_O_NO_FLUSH, false },
    { "writethrough", 0, true },
};

/* Each mode replaces the cache flags and keeps the others */
static void test_parse_cache_mode_names(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(cache_modes); i++) {
        const CacheMode *m = &cache_modes[i];
        int flags = BDRV_O_RDWR | BDRV_O_NOCACHE | BDRV_O_NO_FLUSH;
        bool wt = !m->writethrough;

        expect_int(bdrv_parse_cache_mode(m->name, &flags, &wt), 0);
        expect_int(flags, BDRV_O_RDWR | m->flags);
        expect_int(wt, m->writethrough);
    }
    end_test();
}

static void test_parse_cache_mode_refuses_unknown(void **state)
{
    int flags = BDRV_O_RDWR;
    bool wt = false;

    expect_int(bdrv_parse_cache_mode("sometimes", &flags, &wt), -1);
    expect_int(bdrv_parse_cache_mode("", &flags, &wt), -1);
    end_test();
}

static void test_op_type_names(void **state)
{
    expect_true(!strcmp(BlockOpType_str(BLOCK_OP_TYPE_BACKUP_SOURCE),
                        "backup-source"));
    expect_true(!strcmp(BlockOpType_str(BLOCK_OP_TYPE_REPLACE), "replace"));
    expect_true(BlockOpType_str(BLOCK_OP_TYPE_MAX) == NULL);
    expect_true(BlockOpType_str((BlockOpType)-1) == NULL);
    end_test();
}

/* Two users block the same operation: it stays blocked until both let go */
static void test_op_blockers_stack(void **state)
{
    BlockDriverState *bs = open_null("nq-blocked");
    Error *first = NULL, *second = NULL, *err = NULL;

    error_setg(&first, "first user");
    error_setg(&second, "second user");
    bdrv_op_block(bs, BLOCK_OP_TYPE_RESIZE, first);
    bdrv_op_block(bs, BLOCK_OP_TYPE_RESIZE, second);
    expect_true(bdrv_op_is_blocked(bs, BLOCK_OP_TYPE_RESIZE, &err));
    check_error_has(&err, "second user", "'resize'", NULL);
    bdrv_op_unblock(bs, BLOCK_OP_TYPE_RESIZE, second);
    expect_true(bdrv_op_is_blocked(bs, BLOCK_OP_TYPE_RESIZE, &err));
    check_error_has(&err, "first user", NULL);
    bdrv_op_unblock(bs, BLOCK_OP_TYPE_RESIZE, first);
    expect_false(bdrv_op_is_blocked(bs, BLOCK_OP_TYPE_RESIZE, NULL));
    error_free(first);
    error_free(second);
    bdrv_unref(bs);
    end_test();
}

/* No node, or no driver: no COW child and no filtered child */
static void test_child_queries_without_node_or_driver(void **state)
{
    BlockDriverState *bs = bdrv_new();

    expect_true(bdrv_cow_child(NULL) == NULL);
    expect_true(bdrv_filter_child(NULL) == NULL);
    expect_true(bdrv_cow_child(bs) == NULL);
    expect_true(bdrv_filter_child(bs) == NULL);
    expect_true(bdrv_filter_or_cow_bs(bs) == NULL);
    expect_true(bdrv_skip_filters(bs) == bs);
    expect_true(bdrv_get_format_name(bs) == NULL);
    bdrv_unref(bs);
    end_test();
}

/* A filter whose only child is not its filtered one filters nothing */
static void test_filter_with_unfiltered_child_only(void **state)
{
    BlockDriverState *filter = test_common_open_local(&test_common_filter_drv,
                                                      "nq-filter",
                                                      BDRV_O_RDWR);
    BlockDriverState *data = open_null("nq-data");
    BdrvChild *c = test_common_attach(filter, data, "extra", BDRV_CHILD_DATA);

    expect_true(bdrv_filter_child(filter) == NULL);
    expect_true(bdrv_skip_filters(filter) == filter);
    bdrv_unref_child(filter, c);
    bdrv_unref(filter);
    end_test();
}

/* Without a driver there is nothing to register a buffer with */
static void test_register_buf_on_ejected_node(void **state)
{
    BlockDriverState *bs = bdrv_new();
    uint8_t buf[4096];
    Error *err = NULL;

    check_ok(bdrv_register_buf(bs, buf, sizeof(buf), &err), &err,
             "register on an ejected node");
    bdrv_unregister_buf(bs, buf, sizeof(buf));
    bdrv_cancel_in_flight(bs);
    bdrv_cancel_in_flight(NULL);
    bdrv_unref(bs);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_parse_cache_mode_names),
        T(test_parse_cache_mode_refuses_unknown),
        T(test_op_type_names),
        T(test_op_blockers_stack),
        T(test_child_queries_without_node_or_driver),
        T(test_filter_with_unfiltered_child_only),
        T(test_register_buf_on_ejected_node),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
