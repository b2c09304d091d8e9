/*
 * error.h: rich error reporting with QEMU's Error API.
 *
 * A function that can fail takes `Error **errp` last. On failure it sets
 * *errp with error_setg() (and usually also returns -errno / false / NULL).
 * Callers choose what happens:
 *   NULL           ignore the error
 *   &local_err     receive it (then error_propagate() or error_free() it)
 *   &error_abort   print the message and its origin, then abort()
 *   &error_fatal   print the message, then exit(1)
 *   &error_warn    print the message as a warning and carry on
 *
 * Setting an error where one is already set is a programming error and
 * asserts, as in QEMU.
 */
#ifndef DRYDOCK_UTIL_ERROR_H
#define DRYDOCK_UTIL_ERROR_H

#include "util/osdep.h"

typedef struct Error Error;

extern Error *error_abort;
extern Error *error_fatal;
extern Error *error_warn;

/* Use the macros below; these record the caller's location */
void error_setg_internal(Error **errp, const char *src, int line,
                         const char *func, const char *fmt, ...)
    G_GNUC_PRINTF(5, 6);
void error_setg_errno_internal(Error **errp, const char *src, int line,
                               const char *func, int os_errno,
                               const char *fmt, ...) G_GNUC_PRINTF(6, 7);
void error_setg_file_open_internal(Error **errp, const char *src, int line,
                                   const char *func, int os_errno,
                                   const char *filename);

#define error_setg(errp, fmt, ...) \
    error_setg_internal((errp), __FILE__, __LINE__, __func__, \
                        (fmt), ##__VA_ARGS__)
/* Appends ": strerror(os_errno)"; os_errno may be given negative */
#define error_setg_errno(errp, os_errno, fmt, ...) \
    error_setg_errno_internal((errp), __FILE__, __LINE__, __func__, \
                              (os_errno), (fmt), ##__VA_ARGS__)
/* "Could not open 'FILENAME': strerror(os_errno)" */
#define error_setg_file_open(errp, os_errno, filename) \
    error_setg_file_open_internal((errp), __FILE__, __LINE__, __func__, \
                                  (os_errno), (filename))

/*
 * Move local_err into *dst_errp (or act on it if dst_errp is one of the
 * special targets). local_err may be NULL (nothing happens). If
 * dst_errp is NULL, or already holds an error, local_err is freed.
 */
void error_propagate(Error **dst_errp, Error *local_err);
/* error_propagate() after prepending a formatted prefix to local_err */
void error_propagate_prepend(Error **dst_errp, Error *local_err,
                             const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Prepend to the message of *errp; no-op when errp or *errp is NULL */
void error_prepend(Error *const *errp, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);
void error_vprepend(Error *const *errp, const char *fmt, va_list ap)
    G_GNUC_PRINTF(2, 0);
/*
 * Add a hint (printed after the message by error_report_err). Not usable
 * with &error_fatal/&error_abort unless ERRP_GUARD() was used; a no-op
 * when errp is NULL.
 */
void error_append_hint(Error *const *errp, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

const char *error_get_pretty(const Error *err);
/* The hint text, or NULL (drydock addition, for tests and tools) */
const char *error_get_hint(const Error *err);
Error *error_copy(const Error *err);
void error_free(Error *err);
/* Assert that *errp is set, free it and clear *errp (for tests) */
void error_free_or_abort(Error **errp);

/* Print "<progname>: <msg>\n" (+ hint) to the report stream, free err */
void error_report_err(Error *err);
/* Same with "warning: " before the message */
void warn_report_err(Error *err);

void error_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void warn_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void info_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void error_vreport(const char *fmt, va_list ap) G_GNUC_PRINTF(1, 0);
void warn_vreport(const char *fmt, va_list ap) G_GNUC_PRINTF(1, 0);
/* Report only the first time this call site is reached */
#define error_report_once(fmt, ...) \
    __extension__({ \
        static bool error_once_done_; \
        if (!__atomic_exchange_n(&error_once_done_, true, __ATOMIC_RELAXED)) { \
            error_report(fmt, ##__VA_ARGS__); \
        } \
    })
#define warn_report_once(fmt, ...) \
    __extension__({ \
        static bool warn_once_done_; \
        if (!__atomic_exchange_n(&warn_once_done_, true, __ATOMIC_RELAXED)) { \
            warn_report(fmt, ##__VA_ARGS__); \
        } \
    })

/* Print to the report stream with no prefix and no newline added */
void error_printf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void error_vprintf(const char *fmt, va_list ap) G_GNUC_PRINTF(1, 0);

/* Sets the prefix for reports: the basename of argv0 (NULL: no prefix) */
void error_set_progname(const char *argv0);
const char *error_get_progname(void);
/*
 * drydock addition: where reports go (default stderr; NULL restores
 * stderr). Lets the harness and tests capture messages.
 */
void error_set_report_stream(FILE *stream);

/*
 * drydock addition: reports (lines and error_printf text) dropped before
 * they are formatted, for callers nobody reads (the fuzz targets); a
 * caller with costly messages to build can ask and skip them.  Errors
 * reported on their way to abort() are still printed.
 */
void error_set_reports_discarded(bool discard);
bool error_reports_discarded(void);

/*
 * ERRP_GUARD(): put at the top of a function taking `Error **errp` that
 * needs to look at *errp (e.g. `if (*errp)`) or add hints. Afterwards
 * errp is never NULL and never &error_fatal; on return, any error is
 * forwarded to the caller's original errp.
 */
typedef struct ErrorPropagator {
    Error *local_err;
    Error **errp;
} ErrorPropagator;

static inline void error_propagator_cleanup(ErrorPropagator *prop)
{
    error_propagate(prop->errp, prop->local_err);
}

#define ERRP_GUARD() \
    ErrorPropagator errp_guard_prop_ \
        __attribute__((cleanup(error_propagator_cleanup))) = \
        { .local_err = NULL, .errp = errp }; \
    do { \
        if (!errp || errp == &error_fatal) { \
            errp = &errp_guard_prop_.local_err; \
        } \
    } while (0)

#endif /* DRYDOCK_UTIL_ERROR_H */
