/*
 * The bytes of one mem buffer in chunks backed on first write (see
 * mem-store.h).  Every allocation may fail (sizes come from untrusted
 * input): failures are -ENOMEM or NULL, never an abort.
 */
#include "mem-store.h"

/* A leaf lists this many chunks (one 4 KiB page of pointers) */
#define MEM_LEAF_SHIFT 9
#define MEM_LEAF_CHUNKS (1ULL << MEM_LEAF_SHIFT)
/* Bytes one leaf maps */
#define MEM_LEAF_SPAN (MEM_CHUNK_SIZE << MEM_LEAF_SHIFT)
/* A shrunk view is kept if it is no more than twice this or the length */
#define MEM_KEEP_ON_SHRINK (1024 * 1024)
/*
 * Initial data up to this size goes into one flat allocation rather than
 * a chunk each: a fuzz input or a test image is set, opened and deleted
 * thousands of times a second, and its chunks were a tenth of that time
 */
#define MEM_FLAT_INIT_MAX (256 * 1024)

static uint64_t chunk_start(uint64_t pos)
{
    return pos & ~(MEM_CHUNK_SIZE - 1);
}

static uint64_t chunk_round_up(uint64_t pos)
{
    return chunk_start(pos + MEM_CHUNK_SIZE - 1);
}

static uint8_t **store_slot(MemStore *s, uint64_t pos)
{
    uint64_t idx = pos >> MEM_CHUNK_SHIFT;

    return &s->leaves[idx >> MEM_LEAF_SHIFT][idx & (MEM_LEAF_CHUNKS - 1)];
}

/*
 * Where the byte at @pos lives (NULL: an unbacked zero), and in *@n how
 * many bytes from there up to @end are alike: to the end of the view, of
 * the chunk, or of a missing leaf's span
 */
static uint8_t *store_extent(MemStore *s, uint64_t pos, uint64_t end,
                             uint64_t *n)
{
    uint64_t leaf = pos / MEM_LEAF_SPAN;
    uint8_t *chunk;

    if (pos < s->flat_len) {
        *n = MIN(end, s->flat_len) - pos;
        return s->flat + pos;
    }
    if (leaf >= s->nleaves) {
        *n = end - pos;
        return NULL;
    }
    if (!s->leaves[leaf]) {
        *n = MIN(end, (leaf + 1) * MEM_LEAF_SPAN) - pos;
        return NULL;
    }
    *n = MIN(end, chunk_start(pos) + MEM_CHUNK_SIZE) - pos;
    chunk = *store_slot(s, pos);
    return chunk ? chunk + (pos - chunk_start(pos)) : NULL;
}

/*
 * The memory for [@pos, +*@n) with *@n as in store_extent(), backing the
 * chunk first if needed (zeroed outside the bytes the caller will fill);
 * NULL if out of memory.  @end is within the length.
 */
static uint8_t *store_back(MemStore *s, uint64_t pos, uint64_t end,
                           uint64_t *n)
{
    uint64_t leaf = pos / MEM_LEAF_SPAN;
    uint64_t within = pos - chunk_start(pos);
    uint8_t **slot;

    if (pos < s->flat_len) {
        *n = MIN(end, s->flat_len) - pos;
        return s->flat + pos;
    }
    assert(leaf < s->nleaves);
    if (!s->leaves[leaf]) {
        s->leaves[leaf] = g_try_malloc0(MEM_LEAF_CHUNKS * sizeof(uint8_t *));
        if (!s->leaves[leaf]) {
            return NULL;
        }
    }
    *n = MIN(end - pos, MEM_CHUNK_SIZE - within);
    slot = store_slot(s, pos);
    if (!*slot) {
        *slot = g_try_malloc(MEM_CHUNK_SIZE);
        if (!*slot) {
            return NULL;
        }
        memset(*slot, 0, within);
        memset(*slot + within + *n, 0, MEM_CHUNK_SIZE - within - *n);
    }
    return *slot + within;
}

/* Make room in the leaf table for @len bytes */
static int store_reserve(MemStore *s, uint64_t len)
{
    uint64_t need = DIV_ROUND_UP(len, MEM_LEAF_SPAN);
    uint8_t ***leaves;

    if (need <= s->nleaves) {
        return 0;
    }
    leaves = g_try_realloc(s->leaves, need * sizeof(*leaves));
    if (!leaves) {
        return -ENOMEM;
    }
    memset(leaves + s->nleaves, 0, (need - s->nleaves) * sizeof(*leaves));
    s->leaves = leaves;
    s->nleaves = need;
    return 0;
}

static void store_free_from(MemStore *s, uint64_t from);

int mem_store_init(MemStore *s, const void *data, uint64_t size,
                   uint64_t len)
{
    memset(s, 0, sizeof(*s));
    return mem_store_reset(s, data, size, len);
}

