/*
 * The qemu-io command table and dispatcher: word splitting, aliases,
 * help, the "no file open" and argument count checks, and the permission
 * a command needs (taken on the backend before it runs).
 */
#include "io-cmds.h"

#include "io-cmds-int.h"

#define IO_CMDS_MAX 64

static const IoCmd *io_cmds[IO_CMDS_MAX];
static int io_cmds_count;

static int io_cmds_compare(const void *a, const void *b)
{
    const IoCmd *const *x = a;
    const IoCmd *const *y = b;

    return strcmp((*x)->name, (*y)->name);
}

void io_cmd_add(const IoCmd *cmd)
{
    int i;

    for (i = 0; i < io_cmds_count; i++) {
        if (io_cmds[i] == cmd) {
            return;
        }
    }
    assert(io_cmds_count < IO_CMDS_MAX);
    io_cmds[io_cmds_count++] = cmd;
    qsort(io_cmds, io_cmds_count, sizeof(io_cmds[0]), io_cmds_compare);
}

/* The built-in commands, registered on first use */
static void io_cmds_init(void)
{
    static bool done;

    if (done) {
        return;
    }
    done = true;
    io_rw_cmds_register();
    io_aio_cmds_register();
    io_misc_cmds_register();
    io_debug_cmds_register();
}

static const IoCmd *io_cmds_find(const char *name)
{
    int i;

    io_cmds_init();
    for (i = 0; i < io_cmds_count; i++) {
        if (!strcmp(io_cmds[i]->name, name) ||
            (io_cmds[i]->altname && !strcmp(io_cmds[i]->altname, name))) {
            return io_cmds[i];
        }
    }
    return NULL;
}

const IoCmd *io_cmd_find(const char *name)
{
    return io_cmds_find(name);
}

const IoCmd *io_cmd_nth(int i)
{
    io_cmds_init();
    return i >= 0 && i < io_cmds_count ? io_cmds[i] : NULL;
}

static void io_cmds_oneline(const char *name, const IoCmd *cmd)
{
    printf("%s ", name);
    if (cmd->args) {
        printf("%s ", cmd->args);
    }
    printf("-- %s\n", cmd->oneline);
}

void io_command_usage(const IoCmd *cmd)
{
    io_cmds_oneline(cmd->name, cmd);
}

static int io_cmds_help(BlockBackend *blk, int argc, char **argv)
{
    const IoCmd *cmd;
    int i;

    if (argc == 1) {
        for (i = 0; i < io_cmds_count; i++) {
            io_cmds_oneline(io_cmds[i]->name, io_cmds[i]);
        }
        printf("\nUse 'help commandname' for extended help.\n");
        return 0;
    }
    cmd = io_cmds_find(argv[1]);
    if (!cmd) {
        printf("command %s not found\n", argv[1]);
        return -EINVAL;
    }
    io_cmds_oneline(argv[1], cmd);
    if (cmd->help) {
        cmd->help();
    }
    return 0;
}

static const IoCmd io_help_cmd = {
    .name = "help",
    .altname = "?",
    .func = io_cmds_help,
    .argmin = 0,
    .argmax = 1,
    .flags = IO_CMD_NOFILE_OK,
    .args = "[command]",
    .oneline = "help for one or all commands",
};

/* The checks qemu-io makes before a command runs */
static int io_cmds_check(BlockBackend *blk, const IoCmd *cmd, int argc)
{
    if (!(cmd->flags & IO_CMD_NOFILE_OK) && !blk) {
        fprintf(stderr, "no file open, try 'help open'\n");
        return -EINVAL;
    }
    if (cmd->perm && blk && blk_is_available(blk)) {
        uint64_t perm, shared;
        Error *err = NULL;
        int ret;

        blk_get_perm(blk, &perm, &shared);
        if (cmd->perm & ~perm) {
            ret = blk_set_perm(blk, perm | cmd->perm, shared, &err);
            if (ret < 0) {
                error_report_err(err);
                return ret;
            }
        }
    }
    if (argc - 1 < cmd->argmin ||
        (cmd->argmax != -1 && argc - 1 > cmd->argmax)) {
        if (cmd->argmax == -1) {
            fprintf(stderr, "bad argument count %d to %s, expected at least "
                    "%d arguments\n", argc - 1, cmd->name, cmd->argmin);
        } else if (cmd->argmin == cmd->argmax) {
            fprintf(stderr, "bad argument count %d to %s, expected %d "
                    "arguments\n", argc - 1, cmd->name, cmd->argmin);
        } else {
            fprintf(stderr, "bad argument count %d to %s, expected between "
                    "%d and %d arguments\n", argc - 1, cmd->name,
                    cmd->argmin, cmd->argmax);
        }
        return -EINVAL;
    }
    return 0;
}

int io_command_argv(BlockBackend *blk, int argc, char **argv)
{
    const IoCmd *cmd;
    int ret;

    if (argc < 1) {
        return 0;
    }
    io_cmd_add(&io_help_cmd);
    cmd = io_cmds_find(argv[0]);
    if (!cmd) {
        fprintf(stderr, "command \"%s\" not found\n", argv[0]);
        return -EINVAL;
    }
    ret = io_cmds_check(blk, cmd, argc);
    if (ret < 0) {
        return ret;
    }
    /* Commands parse their options with getopt from the start */
    optind = 0;
    ret = cmd->func(blk, argc, argv);
    fflush(stdout);
    fflush(stderr);
    return ret;
}

int io_command(BlockBackend *blk, const char *line)
{
    char *copy = g_strdup(line);
    char **argv = g_new0(char *, strlen(line) / 2 + 2);
    char *p = copy, *word;
    int argc = 0, ret;

    while ((word = strsep(&p, " ")) != NULL) {
        if (*word) {
            argv[argc++] = word;
        }
    }
    ret = io_command_argv(blk, argc, argv);
    g_free(argv);
    g_free(copy);
    return ret;
}
