/*
 * The files of image helpers (poke, peek, write-hex, cat, graph --dot):
 * host files, or in a sandboxed run (the scenario fuzz target) mem images
 * named by the path, so that a scenario never reads or writes the host.
 */
#include "scn.h"

#include <fcntl.h>

#include "block/mem.h"

/* Largest file a sandboxed run writes (a poke offset may be hostile) */
#define SCN_SANDBOX_FILE_MAX (64 * MiB)

static int scn_mem_write(const char *file, int64_t offset, const uint8_t *buf,
                         size_t len, bool trunc)
{
    size_t old_len = 0, new_len;
    const uint8_t *old = mem_image_get(file, &old_len);
    g_autofree uint8_t *data = NULL;
    Error *err = NULL;

    old_len = trunc ? 0 : old_len;
    if ((uint64_t)offset > SCN_SANDBOX_FILE_MAX ||
        len > SCN_SANDBOX_FILE_MAX - (uint64_t)offset) {
        scn_error("Cannot write '%s': the sandbox holds files of at most "
                  "%lld bytes", file, (long long)SCN_SANDBOX_FILE_MAX);
        return SCN_CMD_FAIL;
    }
    new_len = MAX(old_len, (size_t)offset + len);
    data = g_malloc0(MAX(new_len, 1));
    if (old) {
        memcpy(data, old, old_len);
    }
    memcpy(data + offset, buf, len);
    /* Nodes open on the old buffer keep it (host files would change) */
    if (mem_image_set(file, data, new_len, &err) < 0) {
        return scn_report_err(err);
    }
    return 0;
}

int scn_file_write(const char *file, int64_t offset, const uint8_t *buf,
                   size_t len, bool trunc)
{
    ssize_t n = -1;
    int fd;

    if (scn_sandboxed()) {
        return scn_mem_write(file, offset, buf, len, trunc);
    }
    fd = open(file, O_WRONLY | O_CREAT | (trunc ? O_TRUNC : 0), 0644);
    if (fd >= 0) {
        n = pwrite(fd, buf, len, offset);
        close(fd);
    }
    if (n != (ssize_t)len) {
        scn_error("Cannot write '%s': %s", file,
                  n < 0 ? strerror(errno) : "short write");
        return SCN_CMD_FAIL;
    }
    return 0;
}

bool scn_file_exists(const char *file)
{
    return scn_sandboxed() ? mem_image_exists(file)
                           : access(file, F_OK) == 0;
}

ssize_t scn_file_pread(const char *file, uint8_t *buf, size_t len,
                       int64_t offset)
{
    const uint8_t *data;
    size_t n = 0;
    ssize_t ret;
    int fd;

    if (scn_sandboxed()) {
        data = mem_image_get(file, &n);
        if (!data) {
            return -ENOENT;
        }
        if ((uint64_t)offset >= n) {
            return 0;
        }
        n = MIN(len, n - (size_t)offset);
        memcpy(buf, data + offset, n);
        return n;
    }
    fd = open(file, O_RDONLY);
    if (fd < 0) {
        return -errno;
    }
    ret = pread(fd, buf, len, offset);
    ret = ret < 0 ? -errno : ret;
    close(fd);
    return ret;
}

int scn_file_cat(const char *file)
{
    const uint8_t *data;
    char buf[4096];
    size_t n = 0;
    FILE *f;

    if (scn_sandboxed()) {
        data = mem_image_get(file, &n);
        if (!data) {
            scn_error("Cannot open '%s': %s", file, strerror(ENOENT));
            return SCN_CMD_FAIL;
        }
        fwrite(data, 1, n, stdout);
        return 0;
    }
    f = fopen(file, "r");
    if (!f) {
        scn_error("Cannot open '%s': %s", file, strerror(errno));
        return SCN_CMD_FAIL;
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        fwrite(buf, 1, n, stdout);
    }
    fclose(f);
    return 0;
}
