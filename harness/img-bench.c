/*
 * drydock-img bench: qemu-img bench's options and output over drydock.
 * Requests go through blk_aio_preadv/pwritev from the main loop, `depth`
 * of them in flight; offsets advance by the step and wrap at the image
 * end.  -n asks for native AIO as in qemu-img (which needs
 * cache.direct=on).  scripts/bench-io runs it against qemu-img bench.
 */
#include <time.h>

#include "img-common.h"

#include "util/cutils.h"

typedef struct BenchState BenchState;

typedef struct BenchSlot {
    BenchState *b;
    QEMUIOVector qiov;
} BenchSlot;

struct BenchState {
    BlockBackend *blk;
    int64_t image_size;
    bool write;
    int count;              /* requests to send */
    int submitted, completed;
    int in_flight;          /* requests and flushes */
    int flush_interval;
    bool drain_on_flush;
    bool flush_wanted;      /* a flush is due once the queue is drained */
    bool in_flush;
    int error;              /* the first failed request's -errno */
    int64_t offset;
    int64_t step;
    BenchSlot *slots;
    int *free_slots;        /* a stack of slot numbers */
    int nr_free;
};

static void bench_cb(void *opaque, int ret);
static void bench_flush_cb(void *opaque, int ret);

/* Start one request on a free buffer; offsets wrap at the image end */
static void bench_submit(BenchState *b)
{
    BenchSlot *slot = &b->slots[b->free_slots[--b->nr_free]];

    b->in_flight++;
    b->submitted++;
    if (b->write) {
        blk_aio_pwritev(b->blk, b->offset, &slot->qiov, 0, bench_cb, slot);
    } else {
        blk_aio_preadv(b->blk, b->offset, &slot->qiov, 0, bench_cb, slot);
    }
    b->offset += b->step;
    b->offset = b->image_size > 0 ? b->offset % b->image_size : 0;
}

/* Issue a due flush, or refill every free buffer; nothing after an error */
static void bench_pump(BenchState *b)
{
    if (b->error) {
        return;
    }
    if (b->flush_wanted && (!b->drain_on_flush || b->in_flight == 0)) {
        b->flush_wanted = false;
        b->in_flush = true;
        b->in_flight++;
        blk_aio_flush(b->blk, bench_flush_cb, b);
    }
    if (b->drain_on_flush && (b->flush_wanted || b->in_flush)) {
        return;
    }
    while (b->nr_free > 0 && b->submitted < b->count) {
        bench_submit(b);
    }
}

static void bench_note(BenchState *b, int ret)
{
    if (ret < 0 && !b->error) {
        error_report("Failed request: %s", strerror(-ret));
        b->error = ret;
    }
}

static void bench_flush_cb(void *opaque, int ret)
{
    BenchState *b = opaque;

    bench_note(b, ret);
    b->in_flight--;
    b->in_flush = false;
    bench_pump(b);
}

static void bench_cb(void *opaque, int ret)
{
    BenchSlot *slot = opaque;
    BenchState *b = slot->b;

    bench_note(b, ret);
    b->in_flight--;
    b->completed++;
    b->free_slots[b->nr_free++] = (int)(slot - b->slots);
    if (b->flush_interval && b->completed % b->flush_interval == 0 &&
        b->completed < b->count) {
        b->flush_wanted = true;
    }
    bench_pump(b);
}

typedef struct BenchOpts {
    ImgOpenArgs o;
    int count, depth, bufsize, flush_interval, pattern;
    int64_t offset, step;
    const char *aio, *filename;
    bool write, native, drain_on_flush;
} BenchOpts;

static int bench_int(const char *arg, int min, int max, const char *msg)
{
    int v;

    if (qemu_strtoi(arg, NULL, 0, &v) < 0 || v < min || v > max) {
        error_report("%s", msg);
        return -1;
    }
    return v;
}

/* The options beyond the common ones; -1 after a message */
static int bench_parse_opt(void *opaque, int c, const char *arg)
{
    BenchOpts *o = opaque;
    int64_t v;

    switch (c) {
    case 'c':
        return (o->count = bench_int(arg, 0, INT_MAX, "Invalid request "
                                     "count specified")) < 0 ? -1 : 0;
    case 'd':
        return (o->depth = bench_int(arg, 1, INT_MAX, "Invalid queue "
                                     "depth specified")) < 0 ? -1 : 0;
    case 'n': o->native = true; return 0;
    case 'i': o->aio = arg; return 0;
    case 'o':
        return (o->offset = img_parse_size_arg(arg, "offset")) < 0 ? -1
                                                                       : 0;
    case 's':
        v = img_parse_size_range(arg, "buffer size", 0, INT_MAX);
        o->bufsize = (int)v;
        return v < 0 ? -1 : 0;
    case 'S':
        return (o->step = img_parse_size_range(arg, "step_size", 0,
                                               INT_MAX)) < 0 ? -1 : 0;
    case 't': o->o.cache = arg; return 0;
    case 'w': o->write = true; return 0;
    case IMG_OPT_PATTERN:
        return (o->pattern = bench_int(arg, 0, 0xff, "Invalid pattern "
                                       "byte specified")) < 0 ? -1 : 0;
    case IMG_OPT_FLUSH_INTERVAL:
        return (o->flush_interval = bench_int(arg, 0, INT_MAX, "Invalid "
                                              "flush interval specified"))
               < 0 ? -1 : 0;
    case IMG_OPT_NO_DRAIN:
        o->drain_on_flush = false;
        return 0;
    }
    return IMG_OPT_NOT_MINE;
}

