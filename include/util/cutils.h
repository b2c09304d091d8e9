/*
 * cutils.h: string and number helpers (QEMU's cutils).
 *
 * Number parsers return 0 or a negative errno and never accept silent
 * garbage: with end == NULL the whole string must be consumed, otherwise
 * *end is set just past the number (to the input on -EINVAL).
 * -EINVAL: no number (or trailing garbage); -ERANGE: out of range (the
 * signed parsers then clamp *result to the nearest limit).
 */
#ifndef DRYDOCK_UTIL_CUTILS_H
#define DRYDOCK_UTIL_CUTILS_H

#include "util/osdep.h"

typedef struct Error Error;

/* Copy at most buf_size - 1 bytes and always NUL-terminate */
void pstrcpy(char *buf, int buf_size, const char *str);
/* Append within buf_size (NUL-terminated); returns buf */
char *pstrcat(char *buf, int buf_size, const char *s);
/* If str starts with val, set *ptr (if non-NULL) past it and return true */
bool strstart(const char *str, const char *val, const char **ptr);
bool stristart(const char *str, const char *val, const char **ptr);
/* strlen bounded by max_len */
int qemu_strnlen(const char *s, int max_len);

int qemu_strtoi(const char *nptr, const char **endptr, int base,
                int *result);
int qemu_strtoui(const char *nptr, const char **endptr, int base,
                 unsigned int *result);
int qemu_strtol(const char *nptr, const char **endptr, int base,
                long *result);
int qemu_strtoul(const char *nptr, const char **endptr, int base,
                 unsigned long *result);
int qemu_strtoi64(const char *nptr, const char **endptr, int base,
                  int64_t *result);
/*
 * Deviation from QEMU: a leading '-' is rejected with -ERANGE (QEMU, like
 * strtoull, wraps "-1" to UINT64_MAX).
 */
int qemu_strtou64(const char *nptr, const char **endptr, int base,
                  uint64_t *result);

/*
 * Sizes: a decimal number (optionally with a fraction, which then needs a
 * suffix other than B) or a hex integer, then an optional suffix
 * B/K/M/G/T/P/E (case-insensitive, powers of 1024). The fraction is
 * truncated to whole bytes. Negative numbers are -EINVAL; values above
 * UINT64_MAX are -ERANGE. qemu_strtosz assumes bytes without a suffix,
 * qemu_strtosz_MiB assumes MiB.
 */
int qemu_strtosz(const char *nptr, const char **end, uint64_t *result);
int qemu_strtosz_MiB(const char *nptr, const char **end, uint64_t *result);

/* "on"/"yes"/"true"/"y" and "off"/"no"/"false"/"n"; Error names `name` */
bool qapi_bool_parse(const char *name, const char *value, bool *obj,
                     Error **errp);

/*
 * Human-readable size like qemu-img/qemu-io print it: three significant
 * digits and a binary unit, e.g. "999 B", "0.977 KiB", "128 KiB",
 * "1.5 GiB". g_free the result.
 */
char *size_to_str(uint64_t val);

/* fdatasync(fd); returns 0 or -errno (errno is also left set) */
int qemu_fdatasync(int fd);

/* Absolute: starts with '/' after an optional "protocol:" prefix */
bool path_is_absolute(const char *path);
/*
 * filename resolved relative to the directory of base_path (a protocol
 * prefix of base_path is kept); absolute filenames are returned as-is.
 * g_free the result.
 */
char *path_combine(const char *base_path, const char *filename);

#endif /* DRYDOCK_UTIL_CUTILS_H */
