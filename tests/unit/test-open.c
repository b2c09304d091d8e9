/*
 * Unit tests of opening nodes (block/core/open.c, open-options.c):
 * filenames, option dicts, json: filenames, probing, protocol prefixes,
 * leftover options, generic options, node names, references,
 * bdrv_open_child / bdrv_open_blockdev_ref and bdrv_new_open_driver.
 * Creation and the driver table are in test-create.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "block/mem.h"
#include "test-common.h"

/* ---- helpers ------------------------------------------------------------ */

/* bdrv_open() that must fail without leaving a node behind */
static void open_fails(const char *filename, QDict *opts, int flags,
                       Error **errp)
{
    int nodes = bdrv_debug_node_count();

    assert_null(bdrv_open(filename, NULL, opts, flags, errp));
    assert_non_null(*errp);
    if (bdrv_debug_node_count() != nodes) {
        fail_msg("The failed open of '%s' (\"%s\") left %d node(s)",
                 filename ? filename : "(null)", error_get_pretty(*errp),
                 bdrv_debug_node_count() - nodes);
    }
}

/* A file of @len bytes: a byte pattern no format claims */
static char *make_file(const char *name, size_t len)
{
    char *path = tmp_path(name);
    uint8_t *buf = g_malloc(len + 1);
    int fd;

    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(i * 7 + 3);
    }
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    close(fd);
    g_free(buf);
    return path;
}

/* A node name of @len letters (caller frees) */
static char *name_of_len(size_t len)
{
    char *name = g_malloc(len + 1);

    memset(name, 'n', len);
    name[len] = 0;
    return name;
}

/* ---- fixtures ----------------------------------------------------------- */

static int group_setup(void **state)
{
    test_common_init(TEST_COMMON_SAME_BACKENDS);
    return test_common_tmp_dir_create("test-open");
}

/* Remove the temporary directory and the files the tests left in it */
static int group_teardown(void **state)
{
    return test_common_tmp_dir_remove();
}

/* ---- filenames and probing ---------------------------------------------- */

static void test_open_filename_probes_raw(void **state)
{
    g_autofree char *path = make_file("probe.img", 4096);
    BlockDriverState *bs = open_ok(path, NULL, 0);

    assert_string_equal(bdrv_get_format_name(bs), "raw");
    assert_true(bs->probed);
    assert_non_null(bs->file);
    assert_string_equal(bdrv_get_format_name(bs->file->bs), "file");
    assert_false(bs->file->bs->probed);
    assert_string_equal(bs->filename, path);
    assert_int_equal(bdrv_getlength(bs), 4096);
    assert_true(bdrv_is_read_only(bs));
    assert_true(bdrv_is_read_only(bs->file->bs));
    /* The storage node is referenced by the format only */
    check_refcnt(bs->file->bs, 1);
    assert_int_equal(bdrv_debug_node_count(), nodes_before + 2);
    bdrv_unref(bs);
}

/* raw scores lowest: it wins only when no other format claims the bytes */
static void test_open_probe_mem_images(void **state)
{
    uint8_t data[1024];
    BlockDriverState *bs;

    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(255 - i);
    }
    assert_int_equal(mem_image_set("probe-any", data, sizeof(data), NULL), 0);
    assert_int_equal(mem_image_set("probe-empty", NULL, 0, NULL), 0);

    bs = open_ok("mem:probe-any", NULL, 0);
    assert_string_equal(bdrv_get_format_name(bs), "raw");
    assert_string_equal(bdrv_get_format_name(bs->file->bs), "mem");
    assert_int_equal(bdrv_getlength(bs), 1024);
    bdrv_unref(bs);

    bs = open_ok("mem:probe-empty", NULL, 0);
    assert_string_equal(bdrv_get_format_name(bs), "raw");
    assert_int_equal(bdrv_getlength(bs), 0);
    bdrv_unref(bs);

    /* A protocol prefix with a format to probe over it */
    bs = open_ok("null-co://", NULL, 0);
    assert_string_equal(bdrv_get_format_name(bs), "raw");
    assert_string_equal(bdrv_get_format_name(bs->file->bs), "null-co");
    bdrv_unref(bs);

    mem_image_delete("probe-any");
    mem_image_delete("probe-empty");
}

