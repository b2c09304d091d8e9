/*
 * Standalone replay main: runs a fuzz target over the files and
 * directories named on the command line (directories non-recursively;
 * files ending in ".desc" (descriptions), ".dict" and ".options" are
 * skipped), with any compiler and no fuzzing engine.  Used by `make
 * check` (scripts/fuzz-replay) to replay corpora and regressions under
 * ASan+UBSan, and by the coverage build.  Prints one line: "replay: N
 * inputs".
 *
 * Under a sanitizer each input runs three times: once to warm what the
 * target keeps by design, then after an empty input, when it must free at
 * least as many blocks as it allocates.  libFuzzer runs every input that
 * ends with more allocations than frees a second time to look for a leak,
 * so memory an input leaves for the next one to free costs a whole run
 * (one qcow2 input in eight did).
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Crashes are triaged here: ASan keeps full allocation stacks (fuzz-common.c) */
extern bool fuzz_replay_main;
bool fuzz_replay_main = true;

#define REPLAY_MAX_INPUT (16 * 1024 * 1024)

/* The sanitizers' allocation hooks; absent without one (no balance check) */
int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void *, size_t),
    void (*free_hook)(const volatile void *)) __attribute__((weak));

static long replay_mallocs, replay_frees;
static bool replay_balance;

static void replay_malloc_hook(const volatile void *ptr, size_t size)
{
    __atomic_fetch_add(&replay_mallocs, 1, __ATOMIC_RELAXED);
}

static void replay_free_hook(const volatile void *ptr)
{
    __atomic_fetch_add(&replay_frees, 1, __ATOMIC_RELAXED);
}

/* Run @buf; false if, run after an empty input, it kept blocks */
static bool replay_run(const char *path, const uint8_t *buf, size_t n)
{
    static const uint8_t empty[1];
    long kept;

    LLVMFuzzerTestOneInput(buf, n);
    if (!replay_balance) {
        return true;
    }
    LLVMFuzzerTestOneInput(empty, 0);
    __atomic_store_n(&replay_mallocs, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&replay_frees, 0, __ATOMIC_RELAXED);
    LLVMFuzzerTestOneInput(buf, n);
    kept = __atomic_load_n(&replay_mallocs, __ATOMIC_RELAXED) -
           __atomic_load_n(&replay_frees, __ATOMIC_RELAXED);
    if (kept > 0) {
        fprintf(stderr, "replay: %s: %ld more allocations than frees "
                "(libFuzzer would run it twice)\n", path, kept);
        return false;
    }
    return true;
}

static int replay_sort(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long len;
    size_t n;
    bool ok;

    if (!f) {
        perror(path);
        return -1;
    }
    if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) < 0) {
        perror(path);
        fclose(f);
        return -1;
    }
    len = len < REPLAY_MAX_INPUT ? len : REPLAY_MAX_INPUT;
    /* Exactly the input's size, so that ASan sees reads past its end */
    buf = malloc(len ? (size_t)len : 1);
    n = buf ? fread(buf, 1, (size_t)len, f) : 0;
    fclose(f);
    if (!buf) {
        return -1;
    }
    if (getenv("REPLAY_VERBOSE")) {
        fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
    }
    ok = replay_run(path, buf, n);
    free(buf);
    return ok ? 0 : -1;
}

static bool replay_skip(const char *name)
{
    size_t len = strlen(name);
    return name[0] == '.' || (len > 5 && !strcmp(name + len - 5, ".desc")) ||
           (len > 5 && !strcmp(name + len - 5, ".dict")) ||
           (len > 8 && !strcmp(name + len - 8, ".options"));
}

static int replay_dir(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    int ret = 0;

    if (!d) {
        perror(dir);
        return -1;
    }
    while ((e = readdir(d))) {
        if (!replay_skip(e->d_name)) {
            names = realloc(names, (n + 1) * sizeof(*names));
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    if (n) {
        qsort(names, n, sizeof(*names), replay_sort);
    }
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        struct stat st;

        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            ret |= replay_file(path);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return ret;
}

int main(int argc, char **argv)
{
    int count = 0, ret = 0;

    if (LLVMFuzzerInitialize) {
        LLVMFuzzerInitialize(&argc, &argv);
    }
    if (__sanitizer_install_malloc_and_free_hooks) {
        replay_balance = __sanitizer_install_malloc_and_free_hooks(
            replay_malloc_hook, replay_free_hook) != 0;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;

        if (stat(argv[i], &st) < 0) {
            perror(argv[i]);
            ret = 1;
        } else if (S_ISDIR(st.st_mode)) {
            ret |= replay_dir(argv[i], &count) ? 1 : 0;
        } else {
            ret |= replay_file(argv[i]) ? 1 : 0;
            count++;
        }
    }
    printf("replay: %d inputs\n", count);
    return ret;
}