/* Copy @size bytes of @src into chunks, skipping the all-zero ones */
static int store_fill_chunks(MemStore *s, const uint8_t *src, uint64_t size)
{
    uint64_t n;
    uint8_t *dst;

    for (uint64_t pos = 0; pos < size; pos += n) {
        n = MIN(MEM_CHUNK_SIZE, size - pos);
        /* All-zero chunks read as zeroes without memory */
        if (buffer_is_zero(src + pos, n)) {
            continue;
        }
        dst = store_back(s, pos, size, &n);
        if (!dst) {
            return -ENOMEM;
        }
        memcpy(dst, src + pos, n);
    }
    return 0;
}

/*
 * The leaf table and the flat view's memory are kept: a fuzz target
 * rewrites its input's buffer for every input, and a view sized to each
 * input was freed and allocated again whenever the size grew, its pages
 * faulted in anew (a twentieth of a qcow2 input's time).  The view keeps
 * the largest size any input needed, at most MEM_FLAT_INIT_MAX.
 */
int mem_store_reset(MemStore *s, const void *data, uint64_t size,
                    uint64_t len)
{
    uint64_t flat_len = size && chunk_round_up(size) <= MEM_FLAT_INIT_MAX
                        ? chunk_round_up(size) : 0;

    assert(size <= len);
    store_free_from(s, 0);
    s->flat_len = 0;
    s->len = 0;
    if (store_reserve(s, len) < 0) {
        goto fail;
    }
    s->len = len;
    if (!flat_len) {
        if (store_fill_chunks(s, data, size) < 0) {
            goto fail;
        }
        return 0;
    }
    if (s->flat_cap < flat_len) {
        g_free(s->flat);
        s->flat_cap = 0;
        s->flat = g_try_malloc(flat_len);
        if (!s->flat) {
            goto fail;
        }
        s->flat_cap = flat_len;
    }
    s->flat_len = flat_len;
    memcpy(s->flat, data, size);
    memset(s->flat + size, 0, flat_len - size);
    return 0;

fail:
    mem_store_destroy(s);
    return -ENOMEM;
}

/* Free the chunks of leaf @leaf from its chunk @first on, and the leaf if
 * that is all of them */
static void store_free_leaf_from(MemStore *s, uint64_t leaf, uint64_t first)
{
    uint8_t **chunks = s->leaves[leaf];

    if (!chunks) {
        return;
    }
    for (uint64_t i = first; i < MEM_LEAF_CHUNKS; i++) {
        if (chunks[i]) {
            g_free(chunks[i]);
            chunks[i] = NULL;
        }
    }
    if (first == 0) {
        g_free(chunks);
        s->leaves[leaf] = NULL;
    }
}

/* Free the chunks in the table from byte @from (chunk aligned) on */
static void store_free_from(MemStore *s, uint64_t from)
{
    uint64_t idx = from >> MEM_CHUNK_SHIFT;

    for (uint64_t leaf = idx >> MEM_LEAF_SHIFT; leaf < s->nleaves; leaf++) {
        store_free_leaf_from(s, leaf, leaf == idx >> MEM_LEAF_SHIFT ?
                                      idx & (MEM_LEAF_CHUNKS - 1) : 0);
    }
}

void mem_store_destroy(MemStore *s)
{
    store_free_from(s, 0);
    g_free(s->leaves);
    g_free(s->flat);
    memset(s, 0, sizeof(*s));
}

/* Copy @len bytes between @mem (NULL: zeroes) and @qiov at @qiov_offset:
 * into @mem if @write */
static void store_copy(QEMUIOVector *qiov, size_t qiov_offset, uint8_t *mem,
                       uint64_t len, bool write)
{
    if (write) {
        qemu_iovec_to_buf(qiov, qiov_offset, mem, len);
    } else if (mem) {
        qemu_iovec_from_buf(qiov, qiov_offset, mem, len);
    } else {
        qemu_iovec_memset(qiov, qiov_offset, 0, len);
    }
}

/*
 * Copy between [@offset, +@bytes) and @qiov: into the store if @write
 * (backing chunks as needed: -ENOMEM), else out of it.  Adjacent memory,
 * or adjacent zeroes, go in one copy.
 */
static int store_transfer(MemStore *s, uint64_t offset, uint64_t bytes,
                          QEMUIOVector *qiov, size_t qiov_offset, bool write)
{
    uint64_t end = offset + bytes, run_pos = offset, run_len = 0, n;
    uint8_t *run = NULL, *p;
    int ret = 0;

    for (uint64_t pos = offset; pos < end; pos += n) {
        p = write ? store_back(s, pos, end, &n)
                  : store_extent(s, pos, end, &n);
        if (write && !p) {
            ret = -ENOMEM;
            break;
        }
        if (run_len && (run ? p != run + run_len : p != NULL)) {
            store_copy(qiov, qiov_offset + (run_pos - offset), run, run_len,
                       write);
            run_len = 0;
        }
        if (!run_len) {
            run = p;
            run_pos = pos;
        }
        run_len += n;
    }
    if (run_len) {
        store_copy(qiov, qiov_offset + (run_pos - offset), run, run_len,
                   write);
    }
    return ret;
}

