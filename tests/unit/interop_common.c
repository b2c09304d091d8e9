/*
 * Helpers of the interop tests (interop-common.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "interop-common.h"
#include "util/osdep.h"

#define INTEROP_PERM_LOCK_BASE 100
#define INTEROP_SHARED_LOCK_BASE 200
#define INTEROP_PERM_BITS 4

int interop_require_reference_tools(void)
{
    /* The reference implementation is a dependency, not an option */
    if (system("command -v qemu-io >/dev/null 2>&1") ||
        system("command -v qemu-img >/dev/null 2>&1")) {
        print_error("qemu-io or qemu-img not found: install qemu-utils "
                    "(scripts/install-deps)\n");
        return -1;
    }
    return 0;
}

void interop_peer_start(QemuPeer *peer, const char *args)
{
    int to_child[2], from_child[2];

    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(from_child), 0);
    peer->pid = fork();
    assert_true(peer->pid >= 0);
    if (peer->pid == 0) {
        char cmd[4096];

        snprintf(cmd, sizeof(cmd), "exec qemu-io %s", args);
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        dup2(from_child[1], 2);
        close(to_child[1]);
        close(from_child[0]);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    peer->in = fdopen(to_child[1], "w");
    peer->out = fdopen(from_child[0], "r");
    assert_non_null(peer->in);
    assert_non_null(peer->out);
}

bool interop_peer_command(QemuPeer *peer, const char *cmd, const char *expect)
{
    char line[512];

    fprintf(peer->in, "%s\n", cmd);
    fflush(peer->in);
    while (fgets(line, sizeof(line), peer->out)) {
        if (strstr(line, expect)) {
            return true;
        }
    }
    return false;
}

int interop_peer_stop(QemuPeer *peer)
{
    int status = 0;

    fprintf(peer->in, "quit\n");
    fclose(peer->in);
    fclose(peer->out);
    assert_int_equal(waitpid(peer->pid, &status, 0), peer->pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Is @byte locked by another open file description?  1, 0 or -errno */
static int interop_byte_locked(int fd, int byte)
{
    struct flock fl = {
        .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1,
    };

    if (fcntl(fd, F_OFD_GETLK, &fl) < 0) {
        return -errno;
    }
    return fl.l_type != F_UNLCK;
}

int interop_lock_bytes_held(const char *path)
{
    int fd = open(path, O_RDONLY);
    int mask = 0;

    if (fd < 0) {
        return -errno;
    }
    for (int i = 0; i < 2 * INTEROP_PERM_BITS; i++) {
        int base = i < INTEROP_PERM_BITS ? INTEROP_PERM_LOCK_BASE
                                         : INTEROP_SHARED_LOCK_BASE;
        int ret = interop_byte_locked(fd, base + i % INTEROP_PERM_BITS);
        if (ret < 0) {
            close(fd);
            return ret;
        }
        mask |= ret << i;
    }
    close(fd);
    return mask;
}

int interop_system(const char *cmd)
{
    g_autofree char *quiet = g_strdup_printf("%s >/dev/null 2>&1", cmd);
    int status = system(quiet);

    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int interop_run(const char *fmt, ...)
{
    g_autofree char *cmd = NULL;
    va_list ap;
    int ret;

    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    ret = interop_system(cmd);
    if (ret) {
        print_message("command failed (%d): %s\n", ret, cmd);
    }
    return ret;
}

char *interop_output(const char *fmt, ...)
{
    g_autofree char *cmd = NULL;
    size_t len = 0, size = 4096;
    char *out = g_malloc(size);
    va_list ap;
    size_t n;
    FILE *p;

    va_start(ap, fmt);
    cmd = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    p = popen(cmd, "r");
    assert_non_null(p);
    while ((n = fread(out + len, 1, size - len - 1, p)) > 0) {
        len += n;
        if (size - len - 1 == 0) {
            size *= 2;
            out = g_realloc(out, size);
        }
    }
    out[len] = 0;
    pclose(p);
    return out;
}
