/*
 * bdrv_img_create: a size in the options and a size argument together are
 * refused (qemu-img create -o size=2M IMG 4M), before anything is created.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "test-common.h"

static void test_img_create_size_given_twice_refused(void **state)
{
    g_autofree char *path = tmp_path("twice.raw");
    g_autofree char *o = g_strdup("size=2M");
    Error *err = NULL;
    struct stat st;

    bdrv_img_create(path, "raw", NULL, NULL, o, 4 * MiB, 0, true, &err);
    check_error(&err, "The image size must be specified only once");
    assert_int_equal(stat(path, &st), -1);
}

static void test_img_create_size_in_options_alone_accepted(void **state)
{
    g_autofree char *path = tmp_path("once.raw");
    g_autofree char *o = g_strdup("size=2M");
    Error *err = NULL;
    struct stat st;

    bdrv_img_create(path, "raw", NULL, NULL, o, (uint64_t)-1, 0, true, &err);
    check_ok(!err, &err, "create");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 2 * MiB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_img_create_size_given_twice_refused),
        T(test_img_create_size_in_options_alone_accepted),
    };

    return test_common_run_group(tests, test_common_group_setup,
                                 test_common_group_teardown_mem);
}
