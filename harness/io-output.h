/*
 * Output and number formats shared by drydock-io, drydock-img and the
 * scenario language: the texts qemu-io and qemu-img print (sizes, the
 * statistics line, hex dumps) and their argument parsers.
 */
#ifndef HARNESS_IO_OUTPUT_H
#define HARNESS_IO_OUTPUT_H

#include "util/osdep.h"

/*
 * A size as qemu-io prints it: "512 bytes", "1.500 KiB", "128 KiB" (three
 * decimals for binary units, six for bytes, ".000..." dropped).
 */
void io_fmt_size(double value, char *buf, size_t size);

/* An elapsed time: "SS.ss sec" (or M:SS.ss, H:MM:SS.ss); fixed: H:MM:SS.ss */
void io_fmt_time(const struct timespec *t, bool fixed, char *buf,
                 size_t size);

/* t = end - start */
void io_time_diff(struct timespec *t, const struct timespec *start,
                  const struct timespec *end);

/*
 * "<op> TOTAL/COUNT bytes at offset OFF" and the statistics line; with
 * machine set, the -C line "bytes,ops,time,bytes/sec,ops/sec".
 */
void io_print_report(const char *op, const struct timespec *t, int64_t offset,
                     int64_t count, int64_t total, int cnt, bool machine);

/*
 * Seeded scenario runs: the statistics line prints the iotests filter's
 * placeholder ("X ops; XX:XX:XX.X (XXX YYY/sec and XXX ops/sec)") instead
 * of real timings, so output is byte-identical run after run
 */
void io_set_fixed_stats(bool fixed);

/* Hex and ASCII dump of @buf, 16 bytes a line, addresses from @offset */
void io_dump_buffer(const void *buf, int64_t offset, int64_t len);

/*
 * A byte count with an optional suffix (k, M, G, ...), no negative
 * numbers: the value, or -EINVAL / -ERANGE.
 */
int64_t io_cvtnum(const char *s);
/* "Parsing error: ..." for a failed io_cvtnum on stdout */
void io_print_cvtnum_err(int64_t rc, const char *arg);

#endif
