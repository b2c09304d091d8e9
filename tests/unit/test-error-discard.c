/*
 * Reports a caller discards are not printed (nor formatted), and printing
 * comes back when the caller stops discarding (block/util/error.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "util/error.h"
#include "test-common.h"

/* error_report, warn_report, info_report and error_printf into @out */
static void report_all(FILE *out)
{
    error_set_report_stream(out);
    error_report("an error %d", 1);
    warn_report("a warning %d", 2);
    info_report("an info %d", 3);
    error_printf("text %d\n", 4);
    error_set_report_stream(NULL);
}

static void test_discarded_reports_print_nothing(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    error_set_reports_discarded(true);
    assert_true(error_reports_discarded());
    report_all(f);
    error_set_reports_discarded(false);
    fclose(f);
    assert_int_equal(len, 0);
    free(buf);
}

static void test_reports_print_again_after_discarding(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    error_set_reports_discarded(true);
    error_set_reports_discarded(false);
    assert_false(error_reports_discarded());
    report_all(f);
    fclose(f);
    assert_non_null(strstr(buf, "an error 1"));
    assert_non_null(strstr(buf, "a warning 2"));
    assert_non_null(strstr(buf, "an info 3"));
    assert_non_null(strstr(buf, "text 4"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_discarded_reports_print_nothing),
        T(test_reports_print_again_after_discarding),
    };

    return test_common_run_group(tests, NULL, NULL);
}
