/*
 * snapshot=on (BDRV_O_SNAPSHOT): the node is opened read-only and a
 * temporary qcow2 overlay, as long as the node and backed by it, is put
 * on top of it, so that writes go to the overlay and the image stays
 * unchanged.  The overlay's file is created in the directory of
 * bdrv_set_temp_dir(), else $TMPDIR, else /var/tmp, and unlinked as soon
 * as it is open: nothing is left behind when the overlay is closed, or
 * when the process dies.
 */
#include <stdlib.h>
#include <unistd.h>

#include "core.h"

#define SNAPSHOT_TEMP_FORMAT "qcow2"

static char *snapshot_temp_dir_set;   /* bdrv_set_temp_dir(), or NULL */

void bdrv_set_temp_dir(const char *dir)
{
    GLOBAL_STATE_CODE();
    g_free(snapshot_temp_dir_set);
    snapshot_temp_dir_set = dir && *dir ? g_strdup(dir) : NULL;
}

static const char *snapshot_temp_dir(void)
{
    const char *env = getenv("TMPDIR");

    if (snapshot_temp_dir_set) {
        return snapshot_temp_dir_set;
    }
    return env && *env ? env : "/var/tmp";
}

/* The "snapshot" option (a bool) into BDRV_O_SNAPSHOT of *@flags */
int snapshot_temp_option(QDict *options, int *flags, Error **errp)
{
    return open_opt_flag(options, "snapshot", BDRV_O_SNAPSHOT, flags, errp);
}

/* The node under the overlay is opened read-only, as a backing file */
void snapshot_temp_base_options(QDict *options, int *flags)
{
    qdict_put_str(options, "read-only", "on");
    qdict_put_str(options, "auto-read-only", "off");
    *flags &= ~(BDRV_O_SNAPSHOT | BDRV_O_RDWR | BDRV_O_AUTO_RDONLY);
}

/* A new empty file in snapshot_temp_dir() (the caller frees the name) */
static char *snapshot_temp_file(Error **errp)
{
    char *name = g_strdup_printf("%s/vl.XXXXXX", snapshot_temp_dir());
    int fd = mkstemp(name);

    if (fd < 0) {
        error_setg_errno(errp, errno, "Could not get temporary filename "
                         "'%s'", name);
        g_free(name);
        return NULL;
    }
    close(fd);
    return name;
}

/* A qcow2 image of @size in a temporary file, opened read-write */
static BlockDriverState *snapshot_temp_open(int64_t size, int flags,
                                            Error **errp)
{
    g_autofree char *name = snapshot_temp_file(errp);
    BlockDriverState *overlay;
    Error *local_err = NULL;
    QDict *opts;

    if (!name) {
        return NULL;
    }
    bdrv_img_create(name, SNAPSHOT_TEMP_FORMAT, NULL, NULL, NULL, size, 0,
                    true, &local_err);
    if (local_err) {
        error_propagate_prepend(errp, local_err, "Could not create temporary "
                                "overlay '%s': ", name);
        unlink(name);
        return NULL;
    }
    opts = qdict_new();
    qdict_put_str(opts, "driver", SNAPSHOT_TEMP_FORMAT);
    qdict_put_str(opts, "file.driver", "file");
    qdict_put_str(opts, "file.filename", name);
    /* Nothing of it survives the process: no flush needed */
    qdict_put_str(opts, "cache.no-flush", "on");
    overlay = bdrv_open(NULL, NULL, opts, flags, errp);
    unlink(name);
    return overlay;
}

/*
 * Put a temporary overlay on top of @bs (opened with @flags, which had
 * BDRV_O_SNAPSHOT) and return it instead of @bs, whose reference the
 * overlay takes over.  On error, @bs is dropped and NULL returned.
 */
BlockDriverState *snapshot_temp_append(BlockDriverState *bs, int flags,
                                       Error **errp)
{
    int overlay_flags = (flags & ~(BDRV_O_SNAPSHOT | BDRV_O_NATIVE_AIO)) |
                        BDRV_O_TEMPORARY | BDRV_O_RDWR;
    BlockDriverState *overlay = NULL;
    int64_t size;

    if (!bdrv_find_format(SNAPSHOT_TEMP_FORMAT)) {
        error_setg(errp, "snapshot=on needs the '" SNAPSHOT_TEMP_FORMAT
                   "' format for its temporary overlay, which is not "
                   "registered");
        goto out;
    }
    size = bdrv_getlength(bs);
    if (size < 0) {
        error_setg_errno(errp, -size, "Could not get image size");
        goto out;
    }
    overlay = snapshot_temp_open(size, overlay_flags, errp);
    if (overlay && bdrv_append(overlay, bs, errp) < 0) {
        bdrv_unref(overlay);
        overlay = NULL;
    }
out:
    /* The overlay holds @bs as its backing file now (or nobody does) */
    bdrv_unref(bs);
    return overlay;
}
