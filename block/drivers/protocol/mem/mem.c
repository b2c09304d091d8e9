/*
 * The "mem" protocol: images in named memory buffers (include/block/mem.h).
 *
 * A buffer is reference counted: the name table holds one reference while
 * the name is registered, every node open on it holds one more, so a
 * buffer deleted or replaced by name lives on until its last node closes.
 * Each buffer has its own mutex because requests may come from IOThreads;
 * requests complete synchronously inside the calling coroutine.  The bytes
 * are kept in chunks backed on first write (mem-store.c).
 *
 * Options: filename (the buffer's name; "mem:NAME" filenames are parsed
 * into it), size (at open: create a zeroed buffer if the name is unknown,
 * else check that the buffer has this size).
 */
#include <pthread.h>

#include "block/driver.h"
#include "block/mem.h"
#include "mem-store.h"
#include "util/cutils.h"


#define MEM_PREFIX "mem:"
/* Longest buffer name: "mem:NAME" must fit in a node's filename */
#define MEM_NAME_MAX (PATH_MAX - sizeof(MEM_PREFIX))

typedef struct MemBuffer {
    char *name;
    int refcnt;                 /* under mem_table_lock */
    bool registered;            /* in mem_table; under mem_table_lock */
    QLIST_ENTRY(MemBuffer) next;

    pthread_mutex_t lock;       /* protects store */
    /* Backed a chunk at a time on first write (mem-store.h) */
    MemStore store;
} MemBuffer;

static pthread_mutex_t mem_table_lock = PTHREAD_MUTEX_INITIALIZER;
static QLIST_HEAD(, MemBuffer) mem_table = QLIST_HEAD_INITIALIZER(mem_table);

typedef struct BDRVMemState {
    MemBuffer *buf;
} BDRVMemState;

static QemuOptsList mem_runtime_opts = {
    .name = "mem",
    .desc = {
        {
            .name = "filename",
            .type = QEMU_OPT_STRING,
            .help = "Name of the memory buffer",
        },
        {
            .name = BLOCK_OPT_SIZE,
            .type = QEMU_OPT_SIZE,
            .help = "Size of a buffer to create if the name is unknown",
        },
        { /* end of list */ }
    },
};

static QemuOptsList mem_create_opts = {
    .name = "mem-create-opts",
    .desc = {
        {
            .name = BLOCK_OPT_SIZE,
            .type = QEMU_OPT_SIZE,
            .help = "Virtual disk size",
        },
        { /* end of list */ }
    },
};

static int mem_check_name(const char *name, Error **errp)
{
    if (!name || !*name) {
        error_setg(errp, "A mem image needs a name ('mem:NAME')");
        return -EINVAL;
    }
    if (strlen(name) > MEM_NAME_MAX) {
        error_setg(errp, "Mem image name '%.32s...' is longer than %zu bytes",
                   name, (size_t)MEM_NAME_MAX);
        return -ENAMETOOLONG;
    }
    return 0;
}

static int mem_check_size(const char *name, uint64_t len, Error **errp)
{
    if (len > MEM_IMAGE_MAX_SIZE) {
        error_setg(errp, "Mem image '%s' cannot have %" PRIu64 " bytes "
                   "(the limit is %llu)", name, len,
                   (unsigned long long)MEM_IMAGE_MAX_SIZE);
        return -EFBIG;
    }
    return 0;
}

/* @len bytes, the first @size of them (no more than @len) from @data */
static MemBuffer *mem_buffer_new(const char *name, const void *data,
                                 uint64_t size, uint64_t len, Error **errp)
{
    MemBuffer *buf;
    MemStore store;

    size = data ? MIN(size, len) : 0;
    /* The size may come from untrusted input: no aborting allocation */
    if (mem_store_init(&store, data, size, len) < 0) {
        error_setg(errp, "Could not allocate %" PRIu64 " bytes for mem "
                   "image '%s'", size, name);
        return NULL;
    }
    buf = g_new0(MemBuffer, 1);
    buf->name = g_strdup(name);
    buf->refcnt = 1;
    buf->store = store;
    pthread_mutex_init(&buf->lock, NULL);
    return buf;
}

static void mem_buffer_unref_locked(MemBuffer *buf)
{
    assert(buf->refcnt > 0);
    if (--buf->refcnt == 0) {
        assert(!buf->registered);
        pthread_mutex_destroy(&buf->lock);
        mem_store_destroy(&buf->store);
        g_free(buf->name);
        g_free(buf);
    }
}

static MemBuffer *mem_table_find_locked(const char *name)
{
    MemBuffer *buf;

    QLIST_FOREACH(buf, &mem_table, next) {
        if (!strcmp(buf->name, name)) {
            return buf;
        }
    }
    return NULL;
}

