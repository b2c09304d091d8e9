/*
 * Unit tests of image creation and of the driver table
 * (block/core/create.c, driver-table.c): bdrv_create, bdrv_create_file,
 * bdrv_img_create (with its "Formatting ..." line), bdrv_find_format,
 * bdrv_find_protocol, bdrv_iterate_format, bdrv_register and probing by
 * score.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "block/mem.h"
#include "test-common.h"

/* ---- helpers ------------------------------------------------------------ */

static int64_t file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (int64_t)st.st_size : -errno;
}

/* Everything printed to stdout between begin and end */
static int capture_saved_fd = -1;
static FILE *capture_file;

static void capture_stdout_begin(void)
{
    fflush(stdout);
    capture_file = tmpfile();
    assert_non_null(capture_file);
    capture_saved_fd = dup(STDOUT_FILENO);
    assert_true(capture_saved_fd >= 0);
    assert_true(dup2(fileno(capture_file), STDOUT_FILENO) >= 0);
}

static char *capture_stdout_end(void)
{
    char *text = g_malloc0(4096);
    size_t n;

    fflush(stdout);
    dup2(capture_saved_fd, STDOUT_FILENO);
    close(capture_saved_fd);
    capture_saved_fd = -1;
    rewind(capture_file);
    n = fread(text, 1, 4095, capture_file);
    text[n] = 0;
    fclose(capture_file);
    capture_file = NULL;
    return text;
}

/* bdrv_img_create() with its stdout captured (caller frees the text) */
static char *img_create(const char *filename, const char *fmt,
                        const char *base, const char *options, uint64_t size,
                        bool quiet, Error **errp)
{
    g_autofree char *opts = g_strdup(options);

    capture_stdout_begin();
    bdrv_img_create(filename, fmt, base, NULL, opts, size, 0, quiet, errp);
    return capture_stdout_end();
}

/* ---- fixtures ----------------------------------------------------------- */

static int group_setup(void **state)
{
    test_common_init(TEST_COMMON_SAME_BACKENDS);
    return test_common_tmp_dir_create("test-create");
}

/* Remove the temporary directory and the files the tests left in it */
static int group_teardown(void **state)
{
    return test_common_tmp_dir_remove();
}

/* ---- creation ----------------------------------------------------------- */

static QemuOpts *create_opts_for(BlockDriver *drv, const char *size)
{
    QemuOpts *opts = qemu_opts_create(drv->create_opts, NULL, 0,
                                      &error_abort);

    if (size) {
        assert_true(qemu_opt_set(opts, "size", size, &error_abort));
    }
    return opts;
}

static void test_create_raw(void **state)
{
    BlockDriver *raw = bdrv_find_format("raw");
    g_autofree char *path = tmp_path("create.raw");
    const uint8_t *data;
    QemuOpts *opts;
    size_t len = 0;
    Error *err = NULL;

    opts = create_opts_for(raw, "64K");
    check_ok(bdrv_create(raw, path, opts, &err) == 0, &err, "bdrv_create");
    qemu_opts_del(opts);
    assert_int_equal(file_size(path), 65536);

    /* Over an existing file: cleared to the new size */
    opts = create_opts_for(raw, "1024");
    check_ok(bdrv_create(raw, path, opts, &err) == 0, &err,
             "bdrv_create again");
    qemu_opts_del(opts);
    assert_int_equal(file_size(path), 1024);

    opts = create_opts_for(raw, "4096");
    check_ok(bdrv_create(raw, "mem:created", opts, &err) == 0, &err,
             "bdrv_create on mem");
    qemu_opts_del(opts);
    data = mem_image_get("created", &len);
    assert_non_null(data);
    assert_int_equal(len, 4096);
    mem_image_delete("created");
}

static void test_create_file(void **state)
{
    BlockDriver *file = bdrv_find_format("file");
    g_autofree char *path = tmp_path("create.file");
    g_autofree char *empty = tmp_path("create.empty");
    QemuOpts *opts = create_opts_for(file, "8K");
    Error *err = NULL;

    check_ok(bdrv_create_file(path, opts, &err) == 0, &err,
             "bdrv_create_file");
    assert_int_equal(file_size(path), 8192);
    qemu_opts_del(opts);

    check_ok(bdrv_create_file(empty, NULL, &err) == 0, &err,
             "bdrv_create_file without options");
    assert_int_equal(file_size(empty), 0);

    opts = create_opts_for(file, "512");
    check_ok(bdrv_create_file("mem:cfile", opts, &err) == 0, &err,
             "bdrv_create_file on mem");
    assert_non_null(mem_image_get("cfile", NULL));
    mem_image_delete("cfile");

    assert_int_equal(bdrv_create_file("nosuch:x", opts, &err), -ENOENT);
    check_error(&err, "Unknown protocol 'nosuch'");
    assert_int_equal(bdrv_create_file("null-co://", opts, &err), -ENOTSUP);
    check_error(&err, "Driver 'null-co' does not support image creation");
    qemu_opts_del(opts);

    assert_int_equal(bdrv_create(bdrv_find_format("null-co"), "null-co://",
                                 NULL, &err), -ENOTSUP);
    check_error(&err, "Driver 'null-co' does not support image creation");
}

