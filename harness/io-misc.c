/*
 * qemu-io's other commands on an open image: flush, truncate, length,
 * info, discard, alloc, map; and the global ones: sleep, sigraise, abort.
 */
#include "io-cmds-int.h"

#include <signal.h>

#include "util/cutils.h"
#include "util/main-loop.h"
#include "util/qjson.h"
#include "util/qlist.h"
#include "util/qstring.h"

static int io_flush_f(BlockBackend *blk, int argc, char **argv)
{
    return blk_flush(blk);
}

static const IoCmd io_flush_cmd = {
    .name = "flush",
    .altname = "f",
    .flags = IO_CMD_WAITS,
    .func = io_flush_f,
    .oneline = "flush all in-core file state to disk",
};

static const IoCmd io_truncate_cmd;

static int io_truncate_f(BlockBackend *blk, int argc, char **argv)
{
    PreallocMode prealloc = PREALLOC_MODE_OFF;
    static const char *const modes[] = { "off", "metadata", "falloc", "full" };
    Error *err = NULL;
    int64_t offset;
    int c, ret;

    while ((c = getopt(argc, argv, "m:")) != -1) {
        if (c != 'm') {
            io_command_usage(&io_truncate_cmd);
            return -EINVAL;
        }
        for (prealloc = 0; prealloc < PREALLOC_MODE__MAX; prealloc++) {
            if (!strcmp(optarg, modes[prealloc])) {
                break;
            }
        }
        if (prealloc == PREALLOC_MODE__MAX) {
            error_report("Invalid preallocation mode '%s'", optarg);
            return -EINVAL;
        }
    }
    if (optind >= argc) {
        return -EINVAL;
    }
    offset = io_parse_num(argv[optind]);
    if (offset < 0) {
        return offset;
    }
    ret = blk_truncate(blk, offset, false, prealloc, 0, &err);
    if (ret < 0) {
        error_report_err(err);
    }
    return ret;
}

static const IoCmd io_truncate_cmd = {
    .name = "truncate",
    .altname = "t",
    .flags = IO_CMD_WAITS,
    .func = io_truncate_f,
    .argmin = 1,
    .argmax = 3,
    .perm = BLK_PERM_WRITE | BLK_PERM_RESIZE,
    .args = "[-m prealloc_mode] off",
    .oneline = "truncates the current file at the given offset",
};

static int io_length_f(BlockBackend *blk, int argc, char **argv)
{
    int64_t size = blk_getlength(blk);
    char s[64];

    if (size < 0) {
        printf("getlength: %s\n", strerror(-size));
        return size;
    }
    io_fmt_size(size, s, sizeof(s));
    printf("%s\n", s);
    return 0;
}

static const IoCmd io_length_cmd = {
    .name = "length",
    .altname = "l",
    .func = io_length_f,
    .oneline = "gets the length of the current file",
};

/* Format-specific information, "    key: value" (nested values indented) */
static void io_dump_qobject(const QObject *obj, int indent);

static void io_dump_qdict(const QDict *dict, int indent)
{
    const QDictEntry *e;

    for (e = qdict_first(dict); e; e = qdict_next(dict, e)) {
        QObject *v = qdict_entry_value(e);
        char *key = g_strdup(qdict_entry_key(e));
        char *p;
        bool nested = qobject_type(v) == QTYPE_QDICT ||
                      qobject_type(v) == QTYPE_QLIST;

        for (p = key; *p; p++) {
            if (*p == '-') {
                *p = ' ';
            }
        }
        printf("%*s%s:%s", indent * 4, "", key, nested ? "\n" : " ");
        io_dump_qobject(v, nested ? indent + 1 : indent);
        g_free(key);
    }
}

static void io_dump_qobject(const QObject *obj, int indent)
{
    switch (qobject_type(obj)) {
    case QTYPE_QDICT:
        io_dump_qdict(qobject_to(QDict, obj), indent);
        break;
    case QTYPE_QLIST: {
        const QListEntry *e;
        int i = 0;

        /* "[i]:" then a nested value below it, a scalar on the same line */
        QLIST_FOREACH_ENTRY(qobject_to(QList, obj), e) {
            QObject *v = qlist_entry_obj(e);
            bool nested = qobject_type(v) == QTYPE_QDICT ||
                          qobject_type(v) == QTYPE_QLIST;

            printf("%*s[%d]:%s", indent * 4, "", i++, nested ? "\n" : " ");
            io_dump_qobject(v, nested ? indent + 1 : indent);
        }
        break;
    }
    default: {
        char *s = qobject_to_json_str(obj, false);
        const char *out = s;

        /* Strings print bare, as qemu's human output does */
        if (qobject_type(obj) == QTYPE_QSTRING) {
            out = qstring_get_str(qobject_to(QString, obj));
        }
        printf("%s\n", out);
        g_free(s);
    }
    }
}

