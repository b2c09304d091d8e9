/*
 * Reopen of a "file" node.  A switch between read-only and read-write
 * needs a descriptor of the other access mode: prepare opens it and moves
 * the node's lock bytes onto it (shared locks never conflict, so the move
 * cannot fail because of another holder), so that the permission refresh
 * of the reopen takes or drops the write locks on the descriptor the node
 * will keep.  Commit closes the old descriptor; abort moves the locks back
 * and closes the new one.  Otherwise the descriptor is reused.
 */
#include <fcntl.h>
#include <unistd.h>

#include "file-int.h"

typedef struct FileReopenState {
    int old_fd;     /* the descriptor replaced by prepare, or -1 */
} FileReopenState;

/* Move the lock bytes the node holds from @from to @to */
static int file_reopen_move_locks(BDRVFileState *s, int from, int to,
                                  Error **errp)
{
    uint64_t perm = 0, unshared = 0;
    uint64_t old_perm = s->locked_perm, old_unshared = s->locked_unshared;
    int ret;

    if (!s->use_lock) {
        return 0;
    }
    ret = file_lock_apply(to, &perm, &unshared, s->locked_perm,
                          s->locked_unshared, false, errp);
    if (ret < 0) {
        file_lock_apply(to, &perm, &unshared, 0, 0, true, NULL);
        return ret;
    }
    /* Dropping locks cannot conflict */
    file_lock_apply(from, &old_perm, &old_unshared, 0, 0, true, NULL);
    return 0;
}

int file_reopen_prepare(BDRVReopenState *state, BlockReopenQueue *queue,
                        Error **errp)
{
    BlockDriverState *bs = state->bs;
    BDRVFileState *s = bs->opaque;
    FileReopenState *rs;
    int fd, ret;

    if ((state->flags ^ bs->open_flags) & BDRV_O_NOCACHE) {
        error_setg(errp, "Cannot change the option 'cache.direct'");
        return -EINVAL;
    }
    rs = g_new0(FileReopenState, 1);
    rs->old_fd = -1;
    state->opaque = rs;
    if (!((state->flags ^ bs->open_flags) & BDRV_O_RDWR)) {
        return 0; /* the same access mode: the descriptor stays */
    }
    fd = open(s->filename, O_CLOEXEC |
                               ((state->flags & BDRV_O_RDWR) ? O_RDWR
                                                              : O_RDONLY) |
                               ((state->flags & BDRV_O_NOCACHE) ? O_DIRECT
                                                                 : 0));
    if (fd < 0) {
        ret = -errno;
        error_setg_errno(errp, -ret, "Could not reopen '%s'", s->filename);
        goto fail;
    }
    ret = file_reopen_move_locks(s, s->fd, fd, errp);
    if (ret < 0) {
        close(fd);
        goto fail;
    }
    rs->old_fd = s->fd;
    s->fd = fd;
    return 0;

fail:
    g_free(rs);
    state->opaque = NULL;
    return ret;
}

void file_reopen_commit(BDRVReopenState *state)
{
    FileReopenState *rs = state->opaque;

    if (rs && rs->old_fd >= 0) {
        close(rs->old_fd);
    }
    g_free(rs);
    state->opaque = NULL;
}

void file_reopen_abort(BDRVReopenState *state)
{
    BDRVFileState *s = state->bs->opaque;
    FileReopenState *rs = state->opaque;

    if (rs && rs->old_fd >= 0) {
        /*
         * The permission abort already brought the lock records back to
         * the old state; shared locks cannot conflict, so taking them on
         * the old descriptor again succeeds
         */
        file_reopen_move_locks(s, s->fd, rs->old_fd, NULL);
        close(s->fd);
        s->fd = rs->old_fd;
    }
    g_free(rs);
    state->opaque = NULL;
}
