/*
 * qemu-io's synchronous data commands: read, readv, write, writev.
 */
#include "block/mem.h"
#include "io-cmds-int.h"

#include "block/block-io.h"
#include "util/cutils.h"

#define IO_MISALIGN 16

static bool io_misalign;

void io_set_misalign(bool misalign)
{
    io_misalign = misalign;
}

void *io_alloc(BlockBackend *blk, size_t len, int pattern)
{
    size_t extra = io_misalign ? IO_MISALIGN : 0;
    uint8_t *buf = qemu_blockalign(blk_bs(blk), len + extra + 1);

    /* One spare byte marks whether the buffer was misaligned */
    buf[0] = extra;
    buf = buf + (extra ? extra : 0);
    memset(buf, pattern, len);
    return buf;
}

void io_free(void *p)
{
    uint8_t *buf = p;

    if (!buf) {
        return;
    }
    if (io_misalign && buf[-IO_MISALIGN] == IO_MISALIGN) {
        buf -= IO_MISALIGN;
    }
    qemu_vfree(buf);
}

int io_parse_pattern(const char *arg)
{
    long pattern;

    if (qemu_strtol(arg, NULL, 0, &pattern) < 0 || pattern < 0 ||
        pattern > UINT8_MAX) {
        printf("%s is not a valid pattern byte\n", arg);
        return -EINVAL;
    }
    return pattern;
}

int64_t io_parse_num(const char *arg)
{
    int64_t v = io_cvtnum(arg);

    if (v < 0) {
        io_print_cvtnum_err(v, arg);
    }
    return v;
}

/* Longest request (qemu-io's limit unless a sandboxed caller lowers it) */
static int64_t io_max_len = BDRV_REQUEST_MAX_BYTES;

void io_set_max_length(int64_t max)
{
    io_max_len = max > 0 ? MIN(max, (int64_t)BDRV_REQUEST_MAX_BYTES)
                         : (int64_t)BDRV_REQUEST_MAX_BYTES;
}

int64_t io_parse_len(const char *arg)
{
    int64_t v = io_parse_num(arg);

    if (v > io_max_len) {
        printf("length cannot exceed %" PRIu64 ", given %s\n",
               (uint64_t)io_max_len, arg);
        return -EINVAL;
    }
    return v;
}

int io_create_iovec(BlockBackend *blk, QEMUIOVector *qiov, char **argv,
                    int nr, int pattern)
{
    size_t total = 0;
    int i;

    qemu_iovec_init(qiov, nr);
    for (i = 0; i < nr; i++) {
        int64_t len = io_parse_num(argv[i]);

        if (len < 0) {
            io_destroy_iovec(qiov);
            return len;
        }
        if (len > io_max_len - (int64_t)total) {
            printf("Argument '%s' exceeds maximum size %" PRIu64 "\n",
                   argv[i], (uint64_t)io_max_len);
            io_destroy_iovec(qiov);
            return -EINVAL;
        }
        total += len;
        qemu_iovec_add(qiov, io_alloc(blk, len, pattern), len);
    }
    return 0;
}

void io_destroy_iovec(QEMUIOVector *qiov)
{
    int i;

    for (i = 0; i < qiov->niov; i++) {
        io_free(qiov->iov[i].iov_base);
    }
    qemu_iovec_destroy(qiov);
}

int io_verify_qiov(QEMUIOVector *qiov, int64_t offset, int pattern)
{
    uint8_t *buf = g_malloc(qiov->size + 1);
    size_t i;
    int ret = 0;

    qemu_iovec_to_buf(qiov, 0, buf, qiov->size);
    for (i = 0; i < qiov->size; i++) {
        if (buf[i] != pattern) {
            printf("Pattern verification failed at offset %" PRId64
                   ", %zu bytes\n", offset, qiov->size);
            ret = -EINVAL;
            break;
        }
    }
    g_free(buf);
    return ret;
}

static void io_dump_qiov(QEMUIOVector *qiov, int64_t offset)
{
    uint8_t *buf = g_malloc(qiov->size + 1);

    qemu_iovec_to_buf(qiov, 0, buf, qiov->size);
    io_dump_buffer(buf, offset, qiov->size);
    g_free(buf);
}

typedef struct IoReadArgs {
    bool vmstate, machine, quiet, verbose, pattern_set, have_off, have_len;
    int pattern;
    int64_t pattern_offset, pattern_count;
} IoReadArgs;

static const IoCmd io_read_cmd;

