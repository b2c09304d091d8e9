/*
 * QString: a growable NUL-terminated string.
 */
#include <pthread.h>

#include "util/qstring.h"

/*
 * A new string's bytes live in the same allocation as the QString (option
 * dictionaries make many short strings); appending past them moves the
 * bytes to their own allocation.
 */
static bool qstring_is_inline(const QString *qs)
{
    return qs->string == (const char *)(qs + 1);
}

static QString *qstring_alloc(size_t capacity)
{
    size_t cap = capacity ? capacity : 1;
    QString *qs = g_malloc(sizeof(QString) + cap);

    memset(qs, 0, sizeof(*qs));
    qs->base.type = QTYPE_QSTRING;
    qs->base.refcnt = 1;
    qs->capacity = cap;
    qs->string = (char *)(qs + 1);
    qs->string[0] = '\0';
    return qs;
}

QString *qstring_new(void)
{
    return qstring_alloc(16);
}

QString *qstring_from_substr(const char *str, size_t start, size_t end)
{
    QString *qs;

    assert(start <= end);
    qs = qstring_alloc(end - start + 1);
    memcpy(qs->string, str + start, end - start);
    qs->string[end - start] = '\0';
    qs->length = end - start;
    return qs;
}

QString *qstring_from_str(const char *str)
{
    return qstring_from_substr(str, 0, strlen(str));
}

QString *qstring_from_gstring(char *str)
{
    QString *qs = g_new0(QString, 1);

    qs->base.type = QTYPE_QSTRING;
    qs->base.refcnt = 1;
    qs->string = str;
    qs->length = strlen(str);
    qs->capacity = qs->length + 1;
    return qs;
}

/*
 * Shared strings for literals: a small table searched by the literal's
 * address, read without a lock (an entry is published after its string)
 * and filled under one
 */
#define QSTRING_LITERALS 64

static struct {
    const char *lit;
    QString *qs;
} qstring_literals[QSTRING_LITERALS];
static pthread_mutex_t qstring_literals_lock = PTHREAD_MUTEX_INITIALIZER;

QString *qstring_from_literal(const char *lit)
{
    QString *qs = NULL;
    size_t i;

    for (i = 0; i < QSTRING_LITERALS; i++) {
        const char *at = __atomic_load_n(&qstring_literals[i].lit,
                                         __ATOMIC_ACQUIRE);

        if (at == lit) {
            return qobject_ref(qstring_literals[i].qs);
        }
        if (!at) {
            break;
        }
    }
    pthread_mutex_lock(&qstring_literals_lock);
    for (i = 0; i < QSTRING_LITERALS && qstring_literals[i].lit; i++) {
        if (qstring_literals[i].lit == lit) {
            qs = qstring_literals[i].qs;
            break;
        }
    }
    if (!qs && i < QSTRING_LITERALS) {
        /* The table's reference is never dropped */
        qs = qstring_from_str(lit);
        qstring_literals[i].qs = qs;
        __atomic_store_n(&qstring_literals[i].lit, lit, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&qstring_literals_lock);
    /* A full table: a string of its own */
    return qs ? qobject_ref(qs) : qstring_from_str(lit);
}

const char *qstring_get_str(const QString *qstring)
{
    return qstring->string;
}

size_t qstring_get_length(const QString *qstring)
{
    return qstring->length;
}

static void qstring_reserve(QString *qs, size_t extra)
{
    size_t need;

    if (__builtin_add_overflow(qs->length, extra + 1, &need)) {
        abort();
    }
    if (need > qs->capacity) {
        size_t cap = qs->capacity;

        while (cap < need) {
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        }
        if (qstring_is_inline(qs)) {
            char *heap = g_malloc(cap);

            memcpy(heap, qs->string, qs->length + 1);
            qs->string = heap;
        } else {
            qs->string = g_realloc(qs->string, cap);
        }
        qs->capacity = cap;
    }
}

void qstring_append_len(QString *qstring, const char *str, size_t len)
{
    qstring_reserve(qstring, len);
    memcpy(qstring->string + qstring->length, str, len);
    qstring->length += len;
    qstring->string[qstring->length] = '\0';
}

void qstring_append(QString *qstring, const char *str)
{
    qstring_append_len(qstring, str, strlen(str));
}

void qstring_append_chr(QString *qstring, int c)
{
    char ch = c;

    qstring_append_len(qstring, &ch, 1);
}

void qstring_append_int(QString *qstring, int64_t value)
{
    qstring_append_printf(qstring, "%" PRId64, value);
}

void qstring_append_printf(QString *qstring, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    qstring_append(qstring, s);
    g_free(s);
}

char *qstring_free(QString *qstring, bool return_str)
{
    char *s = NULL;

    if (qstring->base.refcnt == 1) {
        if (return_str && qstring_is_inline(qstring)) {
            s = g_strdup(qstring->string);
        } else if (return_str) {
            s = qstring->string;
        } else if (!qstring_is_inline(qstring)) {
            g_free(qstring->string);
        }
        g_free(qstring);
        return s;
    }
    s = return_str ? g_strdup(qstring->string) : NULL;
    qobject_unref(qstring);
    return s;
}

bool qstring_is_equal(const QObject *x, const QObject *y)
{
    return !strcmp(qobject_to(QString, x)->string,
                   qobject_to(QString, y)->string);
}

void qstring_destroy_obj(QObject *obj)
{
    QString *qs = qobject_to(QString, obj);

    if (!qstring_is_inline(qs)) {
        g_free(qs->string);
    }
    g_free(qs);
}
