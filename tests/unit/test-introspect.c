/*
 * Introspection: bdrv_named_nodes_list (flat and with backing images),
 * bdrv_get_xdbg_block_graph, its DOT rendering (checked by `dot`), and the
 * json:{...} filenames bdrv_refresh_filename gives nodes built from
 * options (compared with what qemu-img prints).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/graph-dot.h"
#include "block/test-driver.h"
#include "test-common.h"

static BlockDriverState *in_open(const char *name, const char *size,
                                 const char *backing, int flags)
{
    QDict *opts = qdict_new();

    qdict_put_str(opts, "driver", "test");
    qdict_put_str(opts, "node-name", name);
    qdict_put_str(opts, "size", size);
    if (backing) {
        qdict_put_str(opts, "backing", backing);
    }
    return open_ok(NULL, opts, flags);
}

static BlockDeviceInfo *in_find(BlockDeviceInfoList *l, const char *name)
{
    for (; l; l = l->next) {
        if (!strcmp(l->value->node_name, name)) {
            return l->value;
        }
    }
    return NULL;
}

/*   top (1M, rw, cache.direct) -> mid (512K) -> base (64K, ro) */
static void test_named_nodes_list_with_backing_images(void **state)
{
    BlockDriverState *base = in_open("nn-base", "64K", NULL, 0);
    BlockDriverState *mid = in_open("nn-mid", "512K", "nn-base", 0);
    BlockDriverState *top = in_open("nn-top", "1M", "nn-mid",
                                    BDRV_O_RDWR | BDRV_O_NOCACHE);
    Error *err = NULL;
    BlockDeviceInfoList *list;
    BlockDeviceInfo *t, *b;

    unref_nodes(base, mid);
    list = bdrv_named_nodes_list(false, &err);
    check_ok(list != NULL, &err, "bdrv_named_nodes_list");
    t = in_find(list, "nn-top");
    b = in_find(list, "nn-base");
    expect_true(t && b && in_find(list, "nn-mid"));
    if (t && b) {
        expect_false(t->ro);
        expect_true(b->ro);
        expect_true(!strcmp(t->drv, "test"));
        expect_true(!strcmp(t->file, top->filename));
        expect_int(t->backing_file_depth, 2);
        expect_int(b->backing_file_depth, 0);
        expect_false(t->encrypted);
        expect_int(t->detect_zeroes, BLOCKDEV_DETECT_ZEROES_OPTIONS_OFF);
        expect_true(t->cache->writeback && t->cache->direct);
        expect_false(t->cache->no_flush);
        expect_false(b->cache->direct);
        expect_int(t->image->virtual_size, 1024 * 1024);
        expect_true(t->image->backing_image != NULL);
        expect_int(t->image->backing_image->virtual_size, 512 * 1024);
        expect_true(t->image->backing_image->backing_image != NULL &&
                    t->image->backing_image->backing_image->virtual_size ==
                        64 * 1024 &&
                    !t->image->backing_image->backing_image->backing_image);
    }
    qapi_free_BlockDeviceInfoList(list);

    list = bdrv_named_nodes_list(true, &err);
    t = in_find(list, "nn-top");
    expect_true(t && t->image && !t->image->backing_image);
    expect_int(t ? t->backing_file_depth : -1, 2);
    qapi_free_BlockDeviceInfoList(list);
    bdrv_unref(top);
    end_test();
}

/* A driver whose length can be made unreadable after open */
static bool in_length_fails;

static int64_t coroutine_fn in_varlen_co_getlength(BlockDriverState *bs)
{
    return in_length_fails ? -EIO : 4096;
}

static BlockDriver in_varlen_drv = {
    .format_name = "introspect-varlen",
    .has_variable_length = true,
    .bdrv_co_getlength = in_varlen_co_getlength,
};

/* A node whose length cannot be read fails the query, naming the node */
static void test_named_nodes_list_reports_length_error(void **state)
{
    BlockDriverState *bs = test_common_open_local(&in_varlen_drv, "nl-var",
                                                  0);
    BlockDeviceInfoList *list;
    Error *err = NULL;

    list = bdrv_named_nodes_list(true, &err);
    check_ok(list != NULL, &err, "bdrv_named_nodes_list");
    expect_int(in_find(list, "nl-var")->image->virtual_size, 4096);
    qapi_free_BlockDeviceInfoList(list);
    in_length_fails = true;
    list = bdrv_named_nodes_list(true, &err);
    in_length_fails = false;
    expect_true(list == NULL);
    check_error_has(&err, "Can't get image size", "Input/output error",
                    NULL);
    bdrv_unref(bs);
    end_test();
}

