/*
 * QDict: a chained hash table of string keys, iterated in insertion order.
 */
#include "util/qdict.h"

/* FNV-1a: cheap and good enough for short option names */
static uint32_t qdict_hash(const char *key)
{
    uint32_t h = 2166136261u;

    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h;
}

static QDict *qdict_init(QDict *qdict)
{
    memset(qdict, 0, sizeof(*qdict));
    qdict->base.type = QTYPE_QDICT;
    qdict->base.refcnt = 1;
    /* The first buckets are part of the QDict: one allocation per dict */
    qdict->nbuckets = QDICT_INLINE_BUCKETS;
    qdict->buckets = qdict->inline_buckets;
    return qdict;
}

QDict *qdict_new(void)
{
    return qdict_init(g_malloc(sizeof(QDict)));
}

/* Is @e one of the entries a clone made in its own allocation? */
static bool qdict_in_slab(const QDict *qdict, const QDictEntry *e)
{
    return (const char *)e > (const char *)qdict &&
           (const char *)e < qdict->slab_end;
}

/* Free an entry taken out of @qdict (its value is someone else's now) */
static void qdict_entry_free(const QDict *qdict, QDictEntry *e)
{
    if (!qdict_in_slab(qdict, e)) {
        g_free(e);
    }
}

size_t qdict_size(const QDict *qdict)
{
    return qdict->size;
}

static QDictEntry *qdict_find(const QDict *qdict, const char *key,
                              uint32_t hash)
{
    QDictEntry *e = qdict->buckets[hash & (qdict->nbuckets - 1)];

    for (; e; e = e->bucket_next) {
        if (!strcmp(e->key, key)) {
            return e;
        }
    }
    return NULL;
}

/* Double the bucket array once the load factor exceeds 1 */
static void qdict_grow(QDict *qdict)
{
    size_t n = qdict->nbuckets * 2;
    QDictEntry **buckets = g_new0(QDictEntry *, n);

    for (QDictEntry *e = qdict->first; e; e = e->next) {
        uint32_t b = qdict_hash(e->key) & (n - 1);

        e->bucket_next = buckets[b];
        buckets[b] = e;
    }
    if (qdict->buckets != qdict->inline_buckets) {
        g_free(qdict->buckets);
    }
    qdict->buckets = buckets;
    qdict->nbuckets = n;
}

/* Link @e (not in @qdict, no entry of its key there) last in @qdict */
static void qdict_link(QDict *qdict, QDictEntry *e, uint32_t hash)
{
    size_t b;

    if (qdict->size >= qdict->nbuckets) {
        qdict_grow(qdict);
    }
    b = hash & (qdict->nbuckets - 1);
    e->bucket_next = qdict->buckets[b];
    qdict->buckets[b] = e;
    e->next = NULL;
    e->prev = qdict->last;
    if (qdict->last) {
        qdict->last->next = e;
    } else {
        qdict->first = e;
    }
    qdict->last = e;
    qdict->size++;
}

/* Take the entry of @key (hashed @hash) out of @qdict; NULL if none */
static QDictEntry *qdict_unlink(QDict *qdict, const char *key, uint32_t hash)
{
    QDictEntry **pp = &qdict->buckets[hash & (qdict->nbuckets - 1)];
    QDictEntry *e;

    for (; *pp; pp = &(*pp)->bucket_next) {
        if (!strcmp((*pp)->key, key)) {
            break;
        }
    }
    e = *pp;
    if (!e) {
        return NULL;
    }
    *pp = e->bucket_next;
    if (e->prev) {
        e->prev->next = e->next;
    } else {
        qdict->first = e->next;
    }
    if (e->next) {
        e->next->prev = e->prev;
    } else {
        qdict->last = e->prev;
    }
    qdict->size--;
    return e;
}

void qdict_put_obj(QDict *qdict, const char *key, QObject *value)
{
    uint32_t hash = qdict_hash(key);
    QDictEntry *e;

    assert(value);
    e = qdict_find(qdict, key, hash);
    if (e) {
        QObject *old = e->value;

        e->value = value;
        qobject_unref(old);
        return;
    }
    /* The key is stored after the entry, in the same allocation */
    e = g_malloc(sizeof(*e) + strlen(key) + 1);
    e->key = strcpy((char *)(e + 1), key);
    e->value = value;
    qdict_link(qdict, e, hash);
}

