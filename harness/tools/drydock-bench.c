/*
 * drydock-bench: `qemu-img bench` over drydock's block layer, with the
 * same options and the same output lines, so that scripts/bench-io can run
 * both on one file and compare.  It is meant to become `drydock-img bench`.
 *
 *   drydock-bench [-c count] [-d depth] [-f fmt] [--flush-interval=N]
 *                 [-i aio] [-n] [--no-drain] [-o offset] [--pattern=byte]
 *                 [-q] [-s buffer_size] [-S step_size] [-t cache] [-w] [-U]
 *                 filename
 *
 * Requests go through blk_aio_preadv/pwritev from the main loop, `depth`
 * of them in flight; offsets advance by the step and wrap at the image end.
 * -n asks for native AIO as in qemu-img (which needs cache.direct=on).
 */
#include <getopt.h>
#include <time.h>

#include "block/block-backend.h"
#include "util/cutils.h"

enum {
    BENCH_OPT_PATTERN = 256,
    BENCH_OPT_FLUSH_INTERVAL,
    BENCH_OPT_NO_DRAIN,
};

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
    int64_t offset;
    int64_t step;
    BenchSlot *slots;
    int *free_slots;        /* a stack of slot numbers */
    int nr_free;
};

static void bench_cb(void *opaque, int ret);
static void bench_flush_cb(void *opaque, int ret);

static void bench_check(int ret)
{
    if (ret < 0) {
        error_report("Failed request: %s", strerror(-ret));
        exit(EXIT_FAILURE);
    }
}

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

/* Issue a due flush, or refill every free buffer */
static void bench_pump(BenchState *b)
{
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

static void bench_flush_cb(void *opaque, int ret)
{
    BenchState *b = opaque;

    bench_check(ret);
    b->in_flight--;
    b->in_flush = false;
    bench_pump(b);
}

static void bench_cb(void *opaque, int ret)
{
    BenchSlot *slot = opaque;
    BenchState *b = slot->b;

    bench_check(ret);
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
    int count, depth, bufsize, flush_interval, pattern;
    int64_t offset, step;
    const char *fmt, *cache, *aio, *filename;
    bool write, force_share, native, drain_on_flush;
} BenchOpts;

static void bench_usage_error(const char *msg)
{
    error_report("%s", msg);
    error_printf("Try 'drydock-bench --help' for more information\n");
    exit(EXIT_FAILURE);
}

static void bench_help(void)
{
    printf("usage: drydock-bench [-c count] [-d depth] [-f fmt] "
           "[--flush-interval=flush_interval] [-i aio] [-n] [--no-drain] "
           "[-o offset] [--pattern=pattern] [-q] [-s buffer_size] "
           "[-S step_size] [-t cache] [-w] [-U] filename\n"
           "Run a simple image benchmark (qemu-img bench's options and "
           "output).\n");
    exit(EXIT_SUCCESS);
}

static int64_t bench_size(const char *arg, const char *what)
{
    uint64_t v;

    if (qemu_strtosz(arg, NULL, &v) < 0 || v > INT64_MAX) {
        error_report("Invalid %s specified. You may use k, M, G, T, P or E "
                     "suffixes for", what);
        error_report("kilobytes, megabytes, gigabytes, terabytes, petabytes "
                     "and exabytes.");
        exit(EXIT_FAILURE);
    }
    return (int64_t)v;
}

static int bench_int(const char *arg, int min, const char *msg)
{
    int v;

    if (qemu_strtoi(arg, NULL, 0, &v) < 0 || v < min) {
        error_report("%s", msg);
        exit(EXIT_FAILURE);
    }
    return v;
}

static void bench_parse_opt(BenchOpts *o, int c, const char *arg)
{
    int64_t v;

    switch (c) {
    case 'h': case '?':
        bench_help();
        break;
    case 'c': o->count = bench_int(arg, 0, "Invalid request count "
                                   "specified"); break;
    case 'd': o->depth = bench_int(arg, 1, "Invalid queue depth "
                                   "specified"); break;
    case 'f': o->fmt = arg; break;
    case 'n': o->native = true; break;
    case 'i': o->aio = arg; break;
    case 'o': o->offset = bench_size(arg, "offset"); break;
    case 'q': break;    /* qemu-img bench prints its lines anyway */
    case 's':
        v = bench_size(arg, "buffer size");
        if (v > INT_MAX) {
            error_report("Invalid buffer size specified. Must be between 0 "
                         "and %d.", INT_MAX);
            exit(EXIT_FAILURE);
        }
        o->bufsize = (int)v;
        break;
    case 'S':
        o->step = bench_size(arg, "step_size");
        break;
    case 't': o->cache = arg; break;
    case 'w': o->write = true; break;
    case 'U': o->force_share = true; break;
    case BENCH_OPT_PATTERN:
        o->pattern = bench_int(arg, 0, "Invalid pattern byte specified");
        if (o->pattern > 0xff) {
            bench_usage_error("Invalid pattern byte specified");
        }
        break;
    case BENCH_OPT_FLUSH_INTERVAL:
        o->flush_interval = bench_int(arg, 0, "Invalid flush interval "
                                      "specified");
        break;
    case BENCH_OPT_NO_DRAIN:
        o->drain_on_flush = false;
        break;
    }
}

static void bench_parse(BenchOpts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "pattern", required_argument, NULL, BENCH_OPT_PATTERN },
        { "flush-interval", required_argument, NULL,
          BENCH_OPT_FLUSH_INTERVAL },
        { "no-drain", no_argument, NULL, BENCH_OPT_NO_DRAIN },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    *o = (BenchOpts) { .count = 75000, .depth = 64, .bufsize = 4096,
                       .cache = "writeback", .drain_on_flush = true };
    while ((c = getopt_long(argc, argv, "hc:d:f:ni:o:qs:S:t:wU", longopts,
                            NULL)) != -1) {
        bench_parse_opt(o, c, optarg);
    }
    if (optind != argc - 1) {
        bench_usage_error("Expecting one image file name");
    }
    o->filename = argv[optind];
    if (o->flush_interval && !o->write) {
        bench_usage_error("--flush-interval is only available in write "
                          "tests");
    }
    if (o->flush_interval && o->flush_interval < o->depth) {
        bench_usage_error("Flush interval can't be smaller than depth");
    }
    if (!o->step) {
        o->step = o->bufsize;
    }
}

