/*
 * The "test" format driver, for unit tests of the core (contract:
 * include/block/test-driver.h).
 *
 * With a "file" child every request goes to it.  Without one the data
 * lives in a sparse private store of fixed-size chunks: unwritten chunks
 * are unallocated, so they read from the "backing" child if there is one
 * (zeroes past its end) and as zeroes otherwise.
 *
 * Parking: while it is on, each read, write, zero-write and discard
 * yields inside the driver (still in flight for the core) until
 * test_driver_release() schedules it back into the node's AioContext; it
 * then completes in a later poll.  Flushes never park, so closing a node
 * cannot hang on them.
 *
 * Options: size (default 64 MiB), file, backing, align (request
 * alignment, a power of two; a drydock test extension, default 1),
 * max-transfer, cluster-size, backing-file and backing-fmt (a backing file
 * name and format as an image header would record them: opened by the core
 * unless "backing" says otherwise, a relative name against the image's own
 * directory), and the error injection rules of test-driver-inject.c.
 *
 * The rest of the driver contract (check, amend, snapshots, ...) lives in
 * test-driver-contract.c and test-driver-snapshot.c.
 */
#include "test-driver-int.h"
#include "util/cutils.h"

#define TEST_OPT_ALIGN "align"
#define TEST_OPT_MAX_TRANSFER "max-transfer"
#define TEST_OPT_CLUSTER_SIZE "cluster-size"
/* What a format records in its header: a backing file name and format */
#define TEST_OPT_BACKING_FILE "backing-file"
#define TEST_OPT_BACKING_FMT "backing-fmt"

#define TEST_DEFAULT_SIZE (64LL * 1024 * 1024)
#define TEST_MAX_ALIGN (1024 * 1024)

static QemuOptsList test_runtime_opts = {
    .name = "test",
    .desc = {
        {
            .name = BLOCK_OPT_SIZE,
            .type = QEMU_OPT_SIZE,
            .help = "Virtual disk size (default: 64 MiB)",
        },
        {
            .name = TEST_OPT_ALIGN,
            .type = QEMU_OPT_SIZE,
            .help = "Request alignment (default: 1)",
        },
        {
            .name = TEST_OPT_MAX_TRANSFER,
            .type = QEMU_OPT_SIZE,
            .help = "Largest request (default: 0, no limit)",
        },
        {
            .name = TEST_OPT_CLUSTER_SIZE,
            .type = QEMU_OPT_SIZE,
            .help = "Cluster size bdrv_get_info reports (default: 0, none)",
        },
        {
            .name = TEST_OPT_BACKING_FILE,
            .type = QEMU_OPT_STRING,
            .help = "Backing file name, as an image header records it",
        },
        {
            .name = TEST_OPT_BACKING_FMT,
            .type = QEMU_OPT_STRING,
            .help = "Format of the backing file, as a header records it",
        },
        { /* end of list */ }
    },
};

BDRVTestState *test_state(BlockDriverState *bs)
{
    assert(bs->drv == &bdrv_test);
    return bs->opaque;
}

void test_driver_register(void)
{
    bdrv_register(&bdrv_test);
}

/* ---- API for tests ---------------------------------------------------- */

const TestDriverCounters *test_driver_counters(BlockDriverState *bs)
{
    return &test_state(bs)->counters;
}

void test_driver_reset_counters(BlockDriverState *bs)
{
    BDRVTestState *s = test_state(bs);

    uint64_t perm, shared;

    pthread_mutex_lock(&s->lock);
    perm = s->counters.perm;
    shared = s->counters.shared;
    memset(&s->counters, 0, sizeof(s->counters));
    s->counters.perm = perm;
    s->counters.shared = shared;
    pthread_mutex_unlock(&s->lock);
}

void test_driver_refuse_prealloc(BlockDriverState *bs, bool refuse)
{
    qatomic_set(&test_state(bs)->refuse_prealloc, refuse);
}

