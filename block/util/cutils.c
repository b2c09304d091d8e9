/*
 * String and number helpers (see include/util/cutils.h).
 */
#include <ctype.h>

#include "util/cutils.h"
#include "util/error.h"

void pstrcpy(char *buf, int buf_size, const char *str)
{
    int n;

    if (buf_size <= 0) {
        return;
    }
    n = strnlen(str, buf_size - 1);
    memcpy(buf, str, n);
    buf[n] = '\0';
}

char *pstrcat(char *buf, int buf_size, const char *s)
{
    int len = qemu_strnlen(buf, buf_size);

    if (len < buf_size) {
        pstrcpy(buf + len, buf_size - len, s);
    }
    return buf;
}

bool strstart(const char *str, const char *val, const char **ptr)
{
    size_t n = strlen(val);

    if (strncmp(str, val, n)) {
        return false;
    }
    if (ptr) {
        *ptr = str + n;
    }
    return true;
}

bool stristart(const char *str, const char *val, const char **ptr)
{
    size_t n = strlen(val);

    if (strncasecmp(str, val, n)) {
        return false;
    }
    if (ptr) {
        *ptr = str + n;
    }
    return true;
}

int qemu_strnlen(const char *s, int max_len)
{
    return max_len > 0 ? (int)strnlen(s, max_len) : 0;
}

/*
 * Common tail of the strto* wrappers: ep is where conversion stopped.
 * No digits is -EINVAL; without endptr, leftovers are -EINVAL too.
 */
static int cutils_strto_end(const char *nptr, const char *ep,
                            const char **endptr, int saved_errno)
{
    if (ep == nptr) {
        if (endptr) {
            *endptr = nptr;
        }
        return -EINVAL;
    }
    if (endptr) {
        *endptr = ep;
    } else if (*ep) {
        return -EINVAL;
    }
    return saved_errno == ERANGE ? -ERANGE : 0;
}

int qemu_strtoi64(const char *nptr, const char **endptr, int base,
                  int64_t *result)
{
    char *ep;
    long long v;
    int ret;

    if (!nptr) {
        if (endptr) {
            *endptr = NULL;
        }
        return -EINVAL;
    }
    errno = 0;
    v = strtoll(nptr, &ep, base);
    ret = cutils_strto_end(nptr, ep, endptr, errno);
    if (ret != -EINVAL) {
        /* strtoll already clamps to the limits on overflow */
        *result = v;
    }
    return ret;
}

int qemu_strtou64(const char *nptr, const char **endptr, int base,
                  uint64_t *result)
{
    const char *p = nptr;
    unsigned long long v;
    char *ep;
    int ret;

    if (!nptr) {
        if (endptr) {
            *endptr = NULL;
        }
        return -EINVAL;
    }
    while (isspace((unsigned char)*p)) {
        p++;
    }
    errno = 0;
    v = strtoull(nptr, &ep, base);
    ret = cutils_strto_end(nptr, ep, endptr, errno);
    if (ret == -EINVAL) {
        return ret;
    }
    /* strtoull would wrap "-1" to UINT64_MAX: refuse negative values */
    if (*p == '-' && v != 0) {
        *result = 0;
        return -ERANGE;
    }
    *result = ret == -ERANGE ? UINT64_MAX : v;
    return ret;
}

int qemu_strtoi(const char *nptr, const char **endptr, int base,
                int *result)
{
    int64_t v;
    int ret = qemu_strtoi64(nptr, endptr, base, &v);

    if (ret == -EINVAL) {
        return ret;
    }
    if (v > INT_MAX) {
        *result = INT_MAX;
        return -ERANGE;
    }
    if (v < INT_MIN) {
        *result = INT_MIN;
        return -ERANGE;
    }
    *result = v;
    return ret;
}

int qemu_strtoui(const char *nptr, const char **endptr, int base,
                 unsigned int *result)
{
    uint64_t v;
    int ret = qemu_strtou64(nptr, endptr, base, &v);

    if (ret == -EINVAL) {
        return ret;
    }
    if (v > UINT_MAX) {
        *result = UINT_MAX;
        return -ERANGE;
    }
    *result = v;
    return ret;
}

int qemu_strtol(const char *nptr, const char **endptr, int base,
                long *result)
{
    int64_t v;
    int ret;

    QEMU_BUILD_BUG_ON(sizeof(long) != sizeof(int64_t));
    ret = qemu_strtoi64(nptr, endptr, base, &v);
    if (ret != -EINVAL) {
        *result = v;
    }
    return ret;
}

int qemu_strtoul(const char *nptr, const char **endptr, int base,
                 unsigned long *result)
{
    uint64_t v;
    int ret = qemu_strtou64(nptr, endptr, base, &v);

    if (ret != -EINVAL) {
        *result = v;
    }
    return ret;
}

static uint64_t cutils_suffix_unit(char c)
{
    static const char units[] = "BKMGTPE";
    const char *p = c ? strchr(units, toupper((unsigned char)c)) : NULL;

    return p ? (uint64_t)1 << (10 * (p - units)) : 0;
}