static void test_img_create(void **state)
{
    g_autofree char *path = tmp_path("img.raw");
    g_autofree char *expected = NULL;
    char *out;
    BlockDriverState *bs;
    Error *err = NULL;

    out = img_create(path, "raw", NULL, NULL, 1024 * 1024, false, &err);
    expected = g_strdup_printf("Formatting '%s', fmt=raw size=1048576\n",
                               path);
    if (err || strcmp(out, expected) != 0) {
        fail_msg("bdrv_img_create printed \"%s\" (error: %s)", out,
                 err ? error_get_pretty(err) : "none");
    }
    g_free(out);
    assert_int_equal(file_size(path), 1024 * 1024);
    bs = open_ok(path, opts_new("raw", NULL), 0);
    assert_int_equal(bdrv_getlength(bs), 1024 * 1024);
    bdrv_unref(bs);

    /* -o size and a size argument: refused, as qemu-img does */
    out = img_create(path, "raw", NULL, "size=2M", 512, true, &err);
    check_error(&err, "The image size must be specified only once");
    g_free(out);
    assert_int_equal(file_size(path), 1024 * 1024);
    /* -o size alone; quiet prints nothing */
    out = img_create(path, "raw", NULL, "size=2M", (uint64_t)-1, true, &err);
    check_ok(true, &err, "bdrv_img_create -o size=2M");
    assert_string_equal(out, "");
    g_free(out);
    assert_int_equal(file_size(path), 2 * 1024 * 1024);

    /* On mem */
    out = img_create("mem:imgc", "raw", NULL, NULL, 65536, false, &err);
    check_ok(true, &err, "bdrv_img_create on mem");
    assert_string_equal(out, "Formatting 'mem:imgc', fmt=raw size=65536\n");
    g_free(out);
    bs = open_ok("mem:imgc", opts_new("raw", NULL), 0);
    assert_int_equal(bdrv_getlength(bs), 65536);
    bdrv_unref(bs);
    mem_image_delete("imgc");
}

/* Each failure has a clear error, prints nothing and creates nothing */
static void test_img_create_errors(void **state)
{
    static const struct {
        const char *filename;
        const char *fmt;
        const char *base;
        const char *options;
        uint64_t size;
        const char *error; /* the message, or its start when prefix */
        bool prefix;
    } cases[] = {
        { NULL, "nosuch", NULL, NULL, 512,
          "Unknown file format 'nosuch'", false },
        { NULL, "raw", NULL, NULL, (uint64_t)-1,
          "Image creation needs a size parameter", false },
        { NULL, "raw", NULL, "bogus=1", 512,
          "Invalid options for file format 'raw': ", true },
        { NULL, "raw", NULL, "size=lots", 512,
          "Invalid options for file format 'raw': ", true },
        { NULL, "raw", "base.img", NULL, 512,
          "Backing file not supported for file format 'raw'", false },
        { NULL, "test", NULL, NULL, 512,
          "Format driver 'test' does not support image creation", false },
        { "null-co://", "raw", NULL, NULL, 512,
          "Protocol driver 'null-co' does not support image creation",
          false },
        { "nosuch:x", "raw", NULL, NULL, 512,
          "Unknown protocol 'nosuch'", false },
    };
    g_autofree char *path = tmp_path("bad.raw");

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const char *filename = cases[i].filename ? cases[i].filename : path;
        Error *err = NULL;
        char *out = img_create(filename, cases[i].fmt, cases[i].base,
                               cases[i].options, cases[i].size, false, &err);
        const char *msg = err ? error_get_pretty(err) : "(none)";
        bool match = err && (cases[i].prefix
                             ? !strncmp(msg, cases[i].error,
                                        strlen(cases[i].error))
                             : !strcmp(msg, cases[i].error));
        bool printed = out[0] != 0;

        g_free(out);
        if (!match || printed) {
            fail_msg("bdrv_img_create('%s', '%s', options '%s'): error "
                     "\"%s\", expected \"%s\"%s", filename, cases[i].fmt,
                     cases[i].options ? cases[i].options : "", msg,
                     cases[i].error, printed ? "; it printed output" : "");
        }
        error_free(err);
    }
    assert_int_equal(file_size(path), -ENOENT);
}

/* ---- the driver table --------------------------------------------------- */