void test_driver_set_parking(BlockDriverState *bs, bool park)
{
    BDRVTestState *s = test_state(bs);

    pthread_mutex_lock(&s->lock);
    s->parking = park;
    pthread_mutex_unlock(&s->lock);
}

int test_driver_parked_count(BlockDriverState *bs)
{
    BDRVTestState *s = test_state(bs);
    int n;

    pthread_mutex_lock(&s->lock);
    n = s->nb_parked;
    pthread_mutex_unlock(&s->lock);
    return n;
}

int test_driver_release(BlockDriverState *bs, int n)
{
    BDRVTestState *s = test_state(bs);
    AioContext *ctx = bdrv_get_aio_context(bs);
    int released = 0;

    pthread_mutex_lock(&s->lock);
    while (released < n && !QTAILQ_EMPTY(&s->parked)) {
        TestParked *p = QTAILQ_FIRST(&s->parked);
        QTAILQ_REMOVE(&s->parked, p, next);
        s->nb_parked--;
        /* Oldest first; each resumes from the event loop, not from here */
        aio_co_schedule(ctx, p->co);
        released++;
    }
    pthread_mutex_unlock(&s->lock);
    return released;
}

void test_driver_fail_perm(BlockDriverState *bs, uint64_t perm)
{
    test_state(bs)->fail_perm = perm;
}

void test_driver_set_drain_hook(BlockDriverState *bs,
                                void (*fn)(BlockDriverState *bs, void *opaque),
                                void *opaque)
{
    BDRVTestState *s = test_state(bs);

    s->drain_hook = fn;
    s->drain_hook_opaque = opaque;
}

/* ---- open and close --------------------------------------------------- */

static int test_read_options(BlockDriverState *bs, BDRVTestState *s,
                             QDict *options, Error **errp)
{
    QemuOpts *opts = qemu_opts_create(&test_runtime_opts, NULL, 0,
                                      &error_abort);
    uint64_t size, align, max_transfer, cluster_size;
    int ret = -EINVAL;

    if (!qemu_opts_absorb_qdict(opts, options, errp)) {
        goto out;
    }
    size = qemu_opt_get_size(opts, BLOCK_OPT_SIZE, TEST_DEFAULT_SIZE);
    align = qemu_opt_get_size(opts, TEST_OPT_ALIGN, 1);
    max_transfer = qemu_opt_get_size(opts, TEST_OPT_MAX_TRANSFER, 0);
    cluster_size = qemu_opt_get_size(opts, TEST_OPT_CLUSTER_SIZE, 0);
    if (size > (uint64_t)BDRV_MAX_LENGTH) {
        error_setg(errp, "Invalid size %" PRIu64 " for the test driver (the "
                   "largest is %" PRId64 ")", size, (int64_t)BDRV_MAX_LENGTH);
        goto out;
    }
    if (!is_power_of_2(align) || align > TEST_MAX_ALIGN) {
        error_setg(errp, "Invalid align %" PRIu64 ": expected a power of two "
                   "up to %d", align, TEST_MAX_ALIGN);
        goto out;
    }
    if (max_transfer && (!is_power_of_2(max_transfer) ||
                         max_transfer < align || max_transfer > INT32_MAX)) {
        error_setg(errp, "Invalid max-transfer %" PRIu64 ": expected a power "
                   "of two from align (%" PRIu64 ") to %d", max_transfer,
                   align, INT32_MAX);
        goto out;
    }
    if (cluster_size && (!is_power_of_2(cluster_size) ||
                         cluster_size > BDRV_MAX_ALIGNMENT)) {
        error_setg(errp, "Invalid cluster-size %" PRIu64 ": expected a power "
                   "of two up to %ld", cluster_size, BDRV_MAX_ALIGNMENT);
        goto out;
    }
    s->size = size;
    s->align = align;
    s->max_transfer = max_transfer;
    s->cluster_size = cluster_size;
    pstrcpy(bs->backing_file, sizeof(bs->backing_file),
            qemu_opt_get(opts, TEST_OPT_BACKING_FILE) ?: "");
    pstrcpy(bs->backing_format, sizeof(bs->backing_format),
            qemu_opt_get(opts, TEST_OPT_BACKING_FMT) ?: "");
    ret = 0;
out:
    qemu_opts_del(opts);
    return ret;
}

