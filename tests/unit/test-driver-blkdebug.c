/*
 * Unit tests of the blkdebug filter: its config file and options, error
 * injection (once, immediately, sector, iotype), the set-state machine,
 * breakpoints through the core's bdrv_debug_* entry points, its limit
 * and child permission options, and one interop check with qemu-io on the same config file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "block/driver.h"
#include "block/test-driver.h"
#include "util/main-loop.h"
#include "test-common.h"
#include "interop-common.h"

#define IMG_SIZE (1024 * 1024)
/* Rounds of the event loop a request may need; a hang fails the test */
#define POLL_BOUND 1000

static char *img_path;

/* A config file named @name with @text (caller frees the path) */
static char *write_conf(const char *name, const char *text)
{
    char *path = tmp_path(name);
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* raw over blkdebug:CONF:IMG, the way qemu-io -f raw opens it */
static BlockBackend *open_raw_blkdebug(const char *conf, Error **errp)
{
    g_autofree char *filename = g_strdup_printf("blkdebug:%s:%s",
                                                conf ? conf : "", img_path);
    QDict *opts = qdict_new();

    qdict_put_str(opts, "driver", "raw");
    return blk_new_open(filename, NULL, opts, BDRV_O_RDWR, errp);
}

/* blkdebug from options over a node of @image_driver (more pairs follow) */
static BlockBackend *open_blkdebug_opts(const char *image_driver,
                                        Error **errp, ...)
{
    QDict *opts = qdict_new();
    const char *key;
    va_list ap;

    qdict_put_str(opts, "driver", "blkdebug");
    qdict_put_str(opts, "image.driver", image_driver);
    if (!strcmp(image_driver, "file")) {
        qdict_put_str(opts, "image.filename", img_path);
    }
    va_start(ap, errp);
    while ((key = va_arg(ap, const char *))) {
        qdict_put_str(opts, key, va_arg(ap, const char *));
    }
    va_end(ap);
    return blk_new_open(NULL, NULL, opts, BDRV_O_RDWR, errp);
}

static int rd(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    uint8_t buf[8192];

    assert_true(bytes <= (int64_t)sizeof(buf));
    return blk_pread(blk, offset, bytes, buf, 0);
}

static int wr(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    uint8_t buf[16384];

    assert_true(bytes <= (int64_t)sizeof(buf));
    memset(buf, 0x5a, sizeof(buf));
    return blk_pwrite(blk, offset, bytes, buf, 0);
}

/* ---- injection ---------------------------------------------------------- */

static void test_blkdebug_event_activates_error_for_later_requests(void **s)
{
    g_autofree char *conf = write_conf("eio.conf",
                                       "# fail from the first write on\n"
                                       "[inject-error]\n"
                                       "event = \"write_aio\"\n"
                                       "errno = \"5\"\n");
    BlockBackend *blk = open_raw_blkdebug(conf, &error_abort);

    /* Nothing is active before the event */
    expect_int(rd(blk, 0, 512), 0);
    expect_int(wr(blk, 0, 512), -EIO);
    expect_int(wr(blk, 0, 512), -EIO);
    /* The active rule covers reads too (iotype defaults to read+write) */
    expect_int(rd(blk, 0, 512), -EIO);
    blk_unref(blk);
    end_test();
}

static void test_blkdebug_once_fails_a_single_request(void **s)
{
    g_autofree char *conf = write_conf("once.conf",
                                       "[inject-error]\n"
                                       "event = \"read_aio\"\n"
                                       "errno = \"28\"\n"
                                       "once = \"on\"\n");
    BlockBackend *blk = open_raw_blkdebug(conf, &error_abort);

    expect_int(rd(blk, 0, 512), -ENOSPC);
    expect_int(rd(blk, 0, 512), 0);
    expect_int(rd(blk, 0, 512), 0);
    blk_unref(blk);
    end_test();
}

static void test_blkdebug_sector_fails_only_requests_covering_it(void **s)
{
    g_autofree char *conf = write_conf("sector.conf",
                                       "[inject-error]\n"
                                       "event = \"read_aio\"\n"
                                       "sector = \"8\"\n");
    BlockBackend *blk = open_raw_blkdebug(conf, &error_abort);

    expect_int(rd(blk, 0, 512), 0);
    expect_int(rd(blk, 4608, 512), 0);
    expect_int(rd(blk, 4096, 512), -EIO);
    expect_int(rd(blk, 3584, 1024), -EIO);
    expect_int(rd(blk, 0, 4096), 0);
    blk_unref(blk);
    end_test();
}

static void test_blkdebug_iotype_selects_the_request_kind(void **s)
{
    g_autofree char *conf = write_conf("flush.conf",
                                       "[inject-error]\n"
                                       "event = \"flush_to_os\"\n"
                                       "iotype = \"flush\"\n");
    BlockBackend *blk = open_raw_blkdebug(conf, &error_abort);

    expect_int(wr(blk, 0, 512), 0);
    expect_int(blk_flush(blk), -EIO);
    /* Reads and writes are not flushes */
    expect_int(rd(blk, 0, 512), 0);
    expect_int(wr(blk, 512, 512), 0);
    expect_int(blk_flush(blk), -EIO);
    blk_unref(blk);
    end_test();
}

/* Rules armed by a write fail only the request kind they name */
static void test_blkdebug_iotypes_zero_discard_and_block_status(void **s)
{
    static const char *const iotypes[] = {
        "write-zeroes", "discard", "block-status",
    };

    for (size_t i = 0; i < ARRAY_SIZE(iotypes); i++) {
        QDict *opts = qdict_new();
        BlockBackend *blk;
        int64_t pnum;
        int ret[3];

        qdict_put_str(opts, "driver", "blkdebug");
        qdict_put_str(opts, "image.driver", "null-co");
        qdict_put_str(opts, "inject-error.0.event", "pwritev");
        qdict_put_str(opts, "inject-error.0.iotype", iotypes[i]);
        blk = blk_new_open(NULL, NULL, opts, BDRV_O_RDWR | BDRV_O_UNMAP,
                           &error_abort);
        expect_int(wr(blk, 0, 512), 0);
        expect_int(rd(blk, 0, 512), 0);
        ret[0] = blk_pwrite_zeroes(blk, 0, 512, 0);
        ret[1] = blk_pdiscard(blk, 0, 512);
        ret[2] = bdrv_block_status(blk_bs(blk), 0, 512, &pnum, NULL, NULL);
        for (size_t j = 0; j < ARRAY_SIZE(ret); j++) {
            if ((j == i) != (ret[j] == -EIO)) {
                EXPECT_FAIL("iotype %s: %s returned %d", iotypes[i],
                            iotypes[j], ret[j]);
            }
        }
        blk_unref(blk);
    }
    end_test();
}

typedef struct CoWrite {
    BlockBackend *blk;
    int ret;
    bool done;
} CoWrite;

static void coroutine_fn co_write_entry(void *opaque)
{
    CoWrite *w = opaque;
    uint8_t buf[512] = { 0 };

    w->ret = blk_co_pwrite(w->blk, 0, sizeof(buf), buf, 0);
    w->done = true;
}

/* Is the request done when the coroutine that made it first yields? */
static bool write_done_at_first_yield(const char *immediately, int *ret)
{
    BlockBackend *blk = open_blkdebug_opts(
        "null-co", &error_abort, "inject-error.0.event", "pwritev",
        "inject-error.0.immediately", immediately, NULL);
    CoWrite w = { .blk = blk };
    bool done_at_once;
    int i;

    qemu_coroutine_enter(qemu_coroutine_create(co_write_entry, &w));
    done_at_once = w.done;
    for (i = 0; i < POLL_BOUND && !w.done; i++) {
        aio_poll(qemu_get_aio_context(), true);
    }
    expect_true(w.done);
    *ret = w.ret;
    blk_unref(blk);
    return done_at_once;
}

static void test_blkdebug_immediately_fails_without_yielding(void **s)
{
    int ret;

    /* null-co completes at once: only the injection can yield */
    expect_true(write_done_at_first_yield("on", &ret));
    expect_int(ret, -EIO);
    expect_false(write_done_at_first_yield("off", &ret));
    expect_int(ret, -EIO);
    end_test();
}

/* ---- the state machine -------------------------------------------------- */

static void test_blkdebug_set_state_arms_rules_of_the_new_state(void **s)
{
    g_autofree char *conf = write_conf("state.conf",
                                       "[set-state]\n"
                                       "state = \"1\"\n"
                                       "event = \"write_aio\"\n"
                                       "new_state = \"2\"\n"
                                       "\n"
                                       "[inject-error]\n"
                                       "state = \"2\"\n"
                                       "event = \"read_aio\"\n"
                                       "once = \"on\"\n");
    BlockBackend *blk = open_raw_blkdebug(conf, &error_abort);

    expect_int(rd(blk, 0, 512), 0);
    expect_int(wr(blk, 0, 512), 0);
    expect_int(rd(blk, 0, 512), -EIO);
    expect_int(rd(blk, 0, 512), 0);
    blk_unref(blk);
    end_test();
}

static void test_blkdebug_rules_of_one_event_see_the_state_it_found(void **s)
{
    /* Both rules on read_aio: the first read only changes the state */
    BlockBackend *blk = open_blkdebug_opts(
        "file", &error_abort,
        "set-state.0.event", "read_aio", "set-state.0.state", "1",
        "set-state.0.new_state", "2",
        "inject-error.0.event", "read_aio", "inject-error.0.state", "2",
        NULL);
    BlockDriverState *raw;
    BlockBackend *top;
    QDict *opts = qdict_new();

    /* raw raises read_aio on its file: put one on the blkdebug node */
    qdict_put_str(opts, "driver", "raw");
    qdict_put_str(opts, "file", bdrv_get_node_name(blk_bs(blk)));
    raw = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
    top = test_common_new_blk(raw, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    bdrv_unref(raw);
    expect_int(rd(top, 0, 512), 0);
    expect_int(rd(top, 0, 512), -EIO);
    blk_unref(top);
    blk_unref(blk);
    end_test();
}

/* Rules given as typed options (numbers, booleans), as JSON gives them */
static void test_blkdebug_typed_rule_options_inject(void **s)
{
    QDict *opts = qdict_new();
    BlockBackend *blk;

    qdict_put_str(opts, "driver", "blkdebug");
    qdict_put_str(opts, "image.driver", "null-co");
    qdict_put_str(opts, "inject-error.0.event", "pwritev");
    qdict_put_int(opts, "inject-error.0.errno", ENOSPC);
    qdict_put_int(opts, "inject-error.0.sector", 2);
    qdict_put_bool(opts, "inject-error.0.once", true);
    qdict_put_bool(opts, "inject-error.0.immediately", true);
    blk = blk_new_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
    expect_int(wr(blk, 0, 1024), 0);
    expect_int(wr(blk, 0, 2048), -ENOSPC);
    expect_int(wr(blk, 0, 2048), 0);
    blk_unref(blk);
    end_test();
}

/* ---- config errors ------------------------------------------------------ */

static void test_blkdebug_bad_config_names_file_and_line(void **s)
{
    static const struct {
        const char *text;
        const char *line;
        const char *message;
    } cases[] = {
        { "[foo]\nevent = \"read_aio\"\n", ":1: ",
          "There is no option group 'foo'" },
        { "[inject-error]\nevent \"read_aio\"\n", ":2: ",
          "Cannot parse 'event \"read_aio\"'" },
        { "[inject-error]\nevent = \"read_aio\"\nbogus = \"1\"\n", ":3: ",
          "Invalid parameter 'bogus'" },
        { "[inject-error]\nstate = \"1\"\n", ":1: ",
          "Missing event name for rule" },
        { "\n[inject-error]\nevent = \"nosuch\"\n", ":2: ",
          "Invalid event name 'nosuch'" },
        { "[inject-error]\nevent = \"read_aio\"\niotype = \"bogus\"\n",
          ":1: ", "Invalid iotype 'bogus'" },
        { "[inject-error]\nevent = \"read_aio\"\nerrno = \"x\"\n", ":3: ",
          "Parameter 'errno' expects" },
        { "[inject-error]\nevent = \"read_aio\"\nerrno = \"99999\"\n", ":1: ",
          "Invalid errno 99999" },
        { "event = \"read_aio\"\n", ":1: ", "No group defined before 'event'" },
        { "[set-state\n", ":1: ", "Cannot parse '[set-state'" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree char *conf = write_conf("bad.conf", cases[i].text);
        g_autofree char *where = g_strdup_printf("%s%s", conf, cases[i].line);
        Error *err = NULL;

        expect_true(open_raw_blkdebug(conf, &err) == NULL);
        check_error_has(&err, where, cases[i].message, NULL);
    }
    end_test();
}

static void test_blkdebug_missing_config_file_is_named(void **s)
{
    g_autofree char *conf = tmp_path("does-not-exist.conf");
    Error *err = NULL;

    assert_null(open_raw_blkdebug(conf, &err));
    check_error_has(&err, "Could not read blkdebug config file", conf,
                    "No such file or directory", NULL);
}

static void test_blkdebug_bad_rule_options_name_the_rule(void **s)
{
    Error *err = NULL;

    assert_null(open_blkdebug_opts("null-co", &err,
                                   "inject-error.0.event", "read_aio",
                                   "inject-error.1.event", "nosuch", NULL));
    check_error_has(&err, "inject-error.1: Invalid event name 'nosuch'",
                    NULL);
    assert_null(open_blkdebug_opts("null-co", &err, "set-state.0.state", "1",
                                   NULL));
    check_error_has(&err, "set-state.0: Missing event name for rule", NULL);
    assert_null(open_blkdebug_opts("null-co", &err, "inject-error.0.event",
                                   "read_aio", "inject-error.0.sector", "x",
                                   NULL));
    check_error_has(&err, "inject-error.0:", "'sector'", NULL);
}

static void test_blkdebug_filename_needs_config_and_image(void **s)
{
    QDict *opts = qdict_new();
    Error *err = NULL;

    qdict_put_str(opts, "driver", "blkdebug");
    assert_null(blk_new_open("blkdebug:only-one-part", NULL, opts,
                             BDRV_O_RDWR, &err));
    check_error_has(&err, "blkdebug requires both a config file and an "
                    "image path in 'only-one-part'", NULL);
}

static void test_blkdebug_empty_config_passes_requests_through(void **s)
{
    BlockBackend *blk = open_raw_blkdebug(NULL, &error_abort);
    BlockDriverState *bd = blk_bs(blk)->file->bs;

    expect_true(!strcmp(bdrv_get_format_name(bd), "blkdebug"));
    expect_int(blk_getlength(blk), IMG_SIZE);
    expect_int(wr(blk, 0, 4096), 0);
    expect_int(rd(blk, 0, 4096), 0);
    expect_int(blk_flush(blk), 0);
    blk_unref(blk);
    end_test();
}

/* ---- breakpoints -------------------------------------------------------- */

static bool poll_until_suspended(BlockDriverState *bs, const char *tag)
{
    for (int i = 0; i < POLL_BOUND; i++) {
        if (bdrv_debug_is_suspended(bs, tag)) {
            return true;
        }
        aio_poll(qemu_get_aio_context(), true);
    }
    return false;
}

static void poll_until_done(AioResult *r)
{
    for (int i = 0; i < POLL_BOUND && !r->done; i++) {
        aio_poll(qemu_get_aio_context(), true);
    }
}

static void test_blkdebug_breakpoint_suspends_until_resume(void **s)
{
    BlockBackend *blk = open_raw_blkdebug(NULL, &error_abort);
    BlockDriverState *bs = blk_bs(blk);
    uint8_t buf[512] = { 0 };
    QEMUIOVector qiov;
    AioResult r = { 0 };

    /* Set on the raw node: the core finds blkdebug below it */
    expect_int(bdrv_debug_breakpoint(bs, "write_aio", "A"), 0);
    expect_false(bdrv_debug_is_suspended(bs, "A"));
    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    blk_aio_pwritev(blk, 0, &qiov, 0, aio_done_cb, &r);
    expect_true(poll_until_suspended(bs, "A"));
    aio_poll(qemu_get_aio_context(), false);
    expect_false(r.done);
    expect_int(bdrv_debug_resume(bs, "A"), 0);
    poll_until_done(&r);
    expect_true(r.done);
    expect_int(r.ret, 0);
    expect_false(bdrv_debug_is_suspended(bs, "A"));
    /* A breakpoint fires once */
    expect_int(wr(blk, 0, 512), 0);
    expect_int(bdrv_debug_resume(bs, "A"), -ENOENT);
    blk_unref(blk);
    end_test();
}

static void test_blkdebug_remove_breakpoint_resumes_parked_request(void **s)
{
    BlockBackend *blk = open_raw_blkdebug(NULL, &error_abort);
    BlockDriverState *bs = blk_bs(blk);
    uint8_t buf[512];
    QEMUIOVector qiov;
    AioResult r = { 0 };

    expect_int(bdrv_debug_breakpoint(bs, "read_aio", "R"), 0);
    qemu_iovec_init_buf(&qiov, buf, sizeof(buf));
    blk_aio_preadv(blk, 0, &qiov, 0, aio_done_cb, &r);
    expect_true(poll_until_suspended(bs, "R"));
    expect_int(bdrv_debug_remove_breakpoint(bs, "R"), 0);
    poll_until_done(&r);
    expect_int(r.ret, 0);
    /* A breakpoint that never fired is removed too, then it is unknown */
    expect_int(bdrv_debug_breakpoint(bs, "read_aio", "S"), 0);
    expect_int(bdrv_debug_remove_breakpoint(bs, "S"), 0);
    expect_int(rd(blk, 0, 512), 0);
    expect_int(bdrv_debug_remove_breakpoint(bs, "S"), -ENOENT);
    blk_unref(blk);
    end_test();
}

static void test_blkdebug_breakpoint_on_unknown_event_is_enoent(void **s)
{
    BlockBackend *blk = open_raw_blkdebug(NULL, &error_abort);
    BlockDriverState *bs = blk_bs(blk);

    expect_int(bdrv_debug_breakpoint(bs, "nosuch", "A"), -ENOENT);
    expect_int(bdrv_debug_remove_breakpoint(bs, "B"), -ENOENT);
    expect_int(bdrv_debug_resume(bs, "B"), -ENOENT);
    expect_false(bdrv_debug_is_suspended(bs, "B"));
    blk_unref(blk);
    end_test();
}

static void test_debug_breakpoint_without_blkdebug_is_enotsup(void **s)
{
    BlockDriverState *bs = open_null("nb");

    expect_int(bdrv_debug_breakpoint(bs, "write_aio", "A"), -ENOTSUP);
    expect_int(bdrv_debug_remove_breakpoint(bs, "A"), -ENOTSUP);
    expect_int(bdrv_debug_resume(bs, "A"), -ENOTSUP);
    expect_false(bdrv_debug_is_suspended(bs, "A"));
    bdrv_unref(bs);
    end_test();
}

/* ---- limits ------------------------------------------------------------- */

static void test_blkdebug_limits_make_the_core_split_and_pad(void **s)
{
    BlockBackend *blk = open_blkdebug_opts("test", &error_abort,
                                           "align", "4096",
                                           "max-transfer", "8192", NULL);
    BlockDriverState *bd = blk_bs(blk);
    BlockDriverState *child = bd->file->bs;
    const TestDriverCounters *c = test_driver_counters(child);

    expect_int(bd->bl.request_alignment, 4096);
    expect_int(bd->bl.max_transfer, 8192);
    test_driver_reset_counters(child);
    expect_int(wr(blk, 0, 16384), 0);
    expect_int(c->nb_requests, 2);
    expect_int(c->requests[0].bytes, 8192);
    expect_int(c->requests[1].offset, 8192);
    /* An unaligned write: read-modify-write of one aligned block */
    test_driver_reset_counters(child);
    expect_int(wr(blk, 512, 512), 0);
    expect_int(c->nb_requests, 2);
    expect_false(c->requests[0].is_write);
    expect_int(c->requests[0].bytes, 4096);
    expect_true(c->requests[1].is_write);
    expect_int(c->requests[1].offset, 0);
    expect_int(c->requests[1].bytes, 4096);
    blk_unref(blk);
    end_test();
}

static void test_blkdebug_impossible_limits_are_refused(void **s)
{
    Error *err = NULL;

    assert_null(open_blkdebug_opts("null-co", &err, "align", "3", NULL));
    check_error_has(&err, "Cannot meet constraints with align 3", NULL);
    assert_null(open_blkdebug_opts("null-co", &err, "align", "512",
                                   "max-transfer", "1000", NULL));
    check_error_has(&err, "Cannot meet constraints with max-transfer 1000",
                    NULL);
    assert_null(open_blkdebug_opts("null-co", &err, "opt-discard", "4096",
                                   "max-discard", "6144", NULL));
    check_error_has(&err, "Cannot meet constraints with max-discard 6144",
                    NULL);
}

/* ---- child permissions ------------------------------------------------ */

/* A blkdebug node over null-co, read-write, with two more options */
static BlockDriverState *open_perm_node(const char *key, const char *value)
{
    QDict *opts = opts_new("blkdebug", "bd-perm");

    qdict_put_str(opts, "image.driver", "null-co");
    if (key) {
        qdict_put_str(opts, key, value);
    }
    return open_ok(NULL, opts, BDRV_O_RDWR);
}

/* A second writer on the image child: 0, or the refusal (in @errp) */
static int insert_writer(BlockDriverState *child, BlockBackend **blk,
                         Error **errp)
{
    *blk = blk_new(qemu_get_aio_context(), BLK_PERM_WRITE, BLK_PERM_ALL);
    return blk_insert_bs(*blk, child, errp);
}

static void test_blkdebug_unshare_child_perms_write_refuses_writer(void **s)
{
    BlockDriverState *bs = open_perm_node(NULL, NULL);
    BlockBackend *blk;
    Error *err = NULL;

    /* Without the option, another writer on the image is welcome */
    check_ok(insert_writer(bs->file->bs, &blk, &err) == 0, &err, "writer");
    blk_unref(blk);
    bdrv_unref(bs);
    bs = open_perm_node("unshare-child-perms.0", "write");
    expect_false(bs->file->shared_perm & BLK_PERM_WRITE);
    expect_true(bs->file->shared_perm & BLK_PERM_RESIZE);
    expect_int(insert_writer(bs->file->bs, &blk, &err), -EPERM);
    check_error_has(&err, "Permission conflict on node", "write", NULL);
    blk_unref(blk);
    expect_graph_ok();
    bdrv_unref(bs);
    end_test();
}

static void test_blkdebug_take_child_perms_resize_is_cumulative(void **s)
{
    BlockDriverState *bs = open_perm_node(NULL, NULL);
    uint64_t perm, shared;

    bdrv_get_cumulative_perm(bs->file->bs, &perm, &shared);
    expect_false(perm & BLK_PERM_RESIZE);
    bdrv_unref(bs);
    bs = open_perm_node("take-child-perms.0", "resize");
    bdrv_get_cumulative_perm(bs->file->bs, &perm, &shared);
    expect_true(perm & BLK_PERM_RESIZE);
    expect_false(perm & BLK_PERM_WRITE); /* only what was asked for */
    expect_true(bs->file->perm & BLK_PERM_RESIZE);
    expect_graph_ok();
    bdrv_unref(bs);
    end_test();
}

static void test_blkdebug_bad_child_perm_names_are_refused(void **s)
{
    Error *err = NULL;

    assert_null(open_blkdebug_opts("null-co", &err, "take-child-perms.0",
                                   "write", "take-child-perms.1", "bogus",
                                   NULL));
    check_error(&err, "Parameter 'take-child-perms.1' does not accept value "
                "'bogus'");
    assert_null(open_blkdebug_opts("null-co", &err, "unshare-child-perms.0",
                                   "graph-mod", NULL));
    check_error(&err, "Parameter 'unshare-child-perms.0' does not accept "
                "value 'graph-mod'");
    assert_null(open_blkdebug_opts("null-co", &err, "take-child-perms.x",
                                   "write", NULL));
    check_error_has(&err, "'take-child-perms.x'", NULL);
}

/* ---- interop ------------------------------------------------------------ */

static void test_blkdebug_config_fails_write_like_qemu_io(void **s)
{
    g_autofree char *conf = write_conf("interop.conf",
                                       "[inject-error]\n"
                                       "event = \"write_aio\"\n");
    g_autofree char *cmd = g_strdup_printf(
        "qemu-io -c 'write 0 512' -f raw blkdebug:%s:%s 2>&1", conf,
        img_path);
    BlockBackend *blk;
    char line[512];
    bool seen = false;
    FILE *p;

    assert_int_equal(interop_require_reference_tools(), 0);
    p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(line, sizeof(line), p)) {
        seen |= strstr(line, "write failed: Input/output error") != NULL;
    }
    /* qemu-io exits with 1 when a command failed */
    expect_int(pclose(p), 1 << 8);
    expect_true(seen);
    blk = open_raw_blkdebug(conf, &error_abort);
    expect_int(wr(blk, 0, 512), -EIO);
    blk_unref(blk);
    end_test();
}

/* ---- setup -------------------------------------------------------------- */

static int setup(void **state)
{
    test_common_init(0);
    assert_int_equal(test_common_tmp_dir_create("blkdebug"), 0);
    img_path = tmp_path("img.raw");
    bdrv_img_create(img_path, "raw", NULL, NULL, NULL, IMG_SIZE, 0, true,
                    &error_abort);
    return 0;
}

static int teardown(void **state)
{
    g_free(img_path);
    test_common_tmp_dir_remove();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_blkdebug_event_activates_error_for_later_requests),
        T(test_blkdebug_once_fails_a_single_request),
        T(test_blkdebug_sector_fails_only_requests_covering_it),
        T(test_blkdebug_iotype_selects_the_request_kind),
        T(test_blkdebug_iotypes_zero_discard_and_block_status),
        T(test_blkdebug_immediately_fails_without_yielding),
        T(test_blkdebug_set_state_arms_rules_of_the_new_state),
        T(test_blkdebug_rules_of_one_event_see_the_state_it_found),
        T(test_blkdebug_typed_rule_options_inject),
        T(test_blkdebug_bad_config_names_file_and_line),
        T(test_blkdebug_missing_config_file_is_named),
        T(test_blkdebug_bad_rule_options_name_the_rule),
        T(test_blkdebug_filename_needs_config_and_image),
        T(test_blkdebug_empty_config_passes_requests_through),
        T(test_blkdebug_breakpoint_suspends_until_resume),
        T(test_blkdebug_remove_breakpoint_resumes_parked_request),
        T(test_blkdebug_breakpoint_on_unknown_event_is_enoent),
        T(test_debug_breakpoint_without_blkdebug_is_enotsup),
        T(test_blkdebug_limits_make_the_core_split_and_pad),
        T(test_blkdebug_impossible_limits_are_refused),
        T(test_blkdebug_unshare_child_perms_write_refuses_writer),
        T(test_blkdebug_take_child_perms_resize_is_cumulative),
        T(test_blkdebug_bad_child_perm_names_are_refused),
        T(test_blkdebug_config_fails_write_like_qemu_io),
    };

    return test_common_run_group(tests, setup, teardown);
}
