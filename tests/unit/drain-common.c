/*
 * Helpers shared by the drain tests (see drain-common.h).  Linked into
 * every unit test binary: everything not static is prefixed drain_common_.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "drain-common.h"

int drain_common_node_baseline;

static int drain_common_failures;

/* ---- soft expectations -------------------------------------------------- */

void drain_common_expect_failed(const char *file, int line, const char *fmt,
                                ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    print_error("%s:%d: %s\n", file, line, msg);
    drain_common_failures++;
}

void drain_common_end_test_at(const char *file, int line)
{
    int n = drain_common_failures;

    drain_common_failures = 0;
    if (n) {
        print_error("%d expectation(s) failed\n", n);
        _fail(file, line);
    }
}

/* ---- nodes, edges, polling ---------------------------------------------- */

bool drain_common_poll_for(bool *flag)
{
    for (int i = 0; i < POLL_LIMIT && !*flag; i++) {
        aio_poll(main_ctx(), false);
    }
    return *flag;
}

void drain_common_poll_until_at(bool *flag, const char *what,
                                const char *file, int line)
{
    if (!drain_common_poll_for(flag)) {
        print_error("%s did not happen within %d polls\n", what, POLL_LIMIT);
        _fail(file, line);
    }
}

BlockDriverState *drain_common_open_node_flags(const char *driver,
                                               const char *name, int flags)
{
    QDict *opts = qdict_new();
    Error *err = NULL;
    BlockDriverState *bs;

    qdict_put_str(opts, "driver", driver);
    qdict_put_str(opts, "node-name", name);
    bs = bdrv_open(NULL, NULL, opts, flags, &err);
    if (!bs) {
        fail_msg("Opening %s node '%s' failed: %s", driver, name,
                 error_get_pretty(err));
    }
    return bs;
}

BdrvChild *drain_common_attach(BlockDriverState *parent,
                               BlockDriverState *child, const char *name)
{
    Error *err = NULL;
    BdrvChild *c;

    bdrv_ref(child);
    c = bdrv_attach_child(parent, child, name, &child_of_bds,
                          BDRV_CHILD_DATA | BDRV_CHILD_PRIMARY, &err);
    if (!c) {
        fail_msg("Attaching '%s' as '%s' of '%s' failed: %s",
                 bdrv_get_node_name(child), name, bdrv_get_node_name(parent),
                 error_get_pretty(err));
    }
    return c;
}

