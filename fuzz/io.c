/*
 * Fuzz target "io": a program of reads, writes, zero writes, discards,
 * truncates and flushes at any offsets and alignments through a
 * BlockBackend, with requests overlapping while in flight (asynchronous
 * submits parked in the test driver and released later), every read
 * checked against a shadow copy of the guest-visible bytes.
 *
 * Input: 5 header bytes (node stack, request alignment, max-transfer,
 * image size, scheduler seed), then operations of one opcode byte and its
 * arguments (docs/fuzzing.md).  Stacks: test; test over mem; raw over mem;
 * raw over test over mem; raw over file; test over file (a private
 * temporary file, never a path from the input).
 *
 * The shadow knows each byte or marks it unknown (after a discard, a
 * failed write, or writes that may have raced).  Every request submitted
 * while others are in flight belongs to the current "epoch"; a completed
 * write makes its bytes known, except where it overlaps another write of
 * the epoch (either order is correct there).  A read checks the known
 * bytes no write of the epoch overlaps, and re-learns unknown ones.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/block-backend.h"
#include "block/block-global-state.h"
#include "block/block-debug.h"
#include "block/block-io.h"
#include "block/mem.h"
#include "block/test-driver.h"
#include "util/qdict.h"
#include "util/sched.h"
#include "fuzz-common.h"

#define IO_MAX_SIZE (128 * 1024)       /* image sizes and truncates */
#define IO_MAX_LEN (32 * 1024)         /* one request */
#define IO_MAX_REQS 16                 /* in flight, and per epoch */
#define IO_MAX_OPS 64
#define IO_POLL_LIMIT 100000
#define IO_MEM_NAME "fuzz-io"

typedef enum IoKind { IO_READ, IO_WRITE, IO_ZERO, IO_DISCARD } IoKind;

typedef struct IoReq {
    IoKind kind;
    int64_t offset;
    int64_t bytes;
    uint8_t *buf;
    QEMUIOVector qiov;
    bool done;
    int ret;
    struct IoState *s;
} IoReq;

typedef struct IoState {
    BlockBackend *blk;
    BlockDriverState *test_bs;   /* the test node of the stack, or NULL */
    int stack;
    int64_t size;                /* the shadow's length */
    uint8_t shadow[IO_MAX_SIZE];
    uint8_t known[IO_MAX_SIZE];
    IoReq *epoch[IO_MAX_REQS];   /* requests since nothing was in flight */
    int nb_epoch;
    int in_flight;
} IoState;

static IoState io_state;
static char io_file_path[32];    /* /proc/self/fd/N of io_fd */
static int io_fd = -1;

static const char *const io_stack_names[] = {
    "test", "test/mem", "raw/mem", "raw/test/mem", "raw/file", "test/file",
};
#define IO_NB_STACKS 6

/* ---- shadow ------------------------------------------------------------- */

static bool io_is_write(IoKind k)
{
    return k != IO_READ;
}

static bool io_overlap(int64_t a, int64_t alen, int64_t b, int64_t blen)
{
    return a < b + blen && b < a + alen;
}

static void io_mark_unknown(IoState *s, int64_t off, int64_t len)
{
    int64_t end = MIN(off + len, s->size);

    if (off < end) {
        memset(s->known + off, 0, (size_t)(end - off));
    }
}

/* Bytes another write of the epoch overlaps may hold either value */
static void io_unknown_epoch_overlaps(IoState *s, IoReq *r)
{
    for (int i = 0; i < s->nb_epoch; i++) {
        IoReq *o = s->epoch[i];
        if (o != r && io_is_write(o->kind) &&
            io_overlap(o->offset, o->bytes, r->offset, r->bytes)) {
            int64_t lo = MAX(o->offset, r->offset);
            int64_t hi = MIN(o->offset + o->bytes, r->offset + r->bytes);
            io_mark_unknown(s, lo, hi - lo);
        }
    }
}