static int bench_parse(BenchOpts *o, int argc, char **argv)
{
    *o = (BenchOpts) { .count = 75000, .depth = 64, .bufsize = 4096,
                       .o.cache = "writeback", .drain_on_flush = true };
    if (img_getopt(argc, argv, ":hc:d:f:ni:o:qs:S:t:wU", &o->o,
                   bench_parse_opt, o) < 0) {
        return -1;
    }
    if (optind != argc - 1) {
        tool_usage_error("Expecting one image file name");
        return -1;
    }
    o->filename = argv[optind];
    if (o->flush_interval && !o->write) {
        error_report("--flush-interval is only available in write tests");
        return -1;
    }
    if (o->flush_interval && o->flush_interval < o->depth) {
        error_report("Flush interval can't be smaller than depth");
        return -1;
    }
    if (!o->step) {
        o->step = o->bufsize;
    }
    return img_check_open_args(&o->o) ? 0 : -1;
}

static BlockBackend *bench_open(const BenchOpts *o)
{
    int flags = o->write ? BDRV_O_RDWR : 0, aio_flags = 0;
    bool writethrough;
    ImgOpenArgs oa = o->o;

    if (bdrv_parse_cache_mode(o->o.cache, &flags, &writethrough) < 0) {
        error_report("Invalid cache mode");
        return NULL;
    }
    if (o->aio && tool_parse_aio(o->aio, &aio_flags) < 0) {
        error_report("Invalid aio option: %s", o->aio);
        return NULL;
    }
    if (o->native && !(flags & BDRV_O_NOCACHE)) {
        error_report("Could not open '%s': aio=native was specified, but it "
                     "requires cache.direct=on, which was not specified.",
                     o->filename);
        return NULL;
    }
    oa.cache = NULL;
    return img_open(&oa, o->filename,
                    flags | aio_flags | (o->native ? BDRV_O_NATIVE_AIO : 0));
}

static double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bench_run(BenchState *b, const BenchOpts *o)
{
    uint8_t *buf;
    double t0;

    printf("Sending %d %s requests, %d bytes each, %d in parallel "
           "(starting at offset %" PRId64 ", step size %" PRId64 ")\n",
           b->count, b->write ? "write" : "read", o->bufsize, o->depth,
           b->offset, b->step);
    if (b->flush_interval) {
        printf("Sending flush every %d requests\n", b->flush_interval);
    }
    buf = qemu_blockalign(blk_bs(b->blk), (size_t)o->depth * o->bufsize);
    memset(buf, o->pattern, (size_t)o->depth * o->bufsize);
    b->slots = g_new(BenchSlot, o->depth);
    b->free_slots = g_new(int, o->depth);
    for (int i = 0; i < o->depth; i++) {
        b->slots[i].b = b;
        qemu_iovec_init_buf(&b->slots[i].qiov, buf + (size_t)i * o->bufsize,
                            o->bufsize);
        b->free_slots[b->nr_free++] = o->depth - 1 - i;
    }
    t0 = bench_now();
    bench_pump(b);
    while ((b->completed < b->count && !b->error) || b->in_flight > 0) {
        aio_poll(qemu_get_aio_context(), true);
    }
    if (!b->error) {
        printf("Run completed in %3.3f seconds.\n", bench_now() - t0);
    }
    g_free(b->slots);
    g_free(b->free_slots);
    qemu_vfree(buf);
    return b->error ? 1 : 0;
}

int img_bench(int argc, char **argv)
{
    BenchOpts o;
    BenchState b = { 0 };
    int ret;

    if (bench_parse(&o, argc, argv) < 0) {
        return 1;
    }
    b.blk = bench_open(&o);
    if (!b.blk) {
        return 1;
    }
    b.image_size = blk_getlength(b.blk);
    if (b.image_size < 0) {
        error_report("Could not get image size: %s", strerror(-b.image_size));
        blk_unref(b.blk);
        return 1;
    }
    b.write = o.write;
    b.count = o.count;
    b.offset = o.offset;
    b.step = o.step;
    b.flush_interval = o.flush_interval;
    b.drain_on_flush = o.drain_on_flush;
    ret = bench_run(&b, &o);
    blk_unref(b.blk);
    return ret;
}
