/*
 * corpus_main.c — runs a fuzz target's entry point over files and folders
 * of inputs without a fuzzing engine, the way OSS-Fuzz's replay builds do:
 * every corpus entry becomes a regression test of `make test`, and a crash
 * file reproduces with one command under gdb or valgrind.
 *
 *   NAME FILE|DIR...    runs each input once, in name order; exit 0 and one
 *                       line "NAME: N inputs" when none failed
 *   NAME -reset-check FILE|DIR...
 *                       for a target that keeps its world between inputs
 *                       (fuzz_world.h): runs each input on a fresh world,
 *                       then all of them in order and in reverse order on
 *                       the kept one, and compares what each input did;
 *                       one line "NAME: N inputs, a reset world behaves as
 *                       a fresh one" and exit 0, or one line naming the
 *                       first input that differed and exit 1
 *   NAME -summary FILE|DIR...
 *                       as the first form, then one more line "NAME: ..."
 *                       with what the target counted over all inputs
 *                       (fuzz_target_summary, for targets that count:
 *                       how many requests were served, frames delivered)
 *
 * A target that breaks an invariant aborts, as under libFuzzer, so the
 * exit status and the target's own line name the input that failed; this
 * driver prints the input's path first.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
void fuzz_world_fresh(int on) __attribute__((weak));
uint64_t fuzz_world_digest(void) __attribute__((weak));
void fuzz_target_summary(char *buf, size_t len) __attribute__((weak));

static unsigned ran;

/* -reset-check: the inputs' paths, and what each did on a fresh world. */
static bool collecting;
static char **paths;
static size_t npaths;

static int run_file(const char *path)
{
    if (collecting) {
        char **pp = realloc(paths, (npaths + 1) * sizeof(*paths));
        if (!pp || !(pp[npaths] = strdup(path))) {
            fprintf(stderr, "%s: out of memory\n", path);
            free(pp);
            return -1;
        }
        paths = pp;
        npaths++;
        return 0;
    }
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

/* Runs every collected input on a fresh world, then on the kept one in
 * order and in reverse order; 0 when each did the same every time. */
static int reset_check(const char *name)
{
    if (!fuzz_world_fresh || !fuzz_world_digest) {
        fprintf(stderr, "%s: keeps no world between inputs: nothing to check\n", name);
        return 2;
    }
    uint64_t *fresh = calloc(npaths ? npaths : 1, sizeof(*fresh));
    if (!fresh)
        return 2;
    fuzz_world_fresh(1);
    for (size_t i = 0; i < npaths; i++) {
        if (run_file(paths[i]) < 0)
            return 2;
        fresh[i] = fuzz_world_digest();
    }
    fuzz_world_fresh(0);
    for (int round = 0; round < 2; round++)
        for (size_t k = 0; k < npaths; k++) {
            size_t i = round ? npaths - 1 - k : k;
            if (run_file(paths[i]) < 0)
                return 2;
            if (fuzz_world_digest() != fresh[i]) {
                printf("%s: %s: the reset world did otherwise than a fresh one "
                       "(%s round, digest %016llx, fresh %016llx)\n",
                       name, paths[i], round ? "reverse" : "forward",
                       (unsigned long long)fuzz_world_digest(), (unsigned long long)fresh[i]);
                return 1;
            }
        }
    printf("%s: %zu inputs, a reset world behaves as a fresh one\n", name, npaths);
    free(fresh);
    return 0;
}

int main(int argc, char **argv)
{
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    if (argc < 2) {
        fprintf(stderr, "usage: %s [-reset-check] FILE|DIR...\n", name);
        return 2;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    int first = 1;
    bool summary = false;
    if (strcmp(argv[1], "-reset-check") == 0) {
        collecting = true;
        first = 2;
    } else if (strcmp(argv[1], "-summary") == 0) {
        if (!fuzz_target_summary) {
            fprintf(stderr, "%s: counts nothing to summarize\n", name);
            return 2;
        }
        summary = true;
        first = 2;
    }
    for (int i = first; i < argc; i++)
        if (run_path(argv[i]) < 0)
            return 2;
    if (collecting) {
        collecting = false;
        return reset_check(name);
    }
    printf("%s: %u inputs\n", name, ran);
    if (summary) {
        char line[256];
        fuzz_target_summary(line, sizeof(line));
        printf("%s: %s\n", name, line);
    }
    return 0;
}
