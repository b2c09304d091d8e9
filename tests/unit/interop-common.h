/*
 * Helpers of the interop tests against the reference implementation
 * (Debian's qemu-io / qemu-img): qemu-io as a peer process driven through
 * pipes, and the image lock bytes another process holds.
 *
 * The code is in interop_common.c (linked into every unit test, like
 * test_common.c).  Include it after <cmocka.h>.
 */
#ifndef TESTS_UNIT_INTEROP_COMMON_H
#define TESTS_UNIT_INTEROP_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct QemuPeer {
    pid_t pid;
    FILE *in;   /* its stdin */
    FILE *out;  /* its stdout and stderr */
} QemuPeer;

/* A group setup's check: 0, or -1 with a message when qemu-io/qemu-img are missing */
int interop_require_reference_tools(void);

/*
 * "qemu-io @args" started without -c: it opens the image and waits for
 * commands on stdin.  @args is passed to the shell as it is.
 */
void interop_peer_start(QemuPeer *peer, const char *args);
/*
 * Send one command and read lines until one contains @expect (qemu-io
 * prints no prompt when stdin is not a terminal).  False at end of output.
 */
bool interop_peer_command(QemuPeer *peer, const char *cmd,
                          const char *expect);
/* "quit", then its exit status */
int interop_peer_stop(QemuPeer *peer);

/*
 * The lock bytes of @path that other open file descriptions hold: bit i
 * for byte 100 + i (a permission taken), bit 4 + i for byte 200 + i (a
 * permission not shared).  -errno when OFD locks cannot be queried.
 */
int interop_lock_bytes_held(const char *path);

/* Run @cmd with the shell, output discarded: its exit status, -1 when it
 * did not exit */
int interop_system(const char *cmd);

/* Run a shell command with its output discarded: its exit status (a
 * failure is printed) */
int interop_run(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* What a shell command prints on stdout (the caller frees it) */
char *interop_output(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
