/*
 * blkdebug's rules from its two sources: the config file (sections
 * "[inject-error]" and "[set-state]" of 'key = "value"' lines, '#'
 * comments) and the QAPI options inject-error.N.* / set-state.N.*.  Both
 * fill a QemuOpts of the same description, so both are validated alike;
 * errors in the file name it and the line ("FILE:LINE: message").
 */
#include "blkdebug-int.h"

static QemuOptsList blkdebug_inject_error_opts = {
    .name = "inject-error",
    .desc = {
        { .name = "event", .type = QEMU_OPT_STRING },
        { .name = "state", .type = QEMU_OPT_NUMBER },
        { .name = "iotype", .type = QEMU_OPT_STRING },
        { .name = "errno", .type = QEMU_OPT_NUMBER },
        { .name = "sector", .type = QEMU_OPT_NUMBER },
        { .name = "once", .type = QEMU_OPT_BOOL },
        { .name = "immediately", .type = QEMU_OPT_BOOL },
        { /* end of list */ }
    },
};

static QemuOptsList blkdebug_set_state_opts = {
    .name = "set-state",
    .desc = {
        { .name = "event", .type = QEMU_OPT_STRING },
        { .name = "state", .type = QEMU_OPT_NUMBER },
        { .name = "new_state", .type = QEMU_OPT_NUMBER },
        { /* end of list */ }
    },
};

static const struct {
    QemuOptsList *list;
    BlkdebugAction action;
} blkdebug_sections[] = {
    { &blkdebug_inject_error_opts, BLKDEBUG_ACTION_INJECT_ERROR },
    { &blkdebug_set_state_opts, BLKDEBUG_ACTION_SET_STATE },
};

static const char *const blkdebug_iotype_names[BLKDEBUG_IO_TYPE__MAX] = {
    [BLKDEBUG_IO_TYPE_READ] = "read",
    [BLKDEBUG_IO_TYPE_WRITE] = "write",
    [BLKDEBUG_IO_TYPE_WRITE_ZEROES] = "write-zeroes",
    [BLKDEBUG_IO_TYPE_DISCARD] = "discard",
    [BLKDEBUG_IO_TYPE_FLUSH] = "flush",
    [BLKDEBUG_IO_TYPE_BLOCK_STATUS] = "block-status",
};

static int blkdebug_config_iotype(const char *name, unsigned *mask,
                                  Error **errp)
{
    if (!name) {
        *mask = (1u << BLKDEBUG_IO_TYPE_READ) | (1u << BLKDEBUG_IO_TYPE_WRITE);
        return 0;
    }
    for (int i = 0; i < BLKDEBUG_IO_TYPE__MAX; i++) {
        if (!strcmp(name, blkdebug_iotype_names[i])) {
            *mask = 1u << i;
            return 0;
        }
    }
    error_setg(errp, "Invalid iotype '%s' (read, write, write-zeroes, "
               "discard, flush or block-status)", name);
    return -EINVAL;
}

static int blkdebug_config_inject(BlkdebugRule *rule, QemuOpts *opts,
                                  Error **errp)
{
    uint64_t err = qemu_opt_get_number(opts, "errno", EIO);
    uint64_t sector = qemu_opt_get_number(opts, "sector", UINT64_MAX);

    if (err > BLKDEBUG_MAX_ERRNO) {
        error_setg(errp, "Invalid errno %" PRIu64 " (at most %d)", err,
                   BLKDEBUG_MAX_ERRNO);
        return -EINVAL;
    }
    if (sector != UINT64_MAX &&
        sector > (uint64_t)BDRV_MAX_LENGTH / BDRV_SECTOR_SIZE) {
        error_setg(errp, "Invalid sector %" PRIu64 " (past the largest image)",
                   sector);
        return -EINVAL;
    }
    rule->options.inject.error = (int)err;
    rule->options.inject.once = qemu_opt_get_bool(opts, "once", false);
    rule->options.inject.immediately =
        qemu_opt_get_bool(opts, "immediately", false);
    rule->options.inject.offset =
        sector == UINT64_MAX ? -1 : (int64_t)(sector * BDRV_SECTOR_SIZE);
    return blkdebug_config_iotype(qemu_opt_get(opts, "iotype"),
                                  &rule->options.inject.iotype_mask, errp);
}

