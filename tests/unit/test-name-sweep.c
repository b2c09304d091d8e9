/*
 * test-name-sweep.c: node names and backend (device) names checked against
 * the rule for every byte value at every position class, and at every
 * length around the limit.
 *
 * The rule (QEMU's id_wellformed, plus the node-name length limit): a name
 * starts with an ASCII letter, goes on with ASCII letters, digits, '-', '.'
 * or '_', and a node name has at most BLOCK_NODE_NAME_MAX - 1 characters.
 * Bytes are unsigned here: 0x80..0xff are never letters, whatever the
 * locale.  A NUL byte ends the C string, so "a\0b" is the name "a".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "test-common.h"

typedef enum NamePos { NAME_FIRST, NAME_MIDDLE, NAME_LAST } NamePos;

static bool oracle_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool oracle_wellformed(const char *name)
{
    const unsigned char *p = (const unsigned char *)name;

    if (!oracle_letter(p[0])) {
        return false;
    }
    for (; *p; p++) {
        if (!oracle_letter(*p) && !(*p >= '0' && *p <= '9') && *p != '-' &&
            *p != '.' && *p != '_') {
            return false;
        }
    }
    return true;
}

/* "aXb"-style names with byte @c at @pos */
static void name_with_byte(char *buf, NamePos pos, unsigned char c)
{
    switch (pos) {
    case NAME_FIRST:
        buf[0] = (char)c, buf[1] = 'x', buf[2] = 'y', buf[3] = 0;
        break;
    case NAME_MIDDLE:
        buf[0] = 'n', buf[1] = (char)c, buf[2] = 'y', buf[3] = 0;
        break;
    case NAME_LAST:
        buf[0] = 'n', buf[1] = 'x', buf[2] = (char)c, buf[3] = 0;
        break;
    }
}

/* Opens a null-co node named @name; true if the open succeeded */
static bool node_name_accepted(const char *name)
{
    QDict *opts = test_common_opts_new("null-co", name);
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &err);

    if (!bs) {
        if (!err) {
            EXPECT_FAIL("node-name '%s' refused without an Error", name);
        } else if (!strstr(error_get_pretty(err), name)) {
            EXPECT_FAIL("The error \"%s\" does not name '%s'",
                        error_get_pretty(err), name);
        }
        error_free(err);
        return false;
    }
    if (strcmp(bdrv_get_node_name(bs), name) != 0) {
        EXPECT_FAIL("node-name '%s' became '%s'", name,
                    bdrv_get_node_name(bs));
    }
    bdrv_unref(bs);
    return true;
}

static bool device_name_accepted(BlockBackend *blk, const char *name)
{
    Error *err = NULL;

    if (!monitor_add_blk(blk, name, &err)) {
        if (!err || !strstr(error_get_pretty(err), "Invalid device name")) {
            EXPECT_FAIL("device name '%s' refused with \"%s\"", name,
                        err ? error_get_pretty(err) : "(no error)");
        }
        error_free(err);
        return false;
    }
    if (strcmp(blk_name(blk), name) != 0) {
        EXPECT_FAIL("device name '%s' became '%s'", name, blk_name(blk));
    }
    monitor_remove_blk(blk);
    return true;
}

static void test_name_sweep_node_every_byte_every_position(void **state)
{
    for (NamePos pos = NAME_FIRST; pos <= NAME_LAST; pos++) {
        for (int c = 0; c < 256; c++) {
            char name[4];
            bool want;

            name_with_byte(name, pos, (unsigned char)c);
            want = oracle_wellformed(name);
            if (node_name_accepted(name) != want) {
                EXPECT_FAIL("node-name with byte 0x%02x at position %d: "
                            "%s, the rule says %s", c, (int)pos,
                            want ? "refused" : "accepted",
                            want ? "valid" : "invalid");
            }
        }
    }
    end_test();
}

static void test_name_sweep_device_every_byte_every_position(void **state)
{
    BlockBackend *blk = blk_new(qemu_get_aio_context(), 0, BLK_PERM_ALL);

    for (NamePos pos = NAME_FIRST; pos <= NAME_LAST; pos++) {
        for (int c = 0; c < 256; c++) {
            char name[4];
            bool want;

            name_with_byte(name, pos, (unsigned char)c);
            want = oracle_wellformed(name);
            if (device_name_accepted(blk, name) != want) {
                EXPECT_FAIL("device name with byte 0x%02x at position %d: "
                            "%s, the rule says %s", c, (int)pos,
                            want ? "refused" : "accepted",
                            want ? "valid" : "invalid");
            }
        }
    }
    blk_unref(blk);
    end_test();
}

/* Lengths 1 .. limit + 8, each of every valid byte class at the end */
static void test_name_sweep_node_length_limit(void **state)
{
    const char tails[] = "zZ9-._";

    for (int len = 1; len <= BLOCK_NODE_NAME_MAX + 8; len++) {
        for (size_t t = 0; t < strlen(tails); t++) {
            char name[BLOCK_NODE_NAME_MAX + 16];
            bool want = len <= BLOCK_NODE_NAME_MAX - 1;

            memset(name, 'a', (size_t)len);
            if (len > 1) {
                name[len - 1] = tails[t];
            }
            name[len] = 0;
            if (node_name_accepted(name) != want) {
                EXPECT_FAIL("node-name of %d characters ending in '%c': %s",
                            len, name[len - 1],
                            want ? "refused" : "accepted");
            }
        }
    }
    end_test();
}

/* The backend and node namespaces exclude each other, for any valid name */
static void test_name_sweep_node_and_device_names_exclusive(void **state)
{
    BlockBackend *blk = blk_new(qemu_get_aio_context(), 0, BLK_PERM_ALL);
    const char *names[] = { "a", "Z", "a-", "b.", "c_", "d9", "eXy-._9" };
    Error *err = NULL;

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        BlockDriverState *bs = open_null(names[i]);

        expect_false(monitor_add_blk(blk, names[i], &err));
        expect_true(err && strstr(error_get_pretty(err), names[i]));
        error_free(err);
        err = NULL;
        bdrv_unref(bs);

        expect_true(monitor_add_blk(blk, names[i], NULL));
        expect_false(node_name_accepted(names[i]));
        monitor_remove_blk(blk);
    }
    blk_unref(blk);
    end_test();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_name_sweep_node_every_byte_every_position),
        T(test_name_sweep_device_every_byte_every_position),
        T(test_name_sweep_node_length_limit),
        T(test_name_sweep_node_and_device_names_exclusive),
    };

    return test_common_run_group(tests, test_common_group_setup, NULL);
}