BlockBackend *drain_common_new_blk(BlockDriverState *bs)
{
    BlockBackend *blk =
        blk_new(main_ctx(), BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    Error *err = NULL;

    if (blk_insert_bs(blk, bs, &err) < 0) {
        fail_msg("Inserting '%s' into a BlockBackend failed: %s",
                 bdrv_get_node_name(bs), error_get_pretty(err));
    }
    return blk;
}

int drain_common_parent_count(BlockDriverState *bs)
{
    BdrvChild *c;
    int n = 0;

    QLIST_FOREACH (c, &bs->parents, next_parent) {
        n++;
    }
    return n;
}

void drain_common_unref_nodes_list(BlockDriverState *bs, ...)
{
    va_list ap;

    va_start(ap, bs);
    for (; bs; bs = va_arg(ap, BlockDriverState *)) {
        bdrv_unref(bs);
    }
    va_end(ap);
}

void drain_common_begin_kind(bool all, BlockDriverState *bs)
{
    if (all) {
        bdrv_drain_all_begin();
    } else {
        bdrv_drained_begin(bs);
    }
}

void drain_common_end_kind(bool all, BlockDriverState *bs)
{
    if (all) {
        bdrv_drain_all_end();
    } else {
        bdrv_drained_end(bs);
    }
}

/* ---- drain assertions (soft) -------------------------------------------- */

void drain_common_expect_quiesce_at(BlockDriverState *bs, int n,
                                    const char *file, int line)
{
    if (bs->quiesce_counter != n) {
        expect_failed(file, line,
                      "node '%s' has quiesce count %d, "
                      "expected %d",
                      bdrv_get_node_name(bs), bs->quiesce_counter, n);
    }
}

void drain_common_expect_hooks_at(BlockDriverState *bs, int begins, int ends,
                                  const char *file, int line)
{
    const TestDriverCounters *c = test_driver_counters(bs);

    if (c->drain_begin != begins || c->drain_end != ends) {
        expect_failed(file, line,
                      "node '%s' drain hooks ran begin=%d "
                      "end=%d times, expected %d/%d",
                      bdrv_get_node_name(bs), c->drain_begin, c->drain_end,
                      begins, ends);
    }
}

void drain_common_expect_quiesces_at(const char *file, int line,
                                     BlockDriverState *bs, ...)
{
    va_list ap;

    va_start(ap, bs);
    for (; bs; bs = va_arg(ap, BlockDriverState *)) {
        drain_common_expect_quiesce_at(bs, va_arg(ap, int), file, line);
    }
    va_end(ap);
}

void drain_common_expect_hooks_all_at(const char *file, int line, int begins,
                                      int ends, BlockDriverState *bs, ...)
{
    va_list ap;

    va_start(ap, bs);
    for (; bs; bs = va_arg(ap, BlockDriverState *)) {
        drain_common_expect_hooks_at(bs, begins, ends, file, line);
    }
    va_end(ap);
}

void drain_common_expect_blk_quiesced_at(BlockBackend *blk, bool q,
                                         const char *file, int line)
{
    if (blk_root(blk)->quiesced_parent != q) {
        expect_failed(file, line, "the BlockBackend over '%s' is %squiesced",
                      bdrv_get_node_name(blk_bs(blk)), q ? "not " : "");
    }
}

void drain_common_expect_graph_ok_at(const char *file, int line)
{
    Error *err = NULL;

    if (bdrv_debug_check_graph(&err) < 0) {
        expect_failed(file, line, "%s", error_get_pretty(err));
        error_free(err);
    }
}

void drain_common_expect_all_undrained_at(const char *file, int line)
{
    BlockDriverState *bs = NULL;

    while ((bs = bdrv_next_all_states(bs))) {
        BdrvChild *c;
        if (bs->quiesce_counter) {
            expect_failed(file, line, "node '%s' still has quiesce count %d",
                          bdrv_get_node_name(bs), bs->quiesce_counter);
        }
        QLIST_FOREACH (c, &bs->parents, next_parent) {
            if (c->quiesced_parent) {
                expect_failed(file, line,
                              "edge '%s' to '%s' still quiesces "
                              "its parent",
                              c->name, bdrv_get_node_name(bs));
            }
        }
    }
    if (bdrv_debug_drain_all_count()) {
        expect_failed(file, line, "drain_all nesting is %d, expected 0",
                      bdrv_debug_drain_all_count());
    }
}

/* ---- fixtures ----------------------------------------------------------- */

int drain_common_group_setup(void **state)
{
    bdrv_init();
    bdrv_register(&bdrv_test);
    return 0;
}

int drain_common_setup(void **state)
{
    drain_common_node_baseline = bdrv_debug_node_count();
    return 0;
}

int drain_common_teardown(void **state)
{
    Error *err = NULL;

    if (bdrv_debug_check_graph(&err) < 0) {
        print_error("Graph check after the test: %s\n", error_get_pretty(err));
        error_free(err);
        return -1;
    }
    if (bdrv_debug_node_count() != drain_common_node_baseline) {
        print_error("%d nodes alive after the test, %d before\n",
                    bdrv_debug_node_count(), drain_common_node_baseline);
        return -1;
    }
    if (bdrv_debug_drain_all_count() != 0) {
        print_error("drain_all still nested %d deep after the test\n",
                    bdrv_debug_drain_all_count());
        return -1;
    }
    return 0;
}