static int test_open(BlockDriverState *bs, QDict *options, int flags,
                     Error **errp)
{
    BDRVTestState *s = bs->opaque;
    Error *local_err = NULL;
    int ret;

    /*
     * No pthread_mutex_init: a node created during a drain gets its drain
     * hook before open, and the zero-filled opaque is already a valid
     * unlocked mutex (PTHREAD_MUTEX_INITIALIZER is all zeroes on Linux).
     */
    QTAILQ_INIT(&s->parked);
    s->counters.shared = BLK_PERM_ALL;
    ret = test_read_options(bs, s, options, errp);
    if (ret == 0) {
        ret = test_inject_open(s, options, errp);
    }
    if (ret < 0) {
        return ret;
    }
    bdrv_open_child(NULL, options, "file", bs, &child_of_bds,
                    BDRV_CHILD_IMAGE | BDRV_CHILD_PRIMARY, true, &local_err);
    if (local_err) {
        error_propagate(errp, local_err);
        return -EINVAL;
    }
    /* The core opens the backing file that test_read_options recorded */
    bs->supported_zero_flags = BDRV_REQ_MAY_UNMAP;
    return 0;
}

static void test_close(BlockDriverState *bs)
{
    BDRVTestState *s = bs->opaque;

    assert(QTAILQ_EMPTY(&s->parked));
    test_chunks_free(s->chunks);
    test_contract_close(s);
    pthread_mutex_destroy(&s->lock);
}

static void test_refresh_limits(BlockDriverState *bs, Error **errp)
{
    BDRVTestState *s = bs->opaque;

    bs->bl.request_alignment = MAX(bs->bl.request_alignment, s->align);
    if (s->max_transfer) {
        bs->bl.max_transfer = MIN_NON_ZERO(bs->bl.max_transfer,
                                           s->max_transfer);
    }
}

/* ---- the private store ------------------------------------------------ */

TestChunk *test_chunk_find(TestChunk *const *table, int64_t index)
{
    TestChunk *c = table[index % TEST_CHUNK_BUCKETS];

    while (c && c->index != index) {
        c = c->next;
    }
    return c;
}

static TestChunk *test_chunk_get(BDRVTestState *s, int64_t index)
{
    TestChunk *c = test_chunk_find(s->chunks, index);

    if (!c) {
        uint8_t *data = g_try_malloc0(TEST_CHUNK_SIZE);
        if (!data) {
            return NULL;
        }
        c = g_new0(TestChunk, 1);
        c->index = index;
        c->data = data;
        c->next = s->chunks[index % TEST_CHUNK_BUCKETS];
        s->chunks[index % TEST_CHUNK_BUCKETS] = c;
    }
    return c;
}

void test_chunks_free(TestChunk **table)
{
    for (int i = 0; i < TEST_CHUNK_BUCKETS; i++) {
        while (table[i]) {
            TestChunk *c = table[i];
            table[i] = c->next;
            g_free(c->data);
            g_free(c);
        }
    }
}

bool test_chunks_copy(TestChunk **dst, TestChunk *const *src)
{
    for (int i = 0; i < TEST_CHUNK_BUCKETS; i++) {
        for (TestChunk *c = src[i]; c; c = c->next) {
            TestChunk *copy = g_new0(TestChunk, 1);

            copy->data = g_try_malloc(TEST_CHUNK_SIZE);
            if (!copy->data) {
                g_free(copy);
                return false;
            }
            memcpy(copy->data, c->data, TEST_CHUNK_SIZE);
            copy->index = c->index;
            copy->next = dst[i];
            dst[i] = copy;
        }
    }
    return true;
}

