/*
 * Shared by the fuzz targets: a byte reader under which every input is a
 * valid program, one-time library set-up, and the checks every target runs
 * after each step and at the end of each input.
 *
 * Decoding rules (docs/fuzzing.md): a reader never fails; past the end of
 * the input every read returns 0, and a value is reduced into its range by
 * modulo, so any byte string decodes to a program and a mutated byte only
 * changes the operation or argument it encodes.
 */
#ifndef FUZZ_FUZZ_COMMON_H
#define FUZZ_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "block/block-int.h"

typedef struct FuzzInput {
    const uint8_t *data;
    size_t len;
    size_t pos;
} FuzzInput;

static inline void fuzz_input_init(FuzzInput *in, const uint8_t *data,
                                   size_t len)
{
    in->data = data;
    in->len = len;
    in->pos = 0;
}

static inline bool fuzz_input_done(const FuzzInput *in)
{
    return in->pos >= in->len;
}

static inline uint8_t fuzz_u8(FuzzInput *in)
{
    return in->pos < in->len ? in->data[in->pos++] : 0;
}

static inline uint16_t fuzz_u16(FuzzInput *in)
{
    uint16_t lo = fuzz_u8(in);
    return (uint16_t)(lo | (fuzz_u8(in) << 8));
}

static inline uint32_t fuzz_u32(FuzzInput *in)
{
    uint32_t lo = fuzz_u16(in);
    return lo | ((uint32_t)fuzz_u16(in) << 16);
}

/* A value in [0, n) (0 when n is 0) from one byte, or two when n > 256 */
static inline uint32_t fuzz_below(FuzzInput *in, uint32_t n)
{
    if (n == 0) {
        return 0;
    }
    return (n <= 256 ? fuzz_u8(in) : fuzz_u16(in)) % n;
}

/* FUZZ_TRACE=1 in the environment: targets print their steps */
extern bool fuzz_trace;
/* True in the replay main (full ASan allocation stacks), see fuzz-common.c */
extern bool fuzz_replay_main;

/* Register the drivers (the test driver too); idempotent */
void fuzz_init(void);

/* Print "fuzz: <target>: <message>" and abort(): a finding */
void fuzz_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* The graph invariant checker; abort() with its message on a violation */
void fuzz_check_graph(const char *step);

/* Every node created by this input is gone: abort() otherwise */
void fuzz_check_nodes(int before, const char *target);

/* Run the main loop until *done or nothing is left to dispatch */
void fuzz_poll_until(const bool *done, int limit);

#endif /* FUZZ_FUZZ_COMMON_H */
