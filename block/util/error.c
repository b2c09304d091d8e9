/*
 * Error objects and message reporting (see include/util/error.h).
 */
#include "util/error.h"

struct Error {
    char *msg;
    char *hint;          /* NULL or text printed after the message */
    const char *src;     /* where the error was created */
    const char *func;
    int line;
};

/*
 * The three special targets are compared by address only; their values
 * stay NULL forever.
 */
Error *error_abort;
Error *error_fatal;
Error *error_warn;

static char error_progname[256];
static FILE *error_stream;
static bool error_discarding;

static FILE *error_out(void)
{
    return error_stream ? error_stream : stderr;
}

void error_set_report_stream(FILE *stream)
{
    error_stream = stream;
}

void error_set_reports_discarded(bool discard)
{
    error_discarding = discard;
}

bool error_reports_discarded(void)
{
    return error_discarding;
}

void error_set_progname(const char *argv0)
{
    const char *base;

    if (!argv0) {
        error_progname[0] = '\0';
        return;
    }
    base = strrchr(argv0, '/');
    base = base ? base + 1 : argv0;
    snprintf(error_progname, sizeof(error_progname), "%s", base);
}

const char *error_get_progname(void)
{
    return error_progname[0] ? error_progname : NULL;
}

/* One message line: "<progname>: <kind><text>\n", written atomically */
static void error_print_line(const char *kind, const char *fmt, va_list ap)
{
    FILE *out = error_out();

    if (error_discarding) {
        return;
    }
    flockfile(out);
    if (error_progname[0]) {
        fprintf(out, "%s: ", error_progname);
    }
    fputs(kind, out);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    funlockfile(out);
    fflush(out);
}

void error_vreport(const char *fmt, va_list ap)
{
    error_print_line("", fmt, ap);
}

void warn_vreport(const char *fmt, va_list ap)
{
    error_print_line("warning: ", fmt, ap);
}

void error_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vreport(fmt, ap);
    va_end(ap);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    warn_vreport(fmt, ap);
    va_end(ap);
}

void info_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_print_line("", fmt, ap);
    va_end(ap);
}

void error_vprintf(const char *fmt, va_list ap)
{
    if (error_discarding) {
        return;
    }
    vfprintf(error_out(), fmt, ap);
    fflush(error_out());
}

void error_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vprintf(fmt, ap);
    va_end(ap);
}

static void error_print_err(const char *kind, const Error *err)
{
    FILE *out = error_out();

    flockfile(out);
    if (error_progname[0]) {
        fprintf(out, "%s: ", error_progname);
    }
    fprintf(out, "%s%s\n", kind, err->msg);
    if (err->hint) {
        fputs(err->hint, out);
    }
    funlockfile(out);
    fflush(out);
}

void error_report_err(Error *err)
{
    error_print_err("", err);
    error_free(err);
}

void warn_report_err(Error *err)
{
    error_print_err("warning: ", err);
    error_free(err);
}

/*
 * Deliver a freshly created or propagated error to errp, handling the
 * special targets. Takes ownership of err.
 */
static void error_deliver(Error **errp, Error *err)
{
    if (errp == &error_abort) {
        fprintf(error_out(), "Unexpected error in %s() at %s:%d:\n",
                err->func, err->src, err->line);
        error_print_err("", err);
        abort();
    }
    if (errp == &error_fatal) {
        error_report_err(err);
        exit(1);
    }
    if (errp == &error_warn) {
        warn_report_err(err);
        return;
    }
    if (!errp) {
        error_free(err);
        return;
    }
    /* Overwriting an error would silently lose it: a caller bug */
    assert(*errp == NULL);
    *errp = err;
}

/*
 * A message that fits ERROR_INLINE_MSG bytes lives in the Error's own
 * allocation: an error is one allocation instead of three (the message,
 * vasprintf's growth of it, the Error), and a refused open makes several
 */
#define ERROR_INLINE_MSG 256

static bool error_msg_is_inline(const Error *err)
{
    return err->msg == (const char *)(err + 1);
}

static void error_free_msg(Error *err)
{
    if (!error_msg_is_inline(err)) {
        g_free(err->msg);
    }
}

/* @msg, then ": " and @suffix if any, as a new Error's message */
static Error *error_new_msg(const char *msg, size_t len, const char *suffix)
{
    size_t slen = suffix ? strlen(suffix) + 2 : 0;
    Error *err = g_malloc0(sizeof(*err) + len + slen + 1);

    err->msg = (char *)(err + 1);
    memcpy(err->msg, msg, len);
    if (suffix) {
        memcpy(err->msg + len, ": ", 2);
        memcpy(err->msg + len + 2, suffix, slen - 2);
    }
    err->msg[len + slen] = '\0';
    return err;
}