/* Forget every chunk at or past byte @offset; zero the partial one */
static void test_chunks_cut(BDRVTestState *s, int64_t offset)
{
    for (int i = 0; i < TEST_CHUNK_BUCKETS; i++) {
        TestChunk **pc = &s->chunks[i];
        while (*pc) {
            TestChunk *c = *pc;
            int64_t start = c->index * TEST_CHUNK_SIZE;
            if (start >= offset) {
                *pc = c->next;
                g_free(c->data);
                g_free(c);
                continue;
            }
            if (start + TEST_CHUNK_SIZE > offset) {
                memset(c->data + (offset - start), 0,
                       start + TEST_CHUNK_SIZE - offset);
            }
            pc = &c->next;
        }
    }
}

/* Read @n bytes at @offset that no chunk holds: from backing or zeroes */
static int coroutine_fn test_read_unallocated(BlockDriverState *bs,
                                              int64_t offset, int64_t n,
                                              QEMUIOVector *qiov,
                                              size_t qoff)
{
    int64_t avail = 0;
    int ret = 0;

    if (bs->backing) {
        int64_t len = bdrv_co_getlength(bs->backing->bs);
        if (len < 0) {
            return len;
        }
        avail = MIN(n, MAX(len - offset, 0));
    }
    if (avail > 0) {
        ret = bdrv_co_preadv_part(bs->backing, offset, avail, qiov, qoff, 0);
    }
    qemu_iovec_memset(qiov, qoff + avail, 0, n - avail);
    return ret;
}

int coroutine_fn test_store_read(BlockDriverState *bs, int64_t offset,
                                 int64_t bytes, QEMUIOVector *qiov,
                                 size_t qoff)
{
    BDRVTestState *s = bs->opaque;

    while (bytes > 0) {
        int64_t in_chunk = offset % TEST_CHUNK_SIZE;
        int64_t n = MIN(bytes, TEST_CHUNK_SIZE - in_chunk);
        TestChunk *c;
        int ret = 0;

        pthread_mutex_lock(&s->lock);
        c = test_chunk_find(s->chunks, offset / TEST_CHUNK_SIZE);
        if (c) {
            qemu_iovec_from_buf(qiov, qoff, c->data + in_chunk, n);
        }
        pthread_mutex_unlock(&s->lock);
        if (!c) {
            ret = test_read_unallocated(bs, offset, n, qiov, qoff);
        }
        if (ret < 0) {
            return ret;
        }
        offset += n;
        bytes -= n;
        qoff += n;
    }
    return 0;
}

/* Copy @qiov (or zeroes when NULL) into the store */
int test_store_write(BDRVTestState *s, int64_t offset, int64_t bytes,
                     QEMUIOVector *qiov, size_t qoff)
{
    int ret = 0;

    pthread_mutex_lock(&s->lock);
    if (offset > s->size || bytes > s->size - offset) {
        ret = -EIO;
    }
    while (ret == 0 && bytes > 0) {
        int64_t in_chunk = offset % TEST_CHUNK_SIZE;
        int64_t n = MIN(bytes, TEST_CHUNK_SIZE - in_chunk);
        TestChunk *c = test_chunk_get(s, offset / TEST_CHUNK_SIZE);

        if (!c) {
            ret = -ENOMEM;
            break;
        }
        if (qiov) {
            qemu_iovec_to_buf(qiov, qoff, c->data + in_chunk, n);
        } else {
            memset(c->data + in_chunk, 0, n);
        }
        offset += n;
        bytes -= n;
        qoff += n;
    }
    pthread_mutex_unlock(&s->lock);
    return ret;
}

/* ---- requests --------------------------------------------------------- */

/* Record a read or write in the log of the first requests */
static void test_log_request(BDRVTestState *s, TestDriverIoType iotype,
                             int64_t offset, int64_t bytes,
                             QEMUIOVector *qiov, size_t qiov_offset,
                             BdrvRequestFlags flags)
{
    TestDriverCounters *c = &s->counters;

    if (iotype == TEST_IO_READ) {
        c->reads++;
    } else if (iotype == TEST_IO_WRITE || iotype == TEST_IO_ZERO) {
        c->writes++;
    }
    if ((iotype == TEST_IO_READ || iotype == TEST_IO_WRITE) &&
        c->nb_requests < TEST_DRIVER_LOG_MAX) {
        c->requests[c->nb_requests++] = (TestDriverRequest) {
            .is_write = iotype == TEST_IO_WRITE, .offset = offset,
            .bytes = bytes, .qiov = qiov, .qiov_offset = qiov_offset,
            .flags = flags,
        };
    }
}

