/*
 * A node's filename.  A node that opening a plain filename would rebuild
 * (a format over a protocol, with no option that changes what it shows)
 * is named by that filename; any other node by "json:{...}" of the options
 * that define it (QEMU's strong runtime options: the driver's
 * strong_runtime_opts, "driver", and its children's such options).
 *
 * The keys of those dicts come in QEMU's order, so that the names match
 * what qemu-img prints: QEMU's QDict iterates its 512 hash buckets in
 * order (the TDB hash of the key), newest entry first within a bucket.
 */
#include "core.h"
#include "util/qjson.h"
#include "util/cutils.h"

#define FILENAME_BUCKETS 512

static unsigned filename_bucket(const char *key)
{
    uint32_t v = 0x238F13AFu * (uint32_t)strlen(key);

    for (unsigned i = 0; key[i]; i++) {
        v += (uint32_t)(unsigned char)key[i] << (i * 5 % 24);
    }
    return (1103515243u * v + 12345u) % FILENAME_BUCKETS;
}

/* @d's entries re-inserted in QEMU's iteration order; @d is consumed */
static QDict *filename_qemu_order(QDict *d)
{
    const QDictEntry *e;
    QDict *out = qdict_new();
    size_t n = qdict_size(d), i = 0;
    const QDictEntry *small[32];
    g_autofree const QDictEntry **heap = n > ARRAY_SIZE(small) ?
                                         g_new(const QDictEntry *, n) : NULL;
    const QDictEntry **v = heap ? heap : small;

    for (e = qdict_first(d); e; e = qdict_next(d, e)) {
        v[i++] = e;
    }
    /* Insertion sort: by bucket, later insertions first within one */
    for (size_t a = 1; a < n; a++) {
        const QDictEntry *x = v[a];
        unsigned bx = filename_bucket(qdict_entry_key(x));
        size_t b = a;

        while (b > 0 && filename_bucket(qdict_entry_key(v[b - 1])) >= bx) {
            v[b] = v[b - 1];
            b--;
        }
        v[b] = x;
    }
    for (i = 0; i < n; i++) {
        qdict_move_entry(d, v[i], out, 0);
    }
    qobject_unref(d);
    return out;
}

/* Copy @bs's strong runtime options into @d; did it have any? */
static bool filename_strong_options(QDict *d, BlockDriverState *bs)
{
    const char *const *opt;
    const QDictEntry *e;
    bool found = false;

    for (opt = bs->drv->strong_runtime_opts; opt && *opt; opt++) {
        if (!bs->options) {
            break;
        }
        for (e = qdict_first(bs->options); e; e = qdict_next(bs->options, e)) {
            if (strstart(qdict_entry_key(e), *opt, NULL)) {
                qdict_put_obj(d, qdict_entry_key(e),
                              qobject_ref(qdict_entry_value(e)));
                found = true;
            }
        }
    }
    /* (drivers' names are literals) */
    qdict_put(d, "driver", qstring_from_literal(bs->drv->format_name));
    return found;
}

/*
 * Is the backing child not what the image's header names?  (Then it is
 * part of the node's identity.)  drydock's approximation of QEMU's check:
 * the user gave "backing" (a reference, options or null).
 */
static bool filename_backing_overridden(BlockDriverState *bs)
{
    const QDictEntry *e;

    if ((bs->open_flags & BDRV_O_NO_IO) || !bs->explicit_options) {
        return false;
    }
    for (e = qdict_first(bs->explicit_options); e;
         e = qdict_next(bs->explicit_options, e)) {
        const char *rest;

        if (strstart(qdict_entry_key(e), "backing", &rest) &&
            (!*rest || *rest == '.')) {
            return true;
        }
    }
    return false;
}

/* bs->full_open_options; true if the name must be "json:{...}" */
static bool filename_full_options(BlockDriverState *bs)
{
    bool overridden = filename_backing_overridden(bs);
    QDict *opts = qdict_new();
    bool json = filename_strong_options(opts, bs) || overridden;
    BdrvChild *c;

    QLIST_FOREACH(c, &bs->children, next) {
        if (c == bs->backing && !overridden) {
            continue;
        }
        if (c->bs->full_open_options) {
            qdict_put_obj(opts, c->name,
                          qobject_ref(QOBJECT(c->bs->full_open_options)));
        }
    }
    if (overridden && !bs->backing) {
        qdict_put_null(opts, "backing");
    }
    qobject_unref(bs->full_open_options);
    bs->full_open_options = filename_qemu_order(opts);
    return json;
}

void bdrv_refresh_filename(BlockDriverState *bs)
{
    BlockDriverState *primary;
    BdrvChild *c;
    bool json;

    GLOBAL_STATE_CODE();
    if (!bs->drv) {
        return;
    }
    QLIST_FOREACH(c, &bs->children, next) {
        bdrv_refresh_filename(c->bs);
    }
    json = filename_full_options(bs);
    primary = bdrv_primary_child(bs) ? bdrv_primary_child(bs)->bs : NULL;
    if (bs->drv->bdrv_refresh_filename) {
        bs->exact_filename[0] = '\0';
        bs->drv->bdrv_refresh_filename(bs);
    } else if (primary) {
        /* Only a format directly over a protocol can be probed back */
        bs->exact_filename[0] = '\0';
        if (primary->exact_filename[0] && primary->drv &&
            primary->drv->protocol_name && !bs->drv->is_filter && !json) {
            pstrcpy(bs->exact_filename, sizeof(bs->exact_filename),
                    primary->exact_filename);
        }
    } else if (!bs->exact_filename[0] && !strstart(bs->filename, "json:",
                                                   NULL)) {
        /* A protocol node keeps the name it was opened with */
        pstrcpy(bs->exact_filename, sizeof(bs->exact_filename), bs->filename);
    }
    if (bs->exact_filename[0]) {
        pstrcpy(bs->filename, sizeof(bs->filename), bs->exact_filename);
    } else {
        g_autofree char *s = qobject_to_json_str(
            QOBJECT(bs->full_open_options), false);

        snprintf(bs->filename, sizeof(bs->filename), "json:%s", s);
    }
}
