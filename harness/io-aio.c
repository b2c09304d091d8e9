/*
 * qemu-io's asynchronous commands: aio_read, aio_write, aio_flush.  A
 * request prints its result when it completes (from the event loop);
 * aio_flush waits for every request in flight.
 */
#include "io-cmds-int.h"

#include "util/main-loop.h"

typedef struct IoAioCtx {
    BlockBackend *blk;
    QEMUIOVector qiov;
    int64_t offset;
    bool is_write, machine, quiet, verbose, pattern_set, zero, invalid;
    int pattern;
    BdrvRequestFlags flags;
    struct timespec t1;
} IoAioCtx;

static void io_aio_report(IoAioCtx *ctx, int64_t bytes)
{
    struct timespec t2, t;

    clock_gettime(CLOCK_MONOTONIC, &t2);
    io_time_diff(&t, &ctx->t1, &t2);
    io_print_report(ctx->is_write ? "wrote" : "read", &t, ctx->offset,
                    bytes, bytes, 1, ctx->machine);
}

/* Completions that failed or read the wrong pattern (the scenario's wait) */
static uint64_t io_aio_failed;

uint64_t io_aio_failures(void)
{
    return qatomic_read(&io_aio_failed);
}

/* Requests issued and not completed yet */
static unsigned io_aio_in_flight;

unsigned io_aio_pending(void)
{
    return qatomic_read(&io_aio_in_flight);
}

static void io_aio_unref_bh(void *opaque)
{
    blk_unref(opaque);
}

static void io_aio_done(void *opaque, int ret)
{
    IoAioCtx *ctx = opaque;
    int64_t bytes = ctx->qiov.size;

    if (ret < 0) {
        qatomic_inc(&io_aio_failed);
        printf("%s failed: %s\n", ctx->is_write ? "aio_write" : "readv",
               strerror(-ret));
    } else {
        if (ctx->pattern_set && !ctx->is_write &&
            io_verify_qiov(&ctx->qiov, ctx->offset, ctx->pattern) < 0) {
            qatomic_inc(&io_aio_failed);
        }
        if (!ctx->quiet) {
            if (ctx->verbose && !ctx->is_write) {
                uint8_t *buf = g_malloc(ctx->qiov.size + 1);

                qemu_iovec_to_buf(&ctx->qiov, 0, buf, ctx->qiov.size);
                io_dump_buffer(buf, ctx->offset, ctx->qiov.size);
                g_free(buf);
            }
            io_aio_report(ctx, bytes);
        }
    }
    fflush(stdout);
    qatomic_dec(&io_aio_in_flight);
    /* A backend in an IOThread completes there; unref is main-thread code */
    if (qemu_in_main_thread()) {
        blk_unref(ctx->blk);
    } else {
        aio_bh_schedule_oneshot(qemu_get_aio_context(), io_aio_unref_bh,
                                ctx->blk);
    }
    if (ctx->zero) {
        qemu_iovec_destroy(&ctx->qiov);
    } else {
        io_destroy_iovec(&ctx->qiov);
    }
    g_free(ctx);
}

static const IoCmd io_aio_read_cmd, io_aio_write_cmd;

static int io_aio_parse(IoAioCtx *ctx, int argc, char **argv)
{
    const IoCmd *cmd = ctx->is_write ? &io_aio_write_cmd : &io_aio_read_cmd;
    int c;

    while ((c = getopt(argc, argv, ctx->is_write ? "CfiqP:uz" : "CP:iqv"))
           != -1) {
        switch (c) {
        case 'C':
            ctx->machine = true;
            break;
        case 'f':
            ctx->flags |= BDRV_REQ_FUA;
            break;
        case 'i':
            ctx->invalid = true;
            break;
        case 'P':
            ctx->pattern_set = true;
            ctx->pattern = io_parse_pattern(optarg);
            if (ctx->pattern < 0) {
                return -EINVAL;
            }
            break;
        case 'q':
            ctx->quiet = true;
            break;
        case 'u':
            ctx->flags |= BDRV_REQ_MAY_UNMAP;
            break;
        case 'v':
            ctx->verbose = true;
            break;
        case 'z':
            ctx->zero = true;
            break;
        default:
            io_command_usage(cmd);
            return -EINVAL;
        }
    }
    if (optind > argc - 2) {
        io_command_usage(cmd);
        return -EINVAL;
    }
    return 0;
}

static int io_aio_check_write(IoAioCtx *ctx, int argc)
{
    const char *msg = NULL;

    /* As in qemu-io 7.2, -P with -z is accepted and zeroes are written */
    if ((ctx->flags & BDRV_REQ_MAY_UNMAP) && !ctx->zero) {
        msg = "-u requires -z to be specified";
    } else if (ctx->zero && optind != argc - 2) {
        msg = "-z supports only a single length parameter";
    }
    if (msg) {
        printf("%s\n", msg);
        return -EINVAL;
    }
    return 0;
}

/* The request's data: a vector of buffers, or (-z) only a length */
static int io_aio_buffers(BlockBackend *blk, IoAioCtx *ctx, int argc,
                          char **argv)
{
    if (ctx->zero) {
        int64_t len = io_parse_len(argv[optind + 1]);

        if (len < 0) {
            return len;
        }
        qemu_iovec_init(&ctx->qiov, 1);
        /* No data: the vector only carries the length */
        ctx->qiov.size = len;
        return 0;
    }
    return io_create_iovec(blk, &ctx->qiov, &argv[optind + 1],
                           argc - optind - 1,
                           ctx->is_write ? ctx->pattern : 0xab);
}