void qdict_move_entry(QDict *src, const QDictEntry *entry, QDict *dst,
                      size_t strip)
{
    const char *key = entry->key;
    QDictEntry *e = qdict_unlink(src, key, qdict_hash(key));
    uint32_t hash;
    QDictEntry *old;

    assert(e == entry && strip <= strlen(key));
    if (qdict_in_slab(src, e)) {
        /* Part of @src's allocation: the value moves, the entry cannot */
        qdict_put_obj(dst, e->key + strip, e->value);
        return;
    }
    /* The shorter key is the tail of the one stored after the entry */
    e->key += strip;
    hash = qdict_hash(e->key);
    old = qdict_find(dst, e->key, hash);
    if (old) {
        QObject *value = old->value;

        old->value = e->value;
        qobject_unref(value);
        g_free(e); /* not in a slab: checked above */
        return;
    }
    qdict_link(dst, e, hash);
}

void qdict_put_int(QDict *qdict, const char *key, int64_t value)
{
    qdict_put(qdict, key, qnum_from_int(value));
}

void qdict_put_bool(QDict *qdict, const char *key, bool value)
{
    qdict_put(qdict, key, qbool_from_bool(value));
}

void qdict_put_str(QDict *qdict, const char *key, const char *value)
{
    qdict_put(qdict, key, qstring_from_str(value));
}

void qdict_put_null(QDict *qdict, const char *key)
{
    qdict_put(qdict, key, qnull());
}

QObject *qdict_get(const QDict *qdict, const char *key)
{
    QDictEntry *e = qdict_find(qdict, key, qdict_hash(key));

    return e ? e->value : NULL;
}

bool qdict_haskey(const QDict *qdict, const char *key)
{
    return qdict_get(qdict, key) != NULL;
}

void qdict_del(QDict *qdict, const char *key)
{
    QDictEntry *e = qdict_unlink(qdict, key, qdict_hash(key));

    if (e) {
        qobject_unref(e->value);
        qdict_entry_free(qdict, e);
    }
}

QDict *qdict_get_qdict(const QDict *qdict, const char *key)
{
    return qobject_to(QDict, qdict_get(qdict, key));
}

QList *qdict_get_qlist(const QDict *qdict, const char *key)
{
    return qobject_to(QList, qdict_get(qdict, key));
}

int64_t qdict_get_int(const QDict *qdict, const char *key)
{
    QNum *qn = qobject_to(QNum, qdict_get(qdict, key));

    assert(qn);
    return qnum_get_int(qn);
}

bool qdict_get_bool(const QDict *qdict, const char *key)
{
    QBool *qb = qobject_to(QBool, qdict_get(qdict, key));

    assert(qb);
    return qbool_get_bool(qb);
}

const char *qdict_get_str(const QDict *qdict, const char *key)
{
    QString *qs = qobject_to(QString, qdict_get(qdict, key));

    assert(qs);
    return qstring_get_str(qs);
}

double qdict_get_double(const QDict *qdict, const char *key)
{
    QNum *qn = qobject_to(QNum, qdict_get(qdict, key));

    assert(qn);
    return qnum_get_double(qn);
}

int64_t qdict_get_try_int(const QDict *qdict, const char *key,
                          int64_t def_value)
{
    QNum *qn = qobject_to(QNum, qdict_get(qdict, key));
    int64_t val;

    if (!qn || !qnum_get_try_int(qn, &val)) {
        return def_value;
    }
    return val;
}

bool qdict_get_try_bool(const QDict *qdict, const char *key, bool def_value)
{
    QBool *qb = qobject_to(QBool, qdict_get(qdict, key));

    return qb ? qbool_get_bool(qb) : def_value;
}

const char *qdict_get_try_str(const QDict *qdict, const char *key)
{
    QString *qs = qobject_to(QString, qdict_get(qdict, key));

    return qs ? qstring_get_str(qs) : NULL;
}

const QDictEntry *qdict_first(const QDict *qdict)
{
    return qdict->first;
}

const QDictEntry *qdict_next(const QDict *qdict, const QDictEntry *entry)
{
    return entry->next;
}

const char *qdict_entry_key(const QDictEntry *entry)
{
    return entry->key;
}