static void test_open_missing_file_names_it(void **state)
{
    g_autofree char *path = tmp_path("does-not-exist.img");
    Error *err = NULL;

    open_fails(path, NULL, 0, &err);
    check_error_has(&err, path, "No such file or directory", NULL);
    open_fails(path, opts_new("raw", NULL), 0, &err);
    check_error_has(&err, path, "No such file or directory", NULL);
    open_fails(path, NULL, BDRV_O_PROTOCOL, &err);
    check_error_has(&err, path, "No such file or directory", NULL);
    open_fails("mem:no-such-buffer", NULL, 0, &err);
    check_error(&err, "Mem image 'no-such-buffer' does not exist");
}

/* BDRV_O_PROTOCOL: the protocol node itself, never probed */
static void test_open_protocol_flag(void **state)
{
    g_autofree char *path = make_file("proto.img", 1536);
    BlockDriverState *bs = open_ok(path, NULL, BDRV_O_PROTOCOL);

    assert_string_equal(bdrv_get_format_name(bs), "file");
    assert_false(bs->probed);
    assert_null(bs->file);
    assert_true(QLIST_EMPTY(&bs->children));
    assert_int_equal(bdrv_getlength(bs), 1536);
    bdrv_unref(bs);

    bs = open_ok("null-co://", NULL, BDRV_O_PROTOCOL);
    assert_string_equal(bdrv_get_format_name(bs), "null-co");
    assert_string_equal(bs->filename, "null-co://");
    bdrv_unref(bs);

    assert_int_equal(mem_image_set("proto-mem", NULL, 512, NULL), 0);
    bs = open_ok("mem:proto-mem", NULL, BDRV_O_PROTOCOL);
    assert_string_equal(bdrv_get_format_name(bs), "mem");
    assert_int_equal(bdrv_getlength(bs), 512);
    bdrv_unref(bs);
    mem_image_delete("proto-mem");
}

static void test_open_protocol_prefix_errors(void **state)
{
    Error *err = NULL;

    open_fails("nosuch:foo", NULL, BDRV_O_PROTOCOL, &err);
    check_error(&err, "Unknown protocol 'nosuch'");
    open_fails("nosuch:foo", NULL, 0, &err);
    check_error(&err, "Unknown protocol 'nosuch'");
    open_fails("null-co://x", NULL, BDRV_O_PROTOCOL, &err);
    check_error(&err, "Invalid filename 'null-co://x': the null-co driver "
                      "only accepts 'null-co://'");
    open_fails(NULL, NULL, 0, &err);
    check_error(&err, "Must specify either driver or file");
    open_fails(NULL, NULL, BDRV_O_PROTOCOL, &err);
    check_error(&err, "Must specify either driver or file");
}

static void test_open_options_dict(void **state)
{
    QDict *opts = opts_new("null-co", "opt0");
    BlockDriverState *bs;

    qdict_put_str(opts, "size", "1M");
    qdict_put_str(opts, "read-zeroes", "on");
    bs = open_ok(NULL, opts, BDRV_O_RDWR);
    assert_string_equal(bdrv_get_node_name(bs), "opt0");
    assert_string_equal(bdrv_get_format_name(bs), "null-co");
    assert_int_equal(bdrv_getlength(bs), 1024 * 1024);
    assert_int_equal(bdrv_has_zero_init(bs), 1);
    assert_false(bdrv_is_read_only(bs));
    assert_ptr_equal(bdrv_find_node("opt0"), bs);
    bdrv_unref(bs);

    /* A protocol needs a filename, from the argument or the options */
    opts = opts_new("mem", NULL);
    qdict_put_str(opts, "filename", "opts-mem");
    qdict_put_str(opts, "size", "4096");
    bs = open_ok(NULL, opts, 0);
    assert_int_equal(bdrv_getlength(bs), 4096);
    /* Named as the mem driver names it (its exact filename) */
    assert_string_equal(bs->filename, "mem:opts-mem");
    bdrv_unref(bs);
    mem_image_delete("opts-mem");
}