bool mem_store_status(MemStore *s, uint64_t offset, uint64_t bytes,
                      uint64_t *pnum)
{
    uint64_t end = offset + bytes, pos = offset, n;
    bool data = offset < s->len && store_extent(s, offset, end, &n);

    /* Past the length is unbacked: zeroes (the invariant) */
    while (pos < end) {
        if (pos >= s->len) {
            n = end - pos;
            if (data) {
                break;
            }
        } else if (!!store_extent(s, pos, end, &n) != data) {
            break;
        }
        pos += n;
    }
    *pnum = pos - offset;
    return data;
}

void mem_store_read(MemStore *s, uint64_t offset, uint64_t bytes,
                    QEMUIOVector *qiov, size_t qiov_offset)
{
    store_transfer(s, offset, bytes, qiov, qiov_offset, false);
}

int mem_store_write(MemStore *s, uint64_t offset, uint64_t bytes,
                    QEMUIOVector *qiov, size_t qiov_offset)
{
    assert(offset + bytes <= s->len);
    return store_transfer(s, offset, bytes, qiov, qiov_offset, true);
}

void mem_store_zero(MemStore *s, uint64_t offset, uint64_t bytes)
{
    uint64_t end = offset + MIN(bytes, s->len - MIN(offset, s->len)), n;
    uint8_t **slot;

    for (uint64_t pos = offset; pos < end; pos += n) {
        if (!store_extent(s, pos, end, &n)) {
            continue;
        }
        if (pos < s->flat_len) {
            memset(s->flat + pos, 0, n);
            continue;
        }
        slot = store_slot(s, pos);
        /* A chunk zeroed up to its end or the length's goes */
        if (pos == chunk_start(pos) &&
            (n == MEM_CHUNK_SIZE || pos + n == s->len)) {
            g_free(*slot);
            *slot = NULL;
        } else {
            memset(*slot + (pos - chunk_start(pos)), 0, n);
        }
    }
}

/* Forget the bytes from @len on (the invariant: they read as zeroes) */
static void store_cut(MemStore *s, uint64_t len)
{
    uint64_t keep = chunk_round_up(len);
    uint8_t *flat;

    mem_store_zero(s, len, keep - len);
    store_free_from(s, keep);
    if (s->flat_len <= keep) {
        return;
    }
    if (s->flat_len > 2 * MAX(keep, (uint64_t)MEM_KEEP_ON_SHRINK)) {
        /* Mostly unused now: give the memory back */
        if (!keep) {
            g_free(s->flat);
            s->flat = NULL;
            s->flat_len = s->flat_cap = 0;
            return;
        }
        flat = g_try_realloc(s->flat, keep);
        if (flat) {
            s->flat = flat;
            s->flat_len = s->flat_cap = keep;
            return;
        }
    }
    memset(s->flat + keep, 0, MIN(s->len, s->flat_len) - MIN(keep, s->len));
}

int mem_store_truncate(MemStore *s, uint64_t len)
{
    if (store_reserve(s, len) < 0) {
        return -ENOMEM;
    }
    if (len < s->len) {
        store_cut(s, len);
    }
    s->len = len;
    return 0;
}

/* Move the chunks below @flat_len into @flat (zeroes where unbacked) */
static void store_move_into(MemStore *s, uint8_t *flat, uint64_t flat_len)
{
    uint64_t n;
    uint8_t **slot;

    if (s->flat_len) {
        memcpy(flat, s->flat, s->flat_len);
    }
    for (uint64_t pos = s->flat_len; pos < flat_len; pos += n) {
        if (!store_extent(s, pos, flat_len, &n)) {
            continue;
        }
        slot = store_slot(s, pos);
        memcpy(flat + pos, *slot, MEM_CHUNK_SIZE);
        g_free(*slot);
        *slot = NULL;
    }
    for (uint64_t leaf = 0; (leaf + 1) * MEM_LEAF_SPAN <= flat_len; leaf++) {
        g_free(s->leaves[leaf]);
        s->leaves[leaf] = NULL;
    }
}

const uint8_t *mem_store_flatten(MemStore *s)
{
    uint64_t flat_len = chunk_round_up(s->len);
    uint8_t *flat;

    if (s->flat && s->flat_len >= flat_len) {
        return s->flat;
    }
    /* Zeroed memory from the system costs nothing until touched */
    flat = g_try_malloc0(MAX(flat_len, 1));
    if (!flat) {
        return NULL;
    }
    store_move_into(s, flat, flat_len);
    g_free(s->flat);
    s->flat = flat;
    s->flat_len = s->flat_cap = flat_len;
    return flat;
}
