/*
 * Every fuzz target's corpus (fixtures/corpora/NAME/) replayed through the
 * target built without a fuzzing engine (build/fuzz-replay/NAME), as a
 * user reproduces a crash file: each input must run clean, so a crash
 * once found and kept in the corpus stays fixed.  The corpus also runs
 * twice in one process, so a target that keeps its world between inputs
 * and resets it must pass the second round as it passed the first; and
 * such a target's inputs must each do on the reset world what they do on
 * a fresh one.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/check_main.h"

#define TIMEOUT 240
#define MAX_TARGETS 64

static char names[MAX_TARGETS][256];
static int ntargets;

static void list_targets(void)
{
    DIR *d = opendir(build_path("fuzz-replay"));
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && ntargets < MAX_TARGETS)
        if (strncmp(e->d_name, "fuzz_", 5) == 0)
            if (snprintf(names[ntargets], sizeof(names[0]), "%s", e->d_name) <
                (int)sizeof(names[0]))
                ntargets++;
    if (d)
        closedir(d);
}

static int count_inputs(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static struct runproc r;

START_TEST(each_corpus_runs_clean_twice)
{
    ck_assert_msg(ntargets >= 9, "only %d replay builds in %s", ntargets,
                  build_path("fuzz-replay"));
    for (int i = 0; i < ntargets; i++) {
        char *bin, *corpus, *want;
        ck_assert_int_ge(asprintf(&bin, "%s/%s", build_path("fuzz-replay"), names[i]), 0);
        ck_assert_int_ge(
            asprintf(&corpus, "%s/fixtures/corpora/%s", SPLITBED_SRCDIR_DEFAULT, names[i]), 0);
        int n = count_inputs(corpus);
        ck_assert_msg(n > 0, "%s: no corpus at %s", names[i], corpus);
        runproc(&r, NULL, 0, TIMEOUT, NULL, (char *[]){ bin, corpus, corpus, NULL });
        ck_assert_int_ge(asprintf(&want, "%s: %d inputs\n", names[i], 2 * n), 0);
        ck_assert_msg(r.status == 0 && strcmp(r.out, want) == 0,
                      "%s over %s: status %d, out \"%s\", err: %s", names[i], corpus, r.status,
                      r.out, r.err);
        free(bin);
        free(corpus);
        free(want);
    }
}
END_TEST

/* A target that keeps its world between inputs (tests/fuzz/fuzz_world.h)
 * must do with every input on the reset world what it does on a fresh
 * one, whatever ran before. */
START_TEST(a_reset_world_behaves_as_a_fresh_one)
{
    int checked = 0;
    for (int i = 0; i < ntargets; i++) {
        char *bin, *corpus, *want;
        ck_assert_int_ge(asprintf(&bin, "%s/%s", build_path("fuzz-replay"), names[i]), 0);
        ck_assert_int_ge(
            asprintf(&corpus, "%s/fixtures/corpora/%s", SPLITBED_SRCDIR_DEFAULT, names[i]), 0);
        runproc(&r, NULL, 0, TIMEOUT, NULL, (char *[]){ bin, "-reset-check", corpus, NULL });
        if (r.status == 2 && strstr(r.err, "keeps no world between inputs")) {
            free(bin);
            free(corpus);
            continue;
        }
        ck_assert_int_ge(asprintf(&want, "%s: %d inputs, a reset world behaves as a fresh one\n",
                                  names[i], count_inputs(corpus)),
                         0);
        ck_assert_msg(r.status == 0 && strcmp(r.out, want) == 0,
                      "%s -reset-check %s: status %d, out \"%s\", err: %s", names[i], corpus,
                      r.status, r.out, r.err);
        checked++;
        free(bin);
        free(corpus);
        free(want);
    }
    ck_assert_msg(checked >= 1, "no target keeps its world");
}
END_TEST

