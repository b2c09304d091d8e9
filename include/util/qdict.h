/*
 * qdict.h: QDict, a string-keyed dictionary of QObjects (QEMU's QDict).
 *
 * A hash table whose iteration order is insertion order (replacing the
 * value of an existing key keeps its position), so output built from a
 * QDict is deterministic and follows the order the caller chose.
 *
 * Typed getters (qdict_get_int, ...) assert the key exists with the right
 * type: use them on dictionaries the program built itself. For untrusted
 * input use qdict_get() + qobject_to() or the _try_ getters.
 */
#ifndef DRYDOCK_UTIL_QDICT_H
#define DRYDOCK_UTIL_QDICT_H

#include "util/qobject.h"
#include "util/qbool.h"
#include "util/qlist.h"
#include "util/qnum.h"
#include "util/qstring.h"

typedef struct Error Error;

typedef struct QDictEntry {
    char *key;                          /* stored after the entry */
    QObject *value;
    struct QDictEntry *bucket_next;     /* hash chain */
    struct QDictEntry *prev, *next;     /* insertion order */
} QDictEntry;

#define QDICT_INLINE_BUCKETS 16

struct QDict {
    QObjectBase_ base;
    size_t size;
    size_t nbuckets;                    /* power of 2 */
    QDictEntry **buckets;               /* inline_buckets until it grows */
    QDictEntry *first, *last;
    QDictEntry *inline_buckets[QDICT_INLINE_BUCKETS];
    char *slab_end;     /* a clone's entries follow the QDict up to here */
};

QDict *qdict_new(void);
size_t qdict_size(const QDict *qdict);
/* Takes ownership of value; replaces (and unrefs) any previous value */
void qdict_put_obj(QDict *qdict, const char *key, QObject *value);
/* Same, for a pointer to any QObject subtype */
#define qdict_put(qdict, key, obj) qdict_put_obj((qdict), (key), QOBJECT(obj))
void qdict_put_int(QDict *qdict, const char *key, int64_t value);
void qdict_put_bool(QDict *qdict, const char *key, bool value);
void qdict_put_str(QDict *qdict, const char *key, const char *value);
void qdict_put_null(QDict *qdict, const char *key);

/* Borrowed value, or NULL */
QObject *qdict_get(const QDict *qdict, const char *key);
bool qdict_haskey(const QDict *qdict, const char *key);
/* Removes key (no-op if absent) */
void qdict_del(QDict *qdict, const char *key);
/*
 * Move @entry of @src to @dst under its key less the first @strip bytes,
 * without copying (a @dst entry of that key gets the value)
 */
void qdict_move_entry(QDict *src, const QDictEntry *entry, QDict *dst,
                      size_t strip);

/* NULL if absent or of another type */
QDict *qdict_get_qdict(const QDict *qdict, const char *key);
QList *qdict_get_qlist(const QDict *qdict, const char *key);
/* These assert that key exists with a matching type */
int64_t qdict_get_int(const QDict *qdict, const char *key);
bool qdict_get_bool(const QDict *qdict, const char *key);
const char *qdict_get_str(const QDict *qdict, const char *key);
double qdict_get_double(const QDict *qdict, const char *key);
/* def_value if absent or of another type */
int64_t qdict_get_try_int(const QDict *qdict, const char *key,
                          int64_t def_value);
bool qdict_get_try_bool(const QDict *qdict, const char *key, bool def_value);
/* NULL if absent or not a string */
const char *qdict_get_try_str(const QDict *qdict, const char *key);

/* Iteration in insertion order; deleting the current entry is allowed
 * provided the next one was fetched first */
const QDictEntry *qdict_first(const QDict *qdict);
const QDictEntry *qdict_next(const QDict *qdict, const QDictEntry *entry);
const char *qdict_entry_key(const QDictEntry *entry);
QObject *qdict_entry_value(const QDictEntry *entry);

/* `const QDictEntry *e; QDICT_FOREACH_ENTRY(d, e) { ... }` (no deletion) */
#define QDICT_FOREACH_ENTRY(qdict, var) \
    for ((var) = qdict_first(qdict); (var); (var) = qdict_next((qdict), (var)))

/* New dict with new references to the same values (not a deep copy) */
QDict *qdict_clone_shallow(const QDict *src);
/* If key is in src but not in dst, add a reference to src's value to dst */
void qdict_copy_default(QDict *dst, QDict *src, const char *key);
/* If key is not in dst, put the string val there */
void qdict_set_default_str(QDict *dst, const char *key, const char *val);
/*
 * Move every entry of src into dest. A key present in both is moved (and
 * overwrites dest's) only if overwrite; otherwise it stays in src.
 */
void qdict_join(QDict *dest, QDict *src, bool overwrite);
/* Convert every number and bool value into its string form, recursively */
void qdict_stringify_entries(QDict *qdict);

/* Recursive equality (qobject_is_equal on two dicts) */
bool qdict_is_equal(const QObject *x, const QObject *y);
void qdict_destroy_obj(QObject *obj);

/* --- flat dotted-key helpers (block/util/qdict-flatten.c) --- */

/*
 * {"a": {"b": 1}, "l": [2, {"c": 3}]} -> {"a.b": 1, "l.0": 2, "l.1.c": 3}.
 * Empty dicts and lists are kept as values (they would vanish otherwise).
 */
void qdict_flatten(QDict *qdict);
/*
 * The inverse of qdict_flatten: splits keys at '.' (".." stands for a
 * literal dot) into nested QDicts; a dict whose keys are all 0..n-1 becomes
 * a QList. Rejects conflicts ("a" and "a.b"), mixed index / name keys and
 * index gaps with an Error. Values are shared (new references).
 */
QObject *qdict_crumple(const QDict *src, Error **errp);
/*
 * Move every entry whose key starts with `start` into a new dict *dst,
 * with the prefix removed (e.g. start "file." moves "file.driver" to
 * "driver"). With dst NULL, the entries are just deleted.
 */
void qdict_extract_subqdict(QDict *src, QDict **dst, const char *start);
/* Whether some key of @src starts with @prefix (drydock's) */
bool qdict_has_prefixed(const QDict *src, const char *prefix);
/*
 * Move "0", "1", ... (scalars) or "0.x", "1.y", ... (sub-dicts) from src
 * into a new list *dst, stopping at the first missing index.
 */
void qdict_array_split(QDict *src, QList **dst);
/*
 * Number of array entries under the prefix subqdict (e.g. "children."):
 * entries must be numbered 0..n-1 without gaps, each either a value or a
 * sub-dict, and no other key may start with the prefix; else -EINVAL.
 */
int qdict_array_entries(QDict *src, const char *subqdict);

typedef struct QDictRenames {
    const char *from;
    const char *to;
} QDictRenames;
/*
 * Rename keys per the table (terminated by {NULL, NULL}); fails with an
 * Error if a target key already exists.
 */
bool qdict_rename_keys(QDict *qdict, const QDictRenames *renames,
                       Error **errp);

#endif /* DRYDOCK_UTIL_QDICT_H */
