/*
 * Image locking for the "file" protocol.
 *
 * Every holder of an image records what it does with shared byte-range
 * locks on open file descriptions (F_OFD_*): one byte at 100 + bit for each
 * permission it holds, one at 200 + bit for each permission it refuses to
 * share.  Shared (read) locks never conflict with each other, so taking
 * them always succeeds; conflicts are found by testing whether an
 * exclusive lock could be placed on the bytes that matter.  OFD locks
 * belong to the open file description, so two opens of one image in the
 * same process see each other exactly like two processes do.
 */
#include <fcntl.h>

#include "file-int.h"

static const char *const file_lock_perm_names[BLK_PERM_COUNT] = {
    "consistent read", "write", "write unchanged", "resize",
};

const char *file_lock_perm_name(int bit)
{
    assert(bit >= 0 && bit < BLK_PERM_COUNT);
    return file_lock_perm_names[bit];
}

static int file_lock_fcntl(int fd, int cmd, short type, int64_t byte,
                           short *found_type)
{
    struct flock fl = {
        .l_type = type,
        .l_whence = SEEK_SET,
        .l_start = byte,
        .l_len = 1,
        .l_pid = 0,  /* must be 0 for OFD locks */
    };

    while (fcntl(fd, cmd, &fl) < 0) {
        if (errno != EINTR) {
            return -errno;
        }
    }
    if (found_type) {
        *found_type = fl.l_type;
    }
    return 0;
}

bool file_lock_supported(int fd)
{
    short type = F_UNLCK;

    return file_lock_fcntl(fd, F_OFD_GETLK, F_WRLCK, FILE_LOCK_PERM_BASE,
                           &type) == 0;
}

/* Bring one group of lock bytes (at @base) from *@locked towards @want */
static int file_lock_apply_group(int fd, int base, uint64_t *locked,
                                 uint64_t want, bool unlock, Error **errp)
{
    for (int i = 0; i < BLK_PERM_COUNT; i++) {
        uint64_t bit = 1ULL << i;
        int ret;

        if ((want & bit) && !(*locked & bit)) {
            ret = file_lock_fcntl(fd, F_OFD_SETLK, F_RDLCK, base + i, NULL);
            if (ret < 0) {
                error_setg_errno(errp, -ret, "Failed to lock byte %d",
                                 base + i);
                return ret;
            }
            *locked |= bit;
        } else if (unlock && !(want & bit) && (*locked & bit)) {
            ret = file_lock_fcntl(fd, F_OFD_SETLK, F_UNLCK, base + i, NULL);
            if (ret < 0) {
                error_setg_errno(errp, -ret, "Failed to unlock byte %d",
                                 base + i);
                return ret;
            }
            *locked &= ~bit;
        }
    }
    return 0;
}

int file_lock_apply(int fd, uint64_t *locked_perm, uint64_t *locked_unshared,
                    uint64_t perm, uint64_t unshared, bool unlock,
                    Error **errp)
{
    int ret;

    ret = file_lock_apply_group(fd, FILE_LOCK_PERM_BASE, locked_perm,
                                perm & BLK_PERM_ALL, unlock, errp);
    if (ret < 0) {
        return ret;
    }
    return file_lock_apply_group(fd, FILE_LOCK_SHARED_BASE, locked_unshared,
                                 unshared & BLK_PERM_ALL, unlock, errp);
}

/* Does another open file description hold the lock byte @byte? */
static int file_lock_is_taken(int fd, int byte)
{
    short type = F_UNLCK;
    int ret = file_lock_fcntl(fd, F_OFD_GETLK, F_WRLCK, byte, &type);

    if (ret < 0) {
        return ret;
    }
    return type != F_UNLCK;
}

int file_lock_check(int fd, uint64_t perm, uint64_t shared, Error **errp)
{
    for (int i = 0; i < BLK_PERM_COUNT; i++) {
        uint64_t bit = 1ULL << i;
        int ret;

        /* We want it: somebody must not be refusing to share it */
        if (perm & bit) {
            ret = file_lock_is_taken(fd, FILE_LOCK_SHARED_BASE + i);
            if (ret != 0) {
                error_setg(errp, "Failed to get \"%s\" lock",
                           file_lock_perm_names[i]);
                return ret < 0 ? ret : -EAGAIN;
            }
        }
        /* We refuse to share it: nobody else may be holding it */
        if (!(shared & bit)) {
            ret = file_lock_is_taken(fd, FILE_LOCK_PERM_BASE + i);
            if (ret != 0) {
                error_setg(errp, "Failed to get shared \"%s\" lock",
                           file_lock_perm_names[i]);
                return ret < 0 ? ret : -EAGAIN;
            }
        }
    }
    return 0;
}

/*
 * Prepare a permission change: hold the union of the old and the new state
 * (so that nothing is lost if the change is aborted), then check that
 * nobody else conflicts with the new state.  On failure the locks are put
 * back exactly as they were.
 */
int file_lock_check_perm(BlockDriverState *bs, uint64_t perm,
                         uint64_t shared, Error **errp)
{
    BDRVFileState *s = bs->opaque;
    int ret;
    ERRP_GUARD();

    if (!s->use_lock) {
        return 0;
    }
    /* Only narrowing: nothing new to take, nothing that can conflict */
    if ((s->perm | perm) == s->perm &&
        (s->shared_perm & shared) == s->shared_perm) {
        return 0;
    }

    ret = file_lock_apply(s->fd, &s->locked_perm, &s->locked_unshared,
                          s->perm | perm, ~s->shared_perm | ~shared, false,
                          errp);
    if (ret == 0) {
        ret = file_lock_check(s->fd, perm, shared, errp);
        if (ret == 0) {
            return 0;
        }
        error_append_hint(errp, "Is another process using the image [%s]?\n",
                          s->filename);
    }
    file_lock_abort_perm_update(bs);
    return ret;
}

void file_lock_set_perm(BlockDriverState *bs, uint64_t perm, uint64_t shared)
{
    BDRVFileState *s = bs->opaque;

    if (s->use_lock) {
        /* Releasing locks cannot conflict; a failure only leaves extra
         * bytes locked, which is safe, so it is not an error here */
        file_lock_apply(s->fd, &s->locked_perm, &s->locked_unshared, perm,
                        ~shared, true, NULL);
    }
    s->perm = perm;
    s->shared_perm = shared;
}

void file_lock_abort_perm_update(BlockDriverState *bs)
{
    BDRVFileState *s = bs->opaque;

    if (s->use_lock) {
        file_lock_apply(s->fd, &s->locked_perm, &s->locked_unshared, s->perm,
                        ~s->shared_perm, true, NULL);
    }
}