static int blkdebug_config_state(QemuOpts *opts, const char *name,
                                 int64_t *state, Error **errp)
{
    uint64_t v = qemu_opt_get_number(opts, name, 0);

    if (v > INT64_MAX) {
        error_setg(errp, "Invalid %s %" PRIu64, name, v);
        return -EINVAL;
    }
    *state = (int64_t)v;
    return 0;
}

/* A rule of @action from @opts, added to the rules of its event */
static int blkdebug_add_rule(BDRVBlkdebugState *s, BlkdebugAction action,
                             QemuOpts *opts, Error **errp)
{
    const char *name = qemu_opt_get(opts, "event");
    BlkdebugRule *rule;
    int event, ret;

    if (!name) {
        error_setg(errp, "Missing event name for rule");
        return -EINVAL;
    }
    event = BlkdebugEvent_lookup(name);
    if (event < 0) {
        error_setg(errp, "Invalid event name '%s'", name);
        return -EINVAL;
    }
    rule = g_new0(BlkdebugRule, 1);
    rule->event = event;
    rule->action = action;
    ret = blkdebug_config_state(opts, "state", &rule->state, errp);
    if (ret == 0 && action == BLKDEBUG_ACTION_INJECT_ERROR) {
        ret = blkdebug_config_inject(rule, opts, errp);
    } else if (ret == 0) {
        ret = blkdebug_config_state(opts, "new_state",
                                    &rule->options.set_state.new_state,
                                    errp);
    }
    if (ret < 0) {
        g_free(rule);
        return ret;
    }
    QLIST_INSERT_HEAD(&s->rules[event], rule, next);
    return 0;
}

void blkdebug_remove_rule(BlkdebugRule *rule)
{
    if (rule->action == BLKDEBUG_ACTION_SUSPEND) {
        g_free(rule->options.suspend.tag);
    }
    QLIST_REMOVE(rule, next);
    g_free(rule);
}

void blkdebug_free_rules(BDRVBlkdebugState *s)
{
    for (int i = 0; i < BLKDBG__MAX; i++) {
        while (!QLIST_EMPTY(&s->rules[i])) {
            blkdebug_remove_rule(QLIST_FIRST(&s->rules[i]));
        }
    }
    QSIMPLEQ_INIT(&s->active_rules);
}

/* ---- the config file ---- */

typedef struct BlkdebugConfigParser {
    BDRVBlkdebugState *s;
    const char *filename;
    int lineno;
    QemuOpts *opts;           /* the open section, NULL before the first */
    BlkdebugAction action;
    int section_line;
} BlkdebugConfigParser;

/* Add the rule of the open section (if any) */
static int blkdebug_config_close_section(BlkdebugConfigParser *p,
                                         Error **errp)
{
    Error *local_err = NULL;
    int ret = 0;

    if (p->opts) {
        ret = blkdebug_add_rule(p->s, p->action, p->opts, &local_err);
        qemu_opts_del(p->opts);
        p->opts = NULL;
    }
    if (ret < 0) {
        error_setg(errp, "%s:%d: %s", p->filename, p->section_line,
                   error_get_pretty(local_err));
        error_free(local_err);
    }
    return ret;
}

/* "[name]" or '[name "id"]' */
static int blkdebug_config_section(BlkdebugConfigParser *p, char *line,
                                   Error **errp)
{
    char *end = strchr(line, ']');
    char *name = line + 1;
    size_t len;

    if (!end || end[strspn(end + 1, " \t") + 1] != '\0') {
        return -EINVAL;
    }
    len = strcspn(name, " \t]");
    name[len] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(blkdebug_sections); i++) {
        if (!strcmp(name, blkdebug_sections[i].list->name)) {
            p->opts = qemu_opts_create(blkdebug_sections[i].list, NULL, 0,
                                       &error_abort);
            p->action = blkdebug_sections[i].action;
            p->section_line = p->lineno;
            return 0;
        }
    }
    error_setg(errp, "%s:%d: There is no option group '%s'", p->filename,
               p->lineno, name);
    return -ENOENT;
}

