/*
 * qemu-io's blkdebug breakpoint commands (break, remove_break, resume,
 * wait_break) and reopen, over the core's bdrv_debug_* and bdrv_reopen.
 */
#include "io-cmds-int.h"

#include "block/driver.h"   /* BlockDriverState.in_flight */
#include "util/keyval.h"

static int io_break_f(BlockBackend *blk, int argc, char **argv)
{
    int ret = bdrv_debug_breakpoint(blk_bs(blk), argv[1], argv[2]);

    if (ret < 0) {
        printf("Could not set breakpoint: %s\n", strerror(-ret));
    }
    return ret;
}

static const IoCmd io_break_cmd = {
    .name = "break",
    .func = io_break_f,
    .argmin = 2,
    .argmax = 2,
    .args = "event tag",
    .oneline = "sets a breakpoint on event and tags the stopped request as tag",
};

static int io_remove_break_f(BlockBackend *blk, int argc, char **argv)
{
    int ret = bdrv_debug_remove_breakpoint(blk_bs(blk), argv[1]);

    if (ret < 0) {
        printf("Could not remove breakpoint %s: %s\n", argv[1],
               strerror(-ret));
    }
    return ret;
}

static const IoCmd io_remove_break_cmd = {
    .name = "remove_break",
    .func = io_remove_break_f,
    .argmin = 1,
    .argmax = 1,
    .args = "tag",
    .oneline = "remove a breakpoint by tag",
};

static int io_resume_f(BlockBackend *blk, int argc, char **argv)
{
    int ret = bdrv_debug_resume(blk_bs(blk), argv[1]);

    if (ret < 0) {
        printf("Could not resume request: %s\n", strerror(-ret));
    }
    return ret;
}

static const IoCmd io_resume_cmd = {
    .name = "resume",
    .func = io_resume_f,
    .argmin = 1,
    .argmax = 1,
    .args = "tag",
    .oneline = "resumes the request tagged as tag",
};

static int io_wait_break_f(BlockBackend *blk, int argc, char **argv)
{
    /*
     * qemu-io waits forever when no request can reach the breakpoint;
     * drydock stops once the event loop has nothing left to run
     */
    while (!bdrv_debug_is_suspended(blk_bs(blk), argv[1])) {
        /* (requests of aio_read/aio_write not completed yet) */
        if (io_aio_pending() == 0 && blk_bs(blk)->in_flight == 0) {
            printf("Could not wait for breakpoint %s: no request in flight "
                   "can reach it\n", argv[1]);
            return -ENOENT;
        }
        aio_poll(blk_get_aio_context(blk), true);
    }
    return 0;
}

static const IoCmd io_wait_break_cmd = {
    .name = "wait_break",
    .func = io_wait_break_f,
    .argmin = 1,
    .argmax = 1,
    .args = "tag",
    .oneline = "waits for the suspension of a request",
};

static const IoCmd io_reopen_cmd;

typedef struct IoReopenArgs {
    int ro;            /* -1 unchanged, 0 -w, 1 -r */
    const char *cache;
    QDict *opts;
} IoReopenArgs;

static int io_reopen_parse(IoReopenArgs *a, int argc, char **argv)
{
    Error *err = NULL;
    int c, flags;
    bool writethrough;

    while ((c = getopt(argc, argv, "c:o:rw")) != -1) {
        switch (c) {
        case 'c':
            if (bdrv_parse_cache_mode(optarg, &flags, &writethrough) < 0) {
                error_report("Invalid cache option: %s", optarg);
                return -EINVAL;
            }
            a->cache = optarg;
            break;
        case 'o':
            qobject_unref(a->opts);
            a->opts = qdict_from_dotted_str(optarg, &err);
            if (!a->opts) {
                error_report_err(err);
                return -EINVAL;
            }
            break;
        case 'r':
        case 'w':
            if (a->ro != -1) {
                error_report("Only one -r/-w option may be given");
                return -EINVAL;
            }
            a->ro = c == 'r';
            break;
        default:
            io_command_usage(&io_reopen_cmd);
            return -EINVAL;
        }
    }
    if (optind != argc) {
        io_command_usage(&io_reopen_cmd);
        return -EINVAL;
    }
    return 0;
}

/*
 * Going read-only, the backend first gives up writing (as qemu-io: a
 * later write asks for the permission again and fails then); @opts is
 * taken over
 */
static int io_reopen_run(BlockBackend *blk, QDict *opts, bool ro)
{
    uint64_t perm, shared;
    Error *err = NULL;
    int ret;

    blk_get_perm(blk, &perm, &shared);
    if (ro) {
        blk_set_perm(blk, perm & ~(BLK_PERM_WRITE | BLK_PERM_RESIZE),
                     shared, NULL);
    }
    ret = bdrv_reopen(blk_bs(blk), opts, true, &err);
    if (ret < 0) {
        error_report_err(err);
        if (ro) {
            blk_set_perm(blk, perm, shared, NULL);
        }
    }
    return ret;
}

static int io_reopen_f(BlockBackend *blk, int argc, char **argv)
{
    IoReopenArgs a = { .ro = -1 };
    int ret;

    ret = io_reopen_parse(&a, argc, argv);
    if (ret < 0) {
        qobject_unref(a.opts);
        return ret;
    }
    if (!a.opts) {
        a.opts = qdict_new();
    }
    if (a.ro != -1) {
        qdict_put_bool(a.opts, "read-only", a.ro);
    }
    if (a.cache) {
        int flags = 0;
        bool writethrough;

        bdrv_parse_cache_mode(a.cache, &flags, &writethrough);
        qdict_put_bool(a.opts, "cache.direct", flags & BDRV_O_NOCACHE);
        qdict_put_bool(a.opts, "cache.no-flush", flags & BDRV_O_NO_FLUSH);
    }
    ret = io_reopen_run(blk, a.opts, a.ro == 1);
    return ret;
}

static void io_reopen_help(void)
{
    printf("\n"
" Changes the open options of an already opened image\n"
"\n"
" Example:\n"
" 'reopen -o lazy-refcounts=on' - activates lazy refcount writeback on a qcow2 image\n"
"\n"
" -r, -- Reopen the image read-only\n"
" -w, -- Reopen the image read-write\n"
" -c, -- Change the cache mode to the given value\n"
" -o, -- Changes block driver options (cf. 'open' command)\n"
"\n");
}

static const IoCmd io_reopen_cmd = {
    .name = "reopen",
    .func = io_reopen_f,
    .argmin = 0,
    .argmax = -1,
    .args = "[(-r|-w)] [-c cache] [-o options]",
    .oneline = "reopens an image with new options",
    .help = io_reopen_help,
};

void io_debug_cmds_register(void)
{
    io_cmd_add(&io_break_cmd);
    io_cmd_add(&io_remove_break_cmd);
    io_cmd_add(&io_resume_cmd);
    io_cmd_add(&io_wait_break_cmd);
    io_cmd_add(&io_reopen_cmd);
}
