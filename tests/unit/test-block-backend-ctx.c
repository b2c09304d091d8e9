/*
 * Requests parked in a BlockBackend across an AioContext move
 * (block/core/block-backend.c): a request queued while the backend was
 * drained resumes in the context the backend is in when the drain ends,
 * never in the one it was submitted in, whichever way the move happened
 * (a move of the node, blk_set_aio_context).
 *
 * Each test runs with virtual IOThreads (deterministic mode, several seeds,
 * printed on failure) and with a real IOThread (a pthread), which the tsan
 * build checks for races between the two threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ctx-common.h"

/* ---- a driver that records where its reads run ------------------------- */

typedef struct WhereState {
    AioContext *read_ctx;       /* the current context in the last read */
    AioContext *node_ctx;       /* the node's context then */
    int reads;
} WhereState;

static int64_t coroutine_fn where_co_getlength(BlockDriverState *bs)
{
    return 1024 * 1024;
}

static int coroutine_fn where_co_preadv(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, QEMUIOVector *qiov,
                                        BdrvRequestFlags flags)
{
    WhereState *s = bs->opaque;

    s->read_ctx = qemu_get_current_aio_context();
    s->node_ctx = bdrv_get_aio_context(bs);
    s->reads++;
    qemu_iovec_memset(qiov, 0, 0, bytes);
    return 0;
}

static BlockDriver where_drv = {
    .format_name = "where",
    .instance_size = sizeof(WhereState),
    .bdrv_co_getlength = where_co_getlength,
    .bdrv_co_preadv = where_co_preadv,
    .bdrv_child_perm = bdrv_default_perms,
};

/* ---- a read whose completion may run in an IOThread -------------------- */

typedef struct Read {
    uint8_t buf[512];
    QEMUIOVector qiov;
    int ret;
    bool done;
} Read;

static void read_cb(void *opaque, int ret)
{
    Read *r = opaque;

    r->ret = ret;
    qatomic_store_release(&r->done, true);
}

static bool read_done(Read *r)
{
    return qatomic_load_acquire(&r->done);
}

static void read_start(BlockBackend *blk, Read *r)
{
    memset(r, 0, sizeof(*r));
    qemu_iovec_init_buf(&r->qiov, r->buf, sizeof(r->buf));
    blk_aio_preadv(blk, 0, &r->qiov, 0, read_cb, r);
}

enum { MOVE_NODE, MOVE_BLK };

/*
 * The root is drained; a read submitted from the main thread parks in the
 * backend; the backend and its node move into the other context (the
 * IOThread's, or back to the main one with @back); the drain ends.  The
 * read must reach the node in the context it moved to.
 */
static void parked_read_follows_move(uint64_t seed, int how, bool back)
{
    AioContext *io = ctx_iothread_new(0, seed);
    AioContext *main_ctx = qemu_get_aio_context();
    AioContext *from = back ? io : main_ctx;
    AioContext *to = back ? main_ctx : io;
    BlockDriverState *bs = test_common_open_local(&where_drv, "where-node",
                                                  BDRV_O_RDWR);
    BlockBackend *blk = new_blk_in(from, bs, true);
    WhereState *s = bs->opaque;
    Error *err = NULL;
    Read r;

    expect_ctx(bs, from);
    bdrv_drained_begin(bs);
    read_start(blk, &r);
    for (int i = 0; i < 20; i++) {
        aio_poll(main_ctx, false);
    }
    expect_false(read_done(&r));
    expect_int(s->reads, 0);

    if (how == MOVE_NODE) {
        move_ok(bs, to);
    } else {
        expect_int(blk_set_aio_context(blk, to, &err), 0);
        check_ok(true, &err, "blk_set_aio_context");
    }
    expect_blk_ctx(blk, to);
    expect_ctx(bs, to);
    bdrv_drained_end(bs);
    AIO_WAIT_WHILE(main_ctx, !read_done(&r));

    expect_int(r.ret, 0);
    expect_int(s->reads, 1);
    if (s->read_ctx != to || s->node_ctx != to) {
        EXPECT_FAIL("seed %" PRIu64 " (0: real IOThread): the parked read "
                    "ran in context %s on a node in %s, expected %s", seed,
                    ctx_name(s->read_ctx), ctx_name(s->node_ctx),
                    ctx_name(to));
    }

    blk_unref(blk);
    bdrv_unref(bs);
    ctx_iothreads_free();
}

/* Virtual IOThreads with four seeds, then a real one */
static void parked_read_follows_move_seeds(int how, bool back)
{
    for (uint64_t seed = 1; seed <= 4; seed++) {
        parked_read_follows_move(seed, how, back);
    }
    parked_read_follows_move(0, how, back);
    end_test();
}

static void test_blk_parked_read_resumes_in_new_ctx_after_node_move(void **st)
{
    parked_read_follows_move_seeds(MOVE_NODE, false);
}

static void test_blk_parked_read_resumes_in_new_ctx_after_blk_set_ctx(
    void **st)
{
    parked_read_follows_move_seeds(MOVE_BLK, false);
}

static void test_blk_parked_read_resumes_in_main_after_node_move_back(
    void **st)
{
    parked_read_follows_move_seeds(MOVE_NODE, true);
}

static void test_blk_parked_read_resumes_in_main_after_blk_set_ctx_back(
    void **st)
{
    parked_read_follows_move_seeds(MOVE_BLK, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        TC(test_blk_parked_read_resumes_in_new_ctx_after_node_move),
        TC(test_blk_parked_read_resumes_in_new_ctx_after_blk_set_ctx),
        TC(test_blk_parked_read_resumes_in_main_after_node_move_back),
        TC(test_blk_parked_read_resumes_in_main_after_blk_set_ctx_back),
    };

    return test_common_run_group(tests, group_setup, NULL);
}