static void test_open_filename_conflicts(void **state)
{
    g_autofree char *path = make_file("both.img", 512);
    QDict *opts;
    Error *err = NULL;

    opts = opts_new("file", NULL);
    qdict_put_str(opts, "filename", path);
    open_fails(path, opts, 0, &err);
    check_error_has(&err, "Cannot specify both a filename", path,
                    "the 'filename' option", NULL);

    open_fails(NULL, opts_new("file", NULL), 0, &err);
    check_error(&err, "The 'file' block driver requires a file name");
    open_fails(NULL, opts_new("mem", NULL), 0, &err);
    check_error(&err, "The 'mem' block driver requires a file name");
}

/* ---- json: filenames ---------------------------------------------------- */

static void test_open_json_filename(void **state)
{
    BlockDriverState *bs;

    bs = open_ok("json:{\"driver\": \"null-co\", \"size\": 4096, "
                 "\"node-name\": \"js\"}", NULL, 0);
    assert_string_equal(bdrv_get_node_name(bs), "js");
    assert_string_equal(bdrv_get_format_name(bs), "null-co");
    assert_int_equal(bdrv_getlength(bs), 4096);
    bdrv_unref(bs);

    /* Nested options are flattened: file.driver, file.size */
    bs = open_ok("json:{'driver': 'raw', 'file': {'driver': 'null-co', "
                 "'size': '8192'}}", NULL, 0);
    assert_string_equal(bdrv_get_format_name(bs), "raw");
    assert_string_equal(bdrv_get_format_name(bs->file->bs), "null-co");
    assert_int_equal(bdrv_getlength(bs->file->bs), 8192);
    bdrv_unref(bs);

    /* cache: {direct: true} is cache.direct */
    bs = open_ok("json:{\"driver\": \"null-co\", \"cache\": "
                 "{\"direct\": true, \"no-flush\": true}}", NULL, 0);
    assert_true(bdrv_get_flags(bs) & BDRV_O_NOCACHE);
    assert_true(bdrv_get_flags(bs) & BDRV_O_NO_FLUSH);
    bdrv_unref(bs);
}

/* Options given explicitly win over those of the json: filename */
static void test_open_json_explicit_options_win(void **state)
{
    QDict *opts = qdict_new();
    BlockDriverState *bs;

    qdict_put_str(opts, "size", "8192");
    bs = open_ok("json:{\"driver\": \"null-co\", \"size\": \"4096\"}", opts,
                 0);
    assert_int_equal(bdrv_getlength(bs), 8192);
    bdrv_unref(bs);
}

static void test_open_json_errors(void **state)
{
    Error *err = NULL;
    const char *msg;

    open_fails("json:{\"driver\": ", NULL, 0, &err);
    msg = error_get_pretty(err);
    if (strncmp(msg, "Could not parse the JSON options: ", 34) != 0) {
        fail_msg("Unexpected error for malformed JSON: \"%s\"", msg);
    }
    error_free(err);
    err = NULL;

    open_fails("json:[1, 2]", NULL, 0, &err);
    check_error(&err, "Invalid JSON object given: expected an object in "
                      "'json:[1, 2]'");
    open_fails("json:\"null-co\"", NULL, 0, &err);
    check_error_has(&err, "expected an object", NULL);
    open_fails("json:{}", NULL, 0, &err);
    check_error(&err, "Must specify either driver or file");
    open_fails("json:{\"driver\": \"null-co\", \"bogus\": 1}", NULL, 0, &err);
    check_error(&err, "Block protocol 'null-co' doesn't support the option "
                      "'bogus'");
}

/* ---- drivers and leftover options --------------------------------------- */

static void test_open_unknown_driver(void **state)
{
    QDict *opts = qdict_new();
    Error *err = NULL;

    open_fails(NULL, opts_new("nosuch", NULL), 0, &err);
    check_error(&err, "Unknown driver 'nosuch'");
    qdict_put_int(opts, "driver", 5);
    open_fails(NULL, opts, 0, &err);
    check_error(&err, "Invalid parameter type for 'driver', expected: "
                      "string");
    /* A format without its file */
    open_fails(NULL, opts_new("raw", NULL), 0, &err);
    check_error(&err, "A block device must be specified for \"file\"");
}