static void io_apply_write(IoState *s, IoReq *r)
{
    int64_t end = MIN(r->offset + r->bytes, s->size);

    if (r->ret < 0 || r->kind == IO_DISCARD) {
        /* A failed request may have landed in part; discard is advisory */
        io_mark_unknown(s, r->offset, r->bytes);
    } else if (r->offset < end) {
        size_t n = (size_t)(end - r->offset);
        if (r->kind == IO_ZERO) {
            memset(s->shadow + r->offset, 0, n);
        } else {
            memcpy(s->shadow + r->offset, r->buf, n);
        }
        memset(s->known + r->offset, 1, n);
    }
    io_unknown_epoch_overlaps(s, r);
}

static bool io_byte_racy(IoState *s, IoReq *r, int64_t pos)
{
    for (int i = 0; i < s->nb_epoch; i++) {
        IoReq *o = s->epoch[i];
        if (o != r && io_is_write(o->kind) &&
            pos >= o->offset && pos < o->offset + o->bytes) {
            return true;
        }
    }
    return false;
}

/*
 * The end of the run of bytes from @pos on that the same writes of the
 * epoch cover (so whether they are racy does not change within it)
 */
static int64_t io_run_end(IoState *s, IoReq *r, int64_t pos, int64_t end)
{
    for (int i = 0; i < s->nb_epoch; i++) {
        IoReq *o = s->epoch[i];
        if (o != r && io_is_write(o->kind)) {
            if (o->offset > pos) {
                end = MIN(end, o->offset);
            }
            if (o->offset + o->bytes > pos) {
                end = MIN(end, o->offset + o->bytes);
            }
        }
    }
    return end;
}

/* Bytes [pos, end) of a read that no write of its epoch overlaps */
static void io_check_run(IoState *s, IoReq *r, int64_t pos, int64_t end)
{
    const uint8_t *got = r->buf + (pos - r->offset);
    size_t n = (size_t)(end - pos);

    /* Fast path: all known and equal (the per-byte loop is instrumented) */
    if (!memchr(s->known + pos, 0, n) && !memcmp(s->shadow + pos, got, n)) {
        return;
    }
    for (; pos < end; pos++, got++) {
        if (!s->known[pos]) {
            s->shadow[pos] = *got;
            s->known[pos] = 1;
        } else if (s->shadow[pos] != *got) {
            fuzz_die("io: %s: read of [%" PRId64 ", +%" PRId64 ") returned "
                     "0x%02x at offset %" PRId64 ", the shadow holds 0x%02x",
                     io_stack_names[s->stack], r->offset, r->bytes, *got, pos,
                     s->shadow[pos]);
        }
    }
}

static void io_check_read(IoState *s, IoReq *r)
{
    int64_t end = MIN(r->offset + r->bytes, s->size), run;

    if (r->ret < 0) {
        return;
    }
    for (int64_t pos = r->offset; pos < end; pos = run) {
        run = io_run_end(s, r, pos, end);
        if (!io_byte_racy(s, r, pos)) {
            io_check_run(s, r, pos, run);
        }
    }
}

/* ---- requests ----------------------------------------------------------- */

static void io_complete(IoState *s, IoReq *r)
{
    if (fuzz_trace) {
        fprintf(stderr, "io: %s [%" PRId64 ", +%" PRId64 ") -> %d, %d "
                "piece(s), %d in flight, size %" PRId64 "\n",
                (const char *[]){ "read", "write", "zero", "discard" }[r->kind],
                r->offset, r->bytes, r->ret, r->buf ? r->qiov.niov : 0,
                s->in_flight, s->size);
    }
    if (r->kind == IO_READ) {
        io_check_read(s, r);
    } else {
        io_apply_write(s, r);
    }
}

static void io_aio_cb(void *opaque, int ret)
{
    IoReq *r = opaque;

    if (r->done) {
        fuzz_die("io: request [%" PRId64 ", +%" PRId64 ") completed twice",
                 r->offset, r->bytes);
    }
    r->done = true;
    r->ret = ret;
    r->s->in_flight--;
    io_complete(r->s, r);
}

static void io_req_free(IoReq *r)
{
    if (r->buf) {
        qemu_iovec_destroy(&r->qiov);
    }
    free(r->buf);
    free(r);
}

