/*
 * qcow2 external data file: the name in the header extension (or the
 * "data-file" option) is opened as the child guest data goes to.  Guest
 * clusters live at their guest offset there and have no refcounts; with
 * data_file_raw the data file stays a valid raw image of the disk.
 */
#include "qcow2.h"
#include "util/cutils.h"

/* The data file name extension, kept for opening (a bounded string) */
int qcow2_datafile_ext(BDRVQcow2State *s, const uint8_t *d, uint32_t len,
                       Error **errp)
{
    if (len == 0 || len > QCOW2_MAX_BACKING_NAME) {
        error_setg(errp, "External data file name length %u is invalid "
                   "(1 to %d bytes)", len, QCOW2_MAX_BACKING_NAME);
        return -EINVAL;
    }
    if (memchr(d, 0, len)) {
        error_setg(errp, "External data file name contains a NUL byte");
        return -EINVAL;
    }
    g_free(s->data_file_name);
    s->data_file_name = g_strndup((const char *)d, len);
    return 0;
}

int qcow2_datafile_open(BlockDriverState *bs, BDRVQcow2State *s,
                        QDict *options, Error **errp)
{
    bool needed = s->incompatible & QCOW2_INCOMPAT_DATA_FILE;
    g_autofree char *name = NULL;
    Error *local_err = NULL;

    s->data_file_raw = s->autoclear & QCOW2_AUTOCLEAR_DATA_FILE_RAW;
    if (!needed) {
        if (qdict_haskey(options, "data-file")) {
            error_setg(errp, "'data-file' can only be set for images with an "
                       "external data file");
            return -EINVAL;
        }
        if (s->data_file_raw) {
            error_setg(errp, "data-file-raw requires a data file");
            return -EINVAL;
        }
        return 0;
    }
    if (s->data_file_name && !qdict_haskey(options, "data-file")) {
        name = path_is_absolute(s->data_file_name) ?
               g_strdup(s->data_file_name) :
               path_combine(bs->filename, s->data_file_name);
    }
    s->data_file = bdrv_open_child(name, options, "data-file", bs,
                                   &child_of_bds, BDRV_CHILD_DATA, true,
                                   &local_err);
    if (!s->data_file) {
        if (!local_err) {
            error_setg(&local_err, "'data-file' is required for this image");
        }
        error_propagate(errp, local_err);
        return -EINVAL;
    }
    if (s->data_file_raw && bs->backing_file[0]) {
        error_setg(errp, "Backing file and data-file-raw cannot be used at "
                   "the same time");
        return -EINVAL;
    }
    return 0;
}

/* The core drops the child itself */
void qcow2_datafile_close(BDRVQcow2State *s)
{
    s->data_file = NULL;
    g_free(s->data_file_name);
    s->data_file_name = NULL;
}

/*
 * The data file is written and grown like the image file, also with no
 * parent (creation, preallocation): it gets the image file's permissions
 */
void qcow2_datafile_child_perm(BlockDriverState *bs, BdrvChild *c,
                               BdrvChildRole role,
                               BlockReopenQueue *reopen_queue, uint64_t perm,
                               uint64_t shared, uint64_t *nperm,
                               uint64_t *nshared)
{
    if (role == BDRV_CHILD_DATA) {
        role |= BDRV_CHILD_METADATA;
    }
    bdrv_default_perms(bs, c, role, reopen_queue, perm, shared, nperm,
                       nshared);
}
