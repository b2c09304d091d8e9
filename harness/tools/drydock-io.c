/*
 * drydock-io: qemu-io over drydock's block layer.  Same options, commands,
 * output and exit status (0, or 1 when a command or the open failed).
 * The commands are harness/io-cmds.c; this file adds the tool's own:
 * open, close, quit, and the command loop.
 */
#include <getopt.h>

#include "block/block-backend.h"
#include "block/test-driver.h"
#include "harness/io-cmds.h"
#include "harness/tool-common.h"
#include "util/keyval.h"

static BlockBackend *dio_blk;
static bool dio_quit;

typedef struct DioOpenArgs {
    int flags;
    bool force_share;
    bool image_opts;
    QDict *opts;
} DioOpenArgs;

/* Open @name (NULL: everything is in @opts, which this consumes) */
static int dio_openfile(const char *name, int flags, bool force_share,
                        QDict *opts)
{
    Error *err = NULL;

    if (dio_blk) {
        error_report("file open already, try 'help close'");
        qobject_unref(opts);
        return 1;
    }
    if (force_share) {
        if (!opts) {
            opts = qdict_new();
        }
        if (qdict_haskey(opts, "force-share") &&
            strcmp(qdict_get_try_str(opts, "force-share") ?: "", "on")) {
            error_report("-U conflicts with image options");
            qobject_unref(opts);
            return 1;
        }
        qdict_put_str(opts, "force-share", "on");
    }
    dio_blk = blk_new_open(name, NULL, opts, flags, &err);
    if (!dio_blk) {
        error_prepend(&err, "can't open%s%s: ", name ? " device " : "",
                      name ?: "");
        error_report_err(err);
        return 1;
    }
    return 0;
}

/* -t, -n, -d, -i, -k, -r, -s, -C, -U: shared by the tool and 'open' */
static int dio_parse_open_opt(int c, const char *arg, DioOpenArgs *a,
                              bool *readonly)
{
    bool writethrough;

    switch (c) {
    case 's':
        a->flags |= BDRV_O_SNAPSHOT;
        return 0;
    case 'n':
        a->flags |= BDRV_O_NOCACHE;
        return 0;
    case 'C':
        a->flags |= BDRV_O_COPY_ON_READ;
        return 0;
    case 'r':
        *readonly = true;
        return 0;
    case 'k':
        a->flags |= BDRV_O_NATIVE_AIO;
        return 0;
    case 'U':
        a->force_share = true;
        return 0;
    case 't':
        a->flags &= ~BDRV_O_CACHE_MASK;
        if (bdrv_parse_cache_mode(arg, &a->flags, &writethrough) < 0) {
            error_report("Invalid cache option: %s", arg);
            return -EINVAL;
        }
        return 0;
    case 'd':
        if (bdrv_parse_discard_flags(arg, &a->flags) < 0) {
            error_report("Invalid discard option: %s", arg);
            return -EINVAL;
        }
        return 0;
    case 'i':
        if (tool_parse_aio(arg, &a->flags) < 0) {
            error_report("Invalid aio option: %s", arg);
            return -EINVAL;
        }
        return 0;
    }
    return 1;
}

static const IoCmd dio_open_cmd;

static int dio_open_f(BlockBackend *blk, int argc, char **argv)
{
    DioOpenArgs a = { .flags = BDRV_O_UNMAP };
    bool readonly = false;
    Error *err = NULL;
    int c, ret;

    while ((c = getopt(argc, argv, "snCro:kt:d:i:U")) != -1) {
        if (c == 'o') {
            qobject_unref(a.opts);
            a.opts = qdict_from_dotted_str(optarg, &err);
            if (!a.opts) {
                error_report_err(err);
                return -EINVAL;
            }
            continue;
        }
        ret = dio_parse_open_opt(c, optarg, &a, &readonly);
        if (ret) {
            if (ret > 0) {
                io_command_usage(&dio_open_cmd);
            }
            qobject_unref(a.opts);
            return -EINVAL;
        }
    }
    if (!readonly) {
        a.flags |= BDRV_O_RDWR;
    }
    if (optind == argc - 1) {
        ret = dio_openfile(argv[optind], a.flags, a.force_share, a.opts);
    } else if (optind == argc) {
        ret = dio_openfile(NULL, a.flags, a.force_share, a.opts);
    } else {
        qobject_unref(a.opts);
        io_command_usage(&dio_open_cmd);
        return -EINVAL;
    }
    return ret ? -EINVAL : 0;
}