static void test_open_leftover_options(void **state)
{
    QDict *opts;
    Error *err = NULL;

    opts = opts_new("null-co", "left");
    qdict_put_str(opts, "foo", "bar");
    open_fails(NULL, opts, 0, &err);
    check_error(&err, "Block protocol 'null-co' doesn't support the option "
                      "'foo'");
    assert_null(bdrv_find_node("left"));

    opts = opts_new("raw", NULL);
    qdict_put_str(opts, "file.driver", "null-co");
    qdict_put_str(opts, "bar", "1");
    open_fails(NULL, opts, 0, &err);
    check_error(&err, "Block format 'raw' does not support the option 'bar'");

    /* An unknown option of the child is the child's protocol's */
    opts = opts_new("raw", NULL);
    qdict_put_str(opts, "file.driver", "null-co");
    qdict_put_str(opts, "file.baz", "1");
    open_fails(NULL, opts, 0, &err);
    check_error(&err, "Block protocol 'null-co' doesn't support the option "
                      "'baz'");

    /* A driver's own option with a bad value */
    opts = opts_new("null-co", NULL);
    qdict_put_str(opts, "size", "lots");
    open_fails(NULL, opts, 0, &err);
    check_error_has(&err, "size", NULL);
}

/* ---- node names --------------------------------------------------------- */

static void test_open_node_names(void **state)
{
    g_autofree char *max = name_of_len(BLOCK_NODE_NAME_MAX - 1);
    g_autofree char *too_long = name_of_len(BLOCK_NODE_NAME_MAX);
    g_autofree char *too_long_msg = NULL;
    BlockDriverState *a, *b, *gen1, *gen2;
    BlockBackend *blk = blk_new(qemu_get_aio_context(), 0, BLK_PERM_ALL);
    Error *err = NULL;

    a = open_null("Node-1_a.b");
    assert_string_equal(bdrv_get_node_name(a), "Node-1_a.b");
    b = open_null(max);
    assert_string_equal(bdrv_get_node_name(b), max);

    open_fails(NULL, opts_new("null-co", "1abc"), 0, &err);
    check_error(&err, "Invalid node-name: '1abc'");
    open_fails(NULL, opts_new("null-co", "a b"), 0, &err);
    check_error(&err, "Invalid node-name: 'a b'");
    open_fails(NULL, opts_new("null-co", ""), 0, &err);
    check_error(&err, "Invalid node-name: ''");
    open_fails(NULL, opts_new("null-co", "#block000"), 0, &err);
    check_error(&err, "Invalid node-name: '#block000'");
    open_fails(NULL, opts_new("null-co", too_long), 0, &err);
    too_long_msg = g_strdup_printf("Node name too long: '%s' (at most %d "
                                   "characters)", too_long,
                                   BLOCK_NODE_NAME_MAX - 1);
    check_error(&err, too_long_msg);
    open_fails(NULL, opts_new("null-co", "Node-1_a.b"), 0, &err);
    check_error(&err, "Duplicate nodes with node-name='Node-1_a.b'");

    check_ok(monitor_add_blk(blk, "dev0", &err), &err, "monitor_add_blk");
    open_fails(NULL, opts_new("null-co", "dev0"), 0, &err);
    check_error(&err, "node-name=dev0 is conflicting with a device id");

    /* Without a name, one is generated, starting with '#' */
    gen1 = open_null(NULL);
    gen2 = open_null(NULL);
    assert_int_equal(bdrv_get_node_name(gen1)[0], '#');
    assert_int_equal(bdrv_get_node_name(gen2)[0], '#');
    assert_string_not_equal(bdrv_get_node_name(gen1),
                            bdrv_get_node_name(gen2));
    assert_ptr_equal(bdrv_find_node(bdrv_get_node_name(gen1)), gen1);
    /* "#block" and a number of three digits at least, as QEMU's */
    for (BlockDriverState *g = gen1; g; g = g == gen1 ? gen2 : NULL) {
        const char *name = bdrv_get_node_name(g), *d = name + 6;

        assert_int_equal(strncmp(name, "#block", 6), 0);
        assert_true(strlen(d) >= 3 && strspn(d, "0123456789") == strlen(d));
        assert_false(strlen(d) > 3 && d[0] == '0');
    }

    blk_unref(blk);
    unref_nodes(gen1, gen2, a, b);
}

