/*
 * QemuOpts: typed option sets described by a static QemuOptsList
 * (see include/util/qemu-option.h).
 */
#include "util/qemu-option.h"
#include "util/cutils.h"
#include "util/error.h"

typedef struct QemuOpt {
    char *name;
    char *str;
    const QemuOptDesc *desc;    /* NULL in lists that accept anything */
    union {
        bool boolean;
        uint64_t uint;
    } value;
    struct QemuOpt *next;
} QemuOpt;

struct QemuOpts {
    char *id;
    QemuOptsList *list;
    QemuOpt *opts;              /* in the order they were first set */
    QemuOpts *next;             /* in list->opts_head */
};

static const QemuOptDesc *qemu_opt_find_desc(const QemuOptsList *list,
                                             const char *name)
{
    for (const QemuOptDesc *d = list->desc; d->name; d++) {
        if (!strcmp(d->name, name)) {
            return d;
        }
    }
    return NULL;
}

static bool qemu_opt_accepts_any(const QemuOptsList *list)
{
    return list->desc[0].name == NULL;
}

static QemuOpt **qemu_opt_find_link(QemuOpts *opts, const char *name)
{
    QemuOpt **pp;

    for (pp = &opts->opts; *pp; pp = &(*pp)->next) {
        if (!strcmp((*pp)->name, name)) {
            break;
        }
    }
    return pp;
}

static QemuOpt *qemu_opt_find(QemuOpts *opts, const char *name)
{
    return opts ? *qemu_opt_find_link(opts, name) : NULL;
}

/* Parse str per type into *value; false (and an Error) if malformed */
static bool qemu_opt_parse(enum QemuOptType type, const char *name,
                           const char *str, QemuOpt *value, Error **errp)
{
    int ret;

    switch (type) {
    case QEMU_OPT_STRING:
        return true;
    case QEMU_OPT_BOOL:
        return qapi_bool_parse(name, str, &value->value.boolean, errp);
    case QEMU_OPT_NUMBER:
        ret = qemu_strtou64(str, NULL, 0, &value->value.uint);
        if (ret == -ERANGE) {
            error_setg(errp, "Value '%s' is out of range for parameter '%s'",
                       str, name);
        } else if (ret < 0) {
            error_setg(errp, "Parameter '%s' expects a non-negative number, "
                       "got '%s'", name, str);
        }
        return ret == 0;
    case QEMU_OPT_SIZE:
        ret = qemu_strtosz(str, NULL, &value->value.uint);
        if (ret == -ERANGE) {
            error_setg(errp, "Value '%s' is out of range for parameter '%s'",
                       str, name);
        } else if (ret < 0) {
            error_setg(errp, "Parameter '%s' expects a size (a number with "
                       "an optional suffix K, M, G, T, P or E), got '%s'",
                       name, str);
        }
        return ret == 0;
    }
    g_assert_not_reached();
}

static void qemu_opt_free(QemuOpt *opt)
{
    g_free(opt->str); /* the name is part of the QemuOpt's allocation */
    g_free(opt);
}

bool qemu_opt_set(QemuOpts *opts, const char *name, const char *value,
                  Error **errp)
{
    const QemuOptDesc *desc = qemu_opt_find_desc(opts->list, name);
    QemuOpt parsed = { .desc = desc }, *opt, **pp;

    if (!desc && !qemu_opt_accepts_any(opts->list)) {
        error_setg(errp, "Invalid parameter '%s'", name);
        return false;
    }
    if (desc && !qemu_opt_parse(desc->type, name, value, &parsed, errp)) {
        return false;
    }
    /* Setting an option again replaces its value, keeping its place */
    pp = qemu_opt_find_link(opts, name);
    opt = *pp;
    if (opt) {
        g_free(opt->str);
    } else {
        opt = g_malloc0(sizeof(*opt) + strlen(name) + 1);
        opt->name = strcpy((char *)(opt + 1), name);
        *pp = opt;
    }
    opt->str = g_strdup(value);
    opt->desc = desc;
    opt->value = parsed.value;
    return true;
}

bool qemu_opt_set_number(QemuOpts *opts, const char *name, int64_t val,
                         Error **errp)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%" PRId64, val);
    return qemu_opt_set(opts, name, buf, errp);
}

bool qemu_opt_set_bool(QemuOpts *opts, const char *name, bool val,
                       Error **errp)
{
    return qemu_opt_set(opts, name, val ? "on" : "off", errp);
}