static int io_read_parse(IoReadArgs *a, int argc, char **argv)
{
    int c;

    while ((c = getopt(argc, argv, "abCl:pP:qs:v")) != -1) {
        switch (c) {
        case 'a':
        case 'p':
            break;
        case 'b':
            a->vmstate = true;
            break;
        case 'C':
            a->machine = true;
            break;
        case 'l':
            a->have_len = true;
            a->pattern_count = io_parse_num(optarg);
            if (a->pattern_count < 0) {
                return a->pattern_count;
            }
            break;
        case 'P':
            a->pattern_set = true;
            a->pattern = io_parse_pattern(optarg);
            if (a->pattern < 0) {
                return -EINVAL;
            }
            break;
        case 'q':
            a->quiet = true;
            break;
        case 's':
            a->have_off = true;
            a->pattern_offset = io_parse_num(optarg);
            if (a->pattern_offset < 0) {
                return a->pattern_offset;
            }
            break;
        case 'v':
            a->verbose = true;
            break;
        default:
            io_command_usage(&io_read_cmd);
            return -EINVAL;
        }
    }
    if (optind != argc - 2 ||
        (!a->pattern_set && (a->have_len || a->have_off))) {
        io_command_usage(&io_read_cmd);
        return -EINVAL;
    }
    return 0;
}

/* -b: offset and count must be whole sectors */
static int io_check_sector_aligned(int64_t offset, int64_t count)
{
    if (!QEMU_IS_ALIGNED(offset, BDRV_SECTOR_SIZE)) {
        printf("%" PRId64 " is not a sector-aligned value for 'offset'\n",
               offset);
        return -EINVAL;
    }
    if (!QEMU_IS_ALIGNED(count, BDRV_SECTOR_SIZE)) {
        printf("%" PRId64 " is not a sector-aligned value for 'count'\n",
               count);
        return -EINVAL;
    }
    return 0;
}

static int io_read_verify(const IoReadArgs *a, const uint8_t *buf,
                          int64_t offset)
{
    int64_t i;

    for (i = 0; i < a->pattern_count; i++) {
        if (buf[a->pattern_offset + i] != a->pattern) {
            printf("Pattern verification failed at offset %" PRId64 ", %"
                   PRId64 " bytes\n", offset + a->pattern_offset,
                   a->pattern_count);
            return -EINVAL;
        }
    }
    return 0;
}

