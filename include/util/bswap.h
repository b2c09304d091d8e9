/*
 * Byte order: swapping, host <-> big/little endian conversion, and loads
 * and stores of 16/32/64-bit values at any (unaligned) address, with
 * QEMU's names.  On-disk formats use these to read and write header fields:
 *
 *     uint32_t magic = ldl_be_p(buf);        (bytes 0..3, big endian)
 *     stq_le_p(buf + 8, size);               (bytes 8..15, little endian)
 *     hdr.version = be32_to_cpu(hdr.version);
 *
 * Loads and stores go through memcpy, so the pointer needs no alignment
 * and the compiler turns them into single moves (plus a swap) anyway.
 */
#ifndef UTIL_BSWAP_H
#define UTIL_BSWAP_H

#include <stdint.h>
#include <string.h>

static inline uint16_t bswap16(uint16_t x)
{
    return __builtin_bswap16(x);
}

static inline uint32_t bswap32(uint32_t x)
{
    return __builtin_bswap32(x);
}

static inline uint64_t bswap64(uint64_t x)
{
    return __builtin_bswap64(x);
}

static inline void bswap16s(uint16_t *s)
{
    *s = bswap16(*s);
}

static inline void bswap32s(uint32_t *s)
{
    *s = bswap32(*s);
}

static inline void bswap64s(uint64_t *s)
{
    *s = bswap64(*s);
}

#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define BSWAP_HOST_BIG_ENDIAN 1
#define BSWAP_BE(bits, x) (x)
#define BSWAP_LE(bits, x) bswap##bits(x)
#else
#define BSWAP_HOST_BIG_ENDIAN 0
#define BSWAP_BE(bits, x) bswap##bits(x)
#define BSWAP_LE(bits, x) (x)
#endif

/*
 * cpu_to_be32(x), be32_to_cpu(x), cpu_to_le32(x), le32_to_cpu(x), ... and
 * the in-place variants cpu_to_be32s(&x), be32_to_cpus(&x), ...
 */
#define BSWAP_CONVERSIONS(endian, ENDIAN, bits)                                \
    static inline uint##bits##_t cpu_to_##endian##bits(uint##bits##_t v)       \
    {                                                                          \
        return BSWAP_##ENDIAN(bits, v);                                        \
    }                                                                          \
    static inline uint##bits##_t endian##bits##_to_cpu(uint##bits##_t v)       \
    {                                                                          \
        return BSWAP_##ENDIAN(bits, v);                                        \
    }                                                                          \
    static inline void cpu_to_##endian##bits##s(uint##bits##_t *p)             \
    {                                                                          \
        *p = BSWAP_##ENDIAN(bits, *p);                                         \
    }                                                                          \
    static inline void endian##bits##_to_cpus(uint##bits##_t *p)               \
    {                                                                          \
        *p = BSWAP_##ENDIAN(bits, *p);                                         \
    }

BSWAP_CONVERSIONS(be, BE, 16)
BSWAP_CONVERSIONS(be, BE, 32)
BSWAP_CONVERSIONS(be, BE, 64)
BSWAP_CONVERSIONS(le, LE, 16)
BSWAP_CONVERSIONS(le, LE, 32)
BSWAP_CONVERSIONS(le, LE, 64)

#undef BSWAP_CONVERSIONS

/* ---- loads and stores at any address ---- */

static inline int ldub_p(const void *ptr)
{
    return *(const uint8_t *)ptr;
}

static inline int ldsb_p(const void *ptr)
{
    return *(const int8_t *)ptr;
}

static inline void stb_p(void *ptr, uint8_t v)
{
    *(uint8_t *)ptr = v;
}

/*
 * lduw_be_p / ldsw_be_p (16 bits, zero- or sign-extended), ldl_be_p
 * (32 bits, as int like QEMU), ldq_be_p (64 bits), stw_be_p, stl_be_p,
 * stq_be_p, and the same with _le_.
 */
#define BSWAP_LOAD_STORE(endian, ENDIAN)                                       \
    static inline int lduw_##endian##_p(const void *ptr)                       \
    {                                                                          \
        uint16_t v;                                                            \
        memcpy(&v, ptr, sizeof(v));                                            \
        return BSWAP_##ENDIAN(16, v);                                          \
    }                                                                          \
    static inline int ldsw_##endian##_p(const void *ptr)                       \
    {                                                                          \
        return (int16_t)lduw_##endian##_p(ptr);                                \
    }                                                                          \
    static inline int ldl_##endian##_p(const void *ptr)                        \
    {                                                                          \
        uint32_t v;                                                            \
        memcpy(&v, ptr, sizeof(v));                                            \
        return (int)BSWAP_##ENDIAN(32, v);                                     \
    }                                                                          \
    static inline uint64_t ldq_##endian##_p(const void *ptr)                   \
    {                                                                          \
        uint64_t v;                                                            \
        memcpy(&v, ptr, sizeof(v));                                            \
        return BSWAP_##ENDIAN(64, v);                                          \
    }                                                                          \
    static inline void stw_##endian##_p(void *ptr, uint16_t v)                 \
    {                                                                          \
        v = BSWAP_##ENDIAN(16, v);                                             \
        memcpy(ptr, &v, sizeof(v));                                            \
    }                                                                          \
    static inline void stl_##endian##_p(void *ptr, uint32_t v)                 \
    {                                                                          \
        v = BSWAP_##ENDIAN(32, v);                                             \
        memcpy(ptr, &v, sizeof(v));                                            \
    }                                                                          \
    static inline void stq_##endian##_p(void *ptr, uint64_t v)                 \
    {                                                                          \
        v = BSWAP_##ENDIAN(64, v);                                             \
        memcpy(ptr, &v, sizeof(v));                                            \
    }

BSWAP_LOAD_STORE(be, BE)
BSWAP_LOAD_STORE(le, LE)

#undef BSWAP_LOAD_STORE

#endif