QObject *qdict_entry_value(const QDictEntry *entry)
{
    return entry->value;
}

/* An entry and its key, rounded so that the next entry is aligned */
static size_t qdict_slab_entry_size(const char *key)
{
    size_t align = _Alignof(QDictEntry);

    return (sizeof(QDictEntry) + strlen(key) + 1 + align - 1) & ~(align - 1);
}

/*
 * Nodes keep clones of their options: the copy and its entries are one
 * allocation (entries deleted from it later are just unlinked)
 */
QDict *qdict_clone_shallow(const QDict *src)
{
    size_t bytes = sizeof(QDict);
    QDict *dst;
    char *p;

    for (const QDictEntry *e = src->first; e; e = e->next) {
        bytes += qdict_slab_entry_size(e->key);
    }
    dst = qdict_init(g_malloc(bytes));
    p = (char *)(dst + 1);
    for (const QDictEntry *e = src->first; e; e = e->next) {
        QDictEntry *ne = (QDictEntry *)p;

        p += qdict_slab_entry_size(e->key);
        ne->key = strcpy((char *)(ne + 1), e->key);
        ne->value = qobject_ref(e->value);
        qdict_link(dst, ne, qdict_hash(ne->key));
    }
    dst->slab_end = p;
    return dst;
}

void qdict_copy_default(QDict *dst, QDict *src, const char *key)
{
    QObject *val;

    if (qdict_haskey(dst, key)) {
        return;
    }
    val = qdict_get(src, key);
    if (val) {
        qdict_put_obj(dst, key, qobject_ref(val));
    }
}

void qdict_set_default_str(QDict *dst, const char *key, const char *val)
{
    if (!qdict_haskey(dst, key)) {
        qdict_put_str(dst, key, val);
    }
}

void qdict_join(QDict *dest, QDict *src, bool overwrite)
{
    const QDictEntry *e, *next;

    for (e = qdict_first(src); e; e = next) {
        next = qdict_next(src, e);
        if (overwrite || !qdict_haskey(dest, e->key)) {
            qdict_move_entry(src, e, dest, 0);
        }
    }
}

static void qdict_stringify_list(QList *ql);

/* The string form of a scalar, or NULL for other types */
static QObject *qdict_stringify_value(QObject *value)
{
    switch (qobject_type(value)) {
    case QTYPE_QNUM: {
        char *s = qnum_to_string(qobject_to(QNum, value));
        return QOBJECT(qstring_from_gstring(s));
    }
    case QTYPE_QBOOL:
        return QOBJECT(qstring_from_str(
            qbool_get_bool(qobject_to(QBool, value)) ? "on" : "off"));
    case QTYPE_QDICT:
        qdict_stringify_entries(qobject_to(QDict, value));
        return NULL;
    case QTYPE_QLIST:
        qdict_stringify_list(qobject_to(QList, value));
        return NULL;
    default:
        return NULL;
    }
}

static void qdict_stringify_list(QList *ql)
{
    for (QListEntry *e = ql->head; e; e = e->next) {
        QObject *s = qdict_stringify_value(e->value);

        if (s) {
            qobject_unref(e->value);
            e->value = s;
        }
    }
}

void qdict_stringify_entries(QDict *qdict)
{
    for (QDictEntry *e = qdict->first; e; e = e->next) {
        QObject *s = qdict_stringify_value(e->value);

        if (s) {
            qobject_unref(e->value);
            e->value = s;
        }
    }
}

bool qdict_is_equal(const QObject *x, const QObject *y)
{
    const QDict *a = qobject_to(QDict, x), *b = qobject_to(QDict, y);

    if (a->size != b->size) {
        return false;
    }
    for (const QDictEntry *e = a->first; e; e = e->next) {
        if (!qobject_is_equal(e->value, qdict_get(b, e->key))) {
            return false;
        }
    }
    return true;
}

void qdict_destroy_obj(QObject *obj)
{
    QDict *qdict = qobject_to(QDict, obj);
    QDictEntry *e, *next;

    for (e = qdict->first; e; e = next) {
        next = e->next;
        qobject_unref(e->value);
        qdict_entry_free(qdict, e);
    }
    if (qdict->buckets != qdict->inline_buckets) {
        g_free(qdict->buckets);
    }
    g_free(qdict);
}