/* An ejected node (no driver) has nothing to describe: it is skipped */
static void test_named_nodes_list_skips_ejected_node(void **state)
{
    QDict *opts = qdict_new();
    BlockDriverState *bs;
    BlockDeviceInfoList *list;
    Error *err = NULL;

    qdict_put_str(opts, "driver", "test");
    qdict_put_str(opts, "node-name", "nl-bad");
    bs = open_ok(NULL, opts, BDRV_O_RDWR);
    bs->drv = NULL;
    list = bdrv_named_nodes_list(false, &err);
    check_ok(true, &err, "bdrv_named_nodes_list with an ejected node");
    expect_true(in_find(list, "nl-bad") == NULL);
    qapi_free_BlockDeviceInfoList(list);
    bs->drv = &bdrv_test;
    bdrv_unref(bs);
    end_test();
}

/*   blk "gx-blk" -> top -> (backing) base */
static XDbgBlockGraph *gx_build(BlockDriverState **top, BlockBackend **blk)
{
    BlockDriverState *base = in_open("gx-base", "64K", NULL, BDRV_O_RDWR);

    *top = in_open("gx-top", "64K", "gx-base", BDRV_O_RDWR);
    bdrv_unref(base);
    *blk = test_common_new_blk(*top, BLK_PERM_CONSISTENT_READ |
                               BLK_PERM_WRITE, BLK_PERM_CONSISTENT_READ |
                               BLK_PERM_WRITE_UNCHANGED | BLK_PERM_RESIZE);
    expect_true(monitor_add_blk(*blk, "gx-blk", &error_abort));
    return bdrv_get_xdbg_block_graph(&error_abort);
}

static void test_xdbg_block_graph_lists_nodes_and_edges(void **state)
{
    BlockDriverState *top;
    BlockBackend *blk;
    XDbgBlockGraph *g = gx_build(&top, &blk);
    XDbgBlockGraphNodeList *n = g->nodes;
    XDbgBlockGraphEdgeList *e = g->edges;

    expect_true(n && n->value->type ==
                         X_DBG_BLOCK_GRAPH_NODE_TYPE_BLOCK_BACKEND &&
                !strcmp(n->value->name, "gx-blk") && n->value->id == 1);
    n = n ? n->next : NULL;
    expect_true(n && !strcmp(n->value->name, "gx-base") &&
                n->value->type == X_DBG_BLOCK_GRAPH_NODE_TYPE_BLOCK_DRIVER);
    n = n ? n->next : NULL;
    expect_true(n && !strcmp(n->value->name, "gx-top") && !n->next);
    expect_true(e && e->value->parent == 1 && e->value->child == 3 &&
                !strcmp(e->value->name, "root"));
    expect_int(e->value->perm, BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE);
    expect_int(e->value->shared_perm, BLK_PERM_CONSISTENT_READ |
               BLK_PERM_WRITE_UNCHANGED | BLK_PERM_RESIZE);
    e = e ? e->next : NULL;
    expect_true(e && e->value->parent == 3 && e->value->child == 2 &&
                !strcmp(e->value->name, "backing") && !e->next);
    expect_int(e->value->role, BDRV_CHILD_COW);
    expect_int(e->value->perm, top->backing->perm);
    expect_int(e->value->shared_perm, top->backing->shared_perm);
    qapi_free_XDbgBlockGraph(g);
    blk_unref(blk);
    bdrv_unref(top);
    end_test();
}

static const char gx_expected_dot[] =
    "digraph block_graph {\n"
    "    n1 [label=\"gx-blk\", shape=box3d];\n"
    "    n2 [label=\"gx-base\", shape=box];\n"
    "    n3 [label=\"gx-top\", shape=box];\n"
    "    n1 -> n3 [label=\"root\\nrole: filtered, primary\\n"
    "perm: read, write\\nshared: read, write-unchanged, resize\"];\n"
    "    n3 -> n2 [label=\"backing\\nrole: cow\\nperm: read\\n"
    "shared: read, write-unchanged\"];\n"
    "}\n";

static void test_graph_dot_renders_small_graph_exactly(void **state)
{
    BlockDriverState *top;
    BlockBackend *blk;
    XDbgBlockGraph *g = gx_build(&top, &blk);
    g_autofree char *dot = xdbg_graph_to_dot(g);
    g_autofree char *path = NULL;
    g_autofree char *cmd = NULL;
    FILE *f;

    if (strcmp(dot, gx_expected_dot)) {
        EXPECT_FAIL("DOT output:\n%s\nexpected:\n%s", dot, gx_expected_dot);
    }
    /* Graphviz accepts it */
    test_common_tmp_dir_create("introspect");
    path = tmp_path("graph.dot");
    f = fopen(path, "w");
    expect_true(f != NULL);
    if (f) {
        fputs(dot, f);
        fclose(f);
        cmd = g_strdup_printf("dot -Tsvg '%s' -o /dev/null", path);
        expect_int(system(cmd), 0);
        unlink(path);
    }
    test_common_tmp_dir_remove();
    qapi_free_XDbgBlockGraph(g);
    blk_unref(blk);
    bdrv_unref(top);
    end_test();
}

