/*
 * corpus_main.c — runs a fuzz target's entry point over files and folders
 * of inputs without a fuzzing engine, the way OSS-Fuzz's replay builds do:
 * every corpus entry becomes a regression test of `make test`, and a crash
 * file reproduces with one command under gdb or valgrind.
 *
 *   NAME FILE|DIR...    runs each input once, in name order; exit 0 and one
 *                       line "NAME: N inputs" when none failed
 *
 * A target that breaks an invariant aborts, as under libFuzzer, so the
 * exit status and the target's own line name the input that failed; this
 * driver prints the input's path first.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned ran;

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *b = realloc(buf, cap *= 2);
            if (!b)
                free(buf);
            buf = b;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        fprintf(stderr, "%s: could not read the input\n", path);
        free(buf);
        return -1;
    }
    /* Named before it runs: an abort inside leaves this as the last line
     * but one. */
    if (getenv("SPLITBED_FUZZ_VERBOSE"))
        fprintf(stderr, "running %s (%zu bytes)\n", path, len);
    /* An exact-size copy, so that a read past the input is ASan's to see. */
    uint8_t *in = malloc(len ? len : 1);
    if (!in) {
        free(buf);
        return -1;
    }
    memcpy(in, buf, len);
    free(buf);
    (void)LLVMFuzzerTestOneInput(in, len);
    free(in);
    ran++;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path);
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char **nn = realloc(names, (n + 1) * sizeof(*names));
        if (!nn)
            break;
        names = nn;
        if (asprintf(&names[n], "%s/%s", path, e->d_name) < 0)
            break;
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), by_name);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && run_path(names[i]) < 0)
            rc = -1;
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", name);
        return 2;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i]) < 0)
            return 2;
    printf("%s: %u inputs\n", name, ran);
    return 0;
}
