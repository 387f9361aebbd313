/*
 * tar-ls and tar-cat as a user runs them: `splitbed run --disk ARCHIVE --
 * tar-ls` over every fixture (listings equal GNU tar's, broken archives
 * end in their one-line error and exit 2), tar-cat of members compared
 * with GNU tar's extraction, the Qubes scenario file, and the seed bug
 * refused with a diagnosis naming the domain and the buffer.
 *
 * One simulator (hv start --dir) serves every run; each run is its own
 * guest domain with its own backend.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TIMEOUT 60

static char dir[64];
static struct runproc r;
static char **archives;
static size_t narchives;

static const char *src(const char *rel)
{
    static char bufs[4][4096];
    static int slot;
    char *b = bufs[slot++ % 4];
    snprintf(b, sizeof bufs[0], "%s/%s", SPLITBED_SRCDIR_DEFAULT, rel);
    return b;
}

/* Drops the harness's own lines ("splitbed: ...", e.g. about a backend
 * slow to stop) from stderr, keeping what the app said. */
static void keep_app_stderr(void)
{
    char *w = r.err, *p = r.err;
    while (*p) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (strncmp(p, "splitbed: ", 10) != 0) {
            memmove(w, p, n);
            w += n;
        }
        p += n;
    }
    *w = '\0';
    r.err_len = (size_t)(w - r.err);
}

static void sb(char *const args[])
{
    runproc_splitbed(&r, TIMEOUT, NULL, args);
    if (strcmp(args[0], "run") == 0)
        keep_app_stderr();
}

#define SB(...) sb((char *[]){ __VA_ARGS__, NULL })

static void sim_start(void)
{
    scratch_setup();
    scratch_dir(dir, sizeof dir);
    SB("hv", "start", "--dir", dir);
    ck_assert_msg(r.status == 0, "hv start: %d %s", r.status, r.err);
}

static void sim_stop(void)
{
    SB("hv", "stop", "--dir", dir);
    scratch_teardown();
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return p;
}

static void with_ext(char *out, size_t size, const char *tar, const char *ext)
{
    snprintf(out, size, "%.*s%s", (int)(strlen(tar) - 4), tar, ext);
}

static bool one_line(const char *s)
{
    const char *nl = strchr(s, '\n');
    return nl && nl[1] == '\0';
}

START_TEST(test_seed_scenario)
{
    SB("run", "-q", "--dir", dir, "--config", (char *)src("fixtures/scenarios/qubes-hello.cfg"),
       "--", "tar-cat", "hello.txt");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_str_eq(r.out, "hello world!\n");
    SB("run", "-q", "--dir", dir, "--disk", (char *)src("fixtures/tar/hello.tar"), "--", "tar-cat",
       "--vdev", "xvda", "hello.txt");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_str_eq(r.out, "hello world!\n");
}
END_TEST

START_TEST(test_seed_bug_is_refused)
{
    SB("run", "-q", "--dir", dir, "--disk", (char *)src("fixtures/tar/hello.tar"), "--",
       "tar-cat-seed-bug", "hello.txt");
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "");
    /* The host's diagnosis: domain, buffer, rule. */
    ck_assert_msg(strstr(r.err, "grant of buffer 0x") &&
                      strstr(r.err, "not the start of a whole page"),
                  "%s", r.err);
    ck_assert_msg(strstr(r.err, "] d") != NULL, "no domain named: %s", r.err);
    ck_assert_msg(strstr(r.err, "tar-cat: xvda: offset 0: device read"), "%s", r.err);
}
END_TEST