static void dio_open_help(void)
{
    printf("\n"
" opens a new file in the requested mode\n"
"\n"
" Example:\n"
" 'open -n -o driver=raw /tmp/data' - opens raw data file read-write, uncached\n"
"\n"
" Opens a file for subsequent use by all of the other qemu-io commands.\n"
" -r, -- open file read-only\n"
" -s, -- use snapshot file\n"
" -C, -- use copy-on-read\n"
" -n, -- disable host cache, short for -t none\n"
" -U, -- force shared permissions\n"
" -k, -- use kernel AIO implementation (Linux only, prefer use of -i)\n"
" -i, -- use AIO mode (threads, native or io_uring)\n"
" -t, -- use the given cache mode for the image\n"
" -d, -- use the given discard mode for the image\n"
" -o, -- options to be given to the block driver\n");
}

static const IoCmd dio_open_cmd = {
    .name = "open",
    .altname = "o",
    .func = dio_open_f,
    .argmin = 1,
    .argmax = -1,
    .flags = IO_CMD_NOFILE_OK,
    .args = "[-rsCnkU] [-t cache] [-d discard] [-o options] [path]",
    .oneline = "open the file specified by path",
    .help = dio_open_help,
};

static int dio_close_f(BlockBackend *blk, int argc, char **argv)
{
    io_drain_aio();
    blk_unref(dio_blk);
    dio_blk = NULL;
    return 0;
}

static const IoCmd dio_close_cmd = {
    .name = "close",
    .altname = "c",
    .func = dio_close_f,
    .oneline = "close the current open file",
};

static int dio_quit_f(BlockBackend *blk, int argc, char **argv)
{
    dio_quit = true;
    return 0;
}

static const IoCmd dio_quit_cmd = {
    .name = "quit",
    .altname = "q",
    .func = dio_quit_f,
    .argmax = -1,
    .flags = IO_CMD_NOFILE_OK,
    .oneline = "exit the program",
};

static void dio_usage(const char *name)
{
    printf(
"Usage: %s [OPTIONS]... [-c STRING]... [file]\n"
"drydock Disk exerciser\n"
"\n"
"  --object OBJECTDEF   define an object such as 'secret' for\n"
"                       passwords and/or encryption keys\n"
"  --image-opts         treat file as option string\n"
"  -c, --cmd STRING     execute command with its arguments\n"
"                       from the given string\n"
"  -f, --format FMT     specifies the block driver to use\n"
"  -r, --read-only      export read-only\n"
"  -s, --snapshot       use snapshot file\n"
"  -n, --nocache        disable host cache, short for -t none\n"
"  -C, --copy-on-read   enable copy-on-read\n"
"  -m, --misalign       misalign allocations for O_DIRECT\n"
"  -k, --native-aio     use kernel AIO implementation\n"
"                       (Linux only, prefer use of -i)\n"
"  -i, --aio=MODE       use AIO mode (threads, native or io_uring)\n"
"  -t, --cache=MODE     use the given cache mode for the image\n"
"  -d, --discard=MODE   use the given discard mode for the image\n"
"  -T, --trace [[enable=]<pattern>][,events=<file>][,file=<file>]\n"
"                       specify tracing options\n"
"                       see qemu-img(1) man page for full description\n"
"  -U, --force-share    force shared permissions\n"
"  -h, --help           display this help and exit\n"
"  -V, --version        output version information and exit\n"
"\n"
"See '%s -c help' for information on available commands.\n"
"\n",
           name, name);
}

/* The -c commands, or lines from stdin after a prompt; 1 if one failed */
static int dio_command_loop(char **cmds, int ncmds)
{
    char line[65536];
    int i, last_error = 0, ret;

    for (i = 0; !dio_quit && i < ncmds; i++) {
        ret = io_command(dio_blk, cmds[i]);
        last_error = ret < 0 ? ret : last_error;
    }
    if (ncmds) {
        return last_error;
    }
    while (!dio_quit) {
        printf("%s> ", error_get_progname());
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin)) {
            break;
        }
        line[strcspn(line, "\n")] = '\0';
        ret = io_command(dio_blk, line);
        last_error = ret < 0 ? ret : last_error;
    }
    return last_error;
}

