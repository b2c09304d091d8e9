/*
 * blkdebug rules of the event "none": processed once when the node opens,
 * in state 1 (as qemu's blkdebug, observed with qemu-io): an inject-error
 * rule of that event fails requests from the first one on; one of another
 * state does not; a set-state rule of it moves the state at open.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test-common.h"

/* blkdebug over null-co with the option pairs that follow (NULL ends) */
static BlockBackend *open_blkdebug(const char *key, ...)
{
    QDict *opts = qdict_new();
    va_list ap;

    qdict_put_str(opts, "driver", "blkdebug");
    qdict_put_str(opts, "image.driver", "null-co");
    qdict_put_str(opts, "image.read-zeroes", "on");
    va_start(ap, key);
    for (; key; key = va_arg(ap, const char *)) {
        qdict_put_str(opts, key, va_arg(ap, const char *));
    }
    va_end(ap);
    return blk_new_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
}

static int rd(BlockBackend *blk)
{
    uint8_t buf[512];

    return blk_pread(blk, 0, sizeof(buf), buf, 0);
}

static void test_blkdebug_none_rule_active_from_open(void **state)
{
    BlockBackend *blk = open_blkdebug("inject-error.0.event", "none",
                                      "inject-error.0.errno", "5",
                                      "inject-error.0.iotype", "read", NULL);

    expect_int(rd(blk), -EIO);
    expect_int(rd(blk), -EIO);
    blk_unref(blk);
    end_test();
}

static void test_blkdebug_none_rule_of_other_state_inactive(void **state)
{
    BlockBackend *blk = open_blkdebug("inject-error.0.event", "none",
                                      "inject-error.0.state", "2",
                                      "inject-error.0.errno", "5", NULL);

    expect_int(rd(blk), 0);
    blk_unref(blk);
    end_test();
}

static void test_blkdebug_none_once_rule_fails_one_request(void **state)
{
    BlockBackend *blk = open_blkdebug("inject-error.0.event", "none",
                                      "inject-error.0.once", "on",
                                      "inject-error.0.errno", "5", NULL);

    expect_int(rd(blk), -EIO);
    expect_int(rd(blk), 0);
    blk_unref(blk);
    end_test();
}

static void test_blkdebug_none_set_state_moves_state_at_open(void **state)
{
    /* The state moves to 2 at open: a read_aio rule of state 2 fires */
    BlockBackend *blk = open_blkdebug("set-state.0.event", "none",
                                      "set-state.0.new_state", "2",
                                      "inject-error.0.event", "read_aio",
                                      "inject-error.0.state", "2",
                                      "inject-error.0.errno", "5", NULL);

    bdrv_debug_event(blk_bs(blk), BLKDBG_READ_AIO);
    expect_int(rd(blk), -EIO);
    blk_unref(blk);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_blkdebug_none_rule_active_from_open),
        T(test_blkdebug_none_rule_of_other_state_inactive),
        T(test_blkdebug_none_once_rule_fails_one_request),
        T(test_blkdebug_none_set_state_moves_state_at_open),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