/* 'key = "value"' */
static int blkdebug_config_assign(BlkdebugConfigParser *p, char *line,
                                  Error **errp)
{
    Error *local_err = NULL;
    size_t klen = strcspn(line, " \t=");
    char *value, *end;

    value = line + klen + strspn(line + klen, " \t");
    if (klen == 0 || *value != '=') {
        return -EINVAL;
    }
    value += 1 + strspn(value + 1, " \t");
    if (*value != '"' || !(end = strchr(value + 1, '"')) ||
        end[strspn(end + 1, " \t\r") + 1] != '\0') {
        return -EINVAL;
    }
    line[klen] = '\0';
    *end = '\0';
    if (!p->opts) {
        error_setg(errp, "%s:%d: No group defined before '%s'", p->filename,
                   p->lineno, line);
        return -EINVAL;
    }
    if (!qemu_opt_set(p->opts, line, value + 1, &local_err)) {
        error_setg(errp, "%s:%d: %s", p->filename, p->lineno,
                   error_get_pretty(local_err));
        error_free(local_err);
        return -EINVAL;
    }
    return 0;
}

static int blkdebug_config_line(BlkdebugConfigParser *p, char *line,
                                Error **errp)
{
    size_t len = strlen(line);
    int ret;

    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
        line[--len] = '\0';
    }
    line += strspn(line, " \t");
    if (!*line || *line == '#') {
        return 0;
    }
    if (*line == '[') {
        ret = blkdebug_config_close_section(p, errp);
        if (ret == 0) {
            ret = blkdebug_config_section(p, line, errp);
        }
    } else {
        ret = blkdebug_config_assign(p, line, errp);
    }
    if (ret == -EINVAL && errp && !*errp) {
        error_setg(errp, "%s:%d: Cannot parse '%s'", p->filename, p->lineno,
                   line);
    }
    return ret;
}

int blkdebug_read_config(BDRVBlkdebugState *s, const char *filename,
                         Error **errp)
{
    BlkdebugConfigParser p = { .s = s, .filename = filename };
    Error *local_err = NULL;
    FILE *f = fopen(filename, "r");
    char *line = NULL;
    size_t cap = 0;
    int ret = 0;

    if (!f) {
        error_setg_errno(errp, errno, "Could not read blkdebug config file "
                         "'%s'", filename);
        return -errno;
    }
    while (ret == 0 && getline(&line, &cap, f) >= 0) {
        p.lineno++;
        ret = blkdebug_config_line(&p, line, &local_err);
    }
    if (ret == 0 && ferror(f)) {
        error_setg(&local_err, "Could not read blkdebug config file '%s'",
                   filename);
        ret = -EIO;
    }
    if (ret == 0) {
        ret = blkdebug_config_close_section(&p, &local_err);
    }
    if (p.opts) {
        qemu_opts_del(p.opts);
    }
    free(line);
    fclose(f);
    if (ret < 0) {
        error_propagate(errp, local_err);
    }
    return ret;
}

/* ---- inject-error.N.* and set-state.N.* ---- */

int blkdebug_read_rule_options(BDRVBlkdebugState *s, QDict *options,
                               Error **errp)
{
    for (size_t i = 0; i < ARRAY_SIZE(blkdebug_sections); i++) {
        for (int n = 0;; n++) {
            char prefix[64];
            Error *local_err = NULL;
            QDict *sub = NULL;
            QemuOpts *opts;
            int ret;

            /* The section names are short: no allocation per open */
            snprintf(prefix, sizeof(prefix), "%s.%d.",
                     blkdebug_sections[i].list->name, n);
            qdict_extract_subqdict(options, &sub, prefix);
            if (!qdict_size(sub)) {
                qobject_unref(sub);
                break;
            }
            opts = qemu_opts_from_qdict(blkdebug_sections[i].list, sub,
                                        &local_err);
            qobject_unref(sub);
            ret = opts ? blkdebug_add_rule(s, blkdebug_sections[i].action,
                                           opts, &local_err)
                       : -EINVAL;
            qemu_opts_del(opts);
            if (ret < 0) {
                error_setg(errp, "%s.%d: %s", blkdebug_sections[i].list->name,
                           n, error_get_pretty(local_err));
                error_free(local_err);
                return ret;
            }
        }
    }
    return 0;
}