/*
 * A node name of the wrong type is an error, not silently replaced.
 */
static void test_open_node_name_not_string(void **state)
{
    QDict *opts = opts_new("null-co", NULL);
    BlockDriverState *bs;
    char name[BLOCK_NODE_NAME_MAX];
    Error *err = NULL;

    qdict_put_int(opts, "node-name", 5);
    bs = bdrv_open(NULL, NULL, opts, 0, &err);
    if (bs) {
        /* Clean up first so that the failure stays in this test */
        snprintf(name, sizeof(name), "%s", bdrv_get_node_name(bs));
        bdrv_unref(bs);
        fail_msg("node-name=5 (a number) was accepted; the node was named "
                 "'%s'", name);
    }
    check_error_has(&err, "node-name", NULL);
}

/* ---- generic options ---------------------------------------------------- */

static BlockDriverState *open_null_with(const char *key, QObject *value,
                                        int flags)
{
    QDict *opts = opts_new("null-co", NULL);

    qdict_put_obj(opts, key, value);
    return open_ok(NULL, opts, flags);
}

static void open_null_fails_with(const char *key, QObject *value, int flags,
                                 Error **errp)
{
    QDict *opts = opts_new("null-co", NULL);

    qdict_put_obj(opts, key, value);
    open_fails(NULL, opts, flags, errp);
}

static void test_open_read_only_option(void **state)
{
    BlockDriverState *bs;
    Error *err = NULL;

    bs = open_null_with("read-only", QOBJECT(qstring_from_str("on")),
                        BDRV_O_RDWR);
    assert_true(bdrv_is_read_only(bs));
    assert_false(bdrv_get_flags(bs) & BDRV_O_RDWR);
    bdrv_unref(bs);

    bs = open_null_with("read-only", QOBJECT(qbool_from_bool(false)), 0);
    assert_false(bdrv_is_read_only(bs));
    assert_true(bdrv_get_flags(bs) & BDRV_O_RDWR);
    bdrv_unref(bs);

    bs = open_ok(NULL, opts_new("null-co", NULL), 0);
    assert_true(bdrv_is_read_only(bs));
    bdrv_unref(bs);

    open_null_fails_with("read-only", QOBJECT(qstring_from_str("maybe")), 0,
                         &err);
    check_error(&err, "Parameter 'read-only' expects 'on' or 'off', got "
                      "'maybe'");
    open_null_fails_with("read-only", QOBJECT(qnum_from_int(1)), 0, &err);
    check_error(&err, "Invalid parameter type for 'read-only', expected: "
                      "boolean");
}

static void test_open_force_share_option(void **state)
{
    BlockDriverState *bs;
    QDict *opts;
    Error *err = NULL;

    opts = opts_new("null-co", NULL);
    qdict_put_str(opts, "force-share", "on");
    qdict_put_str(opts, "read-only", "on");
    bs = open_ok(NULL, opts, 0);
    assert_true(bs->force_share);
    bdrv_unref(bs);

    bs = open_null_with("force-share", QOBJECT(qbool_from_bool(false)),
                        BDRV_O_RDWR);
    assert_false(bs->force_share);
    bdrv_unref(bs);

    open_null_fails_with("force-share", QOBJECT(qstring_from_str("on")),
                         BDRV_O_RDWR, &err);
    check_error(&err, "force-share=on can only be used with read-only "
                      "images");
    open_null_fails_with("force-share", QOBJECT(qstring_from_str("sure")), 0,
                         &err);
    check_error(&err, "Parameter 'force-share' expects 'on' or 'off', got "
                      "'sure'");
}