int coroutine_fn test_enter_request(BlockDriverState *bs,
                                    TestDriverIoType iotype, int64_t offset,
                                    int64_t bytes, QEMUIOVector *qiov,
                                    size_t qiov_offset,
                                    BdrvRequestFlags flags)
{
    BDRVTestState *s = bs->opaque;
    TestParked p = { .co = qemu_coroutine_self() };
    bool park;
    int ret;

    pthread_mutex_lock(&s->lock);
    test_log_request(s, iotype, offset, bytes, qiov, qiov_offset, flags);
    /* Flushes and block status never park: closing must not hang */
    park = s->parking && iotype != TEST_IO_FLUSH &&
           iotype != TEST_IO_BLOCK_STATUS;
    if (park) {
        QTAILQ_INSERT_TAIL(&s->parked, &p, next);
        s->nb_parked++;
    }
    pthread_mutex_unlock(&s->lock);
    if (park) {
        qemu_coroutine_yield();
    }
    /* After parking: a released request can still fail */
    pthread_mutex_lock(&s->lock);
    ret = test_inject_match(s, iotype, offset, bytes);
    if (ret < 0) {
        s->counters.injected++;
    }
    pthread_mutex_unlock(&s->lock);
    return ret;
}

int coroutine_fn test_co_rw_part(BlockDriverState *bs, bool write,
                                 int64_t offset, int64_t bytes,
                                 QEMUIOVector *qiov, size_t qiov_offset,
                                 BdrvRequestFlags flags)
{
    int ret = test_enter_request(bs, write ? TEST_IO_WRITE : TEST_IO_READ,
                                 offset, bytes, qiov, qiov_offset, flags);

    if (ret < 0) {
        return ret;
    }
    /* Stored as it is: "compressed" data is the data */
    flags &= ~BDRV_REQ_WRITE_COMPRESSED;
    if (bs->file && write) {
        return bdrv_co_pwritev_part(bs->file, offset, bytes, qiov,
                                    qiov_offset, flags);
    } else if (bs->file) {
        return bdrv_co_preadv_part(bs->file, offset, bytes, qiov, qiov_offset,
                                   flags);
    } else if (write) {
        return test_store_write(bs->opaque, offset, bytes, qiov, qiov_offset);
    }
    return test_store_read(bs, offset, bytes, qiov, qiov_offset);
}

static int coroutine_fn test_co_preadv_part(BlockDriverState *bs,
                                            int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov,
                                            size_t qiov_offset,
                                            BdrvRequestFlags flags)
{
    return test_co_rw_part(bs, false, offset, bytes, qiov, qiov_offset,
                           flags);
}

static int coroutine_fn test_co_pwritev_part(BlockDriverState *bs,
                                             int64_t offset, int64_t bytes,
                                             QEMUIOVector *qiov,
                                             size_t qiov_offset,
                                             BdrvRequestFlags flags)
{
    return test_co_rw_part(bs, true, offset, bytes, qiov, qiov_offset, flags);
}

static int coroutine_fn test_co_pwrite_zeroes(BlockDriverState *bs,
                                              int64_t offset, int64_t bytes,
                                              BdrvRequestFlags flags)
{
    int ret = test_enter_request(bs, TEST_IO_ZERO, offset, bytes, NULL, 0,
                                 flags);

    if (ret < 0) {
        return ret;
    }
    if (bs->file) {
        return bdrv_co_pwrite_zeroes(bs->file, offset, bytes, flags);
    }
    return test_store_write(bs->opaque, offset, bytes, NULL, 0);
}