int qemu_opt_unset(QemuOpts *opts, const char *name)
{
    QemuOpt **pp = qemu_opt_find_link(opts, name), *opt = *pp;

    if (!opt) {
        return -ENOENT;
    }
    *pp = opt->next;
    qemu_opt_free(opt);
    return 0;
}

bool qemu_opt_find_set(QemuOpts *opts, const char *name)
{
    return qemu_opt_find(opts, name) != NULL;
}

static const char *qemu_opt_default(QemuOpts *opts, const char *name)
{
    const QemuOptDesc *desc;

    if (!opts) {
        return NULL;
    }
    desc = qemu_opt_find_desc(opts->list, name);
    return desc ? desc->def_value_str : NULL;
}

const char *qemu_opt_get(QemuOpts *opts, const char *name)
{
    QemuOpt *opt = qemu_opt_find(opts, name);

    return opt ? opt->str : qemu_opt_default(opts, name);
}

char *qemu_opt_get_del(QemuOpts *opts, const char *name)
{
    QemuOpt *opt = qemu_opt_find(opts, name);
    char *str;

    if (!opt) {
        return g_strdup(qemu_opt_default(opts, name));
    }
    str = g_steal_pointer(&opt->str);
    qemu_opt_unset(opts, name);
    return str;
}

/*
 * Typed lookup shared by the getters: the option's value if set, else the
 * desc's default, else defval. A type mismatch with the desc is a bug in
 * the caller; in lists without descs, unparsable strings yield defval.
 */
static uint64_t qemu_opt_get_typed(QemuOpts *opts, const char *name,
                                   enum QemuOptType type, bool del,
                                   uint64_t defval)
{
    QemuOpt *opt = qemu_opt_find(opts, name);
    const char *str = NULL;
    QemuOpt parsed = { 0 };
    uint64_t result = defval;

    if (opt && opt->desc) {
        assert(opt->desc->type == type);
        parsed.value = opt->value;
        result = type == QEMU_OPT_BOOL ? parsed.value.boolean
                                       : parsed.value.uint;
    } else {
        str = opt ? opt->str : qemu_opt_default(opts, name);
        if (str && qemu_opt_parse(type, name, str, &parsed, NULL)) {
            result = type == QEMU_OPT_BOOL ? parsed.value.boolean
                                           : parsed.value.uint;
        }
    }
    if (opt && del) {
        qemu_opt_unset(opts, name);
    }
    return result;
}

bool qemu_opt_get_bool(QemuOpts *opts, const char *name, bool defval)
{
    return qemu_opt_get_typed(opts, name, QEMU_OPT_BOOL, false, defval);
}

uint64_t qemu_opt_get_number(QemuOpts *opts, const char *name,
                             uint64_t defval)
{
    return qemu_opt_get_typed(opts, name, QEMU_OPT_NUMBER, false, defval);
}

uint64_t qemu_opt_get_size(QemuOpts *opts, const char *name,
                           uint64_t defval)
{
    return qemu_opt_get_typed(opts, name, QEMU_OPT_SIZE, false, defval);
}

bool qemu_opt_get_bool_del(QemuOpts *opts, const char *name, bool defval)
{
    return qemu_opt_get_typed(opts, name, QEMU_OPT_BOOL, true, defval);
}

uint64_t qemu_opt_get_number_del(QemuOpts *opts, const char *name,
                                 uint64_t defval)
{
    return qemu_opt_get_typed(opts, name, QEMU_OPT_NUMBER, true, defval);
}

uint64_t qemu_opt_get_size_del(QemuOpts *opts, const char *name,
                               uint64_t defval)
{
    return qemu_opt_get_typed(opts, name, QEMU_OPT_SIZE, true, defval);
}

bool qemu_opt_has_help_opt(QemuOpts *opts)
{
    return qemu_opt_find(opts, "help") || qemu_opt_find(opts, "?");
}

/* Option set ids: a letter, then letters, digits, '-', '.', '_' */
static bool qemu_opts_id_wellformed(const char *id)
{
    if (!((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z'))) {
        return false;
    }
    for (const char *p = id + 1; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
              *p == '_')) {
            return false;
        }
    }
    return true;
}

QemuOpts *qemu_opts_find(QemuOptsList *list, const char *id)
{
    for (QemuOpts *o = list->opts_head; o; o = o->next) {
        if (id ? o->id && !strcmp(o->id, id) : !o->id) {
            return o;
        }
    }
    return NULL;
}