/* Forget the epoch once nothing is in flight */
static void io_epoch_end(IoState *s)
{
    if (s->in_flight) {
        return;
    }
    for (int i = 0; i < s->nb_epoch; i++) {
        io_req_free(s->epoch[i]);
    }
    s->nb_epoch = 0;
}

static void io_release_all(IoState *s)
{
    if (s->test_bs) {
        test_driver_set_parking(s->test_bs, false);
        test_driver_release(s->test_bs, INT32_MAX);
    }
}

/* Release everything and wait until no request is in flight */
static void io_settle(IoState *s)
{
    io_release_all(s);
    for (int i = 0; i < IO_POLL_LIMIT && s->in_flight; i++) {
        if (!aio_poll(qemu_get_aio_context(), false)) {
            break;
        }
    }
    if (s->in_flight) {
        fuzz_die("io: %s: %d request(s) never completed", io_stack_names[s->stack],
                 s->in_flight);
    }
    io_epoch_end(s);
}

/*
 * What writes write: IO_MAX_LEN bytes from offset pattern * IO_FILL_STEP
 * of one table, so that each pattern byte gives other data at each offset
 */
#define IO_FILL_STEP 131
static const uint8_t *io_fill_bytes(void)
{
    static uint8_t fill[IO_MAX_LEN + 256 * IO_FILL_STEP];
    static bool done;

    for (size_t i = 0; !done && i < sizeof(fill); i++) {
        fill[i] = (uint8_t)(i * 7 + (i >> 9) + (i >> 13));
    }
    done = true;
    return fill;
}

/* The request's data vector: 1 to 3 pieces cut where the input says */
static void io_req_buffers(FuzzInput *in, IoReq *r)
{
    size_t len = (size_t)r->bytes;
    size_t cut1, cut2;
    uint8_t pattern = fuzz_u8(in);

    r->buf = malloc(len ? len : 1);
    /* memcpy/memset: a byte loop here was a sixth of the target's time */
    if (r->kind == IO_WRITE) {
        memcpy(r->buf, io_fill_bytes() + pattern * IO_FILL_STEP, len);
    } else {
        memset(r->buf, 0xa5, len);
    }
    qemu_iovec_init(&r->qiov, 3);
    cut1 = len ? fuzz_u16(in) % (len + 1) : 0;
    cut2 = len ? fuzz_u16(in) % (len + 1) : 0;
    if (cut1 > cut2) {
        size_t t = cut1;
        cut1 = cut2;
        cut2 = t;
    }
    if (cut1) {
        qemu_iovec_add(&r->qiov, r->buf, cut1);
    }
    if (cut2 > cut1) {
        qemu_iovec_add(&r->qiov, r->buf + cut1, cut2 - cut1);
    }
    if (len > cut2) {
        qemu_iovec_add(&r->qiov, r->buf + cut2, len - cut2);
    }
}

/* Offsets and lengths: sector-aligned or byte-granular, in and past range */
static void io_decode_range(FuzzInput *in, IoState *s, IoReq *r)
{
    uint8_t how = fuzz_u8(in);
    int64_t span = s->size + 4096;

    if (how & 1) {
        r->offset = (int64_t)fuzz_below(in, (uint32_t)(span / 512 + 1)) * 512;
    } else {
        r->offset = fuzz_u32(in) % (uint64_t)span;
    }
    if (how & 2) {
        r->bytes = (int64_t)(fuzz_u8(in) % 65) * 512;
    } else {
        r->bytes = fuzz_u16(in) % (IO_MAX_LEN + 1);
    }
    if (how & 4) {
        r->bytes = MIN(r->bytes, MAX(s->size - r->offset, 0));
    }
}

static IoReq *io_req_new(FuzzInput *in, IoState *s, IoKind kind)
{
    IoReq *r = calloc(1, sizeof(*r));

    r->kind = kind;
    r->s = s;
    io_decode_range(in, s, r);
    if (kind == IO_READ || kind == IO_WRITE) {
        io_req_buffers(in, r);
    }
    return r;
}