static int io_info_f(BlockBackend *blk, int argc, char **argv)
{
    BlockDriverState *bs = blk_bs(blk);
    ImageInfoSpecific *spec;
    BlockDriverInfo bdi;
    Error *err = NULL;
    char s1[64], s2[64];
    int ret;

    if (bdrv_get_format_name(bs)) {
        printf("format name: %s\n", bdrv_get_format_name(bs));
    }
    ret = bdrv_get_info(bs, &bdi);
    if (ret) {
        return ret;
    }
    io_fmt_size(bdi.cluster_size, s1, sizeof(s1));
    io_fmt_size(bdi.vm_state_offset, s2, sizeof(s2));
    printf("cluster size: %s\n", s1);
    printf("vm state offset: %s\n", s2);
    spec = bdrv_get_specific_info(bs, &err);
    if (err) {
        error_report_err(err);
        return -EIO;
    }
    if (spec) {
        printf("Format specific information:\n");
        io_dump_qdict(spec->data, 1);
        qapi_free_ImageInfoSpecific(spec);
    }
    return 0;
}

static const IoCmd io_info_cmd = {
    .name = "info",
    .altname = "i",
    .func = io_info_f,
    .oneline = "prints information about the current file",
};

static const IoCmd io_discard_cmd;

static int io_discard_f(BlockBackend *blk, int argc, char **argv)
{
    struct timespec t1, t2, t;
    bool machine = false, quiet = false;
    int64_t offset, bytes;
    int c, ret;

    while ((c = getopt(argc, argv, "Cq")) != -1) {
        if (c == 'C') {
            machine = true;
        } else if (c == 'q') {
            quiet = true;
        } else {
            io_command_usage(&io_discard_cmd);
            return -EINVAL;
        }
    }
    if (optind != argc - 2) {
        io_command_usage(&io_discard_cmd);
        return -EINVAL;
    }
    offset = io_parse_num(argv[optind]);
    if (offset < 0) {
        return offset;
    }
    bytes = io_parse_len(argv[optind + 1]);
    if (bytes < 0) {
        return bytes;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ret = blk_pdiscard(blk, offset, bytes);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    if (ret < 0) {
        printf("discard failed: %s\n", strerror(-ret));
        return ret;
    }
    if (!quiet) {
        io_time_diff(&t, &t1, &t2);
        io_print_report("discard", &t, offset, bytes, bytes, 1, machine);
    }
    return 0;
}

static void io_discard_help(void)
{
    printf("\n"
" discards a range of bytes from the given offset\n"
"\n"
" Example:\n"
" 'discard 512 1k' - discards 1 kilobyte from 512 bytes into the file\n"
"\n"
" Discards a segment of the currently open file.\n"
" -C, -- report statistics in a machine parsable format\n"
" -q, -- quiet mode, do not show I/O statistics\n"
"\n");
}

static const IoCmd io_discard_cmd = {
    .name = "discard",
    .altname = "d",
    .flags = IO_CMD_WAITS,
    .func = io_discard_f,
    .argmin = 2,
    .argmax = -1,
    .perm = BLK_PERM_WRITE,
    .args = "[-Cq] off len",
    .oneline = "discards a number of bytes at a specified offset",
    .help = io_discard_help,
};

static int io_alloc_f(BlockBackend *blk, int argc, char **argv)
{
    BlockDriverState *bs = blk_bs(blk);
    int64_t offset, start, count = BDRV_SECTOR_SIZE, remaining, num;
    int64_t sum_alloc = 0;
    char s[64];
    int ret;

    start = offset = io_parse_num(argv[1]);
    if (offset < 0) {
        return offset;
    }
    if (argc == 3) {
        count = io_parse_len(argv[2]);
        if (count < 0) {
            return count;
        }
    }
    remaining = count;
    while (remaining) {
        ret = bdrv_is_allocated(bs, offset, remaining, &num);
        if (ret < 0) {
            printf("is_allocated failed: %s\n", strerror(-ret));
            return ret;
        }
        offset += num;
        remaining -= num;
        if (ret) {
            sum_alloc += num;
        }
        if (num == 0) {
            /* End of the image: count only what exists */
            count -= remaining;
            remaining = 0;
        }
    }
    io_fmt_size(start, s, sizeof(s));
    printf("%" PRId64 "/%" PRId64 " bytes allocated at offset %s\n",
           sum_alloc, count, s);
    return 0;
}

static const IoCmd io_alloc_cmd = {
    .name = "alloc",
    .altname = "a",
    .func = io_alloc_f,
    .argmin = 1,
    .argmax = 2,
    .args = "offset [count]",
    .oneline = "checks if offset is allocated in the file",
};

/*
 * Allocation status in @bs itself (not its backing chain: qemu-io's map
 * says "not allocated" for data only a backing file has; iotest
 * chain-zero-over-backing) of the longest run of one status from @offset
 */
static int io_map_run(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      int64_t *pnum)
{
    int64_t num;
    int first, ret;

    ret = bdrv_is_allocated(bs, offset, bytes, &num);
    if (ret < 0) {
        return ret;
    }
    first = ret;
    *pnum = num;
    while (num && *pnum < bytes) {
        ret = bdrv_is_allocated(bs, offset + *pnum, bytes - *pnum, &num);
        if (ret < 0 || ret != first) {
            break;
        }
        *pnum += num;
    }
    return first;
}

static int io_map_f(BlockBackend *blk, int argc, char **argv)
{
    int64_t offset = 0, bytes = blk_getlength(blk), num;
    char s1[64], s2[64];
    int ret;

    if (bytes < 0) {
        error_report("Failed to query image length: %s", strerror(-bytes));
        return bytes;
    }
    while (bytes) {
        ret = io_map_run(blk_bs(blk), offset, bytes, &num);
        if (ret < 0) {
            error_report("Failed to get allocation status: %s",
                         strerror(-ret));
            return ret;
        } else if (!num) {
            error_report("Unexpected end of image");
            return -EIO;
        }
        io_fmt_size(num, s1, sizeof(s1));
        io_fmt_size(offset, s2, sizeof(s2));
        printf("%s (0x%" PRIx64 ") bytes %s at offset %s (0x%" PRIx64 ")\n",
               s1, num, ret ? "    allocated" : "not allocated", s2, offset);
        offset += num;
        bytes -= num;
    }
    return 0;
}

static const IoCmd io_map_cmd = {
    .name = "map",
    .func = io_map_f,
    .args = "",
    .oneline = "prints the allocated areas of a file",
};

static int io_sleep_f(BlockBackend *blk, int argc, char **argv)
{
    struct timespec now, end;
    long ms;

    if (qemu_strtol(argv[1], NULL, 0, &ms) < 0 || ms < 0) {
        printf("%s is not a valid number\n", argv[1]);
        return -EINVAL;
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += ms / 1000;
    end.tv_nsec += (ms % 1000) * 1000000L;
    if (end.tv_nsec >= 1000000000L) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000L;
    }
    /* Requests in flight complete while we sleep, as in qemu-io */
    for (;;) {
        struct timespec left, tick = { 0, 1000000L };

        while (aio_poll(qemu_get_aio_context(), false)) {
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        io_time_diff(&left, &now, &end);
        if (left.tv_sec < 0) {
            return 0;
        }
        if (left.tv_sec == 0 && left.tv_nsec < tick.tv_nsec) {
            tick = left;
        }
        nanosleep(&tick, NULL);
    }
}

static const IoCmd io_sleep_cmd = {
    .name = "sleep",
    .func = io_sleep_f,
    .argmin = 1,
    .argmax = 1,
    .flags = IO_CMD_NOFILE_OK,
    .oneline = "waits for the given value in milliseconds",
};

static int io_sigraise_f(BlockBackend *blk, int argc, char **argv)
{
    int64_t sig = io_parse_num(argv[1]);

    if (sig < 0) {
        return sig;
    }
    if (sig > NSIG) {
        printf("signal argument '%s' is too large to be a valid signal\n",
               argv[1]);
        return -EINVAL;
    }
    fflush(stdout);
    fflush(stderr);
    raise(sig);
    return 0;
}

static void io_sigraise_help(void)
{
    printf("\n"
" raises the given signal\n"
"\n"
" Example:\n"
" 'sigraise 15' - raises SIGTERM\n"
"\n"
" Invokes raise(signal), where \"signal\" is the mandatory integer argument\n"
" given to sigraise.\n"
"\n");
}

static const IoCmd io_sigraise_cmd = {
    .name = "sigraise",
    .func = io_sigraise_f,
    .argmin = 1,
    .argmax = 1,
    .flags = IO_CMD_NOFILE_OK,
    .args = "signal",
    .oneline = "raises a signal",
    .help = io_sigraise_help,
};

static int io_abort_f(BlockBackend *blk, int argc, char **argv)
{
    fflush(stdout);
    fflush(stderr);
    abort();
}

static const IoCmd io_abort_cmd = {
    .name = "abort",
    .func = io_abort_f,
    .flags = IO_CMD_NOFILE_OK,
    .oneline = "simulate a program crash using abort(3)",
};

void io_misc_cmds_register(void)
{
    io_cmd_add(&io_flush_cmd);
    io_cmd_add(&io_truncate_cmd);
    io_cmd_add(&io_length_cmd);
    io_cmd_add(&io_info_cmd);
    io_cmd_add(&io_discard_cmd);
    io_cmd_add(&io_alloc_cmd);
    io_cmd_add(&io_map_cmd);
    io_cmd_add(&io_sleep_cmd);
    io_cmd_add(&io_sigraise_cmd);
    io_cmd_add(&io_abort_cmd);
}
