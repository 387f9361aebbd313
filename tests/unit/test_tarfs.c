/*
 * test_tarfs.c — the tar reader against every archive in fixtures/tar/:
 * listings equal GNU tar's (NAME.list), member contents equal what GNU
 * tar extracts (`tar -xOPf`, run here), and every broken archive stops
 * at the right byte offset with its one-line error.
 */
#include <check.h>

#include "tests/lib/check_main.h"
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_tarfs_host.h"

static char **good, **broken;
static size_t ngood, nbroken;

/* ---- helpers -------------------------------------------------------------- */

static char *fixture(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/fixtures/tar/%s", source_dir(), name);
    return path;
}

struct archive {
    uint8_t *data;
    size_t size;
    struct memdev mem;
    struct tarfs_dev dev;
    struct tarfs *t;
};

static void archive_open(struct archive *a, const char *path)
{
    a->data = read_file(path, &a->size);
    memdev_init(&a->mem, a->data, a->size, &a->dev);
    a->t = tarfs_open(NULL, &a->dev);
    ck_assert_ptr_nonnull(a->t);
}

static void archive_close(struct archive *a)
{
    tarfs_close(a->t);
    free(a->data);
}

/* One tar-ls line, as NAME.list spells it. */
static void format_entry(const struct tarfs_entry *e, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s %llu %s", tarfs_type_name(e->type), (unsigned long long)e->size,
                     e->name);
    if (e->type == TARFS_SYMLINK || e->type == TARFS_HARDLINK)
        snprintf(buf + n, size - (size_t)n, " -> %s", e->linkname);
}

/* Lists the archive; returns tarfs_next's final status and the lines. */
static int list_archive(struct archive *a, char *out, size_t size)
{
    struct tarfs_entry e;
    char line[8192];
    int rc;
    size_t used = 0;
    out[0] = '\0';
    while ((rc = tarfs_next(a->t, &e)) == 1) {
        format_entry(&e, line, sizeof line);
        int n = snprintf(out + used, size - used, "%s\n", line);
        ck_assert_int_lt(n, (int)(size - used));
        used += (size_t)n;
    }
    return rc;
}

static char *slurp_text(const char *path)
{
    size_t n;
    uint8_t *p = read_file(path, &n);
    p = realloc(p, n + 1);
    p[n] = '\0';
    return (char *)p;
}

/* `tar -xOPf archive -- member`: the bytes GNU tar extracts. */
static uint8_t *gnu_extract(const char *archive, const char *member, size_t *len)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, 2); /* GNU tar warns about ids past uid_t */
        close(fds[0]);
        close(fds[1]);
        execlp("tar", "tar", "-xOPf", archive, "--", member, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap);
    ssize_t got;
    while ((got = read(fds[0], buf + n, cap - n)) > 0) {
        n += (size_t)got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    close(fds[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    /* 2: GNU tar warned (ids past uid_t) but still wrote the member. */
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) <= 2, "tar -xOPf %s %s failed", archive,
                  member);
    *len = n;
    return buf;
}

/* Reads a whole member through tarfs, in uneven pieces. */
static uint8_t *tarfs_extract(struct tarfs_file *f, size_t *len)
{
    uint64_t size = tarfs_file_size(f);
    uint8_t *buf = malloc(size + 1);
    uint64_t off = 0;
    size_t piece = 1;
    while (off < size) {
        long n = tarfs_file_read(f, off, buf + off, piece);
        ck_assert_int_gt(n, 0);
        off += (uint64_t)n;
        piece = piece * 3 + 7; /* 1, 10, 37, ... never aligned */
    }
    ck_assert_int_eq(tarfs_file_read(f, size, buf, 1), 0);
    *len = (size_t)size;
    return buf;
}

/* ---- good archives --------------------------------------------------------- */

START_TEST(test_listing_matches_gnu_tar)
{
    const char *path = good[_i];
    char listpath[4096], out[1 << 16];
    struct archive a;
    snprintf(listpath, sizeof listpath, "%.*s.list", (int)(strlen(path) - 4), path);
    char *want = slurp_text(listpath);
    archive_open(&a, path);
    int rc = list_archive(&a, out, sizeof out);
    ck_assert_msg(rc == 0, "%s: %s", path, tarfs_error(a.t));
    ck_assert_msg(strcmp(out, want) == 0, "%s:\n--- tarfs\n%s--- GNU tar\n%s", path, out, want);
    /* The end is sticky and a rewind starts over. */
    struct tarfs_entry e;
    ck_assert_int_eq(tarfs_next(a.t, &e), 0);
    tarfs_rewind(a.t);
    ck_assert_int_eq(list_archive(&a, out, sizeof out), 0);
    ck_assert_str_eq(out, want);
    free(want);
    archive_close(&a);
}
END_TEST