static void test_open_flag_options(void **state)
{
    static const struct {
        const char *key;
        const char *value;
        int flag;
        bool set;
    } cases[] = {
        { "cache.direct", "on", BDRV_O_NOCACHE, true },
        { "cache.direct", "off", BDRV_O_NOCACHE, false },
        { "cache.no-flush", "on", BDRV_O_NO_FLUSH, true },
        { "auto-read-only", "on", BDRV_O_AUTO_RDONLY, true },
        { "discard", "unmap", BDRV_O_UNMAP, true },
        { "discard", "on", BDRV_O_UNMAP, true },
        { "discard", "ignore", BDRV_O_UNMAP, false },
        { "discard", "off", BDRV_O_UNMAP, false },
    };
    Error *err = NULL;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        BlockDriverState *bs = open_null_with(
            cases[i].key, QOBJECT(qstring_from_str(cases[i].value)),
            BDRV_O_RDWR);
        if (!!(bdrv_get_flags(bs) & cases[i].flag) != cases[i].set) {
            int flags = bdrv_get_flags(bs);
            bdrv_unref(bs);
            fail_msg("%s=%s: open flags 0x%x, flag 0x%x should be %s",
                     cases[i].key, cases[i].value, flags, cases[i].flag,
                     cases[i].set ? "set" : "clear");
        }
        bdrv_unref(bs);
    }

    open_null_fails_with("discard", QOBJECT(qstring_from_str("bogus")), 0,
                         &err);
    check_error(&err, "Invalid discard option 'bogus'");
    open_null_fails_with("cache.direct", QOBJECT(qstring_from_str("x")), 0,
                         &err);
    check_error(&err, "Parameter 'cache.direct' expects 'on' or 'off', got "
                      "'x'");
}

/* ---- references --------------------------------------------------------- */

static void test_open_reference(void **state)
{
    BlockDriverState *node = open_null("refnode");
    BlockDriverState *other = open_null("other");
    BlockBackend *blk = blk_new(qemu_get_aio_context(), 0, BLK_PERM_ALL);
    BlockDriverState *bs;
    QDict *opts;
    Error *err = NULL;

    bs = bdrv_open(NULL, "refnode", NULL, 0, &err);
    check_ok(bs == node, &err, "Opening a reference");
    check_refcnt(node, 2);
    bdrv_unref(bs);

    /* A device name refers to the backend's root */
    check_ok(blk_insert_bs(blk, other, &err) == 0, &err, "blk_insert_bs");
    check_ok(monitor_add_blk(blk, "devref", &err), &err, "monitor_add_blk");
    bs = bdrv_open(NULL, "devref", NULL, 0, &err);
    check_ok(bs == other, &err, "Opening a device reference");
    bdrv_unref(bs);

    opts = qdict_new();
    qdict_put_str(opts, "size", "4096");
    assert_null(bdrv_open(NULL, "refnode", opts, 0, &err));
    check_error(&err, "Cannot reference an existing block device "
                      "('refnode') with additional options or a new "
                      "filename");
    assert_null(bdrv_open("null-co://", "refnode", NULL, 0, &err));
    check_error(&err, "Cannot reference an existing block device "
                      "('refnode') with additional options or a new "
                      "filename");
    assert_null(bdrv_open(NULL, "nosuch", NULL, 0, &err));
    check_error(&err, "Cannot find device='nosuch' nor node-name='nosuch'");
    check_refcnt(node, 1);

    blk_unref(blk);
    unref_nodes(other, node);
}

/* A child option naming an existing node */
static void test_open_child_reference_option(void **state)
{
    BlockDriverState *node = open_null("refnode");
    BlockDriverState *bs;
    QDict *opts;
    Error *err = NULL;

    opts = opts_new("raw", "top");
    qdict_put_str(opts, "file", "refnode");
    bs = open_ok(NULL, opts, 0);
    assert_ptr_equal(bs->file->bs, node);
    check_refcnt(node, 2);
    assert_false(bs->probed);
    bdrv_unref(bs);
    check_refcnt(node, 1);

    opts = opts_new("raw", NULL);
    qdict_put_int(opts, "file", 5);
    open_fails(NULL, opts, 0, &err);
    check_error(&err, "Invalid reference type for 'file': expected a node "
                      "name");

    opts = opts_new("raw", NULL);
    qdict_put_str(opts, "file", "refnode");
    qdict_put_str(opts, "file.size", "512");
    open_fails(NULL, opts, 0, &err);
    check_error(&err, "Cannot reference an existing block device "
                      "('refnode') with additional options or a new "
                      "filename");

    opts = opts_new("raw", NULL);
    qdict_put_str(opts, "file", "nosuch");
    open_fails(NULL, opts, 0, &err);
    check_error(&err, "Cannot find device='nosuch' nor node-name='nosuch'");
    check_refcnt(node, 1);
    bdrv_unref(node);
}

