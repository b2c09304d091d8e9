/*
 * Dotted-key views of QDicts: flatten/crumple, sub-dict extraction and
 * "prefix.N" arrays, as used by block-layer option handling.
 */
#include "util/qdict.h"
#include "util/error.h"

/* Crumpling recurses once per key fragment; bound it for hostile keys */
#define QDICT_CRUMPLE_MAX_DEPTH 1024

static void qdict_flatten_value(QDict *flat, const char *key,
                                QObject *value);

static void qdict_flatten_dict(QDict *flat, const char *prefix,
                               const QDict *src)
{
    for (const QDictEntry *e = qdict_first(src); e; e = qdict_next(src, e)) {
        g_autofree char *key = prefix ? g_strdup_printf("%s.%s", prefix,
                                                        e->key) : NULL;

        qdict_flatten_value(flat, key ? key : e->key, e->value);
    }
}

static void qdict_flatten_list(QDict *flat, const char *prefix,
                               const QList *src)
{
    size_t i = 0;

    for (const QListEntry *e = qlist_first(src); e; e = qlist_next(e), i++) {
        char *key = g_strdup_printf("%s.%zu", prefix, i);

        qdict_flatten_value(flat, key, e->value);
        g_free(key);
    }
}

/* Put value under key into flat, expanding non-empty containers */
static void qdict_flatten_value(QDict *flat, const char *key, QObject *value)
{
    QDict *d = qobject_to(QDict, value);
    QList *l = qobject_to(QList, value);

    if (d && qdict_size(d) > 0) {
        qdict_flatten_dict(flat, key, d);
    } else if (l && !qlist_empty(l)) {
        qdict_flatten_list(flat, key, l);
    } else {
        qdict_put_obj(flat, key, qobject_ref(value));
    }
}

/* Does @qdict hold a non-empty dict or list (anything to flatten)? */
static bool qdict_is_nested(const QDict *qdict)
{
    for (const QDictEntry *e = qdict_first(qdict); e;
         e = qdict_next(qdict, e)) {
        QDict *d = qobject_to(QDict, e->value);
        QList *l = qobject_to(QList, e->value);

        if ((d && qdict_size(d) > 0) || (l && !qlist_empty(l))) {
            return true;
        }
    }
    return false;
}

void qdict_flatten(QDict *qdict)
{
    QDict *flat;
    const QDictEntry *e, *next;

    /* Options are flattened at every open: most are already flat */
    if (!qdict_is_nested(qdict)) {
        return;
    }
    flat = qdict_new();
    /* Build the flat view separately, so iteration never sees new keys */
    qdict_flatten_dict(flat, NULL, qdict);
    for (e = qdict_first(qdict); e; e = next) {
        next = qdict_next(qdict, e);
        qdict_del(qdict, e->key);
    }
    qdict_join(qdict, flat, true);
    qobject_unref(flat);
}

/*
 * Split key at its first '.' that is not part of "..": *prefix gets the
 * unescaped part before it, the return value points after it (NULL if
 * there is no such dot, and then *prefix is the whole unescaped key).
 */