/* Drop the table's reference to @buf (nodes open on it keep theirs) */
static void mem_table_unregister_locked(MemBuffer *buf)
{
    QLIST_REMOVE(buf, next);
    buf->registered = false;
    mem_buffer_unref_locked(buf);
}

static void mem_table_register_locked(MemBuffer *buf)
{
    MemBuffer *old = mem_table_find_locked(buf->name);

    if (old) {
        mem_table_unregister_locked(old);
    }
    buf->registered = true;
    QLIST_INSERT_HEAD(&mem_table, buf, next);
}

int mem_image_set(const char *name, const void *data, size_t len,
                  Error **errp)
{
    return mem_image_set_sparse(name, data, len, len, errp);
}

int mem_image_set_sparse(const char *name, const void *data, size_t size,
                         size_t len, Error **errp)
{
    MemBuffer *buf;
    int ret;

    ret = mem_check_name(name, errp);
    if (ret == 0) {
        ret = mem_check_size(name, len, errp);
    }
    if (ret < 0) {
        return ret;
    }
    buf = mem_buffer_new(name, data, size, len, errp);
    if (!buf) {
        return -ENOMEM;
    }
    pthread_mutex_lock(&mem_table_lock);
    mem_table_register_locked(buf);
    pthread_mutex_unlock(&mem_table_lock);
    return 0;
}

int mem_image_rewrite(const char *name, const void *data, size_t size,
                      size_t len, Error **errp)
{
    MemBuffer *buf;
    int ret = mem_check_size(name, len, errp);

    if (ret < 0) {
        return ret;
    }
    pthread_mutex_lock(&mem_table_lock);
    buf = name ? mem_table_find_locked(name) : NULL;
    if (buf) {
        buf->refcnt++;
    }
    pthread_mutex_unlock(&mem_table_lock);
    if (!buf) {
        error_setg(errp, "Mem image '%s' does not exist", name);
        return -ENOENT;
    }
    /* In place, keeping what memory it can (the size may be the input's) */
    pthread_mutex_lock(&buf->lock);
    ret = mem_store_reset(&buf->store, data, data ? MIN(size, len) : 0, len);
    pthread_mutex_unlock(&buf->lock);
    if (ret < 0) {
        error_setg(errp, "Could not allocate %zu bytes for mem image '%s'",
                   size, name);
    }
    pthread_mutex_lock(&mem_table_lock);
    mem_buffer_unref_locked(buf);
    pthread_mutex_unlock(&mem_table_lock);
    return ret;
}

const uint8_t *mem_image_get(const char *name, size_t *len)
{
    MemBuffer *buf;
    const uint8_t *data = NULL;

    pthread_mutex_lock(&mem_table_lock);
    buf = name ? mem_table_find_locked(name) : NULL;
    if (buf) {
        pthread_mutex_lock(&buf->lock);
        /* The caller reads all of it: one allocation for every chunk */
        data = mem_store_flatten(&buf->store);
        if (len) {
            *len = buf->store.len;
        }
        pthread_mutex_unlock(&buf->lock);
    }
    pthread_mutex_unlock(&mem_table_lock);
    return data;
}

bool mem_image_exists(const char *name)
{
    bool found;

    pthread_mutex_lock(&mem_table_lock);
    found = name && mem_table_find_locked(name);
    pthread_mutex_unlock(&mem_table_lock);
    return found;
}

void mem_image_delete(const char *name)
{
    MemBuffer *buf;

    pthread_mutex_lock(&mem_table_lock);
    buf = name ? mem_table_find_locked(name) : NULL;
    if (buf) {
        mem_table_unregister_locked(buf);
    }
    pthread_mutex_unlock(&mem_table_lock);
}

void mem_image_delete_all(void)
{
    pthread_mutex_lock(&mem_table_lock);
    while (!QLIST_EMPTY(&mem_table)) {
        mem_table_unregister_locked(QLIST_FIRST(&mem_table));
    }
    pthread_mutex_unlock(&mem_table_lock);
}

static void mem_parse_filename(const char *filename, QDict *options,
                               Error **errp)
{
    strstart(filename, MEM_PREFIX, &filename);
    if (mem_check_name(filename, errp) < 0) {
        return;
    }
    qdict_put_str(options, "filename", filename);
}

/*
 * Take a reference to buffer @name into *@pbuf; create it zeroed with
 * @size bytes if it does not exist and @has_size.
 */
