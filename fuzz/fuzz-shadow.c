/*
 * The sparse disk shadow of the fuzz targets (see fuzz-shadow.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "fuzz-shadow.h"

#define SHADOW_PAGE 4096

struct FuzzShadowPage {
    int64_t index;
    FuzzShadowPage *next_free;
    uint8_t data[SHADOW_PAGE];
    uint8_t known[SHADOW_PAGE];
};

static FuzzShadowPage *shadow_free;

static FuzzShadowPage *shadow_page_new(void)
{
    FuzzShadowPage *p = shadow_free;

    if (p) {
        shadow_free = p->next_free;
        return p;
    }
    return g_new(FuzzShadowPage, 1);
}

static void shadow_clear(FuzzShadow *sh)
{
    for (int i = 0; i < FUZZ_SHADOW_SLOTS && sh->nb_pages; i++) {
        if (sh->slots[i]) {
            sh->slots[i]->next_free = shadow_free;
            shadow_free = sh->slots[i];
            sh->slots[i] = NULL;
            sh->nb_pages--;
        }
    }
}

void fuzz_shadow_reset(FuzzShadow *sh, uint8_t (*base)(int64_t off),
                       int64_t base_len)
{
    shadow_clear(sh);
    sh->base = base;
    sh->base_len = base_len;
    sh->all_unknown = false;
}

static uint8_t shadow_base(const FuzzShadow *sh, int64_t off)
{
    return sh->base && off < sh->base_len ? sh->base(off) : 0;
}

static int shadow_slot(const FuzzShadow *sh, int64_t index)
{
    uint64_t h = (uint64_t)index * 0x9e3779b97f4a7c15ULL;
    int i = (int)(h >> 52) % FUZZ_SHADOW_SLOTS;

    while (sh->slots[i] && sh->slots[i]->index != index) {
        i = (i + 1) % FUZZ_SHADOW_SLOTS;
    }
    return i;
}

/* The page of @index, made (from the base) if @make; NULL otherwise */
static FuzzShadowPage *shadow_page(FuzzShadow *sh, int64_t index, bool make)
{
    int i = shadow_slot(sh, index);
    FuzzShadowPage *p = sh->slots[i];

    if (p || !make) {
        return p;
    }
    if (sh->nb_pages >= FUZZ_SHADOW_SLOTS / 2) {
        /* Full: forget everything rather than guess */
        fuzz_shadow_forget_all(sh);
        i = shadow_slot(sh, index);
    }
    p = shadow_page_new();
    p->index = index;
    if (!sh->base || index * SHADOW_PAGE >= sh->base_len) {
        memset(p->data, 0, SHADOW_PAGE);
    } else {
        for (int j = 0; j < SHADOW_PAGE; j++) {
            p->data[j] = shadow_base(sh, index * SHADOW_PAGE + j);
        }
    }
    memset(p->known, !sh->all_unknown, SHADOW_PAGE);
    sh->slots[i] = p;
    sh->nb_pages++;
    return p;
}

void fuzz_shadow_set(FuzzShadow *sh, int64_t off, int64_t len,
                     const uint8_t *data)
{
    for (int64_t i = 0; i < len;) {
        FuzzShadowPage *p = shadow_page(sh, (off + i) / SHADOW_PAGE, true);
        int64_t in = (off + i) % SHADOW_PAGE;
        int64_t n = MIN(len - i, SHADOW_PAGE - in);

        if (data) {
            memcpy(p->data + in, data + i, n);
        } else {
            memset(p->data + in, 0, n);
        }
        memset(p->known + in, 1, n);
        i += n;
    }
}

void fuzz_shadow_forget(FuzzShadow *sh, int64_t off, int64_t len)
{
    for (int64_t i = 0; i < len;) {
        FuzzShadowPage *p = shadow_page(sh, (off + i) / SHADOW_PAGE, true);
        int64_t in = (off + i) % SHADOW_PAGE;
        int64_t n = MIN(len - i, SHADOW_PAGE - in);

        memset(p->known + in, 0, n);
        i += n;
    }
}

void fuzz_shadow_forget_all(FuzzShadow *sh)
{
    shadow_clear(sh);
    sh->all_unknown = true;
}

void fuzz_shadow_truncate(FuzzShadow *sh, int64_t size, int64_t old_size)
{
    /* Shrunk: what was cut reads as zeroes if the disk grows again */
    if (size < old_size) {
        fuzz_shadow_set(sh, size, old_size - size, NULL);
    }
}

void fuzz_shadow_copy(FuzzShadow *dst, const FuzzShadow *src)
{
    shadow_clear(dst);
    dst->base = src->base;
    dst->base_len = src->base_len;
    dst->all_unknown = src->all_unknown;
    for (int i = 0; i < FUZZ_SHADOW_SLOTS; i++) {
        if (src->slots[i]) {
            FuzzShadowPage *p = shadow_page_new();

            memcpy(p, src->slots[i], sizeof(*p));
            dst->slots[i] = p;
            dst->nb_pages++;
        }
    }
}

/* Check (and learn) bytes [in, in + n) of one page, or of no page */
/*
 * Does [in, in + n) of page @index read as @buf with every byte known?
 * Whole ranges at once: under -fsanitize=fuzzer every comparison of the
 * byte loop below is a call (a fifth of qcow2_ops' comparison hooks).
 */
static bool shadow_page_matches(const FuzzShadow *sh,
                                const FuzzShadowPage *p, int64_t index,
                                int in, int n, const uint8_t *buf)
{
    static const uint8_t zeroes[SHADOW_PAGE];

    if (p) {
        return !memchr(p->known + in, 0, n) &&
               !memcmp(buf, p->data + in, n);
    }
    /* Untouched and past the base: zeroes */
    return !sh->all_unknown &&
           (!sh->base || index * SHADOW_PAGE + in >= sh->base_len) &&
           !memcmp(buf, zeroes, n);
}

static void shadow_check_page(FuzzShadow *sh, int64_t index, int in, int n,
                              const uint8_t *buf, const char *what)
{
    FuzzShadowPage *p = shadow_page(sh, index, false);

    if (shadow_page_matches(sh, p, index, in, n, buf)) {
        return;
    }
    for (int j = 0; j < n; j++) {
        int64_t pos = index * SHADOW_PAGE + in + j;
        bool known = p ? p->known[in + j] : !sh->all_unknown;
        uint8_t want = p ? p->data[in + j] : shadow_base(sh, pos);

        if (known && buf[j] != want) {
            fuzz_die("shadow: %s at %" PRId64 " read 0x%02x, expected "
                     "0x%02x", what, pos, buf[j], want);
        }
        if (!known) {
            p = p ? p : shadow_page(sh, index, true);
            p->data[in + j] = buf[j];
            p->known[in + j] = 1;
        }
    }
}

void fuzz_shadow_check(FuzzShadow *sh, int64_t off, int64_t len,
                       const uint8_t *buf, const char *what)
{
    /* A page at a time: one lookup per page, not one per byte */
    for (int64_t i = 0; i < len;) {
        int in = (off + i) % SHADOW_PAGE;
        int n = MIN(len - i, SHADOW_PAGE - in);

        shadow_check_page(sh, (off + i) / SHADOW_PAGE, in, n, buf + i, what);
        i += n;
    }
}
