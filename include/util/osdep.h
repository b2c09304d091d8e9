/*
 * osdep.h: the one header every drydock file includes first.
 *
 * Standard includes, small arithmetic and attribute macros, and memory
 * helpers with GLib's names (g_malloc, g_new0, g_strdup_printf, ...).
 * These are drydock's own tiny implementations, not GLib: they abort on
 * allocation failure, except the g_try_* variants which return NULL.
 *
 * Deviation from GLib: g_malloc(0) and g_realloc(p, 0) return a valid,
 * non-NULL pointer (to a zero-sized object), so that callers may pass the
 * result to memcpy and friends without tripping UBSan's nonnull checks.
 */
#ifndef DRYDOCK_UTIL_OSDEP_H
#define DRYDOCK_UTIL_OSDEP_H

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Attributes */
#define G_GNUC_PRINTF(fmt_idx, arg_idx) \
    __attribute__((format(printf, fmt_idx, arg_idx)))
#define G_GNUC_UNUSED __attribute__((unused))
#define G_GNUC_WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#define G_NORETURN _Noreturn
#define QEMU_PACKED __attribute__((packed))
#define QEMU_FALLTHROUGH __attribute__((fallthrough))
#define QEMU_ALWAYS_INLINE __attribute__((always_inline))

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Compile-time assertion usable at file and block scope */
#define QEMU_BUILD_BUG_ON(x) _Static_assert(!(x), "not expecting: " #x)

/*
 * Spelled exactly like glibc's <sys/param.h> so that including both is a
 * legal identical redefinition rather than a warning.
 */
#ifndef MIN
#define MIN(a,b) (((a)<(b))?(a):(b))
#endif
#ifndef MAX
#define MAX(a,b) (((a)>(b))?(a):(b))
#endif
/* The smaller of a and b, where 0 means "no limit" */
#define MIN_NON_ZERO(a, b) \
    ((a) == 0 ? (b) : ((b) == 0 ? (a) : MIN(a, b)))

#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))

/* Binary size units (int64_t), as in QEMU's units.h */
#define KiB (INT64_C(1) << 10)
#define MiB (INT64_C(1) << 20)
#define GiB (INT64_C(1) << 30)
#define TiB (INT64_C(1) << 40)
#define PiB (INT64_C(1) << 50)
#define EiB (INT64_C(1) << 60)

#define BIT(nr) (1UL << (nr))
#define BIT_ULL(nr) (1ULL << (nr))

/* Alignment helpers: m may be any non-zero value */
#define QEMU_ALIGN_DOWN(n, m) ((n) / (m) * (m))
#define QEMU_ALIGN_UP(n, m) QEMU_ALIGN_DOWN((n) + (m) - 1, (m))
#define QEMU_IS_ALIGNED(n, m) (((n) % (m)) == 0)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
/* d must be a power of 2; the mask is built in the wider of both types */
#define ROUND_UP(n, d) \
    (((n) + (d) - 1) & ~((__typeof__((n) + (d)))(d) - 1))
#define ROUND_DOWN(n, d) ((n) & ~((__typeof__((n) + (d)))(d) - 1))

static inline bool is_power_of_2(uint64_t value)
{
    return value && !(value & (value - 1));
}

#ifndef container_of
#define container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))
#endif

#define g_assert(expr) assert(expr)
#define g_assert_not_reached() \
    osdep_assert_not_reached(__FILE__, __LINE__, __func__)
G_NORETURN void osdep_assert_not_reached(const char *file, int line,
                                         const char *func);

/* Memory: all of these abort() with a message when memory runs out */
void *g_malloc(size_t size);
void *g_malloc0(size_t size);
void *g_realloc(void *ptr, size_t size);
/* n * size, aborting on multiplication overflow */
void *g_malloc_n(size_t n, size_t size);
void *g_malloc0_n(size_t n, size_t size);
void *g_realloc_n(void *ptr, size_t n, size_t size);
void g_free(void *ptr);
/* These return NULL instead of aborting (sizes from untrusted input) */
void *g_try_malloc(size_t size);
void *g_try_malloc0(size_t size);
void *g_try_realloc(void *ptr, size_t size);

#define g_new(T, n) ((T *)g_malloc_n((n), sizeof(T)))
#define g_new0(T, n) ((T *)g_malloc0_n((n), sizeof(T)))
#define g_renew(T, p, n) ((T *)g_realloc_n((p), (n), sizeof(T)))

/* Strings: NULL in gives NULL out for g_strdup/g_strndup */
char *g_strdup(const char *str);
char *g_strndup(const char *str, size_t n);
char *g_strdup_printf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
char *g_strdup_vprintf(const char *fmt, va_list ap) G_GNUC_PRINTF(1, 0);
void *g_memdup2(const void *mem, size_t size);
bool g_str_has_prefix(const char *str, const char *prefix);
bool g_str_has_suffix(const char *str, const char *suffix);
/*
 * Split str at every occurrence of delimiter (at most max_tokens pieces
 * when max_tokens > 0); returns a NULL-terminated array for g_strfreev.
 */
char **g_strsplit(const char *str, const char *delimiter, int max_tokens);
void g_strfreev(char **strv);
size_t g_strv_length(char **strv);

/* Take ownership: returns *pp and clears it */
#define g_steal_pointer(pp) \
    __extension__({ __typeof__(*(pp)) osdep_stolen_ = *(pp); \
                    *(pp) = NULL; osdep_stolen_; })

/* `g_autofree char *s = ...;` frees s when it goes out of scope */
static inline void qemu_autofree(void *pp)
{
    g_free(*(void **)pp);
}
#define g_autofree __attribute__((cleanup(qemu_autofree)))

#endif /* DRYDOCK_UTIL_OSDEP_H */