static void test_find_format_and_protocol(void **state)
{
    static const char *const names[] = {
        "file", "mem", "null-co", "null-aio", "raw", "test",
    };
    Error *err = NULL;

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        BlockDriver *drv = bdrv_find_format(names[i]);
        if (!drv) {
            fail_msg("bdrv_find_format('%s') found nothing", names[i]);
        }
        assert_string_equal(drv->format_name, names[i]);
    }
    assert_null(bdrv_find_format("nosuch"));
    assert_null(bdrv_find_format(""));

    assert_ptr_equal(bdrv_find_protocol("null-co://", true, &error_abort),
                     bdrv_find_format("null-co"));
    assert_ptr_equal(bdrv_find_protocol("mem:x", true, &error_abort),
                     bdrv_find_format("mem"));
    assert_ptr_equal(bdrv_find_protocol("file:/x", true, &error_abort),
                     bdrv_find_format("file"));
    /* Plain paths and prefixes not allowed: the file protocol */
    assert_ptr_equal(bdrv_find_protocol("mem:x", false, &error_abort),
                     bdrv_find_format("file"));
    assert_ptr_equal(bdrv_find_protocol("/abs/path", true, &error_abort),
                     bdrv_find_format("file"));
    assert_ptr_equal(bdrv_find_protocol("./a:b", true, &error_abort),
                     bdrv_find_format("file"));
    assert_ptr_equal(bdrv_find_protocol("dir/a:b", true, &error_abort),
                     bdrv_find_format("file"));
    assert_ptr_equal(bdrv_find_protocol(":x", true, &error_abort),
                     bdrv_find_format("file"));
    assert_null(bdrv_find_protocol("nosuch:x", true, &err));
    check_error(&err, "Unknown protocol 'nosuch'");
    /* A format is not a protocol */
    assert_null(bdrv_find_protocol("raw:x", true, &err));
    check_error(&err, "Unknown protocol 'raw'");
}

typedef struct FormatList {
    char names[64][32];
    int n;
} FormatList;

static void collect_format(void *opaque, const char *name)
{
    FormatList *l = opaque;

    assert_true(l->n < 64);
    snprintf(l->names[l->n++], sizeof(l->names[0]), "%s", name);
}

static bool format_listed(FormatList *l, const char *name)
{
    for (int i = 0; i < l->n; i++) {
        if (!strcmp(l->names[i], name)) {
            return true;
        }
    }
    return false;
}

static void test_iterate_format(void **state)
{
    FormatList l = { .n = 0 };

    bdrv_iterate_format(collect_format, &l, false);
    assert_true(format_listed(&l, "raw"));
    assert_true(format_listed(&l, "file"));
    assert_true(format_listed(&l, "null-co"));
    assert_true(format_listed(&l, "test"));
    /* Sorted, each once */
    for (int i = 1; i < l.n; i++) {
        if (strcmp(l.names[i - 1], l.names[i]) >= 0) {
            fail_msg("Formats not sorted or repeated: '%s' before '%s'",
                     l.names[i - 1], l.names[i]);
        }
    }
}

/* A format of our own: claims images that start with its magic */
#define UNIT_MAGIC "DRYDOCK-UNIT-FORMAT"

static int unit_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    size_t n = strlen(UNIT_MAGIC);

    return buf_size >= (int)n && !memcmp(buf, UNIT_MAGIC, n) ? 100 : 0;
}

static int unit_open(BlockDriverState *bs, QDict *options, int flags,
                     Error **errp)
{
    return bdrv_open_file_child(NULL, options, "file", bs, errp);
}

static int64_t coroutine_fn unit_co_getlength(BlockDriverState *bs)
{
    return bdrv_co_getlength(bs->file->bs);
}

static BlockDriver unit_format = {
    .format_name = "unit-format",
    .is_format = true,
    .bdrv_probe = unit_probe,
    .bdrv_open = unit_open,
    .bdrv_co_getlength = unit_co_getlength,
    .bdrv_child_perm = bdrv_default_perms,
};

static void test_register_and_probe(void **state)
{
    uint8_t img[1024] = UNIT_MAGIC;
    FormatList l = { .n = 0 };
    BlockDriverState *bs;

    assert_null(bdrv_find_format("unit-format"));
    bdrv_register(&unit_format);
    bdrv_register(&unit_format); /* twice is harmless */
    assert_ptr_equal(bdrv_find_format("unit-format"), &unit_format);
    bdrv_iterate_format(collect_format, &l, false);
    assert_true(format_listed(&l, "unit-format"));

    /* The highest probe score wins over raw's */
    assert_int_equal(mem_image_set("unit-img", img, sizeof(img), NULL), 0);
    bs = open_ok("mem:unit-img", NULL, 0);
    assert_string_equal(bdrv_get_format_name(bs), "unit-format");
    assert_true(bs->probed);
    assert_int_equal(bdrv_getlength(bs), 1024);
    bdrv_unref(bs);

    /* Other bytes are still raw */
    img[0] ^= 0xff;
    assert_int_equal(mem_image_set("unit-img", img, sizeof(img), NULL), 0);
    bs = open_ok("mem:unit-img", NULL, 0);
    assert_string_equal(bdrv_get_format_name(bs), "raw");
    bdrv_unref(bs);
    mem_image_delete("unit-img");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_create_raw),
        T(test_create_file),
        T(test_img_create),
        T(test_img_create_errors),
        T(test_find_format_and_protocol),
        T(test_iterate_format),
        T(test_register_and_probe),
    };

    return test_common_run_group(tests, group_setup, group_teardown);
}
