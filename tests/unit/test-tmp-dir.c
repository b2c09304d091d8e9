/*
 * The temporary directory helper: paths always lie in a directory of
 * the test's own, never at the root of the file system.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>
#include "test-common.h"

static void test_tmp_path_without_dir_lies_in_a_new_dir(void **state)
{
    g_autofree char *path = NULL;
    const char *dir;
    struct stat st;

    (void)state;
    path = tmp_path("image.qcow2");
    dir = test_common_tmp_dir();
    assert_true(dir[0] == '/');
    assert_int_equal(strncmp(path, dir, strlen(dir)), 0);
    assert_string_equal(path + strlen(dir), "/image.qcow2");
    assert_string_not_equal(path, "/image.qcow2");
    assert_int_equal(stat(dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_non_null(strstr(dir, "/drydock-suite-"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_tmp_path_without_dir_lies_in_a_new_dir),
    };

    return test_common_run_group(tests, NULL, NULL);
}