START_TEST(test_contents_match_gnu_tar)
{
    const char *path = good[_i];
    struct archive a;
    struct tarfs_entry e;
    char names[256][1024];
    size_t n = 0, checked = 0;
    archive_open(&a, path);
    while (tarfs_next(a.t, &e) == 1) {
        if (e.type != TARFS_FILE)
            continue;
        ck_assert_int_lt(n, 256);
        snprintf(names[n++], sizeof names[0], "%s", e.name);
    }
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t j = 0; j < n; j++)
            dup |= j != i && strcmp(names[i], names[j]) == 0;
        if (dup)
            continue; /* tar -xO writes every copy; see test_later_member_wins */
        struct tarfs_file *f;
        int rc = tarfs_lookup(a.t, names[i], &f);
        ck_assert_msg(rc == 0, "%s: lookup %s: %d %s", path, names[i], rc, tarfs_error(a.t));
        size_t glen, tlen;
        uint8_t *g = gnu_extract(path, names[i], &glen);
        uint8_t *t = tarfs_extract(f, &tlen);
        ck_assert_msg(glen == tlen && memcmp(g, t, glen) == 0,
                      "%s: %s differs from GNU tar (%zu vs %zu bytes)", path, names[i], tlen, glen);
        free(g);
        free(t);
        tarfs_file_close(f);
        checked++;
    }
    archive_close(&a);
}
END_TEST

/* ---- broken archives ------------------------------------------------------- */

START_TEST(test_broken_archive_stops_with_its_error)
{
    const char *path = broken[_i];
    char errpath[4096], listpath[4096], out[1 << 16];
    int stem = (int)(strlen(path) - 4); /* without ".tar" */
    snprintf(errpath, sizeof errpath, "%.*s.err", stem, path);
    snprintf(listpath, sizeof listpath, "%.*s.list", stem, path);
    char *spec = slurp_text(errpath);
    char *want = slurp_text(listpath);
    const char *words = strstr(spec, "error ");
    const char *offs = strstr(spec, "offset ");
    ck_assert_ptr_nonnull(words);
    ck_assert_ptr_nonnull(offs);
    words += 6;
    unsigned long long offset = strtoull(offs + 7, NULL, 10);
    char expect_words[256];
    snprintf(expect_words, sizeof expect_words, "%.*s", (int)strcspn(words, "\n"), words);

    struct archive a;
    archive_open(&a, path);
    int rc = list_archive(&a, out, sizeof out);
    ck_assert_msg(rc < 0, "%s: no error", path);
    ck_assert_msg(strcmp(out, want) == 0, "%s:\n--- tarfs\n%s--- expected\n%s", path, out, want);
    const char *msg = tarfs_error(a.t);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "offset %llu: ", offset);
    ck_assert_msg(strncmp(msg, prefix, strlen(prefix)) == 0, "%s: '%s' should start '%s'", path,
                  msg, prefix);
    ck_assert_msg(strstr(msg, expect_words), "%s: '%s' should say '%s'", path, msg, expect_words);
    ck_assert_msg(!strchr(msg, '\n'), "%s: error is more than one line", path);
    ck_assert_uint_eq(tarfs_error_offset(a.t), offset);
    /* The error is sticky, and a lookup reports it rather than ENOENT. */
    struct tarfs_entry e;
    ck_assert_int_eq(tarfs_next(a.t, &e), rc);
    struct tarfs_file *f;
    ck_assert_int_eq(tarfs_lookup(a.t, "no such member", &f), rc);
    ck_assert_ptr_null(f);
    free(spec);
    free(want);
    archive_close(&a);
}
END_TEST

/* ---- particular behaviours ------------------------------------------------- */