/*
 * floor(0.<digits> * unit) for a fraction given as decimal digits; digits
 * beyond the 19th are below a byte for any unit we use and are ignored.
 */
static uint64_t cutils_fraction_bytes(const char *digits, size_t n,
                                      uint64_t unit)
{
    unsigned __int128 num = 0, den = 1;

    for (size_t i = 0; i < n && i < 19; i++) {
        num = num * 10 + (digits[i] - '0');
        den *= 10;
    }
    return (uint64_t)(num * unit / den);
}

static int cutils_strtosz(const char *nptr, const char **end,
                          uint64_t *result, uint64_t default_unit)
{
    const char *p = nptr, *frac = NULL;
    size_t frac_len = 0;
    uint64_t integral, unit, total, extra = 0;
    int ret;

    while (isspace((unsigned char)*p)) {
        p++;
    }
    if (*p == '-' || *p == '+') {
        ret = -EINVAL;
        goto fail;
    }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        ret = qemu_strtou64(p, &p, 16, &integral);
        if (ret < 0 || *p == '.') {
            ret = ret < 0 ? ret : -EINVAL;
            goto fail;
        }
    } else {
        if (!isdigit((unsigned char)*p)) {
            ret = -EINVAL;
            goto fail;
        }
        ret = qemu_strtou64(p, &p, 10, &integral);
        if (ret < 0) {
            goto fail;
        }
        if (*p == '.') {
            frac = ++p;
            while (isdigit((unsigned char)*p)) {
                p++;
            }
            frac_len = p - frac;
            if (!frac_len) {
                ret = -EINVAL;
                goto fail;
            }
        }
    }
    unit = cutils_suffix_unit(*p);
    if (unit) {
        p++;
    } else {
        unit = default_unit;
    }
    if (frac) {
        /* Fractions of a byte make no sense, "1.0" is still fine */
        extra = cutils_fraction_bytes(frac, frac_len, unit);
        if (unit == 1 && strspn(frac, "0") < frac_len) {
            ret = -EINVAL;
            goto fail;
        }
    }
    if (end) {
        *end = p;
    } else if (*p) {
        ret = -EINVAL;
        goto fail;
    }
    if (__builtin_mul_overflow(integral, unit, &total) ||
        __builtin_add_overflow(total, extra, &total)) {
        *result = 0;
        return -ERANGE;
    }
    *result = total;
    return 0;

fail:
    if (end) {
        *end = nptr;
    }
    *result = 0;
    return ret;
}

int qemu_strtosz(const char *nptr, const char **end, uint64_t *result)
{
    return cutils_strtosz(nptr, end, result, 1);
}

int qemu_strtosz_MiB(const char *nptr, const char **end, uint64_t *result)
{
    return cutils_strtosz(nptr, end, result, 1 << 20);
}

bool qapi_bool_parse(const char *name, const char *value, bool *obj,
                     Error **errp)
{
    static const char *const yes[] = { "on", "yes", "true", "y" };
    static const char *const no[] = { "off", "no", "false", "n" };

    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (!strcmp(value, yes[i])) {
            *obj = true;
            return true;
        }
        if (!strcmp(value, no[i])) {
            *obj = false;
            return true;
        }
    }
    error_setg(errp, "Parameter '%s' expects 'on' or 'off', got '%s'",
               name, value);
    return false;
}

char *size_to_str(uint64_t val)
{
    static const char *const units[] = {
        "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
    };
    int i = 0;

    /*
     * Use the largest unit in which the value is at least 1000 of the
     * next smaller unit, so that at most three digits precede the point.
     */
    while (i < 6 && val >= (uint64_t)1000 << (10 * i)) {
        i++;
    }
    return g_strdup_printf("%0.3g %s", (double)val / ((uint64_t)1 << (10 * i)),
                           units[i]);
}

int qemu_fdatasync(int fd)
{
    if (fdatasync(fd) < 0) {
        return -errno;
    }
    return 0;
}

/* Length of a "protocol:" prefix (a ':' before any '/'), or 0 */
static size_t cutils_protocol_len(const char *path)
{
    size_t n = strcspn(path, ":/");

    return path[n] == ':' ? n + 1 : 0;
}

bool path_is_absolute(const char *path)
{
    return path[cutils_protocol_len(path)] == '/';
}

char *path_combine(const char *base_path, const char *filename)
{
    const char *dir_start = base_path + cutils_protocol_len(base_path);
    const char *slash;
    size_t dir_len;

    if (path_is_absolute(filename)) {
        return g_strdup(filename);
    }
    /* Keep the protocol prefix and everything up to the last '/' */
    slash = strrchr(dir_start, '/');
    dir_len = slash ? (size_t)(slash + 1 - base_path)
                    : (size_t)(dir_start - base_path);
    return g_strdup_printf("%.*s%s", (int)dir_len, base_path, filename);
}
