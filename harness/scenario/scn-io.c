/*
 * I/O in scenarios: the qemu-io command set on a named backend or node
 * (io TARGET CMD ...), BlockBackends (backend-add/del), the test driver's
 * parked requests, and waiting for what is in flight.
 */
#include "scn.h"

#include "block/block-debug.h"
#include "block/test-driver.h"
#include "harness/io-cmds.h"
#include "util/main-loop.h"

/* The backends backend-add created, deleted at the end */
static GSList *scn_io_backends;
/*
 * Temporary backends of io commands on nodes, kept while aio requests
 * are in flight: the last reference must not go from a completion
 * callback (deleting a backend drains it, and the request is its own)
 */
static GSList *scn_io_temps;

void scn_io_reap(void)
{
    while (scn_io_temps && io_aio_pending() == 0) {
        BlockBackend *blk = scn_io_temps->data;

        scn_io_temps = g_slist_remove(scn_io_temps, blk);
        blk_unref(blk);
    }
}

/*
 * The target of an io command: a backend by name, or a node through a
 * temporary anonymous backend (*tmp set; an aio request in flight holds
 * its own reference, so the backend lives until the request completes).
 */
static BlockBackend *scn_io_target(const char *name, bool *tmp)
{
    BlockBackend *blk = blk_by_name(name);
    BlockDriverState *bs;
    Error *err = NULL;

    *tmp = false;
    if (blk) {
        return blk;
    }
    bs = bdrv_find_node(name);
    if (!bs) {
        scn_error("Cannot find backend or node '%s'", name);
        return NULL;
    }
    blk = blk_new(bdrv_get_aio_context(bs), 0, BLK_PERM_ALL);
    if (blk_insert_bs(blk, bs, &err) < 0) {
        blk_unref(blk);
        scn_report_err(err);
        return NULL;
    }
    blk_set_allow_aio_context_change(blk, true);
    *tmp = true;
    return blk;
}

/*
 * A command that waits for requests, on a backend whose node a drain-begin
 * of the scenario holds: its requests queue until the drain ends, which
 * the scenario cannot reach while the command waits
 */
static bool scn_io_would_wait_forever(BlockBackend *blk, int argc,
                                      char **argv)
{
    const IoCmd *cmd = argc > 2 ? io_cmd_find(argv[2]) : NULL;
    BlockDriverState *bs = blk_bs(blk);

    return cmd && (cmd->flags & IO_CMD_WAITS) && bs &&
           bdrv_debug_quiesce_count(bs) > 0;
}

static int scn_io_f(ScnRunner *r, int argc, char **argv)
{
    bool tmp;
    BlockBackend *blk = scn_io_target(argv[1], &tmp);
    int ret;

    if (!blk) {
        return SCN_CMD_FAIL;
    }
    if (scn_io_would_wait_forever(blk, argc, argv)) {
        scn_error("'%s' is drained (drain-begin): '%s' would wait for its "
                  "requests forever; use aio_ commands until drain-end",
                  argv[1], argv[2]);
        ret = -EDEADLK;
    } else {
        ret = io_command_argv(blk, argc - 2, argv + 2);
    }
    if (tmp) {
        scn_io_temps = g_slist_prepend(scn_io_temps, blk);
        scn_io_reap();
    }
    return ret < 0 ? SCN_CMD_FAIL : 0;
}

static int scn_backend_add_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = NULL;
    BlockBackend *blk;
    Error *err = NULL;

    if (argc > 2 && !(bs = scn_node(argv[2]))) {
        return SCN_CMD_FAIL;
    }
    blk = blk_new(bs ? bdrv_get_aio_context(bs) : qemu_get_aio_context(), 0,
                  BLK_PERM_ALL);
    if (!monitor_add_blk(blk, argv[1], &err) ||
        (bs && blk_insert_bs(blk, bs, &err) < 0)) {
        monitor_remove_blk(blk);
        blk_unref(blk);
        return scn_report_err(err);
    }
    blk_set_allow_aio_context_change(blk, true);
    scn_io_backends = g_slist_prepend(scn_io_backends, blk);
    return 0;
}

static BlockBackend *scn_io_backend(const char *name)
{
    BlockBackend *blk = blk_by_name(name);

    if (!blk || !g_slist_find(scn_io_backends, blk)) {
        scn_error("Cannot find backend '%s'", name);
        return NULL;
    }
    return blk;
}

static int scn_backend_del_f(ScnRunner *r, int argc, char **argv)
{
    BlockBackend *blk = scn_io_backend(argv[1]);

    if (!blk) {
        return SCN_CMD_FAIL;
    }
    scn_io_backends = g_slist_remove(scn_io_backends, blk);
    monitor_remove_blk(blk);
    blk_unref(blk);
    return 0;
}

/* backend-insert NAME NODE / backend-remove NAME: change the root */
static int scn_backend_insert_f(ScnRunner *r, int argc, char **argv)
{
    BlockBackend *blk = scn_io_backend(argv[1]);
    BlockDriverState *bs = blk ? scn_node(argv[2]) : NULL;
    Error *err = NULL;

    if (!bs) {
        return SCN_CMD_FAIL;
    }
    if (blk_bs(blk)) {
        scn_error("Backend '%s' already has a node", argv[1]);
        return SCN_CMD_FAIL;
    }
    return blk_insert_bs(blk, bs, &err) < 0 ? scn_report_err(err) : 0;
}