QemuOpts *qemu_opts_create(QemuOptsList *list, const char *id,
                           int fail_if_exists, Error **errp)
{
    QemuOpts *opts, **pp;

    if (id && !qemu_opts_id_wellformed(id)) {
        error_setg(errp, "Parameter 'id' expects an identifier (a letter, "
                   "then letters, digits, '-', '.', '_'), got '%s'", id);
        return NULL;
    }
    if (id || list->merge_lists) {
        opts = qemu_opts_find(list, id);
        if (opts) {
            if (fail_if_exists && id) {
                error_setg(errp, "Duplicate ID '%s' for %s", id,
                           list->name ? list->name : "options");
                return NULL;
            }
            return opts;
        }
    }
    opts = g_new0(QemuOpts, 1);
    opts->id = g_strdup(id);
    opts->list = list;
    for (pp = &list->opts_head; *pp; pp = &(*pp)->next) {
        /* append: keeps creation order for qemu_opts_find */
    }
    *pp = opts;
    return opts;
}

void qemu_opts_del(QemuOpts *opts)
{
    QemuOpts **pp;

    if (!opts) {
        return;
    }
    for (pp = &opts->list->opts_head; *pp; pp = &(*pp)->next) {
        if (*pp == opts) {
            *pp = opts->next;
            break;
        }
    }
    while (opts->opts) {
        QemuOpt *opt = opts->opts;

        opts->opts = opt->next;
        qemu_opt_free(opt);
    }
    g_free(opts->id);
    g_free(opts);
}

const char *qemu_opts_id(QemuOpts *opts)
{
    return opts->id;
}

QemuOptsList *qemu_opts_list(QemuOpts *opts)
{
    return opts->list;
}

typedef bool QemuOptsParamFunc(void *opaque, const char *name,
                               const char *value, Error **errp);

/*
 * Split "a=1,b,c=x,,y" into (name, value) pairs for fn. A first parameter
 * without '=' is the value of firstname (if given); later ones mean
 * "name=on". ",," in a value stands for ','.
 */
static bool qemu_opts_scan(const char *params, const char *firstname,
                           QemuOptsParamFunc *fn, void *opaque, Error **errp)
{
    const char *p = params;
    bool first = true;

    while (*p) {
        size_t nlen = strcspn(p, "=,");
        char *name, *value, *o;
        bool ok;

        if (p[nlen] != '=' && first && firstname) {
            name = g_strdup(firstname);
        } else {
            if (nlen == 0) {
                error_setg(errp, "Empty parameter name at offset %td in "
                           "'%s'", p - params, params);
                return false;
            }
            name = g_strndup(p, nlen);
            p += nlen;
            if (*p != '=') {
                /* a bare name is a flag */
                value = g_strdup("on");
                p += *p ? 1 : 0;
                goto call;
            }
            p++;
        }
        value = o = g_malloc(strlen(p) + 1);
        while (*p && !(p[0] == ',' && p[1] != ',')) {
            if (p[0] == ',') {
                p++;    /* first of ",," */
            }
            *o++ = *p++;
        }
        *o = '\0';
        p += *p ? 1 : 0;
call:
        ok = fn(opaque, name, value, errp);
        g_free(name);
        g_free(value);
        if (!ok) {
            return false;
        }
        first = false;
    }
    return true;
}

static bool qemu_opts_do_parse_one(void *opaque, const char *name,
                                   const char *value, Error **errp)
{
    /* The id is the option set's name, handled by qemu_opts_parse */
    if (!strcmp(name, "id")) {
        return true;
    }
    return qemu_opt_set(opaque, name, value, errp);
}

bool qemu_opts_do_parse(QemuOpts *opts, const char *params,
                        const char *firstname, Error **errp)
{
    return qemu_opts_scan(params, firstname, qemu_opts_do_parse_one, opts,
                          errp);
}

static bool qemu_opts_find_id(void *opaque, const char *name,
                              const char *value, Error **errp)
{
    char **id = opaque;

    if (!strcmp(name, "id")) {
        g_free(*id);
        *id = g_strdup(value);
    }
    return true;
}