static int coroutine_fn test_co_pdiscard(BlockDriverState *bs, int64_t offset,
                                         int64_t bytes)
{
    int ret = test_enter_request(bs, TEST_IO_DISCARD, offset, bytes, NULL, 0,
                                 0);

    if (ret < 0) {
        return ret;
    }
    if (bs->file) {
        return bdrv_co_pdiscard(bs->file, offset, bytes);
    }
    return 0;  /* advisory: the store keeps its data */
}

static int coroutine_fn test_co_flush_to_disk(BlockDriverState *bs)
{
    BDRVTestState *s = bs->opaque;

    pthread_mutex_lock(&s->lock);
    s->counters.flushes++;
    pthread_mutex_unlock(&s->lock);
    return test_enter_request(bs, TEST_IO_FLUSH, 0, 0, NULL, 0, 0);
}

static int coroutine_fn test_co_truncate(BlockDriverState *bs, int64_t offset,
                                         bool exact, PreallocMode prealloc,
                                         BdrvRequestFlags flags, Error **errp)
{
    BDRVTestState *s = bs->opaque;
    int ret = 0;

    if (prealloc != PREALLOC_MODE_OFF && qatomic_read(&s->refuse_prealloc)) {
        pthread_mutex_lock(&s->lock);
        s->counters.prealloc_refused++;
        pthread_mutex_unlock(&s->lock);
        error_setg(errp, "The test driver refuses preallocation");
        return -ENOTSUP;
    }
    if (bs->file) {
        ret = bdrv_co_truncate(bs->file, offset, exact, prealloc, flags,
                               errp);
    }
    if (ret == 0) {
        pthread_mutex_lock(&s->lock);
        if (offset < s->size) {
            test_chunks_cut(s, offset);
        }
        s->size = offset;
        pthread_mutex_unlock(&s->lock);
    }
    return ret;
}

static int64_t coroutine_fn test_co_getlength(BlockDriverState *bs)
{
    BDRVTestState *s = bs->opaque;
    int64_t len;

    pthread_mutex_lock(&s->lock);
    len = s->size;
    pthread_mutex_unlock(&s->lock);
    return len;
}

/* With a file: its mapping.  Without: allocated chunks are DATA, the rest
 * unallocated (the core then consults backing, or reports zeroes) */
static int coroutine_fn test_co_block_status(BlockDriverState *bs,
                                             bool want_zero, int64_t offset,
                                             int64_t bytes, int64_t *pnum,
                                             int64_t *map,
                                             BlockDriverState **file)
{
    BDRVTestState *s = bs->opaque;
    bool first_allocated = false;
    int64_t n = 0;
    int ret;

    ret = test_enter_request(bs, TEST_IO_BLOCK_STATUS, offset, bytes, NULL, 0,
                             0);
    if (ret < 0) {
        return ret;
    }
    if (bs->file) {
        *pnum = bytes;
        *map = offset;
        *file = bs->file->bs;
        return BDRV_BLOCK_RAW | BDRV_BLOCK_OFFSET_VALID;
    }
    pthread_mutex_lock(&s->lock);
    while (n < bytes) {
        int64_t pos = offset + n;
        bool allocated =
            test_chunk_find(s->chunks, pos / TEST_CHUNK_SIZE) != NULL;
        if (n == 0) {
            first_allocated = allocated;
        } else if (allocated != first_allocated) {
            break;
        }
        n += MIN(bytes - n, TEST_CHUNK_SIZE - pos % TEST_CHUNK_SIZE);
    }
    pthread_mutex_unlock(&s->lock);
    *pnum = n;
    return first_allocated ? BDRV_BLOCK_DATA : 0;
}

static int test_has_zero_init(BlockDriverState *bs)
{
    return bs->file ? bdrv_has_zero_init(bs->file->bs) : 1;
}

/* ---- permissions and drain -------------------------------------------- */