static BdrvRequestFlags io_flags(FuzzInput *in, IoKind kind)
{
    uint8_t f = fuzz_u8(in);
    BdrvRequestFlags flags = 0;

    if (kind == IO_WRITE && (f & 1)) {
        flags |= BDRV_REQ_FUA;
    }
    if (kind == IO_ZERO && (f & 2)) {
        flags |= BDRV_REQ_MAY_UNMAP;
    }
    return flags;
}

static void io_submit(FuzzInput *in, IoState *s, IoKind kind)
{
    IoReq *r;
    BdrvRequestFlags flags;

    if (s->nb_epoch == IO_MAX_REQS) {
        io_settle(s);
    }
    r = io_req_new(in, s, kind);
    flags = io_flags(in, kind);
    s->epoch[s->nb_epoch++] = r;
    s->in_flight++;
    if (fuzz_trace) {
        fprintf(stderr, "io: submit %d [%" PRId64 ", +%" PRId64 ")\n", kind,
                r->offset, r->bytes);
    }
    switch (kind) {
    case IO_READ:
        blk_aio_preadv(s->blk, r->offset, &r->qiov, flags, io_aio_cb, r);
        break;
    case IO_WRITE:
        blk_aio_pwritev(s->blk, r->offset, &r->qiov, flags, io_aio_cb, r);
        break;
    case IO_ZERO:
        blk_aio_pwrite_zeroes(s->blk, r->offset, r->bytes, flags, io_aio_cb, r);
        break;
    case IO_DISCARD:
        blk_aio_pdiscard(s->blk, r->offset, r->bytes, io_aio_cb, r);
        break;
    }
}

/* A synchronous request: parked ones are released first so that it cannot
 * wait forever behind them.  It joins the epoch before it is issued: the
 * main loop it polls completes the others, which may see its data. */
static void io_sync(FuzzInput *in, IoState *s, IoKind kind)
{
    IoReq *r;
    BdrvRequestFlags flags;

    if (s->nb_epoch == IO_MAX_REQS) {
        io_settle(s);
    }
    r = io_req_new(in, s, kind);
    flags = io_flags(in, kind);
    io_release_all(s);
    s->epoch[s->nb_epoch++] = r;
    s->in_flight++;
    switch (kind) {
    case IO_READ:
        r->ret = blk_preadv(s->blk, r->offset, r->bytes, &r->qiov, flags);
        break;
    case IO_WRITE:
        r->ret = blk_pwritev(s->blk, r->offset, r->bytes, &r->qiov, flags);
        break;
    case IO_ZERO:
        r->ret = blk_pwrite_zeroes(s->blk, r->offset, r->bytes, flags);
        break;
    case IO_DISCARD:
        r->ret = blk_pdiscard(s->blk, r->offset, r->bytes);
        break;
    }
    r->done = true;
    s->in_flight--;
    io_complete(s, r);
}

static void io_truncate(FuzzInput *in, IoState *s)
{
    int64_t size = fuzz_u32(in) % (IO_MAX_SIZE + 1);
    bool exact = fuzz_u8(in) & 1;
    int64_t old = s->size, len;
    int ret;

    if (fuzz_u8(in) & 1) {
        size &= ~511LL;
    }
    io_settle(s);
    if (fuzz_trace) {
        fprintf(stderr, "io: truncate %" PRId64 " exact %d\n", size, exact);
    }
    ret = blk_truncate(s->blk, size, exact, PREALLOC_MODE_OFF, 0, NULL);
    len = blk_getlength(s->blk);
    if (len < 0 || len > IO_MAX_SIZE) {
        fuzz_die("io: %s: length %" PRId64 " after truncating to %" PRId64,
                 io_stack_names[s->stack], len, size);
    }
    /* Lengths are whole sectors (the core rounds up, as QEMU does) */
    if (ret == 0 && exact && len != ROUND_UP(size, (int64_t)BDRV_SECTOR_SIZE)) {
        fuzz_die("io: %s: exact truncate to %" PRId64 " left length %" PRId64,
                 io_stack_names[s->stack], size, len);
    }
    s->size = len;
    /* Past the requested size (up to the next sector when the length is
     * rounded up) and in grown space: zeroes, unless the truncate failed */
    old = MIN(old, ret == 0 ? size : old);
    if (len > old) {
        memset(s->shadow + old, 0, (size_t)(len - old));
        memset(s->known + old, ret == 0, (size_t)(len - old));
    }
}