static int mem_open_buffer(const char *name, bool has_size, uint64_t size,
                           MemBuffer **pbuf, Error **errp)
{
    MemBuffer *buf;
    int ret = 0;

    pthread_mutex_lock(&mem_table_lock);
    buf = mem_table_find_locked(name);
    if (buf) {
        uint64_t len;

        pthread_mutex_lock(&buf->lock);
        len = buf->store.len;
        pthread_mutex_unlock(&buf->lock);
        if (has_size && size != len) {
            error_setg(errp, "Mem image '%s' has %" PRIu64 " bytes, not the "
                       "%" PRIu64 " given as 'size'", name, len, size);
            buf = NULL;
            ret = -EINVAL;
        }
    } else if (!has_size) {
        error_setg(errp, "Mem image '%s' does not exist", name);
        ret = -ENOENT;
    } else {
        ret = mem_check_size(name, size, errp);
        if (ret == 0) {
            buf = mem_buffer_new(name, NULL, 0, size, errp);
            if (buf) {
                mem_table_register_locked(buf);
            } else {
                ret = -ENOMEM;
            }
        }
    }
    if (buf) {
        buf->refcnt++;
    }
    pthread_mutex_unlock(&mem_table_lock);
    *pbuf = buf;
    return ret;
}

static int mem_open(BlockDriverState *bs, QDict *options, int flags,
                    Error **errp)
{
    BDRVMemState *s = bs->opaque;
    QemuOpts *opts;
    const char *name;
    int ret = -EINVAL;

    opts = qemu_opts_create(&mem_runtime_opts, NULL, 0, &error_abort);
    if (!qemu_opts_absorb_qdict(opts, options, errp)) {
        goto out;
    }
    name = qemu_opt_get(opts, "filename");
    ret = mem_check_name(name, errp);
    if (ret < 0) {
        goto out;
    }
    ret = mem_open_buffer(name, qemu_opt_find_set(opts, BLOCK_OPT_SIZE),
                          qemu_opt_get_size(opts, BLOCK_OPT_SIZE, 0),
                          &s->buf, errp);
    bs->supported_zero_flags = BDRV_REQ_MAY_UNMAP | BDRV_REQ_NO_FALLBACK;
    bs->supported_truncate_flags = BDRV_REQ_ZERO_WRITE;

out:
    qemu_opts_del(opts);
    return ret;
}

static void mem_close(BlockDriverState *bs)
{
    BDRVMemState *s = bs->opaque;

    if (s->buf) {
        pthread_mutex_lock(&mem_table_lock);
        mem_buffer_unref_locked(s->buf);
        pthread_mutex_unlock(&mem_table_lock);
        s->buf = NULL;
    }
}

static void mem_refresh_filename(BlockDriverState *bs)
{
    BDRVMemState *s = bs->opaque;

    snprintf(bs->exact_filename, sizeof(bs->exact_filename), "%s%s",
             MEM_PREFIX, s->buf->name);
}

static int coroutine_fn mem_co_preadv_part(BlockDriverState *bs,
                                           int64_t offset, int64_t bytes,
                                           QEMUIOVector *qiov,
                                           size_t qiov_offset,
                                           BdrvRequestFlags flags)
{
    MemBuffer *buf = ((BDRVMemState *)bs->opaque)->buf;

    pthread_mutex_lock(&buf->lock);
    /* Past the end (the core rounds lengths up to sectors) reads zeroes */
    mem_store_read(&buf->store, offset, bytes, qiov, qiov_offset);
    pthread_mutex_unlock(&buf->lock);
    return 0;
}

/* Is [offset, offset + bytes) inside the buffer?  Caller holds the lock */
static bool mem_in_range(MemBuffer *buf, int64_t offset, int64_t bytes)
{
    return (uint64_t)offset <= buf->store.len &&
           (uint64_t)bytes <= buf->store.len - offset;
}

static int coroutine_fn mem_co_pwritev_part(BlockDriverState *bs,
                                            int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov,
                                            size_t qiov_offset,
                                            BdrvRequestFlags flags)
{
    MemBuffer *buf = ((BDRVMemState *)bs->opaque)->buf;
    int ret = -EIO;

    pthread_mutex_lock(&buf->lock);
    if (mem_in_range(buf, offset, bytes)) {
        ret = mem_store_write(&buf->store, offset, bytes, qiov, qiov_offset);
    }
    pthread_mutex_unlock(&buf->lock);
    return ret;
}

static int coroutine_fn mem_co_pwrite_zeroes(BlockDriverState *bs,
                                             int64_t offset, int64_t bytes,
                                             BdrvRequestFlags flags)
{
    MemBuffer *buf = ((BDRVMemState *)bs->opaque)->buf;
    int ret = -EIO;

    pthread_mutex_lock(&buf->lock);
    if (mem_in_range(buf, offset, bytes)) {
        mem_store_zero(&buf->store, offset, bytes);
        ret = 0;
    }
    pthread_mutex_unlock(&buf->lock);
    return ret;
}