static void test_open_child(void **state)
{
    BlockDriverState *parent = open_ok(NULL, opts_new("test", "parent"),
                                       BDRV_O_RDWR);
    BlockDriverState *node = open_null("refnode");
    QDict *opts = qdict_new();
    BdrvChild *c;
    int nodes;
    Error *err = NULL;

    /* Inline definition: the "x." options are taken, the rest stays */
    qdict_put_str(opts, "x.driver", "null-co");
    qdict_put_str(opts, "x.size", "4096");
    qdict_put_str(opts, "keep", "1");
    qdict_put_str(opts, "y", "refnode");
    c = bdrv_open_child(NULL, opts, "x", parent, &child_of_bds,
                        BDRV_CHILD_DATA, false, &err);
    check_ok(c != NULL, &err, "bdrv_open_child(x)");
    assert_string_equal(c->name, "x");
    assert_ptr_equal(c->opaque, parent);
    assert_string_equal(bdrv_get_format_name(c->bs), "null-co");
    assert_int_equal(bdrv_getlength(c->bs), 4096);
    assert_false(qdict_haskey(opts, "x.driver"));
    assert_false(qdict_haskey(opts, "x.size"));
    assert_true(qdict_haskey(opts, "keep"));

    /* Reference */
    c = bdrv_open_child(NULL, opts, "y", parent, &child_of_bds,
                        BDRV_CHILD_COW, false, &err);
    check_ok(c != NULL, &err, "bdrv_open_child(y)");
    assert_ptr_equal(c->bs, node);
    assert_ptr_equal(parent->backing, c);
    assert_false(qdict_haskey(opts, "y"));
    check_refcnt(node, 2);

    /* Nothing given */
    assert_null(bdrv_open_child(NULL, opts, "z", parent, &child_of_bds,
                                BDRV_CHILD_DATA, true, &err));
    assert_null(err);
    assert_null(bdrv_open_child(NULL, opts, "z", parent, &child_of_bds,
                                BDRV_CHILD_DATA, false, &err));
    check_error(&err, "A block device must be specified for \"z\"");

    /* The child cannot be opened, or cannot be attached */
    nodes = bdrv_debug_node_count();
    qdict_put_str(opts, "w.driver", "nosuch");
    assert_null(bdrv_open_child(NULL, opts, "w", parent, &child_of_bds,
                                BDRV_CHILD_DATA, false, &err));
    check_error(&err, "Unknown driver 'nosuch'");
    qdict_put_str(opts, "m.driver", "null-co");
    qdict_put_str(opts, "m.read-only", "on");
    assert_null(bdrv_open_child(NULL, opts, "m", parent, &child_of_bds,
                                BDRV_CHILD_METADATA, false, &err));
    check_error(&err, "Block node is read-only");
    assert_int_equal(bdrv_debug_node_count(), nodes);

    qobject_unref(opts);
    bdrv_unref(parent);
    check_refcnt(node, 1);
    bdrv_unref(node);
}

static void test_open_blockdev_ref(void **state)
{
    BlockDriverState *node = open_null("refnode");
    QDict *def = opts_new("null-co", "bref");
    BlockdevRef ref;
    BlockDriverState *bs;
    Error *err = NULL;

    ref.type = QTYPE_QSTRING;
    ref.u.reference = (char *)"refnode";
    bs = bdrv_open_blockdev_ref(&ref, &err);
    check_ok(bs == node, &err, "bdrv_open_blockdev_ref(reference)");
    check_refcnt(node, 2);
    bdrv_unref(bs);

    ref.u.reference = (char *)"nosuch";
    assert_null(bdrv_open_blockdev_ref(&ref, &err));
    check_error(&err, "Cannot find device='nosuch' nor node-name='nosuch'");

    /* A definition opens read-write unless it says otherwise */
    ref.type = QTYPE_QDICT;
    ref.u.definition = def;
    bs = bdrv_open_blockdev_ref(&ref, &err);
    check_ok(bs != NULL, &err, "bdrv_open_blockdev_ref(definition)");
    assert_string_equal(bdrv_get_node_name(bs), "bref");
    assert_false(bdrv_is_read_only(bs));
    /* The caller still owns the definition */
    assert_string_equal(qdict_get_str(def, "driver"), "null-co");
    bdrv_unref(bs);

    qdict_put_bool(def, "read-only", true);
    bs = bdrv_open_blockdev_ref(&ref, &err);
    check_ok(bs != NULL, &err, "bdrv_open_blockdev_ref(read-only)");
    assert_true(bdrv_is_read_only(bs));
    bdrv_unref(bs);
    qobject_unref(def);

    /* Nested definitions */
    def = opts_new("raw", NULL);
    qdict_put(def, "file", opts_new("null-co", NULL));
    ref.u.definition = def;
    bs = bdrv_open_blockdev_ref(&ref, &err);
    check_ok(bs != NULL, &err, "bdrv_open_blockdev_ref(nested)");
    assert_string_equal(bdrv_get_format_name(bs->file->bs), "null-co");
    bdrv_unref(bs);
    qobject_unref(def);

    def = opts_new("nosuch", NULL);
    ref.u.definition = def;
    assert_null(bdrv_open_blockdev_ref(&ref, &err));
    check_error(&err, "Unknown driver 'nosuch'");
    qobject_unref(def);

    bdrv_unref(node);
}