/*
 * The length may grow without a truncate: a write padded to a request
 * alignment larger than the sector grows a node whose length is not
 * aligned up to the padded end (io_write_finish, as QEMU's write_req_finish
 * does).  The shadow follows, with the new bytes unknown; it never shrinks
 * without a truncate.
 */
static void io_follow_length(IoState *s)
{
    int64_t len = blk_getlength(s->blk);

    if (len < s->size || len > IO_MAX_SIZE) {
        fuzz_die("io: %s: length %" PRId64 " without a truncate (was %" PRId64
                 ")", io_stack_names[s->stack], len, s->size);
    }
    if (len > s->size) {
        memset(s->known + s->size, 0, (size_t)(len - s->size));
        s->size = len;
    }
}

static void io_park(FuzzInput *in, IoState *s)
{
    uint8_t n = fuzz_u8(in);

    if (!s->test_bs) {
        return;
    }
    if (n & 0x80) {
        test_driver_release(s->test_bs, (n & 0x7f) % 4 + 1);
    } else {
        test_driver_set_parking(s->test_bs, n & 1);
    }
}

static void io_poll(FuzzInput *in)
{
    int n = fuzz_u8(in) % 8 + 1;

    for (int i = 0; i < n; i++) {
        aio_poll(qemu_get_aio_context(), false);
    }
}

static void io_step(FuzzInput *in, IoState *s)
{
    uint8_t op = fuzz_u8(in) % 12;

    switch (op) {
    case 0: case 1: case 2: case 3:
        io_sync(in, s, (IoKind)op);
        break;
    case 4: case 5: case 6: case 7:
        io_submit(in, s, (IoKind)(op - 4));
        break;
    case 8:
        io_truncate(in, s);
        break;
    case 9:
        io_release_all(s);
        blk_flush(s->blk);
        break;
    case 10:
        io_park(in, s);
        break;
    case 11:
        io_poll(in);
        break;
    }
    io_epoch_end(s);
    io_follow_length(s);
}

/* ---- set-up ------------------------------------------------------------- */

static void io_put_test_opts(QDict *opts, const char *prefix, uint32_t align,
                             uint32_t max_transfer, int64_t size)
{
    char key[64];

    snprintf(key, sizeof(key), "%sdriver", prefix);
    qdict_put_str(opts, key, "test");
    snprintf(key, sizeof(key), "%salign", prefix);
    qdict_put_int(opts, key, align);
    snprintf(key, sizeof(key), "%smax-transfer", prefix);
    qdict_put_int(opts, key, max_transfer);
    snprintf(key, sizeof(key), "%ssize", prefix);
    qdict_put_int(opts, key, size);
}

static void io_put_protocol(QDict *opts, const char *prefix, bool file)
{
    char key[64];

    snprintf(key, sizeof(key), "%sdriver", prefix);
    qdict_put_str(opts, key, file ? "file" : "mem");
    snprintf(key, sizeof(key), "%sfilename", prefix);
    qdict_put_str(opts, key, file ? io_file_path : IO_MEM_NAME);
}

static QDict *io_stack_opts(int stack, uint32_t align, uint32_t mt,
                            int64_t size)
{
    QDict *opts = qdict_new();

    switch (stack) {
    case 0:
        io_put_test_opts(opts, "", align, mt, size);
        break;
    case 1:
    case 5:
        io_put_test_opts(opts, "", align, mt, size);
        io_put_protocol(opts, "file.", stack == 5);
        break;
    case 2:
    case 4:
        qdict_put_str(opts, "driver", "raw");
        io_put_protocol(opts, "file.", stack == 4);
        break;
    case 3:
        qdict_put_str(opts, "driver", "raw");
        io_put_test_opts(opts, "file.", align, mt, size);
        io_put_protocol(opts, "file.file.", false);
        break;
    }
    return opts;
}

