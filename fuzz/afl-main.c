/*
 * AFL++ main for the fuzz targets: persistent mode (__AFL_LOOP) with
 * shared-memory test cases (__AFL_FUZZ_TESTCASE_BUF), deferred fork server
 * after the library's one-time set-up.  Built with afl-clang-fast, which
 * defines the __AFL_* macros.  Outside afl-fuzz it reads one input from
 * stdin (or runs each file named on the command line).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

__AFL_FUZZ_INIT();

static void afl_main_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    static uint8_t buf[1 << 20];
    size_t n;

    if (!f) {
        perror(path);
        exit(1);
    }
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
}

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize) {
        LLVMFuzzerInitialize(&argc, &argv);
    }
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            afl_main_file(argv[i]);
        }
        return 0;
    }
#ifdef __AFL_HAVE_MANUAL_CONTROL
    __AFL_INIT();
#endif
    /* Must come after __AFL_INIT(): the shared buffer is mapped by then */
    uint8_t *buf = __AFL_FUZZ_TESTCASE_BUF;
    while (__AFL_LOOP(100000)) {
        LLVMFuzzerTestOneInput(buf, (size_t)__AFL_FUZZ_TESTCASE_LEN);
    }
    return 0;
}
