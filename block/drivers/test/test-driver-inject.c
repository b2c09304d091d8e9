/*
 * Error injection of the "test" driver: requests of one kind overlapping
 * a byte range fail with a chosen errno, always or once.
 *
 * Rules come from the options inject-error.N.{iotype,offset,bytes,errno,
 * once} (N = 0, 1, ... without gaps) or from test_driver_inject_error().
 * The driver checks them after a request left the parking lot, so a
 * parked request can be made to fail when it is released.
 */
#include "test-driver-int.h"
#include "util/cutils.h"

static const char *const test_inject_iotype_names[TEST_IO__MAX] = {
    [TEST_IO_READ] = "read",
    [TEST_IO_WRITE] = "write",
    [TEST_IO_FLUSH] = "flush",
    [TEST_IO_DISCARD] = "discard",
    [TEST_IO_ZERO] = "zero",
    [TEST_IO_BLOCK_STATUS] = "block-status",
};

static QemuOptsList test_inject_opts = {
    .name = "test-inject-error",
    .desc = {
        { .name = "iotype", .type = QEMU_OPT_STRING,
          .help = "read, write, flush, discard, zero or block-status" },
        { .name = "offset", .type = QEMU_OPT_SIZE,
          .help = "First byte of the failing range (default 0)" },
        { .name = "bytes", .type = QEMU_OPT_SIZE,
          .help = "Length of the range (default 0: up to the end)" },
        { .name = "errno", .type = QEMU_OPT_NUMBER,
          .help = "Positive error number (default EIO)" },
        { .name = "once", .type = QEMU_OPT_BOOL,
          .help = "Fail only the first matching request" },
        { /* end of list */ }
    },
};

static int test_inject_add(BDRVTestState *s, TestDriverIoType iotype,
                           int64_t offset, int64_t bytes, int error,
                           bool once)
{
    if (s->nb_rules == TEST_INJECT_MAX) {
        return -ENOSPC;
    }
    s->rules[s->nb_rules++] = (TestInjectRule) {
        .iotype = iotype, .offset = offset, .bytes = bytes, .error = error,
        .once = once,
    };
    return 0;
}

static int test_inject_iotype(const char *name, const char *prefix,
                              Error **errp)
{
    for (int i = 0; i < TEST_IO__MAX; i++) {
        if (!strcmp(name, test_inject_iotype_names[i])) {
            return i;
        }
    }
    error_setg(errp, "Invalid %siotype '%s': expected read, write, flush, "
               "discard, zero or block-status", prefix, name);
    return -EINVAL;
}

/* One rule from the options under @prefix ("inject-error.N.") */
static int test_inject_parse_rule(BDRVTestState *s, QDict *rule,
                                  const char *prefix, Error **errp)
{
    QemuOpts *opts = qemu_opts_create(&test_inject_opts, NULL, 0,
                                      &error_abort);
    const QDictEntry *left;
    uint64_t offset, bytes, error;
    int iotype, ret = -EINVAL;

    if (!qemu_opts_absorb_qdict(opts, rule, errp)) {
        goto out;
    }
    left = qdict_first(rule);
    if (left) {
        error_setg(errp, "Invalid option '%s%s' for the test driver", prefix,
                   qdict_entry_key(left));
        goto out;
    }
    iotype = test_inject_iotype(qemu_opt_get(opts, "iotype") ?: "read",
                                prefix, errp);
    offset = qemu_opt_get_size(opts, "offset", 0);
    bytes = qemu_opt_get_size(opts, "bytes", 0);
    error = qemu_opt_get_number(opts, "errno", EIO);
    if (iotype < 0) {
        goto out;
    }
    if (error == 0 || error > 4095) {
        error_setg(errp, "Invalid %serrno %" PRIu64 ": expected 1 to 4095",
                   prefix, error);
        goto out;
    }
    if (offset > (uint64_t)BDRV_MAX_LENGTH ||
        bytes > (uint64_t)BDRV_MAX_LENGTH - offset) {
        error_setg(errp, "Invalid %soffset %" PRIu64 " and bytes %" PRIu64
                   ": past the largest length %" PRId64, prefix, offset,
                   bytes, (int64_t)BDRV_MAX_LENGTH);
        goto out;
    }
    ret = test_inject_add(s, iotype, offset, bytes, (int)error,
                          qemu_opt_get_bool(opts, "once", false));
    if (ret < 0) {
        error_setg(errp, "Too many inject-error rules (at most %d)",
                   TEST_INJECT_MAX);
    }
out:
    qemu_opts_del(opts);
    return ret;
}

int test_inject_open(BDRVTestState *s, QDict *options, Error **errp)
{
    for (int n = 0;; n++) {
        char prefix[32];
        QDict *rule = NULL;
        int ret;

        snprintf(prefix, sizeof(prefix), "inject-error.%d.", n);
        qdict_extract_subqdict(options, &rule, prefix);
        if (!qdict_size(rule)) {
            qobject_unref(rule);
            return 0;
        }
        ret = test_inject_parse_rule(s, rule, prefix, errp);
        qobject_unref(rule);
        if (ret < 0) {
            return ret;
        }
    }
}

int test_inject_match(BDRVTestState *s, TestDriverIoType iotype,
                      int64_t offset, int64_t bytes)
{
    for (int i = 0; i < s->nb_rules; i++) {
        TestInjectRule *r = &s->rules[i];
        bool overlaps = iotype == TEST_IO_FLUSH ||
                        ((r->bytes == 0 || offset < r->offset + r->bytes) &&
                         offset + MAX(bytes, 1) > r->offset);

        if (r->iotype != iotype || r->spent || !overlaps) {
            continue;
        }
        r->spent = r->once;
        return -r->error;
    }
    return 0;
}

int test_driver_inject_error(BlockDriverState *bs, TestDriverIoType iotype,
                             int64_t offset, int64_t bytes, int error,
                             bool once)
{
    BDRVTestState *s = test_state(bs);
    int ret;

    assert(iotype >= 0 && iotype < TEST_IO__MAX && error > 0);
    pthread_mutex_lock(&s->lock);
    ret = test_inject_add(s, iotype, offset, bytes, error, once);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

void test_driver_clear_errors(BlockDriverState *bs)
{
    BDRVTestState *s = test_state(bs);

    pthread_mutex_lock(&s->lock);
    s->nb_rules = 0;
    pthread_mutex_unlock(&s->lock);
}