QemuOpts *qemu_opts_parse(QemuOptsList *list, const char *params,
                          bool permit_abbrev, Error **errp)
{
    const char *firstname = permit_abbrev ? list->implied_opt_name : NULL;
    char *id = NULL;
    QemuOpts *opts;

    qemu_opts_scan(params, firstname, qemu_opts_find_id, &id, NULL);
    opts = qemu_opts_create(list, id, !list->merge_lists, errp);
    g_free(id);
    if (!opts) {
        return NULL;
    }
    if (!qemu_opts_do_parse(opts, params, firstname, errp)) {
        qemu_opts_del(opts);
        return NULL;
    }
    return opts;
}

static size_t qemu_opts_count_desc(const QemuOptsList *list)
{
    size_t n = 0;

    while (list && list->desc[n].name) {
        n++;
    }
    return n;
}

QemuOptsList *qemu_opts_append(QemuOptsList *dst, QemuOptsList *list)
{
    size_t n = qemu_opts_count_desc(dst);
    size_t total = n + qemu_opts_count_desc(list) + 1;

    if (!list) {
        return dst;
    }
    /* Reallocating would leave option sets pointing at the old list */
    assert(!dst || !dst->opts_head);
    dst = g_realloc(dst, sizeof(*dst) + total * sizeof(QemuOptDesc));
    if (n == 0) {
        dst->name = list->name;
        dst->implied_opt_name = list->implied_opt_name;
        dst->merge_lists = list->merge_lists;
        dst->opts_head = NULL;
    }
    for (const QemuOptDesc *d = list->desc; d->name; d++) {
        bool dup = false;

        for (size_t i = 0; i < n && !dup; i++) {
            dup = !strcmp(dst->desc[i].name, d->name);
        }
        if (!dup) {
            dst->desc[n++] = *d;
        }
    }
    dst->desc[n] = (QemuOptDesc){ .name = NULL };
    return dst;
}

void qemu_opts_free(QemuOptsList *list)
{
    g_free(list);
}

QDict *qemu_opts_to_qdict(QemuOpts *opts, QDict *qdict)
{
    if (!qdict) {
        qdict = qdict_new();
    }
    if (opts->id) {
        qdict_put_str(qdict, "id", opts->id);
    }
    for (QemuOpt *opt = opts->opts; opt; opt = opt->next) {
        qdict_put_str(qdict, opt->name, opt->str);
    }
    return qdict;
}

/* The string form of a scalar QDict value; NULL (and an Error) otherwise */
static char *qemu_opts_scalar_str(const char *key, QObject *value,
                                  Error **errp)
{
    switch (qobject_type(value)) {
    case QTYPE_QSTRING:
        return g_strdup(qstring_get_str(qobject_to(QString, value)));
    case QTYPE_QNUM:
        return qnum_to_string(qobject_to(QNum, value));
    case QTYPE_QBOOL:
        return g_strdup(qbool_get_bool(qobject_to(QBool, value)) ? "on"
                                                                 : "off");
    default:
        error_setg(errp, "Parameter '%s' expects a string, number or bool, "
                   "got a %s", key, qtype_name(qobject_type(value)));
        return NULL;
    }
}

static bool qemu_opts_set_from_qobject(QemuOpts *opts, const char *key,
                                       QObject *value, Error **errp)
{
    char *str = qemu_opts_scalar_str(key, value, errp);
    bool ok = str && qemu_opt_set(opts, key, str, errp);

    g_free(str);
    return ok;
}

bool qemu_opts_absorb_qdict(QemuOpts *opts, QDict *qdict, Error **errp)
{
    const QDictEntry *e, *next;

    for (e = qdict_first(qdict); e; e = next) {
        next = qdict_next(qdict, e);
        if (!qemu_opt_find_desc(opts->list, qdict_entry_key(e))) {
            continue;
        }
        if (!qemu_opts_set_from_qobject(opts, qdict_entry_key(e),
                                        qdict_entry_value(e), errp)) {
            return false;
        }
        qdict_del(qdict, qdict_entry_key(e));
    }
    return true;
}

QemuOpts *qemu_opts_from_qdict(QemuOptsList *list, const QDict *qdict,
                               Error **errp)
{
    QObject *idobj = qdict_get(qdict, "id");
    const char *id = qdict_get_try_str(qdict, "id");
    QemuOpts *opts;

    if (idobj && !id) {
        error_setg(errp, "Parameter 'id' expects a string");
        return NULL;
    }
    opts = qemu_opts_create(list, id, !list->merge_lists, errp);
    if (!opts) {
        return NULL;
    }
    for (const QDictEntry *e = qdict_first(qdict); e;
         e = qdict_next(qdict, e)) {
        if (!strcmp(qdict_entry_key(e), "id")) {
            continue;
        }
        if (!qemu_opts_set_from_qobject(opts, qdict_entry_key(e),
                                        qdict_entry_value(e), errp)) {
            qemu_opts_del(opts);
            return NULL;
        }
    }
    return opts;
}

