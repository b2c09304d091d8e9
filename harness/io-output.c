/*
 * Output and number formats of the qemu-io/qemu-img compatible tools.
 */
#include "io-output.h"

#include <ctype.h>

#include "util/cutils.h"

void io_fmt_size(double value, char *buf, size_t size)
{
    static const char *const units[] = {
        " KiB", " MiB", " GiB", " TiB", " PiB", " EiB",
    };
    const char *suffix = " bytes";
    char *trim;
    int i;

    for (i = 5; i >= 0; i--) {
        double unit = (double)(1ULL << (10 * (i + 1)));
        if (value >= unit) {
            value /= unit;
            suffix = units[i];
            break;
        }
    }
    snprintf(buf, size, i >= 0 ? "%.3f" : "%f", value);
    trim = strstr(buf, ".000");
    if (trim) {
        *trim = '\0';
    }
    pstrcat(buf, size, suffix);
}

void io_fmt_time(const struct timespec *t, bool fixed, char *buf, size_t size)
{
    unsigned hours = t->tv_sec / 3600;
    unsigned mins = (t->tv_sec % 3600) / 60;
    double secs = (t->tv_sec % 60) + t->tv_nsec / 1e9;

    if (fixed || hours) {
        snprintf(buf, size, "%u:%02u:%05.2f", hours, mins, secs);
    } else if (mins) {
        snprintf(buf, size, "%u:%05.2f", mins, secs);
    } else {
        snprintf(buf, size, "%05.2f sec", secs);
    }
}

void io_time_diff(struct timespec *t, const struct timespec *start,
                  const struct timespec *end)
{
    t->tv_sec = end->tv_sec - start->tv_sec;
    t->tv_nsec = end->tv_nsec - start->tv_nsec;
    if (t->tv_nsec < 0) {
        t->tv_sec--;
        t->tv_nsec += 1000000000L;
    }
}

static double io_output_rate(double value, const struct timespec *t)
{
    return value / (t->tv_sec + t->tv_nsec / 1e9);
}

static bool io_output_fixed_stats;

void io_set_fixed_stats(bool fixed)
{
    io_output_fixed_stats = fixed;
}

void io_print_report(const char *op, const struct timespec *t, int64_t offset,
                     int64_t count, int64_t total, int cnt, bool machine)
{
    char s1[64], s2[64], ts[64];

    if (io_output_fixed_stats) {
        io_fmt_size(total, s1, sizeof(s1));
        if (!machine) {
            printf("%s %" PRId64 "/%" PRId64 " bytes at offset %" PRId64 "\n",
                   op, total, count, offset);
        }
        printf("%s, X ops; XX:XX:XX.X (XXX YYY/sec and XXX ops/sec)\n", s1);
        return;
    }

    io_fmt_time(t, machine, ts, sizeof(ts));
    if (machine) {
        printf("%" PRId64 ",%d,%s,%.3f,%.3f\n", total, cnt, ts,
               io_output_rate(total, t), io_output_rate(cnt, t));
        return;
    }
    io_fmt_size(total, s1, sizeof(s1));
    io_fmt_size(io_output_rate(total, t), s2, sizeof(s2));
    printf("%s %" PRId64 "/%" PRId64 " bytes at offset %" PRId64 "\n",
           op, total, count, offset);
    printf("%s, %d ops; %s (%s/sec and %.4f ops/sec)\n",
           s1, cnt, ts, s2, io_output_rate(cnt, t));
}

void io_dump_buffer(const void *buf, int64_t offset, int64_t len)
{
    const uint8_t *p = buf;
    int64_t i, j;

    for (i = 0; i < len; i += 16) {
        int64_t n = MIN(16, len - i);

        printf("%08" PRIx64 ": ", (uint64_t)(offset + i));
        for (j = 0; j < n; j++) {
            printf(" %02x", p[i + j]);
        }
        printf("  ");
        for (j = 0; j < n; j++) {
            uint8_t c = p[i + j];
            /* qemu-io shows letters and digits only (iotest io-read-hexdump) */
            putchar(isalnum(c) ? c : '.');
        }
        putchar('\n');
    }
}

int64_t io_cvtnum(const char *s)
{
    uint64_t value;
    int ret = qemu_strtosz(s, NULL, &value);

    if (ret < 0) {
        return ret;
    }
    if (value > INT64_MAX) {
        return -ERANGE;
    }
    return value;
}

void io_print_cvtnum_err(int64_t rc, const char *arg)
{
    switch (rc) {
    case -EINVAL:
        printf("Parsing error: non-numeric argument, or extraneous/"
               "unrecognized suffix -- %s\n", arg);
        break;
    case -ERANGE:
        printf("Parsing error: argument too large -- %s\n", arg);
        break;
    default:
        printf("Parsing error: %s\n", arg);
    }
}
