/*
 * Memory and string helpers with GLib's names (see include/util/osdep.h).
 */
#include "util/osdep.h"
#include "util/sanitizers.h"

/*
 * The g_try_* functions exist for sizes taken from untrusted input. Under
 * ASan a request above its allocator limit aborts the process instead of
 * returning NULL, so refuse such sizes ourselves.
 */
#ifdef UTIL_ASAN
#define OSDEP_TRY_MAX ((size_t)1 << 40)
#else
#define OSDEP_TRY_MAX ((size_t)PTRDIFF_MAX)
#endif

G_NORETURN static void osdep_oom(size_t size)
{
    fprintf(stderr, "drydock: failed to allocate %zu bytes\n", size);
    abort();
}

G_NORETURN void osdep_assert_not_reached(const char *file, int line,
                                         const char *func)
{
    fprintf(stderr, "%s:%d: %s: code should not be reached\n",
            file, line, func);
    abort();
}

void *g_try_malloc(size_t size)
{
    if (size > OSDEP_TRY_MAX) {
        return NULL;
    }
    /* A zero-sized request still yields a unique, freeable pointer */
    return malloc(size ? size : 1);
}

void *g_try_malloc0(size_t size)
{
    if (size > OSDEP_TRY_MAX) {
        return NULL;
    }
    return calloc(1, size ? size : 1);
}

void *g_try_realloc(void *ptr, size_t size)
{
    if (size > OSDEP_TRY_MAX) {
        return NULL;
    }
    return realloc(ptr, size ? size : 1);
}

void *g_malloc(size_t size)
{
    void *p = g_try_malloc(size);

    if (!p) {
        osdep_oom(size);
    }
    return p;
}

void *g_malloc0(size_t size)
{
    void *p = g_try_malloc0(size);

    if (!p) {
        osdep_oom(size);
    }
    return p;
}

void *g_realloc(void *ptr, size_t size)
{
    void *p = g_try_realloc(ptr, size);

    if (!p) {
        osdep_oom(size);
    }
    return p;
}

static size_t osdep_mul(size_t n, size_t size)
{
    size_t total;

    if (__builtin_mul_overflow(n, size, &total)) {
        fprintf(stderr, "drydock: allocation of %zu * %zu bytes overflows\n",
                n, size);
        abort();
    }
    return total;
}

void *g_malloc_n(size_t n, size_t size)
{
    return g_malloc(osdep_mul(n, size));
}

void *g_malloc0_n(size_t n, size_t size)
{
    return g_malloc0(osdep_mul(n, size));
}

void *g_realloc_n(void *ptr, size_t n, size_t size)
{
    return g_realloc(ptr, osdep_mul(n, size));
}

void g_free(void *ptr)
{
    free(ptr);
}

char *g_strdup(const char *str)
{
    return str ? g_memdup2(str, strlen(str) + 1) : NULL;
}

char *g_strndup(const char *str, size_t n)
{
    char *s;

    if (!str) {
        return NULL;
    }
    n = strnlen(str, n);
    s = g_malloc(n + 1);
    memcpy(s, str, n);
    s[n] = '\0';
    return s;
}

char *g_strdup_vprintf(const char *fmt, va_list ap)
{
    char *s;

    if (vasprintf(&s, fmt, ap) < 0) {
        osdep_oom(0);
    }
    return s;
}

char *g_strdup_printf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return s;
}

void *g_memdup2(const void *mem, size_t size)
{
    void *p;

    if (!mem) {
        return NULL;
    }
    p = g_malloc(size);
    memcpy(p, mem, size);
    return p;
}

bool g_str_has_prefix(const char *str, const char *prefix)
{
    return strncmp(str, prefix, strlen(prefix)) == 0;
}

bool g_str_has_suffix(const char *str, const char *suffix)
{
    size_t len = strlen(str), slen = strlen(suffix);

    return len >= slen && memcmp(str + len - slen, suffix, slen) == 0;
}

char **g_strsplit(const char *str, const char *delimiter, int max_tokens)
{
    size_t dlen = strlen(delimiter);
    size_t n = 0, cap = 4;
    char **v = g_new(char *, cap);
    const char *p = str, *hit;

    assert(dlen > 0);
    if (max_tokens < 1) {
        max_tokens = INT_MAX;
    }
    /* An empty string splits into no pieces at all, as in GLib */
    while (*str) {
        hit = (int)n + 1 < max_tokens ? strstr(p, delimiter) : NULL;
        if (n + 2 > cap) {
            cap *= 2;
            v = g_renew(char *, v, cap);
        }
        if (!hit) {
            v[n++] = g_strdup(p);
            break;
        }
        v[n++] = g_strndup(p, hit - p);
        p = hit + dlen;
    }
    v[n] = NULL;
    return v;
}

void g_strfreev(char **strv)
{
    if (strv) {
        for (char **p = strv; *p; p++) {
            g_free(*p);
        }
        g_free(strv);
    }
}

size_t g_strv_length(char **strv)
{
    size_t n = 0;

    while (strv[n]) {
        n++;
    }
    return n;
}