static int test_check_perm(BlockDriverState *bs, uint64_t perm,
                           uint64_t shared, Error **errp)
{
    BDRVTestState *s = bs->opaque;

    if (perm & s->fail_perm) {
        g_autofree char *names = bdrv_perm_names(perm & s->fail_perm);
        error_setg(errp, "Test driver refuses permission '%s' on node '%s'",
                   names, bdrv_get_node_name(bs));
        return -EPERM;
    }
    return 0;
}

static void test_set_perm(BlockDriverState *bs, uint64_t perm,
                          uint64_t shared)
{
    BDRVTestState *s = bs->opaque;

    pthread_mutex_lock(&s->lock);
    s->counters.set_perm++;
    s->counters.perm = perm;
    s->counters.shared = shared;
    pthread_mutex_unlock(&s->lock);
}

static void test_drain_begin(BlockDriverState *bs)
{
    BDRVTestState *s = bs->opaque;

    pthread_mutex_lock(&s->lock);
    s->counters.drain_begin++;
    pthread_mutex_unlock(&s->lock);
    if (s->drain_hook) {
        s->drain_hook(bs, s->drain_hook_opaque);
    }
}

static void test_drain_end(BlockDriverState *bs)
{
    BDRVTestState *s = bs->opaque;

    pthread_mutex_lock(&s->lock);
    s->counters.drain_end++;
    pthread_mutex_unlock(&s->lock);
}

BlockDriver bdrv_test = {
    .format_name = "test",
    .instance_size = sizeof(BDRVTestState),
    .is_format = true,
    .supports_backing = true,

    .bdrv_open = test_open,
    .bdrv_close = test_close,
    .bdrv_reopen_prepare = test_reopen_prepare,
    .bdrv_reopen_commit = test_reopen_commit,
    .bdrv_reopen_abort = test_reopen_abort,

    .bdrv_co_create = test_co_create,

    .bdrv_co_preadv_part = test_co_preadv_part,
    .bdrv_co_pwritev_part = test_co_pwritev_part,
    .bdrv_co_pwritev_compressed_part = test_co_pwritev_compressed_part,
    .bdrv_co_pwrite_zeroes = test_co_pwrite_zeroes,
    .bdrv_co_pdiscard = test_co_pdiscard,
    .bdrv_co_flush_to_disk = test_co_flush_to_disk,
    .bdrv_co_truncate = test_co_truncate,
    .bdrv_co_getlength = test_co_getlength,
    .bdrv_co_block_status = test_co_block_status,

    .bdrv_refresh_limits = test_refresh_limits,
    .bdrv_has_zero_init = test_has_zero_init,
    .bdrv_co_get_info = test_co_get_info,
    .bdrv_get_specific_info = test_get_specific_info,
    .bdrv_measure = test_measure,

    .bdrv_co_check = test_co_check,
    .bdrv_amend_options = test_amend_options,
    .amend_opts = &test_amend_opts,
    .bdrv_co_amend = test_co_amend,

    .bdrv_snapshot_create = test_snapshot_create,
    .bdrv_snapshot_goto = test_snapshot_goto,
    .bdrv_snapshot_delete = test_snapshot_delete,
    .bdrv_snapshot_list = test_snapshot_list,
    .bdrv_snapshot_load_tmp = test_snapshot_load_tmp,
    .bdrv_co_preadv_snapshot = test_co_preadv_snapshot,

    .bdrv_co_load_vmstate = test_co_load_vmstate,
    .bdrv_co_save_vmstate = test_co_save_vmstate,
    .bdrv_co_invalidate_cache = test_co_invalidate_cache,
    .bdrv_inactivate = test_inactivate,
    .bdrv_make_empty = test_make_empty,
    .bdrv_co_change_backing_file = test_co_change_backing_file,
    .bdrv_co_debug_event = test_co_debug_event,

    .bdrv_child_perm = bdrv_default_perms,
    .bdrv_check_perm = test_check_perm,
    .bdrv_set_perm = test_set_perm,

    .bdrv_drain_begin = test_drain_begin,
    .bdrv_drain_end = test_drain_end,
};