static int scn_backend_remove_f(ScnRunner *r, int argc, char **argv)
{
    BlockBackend *blk = scn_io_backend(argv[1]);

    if (!blk) {
        return SCN_CMD_FAIL;
    }
    if (!blk_bs(blk)) {
        scn_error("Backend '%s' has no node", argv[1]);
        return SCN_CMD_FAIL;
    }
    blk_remove_bs(blk);
    return 0;
}

/* The node @name if it is a test driver node */
static BlockDriverState *scn_io_test_node(const char *name)
{
    BlockDriverState *bs = scn_node(name);

    if (bs && strcmp(bdrv_get_format_name(bs) ?: "", "test")) {
        scn_error("Node '%s' is not a test driver node (driver %s)", name,
                  bdrv_get_format_name(bs) ?: "none");
        return NULL;
    }
    return bs;
}

static int scn_park_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = scn_io_test_node(argv[1]);

    if (!bs) {
        return SCN_CMD_FAIL;
    }
    test_driver_set_parking(bs, strcmp(argv[0], "unpark") != 0);
    return 0;
}

static int scn_release_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = scn_io_test_node(argv[1]);
    long n = INT_MAX;
    char *end;

    if (!bs) {
        return SCN_CMD_FAIL;
    }
    if (argc > 2) {
        errno = 0;
        n = strtol(argv[2], &end, 10);
        if (errno || *end || n < 0 || n > INT_MAX) {
            scn_error("Invalid request count '%s'", argv[2]);
            return SCN_CMD_FAIL;
        }
    }
    printf("released %d of %s's parked requests\n",
           test_driver_release(bs, n), argv[1]);
    return 0;
}

static int scn_parked_f(ScnRunner *r, int argc, char **argv)
{
    BlockDriverState *bs = scn_io_test_node(argv[1]);

    if (!bs) {
        return SCN_CMD_FAIL;
    }
    printf("%s: %d parked\n", argv[1], test_driver_parked_count(bs));
    return 0;
}

/*
 * Complete every aio request.  A drain alone is not enough: a request of
 * a backend in an IOThread that has not entered its context yet waits
 * out the drain queued, and completes after it
 */
static void scn_io_wait_all(void)
{
    io_drain_aio();
    AIO_WAIT_WHILE(qemu_get_aio_context(), io_aio_pending() > 0);
    scn_io_reap();
}

/* Complete every aio request; fail if one failed since the last wait */
static uint64_t scn_io_failures_seen;

static int scn_wait_f(ScnRunner *r, int argc, char **argv)
{
    uint64_t failed;

    scn_io_wait_all();
    failed = io_aio_failures() - scn_io_failures_seen;
    scn_io_failures_seen = io_aio_failures();
    if (failed) {
        scn_error("%" PRIu64 " asynchronous request(s) failed", failed);
        return SCN_CMD_FAIL;
    }
    return 0;
}

uint64_t scn_io_unwaited_failures(void)
{
    return io_aio_failures() - scn_io_failures_seen;
}

/* Run events until none is ready (without waiting for the requests) */
static int scn_settle_f(ScnRunner *r, int argc, char **argv)
{
    int n = 0;

    while (n < 1000000 && aio_poll(qemu_get_aio_context(), false)) {
        n++;
    }
    return 0;
}

void scn_io_cleanup(void)
{
    BlockDriverState *bs;

    /* Parked requests would keep the final drain waiting forever */
    for (bs = bdrv_next_all_states(NULL); bs; bs = bdrv_next_all_states(bs)) {
        if (!strcmp(bdrv_get_format_name(bs) ?: "", "test")) {
            test_driver_set_parking(bs, false);
            test_driver_release(bs, INT_MAX);
        }
    }
    scn_io_wait_all();
    while (scn_io_backends) {
        BlockBackend *blk = scn_io_backends->data;

        scn_io_backends = g_slist_remove(scn_io_backends, blk);
        blk_drain(blk);
        monitor_remove_blk(blk);
        blk_unref(blk);
    }
}

const ScnCmd scn_io_cmds[] = {
    { "io", scn_io_f, 2, -1, "TARGET CMD [ARG...]",
      "a drydock-io (qemu-io) command on a backend or node" },
    { "backend-add", scn_backend_add_f, 1, 2, "NAME [NODE]",
      "create the BlockBackend NAME (on NODE)" },
    { "backend-del", scn_backend_del_f, 1, 1, "NAME",
      "delete the BlockBackend NAME" },
    { "backend-insert", scn_backend_insert_f, 2, 2, "NAME NODE",
      "attach NODE to the empty backend NAME" },
    { "backend-remove", scn_backend_remove_f, 1, 1, "NAME",
      "detach the node of backend NAME" },
    { "park", scn_park_f, 1, 1, "NODE",
      "test driver NODE keeps new requests in flight" },
    { "unpark", scn_park_f, 1, 1, "NODE",
      "test driver NODE stops parking new requests" },
    { "release", scn_release_f, 1, 2, "NODE [N]",
      "let N (default all) parked requests of NODE complete" },
    { "parked", scn_parked_f, 1, 1, "NODE",
      "print how many requests NODE has parked" },
    { "wait", scn_wait_f, 0, 0, "",
      "complete every aio request; fail if one failed" },
    { "settle", scn_settle_f, 0, 0, "",
      "run ready events until none is left" },
    { NULL },
};