static BlockBackend *bench_open(const BenchOpts *o)
{
    QDict *options = qdict_new();
    int flags = o->write ? BDRV_O_RDWR : 0;
    bool writethrough;
    Error *err = NULL;
    BlockBackend *blk;

    if (bdrv_parse_cache_mode(o->cache, &flags, &writethrough) < 0) {
        error_report("Invalid cache mode");
        exit(EXIT_FAILURE);
    }
    if (o->aio && strcmp(o->aio, "threads") && strcmp(o->aio, "native") &&
        strcmp(o->aio, "io_uring")) {
        error_report("Invalid aio option: %s", o->aio);
        exit(EXIT_FAILURE);
    }
    if (o->native && !(flags & BDRV_O_NOCACHE)) {
        error_report("Could not open '%s': aio=native was specified, but it "
                     "requires cache.direct=on, which was not specified.",
                     o->filename);
        exit(EXIT_FAILURE);
    }
    if (o->fmt) {
        qdict_put_str(options, "driver", o->fmt);
    }
    if (o->aio || o->native) {
        qdict_put_str(options, "file.aio", o->aio ? o->aio : "native");
    }
    if (o->force_share) {
        qdict_put_str(options, "force-share", "on");
    }
    blk = blk_new_open(o->filename, NULL, options, flags, &err);
    if (!blk) {
        error_report("Could not open '%s': %s", o->filename,
                     error_get_pretty(err));
        error_free(err);
        exit(EXIT_FAILURE);
    }
    return blk;
}

static double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    BenchOpts o;
    BenchState b = { 0 };
    uint8_t *buf;
    double t0;

    error_set_progname(argv[0]);
    bench_parse(&o, argc, argv);
    bdrv_init();
    b.blk = bench_open(&o);
    b.image_size = blk_getlength(b.blk);
    if (b.image_size < 0) {
        error_report("Could not get image size: %s", strerror(-b.image_size));
        return EXIT_FAILURE;
    }
    b.write = o.write;
    b.count = o.count;
    b.offset = o.offset;
    b.step = o.step;
    b.flush_interval = o.flush_interval;
    b.drain_on_flush = o.drain_on_flush;

    printf("Sending %d %s requests, %d bytes each, %d in parallel "
           "(starting at offset %" PRId64 ", step size %" PRId64 ")\n",
           b.count, b.write ? "write" : "read", o.bufsize, o.depth, b.offset,
           b.step);
    if (b.flush_interval) {
        printf("Sending flush every %d requests\n", b.flush_interval);
    }

    buf = qemu_blockalign(blk_bs(b.blk), (size_t)o.depth * o.bufsize);
    memset(buf, o.pattern, (size_t)o.depth * o.bufsize);
    b.slots = g_new(BenchSlot, o.depth);
    b.free_slots = g_new(int, o.depth);
    for (int i = 0; i < o.depth; i++) {
        b.slots[i].b = &b;
        qemu_iovec_init_buf(&b.slots[i].qiov, buf + (size_t)i * o.bufsize,
                            o.bufsize);
        b.free_slots[b.nr_free++] = o.depth - 1 - i;
    }

    t0 = bench_now();
    bench_pump(&b);
    while (b.completed < b.count || b.in_flight > 0) {
        aio_poll(qemu_get_aio_context(), true);
    }
    printf("Run completed in %3.3f seconds.\n", bench_now() - t0);

    g_free(b.slots);
    g_free(b.free_slots);
    qemu_vfree(buf);
    blk_unref(b.blk);
    bdrv_close_all();
    return EXIT_SUCCESS;
}