static const char *qdict_split_key(const char *key, char **prefix)
{
    size_t len = strlen(key);
    char *out = g_malloc(len + 1), *o = out;
    const char *p = key;

    while (*p) {
        if (p[0] == '.' && p[1] == '.') {
            *o++ = '.';
            p += 2;
        } else if (p[0] == '.') {
            break;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    *prefix = out;
    return *p ? p + 1 : NULL;
}

/*
 * A canonical list index ("0", "17", not "01"): true and *index set.
 * Anything else made of digits only is reported as an error.
 */
static int qdict_key_index(const char *key, size_t *index)
{
    unsigned long long v = 0;

    if (!*key) {
        return 0;
    }
    for (const char *p = key; *p; p++) {
        if (*p < '0' || *p > '9') {
            return 0;
        }
        if (v > (SIZE_MAX - 9) / 10) {
            return -1;
        }
        v = v * 10 + (*p - '0');
    }
    if (key[0] == '0' && key[1]) {
        return -1;
    }
    *index = v;
    return 1;
}

static QObject *qdict_crumple_level(const QDict *src, int depth,
                                    Error **errp);

/* Turn a dict whose keys are all list indices into a QList */
static QObject *qdict_crumple_listify(QDict *level, Error **errp)
{
    size_t n = qdict_size(level), index;
    char key[32];
    QList *list;
    int is_index = 0;

    for (const QDictEntry *e = qdict_first(level); e;
         e = qdict_next(level, e)) {
        int r = qdict_key_index(e->key, &index);

        if (r < 0) {
            error_setg(errp, "Invalid list index '%s'", e->key);
            return NULL;
        }
        if (e != qdict_first(level) && r != is_index) {
            error_setg(errp, "Cannot mix list indices and names: '%s' "
                       "and '%s'", qdict_first(level)->key, e->key);
            return NULL;
        }
        is_index = r;
    }
    if (!is_index) {
        return QOBJECT(qobject_ref(level));
    }
    list = qlist_new();
    for (size_t i = 0; i < n; i++) {
        QObject *v;

        snprintf(key, sizeof(key), "%zu", i);
        v = qdict_get(level, key);
        if (!v) {
            error_setg(errp, "Missing list index %zu", i);
            qobject_unref(list);
            return NULL;
        }
        qlist_append_obj(list, qobject_ref(v));
    }
    return QOBJECT(list);
}

/*
 * Group src's keys by their first fragment: leaf values go straight into
 * *out, the rest of dotted keys into per-prefix dicts that are crumpled
 * recursively.
 */
static bool qdict_crumple_group(const QDict *src, QDict *out, QDict *subs,
                                Error **errp)
{
    for (const QDictEntry *e = qdict_first(src); e; e = qdict_next(src, e)) {
        char *prefix;
        const char *rest = qdict_split_key(e->key, &prefix);
        QDict *sub = qdict_get_qdict(subs, prefix);

        if ((rest && qdict_haskey(out, prefix) && !sub) ||
            (!rest && sub)) {
            error_setg(errp, "Key '%s' is used both as a value and as a "
                       "prefix of other keys", prefix);
            g_free(prefix);
            return false;
        }
        if (!rest) {
            qdict_put_obj(out, prefix, qobject_ref(e->value));
        } else {
            if (!sub) {
                sub = qdict_new();
                qdict_put(subs, prefix, sub);
                /* Placeholder keeps the first-seen order in out */
                qdict_put_null(out, prefix);
            }
            qdict_put_obj(sub, rest, qobject_ref(e->value));
        }
        g_free(prefix);
    }
    return true;
}

static QObject *qdict_crumple_level(const QDict *src, int depth,
                                    Error **errp)
{
    QDict *out = qdict_new(), *subs = qdict_new();
    QObject *result = NULL;

    if (depth > QDICT_CRUMPLE_MAX_DEPTH) {
        error_setg(errp, "Keys nested deeper than %d levels",
                   QDICT_CRUMPLE_MAX_DEPTH);
        goto out;
    }
    if (!qdict_crumple_group(src, out, subs, errp)) {
        goto out;
    }
    for (const QDictEntry *e = qdict_first(subs); e; e = qdict_next(subs, e)) {
        QObject *child = qdict_crumple_level(qobject_to(QDict, e->value),
                                             depth + 1, errp);
        if (!child) {
            goto out;
        }
        qdict_put_obj(out, e->key, child);
    }
    result = qdict_crumple_listify(out, errp);
out:
    qobject_unref(out);
    qobject_unref(subs);
    return result;
}

QObject *qdict_crumple(const QDict *src, Error **errp)
{
    return qdict_crumple_level(src, 0, errp);
}

void qdict_extract_subqdict(QDict *src, QDict **dst, const char *start)
{
    size_t len = strlen(start);
    const QDictEntry *e, *next;

    if (dst) {
        *dst = qdict_new();
    }
    for (e = qdict_first(src); e; e = next) {
        next = qdict_next(src, e);
        if (!strncmp(e->key, start, len)) {
            if (dst) {
                qdict_move_entry(src, e, *dst, len);
            } else {
                qdict_del(src, e->key);
            }
        }
    }
}

bool qdict_has_prefixed(const QDict *src, const char *prefix)
{
    size_t len = strlen(prefix);

    for (const QDictEntry *e = qdict_first(src); e; e = qdict_next(src, e)) {
        if (!strncmp(e->key, prefix, len)) {
            return true;
        }
    }
    return false;
}

static size_t qdict_count_prefixed(const QDict *src, const char *prefix)
{
    size_t len = strlen(prefix), n = 0;

    for (const QDictEntry *e = qdict_first(src); e; e = qdict_next(src, e)) {
        if (!strncmp(e->key, prefix, len)) {
            n++;
        }
    }
    return n;
}

void qdict_array_split(QDict *src, QList **dst)
{
    *dst = qlist_new();
    for (unsigned i = 0; i < UINT_MAX; i++) {
        char name[16], prefix[16];
        QObject *value;
        bool has_sub;

        snprintf(name, sizeof(name), "%u", i);
        snprintf(prefix, sizeof(prefix), "%u.", i);
        value = qdict_get(src, name);
        has_sub = qdict_has_prefixed(src, prefix);
        /* Stop at a gap, and at an index that is both value and dict */
        if (!value == !has_sub) {
            break;
        }
        if (value) {
            qlist_append_obj(*dst, qobject_ref(value));
            qdict_del(src, name);
        } else {
            QDict *sub;

            qdict_extract_subqdict(src, &sub, prefix);
            qlist_append(*dst, sub);
        }
    }
}

int qdict_array_entries(QDict *src, const char *subqdict)
{
    size_t accounted = 0;
    int i;

    for (i = 0; i < INT_MAX; i++) {
        char *name = g_strdup_printf("%s%d", subqdict, i);
        char *prefix = g_strdup_printf("%s%d.", subqdict, i);
        bool has_value = qdict_haskey(src, name);
        size_t sub_entries = qdict_count_prefixed(src, prefix);

        g_free(name);
        g_free(prefix);
        if (has_value && sub_entries) {
            return -EINVAL;
        }
        if (!has_value && !sub_entries) {
            break;
        }
        accounted += has_value ? 1 : sub_entries;
    }
    /* Anything else under the prefix is not part of a valid array */
    if (qdict_count_prefixed(src, subqdict) != accounted) {
        return -EINVAL;
    }
    return i;
}

bool qdict_rename_keys(QDict *qdict, const QDictRenames *renames,
                       Error **errp)
{
    for (; renames->from; renames++) {
        QObject *value = qdict_get(qdict, renames->from);

        if (!value) {
            continue;
        }
        if (qdict_haskey(qdict, renames->to)) {
            error_setg(errp, "Cannot rename '%s' to '%s': '%s' is already "
                       "set", renames->from, renames->to, renames->to);
            return false;
        }
        qdict_put_obj(qdict, renames->to, qobject_ref(value));
        qdict_del(qdict, renames->from);
    }
    return true;
}