static int io_read_f(BlockBackend *blk, int argc, char **argv)
{
    IoReadArgs a = { 0 };
    struct timespec t1, t2, t;
    int64_t offset, count;
    uint8_t *buf;
    int ret;

    ret = io_read_parse(&a, argc, argv);
    if (ret < 0) {
        return ret;
    }
    offset = io_parse_num(argv[optind]);
    if (offset < 0) {
        return offset;
    }
    count = io_parse_len(argv[optind + 1]);
    if (count < 0) {
        return count;
    }
    if (!a.have_len) {
        a.pattern_count = count - a.pattern_offset;
    }
    if (a.pattern_count < 0 || a.pattern_count + a.pattern_offset > count) {
        printf("pattern verification range exceeds end of read data\n");
        return -EINVAL;
    }
    if (a.vmstate && (ret = io_check_sector_aligned(offset, count)) < 0) {
        return ret;
    }
    buf = io_alloc(blk, count, 0xab);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (a.vmstate) {
        ret = bdrv_load_vmstate(blk_bs(blk), buf, offset, count);
    } else {
        ret = blk_pread(blk, offset, count, buf, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t2);
    if (ret < 0) {
        printf("read failed: %s\n", strerror(-ret));
        goto out;
    }
    ret = a.pattern_set ? io_read_verify(&a, buf, offset) : 0;
    if (!a.quiet) {
        if (a.verbose) {
            io_dump_buffer(buf, offset, count);
        }
        io_time_diff(&t, &t1, &t2);
        io_print_report("read", &t, offset, count, count, 1, a.machine);
    }
out:
    io_free(buf);
    return ret;
}

static void io_read_help(void)
{
    printf("\n"
" reads a range of bytes from the given offset\n"
"\n"
" Example:\n"
" 'read -v 512 1k' - dumps 1 kilobyte read from 512 bytes into the file\n"
"\n"
" Reads a segment of the currently open file, optionally dumping it to the\n"
" standard output stream (with -v option) for subsequent inspection.\n"
" -b, -- read from the VM state rather than the virtual disk\n"
" -C, -- report statistics in a machine parsable format\n"
" -l, -- length for pattern verification (only with -P)\n"
" -p, -- ignored for backwards compatibility\n"
" -P, -- use a pattern to verify read data\n"
" -q, -- quiet mode, do not show I/O statistics\n"
" -s, -- start offset for pattern verification (only with -P)\n"
" -v, -- dump buffer to standard output\n"
"\n");
}

static const IoCmd io_read_cmd = {
    .name = "read",
    .altname = "r",
    .flags = IO_CMD_WAITS,
    .func = io_read_f,
    .argmin = 2,
    .argmax = -1,
    .args = "[-abCqv] [-P pattern [-s off] [-l len]] off len",
    .oneline = "reads a number of bytes at a specified offset",
    .help = io_read_help,
};

typedef struct IoWriteArgs {
    bool vmstate, compressed, machine, quiet, zero;
    int pattern;
    int sources;              /* how many of -z, -P, -s */
    const char *source_file;
    BdrvRequestFlags flags;
} IoWriteArgs;

static const IoCmd io_write_cmd;

static int io_write_parse(IoWriteArgs *a, int argc, char **argv)
{
    int c;

    while ((c = getopt(argc, argv, "bcCfnpP:qs:uz")) != -1) {
        switch (c) {
        case 'b':
            a->vmstate = true;
            break;
        case 'c':
            a->compressed = true;
            break;
        case 'C':
            a->machine = true;
            break;
        case 'f':
            a->flags |= BDRV_REQ_FUA;
            break;
        case 'n':
            a->flags |= BDRV_REQ_NO_FALLBACK;
            break;
        case 'p':
            break;
        case 'P':
            a->sources++;
            a->pattern = io_parse_pattern(optarg);
            if (a->pattern < 0) {
                return -EINVAL;
            }
            break;
        case 'q':
            a->quiet = true;
            break;
        case 's':
            a->sources++;
            a->source_file = optarg;
            break;
        case 'u':
            a->flags |= BDRV_REQ_MAY_UNMAP;
            break;
        case 'z':
            a->sources++;
            a->zero = true;
            break;
        default:
            io_command_usage(&io_write_cmd);
            return -EINVAL;
        }
    }
    if (optind != argc - 2) {
        io_command_usage(&io_write_cmd);
        return -EINVAL;
    }
    return 0;
}

static int io_write_check(const IoWriteArgs *a)
{
    const char *msg = NULL;

    if (a->vmstate && a->zero) {
        msg = "-b and -z cannot be specified at the same time";
    } else if ((a->flags & BDRV_REQ_FUA) && (a->vmstate || a->compressed)) {
        msg = "-f and -b or -c cannot be specified at the same time";
    } else if ((a->flags & BDRV_REQ_NO_FALLBACK) && !a->zero) {
        msg = "-n requires -z to be specified";
    } else if ((a->flags & BDRV_REQ_MAY_UNMAP) && !a->zero) {
        msg = "-u requires -z to be specified";
    } else if (a->sources > 1) {
        msg = "Only one of -z, -P, and -s can be specified at the same time";
    }
    if (msg) {
        printf("%s\n", msg);
        return -EINVAL;
    }
    return 0;
}

static bool io_source_in_mem;

void io_set_source_in_mem(bool in_mem)
{
    io_source_in_mem = in_mem;
}

/* -s NAME of a mem image: its bytes, repeated to fill @len */
static uint8_t *io_alloc_from_mem(BlockBackend *blk, size_t len,
                                  const char *name)
{
    size_t n = 0, got;
    const uint8_t *data = mem_image_get(name, &n);
    uint8_t *buf;

    if (!data || (n == 0 && len)) {
        fprintf(stderr, "%s: %s\n", name,
                data ? "file is empty" : "No such mem image");
        return NULL;
    }
    buf = io_alloc(blk, len, 0);
    for (got = 0; got < len; got += MIN(n, len - got)) {
        memcpy(buf + got, data, MIN(n, len - got));
    }
    return buf;
}

/* -s FILE: the buffer holds the file's bytes, repeated to fill @len */
static uint8_t *io_alloc_from_file(BlockBackend *blk, size_t len,
                                   const char *path)
{
    uint8_t *buf;
    size_t got = 0, n;
    FILE *f;

    if (io_source_in_mem) {
        return io_alloc_from_mem(blk, len, path);
    }
    f = fopen(path, "r");

    if (!f) {
        perror(path);
        return NULL;
    }
    buf = io_alloc(blk, len, 0);
    n = fread(buf, 1, len, f);
    if (ferror(f) || (n == 0 && len)) {
        if (ferror(f)) {
            perror(path);
        } else {
            fprintf(stderr, "%s: file is empty\n", path);
        }
        fclose(f);
        io_free(buf);
        return NULL;
    }
    fclose(f);
    for (got = n; got < len; got += MIN(n, len - got)) {
        memcpy(buf + got, buf, MIN(n, len - got));
    }
    return buf;
}

static int io_write_do(BlockBackend *blk, const IoWriteArgs *a,
                       int64_t offset, int64_t count, uint8_t *buf)
{
    int ret;

    if (a->zero) {
        return blk_pwrite_zeroes(blk, offset, count, a->flags);
    }
    if (a->vmstate) {
        ret = bdrv_save_vmstate(blk_bs(blk), buf, offset, count);
        return ret < 0 ? ret : 0;
    }
    return blk_pwrite(blk, offset, count, buf,
                      a->flags | (a->compressed ? BDRV_REQ_WRITE_COMPRESSED
                                                : 0));
}

static int io_write_f(BlockBackend *blk, int argc, char **argv)
{
    IoWriteArgs a = { .pattern = 0xcd };
    struct timespec t1, t2, t;
    int64_t offset, count;
    uint8_t *buf = NULL;
    int ret;

    ret = io_write_parse(&a, argc, argv);
    if (ret < 0 || (ret = io_write_check(&a)) < 0) {
        return ret;
    }
    offset = io_parse_num(argv[optind]);
    if (offset < 0) {
        return offset;
    }
    count = io_parse_len(argv[optind + 1]);
    if (count < 0) {
        return count;
    }
    if ((a.vmstate || a.compressed) &&
        (ret = io_check_sector_aligned(offset, count)) < 0) {
        return ret;
    }
    if (a.source_file) {
        buf = io_alloc_from_file(blk, count, a.source_file);
        if (!buf) {
            return -EINVAL;
        }
    } else if (!a.zero) {
        buf = io_alloc(blk, count, a.pattern);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ret = io_write_do(blk, &a, offset, count, buf);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    if (ret < 0) {
        printf("write failed: %s\n", strerror(-ret));
    } else if (!a.quiet) {
        io_time_diff(&t, &t1, &t2);
        io_print_report("wrote", &t, offset, count, count, 1, a.machine);
    }
    io_free(buf);
    return ret;
}

static void io_write_help(void)
{
    printf("\n"
" writes a range of bytes from the given offset\n"
"\n"
" Example:\n"
" 'write 512 1k' - writes 1 kilobyte at 512 bytes into the open file\n"
"\n"
" Writes into a segment of the currently open file, using a buffer\n"
" filled with a set pattern (0xcdcdcdcd).\n"
" -b, -- write to the VM state rather than the virtual disk\n"
" -c, -- write compressed data with blk_write_compressed\n"
" -f, -- use Force Unit Access semantics\n"
" -n, -- with -z, don't allow slow fallback\n"
" -p, -- ignored for backwards compatibility\n"
" -P, -- use different pattern to fill file\n"
" -s, -- use a pattern file to fill the write buffer\n"
" -C, -- report statistics in a machine parsable format\n"
" -q, -- quiet mode, do not show I/O statistics\n"
" -u, -- with -z, allow unmapping\n"
" -z, -- write zeroes using blk_co_pwrite_zeroes\n"
"\n");
}

static const IoCmd io_write_cmd = {
    .name = "write",
    .altname = "w",
    .flags = IO_CMD_WAITS,
    .func = io_write_f,
    .argmin = 2,
    .argmax = -1,
    .perm = BLK_PERM_WRITE,
    .args = "[-bcCfnquz] [-P pattern | -s source_file] off len",
    .oneline = "writes a number of bytes at a specified offset",
    .help = io_write_help,
};

/* readv and writev: [-Cq(v|f)] [-P pattern] off len [len..] */
typedef struct IoVecArgs {
    bool machine, quiet, verbose, pattern_set;
    int pattern;
    BdrvRequestFlags flags;
} IoVecArgs;

static int io_vec_parse(IoVecArgs *a, const IoCmd *cmd, const char *optstr,
                        int argc, char **argv)
{
    int c;

    while ((c = getopt(argc, argv, optstr)) != -1) {
        switch (c) {
        case 'C':
            a->machine = true;
            break;
        case 'f':
            a->flags |= BDRV_REQ_FUA;
            break;
        case 'P':
            a->pattern_set = true;
            a->pattern = io_parse_pattern(optarg);
            if (a->pattern < 0) {
                return -EINVAL;
            }
            break;
        case 'q':
            a->quiet = true;
            break;
        case 'v':
            a->verbose = true;
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

static const IoCmd io_readv_cmd, io_writev_cmd;

static int io_vec_f(BlockBackend *blk, int argc, char **argv, bool is_write)
{
    IoVecArgs a = { .pattern = 0xcd };
    struct timespec t1, t2, t;
    QEMUIOVector qiov;
    int64_t offset;
    int ret;

    ret = is_write ? io_vec_parse(&a, &io_writev_cmd, "CfqP:", argc, argv)
                   : io_vec_parse(&a, &io_readv_cmd, "CP:qv", argc, argv);
    if (ret < 0) {
        return ret;
    }
    offset = io_parse_num(argv[optind]);
    if (offset < 0) {
        return offset;
    }
    ret = io_create_iovec(blk, &qiov, &argv[optind + 1], argc - optind - 1,
                          is_write ? a.pattern : 0xab);
    if (ret < 0) {
        return ret;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ret = is_write ? blk_pwritev(blk, offset, qiov.size, &qiov, a.flags)
                   : blk_preadv(blk, offset, qiov.size, &qiov, 0);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    if (ret < 0) {
        printf("%s failed: %s\n", is_write ? "writev" : "readv",
               strerror(-ret));
        goto out;
    }
    if (!is_write && a.pattern_set) {
        ret = io_verify_qiov(&qiov, offset, a.pattern);
    }
    if (!a.quiet) {
        if (a.verbose) {
            io_dump_qiov(&qiov, offset);
        }
        io_time_diff(&t, &t1, &t2);
        io_print_report(is_write ? "wrote" : "read", &t, offset, qiov.size,
                        qiov.size, 1, a.machine);
    }
out:
    io_destroy_iovec(&qiov);
    return ret;
}

static int io_readv_f(BlockBackend *blk, int argc, char **argv)
{
    return io_vec_f(blk, argc, argv, false);
}

static int io_writev_f(BlockBackend *blk, int argc, char **argv)
{
    return io_vec_f(blk, argc, argv, true);
}

static void io_readv_help(void)
{
    printf("\n"
" reads a range of bytes from the given offset into multiple buffers\n"
"\n"
" Example:\n"
" 'readv -v 512 1k 1k ' - dumps 2 kilobytes read from 512 bytes into the file\n"
"\n"
" Reads a segment of the currently open file, optionally dumping it to the\n"
" standard output stream (with -v option) for subsequent inspection.\n"
" Uses multiple iovec buffers if more than one byte range is specified.\n"
" -C, -- report statistics in a machine parsable format\n"
" -P, -- use a pattern to verify read data\n"
" -v, -- dump buffer to standard output\n"
" -q, -- quiet mode, do not show I/O statistics\n"
"\n");
}

static void io_writev_help(void)
{
    printf("\n"
" writes a range of bytes from the given offset source from multiple buffers\n"
"\n"
" Example:\n"
" 'writev 512 1k 1k' - writes 2 kilobytes at 512 bytes into the open file\n"
"\n"
" Writes into a segment of the currently open file, using a buffer\n"
" filled with a set pattern (0xcdcdcdcd).\n"
" -P, -- use different pattern to fill file\n"
" -C, -- report statistics in a machine parsable format\n"
" -f, -- use Force Unit Access semantics\n"
" -q, -- quiet mode, do not show I/O statistics\n"
"\n");
}

static const IoCmd io_readv_cmd = {
    .name = "readv",
    .flags = IO_CMD_WAITS,
    .func = io_readv_f,
    .argmin = 2,
    .argmax = -1,
    .args = "[-Cqv] [-P pattern] off len [len..]",
    .oneline = "reads a number of bytes at a specified offset",
    .help = io_readv_help,
};

static const IoCmd io_writev_cmd = {
    .name = "writev",
    .flags = IO_CMD_WAITS,
    .func = io_writev_f,
    .argmin = 2,
    .argmax = -1,
    .perm = BLK_PERM_WRITE,
    .args = "[-Cfq] [-P pattern] off len [len..]",
    .oneline = "writes a number of bytes at a specified offset",
    .help = io_writev_help,
};

void io_rw_cmds_register(void)
{
    io_cmd_add(&io_read_cmd);
    io_cmd_add(&io_readv_cmd);
    io_cmd_add(&io_write_cmd);
    io_cmd_add(&io_writev_cmd);
}
