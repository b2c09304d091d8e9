/*
 * The table of registered drivers: lookup by format name or filename
 * prefix, and format probing by score.  The built-in drivers are listed in
 * block/drivers/registry.c (explicitly: a static archive would drop a
 * driver that registers itself from a constructor nobody references).
 */
#include "core.h"
#include "util/cutils.h"

#define DRIVER_TABLE_MAX 64

static BlockDriver *driver_table[DRIVER_TABLE_MAX];
static int driver_table_len;

void bdrv_register(BlockDriver *bdrv)
{
    GLOBAL_STATE_CODE();
    assert(bdrv->format_name);
    for (int i = 0; i < driver_table_len; i++) {
        if (driver_table[i] == bdrv) {
            return;
        }
    }
    assert(driver_table_len < DRIVER_TABLE_MAX);
    driver_table[driver_table_len++] = bdrv;
}

void bdrv_init(void)
{
    static bool initialised;

    if (initialised) {
        return;
    }
    qemu_init_main_loop(&error_abort);
    GLOBAL_STATE_CODE();
    initialised = true;
    bdrv_register_builtin_drivers();
}

BlockDriver *bdrv_find_format(const char *format_name)
{
    GLOBAL_STATE_CODE();
    for (int i = 0; i < driver_table_len; i++) {
        if (!strcmp(driver_table[i]->format_name, format_name)) {
            return driver_table[i];
        }
    }
    return NULL;
}

/* The "prefix" of "prefix:rest", if the filename has one before any '/' */
static size_t driver_table_prefix_len(const char *filename)
{
    const char *colon = strchr(filename, ':');
    const char *slash = strchr(filename, '/');

    if (!colon || colon == filename || (slash && slash < colon)) {
        return 0;
    }
    return colon - filename;
}

bool driver_table_has_protocol_prefix(const char *filename)
{
    return driver_table_prefix_len(filename) > 0;
}

BlockDriver *bdrv_find_protocol(const char *filename,
                                bool allow_protocol_prefix, Error **errp)
{
    size_t len;

    GLOBAL_STATE_CODE();
    len = driver_table_prefix_len(filename);
    if (!len || !allow_protocol_prefix) {
        return bdrv_find_format("file");
    }
    for (int i = 0; i < driver_table_len; i++) {
        const char *proto = driver_table[i]->protocol_name;
        if (proto && strlen(proto) == len && !strncmp(proto, filename, len)) {
            return driver_table[i];
        }
    }
    error_setg(errp, "Unknown protocol '%.*s'", (int)len, filename);
    return NULL;
}

static int driver_table_cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void bdrv_iterate_format(void (*it)(void *opaque, const char *name),
                         void *opaque, bool read_only)
{
    const char *names[DRIVER_TABLE_MAX];
    int n = 0;

    GLOBAL_STATE_CODE();
    for (int i = 0; i < driver_table_len; i++) {
        const char *name = driver_table[i]->format_name;
        bool seen = false;
        for (int j = 0; j < n; j++) {
            seen |= !strcmp(names[j], name);
        }
        if (!seen) {
            names[n++] = name;
        }
    }
    qsort(names, n, sizeof(names[0]), driver_table_cmp_names);
    for (int i = 0; i < n; i++) {
        it(opaque, names[i]);
    }
}

BlockDriver *bdrv_probe_format(const uint8_t *buf, int buf_size,
                               const char *filename)
{
    BlockDriver *best = NULL;
    int best_score = 0;

    for (int i = 0; i < driver_table_len; i++) {
        BlockDriver *drv = driver_table[i];
        if (drv->bdrv_probe) {
            int score = drv->bdrv_probe(buf, buf_size, filename);
            if (score > best_score) {
                best_score = score;
                best = drv;
            }
        }
    }
    return best;
}