START_TEST(a_missing_input_is_named)
{
    char *bin;
    ck_assert_int_ge(asprintf(&bin, "%s/%s", build_path("fuzz-replay"), names[0]), 0);
    runproc(&r, NULL, 0, TIMEOUT, NULL, (char *[]){ bin, "/nonexistent/crash-1", NULL });
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/crash-1: No such file or directory"));
    ck_assert_int_eq(runproc_lines(r.err), 1);
    free(bin);
}
END_TEST

/* make coverage's grouping of unreached lines under their reasons
 * (tests/fuzz/unreached.awk), run as coverage.sh runs it. */
static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fputs(text, f), 0);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(unreached_lines_are_grouped_under_their_reasons)
{
    char dir[256], *reasons, *lines, *awk;
    scratch_dir(dir, sizeof dir);
    ck_assert_int_ge(asprintf(&reasons, "%s/reasons", dir), 0);
    ck_assert_int_ge(asprintf(&lines, "%s/lines", dir), 0);
    ck_assert_int_ge(asprintf(&awk, "%s/tests/fuzz/unreached.awk", SPLITBED_SRCDIR_DEFAULT), 0);
    write_file(reasons, "# a comment\n"
                        "\n"
                        "a.c:10-12 unreachable by construction: out of memory\n"
                        "b.c:5 target to add: a host that fails\n"
                        "a.c:40 unreachable by construction: out of memory\n"
                        "a.c:90-99 target to add: code that moved\n");
    write_file(lines, "a.c:11:    return -ENOMEM;\n"
                      "a.c:20:    x++;\n"
                      "b.c:5:    fail();\n"
                      "a.c:40:        return NULL;\n");
    runproc(&r, NULL, 0, 30, NULL, (char *[]){ "awk", "-f", awk, reasons, lines, NULL });
    ck_assert_msg(r.status == 0, "status %d, err: %s", r.status, r.err);
    char *want;
    ck_assert_int_ge(asprintf(&want,
                              "unreachable by construction: out of memory (2 lines)\n"
                              "  a.c:11:    return -ENOMEM;\n"
                              "  a.c:40:        return NULL;\n"
                              "\n"
                              "target to add: a host that fails (1 lines)\n"
                              "  b.c:5:    fail();\n"
                              "\n"
                              "no reason yet (1 lines)\n"
                              "  a.c:20:    x++;\n"
                              "\n"
                              "stale annotation (%s:6): a.c:90-99 covers no unreached line\n"
                              "unreached: 4 lines, 3 with a reason, 1 with no reason yet, "
                              "1 stale annotations\n",
                              reasons),
                     0);
    ck_assert_str_eq(r.out, want);
    free(want);

    /* An entry that is not FILE:FIRST-LAST reason: one line naming it. */
    write_file(reasons, "a.c:10-12 fine\na.c twelve reasons\n");
    runproc(&r, NULL, 0, 30, NULL, (char *[]){ "awk", "-f", awk, reasons, lines, NULL });
    ck_assert_int_ne(r.status, 0);
    ck_assert_int_eq(runproc_lines(r.err), 1);
    ck_assert_msg(strstr(r.err, ":2: not FILE:FIRST-LAST reason: a.c twelve reasons"), "err: %s",
                  r.err);
    free(awk);
    free(reasons);
    free(lines);
}
END_TEST

int main(void)
{
    list_targets();
    scratch_prefix = "sbfuzzcorp";
    Suite *s = suite_create("fuzz_corpora");
    TCase *t = tcase_create("replay");
    tcase_add_unchecked_fixture(t, scratch_setup, scratch_teardown);
    tcase_set_timeout(t, TIMEOUT + 60);
    tcase_add_test(t, each_corpus_runs_clean_twice);
    tcase_add_test(t, a_reset_world_behaves_as_a_fresh_one);
    tcase_add_test(t, a_missing_input_is_named);
    tcase_add_test(t, unreached_lines_are_grouped_under_their_reasons);
    suite_add_tcase(s, t);
    return check_main(s);
}