static int qemu_opts_strcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void qemu_opts_print_help(QemuOptsList *list, bool print_caption)
{
    static const char *const type_names[] = {
        [QEMU_OPT_STRING] = "str",
        [QEMU_OPT_BOOL] = "bool (on/off)",
        [QEMU_OPT_NUMBER] = "num",
        [QEMU_OPT_SIZE] = "size",
    };
    size_t n = qemu_opts_count_desc(list);
    char **lines = g_new0(char *, n + 1);

    /* Sorted by name, help aligned in a column, as qemu-img shows it */
    for (size_t i = 0; i < n; i++) {
        const QemuOptDesc *d = &list->desc[i];
        char *head = g_strdup_printf("%s=<%s>", d->name,
                                     type_names[d->type]);

        lines[i] = d->help ? g_strdup_printf("  %-22s - %s", head, d->help)
                           : g_strdup_printf("  %s", head);
        g_free(head);
    }
    qsort(lines, n, sizeof(*lines), qemu_opts_strcmp);
    if (print_caption && list->name) {
        printf("%s options:\n", list->name);
    }
    for (size_t i = 0; i < n; i++) {
        printf("%s\n", lines[i]);
        g_free(lines[i]);
    }
    if (n == 0) {
        printf("There are no options of this type.\n");
    }
    g_free(lines);
}

QDict *qemu_opts_to_qdict_filtered(QemuOpts *opts, QDict *qdict,
                                   QemuOptsList *list, bool del)
{
    QemuOpt **pp = &opts->opts;

    if (!qdict) {
        qdict = qdict_new();
    }
    if (opts->id) {
        qdict_put_str(qdict, "id", opts->id);
    }
    while (*pp) {
        QemuOpt *opt = *pp;

        if (list && !qemu_opt_find_desc(list, opt->name)) {
            pp = &opt->next;
            continue;
        }
        qdict_put_str(qdict, opt->name, opt->str);
        if (del) {
            *pp = opt->next;
            qemu_opt_free(opt);
        } else {
            pp = &opt->next;
        }
    }
    return qdict;
}

int qemu_opt_foreach(QemuOpts *opts, qemu_opt_loopfunc func, void *opaque,
                     Error **errp)
{
    for (QemuOpt *opt = opts->opts; opt; opt = opt->next) {
        int ret = func(opaque, opt->name, opt->str, errp);

        if (ret) {
            return ret;
        }
    }
    return 0;
}

/* Append value with every ',' doubled, so the output parses back */
static void qemu_opts_append_escaped(QString *out, const char *value)
{
    for (const char *p = value; *p; p++) {
        if (*p == ',') {
            qstring_append_chr(out, ',');
        }
        qstring_append_chr(out, *p);
    }
}

char *qemu_opts_print_str(QemuOpts *opts, const char *separator)
{
    QString *out = qstring_new();
    const char *sep = "";

    if (opts->id) {
        qstring_append_printf(out, "id=%s", opts->id);
        sep = separator;
    }
    if (qemu_opt_accepts_any(opts->list)) {
        for (QemuOpt *opt = opts->opts; opt; opt = opt->next) {
            qstring_append_printf(out, "%s%s=", sep, opt->name);
            qemu_opts_append_escaped(out, opt->str);
            sep = separator;
        }
        return qstring_free(out, true);
    }
    for (const QemuOptDesc *d = opts->list->desc; d->name; d++) {
        QemuOpt *opt = qemu_opt_find(opts, d->name);
        const char *value = opt ? opt->str : d->def_value_str;

        if (!value) {
            continue;
        }
        qstring_append_printf(out, "%s%s=", sep, d->name);
        if (opt && (d->type == QEMU_OPT_SIZE || d->type == QEMU_OPT_NUMBER)) {
            qstring_append_printf(out, "%" PRIu64, opt->value.uint);
        } else {
            qemu_opts_append_escaped(out, value);
        }
        sep = separator;
    }
    return qstring_free(out, true);
}

void qemu_opts_print(QemuOpts *opts, const char *separator)
{
    char *s = qemu_opts_print_str(opts, separator);

    fputs(s, stdout);
    g_free(s);
}
