/*
 * Helpers of the qcow2 driver tests (qcow2_common.c): images created in
 * mem: buffers, byte pokes for hostile images, opening through a backend.
 */
#ifndef TESTS_UNIT_QCOW2_COMMON_H
#define TESTS_UNIT_QCOW2_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "block/block-backend.h"

/* A new qcow2 image "mem:@name" of @size with creation @options (or NULL) */
void qcow2_test_create(const char *name, uint64_t size, const char *options);
/* Open "mem:@name" (or a path when @name contains '/') as qcow2 */
BlockBackend *qcow2_test_open(const char *name, int flags, Error **errp);
/* Opening @name with @flags fails with an error containing @needle */
void qcow2_test_expect_open_error(const char *name, int flags,
                                  const char *needle);
/* Overwrite big-endian fields of mem image @name */
void qcow2_test_poke32(const char *name, size_t offset, uint32_t value);
void qcow2_test_poke64(const char *name, size_t offset, uint64_t value);
void qcow2_test_poke(const char *name, size_t offset, const void *data,
                     size_t len);
uint64_t qcow2_test_peek64(const char *name, size_t offset);
/* Fill @buf with a pattern depending on @seed */
void qcow2_test_pattern(uint8_t *buf, size_t len, int seed);

/* Copy mem image @name to file @path and back; a shell command's status */
void qcow2_test_save(const char *name, const char *path);
void qcow2_test_load(const char *path, const char *name);
int qcow2_test_sh(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/*
 * Group fixtures of suites that compare with qemu-img: the reference
 * tools required, a temporary directory "drydock-@prefix-*" made / removed
 */
int qcow2_test_interop_setup(void **state, const char *prefix);
int qcow2_test_interop_teardown(void **state);
/* bdrv_check of @name opened with @flags; its return value */
int qcow2_test_check(const char *name, int flags, BdrvCheckMode fix,
                     BdrvCheckResult *res);

#endif
