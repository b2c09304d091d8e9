/*
 * Helpers shared by the command-line tools.
 */
#include "tool-common.h"

#include "block/block-common.h"
#include "util/cutils.h"

int tool_parse_aio(const char *mode, int *flags)
{
    if (!strcmp(mode, "native")) {
        *flags |= BDRV_O_NATIVE_AIO;
    } else if (!strcmp(mode, "io_uring")) {
        *flags |= BDRV_O_IO_URING;
    } else if (!strcmp(mode, "threads")) {
        *flags &= ~(BDRV_O_NATIVE_AIO | BDRV_O_IO_URING);
    } else {
        return -EINVAL;
    }
    return 0;
}

bool tool_parse_output(const char *arg, bool *json)
{
    if (!strcmp(arg, "json")) {
        *json = true;
    } else if (!strcmp(arg, "human")) {
        *json = false;
    } else {
        error_report("--output must be used with human or json as argument.");
        return false;
    }
    return true;
}

int64_t tool_parse_img_size(const char *arg)
{
    uint64_t size;
    int ret = qemu_strtosz(arg, NULL, &size);

    if (ret == -ERANGE || (ret == 0 && size > INT64_MAX)) {
        error_report("Invalid image size specified. Must be between 0 and "
                     "%" PRId64 ".", INT64_MAX);
        return -1;
    }
    if (ret < 0) {
        error_report("Invalid image size specified. You may use k, M, G, T, "
                     "P or E suffixes for");
        error_report("kilobytes, megabytes, gigabytes, terabytes, petabytes "
                     "and exabytes.");
        return -1;
    }
    return size;
}

void tool_usage_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_vreport(fmt, ap);
    va_end(ap);
    error_printf("Try '%s --help' for more information\n",
                 error_get_progname());
}
