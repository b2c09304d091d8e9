/*
 * The attach/detach hooks of a parent's BdrvChildClass (block/core/child.c)
 * are called each time its edge gets or loses a node, with the edge
 * pointing at that node; and a failed reopen that had dropped a child puts
 * it back in its place among the parent's children.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/block-int.h"
#include "block/driver.h"
#include "block/test-driver.h"
#include "test-common.h"
#include "util/cutils.h"

typedef struct HookLog {
    int attached, detached;
    BlockDriverState *last_attached, *last_detached;
} HookLog;

static void hook_attach(BdrvChild *c)
{
    HookLog *log = c->opaque;

    log->attached++;
    log->last_attached = c->bs;
}

static void hook_detach(BdrvChild *c)
{
    HookLog *log = c->opaque;

    log->detached++;
    log->last_detached = c->bs;
}

static const BdrvChildClass hook_class = {
    .attach = hook_attach,
    .detach = hook_detach,
};

static void test_attach_detach_hooks_follow_the_edge(void **state)
{
    BlockDriverState *a = open_null("ch-a");
    BlockDriverState *b = open_null("ch-b");
    HookLog log = { 0 };
    Error *err = NULL;
    BdrvChild *c;

    bdrv_ref(a);    /* the edge takes one reference, the test keeps one */
    c = bdrv_root_attach_child(a, "root", &hook_class, BDRV_CHILD_DATA,
                               BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL, &log,
                               &err);
    check_ok(c != NULL, &err, "attach");
    expect_int(log.attached, 1);
    expect_true(log.last_attached == a);
    expect_int(log.detached, 0);

    /* The edge moves from a to b: detached from a, then attached to b */
    check_ok(bdrv_replace_node(a, b, &err) == 0, &err, "replace a by b");
    expect_int(log.detached, 1);
    expect_true(log.last_detached == a);
    expect_int(log.attached, 2);
    expect_true(log.last_attached == b);

    bdrv_root_unref_child(c);
    expect_int(log.detached, 2);
    expect_true(log.last_detached == b);
    expect_int(log.attached, 2);
    unref_nodes(b, a);
    end_test();
}

static const char *child_names(BlockDriverState *bs, char *buf, size_t len)
{
    BdrvChild *c;

    buf[0] = 0;
    QLIST_FOREACH(c, &bs->children, next) {
        pstrcat(buf, len, c->name);
        pstrcat(buf, len, " ");
    }
    return buf;
}

/*
 * backing=null with an option that cannot change: the reopen fails and
 * the backing child is back, after the file child, as it was.
 */
static void test_failed_reopen_restores_dropped_child(void **state)
{
    QDict *base_opts = test_common_opts_pairs("driver", "test", "node-name",
                                              "ch-base", NULL);
    QDict *top_opts = test_common_opts_pairs("driver", "test", "node-name",
                                             "ch-top", "file.driver",
                                             "null-co", "backing", "ch-base",
                                             NULL);
    BlockDriverState *base = open_ok(NULL, base_opts, BDRV_O_RDWR);
    BlockDriverState *top = open_ok(NULL, top_opts, BDRV_O_RDWR);
    QDict *opts = qdict_new();
    char before[64], after[64];
    Error *err = NULL;

    bdrv_unref(base);
    child_names(top, before, sizeof(before));
    expect_true(!strcmp(before, "file backing "));
    qdict_put_null(opts, "backing");
    qdict_put_str(opts, "size", "2M");
    expect_int(bdrv_reopen(top, opts, true, &err), -EINVAL);
    check_error(&err, "Cannot change the option 'size'");
    expect_true(top->backing && top->backing->bs == base);
    expect_true(!strcmp(child_names(top, after, sizeof(after)), before));
    expect_graph_ok();
    bdrv_unref(top);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_attach_detach_hooks_follow_the_edge),
        T(test_failed_reopen_restores_dropped_child),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
