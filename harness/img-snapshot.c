/*
 * drydock-img snapshot: -l (list), -c (create), -a (apply), -d (delete)
 * through the core's bdrv_snapshot_* (which fail with the driver's
 * message where a format has no internal snapshots), and the snapshot
 * table that info shares.
 */
#include <sys/time.h>

#include "img-common.h"

#include "util/cutils.h"
#include "util/qlist.h"

void img_snapshot_print_list(const QEMUSnapshotInfo *sn, int nb)
{
    printf("Snapshot list:\n");
    printf("%-9s %-17s %7s%20s%13s%11s\n", "ID", "TAG", "VM SIZE", "DATE",
           "VM CLOCK", "ICOUNT");
    for (int i = 0; i < nb; i++) {
        time_t t = sn[i].date_sec;
        struct tm tm;
        char date[32] = "", clock[32], icount[32] = "";
        uint64_t ms = sn[i].vm_clock_nsec / 1000000;
        g_autofree char *vmsize = size_to_str(sn[i].vm_state_size);

        if (localtime_r(&t, &tm)) {
            strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        }
        snprintf(clock, sizeof(clock), "%02" PRIu64 ":%02" PRIu64 ":%02"
                 PRIu64 ".%03" PRIu64, ms / 3600000, ms / 60000 % 60,
                 ms / 1000 % 60, ms % 1000);
        if (sn[i].icount != UINT64_MAX) {
            snprintf(icount, sizeof(icount), "%" PRIu64, sn[i].icount);
        }
        printf("%-9s %-17s %7s%20s%13s%11s\n", sn[i].id_str, sn[i].name,
               vmsize, date, clock, icount);
    }
}

QList *img_snapshot_list_json(const QEMUSnapshotInfo *sn, int nb)
{
    QList *list = qlist_new();

    for (int i = 0; i < nb; i++) {
        QDict *d = qdict_new();

        if (sn[i].icount != UINT64_MAX) {
            qdict_put_int(d, "icount", (int64_t)sn[i].icount);
        }
        qdict_put_int(d, "vm-clock-nsec", sn[i].vm_clock_nsec % 1000000000);
        qdict_put_str(d, "name", sn[i].name);
        qdict_put_int(d, "date-sec", sn[i].date_sec);
        qdict_put_int(d, "date-nsec", sn[i].date_nsec);
        qdict_put_int(d, "vm-clock-sec", sn[i].vm_clock_nsec / 1000000000);
        qdict_put_str(d, "id", sn[i].id_str);
        qdict_put_int(d, "vm-state-size", (int64_t)sn[i].vm_state_size);
        qlist_append(list, d);
    }
    return list;
}

static int img_snapshot_list(BlockDriverState *bs)
{
    QEMUSnapshotInfo *sn = NULL;
    int nb = bdrv_snapshot_list(bs, &sn);

    if (nb > 0) {
        img_snapshot_print_list(sn, nb);
    }
    g_free(sn);
    return 0;
}

static int img_snapshot_create(BlockDriverState *bs, const char *name)
{
    QEMUSnapshotInfo sn = { 0 };
    struct timeval tv;
    int ret;

    snprintf(sn.name, sizeof(sn.name), "%s", name);
    gettimeofday(&tv, NULL);
    sn.date_sec = tv.tv_sec;
    sn.date_nsec = tv.tv_usec * 1000;
    ret = bdrv_snapshot_create(bs, &sn);
    if (ret < 0) {
        error_report("Could not create snapshot '%s': %d (%s)", name, ret,
                     strerror(-ret));
        return 1;
    }
    return 0;
}

static int img_snapshot_apply(BlockDriverState *bs, const char *name)
{
    Error *err = NULL;

    if (bdrv_snapshot_goto(bs, name, &err) < 0) {
        error_prepend(&err, "Could not apply snapshot '%s': ", name);
        error_report_err(err);
        return 1;
    }
    return 0;
}

static int img_snapshot_delete(BlockDriverState *bs, const char *name)
{
    QEMUSnapshotInfo sn;
    Error *err = NULL;

    if (bdrv_snapshot_find(bs, &sn, name) < 0) {
        error_report("Could not delete snapshot '%s': snapshot not found",
                     name);
        return 1;
    }
    if (bdrv_snapshot_delete(bs, sn.id_str, sn.name, &err) < 0) {
        error_prepend(&err, "Could not delete snapshot '%s': ", name);
        error_report_err(err);
        return 1;
    }
    return 0;
}

int img_snapshot(int argc, char **argv)
{
    ImgOpenArgs o = { 0 };
    BlockBackend *blk;
    const char *name = NULL;
    int c, r, action = 0, ret;

    while ((c = getopt_long(argc, argv, ":la:c:d:hqU", img_long_options,
                            NULL)) != -1) {
        if (c == 'l' || c == 'a' || c == 'c' || c == 'd') {
            if (action) {
                tool_usage_error("Cannot mix '-l', '-a', '-c', '-d'");
                return 1;
            }
            action = c;
            name = optarg;
            continue;
        }
        r = c == 'f' ? 0 : img_common_opt(c, optarg, &o);
        if (r < 0) {
            return 1;
        } else if (!r) {
            return img_getopt_error(c, argv);
        }
    }
    if (optind != argc - 1) {
        tool_usage_error("Expecting one image file name");
        return 1;
    }
    action = action ? action : 'l';
    blk = img_open(&o, argv[optind], action == 'l' ? BDRV_O_NO_BACKING
                   : BDRV_O_RDWR | BDRV_O_NO_BACKING);
    if (!blk) {
        return 1;
    }
    switch (action) {
    case 'l': ret = img_snapshot_list(blk_bs(blk)); break;
    case 'c': ret = img_snapshot_create(blk_bs(blk), name); break;
    case 'a': ret = img_snapshot_apply(blk_bs(blk), name); break;
    default: ret = img_snapshot_delete(blk_bs(blk), name); break;
    }
    blk_unref(blk);
    return ret;
}
