/*
 * "chainfmt": a tiny format for the backing-chain tests whose header (the
 * first CHAIN_HDR bytes of its file) records a backing file name and
 * format, so that chains and loops can be written to disk and opened the
 * way a real format's are.  The code is in chain_format.c (linked into
 * every unit test, like test_common.c).
 */
#ifndef TESTS_UNIT_CHAIN_FORMAT_H
#define TESTS_UNIT_CHAIN_FORMAT_H

#include "block/driver.h"

#define CHAIN_HDR 512

extern BlockDriver chain_format_drv;
/* Register the driver once (idempotent) */
void chain_format_register(void);
/* Write a chainfmt image @path of @size data bytes naming @backing
 * (NULL: none) with format "chainfmt" */
void chain_format_create(const char *path, const char *backing,
                         int64_t size);
/* The backing file name the header of @path records ("" when none) */
char *chain_format_read_backing(const char *path);
/* Open @path as chainfmt (node name @name, may be NULL) */
BlockDriverState *chain_format_open(const char *path, const char *name,
                                    int flags, Error **errp);

#endif
