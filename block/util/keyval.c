/*
 * Dotted key=value option strings (see include/util/keyval.h).
 *
 * One scanner serves both results: the nested QDict of keyval_parse, and
 * the flat dotted-key QDict of qdict_from_dotted_str. The flat variant
 * still builds the nested view, because that is where conflicts such as
 * "a=1,a.b=2" become visible.
 */
#include "util/keyval.h"
#include "util/error.h"

/* Bounds recursion over nested dicts built from hostile keys */
#define KEYVAL_MAX_FRAGMENTS 1024

static bool keyval_is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool keyval_is_name_char(char c)
{
    return keyval_is_name_start(c) || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

/*
 * A fragment is a name or a canonical list index; the first one is always a
 * name, since the root is a dict (an index there would make it a list)
 */
static const char *keyval_fragment_problem(const char *frag, size_t len,
                                           bool first)
{
    bool digits = true;

    if (len == 0) {
        return "empty name fragment";
    }
    for (size_t i = 0; i < len; i++) {
        if (frag[i] < '0' || frag[i] > '9') {
            digits = false;
        }
    }
    if (digits && first) {
        return "a list index cannot be a top-level parameter";
    }
    if (digits) {
        return frag[0] == '0' && len > 1 ? "list index with leading zero"
                                         : NULL;
    }
    if (!keyval_is_name_start(frag[0])) {
        return "a name must start with a letter";
    }
    for (size_t i = 1; i < len; i++) {
        if (!keyval_is_name_char(frag[i])) {
            return "a name may only contain letters, digits, '-' and '_'";
        }
    }
    return NULL;
}

static bool keyval_check_key(const char *key, Error **errp)
{
    const char *frag = key, *dot, *problem = NULL;
    int count = 0;

    for (;;) {
        dot = strchr(frag, '.');
        problem = keyval_fragment_problem(frag, dot ? (size_t)(dot - frag)
                                                    : strlen(frag),
                                          frag == key);
        if (problem) {
            break;
        }
        if (++count > KEYVAL_MAX_FRAGMENTS) {
            problem = "too many '.'-separated fragments";
            break;
        }
        if (!dot) {
            return true;
        }
        frag = dot + 1;
    }
    error_setg(errp, "Invalid parameter name '%s': %s", key, problem);
    return false;
}

/*
 * Store key=value in the nested dict. A fragment that already holds a
 * string cannot become a dict, nor a dict a string.
 */
static bool keyval_store(QDict *nested, const char *key, const char *value,
                         Error **errp)
{
    char *path = g_strdup(key);
    char *frag = path, *dot;
    QDict *cur = nested;
    bool ok = false;

    while ((dot = strchr(frag, '.'))) {
        QObject *v;

        *dot = '\0';
        v = qdict_get(cur, frag);
        if (!v) {
            QDict *sub = qdict_new();
            qdict_put(cur, frag, sub);
            cur = sub;
        } else if (qobject_type(v) == QTYPE_QDICT) {
            cur = qobject_to(QDict, v);
        } else {
            /* path now ends at the fragment that holds a value */
            error_setg(errp, "Parameter '%s' is used both as a value and as "
                       "a prefix of '%s'", path, key);
            goto out;
        }
        *dot = '.';
        frag = dot + 1;
    }
    if (qobject_to(QDict, qdict_get(cur, frag))) {
        error_setg(errp, "Parameter '%s' is used both as a value and as a "
                   "prefix of other parameters", key);
        goto out;
    }
    qdict_put_str(cur, frag, value);
    ok = true;
out:
    g_free(path);
    return ok;
}

/*
 * Value text starting at s, up to an unescaped ',' or the end; ",,"
 * stands for ','. *end is set to the terminating ',' or NUL.
 */
static char *keyval_scan_value(const char *s, const char **end)
{
    char *val = g_malloc(strlen(s) + 1), *o = val;

    for (;;) {
        if (s[0] == ',' && s[1] == ',') {
            *o++ = ',';
            s += 2;
        } else if (s[0] == ',' || s[0] == '\0') {
            break;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    *end = s;
    return val;
}

typedef struct KeyvalParse {
    QDict *nested;
    QDict *flat;            /* may be NULL */
    const char *implied_key;
    bool *p_help;
    const char *params;     /* the whole input, for messages */
} KeyvalParse;

/* One parameter starting at s; returns where the next one starts */
static const char *keyval_parse_one(KeyvalParse *kp, const char *s,
                                    bool first, Error **errp)
{
    size_t klen = strcspn(s, "=,");
    const char *end;
    char *key, *value;
    bool ok;

    if (s[klen] != '=') {
        /* No '=' before the next separator: help, implied key, or error */
        if (kp->p_help && ((klen == 4 && !strncmp(s, "help", 4)) ||
                           (klen == 1 && s[0] == '?'))) {
            *kp->p_help = true;
            return s[klen] ? s + klen + 1 : s + klen;
        }
        if (first && kp->implied_key && klen > 0) {
            key = g_strdup(kp->implied_key);
            value = keyval_scan_value(s, &end);
            goto store;
        }
        if (klen == 0) {
            error_setg(errp, "Empty parameter at offset %td in '%s'",
                       s - kp->params, kp->params);
        } else {
            error_setg(errp, "Expected '=' after parameter '%.*s'",
                       (int)klen, s);
        }
        return NULL;
    }
    key = g_strndup(s, klen);
    if (!keyval_check_key(key, errp)) {
        g_free(key);
        return NULL;
    }
    value = keyval_scan_value(s + klen + 1, &end);
store:
    ok = keyval_store(kp->nested, key, value, errp);
    if (ok && kp->flat) {
        qdict_put_str(kp->flat, key, value);
    }
    g_free(key);
    g_free(value);
    if (!ok) {
        return NULL;
    }
    return *end ? end + 1 : end;
}

static bool keyval_parse_all(KeyvalParse *kp, const char *params,
                             Error **errp)
{
    const char *s = params;
    bool first = true;

    kp->params = params;
    if (kp->p_help) {
        *kp->p_help = false;
    }
    /* A single trailing ',' is accepted, as QEMU does */
    while (*s) {
        s = keyval_parse_one(kp, s, first, errp);
        if (!s) {
            return false;
        }
        first = false;
    }
    return true;
}

static QObject *keyval_listify(QDict *dict, const char *prefix,
                               Error **errp);

/* Listify every sub-dict of dict in place */
static bool keyval_listify_children(QDict *dict, const char *prefix,
                                    Error **errp)
{
    for (const QDictEntry *e = qdict_first(dict); e;
         e = qdict_next(dict, e)) {
        QDict *sub = qobject_to(QDict, qdict_entry_value(e));
        char *path;
        QObject *conv;

        if (!sub) {
            continue;
        }
        path = g_strdup_printf("%s%s.", prefix, qdict_entry_key(e));
        conv = keyval_listify(sub, path, errp);
        g_free(path);
        if (!conv) {
            return false;
        }
        /* Replacing the value of an existing key keeps e valid */
        qdict_put_obj(dict, qdict_entry_key(e), conv);
    }
    return true;
}

/*
 * dict (already validated: index keys are canonical) as a new reference:
 * itself, or a QList if its keys are list indices.
 */
static QObject *keyval_listify(QDict *dict, const char *prefix,
                               Error **errp)
{
    const QDictEntry *first = qdict_first(dict);
    size_t n = qdict_size(dict);
    bool is_list;
    QList *list;

    if (!keyval_listify_children(dict, prefix, errp)) {
        return NULL;
    }
    is_list = first && first->key[0] >= '0' && first->key[0] <= '9';
    for (const QDictEntry *e = first; e; e = qdict_next(dict, e)) {
        bool idx = e->key[0] >= '0' && e->key[0] <= '9';

        if (idx != is_list) {
            error_setg(errp, "Parameters '%s%s' and '%s%s' mix list indices "
                       "and names", prefix, first->key, prefix, e->key);
            return NULL;
        }
    }
    if (!is_list) {
        return QOBJECT(qobject_ref(dict));
    }
    list = qlist_new();
    for (size_t i = 0; i < n; i++) {
        char key[32];
        QObject *v;

        snprintf(key, sizeof(key), "%zu", i);
        v = qdict_get(dict, key);
        if (!v) {
            error_setg(errp, "Parameter '%s%zu' missing", prefix, i);
            qobject_unref(list);
            return NULL;
        }
        qlist_append_obj(list, qobject_ref(v));
    }
    return QOBJECT(list);
}

QDict *keyval_parse_into(QDict *qdict, const char *params,
                         const char *implied_key, bool *p_help,
                         Error **errp)
{
    KeyvalParse kp = {
        .nested = qdict,
        .implied_key = implied_key,
        .p_help = p_help,
    };

    if (!keyval_parse_all(&kp, params, errp) ||
        !keyval_listify_children(qdict, "", errp)) {
        return NULL;
    }
    /* The top level is always a dict: its keys are names */
    return qdict;
}

QDict *keyval_parse(const char *params, const char *implied_key,
                    bool *p_help, Error **errp)
{
    QDict *qdict = qdict_new();

    if (!keyval_parse_into(qdict, params, implied_key, p_help, errp)) {
        qobject_unref(qdict);
        return NULL;
    }
    return qdict;
}

QDict *qdict_from_dotted_str(const char *params, Error **errp)
{
    KeyvalParse kp = { .nested = qdict_new(), .flat = qdict_new() };
    bool ok = keyval_parse_all(&kp, params, errp);

    qobject_unref(kp.nested);
    if (!ok) {
        qobject_unref(kp.flat);
        return NULL;
    }
    return kp.flat;
}