/* Discarded bytes read as zeroes; what lies past the end is ignored */
static int coroutine_fn mem_co_pdiscard(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes)
{
    MemBuffer *buf = ((BDRVMemState *)bs->opaque)->buf;

    pthread_mutex_lock(&buf->lock);
    mem_store_zero(&buf->store, offset, bytes);
    pthread_mutex_unlock(&buf->lock);
    return 0;
}

static int coroutine_fn mem_co_truncate(BlockDriverState *bs, int64_t offset,
                                        bool exact, PreallocMode prealloc,
                                        BdrvRequestFlags flags, Error **errp)
{
    MemBuffer *buf = ((BDRVMemState *)bs->opaque)->buf;
    int ret;

    if (prealloc == PREALLOC_MODE_METADATA) {
        error_setg(errp, "Preallocation mode 'metadata' is not supported by "
                   "the mem driver");
        return -ENOTSUP;
    }
    ret = mem_check_size(buf->name, offset, errp);
    if (ret < 0) {
        return ret;
    }

    /* Growing adds unbacked zeroes; shrinking frees the chunks cut off */
    pthread_mutex_lock(&buf->lock);
    ret = mem_store_truncate(&buf->store, offset);
    pthread_mutex_unlock(&buf->lock);
    if (ret < 0) {
        error_setg(errp, "Could not resize mem image '%s' to %" PRId64
                   " bytes: out of memory", buf->name, offset);
    }
    return ret;
}

static int64_t coroutine_fn mem_co_getlength(BlockDriverState *bs)
{
    MemBuffer *buf = ((BDRVMemState *)bs->opaque)->buf;
    int64_t len;

    pthread_mutex_lock(&buf->lock);
    len = buf->store.len;
    pthread_mutex_unlock(&buf->lock);
    return len;
}

static int coroutine_fn mem_co_block_status(BlockDriverState *bs,
                                            bool want_zero, int64_t offset,
                                            int64_t bytes, int64_t *pnum,
                                            int64_t *map,
                                            BlockDriverState **file)
{
    MemBuffer *buf = ((BDRVMemState *)bs->opaque)->buf;
    uint64_t n;
    bool data;

    *map = offset;
    *file = bs;
    if (!want_zero) {
        *pnum = bytes;
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
    }
    /* Unbacked bytes read as zeroes: reported as holes, like a sparse file */
    pthread_mutex_lock(&buf->lock);
    data = mem_store_status(&buf->store, offset, bytes, &n);
    pthread_mutex_unlock(&buf->lock);
    *pnum = n;
    return (data ? BDRV_BLOCK_DATA : BDRV_BLOCK_ZERO) |
           BDRV_BLOCK_OFFSET_VALID;
}

static int mem_has_zero_init(BlockDriverState *bs)
{
    return 1;
}

static int coroutine_fn mem_co_create_opts(BlockDriver *drv,
                                           const char *filename,
                                           QemuOpts *opts, Error **errp)
{
    uint64_t size = qemu_opt_get_size_del(opts, BLOCK_OPT_SIZE, 0);

    strstart(filename, MEM_PREFIX, &filename);
    return mem_image_set(filename, NULL, size, errp);
}

BlockDriver bdrv_mem = {
    .format_name = "mem",
    .protocol_name = "mem",
    .instance_size = sizeof(BDRVMemState),
    .bdrv_needs_filename = true,
    /* Another node on the same buffer may resize it */
    .has_variable_length = true,

    .bdrv_parse_filename = mem_parse_filename,
    .bdrv_open = mem_open,
    .bdrv_close = mem_close,
    .bdrv_refresh_filename = mem_refresh_filename,
    .bdrv_co_create_opts = mem_co_create_opts,
    .create_opts = &mem_create_opts,

    .bdrv_co_preadv_part = mem_co_preadv_part,
    .bdrv_co_pwritev_part = mem_co_pwritev_part,
    .bdrv_co_pwrite_zeroes = mem_co_pwrite_zeroes,
    .bdrv_co_pdiscard = mem_co_pdiscard,
    .bdrv_co_truncate = mem_co_truncate,
    .bdrv_co_getlength = mem_co_getlength,
    .bdrv_co_get_allocated_file_size = mem_co_getlength,
    .bdrv_co_block_status = mem_co_block_status,
    .bdrv_has_zero_init = mem_has_zero_init,
};
