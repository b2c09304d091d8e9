/*
 * Helpers shared by the drain tests (see drain-common.h).  Linked into
 * every unit test binary: everything not static is prefixed drain_common_.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "drain-common.h"

/* ---- nodes, edges, polling ---------------------------------------------- */

bool drain_common_poll_for(bool *flag)
{
    for (int i = 0; i < POLL_LIMIT && !*flag; i++) {
        aio_poll(main_ctx(), false);
    }
    return *flag;
}

void drain_common_poll_until_at(bool *flag, const char *what,
                                const char *file, int line)
{
    if (!drain_common_poll_for(flag)) {
        print_error("%s did not happen within %d polls\n", what, POLL_LIMIT);
        _fail(file, line);
    }
}

void drain_common_begin_kind(bool all, BlockDriverState *bs)
{
    if (all) {
        bdrv_drain_all_begin();
    } else {
        bdrv_drained_begin(bs);
    }
}

void drain_common_end_kind(bool all, BlockDriverState *bs)
{
    if (all) {
        bdrv_drain_all_end();
    } else {
        bdrv_drained_end(bs);
    }
}

/* ---- drain assertions (soft) -------------------------------------------- */

void drain_common_expect_quiesce_at(BlockDriverState *bs, int n,
                                    const char *file, int line)
{
    if (bs->quiesce_counter != n) {
        expect_failed(file, line,
                      "node '%s' has quiesce count %d, "
                      "expected %d",
                      bdrv_get_node_name(bs), bs->quiesce_counter, n);
    }
}

void drain_common_expect_hooks_at(BlockDriverState *bs, int begins, int ends,
                                  const char *file, int line)
{
    const TestDriverCounters *c = test_driver_counters(bs);

    if (c->drain_begin != begins || c->drain_end != ends) {
        expect_failed(file, line,
                      "node '%s' drain hooks ran begin=%d "
                      "end=%d times, expected %d/%d",
                      bdrv_get_node_name(bs), c->drain_begin, c->drain_end,
                      begins, ends);
    }
}

void drain_common_expect_quiesces_at(const char *file, int line,
                                     BlockDriverState *bs, ...)
{
    va_list ap;

    va_start(ap, bs);
    for (; bs; bs = va_arg(ap, BlockDriverState *)) {
        drain_common_expect_quiesce_at(bs, va_arg(ap, int), file, line);
    }
    va_end(ap);
}

void drain_common_expect_hooks_all_at(const char *file, int line, int begins,
                                      int ends, BlockDriverState *bs, ...)
{
    va_list ap;

    va_start(ap, bs);
    for (; bs; bs = va_arg(ap, BlockDriverState *)) {
        drain_common_expect_hooks_at(bs, begins, ends, file, line);
    }
    va_end(ap);
}

void drain_common_expect_blk_quiesced_at(BlockBackend *blk, bool q,
                                         const char *file, int line)
{
    if (blk_root(blk)->quiesced_parent != q) {
        expect_failed(file, line, "the BlockBackend over '%s' is %squiesced",
                      bdrv_get_node_name(blk_bs(blk)), q ? "not " : "");
    }
}

void drain_common_expect_all_undrained_at(const char *file, int line)
{
    BlockDriverState *bs = NULL;

    while ((bs = bdrv_next_all_states(bs))) {
        BdrvChild *c;
        if (bs->quiesce_counter) {
            expect_failed(file, line, "node '%s' still has quiesce count %d",
                          bdrv_get_node_name(bs), bs->quiesce_counter);
        }
        QLIST_FOREACH (c, &bs->parents, next_parent) {
            if (c->quiesced_parent) {
                expect_failed(file, line,
                              "edge '%s' to '%s' still quiesces "
                              "its parent",
                              c->name, bdrv_get_node_name(bs));
            }
        }
    }
    if (bdrv_debug_drain_all_count()) {
        expect_failed(file, line, "drain_all nesting is %d, expected 0",
                      bdrv_debug_drain_all_count());
    }
}

/* ---- death tests -------------------------------------------------------- */

void drain_common_expect_abort_at(void (*fn)(void *opaque), void *opaque,
                                  const char *needle, const char *file,
                                  int line)
{
    char buf[4096] = "";
    size_t len = 0;
    ssize_t n;
    int fds[2], status;
    pid_t pid;

    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        /* cmocka's handlers would resume the test run in the child */
        signal(SIGABRT, SIG_DFL);
        fn(opaque);
        _exit(0);
    }
    close(fds[1]);
    while (len < sizeof(buf) - 1 &&
           (n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0) {
        len += n;
    }
    buf[len] = '\0';
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
        expect_failed(file, line, "expected an abort mentioning \"%s\", the "
                      "child ended with status 0x%x; stderr: %s", needle,
                      status, buf);
    } else if (!strstr(buf, needle)) {
        expect_failed(file, line, "the abort does not mention \"%s\": %s",
                      needle, buf);
    }
}

/* ---- fixtures ----------------------------------------------------------- */

int drain_common_group_setup(void **state)
{
    test_common_init(TEST_COMMON_NO_DRAIN_ALL);
    bdrv_register(&bdrv_test);
    return 0;
}