static int io_aio_f(BlockBackend *blk, int argc, char **argv, bool is_write)
{
    IoAioCtx *ctx = g_new0(IoAioCtx, 1);
    int ret;

    ctx->blk = blk;
    ctx->is_write = is_write;
    ctx->pattern = 0xcd;
    ret = io_aio_parse(ctx, argc, argv);
    if (ret == 0 && is_write) {
        ret = io_aio_check_write(ctx, argc);
    }
    if (ret == 0) {
        ctx->offset = io_parse_num(argv[optind]);
        ret = ctx->offset < 0 ? (int)ctx->offset : 0;
    }
    if (ret == 0 && ctx->invalid) {
        /* -i: an invalid request, only accounted by qemu: nothing runs */
        printf("injecting invalid %s request\n", is_write ? "write" : "read");
    }
    if (ret < 0 || ctx->invalid) {
        g_free(ctx);
        return ret;
    }
    ret = io_aio_buffers(blk, ctx, argc, argv);
    if (ret < 0) {
        g_free(ctx);
        return ret;
    }
    blk_ref(blk);
    /*
     * The backend counts the request in flight until this callback ran;
     * counting it again here would deadlock a drain that began before a
     * request queued behind it (a backend in an IOThread enters later)
     */
    qatomic_inc(&io_aio_in_flight);
    clock_gettime(CLOCK_MONOTONIC, &ctx->t1);
    if (ctx->zero) {
        blk_aio_pwrite_zeroes(blk, ctx->offset, ctx->qiov.size, ctx->flags,
                              io_aio_done, ctx);
    } else if (is_write) {
        blk_aio_pwritev(blk, ctx->offset, &ctx->qiov, ctx->flags,
                        io_aio_done, ctx);
    } else {
        blk_aio_preadv(blk, ctx->offset, &ctx->qiov, 0, io_aio_done, ctx);
    }
    return 0;
}

static int io_aio_read_f(BlockBackend *blk, int argc, char **argv)
{
    return io_aio_f(blk, argc, argv, false);
}

static int io_aio_write_f(BlockBackend *blk, int argc, char **argv)
{
    return io_aio_f(blk, argc, argv, true);
}

void io_drain_aio(void)
{
    blk_drain_all();
}

static int io_aio_flush_f(BlockBackend *blk, int argc, char **argv)
{
    io_drain_aio();
    return 0;
}

static void io_aio_read_help(void)
{
    printf("\n"
" asynchronously reads a range of bytes from the given offset\n"
"\n"
" Example:\n"
" 'aio_read -v 512 1k 1k ' - dumps 2 kilobytes read from 512 bytes into the file\n"
"\n"
" Reads a segment of the currently open file, optionally dumping it to the\n"
" standard output stream (with -v option) for subsequent inspection.\n"
" The read is performed asynchronously and the aio_flush command must be\n"
" used to ensure all outstanding aio requests have been completed.\n"
" Note that due to its asynchronous nature, this command will be\n"
" considered successful once the request is submitted, independently\n"
" of potential I/O errors or pattern mismatches.\n"
" -C, -- report statistics in a machine parsable format\n"
" -P, -- use a pattern to verify read data\n"
" -i, -- treat request as invalid, for exercising stats\n"
" -v, -- dump buffer to standard output\n"
" -q, -- quiet mode, do not show I/O statistics\n"
"\n");
}

static void io_aio_write_help(void)
{
    printf("\n"
" asynchronously writes a range of bytes from the given offset source\n"
" from multiple buffers\n"
"\n"
" Example:\n"
" 'aio_write 512 1k 1k' - writes 2 kilobytes at 512 bytes into the open file\n"
"\n"
" Writes into a segment of the currently open file, using a buffer\n"
" filled with a set pattern (0xcdcdcdcd).\n"
" The write is performed asynchronously and the aio_flush command must be\n"
" used to ensure all outstanding aio requests have been completed.\n"
" Note that due to its asynchronous nature, this command will be\n"
" considered successful once the request is submitted, independently\n"
" of potential I/O errors or pattern mismatches.\n"
" -P, -- use different pattern to fill file\n"
" -C, -- report statistics in a machine parsable format\n"
" -f, -- use Force Unit Access semantics\n"
" -i, -- treat request as invalid, for exercising stats\n"
" -q, -- quiet mode, do not show I/O statistics\n"
" -u, -- with -z, allow unmapping\n"
" -z, -- write zeroes using blk_aio_pwrite_zeroes\n"
"\n");
}

static const IoCmd io_aio_read_cmd = {
    .name = "aio_read",
    .func = io_aio_read_f,
    .argmin = 2,
    .argmax = -1,
    .args = "[-Ciqv] [-P pattern] off len [len..]",
    .oneline = "asynchronously reads a number of bytes",
    .help = io_aio_read_help,
};

static const IoCmd io_aio_write_cmd = {
    .name = "aio_write",
    .func = io_aio_write_f,
    .argmin = 2,
    .argmax = -1,
    .perm = BLK_PERM_WRITE,
    .args = "[-Cfiquz] [-P pattern] off len [len..]",
    .oneline = "asynchronously writes a number of bytes",
    .help = io_aio_write_help,
};

static const IoCmd io_aio_flush_cmd = {
    .name = "aio_flush",
    .flags = IO_CMD_WAITS,
    .func = io_aio_flush_f,
    .argmin = 0,
    .argmax = 0,
    .oneline = "completes all outstanding aio requests",
};

void io_aio_cmds_register(void)
{
    io_cmd_add(&io_aio_read_cmd);
    io_cmd_add(&io_aio_write_cmd);
    io_cmd_add(&io_aio_flush_cmd);
}
