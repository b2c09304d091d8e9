/*
 * Shared by test-drain.c and test-drain-cb.c: polling, drain assertions,
 * the short names the tests use for the helpers of test-common.h, and the
 * group setup.
 *
 * drain-common.c is linked into every unit test binary, so its symbols
 * carry a drain_common_ prefix; the short names the tests use are macros
 * defined here and exist only where this header is included.
 */
#ifndef TESTS_UNIT_DRAIN_COMMON_H
#define TESTS_UNIT_DRAIN_COMMON_H

#include <stdbool.h>

#include "block/test-driver.h"
#include "util/main-loop.h"
#include "test-common.h"

/* Enough non-blocking polls for any chain of BHs here; bounded so that a
 * bug fails the test instead of hanging it */
#define POLL_LIMIT 1000

/* ---- nodes, edges, polling ---------------------------------------------- */

bool drain_common_poll_for(bool *flag);
void drain_common_poll_until_at(bool *flag, const char *what,
                                const char *file, int line);
void drain_common_begin_kind(bool all, BlockDriverState *bs);
void drain_common_end_kind(bool all, BlockDriverState *bs);

#define main_ctx() qemu_get_aio_context()
/* Returns whether *flag became true; bounded so a bug cannot hang */
#define poll_for(flag) drain_common_poll_for(flag)
/* A hard failure: what follows would wait for it forever */
#define poll_until(flag, what)                                                 \
    drain_common_poll_until_at((flag), (what), __FILE__, __LINE__)
#define open_node_flags(driver, name, flags)                                   \
    test_common_open_node((driver), (name), (flags))
/* @child gets a new edge (with its own reference) named @name under @parent */
#define attach(parent, child, name)                                            \
    test_common_attach_ref((parent), (child), (name))
#define new_blk(bs)                                                            \
    test_common_new_blk((bs), BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL)
#define parent_count(bs) test_common_count_parents(bs)
/* bdrv_drain_all_begin() if @all, else bdrv_drained_begin(@bs); and ends */
#define drain_begin_kind(all, bs) drain_common_begin_kind((all), (bs))
#define drain_end_kind(all, bs) drain_common_end_kind((all), (bs))

/* ---- drain assertions (soft, see test-common.h) ------------------------- */

void drain_common_expect_quiesce_at(BlockDriverState *bs, int n,
                                    const char *file, int line);
void drain_common_expect_hooks_at(BlockDriverState *bs, int begins, int ends,
                                  const char *file, int line);
void drain_common_expect_quiesces_at(const char *file, int line,
                                     BlockDriverState *bs, ...);
void drain_common_expect_hooks_all_at(const char *file, int line, int begins,
                                      int ends, BlockDriverState *bs, ...);
void drain_common_expect_blk_quiesced_at(BlockBackend *blk, bool q,
                                         const char *file, int line);
void drain_common_expect_all_undrained_at(const char *file, int line);

#define expect_quiesce(bs, n)                                                  \
    drain_common_expect_quiesce_at((bs), (n), __FILE__, __LINE__)
#define expect_hooks(bs, b, e)                                                 \
    drain_common_expect_hooks_at((bs), (b), (e), __FILE__, __LINE__)
/* expect_quiesces(bs1, count1, bs2, count2, ...) */
#define expect_quiesces(...)                                                   \
    drain_common_expect_quiesces_at(__FILE__, __LINE__, __VA_ARGS__, NULL)
/* expect_hooks_all(begins, ends, bs1, bs2, ...) */
#define expect_hooks_all(b, e, ...)                                            \
    drain_common_expect_hooks_all_at(__FILE__, __LINE__, (b), (e),             \
                                     __VA_ARGS__, NULL)
#define expect_blk_quiesced(blk, q)                                            \
    drain_common_expect_blk_quiesced_at((blk), (q), __FILE__, __LINE__)
/* Nodes alive beyond those the test started with */
#define expect_node_count(n)                                                   \
    expect_int(bdrv_debug_node_count() - test_common_nodes_before, (n))
/* Behaviour 1's "every counter back to 0": nodes, edges and drain_all */
#define expect_all_undrained()                                                 \
    drain_common_expect_all_undrained_at(__FILE__, __LINE__)

/* ---- death tests -------------------------------------------------------- */

/*
 * fn(opaque) in a child process must abort (SIGABRT) with @needle on
 * stderr: how a test proves that an assertion refuses a misuse.  Fork only
 * where no other thread runs (deterministic mode).
 */
void drain_common_expect_abort_at(void (*fn)(void *opaque), void *opaque,
                                  const char *needle, const char *file,
                                  int line);
#define expect_abort(fn, opaque, needle)                                       \
    drain_common_expect_abort_at((fn), (opaque), (needle), __FILE__, __LINE__)

/* ---- fixtures ----------------------------------------------------------- */

/* The tests use test-common.h's per-test fixtures (T()) */
int drain_common_group_setup(void **state);

#endif
