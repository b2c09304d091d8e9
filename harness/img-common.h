/*
 * drydock-img's shared pieces: the subcommands (one file each,
 * harness/img-*.c), the long options, opening images the qemu-img way
 * (-f, --image-opts, json: names, -U, cache modes), progress output and
 * option-string helpers.  harness/tools/drydock-img.c dispatches.
 */
#ifndef HARNESS_IMG_COMMON_H
#define HARNESS_IMG_COMMON_H

#include <getopt.h>

#include "block/block-backend.h"
#include "block/driver.h"
#include "harness/tool-common.h"

enum {
    IMG_OPT_OUTPUT = 256,
    IMG_OPT_SHRINK,
    IMG_OPT_PREALLOC,
    IMG_OPT_BACKING_CHAIN,
    IMG_OPT_IMAGE_OPTS,
    IMG_OPT_TARGET_IMAGE_OPTS,
    IMG_OPT_OBJECT,
    IMG_OPT_START_OFFSET,
    IMG_OPT_MAX_LENGTH,
    IMG_OPT_PATTERN,
    IMG_OPT_FLUSH_INTERVAL,
    IMG_OPT_NO_DRAIN,
    IMG_OPT_SIZE,
    IMG_OPT_ADD,
    IMG_OPT_REMOVE,
    IMG_OPT_CLEAR,
    IMG_OPT_ENABLE,
    IMG_OPT_DISABLE,
    IMG_OPT_MERGE,
    IMG_OPT_GRANULARITY,
    IMG_OPT_FORCE,
    IMG_OPT_SALVAGE,
    IMG_OPT_TARGET_IS_ZERO,
    IMG_OPT_BITMAPS,
    IMG_OPT_SKIP_BROKEN,
};

/* Every long option of every subcommand; each rejects the others' */
extern const struct option img_long_options[];

/* How a subcommand opens its image(s) */
typedef struct ImgOpenArgs {
    const char *fmt;        /* -f (NULL: probe) */
    const char *cache;      /* -t/-T (NULL: the subcommand's default) */
    bool image_opts;        /* the name is an option string */
    bool force_share;       /* -U */
    bool quiet;             /* -q */
} ImgOpenArgs;

/* getopt's '?' and ':' as qemu-img reports them; always 1 (the exit code) */
int img_getopt_error(int c, char **argv);

/*
 * The options every image subcommand takes the same way: -f, -U, -q,
 * --image-opts, --object.  1 handled, 0 not one of them, -1 an error
 * (reported).
 */
int img_common_opt(int c, const char *arg, ImgOpenArgs *o);

/* qemu-img's check once options are parsed; false after its message */
bool img_check_open_args(const ImgOpenArgs *o);

/*
 * A subcommand's own option @c (argument @arg) for img_getopt: 0 taken,
 * -1 after a message, IMG_OPT_NOT_MINE for one it does not take
 */
enum { IMG_OPT_NOT_MINE = 1 };
typedef int ImgOptFn(void *opaque, int c, const char *arg);

/*
 * The getopt loop of the image subcommands: the common options (as
 * img_common_opt) into @o, the others to @fn(@opaque, ...), any option
 * neither takes reported as qemu-img does.  0 with optind at the first
 * operand, or -1 after a message.
 */
int img_getopt(int argc, char **argv, const char *shortopts, ImgOpenArgs *o,
               ImgOptFn *fn, void *opaque);

/*
 * After the options of a subcommand of one image: qemu-img's checks that
 * one name follows and of @o; 0, or -1 after a message
 */
int img_one_image_args(int argc, const ImgOpenArgs *o);

/*
 * Open @filename with @o and @flags; NULL after qemu-img's message
 * "Could not open 'NAME': ...".
 */
BlockBackend *img_open(const ImgOpenArgs *o, const char *filename, int flags);

/*
 * An -o argument, checked as qemu-img does (false after "Invalid option
 * list: ..."), added to @options: repeated -o options add up, "a=1" then
 * "b=2" is "a=1,b=2"
 */
bool img_add_option_list(char **options, const char *arg);

/* -o help / -o ?: true when an option string asks for the list */
bool img_options_want_help(const char *options);

/*
 * Print "Supported FMT options:" (create; with @filename, its protocol's
 * too) or "Amend options for 'FMT':" (amend) and the table; 0, or 1 after
 * a message for an unknown format
 */
int img_print_option_help(const char *fmt, const char *filename, bool amend);

/*
 * A size argument (--start-offset, -o of bench, ...) in [min, max]: the
 * value, or -1 after qemu-img's "Invalid WHAT specified. ..." message
 */
int64_t img_parse_size_range(const char *arg, const char *what,
                             int64_t min, int64_t max);
/* The same in [0, INT64_MAX] */
int64_t img_parse_size_arg(const char *arg, const char *what);

/* qemu-img's progress line "    (NN.NN/100%)" (-p, only on a terminal) */
typedef struct ImgProgress {
    bool on;
    float last;
} ImgProgress;

void img_progress_init(ImgProgress *p, bool wanted);
void img_progress_print(ImgProgress *p, int64_t done, int64_t total);
void img_progress_end(ImgProgress *p);

/* qemu-img's snapshot table ("Snapshot list:" and one row each) */
void img_snapshot_print_list(const QEMUSnapshotInfo *sn, int nb);
/* The snapshots as QAPI's SnapshotInfo list (info --output=json) */
QList *img_snapshot_list_json(const QEMUSnapshotInfo *sn, int nb);

/* The subcommands: argv[0] is the subcommand's name; the exit code */
int img_amend(int argc, char **argv);
int img_bench(int argc, char **argv);
int img_bitmap(int argc, char **argv);
int img_check(int argc, char **argv);
int img_commit(int argc, char **argv);
int img_compare(int argc, char **argv);
int img_convert(int argc, char **argv);
int img_create(int argc, char **argv);
int img_dd(int argc, char **argv);
int img_info(int argc, char **argv);
int img_map(int argc, char **argv);
int img_measure(int argc, char **argv);
int img_rebase(int argc, char **argv);
int img_resize(int argc, char **argv);
int img_snapshot(int argc, char **argv);

/* -o OPTIONS valid for creating FMT at FILENAME? 0, or -1 after the
 * message (prefixed by PREFIX: when not NULL) */
int img_check_create_options(const char *fmt, const char *filename,
                             const char *options, const char *prefix);

#endif