static void error_setv(Error **errp, const char *src, int line,
                       const char *func, const char *suffix,
                       const char *fmt, va_list ap)
{
    char buf[ERROR_INLINE_MSG];
    Error *err;
    va_list copy;
    int len;

    if (!errp) {
        return;
    }
    assert(errp == &error_abort || errp == &error_fatal ||
           errp == &error_warn || *errp == NULL);

    va_copy(copy, ap);
    len = vsnprintf(buf, sizeof(buf), fmt, copy);
    va_end(copy);
    assert(len >= 0);
    if ((size_t)len < sizeof(buf)) {
        err = error_new_msg(buf, len, suffix);
    } else {
        char *msg = g_strdup_vprintf(fmt, ap);

        err = error_new_msg(msg, len, suffix);
        g_free(msg);
    }
    err->src = src;
    err->line = line;
    err->func = func;
    error_deliver(errp, err);
}

void error_setg_internal(Error **errp, const char *src, int line,
                         const char *func, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_setv(errp, src, line, func, NULL, fmt, ap);
    va_end(ap);
}

void error_setg_errno_internal(Error **errp, const char *src, int line,
                               const char *func, int os_errno,
                               const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    int saved_errno = errno;

    /* Callers often have -errno at hand; accept either sign */
    if (os_errno < 0) {
        os_errno = -os_errno;
    }
    va_start(ap, fmt);
    error_setv(errp, src, line, func,
               os_errno ? strerror_r(os_errno, buf, sizeof(buf)) : NULL,
               fmt, ap);
    va_end(ap);
    errno = saved_errno;
}

void error_setg_file_open_internal(Error **errp, const char *src, int line,
                                   const char *func, int os_errno,
                                   const char *filename)
{
    error_setg_errno_internal(errp, src, line, func, os_errno,
                              "Could not open '%s'", filename);
}

void error_vprepend(Error *const *errp, const char *fmt, va_list ap)
{
    Error *err;
    char *prefix, *msg;

    if (!errp || !*errp) {
        return;
    }
    err = *errp;
    prefix = g_strdup_vprintf(fmt, ap);
    msg = g_strdup_printf("%s%s", prefix, err->msg);
    g_free(prefix);
    error_free_msg(err);
    err->msg = msg;
}

void error_prepend(Error *const *errp, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vprepend(errp, fmt, ap);
    va_end(ap);
}

void error_append_hint(Error *const *errp, const char *fmt, ...)
{
    va_list ap;
    char *more, *hint;

    /* Hints on &error_fatal/&error_abort would be lost: use ERRP_GUARD() */
    assert(errp != &error_fatal && errp != &error_abort);
    if (!errp || !*errp) {
        return;
    }
    va_start(ap, fmt);
    more = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if ((*errp)->hint) {
        hint = g_strdup_printf("%s%s", (*errp)->hint, more);
        g_free(more);
        g_free((*errp)->hint);
    } else {
        hint = more;
    }
    (*errp)->hint = hint;
}

void error_propagate(Error **dst_errp, Error *local_err)
{
    if (!local_err) {
        return;
    }
    if (dst_errp && dst_errp != &error_abort && dst_errp != &error_fatal &&
        dst_errp != &error_warn && *dst_errp) {
        /* The first error wins; the later one is dropped */
        error_free(local_err);
        return;
    }
    error_deliver(dst_errp, local_err);
}

void error_propagate_prepend(Error **dst_errp, Error *local_err,
                             const char *fmt, ...)
{
    va_list ap;

    if (!local_err) {
        return;
    }
    /* Skip the formatting when the error is going to be dropped anyway */
    if (dst_errp && (dst_errp == &error_abort || dst_errp == &error_fatal ||
                     dst_errp == &error_warn || !*dst_errp)) {
        va_start(ap, fmt);
        error_vprepend(&local_err, fmt, ap);
        va_end(ap);
    }
    error_propagate(dst_errp, local_err);
}

const char *error_get_pretty(const Error *err)
{
    return err->msg;
}

const char *error_get_hint(const Error *err)
{
    return err->hint;
}

Error *error_copy(const Error *err)
{
    Error *copy = g_new0(Error, 1);

    copy->msg = g_strdup(err->msg);
    copy->hint = g_strdup(err->hint);
    copy->src = err->src;
    copy->func = err->func;
    copy->line = err->line;
    return copy;
}

void error_free(Error *err)
{
    if (err) {
        error_free_msg(err);
        g_free(err->hint);
        g_free(err);
    }
}

void error_free_or_abort(Error **errp)
{
    assert(errp && *errp);
    error_free(*errp);
    *errp = NULL;
}
