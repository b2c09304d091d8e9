/*
 * qcow2 runtime options: the metadata cache sizes (l2-cache-size,
 * refcount-cache-size, or both from cache-size), l2-cache-entry-size,
 * cache-clean-interval (a virtual-clock timer that drops tables unused
 * since its last run), and the discard policy (pass-discard-*,
 * discard-no-unref).  Checks and messages follow QEMU's.
 */
#include "qcow2.h"
#include "util/qemu-timer.h"

#define QCOW2_OPT_CACHE_SIZE "cache-size"
#define QCOW2_OPT_L2_CACHE_SIZE "l2-cache-size"
#define QCOW2_OPT_L2_ENTRY_SIZE "l2-cache-entry-size"
#define QCOW2_OPT_REFCOUNT_CACHE_SIZE "refcount-cache-size"
#define QCOW2_OPT_CLEAN_INTERVAL "cache-clean-interval"
#define QCOW2_MIN_REFCOUNT_TABLES 4
#define QCOW2_DEFAULT_CLEAN_INTERVAL 600

static QemuOptsList qcow2_runtime_opts = {
    .name = "qcow2",
    .desc = {
        { .name = QCOW2_OPT_CACHE_SIZE, .type = QEMU_OPT_SIZE,
          .help = "Maximum combined metadata (L2 tables and refcount "
                  "blocks) cache size" },
        { .name = QCOW2_OPT_L2_CACHE_SIZE, .type = QEMU_OPT_SIZE,
          .help = "Maximum L2 table cache size" },
        { .name = QCOW2_OPT_L2_ENTRY_SIZE, .type = QEMU_OPT_SIZE,
          .help = "Size of each entry in the L2 cache" },
        { .name = QCOW2_OPT_REFCOUNT_CACHE_SIZE, .type = QEMU_OPT_SIZE,
          .help = "Maximum refcount block cache size" },
        { .name = QCOW2_OPT_CLEAN_INTERVAL, .type = QEMU_OPT_NUMBER,
          .help = "Clean unused cache entries after this time (in seconds)" },
        { .name = "pass-discard-request", .type = QEMU_OPT_BOOL,
          .help = "Generate discard requests when other clusters are freed" },
        { .name = "pass-discard-snapshot", .type = QEMU_OPT_BOOL,
          .help = "Generate discard requests when a snapshot related area "
                  "is freed" },
        { .name = "pass-discard-other", .type = QEMU_OPT_BOOL,
          .help = "Generate discard requests when other clusters are freed" },
        { .name = "discard-no-unref", .type = QEMU_OPT_BOOL,
          .help = "Do not unreference discarded clusters" },
        { /* end of list */ }
    },
};

/* Byte sizes of the two caches, as QEMU derives them */
static int qcow2_options_cache_sizes(BDRVQcow2State *s, QemuOpts *opts,
                                     uint64_t *l2, uint64_t *rc, Error **errp)
{
    bool l2_set = qemu_opt_find_set(opts, QCOW2_OPT_L2_CACHE_SIZE);
    bool rc_set = qemu_opt_find_set(opts, QCOW2_OPT_REFCOUNT_CACHE_SIZE);
    uint64_t min_rc = QCOW2_MIN_REFCOUNT_TABLES * s->cluster_size;
    /* Enough L2 tables for the whole disk */
    uint64_t max_l2 = MAX(ROUND_UP(DIV_ROUND_UP(s->disk_size,
                                                s->cluster_size) * 8,
                                   s->cluster_size),
                          (uint64_t)QCOW2_MIN_CACHE_TABLES * s->cluster_size);

    *l2 = qemu_opt_get_size(opts, QCOW2_OPT_L2_CACHE_SIZE, 0);
    *rc = qemu_opt_get_size(opts, QCOW2_OPT_REFCOUNT_CACHE_SIZE, 0);
    if (qemu_opt_find_set(opts, QCOW2_OPT_CACHE_SIZE)) {
        uint64_t all = qemu_opt_get_size(opts, QCOW2_OPT_CACHE_SIZE, 0);

        if (l2_set && rc_set) {
            error_setg(errp, "cache-size, l2-cache-size and "
                       "refcount-cache-size may not be set at the same time");
            return -EINVAL;
        } else if (l2_set && *l2 > all) {
            error_setg(errp, "l2-cache-size may not exceed cache-size");
            return -EINVAL;
        } else if (rc_set && *rc > all) {
            error_setg(errp, "refcount-cache-size may not exceed cache-size");
            return -EINVAL;
        }
        if (l2_set) {
            *rc = all - *l2;
        } else if (rc_set) {
            *l2 = all - *rc;
        } else {
            *l2 = MIN(max_l2, all > min_rc ? all - min_rc : 0);
            *rc = all - *l2;
        }
        return 0;
    }
    if (!l2_set) {
        *l2 = MIN(max_l2, (uint64_t)QCOW2_DEFAULT_L2_CACHE);
    }
    if (!rc_set) {
        *rc = MAX(min_rc, (uint64_t)QCOW2_DEFAULT_REFCOUNT_CACHE);
    }
    return 0;
}