static void io_make_backing_store(int stack, int64_t size)
{
    if (stack == 4 || stack == 5) {
        if (ftruncate(io_fd, 0) < 0 || ftruncate(io_fd, size) < 0) {
            fuzz_die("io: cannot resize %s", io_file_path);
        }
    } else {
        mem_image_set(IO_MEM_NAME, NULL, (size_t)size, &error_abort);
    }
}

static BlockDriverState *io_find_test(BlockBackend *blk)
{
    for (BlockDriverState *bs = blk_bs(blk); bs;
         bs = bs->file ? bs->file->bs : NULL) {
        if (!strcmp(bs->drv->format_name, "test")) {
            return bs;
        }
    }
    return NULL;
}

/* Header: stack, alignment, max-transfer, size, seed; false: not opened */
static bool io_open(FuzzInput *in, IoState *s)
{
    uint32_t align, mt;
    uint8_t mt_sel;
    int64_t size;
    QDict *opts;

    s->stack = fuzz_u8(in) % IO_NB_STACKS;
    align = 1u << (fuzz_u8(in) % 13);
    mt_sel = fuzz_u8(in);
    /* 0 (none) or a multiple of the alignment, at least a sector: tinier
     * limits only multiply the requests (and slow every input down) */
    mt = mt_sel % 4 == 0 ? 0 : MAX(align, 512u) * (mt_sel / 4 % 64 + 1);
    size = 1 + fuzz_u16(in) % IO_MAX_SIZE;
    if (size % 8 != 1) {
        size = ROUND_UP(size, 512);   /* mostly sector multiples */
    }
    size = MIN(size, IO_MAX_SIZE);
    sched_set_deterministic(fuzz_u8(in));

    io_make_backing_store(s->stack, size);
    opts = io_stack_opts(s->stack, align, mt, size);
    s->blk = blk_new_open(NULL, NULL, opts, BDRV_O_RDWR | BDRV_O_RESIZE, NULL);
    if (!s->blk) {
        return false;    /* e.g. a size the alignment does not divide */
    }
    s->test_bs = io_find_test(s->blk);
    s->size = blk_getlength(s->blk);
    if (s->size < 0 || s->size > IO_MAX_SIZE) {
        fuzz_die("io: %s: length %" PRId64 " of a %" PRId64 "-byte image",
                 io_stack_names[s->stack], s->size, size);
    }
    memset(s->shadow, 0, (size_t)s->size);
    memset(s->known, 1, (size_t)s->size);
    return true;
}

/*
 * The "file" stacks' file: created in $TMPDIR (else /dev/shm, where
 * flushes cost nothing, else /tmp) and unlinked at once, so that nothing
 * is left when the process dies without exit() -- a crash, a timeout, an
 * OOM; the file driver opens it by its /proc/self/fd name.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *tmp = getenv("TMPDIR");
    g_autofree char *name = NULL;

    if (!tmp || !*tmp) {
        tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    }
    fuzz_init();
    name = g_strdup_printf("%s/drydock-fuzz-io-XXXXXX", tmp);
    io_fd = mkstemp(name);
    if (io_fd < 0) {
        fuzz_die("io: cannot create a temporary file in %s: %s", tmp,
                 strerror(errno));
    }
    unlink(name);
    snprintf(io_file_path, sizeof(io_file_path), "/proc/self/fd/%d", io_fd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    IoState *s = &io_state;
    int nodes = bdrv_debug_node_count();
    FuzzInput in;

    if (!io_file_path[0]) {
        LLVMFuzzerInitialize(NULL, NULL);
    }
    fuzz_input_init(&in, data, size);
    memset(s, 0, offsetof(IoState, shadow));
    if (io_open(&in, s)) {
        for (int i = 0; i < IO_MAX_OPS && !fuzz_input_done(&in); i++) {
            io_step(&in, s);
        }
        io_settle(s);
        fuzz_check_graph("the io program");
        blk_unref(s->blk);
    }
    mem_image_delete(IO_MEM_NAME);
    fuzz_check_nodes(nodes, "io");
    return 0;
}
