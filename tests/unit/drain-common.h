/*
 * Shared by test-drain.c and test-drain-cb.c: soft expectations, node and
 * edge setup, drain assertions and the per-test fixtures.
 *
 * drain-common.c is linked into every unit test binary, so its symbols
 * carry a drain_common_ prefix; the short names the tests use are macros
 * defined here and exist only where this header is included.
 */
#ifndef TESTS_UNIT_DRAIN_COMMON_H
#define TESTS_UNIT_DRAIN_COMMON_H

#include <stdbool.h>

#include "block/block-backend.h"
#include "block/block-debug.h"
#include "block/block-int.h"
#include "block/test-driver.h"
#include "util/main-loop.h"

/* Enough non-blocking polls for any chain of BHs here; bounded so that a
 * bug fails the test instead of hanging it */
#define POLL_LIMIT 1000

/* Nodes alive when the current test started (set by the setup) */
extern int drain_common_node_baseline;

/* ---- soft expectations ---------------------------------------------------
 *
 * A failed check is printed with its location and the test goes on to its
 * cleanup (detaching test parents whose callbacks point into its stack,
 * ending drains); it fails at end_test().  So one failure does not leave a
 * drained graph or dangling callbacks behind for the next tests.
 */
void drain_common_expect_failed(const char *file, int line, const char *fmt,
                                ...) G_GNUC_PRINTF(3, 4);
void drain_common_end_test_at(const char *file, int line);

#define expect_failed(...) drain_common_expect_failed(__VA_ARGS__)
#define EXPECT_FAIL(...) expect_failed(__FILE__, __LINE__, __VA_ARGS__)

#define expect_int(a, b)                                                       \
    do {                                                                       \
        long long ei_a = (a), ei_b = (b);                                      \
        if (ei_a != ei_b) {                                                    \
            EXPECT_FAIL("%s is %lld, expected %lld", #a, ei_a, ei_b);          \
        }                                                                      \
    } while (0)
#define expect_true(c)                                                         \
    do {                                                                       \
        if (!(c)) {                                                            \
            EXPECT_FAIL("expected %s", #c);                                    \
        }                                                                      \
    } while (0)
#define expect_false(c) expect_true(!(c))

#define end_test() drain_common_end_test_at(__FILE__, __LINE__)

/* ---- nodes, edges, polling ---------------------------------------------- */

bool drain_common_poll_for(bool *flag);
void drain_common_poll_until_at(bool *flag, const char *what,
                                const char *file, int line);
BlockDriverState *drain_common_open_node_flags(const char *driver,
                                               const char *name, int flags);
BdrvChild *drain_common_attach(BlockDriverState *parent,
                               BlockDriverState *child, const char *name);
BlockBackend *drain_common_new_blk(BlockDriverState *bs);
int drain_common_parent_count(BlockDriverState *bs);
void drain_common_unref_nodes_list(BlockDriverState *bs, ...);
void drain_common_begin_kind(bool all, BlockDriverState *bs);
void drain_common_end_kind(bool all, BlockDriverState *bs);

#define main_ctx() qemu_get_aio_context()
/* Returns whether *flag became true; bounded so a bug cannot hang */
#define poll_for(flag) drain_common_poll_for(flag)
/* A hard failure: what follows would wait for it forever */
#define poll_until(flag, what)                                                 \
    drain_common_poll_until_at((flag), (what), __FILE__, __LINE__)
#define open_node_flags(driver, name, flags)                                   \
    drain_common_open_node_flags((driver), (name), (flags))
#define open_test(name)                                                        \
    drain_common_open_node_flags("test", (name), BDRV_O_RDWR)
/* @child gets a new edge (with its own reference) named @name under @parent */
#define attach(parent, child, name)                                            \
    drain_common_attach((parent), (child), (name))
#define new_blk(bs) drain_common_new_blk(bs)
#define parent_count(bs) drain_common_parent_count(bs)
#define unref_nodes(...) drain_common_unref_nodes_list(__VA_ARGS__, NULL)
/* bdrv_drain_all_begin() if @all, else bdrv_drained_begin(@bs); and ends */
#define drain_begin_kind(all, bs) drain_common_begin_kind((all), (bs))
#define drain_end_kind(all, bs) drain_common_end_kind((all), (bs))

/* ---- drain assertions (soft) -------------------------------------------- */

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
void drain_common_expect_graph_ok_at(const char *file, int line);
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
#define expect_graph_ok() drain_common_expect_graph_ok_at(__FILE__, __LINE__)
/* Nodes alive beyond those the test started with */
#define expect_node_count(n)                                                   \
    expect_int(bdrv_debug_node_count() - drain_common_node_baseline, (n))
/* Behaviour 1's "every counter back to 0": nodes, edges and drain_all */
#define expect_all_undrained()                                                 \
    drain_common_expect_all_undrained_at(__FILE__, __LINE__)

/* ---- fixtures ----------------------------------------------------------- */

int drain_common_group_setup(void **state);
int drain_common_setup(void **state);
int drain_common_teardown(void **state);

#endif