static void test_new_open_driver(void **state)
{
    BlockDriver *drv = bdrv_find_format("null-co");
    BlockDriverState *bs;
    QDict *opts;
    Error *err = NULL;
    int nodes;

    assert_non_null(drv);
    bs = bdrv_new_open_driver(drv, "nod", BDRV_O_RDWR, &err);
    check_ok(bs != NULL, &err, "bdrv_new_open_driver");
    assert_string_equal(bdrv_get_node_name(bs), "nod");
    assert_ptr_equal(bs->drv, drv);
    assert_false(bdrv_is_read_only(bs));
    assert_int_equal(bdrv_getlength(bs), 1LL << 30);
    bdrv_unref(bs);

    bs = bdrv_new_open_driver(drv, NULL, 0, &err);
    check_ok(bs != NULL, &err, "bdrv_new_open_driver(no name)");
    assert_int_equal(bdrv_get_node_name(bs)[0], '#');
    assert_true(bdrv_is_read_only(bs));
    bdrv_unref(bs);

    opts = qdict_new();
    qdict_put_str(opts, "size", "4096");
    bs = bdrv_new_open_driver_opts(drv, "nod", opts, 0, &err);
    check_ok(bs != NULL, &err, "bdrv_new_open_driver_opts");
    assert_int_equal(bdrv_getlength(bs), 4096);
    bdrv_unref(bs);

    nodes = bdrv_debug_node_count();
    opts = qdict_new();
    qdict_put_str(opts, "bogus", "1");
    assert_null(bdrv_new_open_driver_opts(drv, "nod", opts, 0, &err));
    check_error(&err, "Block protocol 'null-co' doesn't support the option "
                      "'bogus'");
    assert_null(bdrv_new_open_driver(drv, "9x", 0, &err));
    check_error(&err, "Invalid node-name: '9x'");
    opts = qdict_new();
    qdict_put_str(opts, "size", "lots");
    assert_null(bdrv_new_open_driver_opts(drv, "nod", opts, 0, &err));
    check_error_has(&err, "size", NULL);
    assert_int_equal(bdrv_debug_node_count(), nodes);
    assert_null(bdrv_find_node("nod"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_open_filename_probes_raw),
        T(test_open_probe_mem_images),
        T(test_open_missing_file_names_it),
        T(test_open_protocol_flag),
        T(test_open_protocol_prefix_errors),
        T(test_open_options_dict),
        T(test_open_filename_conflicts),
        T(test_open_json_filename),
        T(test_open_json_explicit_options_win),
        T(test_open_json_errors),
        T(test_open_unknown_driver),
        T(test_open_leftover_options),
        T(test_open_node_names),
        T(test_open_node_name_not_string),
        T(test_open_read_only_option),
        T(test_open_force_share_option),
        T(test_open_flag_options),
        T(test_open_reference),
        T(test_open_child_reference_option),
        T(test_open_child),
        T(test_open_blockdev_ref),
        T(test_new_open_driver),
    };

    return test_common_run_group(tests, group_setup, group_teardown);
}