START_TEST(test_tar_ls_matches_gnu_tar)
{
    const char *tar = archives[_i];
    char list[4096], err[4096];
    with_ext(list, sizeof list, tar, ".list");
    with_ext(err, sizeof err, tar, ".err");
    struct stat st;
    ck_assert_int_eq(stat(tar, &st), 0);
    char *want = slurp(list, NULL);
    SB("run", "-q", "--dir", dir, "--disk", (char *)tar, "--", "tar-ls");
    ck_assert_msg(strcmp(r.out, want) == 0, "%s:\n--- tar-ls\n%s--- GNU tar\n%s", tar, r.out, want);
    /* A disk holds whole sectors: of an archive cut inside a sector the
     * guest sees only the sectors before the cut.  If the damage lies
     * past them, the disk ends cleanly at a header (an archive that ends
     * at the end of the device is read as ended) — unless no sector is
     * left, and an empty device is no archive at all. */
    char *spec = access(err, F_OK) == 0 ? slurp(err, NULL) : NULL;
    unsigned long long on_disk = (unsigned long long)st.st_size / 512 * 512;
    if (spec && on_disk && strtoull(strstr(spec, "offset ") + 7, NULL, 10) >= on_disk) {
        ck_assert_msg(st.st_size % 512, "%s: damage past the end of whole sectors", tar);
        free(spec);
        spec = NULL;
    }
    if (spec) {
        char words[256], prefix[300];
        const char *w = strstr(spec, "error ") + 6;
        snprintf(words, sizeof words, "%.*s", (int)strcspn(w, "\n"), w);
        snprintf(prefix, sizeof prefix,
                 "tar-ls: xvda: offset %llu: ", strtoull(strstr(spec, "offset ") + 7, NULL, 10));
        ck_assert_msg(r.status == 2, "%s: status %d", tar, r.status);
        ck_assert_msg(one_line(r.err) && strncmp(r.err, prefix, strlen(prefix)) == 0 &&
                          strstr(r.err, words),
                      "%s: stderr '%s', want '%s...%s'", tar, r.err, prefix, words);
        free(spec);
    } else {
        ck_assert_msg(r.status == 0, "%s: status %d: %s", tar, r.status, r.err);
        ck_assert_str_eq(r.err, "");
    }
    free(want);
}
END_TEST

/* tar-cat's bytes against GNU tar's, through files (members can be large). */
static void cat_equals_gnu_tar(const char *archive, const char *member)
{
    char cmd[8192], ours[128], theirs[128];
    snprintf(ours, sizeof ours, "%s/ours", dir);
    snprintf(theirs, sizeof theirs, "%s/theirs", dir);
    snprintf(cmd, sizeof cmd,
             "'%s' run -q --dir '%s' --disk '%s' -- tar-cat '%s' > '%s' && "
             "tar -xOPf '%s' -- '%s' > '%s'",
             build_path("bin/splitbed"), dir, src(archive), member, ours, src(archive), member,
             theirs);
    char *argv[] = { "sh", "-c", cmd, NULL };
    runproc(&r, NULL, 0, TIMEOUT, NULL, argv);
    ck_assert_msg(r.status == 0, "%s %s: %d %s", archive, member, r.status, r.err);
    size_t a, b;
    char *x = slurp(ours, &a), *y = slurp(theirs, &b);
    ck_assert_msg(a == b && memcmp(x, y, a) == 0, "%s %s: %zu bytes vs GNU tar's %zu", archive,
                  member, a, b);
    free(x);
    free(y);
}

START_TEST(test_tar_cat_matches_gnu_tar)
{
    cat_equals_gnu_tar("fixtures/tar/gnutar-gnu.tar", "./dir/binary.bin");
    cat_equals_gnu_tar("fixtures/tar/gnutar-gnu.tar", "./empty");
    cat_equals_gnu_tar("fixtures/tar/gnutar-long-pax.tar", "./caf\303\251.txt");
    cat_equals_gnu_tar("fixtures/tar/gnutar-sparse-pax-1.0.tar", "./sparse.bin");
    cat_equals_gnu_tar("fixtures/tar/gnutar-sparse-oldgnu.tar", "./sparse.bin");
    cat_equals_gnu_tar("fixtures/tar/python-hostile-names.tar", "../escape.txt");
}
END_TEST

/* --sum: one line with the size and FNV-1a 64 of the bytes GNU tar
 * extracts, holes of a sparse member included. */
