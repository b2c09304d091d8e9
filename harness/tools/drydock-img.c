/*
 * drydock-img: qemu-img over drydock's block layer.  Each subcommand is
 * its own file (harness/img-<name>.c, shared pieces in img-common.c);
 * this file only dispatches.
 */
#include "block/test-driver.h"
#include "harness/img-common.h"

typedef struct ImgCmd {
    const char *name;
    int (*func)(int argc, char **argv);
    const char *syntax;
} ImgCmd;

static const ImgCmd img_cmds[] = {
    { "amend", img_amend, "[--object objectdef] [--image-opts] [-p] [-q] "
      "[-f fmt] [-t cache] [--force] -o options filename" },
    { "bench", img_bench, "[-c count] [-d depth] [-f fmt] "
      "[--flush-interval=flush_interval] [-i aio] [-n] [--no-drain] "
      "[-o offset] [--pattern=pattern] [-q] [-s buffer_size] "
      "[-S step_size] [-t cache] [-w] [-U] filename" },
    { "bitmap", img_bitmap, "(--merge SOURCE | --add | --remove | --clear "
      "| --enable | --disable)... [-b source_file [-F source_fmt]] "
      "[-g granularity] [--object objectdef] [--image-opts | -f fmt] "
      "filename bitmap" },
    { "check", img_check, "[--object objectdef] [--image-opts] [-q] "
      "[-f fmt] [--output=ofmt] [-r [leaks | all]] [-T src_cache] [-U] "
      "filename" },
    { "commit", img_commit, "[--object objectdef] [--image-opts] [-q] "
      "[-f fmt] [-t cache] [-b base] [-r rate_limit] [-d] [-p] filename" },
    { "compare", img_compare, "[--object objectdef] [--image-opts] "
      "[-f fmt] [-F fmt] [-T src_cache] [-p] [-q] [-s] [-U] filename1 "
      "filename2" },
    { "convert", img_convert, "[--object objectdef] [--image-opts] "
      "[--target-image-opts] [--target-is-zero] [-U] [-C] [-c] [-p] [-q] "
      "[-n] [-f fmt] [-t cache] [-T src_cache] [-O output_fmt] "
      "[-B backing_file [-F backing_fmt]] [-o options] [-S sparse_size] "
      "[-m num_coroutines] [-W] filename [filename2 [...]] output_filename" },
    { "create", img_create, "[--object objectdef] [-q] [-f fmt] "
      "[-b backing_file [-F backing_fmt]] [-u] [-o options] filename "
      "[size]" },
    { "dd", img_dd, "[--image-opts] [-U] [-f fmt] [-O output_fmt] "
      "[bs=block_size] [count=blocks] [skip=blocks] if=input of=output" },
    { "info", img_info, "[--object objectdef] [--image-opts] [-f fmt] "
      "[--output=ofmt] [--backing-chain] [-U] filename" },
    { "map", img_map, "[--object objectdef] [--image-opts] [-f fmt] "
      "[--start-offset=offset] [--max-length=len] [--output=ofmt] [-U] "
      "filename" },
    { "measure", img_measure, "[--output=ofmt] [-O output_fmt] "
      "[-o options] [--size N | [--object objectdef] [--image-opts] "
      "[-f fmt] [-l snapshot_param] filename]" },
    { "rebase", img_rebase, "[--object objectdef] [--image-opts] [-U] [-q] "
      "[-f fmt] [-t cache] [-T src_cache] [-p] [-u] -b backing_file "
      "[-F backing_fmt] filename" },
    { "resize", img_resize, "[--object objectdef] [--image-opts] [-f fmt] "
      "[--preallocation=prealloc] [-q] [--shrink] filename [+ | -]size" },
    { "snapshot", img_snapshot, "[--object objectdef] [--image-opts] [-U] "
      "[-q] [-l | -a snapshot | -c snapshot | -d snapshot] filename" },
    { NULL, NULL, NULL },
};

static void img_help(void)
{
    const ImgCmd *cmd;

    printf("%s version %s\n"
           "usage: %s [standard options] command [command options]\n"
           "drydock disk image utility (qemu-img compatible)\n\n"
           "Command syntax:\n",
           error_get_progname(), TOOL_VERSION, error_get_progname());
    for (cmd = img_cmds; cmd->name; cmd++) {
        printf("  %s %s\n", cmd->name, cmd->syntax);
    }
    printf("\nSee docs/tools.md for the options and where they differ from "
           "qemu-img.\n");
}

int main(int argc, char **argv)
{
    const ImgCmd *cmd;
    int ret;

    error_set_progname(argv[0]);
    if (argc < 2) {
        tool_usage_error("Not enough arguments");
        return 1;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        img_help();
        return 0;
    }
    if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
        printf("%s version %s\n", error_get_progname(), TOOL_VERSION);
        return 0;
    }
    for (cmd = img_cmds; cmd->name && strcmp(cmd->name, argv[1]); cmd++) {
    }
    if (!cmd->name) {
        tool_usage_error("Command not found: %s", argv[1]);
        return 1;
    }
    bdrv_init();
    test_driver_register();
    /* The subcommand parses its own options, its name as argv[0] */
    ret = cmd->func(argc - 1, argv + 1);
    bdrv_close_all();
    return ret;
}