enum { DIO_OPT_OBJECT = 256, DIO_OPT_IMAGE_OPTS };

static const struct option dio_long_options[] = {
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { "cmd", required_argument, NULL, 'c' },
    { "format", required_argument, NULL, 'f' },
    { "read-only", no_argument, NULL, 'r' },
    { "snapshot", no_argument, NULL, 's' },
    { "nocache", no_argument, NULL, 'n' },
    { "copy-on-read", no_argument, NULL, 'C' },
    { "misalign", no_argument, NULL, 'm' },
    { "native-aio", no_argument, NULL, 'k' },
    { "discard", required_argument, NULL, 'd' },
    { "cache", required_argument, NULL, 't' },
    { "trace", required_argument, NULL, 'T' },
    { "object", required_argument, NULL, DIO_OPT_OBJECT },
    { "aio", required_argument, NULL, 'i' },
    { "force-share", no_argument, NULL, 'U' },
    { "image-opts", no_argument, NULL, DIO_OPT_IMAGE_OPTS },
    { NULL, 0, NULL, 0 },
};

typedef struct DioMain {
    DioOpenArgs open;
    bool readonly;
    const char *format;
    char **cmds;
    int ncmds;
} DioMain;

/* 0: go on, 1: exit 0 (help, version), -1: exit 1 */
static int dio_parse_args(DioMain *m, int argc, char **argv)
{
    int c;

    while ((c = getopt_long(argc, argv, "hVc:d:f:rsnCmki:t:T:U",
                            dio_long_options, NULL)) != -1) {
        switch (c) {
        case 'h':
            dio_usage(error_get_progname());
            return 1;
        case 'V':
            printf("%s version %s\n", error_get_progname(), TOOL_VERSION);
            return 1;
        case 'c':
            m->cmds = g_renew(char *, m->cmds, m->ncmds + 1);
            m->cmds[m->ncmds++] = optarg;
            break;
        case 'f':
            m->format = optarg;
            break;
        case 'm':
            io_set_misalign(true);
            break;
        case 'T':
            break;
        case DIO_OPT_OBJECT:
            if (tool_object_add(optarg) < 0) {
                return -1;
            }
            break;
        case DIO_OPT_IMAGE_OPTS:
            m->open.image_opts = true;
            break;
        default:
            if (dio_parse_open_opt(c, optarg, &m->open, &m->readonly)) {
                if (c == '?' || c == ':') {
                    dio_usage(error_get_progname());
                }
                return -1;
            }
        }
    }
    if (argc - optind > 1) {
        dio_usage(error_get_progname());
        return -1;
    }
    if (m->format && m->open.image_opts) {
        error_report("--image-opts and -f are mutually exclusive");
        return -1;
    }
    return 0;
}

static int dio_open_image(DioMain *m, const char *arg)
{
    Error *err = NULL;
    QDict *opts = NULL;

    if (m->open.image_opts) {
        opts = qdict_from_dotted_str(arg, &err);
        if (!opts) {
            error_report_err(err);
            return 1;
        }
        return dio_openfile(NULL, m->open.flags, m->open.force_share, opts);
    }
    if (m->format) {
        opts = qdict_new();
        qdict_put_str(opts, "driver", m->format);
    }
    return dio_openfile(arg, m->open.flags, m->open.force_share, opts);
}

int main(int argc, char **argv)
{
    DioMain m = { .open.flags = BDRV_O_UNMAP };
    int ret;

    error_set_progname(argv[0]);
    ret = dio_parse_args(&m, argc, argv);
    if (ret) {
        g_free(m.cmds);
        return ret > 0 ? 0 : 1;
    }
    bdrv_init();
    test_driver_register();
    io_cmd_add(&dio_open_cmd);
    io_cmd_add(&dio_close_cmd);
    io_cmd_add(&dio_quit_cmd);
    if (!m.readonly) {
        m.open.flags |= BDRV_O_RDWR;
    }
    if (argc - optind == 1 && dio_open_image(&m, argv[optind])) {
        g_free(m.cmds);
        bdrv_close_all();
        return 1;
    }
    ret = dio_command_loop(m.cmds, m.ncmds);
    io_drain_aio();
    blk_unref(dio_blk);
    bdrv_close_all();
    g_free(m.cmds);
    return ret < 0 ? 1 : 0;
}