static int qcow2_options_tables(uint64_t bytes, int64_t table, int min)
{
    return MAX(MIN(bytes / table, (uint64_t)QCOW2_MAX_CACHE_TABLES),
               (uint64_t)min);
}

static int qcow2_options_caches(BlockDriverState *bs, BDRVQcow2State *s,
                                QemuOpts *opts, Error **errp)
{
    uint64_t entry = qemu_opt_get_size(opts, QCOW2_OPT_L2_ENTRY_SIZE,
                                       s->cluster_size);
    uint64_t l2, rc;
    int ret = qcow2_options_cache_sizes(s, opts, &l2, &rc, errp);

    if (ret < 0) {
        return ret;
    }
    if (entry < 512 || entry > (uint64_t)s->cluster_size ||
        (entry & (entry - 1))) {
        error_setg(errp, "L2 cache entry size must be a power of two between "
                   "512 and the cluster size (%" PRId64 ")", s->cluster_size);
        return -EINVAL;
    }
    /*
     * Tables are cached whole: the entry size only sets how much memory
     * the cache may use (l2-cache-size / entry size slices).
     */
    s->l2_cache = qcow2_cache_create(bs, qcow2_options_tables(
                                         l2 / entry * entry, s->cluster_size,
                                         QCOW2_MIN_CACHE_TABLES),
                                     s->cluster_size, QCOW2_OL_ACTIVE_L2);
    s->refblock_cache = qcow2_cache_create(bs, qcow2_options_tables(
                                               rc, s->cluster_size,
                                               QCOW2_MIN_REFCOUNT_TABLES),
                                           s->cluster_size, QCOW2_OL_REFBLOCK);
    if (!s->l2_cache || !s->refblock_cache) {
        error_setg(errp, "Could not allocate the metadata caches");
        return -ENOMEM;
    }
    /* L2 tables never reach the disk before the refcounts they rely on */
    qcow2_cache_set_dependency(s->l2_cache, s->refblock_cache);
    return 0;
}

static void qcow2_options_clean_cb(void *opaque)
{
    BlockDriverState *bs = opaque;
    BDRVQcow2State *s = bs->opaque;

    qcow2_cache_clean_unused(s->l2_cache);
    qcow2_cache_clean_unused(s->refblock_cache);
    timer_mod(s->clean_timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) +
              (int64_t)s->clean_interval * 1000);
}

void qcow2_options_stop_timer(BDRVQcow2State *s)
{
    timer_free(s->clean_timer);
    s->clean_timer = NULL;
}

int qcow2_options_apply(BlockDriverState *bs, BDRVQcow2State *s,
                        QDict *options, Error **errp)
{
    QemuOpts *opts = qemu_opts_create(&qcow2_runtime_opts, NULL, 0,
                                      &error_abort);
    uint64_t interval;
    int ret = -EINVAL;

    if (!qemu_opts_absorb_qdict(opts, options, errp)) {
        goto out;
    }
    interval = qemu_opt_get_number(opts, QCOW2_OPT_CLEAN_INTERVAL,
                                   QCOW2_DEFAULT_CLEAN_INTERVAL);
    if (interval > UINT_MAX) {
        error_setg(errp, "Cache clean interval too big");
        goto out;
    }
    s->clean_interval = interval;
    s->discard_pass[QCOW2_DISCARD_REQUEST] =
        qemu_opt_get_bool(opts, "pass-discard-request",
                          bs->open_flags & BDRV_O_UNMAP);
    s->discard_pass[QCOW2_DISCARD_SNAPSHOT] =
        qemu_opt_get_bool(opts, "pass-discard-snapshot", true);
    s->discard_pass[QCOW2_DISCARD_OTHER] =
        qemu_opt_get_bool(opts, "pass-discard-other", false);
    s->discard_no_unref = qemu_opt_get_bool(opts, "discard-no-unref", false);
    ret = qcow2_options_caches(bs, s, opts, errp);
    if (ret == 0 && s->clean_interval) {
        s->clean_timer = aio_timer_new(bdrv_get_aio_context(bs),
                                       QEMU_CLOCK_VIRTUAL, SCALE_MS,
                                       qcow2_options_clean_cb, bs);
        timer_mod(s->clean_timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) +
                  (int64_t)s->clean_interval * 1000);
    }
out:
    qemu_opts_del(opts);
    return ret;
}