/* Names with quotes and backslashes stay inside their DOT strings */
static void test_graph_dot_escapes_names(void **state)
{
    XDbgBlockGraphNode node = { .id = 1, .name = (char *)"a\"b\\c",
                                .type = X_DBG_BLOCK_GRAPH_NODE_TYPE_BLOCK_JOB };
    XDbgBlockGraphNodeList nl = { .value = &node };
    XDbgBlockGraph g = { .nodes = &nl };
    g_autofree char *dot = xdbg_graph_to_dot(&g);

    expect_true(!strcmp(dot, "digraph block_graph {\n"
                        "    n1 [label=\"a\\\"b\\\\c\", shape=parallelogram];\n"
                        "}\n"));
    end_test();
}

/* What `qemu-img info` prints after "image: " for @filename */
static char *in_qemu_img_name(const char *filename)
{
    g_autofree char *cmd = g_strdup_printf("qemu-img info -U '%s' 2>&1",
                                           filename);
    FILE *p = popen(cmd, "r");
    char line[4096] = "";
    char *nl;

    if (!p) {
        return g_strdup("(popen failed)");
    }
    if (!fgets(line, sizeof(line), p)) {
        line[0] = '\0';
    }
    pclose(p);
    nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
    }
    return g_strdup(strncmp(line, "image: ", 7) ? line : line + 7);
}

/* bdrv_open(@json) names the node as qemu-img does */
static void in_expect_name_like_qemu(const char *json, const char *expected)
{
    BlockDriverState *bs = open_ok(json, NULL, 0);
    g_autofree char *qemu = in_qemu_img_name(json);

    if (strcmp(bs->filename, qemu) || strcmp(bs->filename, expected)) {
        EXPECT_FAIL("filename %s\n  qemu-img: %s\n  expected: %s",
                    bs->filename, qemu, expected);
    }
    /* Refreshing again gives the same name */
    bdrv_refresh_filename(bs);
    if (strcmp(bs->filename, expected)) {
        EXPECT_FAIL("after a second refresh: %s", bs->filename);
    }
    bdrv_unref(bs);
}

static void test_refresh_filename_json_like_qemu_img(void **state)
{
    g_autofree char *img = NULL;
    g_autofree char *json = NULL;
    g_autofree char *want = NULL;
    Error *err = NULL;

    test_common_tmp_dir_create("introspect");
    img = tmp_path("x.img");
    bdrv_img_create(img, "raw", NULL, NULL, NULL, 1024 * 1024, 0, true, &err);
    check_ok(err == NULL, &err, "bdrv_img_create");

    /* A strong option (offset) of the format: a json: name */
    json = g_strdup_printf("json:{\"driver\":\"raw\",\"file\":{\"driver\":"
                           "\"file\",\"filename\":\"%s\"},\"offset\":512}",
                           img);
    want = g_strdup_printf("json:{\"offset\": 512, \"driver\": \"raw\", "
                           "\"file\": {\"driver\": \"file\", \"filename\": "
                           "\"%s\"}}", img);
    in_expect_name_like_qemu(json, want);
    g_free(json);
    g_free(want);

    /* Two strong options, and a weak one (aio) that is left out */
    json = g_strdup_printf("json:{\"driver\":\"raw\",\"file\":{\"driver\":"
                           "\"file\",\"filename\":\"%s\",\"aio\":\"threads\"},"
                           "\"size\":4096,\"offset\":512}", img);
    want = g_strdup_printf("json:{\"offset\": 512, \"driver\": \"raw\", "
                           "\"size\": 4096, \"file\": {\"driver\": \"file\", "
                           "\"filename\": \"%s\"}}", img);
    in_expect_name_like_qemu(json, want);
    g_free(json);

    /* No strong option: the plain file name */
    json = g_strdup_printf("json:{\"driver\":\"raw\",\"file\":{\"driver\":"
                           "\"file\",\"filename\":\"%s\"}}", img);
    in_expect_name_like_qemu(json, img);

    /* A protocol without a plain name for its options */
    in_expect_name_like_qemu("json:{\"driver\":\"raw\",\"file\":{\"driver\":"
                             "\"null-co\",\"size\":\"4096\"}}",
                             "json:{\"driver\": \"raw\", \"file\": "
                             "{\"driver\": \"null-co\", \"size\": \"4096\"}}");
    unlink(img);
    test_common_tmp_dir_remove();
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_named_nodes_list_with_backing_images),
        T(test_named_nodes_list_skips_ejected_node),
        T(test_named_nodes_list_reports_length_error),
        T(test_xdbg_block_graph_lists_nodes_and_edges),
        T(test_graph_dot_renders_small_graph_exactly),
        T(test_graph_dot_escapes_names),
        T(test_refresh_filename_json_like_qemu_img),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
