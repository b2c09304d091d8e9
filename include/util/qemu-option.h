/*
 * qemu-option.h: QemuOpts, typed option sets described by a static table.
 *
 * A driver describes its options once:
 *
 *   static QemuOptsList foo_create_opts = {
 *       .name = "foo-create-opts",
 *       .desc = {
 *           { .name = "size", .type = QEMU_OPT_SIZE, .help = "Disk size" },
 *           { NULL }
 *       },
 *   };
 *
 * and then creates option sets from it, fills them from strings or QDicts
 * (values are validated against the declared type) and reads them back.
 * A list with an empty desc accepts any option name, as strings.
 *
 * Not thread-safe: option sets are global-state objects.
 */
#ifndef DRYDOCK_UTIL_QEMU_OPTION_H
#define DRYDOCK_UTIL_QEMU_OPTION_H

#include "util/osdep.h"
#include "util/qdict.h"

typedef struct Error Error;

enum QemuOptType {
    QEMU_OPT_STRING = 0,  /* no parsing (use string as-is) */
    QEMU_OPT_BOOL,        /* on/off, yes/no, true/false, y/n */
    QEMU_OPT_NUMBER,      /* unsigned 64-bit, decimal/octal/hex */
    QEMU_OPT_SIZE,        /* bytes, with optional K/M/G/T/P/E suffix */
};

typedef struct QemuOptDesc {
    const char *name;
    enum QemuOptType type;
    const char *help;
    const char *def_value_str;
} QemuOptDesc;

typedef struct QemuOpts QemuOpts;

typedef struct QemuOptsList {
    const char *name;
    const char *implied_opt_name;
    bool merge_lists;           /* only one QemuOpts (id NULL) per list */
    QemuOpts *opts_head;        /* internal: option sets created from it */
    QemuOptDesc desc[];         /* terminated by an entry with name NULL */
} QemuOptsList;

/*
 * New option set with the given id (NULL: none). If a set with that id
 * exists: error if fail_if_exists, else that set is returned. A malformed
 * id (must start with a letter, then letters, digits, '-', '.', '_') is
 * an error.
 */
QemuOpts *qemu_opts_create(QemuOptsList *list, const char *id,
                           int fail_if_exists, Error **errp);
void qemu_opts_del(QemuOpts *opts);
QemuOpts *qemu_opts_find(QemuOptsList *list, const char *id);
const char *qemu_opts_id(QemuOpts *opts);
QemuOptsList *qemu_opts_list(QemuOpts *opts);

/* Validated against the option's type; "Invalid parameter 'x'" if unknown */
bool qemu_opt_set(QemuOpts *opts, const char *name, const char *value,
                  Error **errp);
bool qemu_opt_set_number(QemuOpts *opts, const char *name, int64_t val,
                         Error **errp);
bool qemu_opt_set_bool(QemuOpts *opts, const char *name, bool val,
                       Error **errp);
/* 0, or -ENOENT if the option was not set */
int qemu_opt_unset(QemuOpts *opts, const char *name);
/* Was the option set explicitly (ignoring defaults)? */
bool qemu_opt_find_set(QemuOpts *opts, const char *name);

/* The value as a string; the desc's default if unset; else NULL */
const char *qemu_opt_get(QemuOpts *opts, const char *name);
/* Same but removes the option; the caller g_frees the result */
char *qemu_opt_get_del(QemuOpts *opts, const char *name);
bool qemu_opt_get_bool(QemuOpts *opts, const char *name, bool defval);
uint64_t qemu_opt_get_number(QemuOpts *opts, const char *name,
                             uint64_t defval);
uint64_t qemu_opt_get_size(QemuOpts *opts, const char *name,
                           uint64_t defval);
bool qemu_opt_get_bool_del(QemuOpts *opts, const char *name, bool defval);
uint64_t qemu_opt_get_number_del(QemuOpts *opts, const char *name,
                                 uint64_t defval);
uint64_t qemu_opt_get_size_del(QemuOpts *opts, const char *name,
                               uint64_t defval);
/* Was "help" or "?" given? */
bool qemu_opt_has_help_opt(QemuOpts *opts);

/*
 * Set options from "a=1,b=2" (",," escapes a comma). If firstname is
 * given, a first parameter without '=' is its value; any other parameter
 * without '=' means "name=on".
 */
bool qemu_opts_do_parse(QemuOpts *opts, const char *params,
                        const char *firstname, Error **errp);
/*
 * New option set from a string; "id=..." names it. With permit_abbrev, a
 * first parameter without '=' is the value of list->implied_opt_name.
 */
QemuOpts *qemu_opts_parse(QemuOptsList *list, const char *params,
                          bool permit_abbrev, Error **errp);

/*
 * New list whose desc is dst's followed by list's entries whose names
 * are not in dst yet. dst may be NULL or a list returned by an earlier
 * qemu_opts_append (which is then consumed). The desc strings are not
 * copied. Free with qemu_opts_free.
 */
QemuOptsList *qemu_opts_append(QemuOptsList *dst, QemuOptsList *list);
void qemu_opts_free(QemuOptsList *list);

/* Add every option as a QString (and "id") to qdict (NULL: a new dict) */
QDict *qemu_opts_to_qdict(QemuOpts *opts, QDict *qdict);
/*
 * Move the entries of qdict whose keys are options of opts' list into
 * opts (strings, numbers and bools are accepted and validated).
 */
bool qemu_opts_absorb_qdict(QemuOpts *opts, QDict *qdict, Error **errp);
/* New option set from all of qdict's entries ("id" names it) */
QemuOpts *qemu_opts_from_qdict(QemuOptsList *list, const QDict *qdict,
                               Error **errp);

/*
 * Like qemu_opts_to_qdict, but only options described in list (all if
 * list is NULL); with del, the copied options are removed from opts.
 */
QDict *qemu_opts_to_qdict_filtered(QemuOpts *opts, QDict *qdict,
                                   QemuOptsList *list, bool del);

typedef int (*qemu_opt_loopfunc)(void *opaque, const char *name,
                                 const char *value, Error **errp);
/* Call func for each set option in order; stops at a non-zero return */
int qemu_opt_foreach(QemuOpts *opts, qemu_opt_loopfunc func, void *opaque,
                     Error **errp);

/*
 * "name=value" for every option in desc order, using defaults for unset
 * options; set sizes and numbers print as parsed values, ',' in strings
 * is doubled (qemu-img's "Formatting ..., fmt=qcow2 cluster_size=65536 ..."
 * line). Lists without descs print the set options in order.
 */
void qemu_opts_print(QemuOpts *opts, const char *separator);
/* Same text as a string (drydock addition); g_free it */
char *qemu_opts_print_str(QemuOpts *opts, const char *separator);

/* Print the option table (for "-o help") to stdout */
void qemu_opts_print_help(QemuOptsList *list, bool print_caption);

#endif /* DRYDOCK_UTIL_QEMU_OPTION_H */
