/*
 * .clusterfuzzlite/build.sh run as OSS-Fuzz's base-builder image runs it:
 * $SRC, $OUT, $WORK, clang as $CC/$CXX, the image's address-sanitizer
 * $CFLAGS/$CXXFLAGS (less -stdlib=libc++, which Debian's clang here does
 * not ship) and $LIB_FUZZING_ENGINE.  Every target it produces must carry
 * its seed corpus, options and dictionary the way OSS-Fuzz expects them,
 * and run clean over that seed corpus.  Slow (it builds every target with
 * ASan): `make test-oss-fuzz` runs it, and CI.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>
#include <dirent.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/check_main.h"

#define BUILD_TIMEOUT 1500
#define RUN_TIMEOUT 300
#define FLAGS                                                        \
    "-O1 -fno-omit-frame-pointer -gline-tables-only "                \
    "-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address " \
    "-fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"

static char dir[64];
static struct runproc r;

static char *cat(const char *a, const char *b)
{
    char *s;
    ck_assert_int_ge(asprintf(&s, "%s%s", a, b), 0);
    return s;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The largest file under a tree, for the check that max_len cuts no seed. */
static long long largest;

static int note_size(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)ftw;
    if (flag == FTW_F && st->st_size > largest)
        largest = st->st_size;
    return 0;
}

static long long max_len_of(const char *opts)
{
    FILE *f = fopen(opts, "r");
    ck_assert_msg(f != NULL, "%s: cannot open", opts);
    char line[256];
    long long n = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "max_len = %lld", &n) == 1)
            break;
    fclose(f);
    return n;
}

START_TEST(build_sh_makes_every_target_and_each_runs_its_seeds)
{
    scratch_dir(dir, sizeof dir);
    char *out = cat(dir, "/out"), *work = cat(dir, "/work"), *src = cat(dir, "/src");
    ck_assert_int_eq(mkdir(out, 0755), 0);
    ck_assert_int_eq(mkdir(work, 0755), 0);
    char *env[] = { cat("SRC=", src),
                    cat("OUT=", out),
                    cat("WORK=", work),
                    "CC=clang",
                    "CXX=clang++",
                    "CFLAGS=" FLAGS,
                    "CXXFLAGS=" FLAGS,
                    "LIB_FUZZING_ENGINE=-fsanitize=fuzzer",
                    "FUZZING_ENGINE=libfuzzer",
                    "SANITIZER=address",
                    "ARCHITECTURE=x86_64",
                    NULL };
    runproc(&r, NULL, 0, BUILD_TIMEOUT, env,
            (char *[]){ "bash", SPLITBED_SRCDIR_DEFAULT "/.clusterfuzzlite/build.sh", NULL });
    ck_assert_msg(r.status == 0, "build.sh: status %d: %s", r.status, r.err);

    DIR *d = opendir(out);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    int targets = 0;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "fuzz_", 5) != 0 || strchr(e->d_name, '.'))
            continue;
        const char *name = e->d_name;
        char *bin = cat(cat(out, "/"), name), *zip = cat(bin, "_seed_corpus.zip");
        char *opts = cat(bin, ".options"), *seeds = cat(cat(work, "/seeds-"), name);
        ck_assert_msg(access(bin, X_OK) == 0, "%s: not executable", bin);
        ck_assert_msg(exists(zip), "%s: no seed corpus", name);
        ck_assert_msg(exists(opts), "%s: no options", name);
        /* A dictionary in the tree travels with its target. */
        char *dict_src = cat(cat(SPLITBED_SRCDIR_DEFAULT "/tests/fuzz/", name), ".dict");
        if (exists(dict_src)) {
            ck_assert_msg(exists(cat(bin, ".dict")), "%s: dictionary left behind", name);
            runproc(&r, NULL, 0, 10, NULL,
                    (char *[]){ "grep", "-qx", "dict = .*\\.dict", opts, NULL });
            ck_assert_msg(r.status == 0, "%s: options do not name the dictionary", name);
        }
        ck_assert_int_eq(mkdir(seeds, 0755), 0);
        runproc(&r, NULL, 0, 60, NULL, (char *[]){ "unzip", "-q", zip, "-d", seeds, NULL });
        ck_assert_msg(r.status == 0, "%s: unzip: %s", name, r.err);
        /* libFuzzer cuts inputs to max_len: a seed longer would lose its tail. */
        largest = 0;
        ck_assert_int_eq(nftw(seeds, note_size, 16, FTW_PHYS), 0);
        long long max_len = max_len_of(opts);
        ck_assert_msg(max_len >= 4096 && max_len >= largest,
                      "%s: max_len %lld cuts a seed of %lld bytes", name, max_len, largest);
        /* -runs=0: every seed once, as OSS-Fuzz's check of a new build does. */
        runproc(&r, NULL, 0, RUN_TIMEOUT, NULL, (char *[]){ bin, "-runs=0", seeds, NULL });
        ck_assert_msg(r.status == 0 && strstr(r.err, "INITED"), "%s over its seeds: status %d: %s",
                      name, r.status, r.err);
        targets++;
    }
    closedir(d);
    ck_assert_int_ge(targets, 9);
    runproc_rmtree(dir);
}
END_TEST

int main(void)
{
    scratch_prefix = "sbossfuzz";
    Suite *s = suite_create("oss_fuzz_build");
    TCase *t = tcase_create("build.sh");
    tcase_add_unchecked_fixture(t, scratch_setup, scratch_teardown);
    tcase_set_timeout(t, BUILD_TIMEOUT + 600);
    tcase_add_test(t, build_sh_makes_every_target_and_each_runs_its_seeds);
    suite_add_tcase(s, t);
    return check_main(s);
}