START_TEST(test_tar_cat_sum_matches_gnu_tar)
{
    static const struct {
        const char *archive, *member;
    } cases[] = {
        { "fixtures/tar/gnutar-gnu.tar", "./dir/binary.bin" },
        { "fixtures/tar/gnutar-gnu.tar", "./empty" },
        { "fixtures/tar/gnutar-sparse-pax-1.0.tar", "./sparse.bin" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[4096], theirs[128];
        snprintf(theirs, sizeof theirs, "%s/theirs", dir);
        snprintf(cmd, sizeof cmd, "tar -xOPf '%s' -- '%s' > '%s'", src(cases[i].archive),
                 cases[i].member, theirs);
        char *argv[] = { "sh", "-c", cmd, NULL };
        runproc(&r, NULL, 0, TIMEOUT, NULL, argv);
        ck_assert_msg(r.status == 0, "GNU tar: %s", r.err);
        size_t len;
        char *bytes = slurp(theirs, &len);
        uint64_t h = 0xcbf29ce484222325ull;
        for (size_t k = 0; k < len; k++)
            h = (h ^ (uint8_t)bytes[k]) * 0x100000001b3ull;
        free(bytes);
        char want[256];
        snprintf(want, sizeof want, "%s: %zu bytes, fnv1a64 %016llx\n", cases[i].member, len,
                 (unsigned long long)h);
        SB("run", "-q", "--dir", dir, "--disk", (char *)src(cases[i].archive), "--", "tar-cat",
           "--sum", (char *)cases[i].member);
        ck_assert_msg(r.status == 0, "%s: status %d: %s", cases[i].member, r.status, r.err);
        ck_assert_str_eq(r.out, want);
    }
}
END_TEST

START_TEST(test_tar_cat_errors)
{
    static const struct {
        const char *archive, *member, *words;
        int status;
    } cases[] = {
        { "fixtures/tar/gnutar-gnu.tar", "nope", "no member named 'nope'", 2 },
        { "fixtures/tar/gnutar-gnu.tar", "./dir", "is a directory", 2 },
        { "fixtures/tar/gnutar-gnu.tar", "./link-to-hello", "not file data", 2 },
        { "fixtures/tar/broken-checksum.tar", "nope", "offset 1536: bad header checksum", 2 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        SB("run", "-q", "--dir", dir, "--disk", (char *)src(cases[i].archive), "--", "tar-cat",
           (char *)cases[i].member);
        ck_assert_msg(r.status == cases[i].status, "%s: status %d", cases[i].member, r.status);
        ck_assert_msg(one_line(r.err) && strstr(r.err, cases[i].words), "stderr: %s", r.err);
        ck_assert_str_eq(r.out, "");
    }
    /* Found before the damage: written, then the error (as GNU tar does). */
    SB("run", "-q", "--dir", dir, "--disk", (char *)src("fixtures/tar/broken-truncated-data.tar"),
       "--", "tar-cat", "file.txt");
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.out, "plain file\n");
    ck_assert_msg(one_line(r.err) && strstr(r.err, "truncated data"), "%s", r.err);
    SB("run", "-q", "--dir", dir, "--disk", (char *)src("fixtures/tar/hello.tar"), "--", "tar-cat");
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(one_line(r.err) && strstr(r.err, "usage"), "%s", r.err);
}
END_TEST

int main(void)
{
    glob_t g;
    if (glob(src("fixtures/tar/*.tar"), 0, NULL, &g) != 0) {
        fprintf(stderr, "test_tar_apps: no fixtures under %s\n", SPLITBED_SRCDIR_DEFAULT);
        return 2;
    }
    archives = g.gl_pathv;
    narchives = g.gl_pathc;

    scratch_prefix = "sbtar";
    Suite *s = suite_create("tar-apps");
    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, sim_start, sim_stop);
    tcase_add_test(tc, test_seed_scenario);
    tcase_add_test(tc, test_seed_bug_is_refused);
    tcase_add_loop_test(tc, test_tar_ls_matches_gnu_tar, 0, (int)narchives);
    tcase_add_test(tc, test_tar_cat_matches_gnu_tar);
    tcase_add_test(tc, test_tar_cat_sum_matches_gnu_tar);
    tcase_add_test(tc, test_tar_cat_errors);
    suite_add_tcase(s, tc);
    int rc = check_main(s);
    globfree(&g);
    return rc;
}