static char *cat_member(const char *archive, const char *member, int *rc_out)
{
    struct archive a;
    struct tarfs_file *f = NULL;
    archive_open(&a, fixture(archive));
    *rc_out = tarfs_lookup(a.t, member, &f);
    char *text = NULL;
    if (f) {
        size_t len;
        text = (char *)tarfs_extract(f, &len);
        text[len] = '\0';
        tarfs_file_close(f);
    }
    archive_close(&a);
    return text;
}

START_TEST(test_seed_archive)
{
    int rc;
    char *s = cat_member("hello.tar", "hello.txt", &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(s, "hello world!\n");
    free(s);
}
END_TEST

START_TEST(test_later_member_wins)
{
    int rc;
    char *s = cat_member("gnutar-duplicate.tar", "same.txt", &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(s, "second, longer\n");
    free(s);
}
END_TEST

START_TEST(test_hard_link_is_followed)
{
    int rc;
    char *s = cat_member("gnutar-gnu.tar", "./hello.txt", &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(s, "hello world!\n");
    free(s);
    s = cat_member("python-types-pax.tar", "hardlink", &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(s, "plain file\n");
    free(s);
}
END_TEST

START_TEST(test_lookup_errors)
{
    int rc;
    ck_assert_ptr_null(cat_member("gnutar-gnu.tar", "./dir", &rc));
    ck_assert_int_eq(rc, -OS_EISDIR);
    ck_assert_ptr_null(cat_member("gnutar-gnu.tar", "./dir/", &rc));
    ck_assert_int_eq(rc, -OS_EISDIR);
    ck_assert_ptr_null(cat_member("gnutar-gnu.tar", "./link-to-hello", &rc));
    ck_assert_int_eq(rc, -OS_EINVAL);
    ck_assert_ptr_null(cat_member("python-types-gnu.tar", "dev/null", &rc));
    ck_assert_int_eq(rc, -OS_EINVAL);
    ck_assert_ptr_null(cat_member("gnutar-gnu.tar", "hello.txt", &rc));
    ck_assert_int_eq(rc, -OS_ENOENT); /* stored as ./hello.txt: no resolving */
}
END_TEST

START_TEST(test_hostile_names_are_not_resolved)
{
    int rc;
    char *s = cat_member("python-hostile-names.tar", "../escape.txt", &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(s, "dot dot\n");
    free(s);
    ck_assert_ptr_null(cat_member("python-hostile-names.tar", "escape.txt", &rc));
    ck_assert_int_eq(rc, -OS_ENOENT);
    ck_assert_ptr_null(cat_member("python-hostile-names.tar", "up.txt", &rc));
    ck_assert_int_eq(rc, -OS_ENOENT);
    s = cat_member("python-hostile-names.tar", "/abs/path.txt", &rc);
    ck_assert_int_eq(rc, 0);
    free(s);
}
END_TEST

START_TEST(test_header_numbers)
{
    struct archive a;
    struct tarfs_entry e;
    archive_open(&a, fixture("python-base256.tar"));
    ck_assert_int_eq(tarfs_next(a.t, &e), 1);
    ck_assert_uint_eq(e.uid, 1ull << 40);
    ck_assert_uint_eq(e.gid, 1ull << 33);
    ck_assert_int_eq(tarfs_next(a.t, &e), 1);
    ck_assert_int_eq(e.mtime, -86400LL * 365);
    ck_assert_int_eq(tarfs_next(a.t, &e), 1);
    ck_assert_int_eq(e.mtime, 1LL << 36);
    ck_assert_int_eq(tarfs_next(a.t, &e), 0);
    archive_close(&a);

    archive_open(&a, fixture("python-pax-global.tar"));
    ck_assert_int_eq(tarfs_next(a.t, &e), 1);
    ck_assert_str_eq(e.name, "a.txt");
    ck_assert_int_eq(e.mtime, 1600000000); /* from the global header */
    ck_assert_int_eq(tarfs_next(a.t, &e), 1);
    ck_assert_uint_eq(e.uid, 1ull << 40);  /* pax uid */
    ck_assert_int_eq(e.mtime, 1700000000); /* local beats global, fraction dropped */
    archive_close(&a);

    archive_open(&a, fixture("python-types-gnu.tar"));
    while (tarfs_next(a.t, &e) == 1 && e.type != TARFS_CHARDEV)
        ;
    ck_assert_str_eq(e.name, "dev/null");
    ck_assert_uint_eq(e.devmajor, 1);
    ck_assert_uint_eq(e.devminor, 3);
    archive_close(&a);
}
END_TEST

START_TEST(test_sparse_holes_read_as_zeros)
{
    static const char *const names[] = {
        "gnutar-sparse-oldgnu.tar",  "gnutar-sparse-pax-0.0.tar", "gnutar-sparse-pax-0.1.tar",
        "gnutar-sparse-pax-1.0.tar", "bsdtar-sparse-pax.tar",
    };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        struct archive a;
        struct tarfs_file *f;
        archive_open(&a, fixture(names[k]));
        ck_assert_int_eq(tarfs_lookup(a.t, "./sparse.bin", &f), 0);
        ck_assert_uint_eq(tarfs_file_size(f), 1 << 20);
        for (int i = 0; i < 10; i++) {
            char want[16], got[16] = { 0 };
            uint8_t before = 0xaa;
            snprintf(want, sizeof want, "stretch %d ", i);
            ck_assert_int_eq(tarfs_file_read(f, (uint64_t)i * 100000 + 7, got, strlen(want)),
                             (long)strlen(want));
            ck_assert_str_eq(got, want);
            ck_assert_int_eq(tarfs_file_read(f, (uint64_t)i * 100000 + 6, &before, 1), 1);
            ck_assert_uint_eq(before, 0);
        }
        uint8_t last = 0xaa;
        ck_assert_int_eq(tarfs_file_read(f, (1 << 20) - 1, &last, 8), 1);
        ck_assert_uint_eq(last, 0);
        tarfs_file_close(f);
        archive_close(&a);
    }
}
END_TEST

START_TEST(test_every_prefix_of_an_archive)
{
    /* Cutting an archive anywhere gives a clean end or one error, never
     * a read past the end (memdev aborts on that). */
    size_t size;
    uint8_t *data = read_file(fixture("gnutar-long-pax.tar"), &size);
    for (size_t cut = 0; cut <= size; cut += (cut < 4096 ? 1 : 97)) {
        struct memdev m;
        struct tarfs_dev dev;
        struct tarfs_entry e;
        memdev_init(&m, data, cut, &dev);
        struct tarfs *t = tarfs_open(NULL, &dev);
        int rc, n = 0;
        while ((rc = tarfs_next(t, &e)) == 1)
            n++;
        ck_assert_int_le(rc, 0);
        if (rc < 0)
            ck_assert_ptr_nonnull(strstr(tarfs_error(t), "offset "));
        tarfs_close(t);
    }
    free(data);
}
END_TEST

static void collect(const char *pattern, char ***out, size_t *n, bool want_broken)
{
    glob_t g;
    char pat[4096];
    snprintf(pat, sizeof pat, "%s/fixtures/tar/%s", source_dir(), pattern);
    if (glob(pat, 0, NULL, &g) != 0) {
        fprintf(stderr, "test_tarfs: no fixtures match %s\n", pat);
        exit(2);
    }
    *out = calloc(g.gl_pathc, sizeof **out);
    *n = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        bool is_broken = strstr(g.gl_pathv[i], "/broken-") != NULL;
        if (is_broken == want_broken)
            (*out)[(*n)++] = strdup(g.gl_pathv[i]);
    }
    globfree(&g);
}

int main(void)
{
    collect("*.tar", &good, &ngood, false);
    collect("broken-*.tar", &broken, &nbroken, true);

    Suite *s = suite_create("tarfs");
    TCase *tc = tcase_create("fixtures");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_listing_matches_gnu_tar, 0, (int)ngood);
    tcase_add_loop_test(tc, test_contents_match_gnu_tar, 0, (int)ngood);
    tcase_add_loop_test(tc, test_broken_archive_stops_with_its_error, 0, (int)nbroken);
    suite_add_tcase(s, tc);
    tc = tcase_create("behaviour");
    tcase_add_test(tc, test_seed_archive);
    tcase_add_test(tc, test_later_member_wins);
    tcase_add_test(tc, test_hard_link_is_followed);
    tcase_add_test(tc, test_lookup_errors);
    tcase_add_test(tc, test_hostile_names_are_not_resolved);
    tcase_add_test(tc, test_header_numbers);
    tcase_add_test(tc, test_sparse_holes_read_as_zeros);
    tcase_add_test(tc, test_every_prefix_of_an_archive);
    suite_add_tcase(s, tc);

    return check_main(s);
}
