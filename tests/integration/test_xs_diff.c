/*
 * The same request sequences to splitbed-xenstored and to Debian's C
 * xenstored 4.17 (tests/lib/xsref.h), replies compared byte for byte.
 * The deliberate differences are in docs/xenstore-differences.md; the
 * transcript normalises only DIRECTORY_PART's generation (xsdiff.h).
 */
#include "tests/integration/test_xenstored_daemon.h"
#include "tests/lib/check_main.h"
#include "tests/lib/runproc.h"
#include "tests/lib/xsdiff.h"
#include "tests/lib/xsref.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define M(t, s)                     \
    {                               \
        XS_##t, 0, s, sizeof(s) - 1 \
    }
#define MT(t, s)                                 \
    {                                            \
        XS_##t, XSDIFF_TX_LAST, s, sizeof(s) - 1 \
    }
#define MX(t, tx, s)                 \
    {                                \
        XS_##t, tx, s, sizeof(s) - 1 \
    }
#define RUN(...)                                                 \
    do {                                                         \
        static const struct xsdiff_msg seq_[] = { __VA_ARGS__ }; \
        compare(seq_, sizeof(seq_) / sizeof(seq_[0]));           \
    } while (0)

/* What splitbed-xenstored's tree starts with and the reference's lacks. */
static const struct xsdiff_msg ref_prelude[] = {
    M(WRITE, "/local/domain/0/domid\0"
             "0"),
    M(WRITE, "/local/domain/0/name\0"
             "Domain-0"),
};

static const char *shim(void)
{
    return build_path("tests/xsref_shim.so");
}

/* XSDIFF_DUMP=DIR: both transcripts of every comparison go to
 * DIR/PID-N.splitbed and DIR/PID-N.reference, to read them whole. */
static void dump(const struct xsdiff_log *a, const struct xsdiff_log *b)
{
    static int n;
    const char *dir = getenv("XSDIFF_DUMP");
    const struct xsdiff_log *logs[2] = { a, b };
    static const char *const names[2] = { "splitbed", "reference" };

    if (!dir)
        return;
    n++;
    for (int i = 0; i < 2; i++) {
        char path[512];
        FILE *f;
        snprintf(path, sizeof(path), "%s/%d-%d.%s", dir, (int)getpid(), n, names[i]);
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(logs[i]->text ? logs[i]->text : "", f);
        fclose(f);
    }
}

/* Runs seq on a fresh splitbed-xenstored and a fresh reference. */
static void compare(const struct xsdiff_msg *seq, size_t n)
{
    struct xsd sb;
    struct xsref ref;
    struct xsdiff_log a = { 0 }, b = { 0 }, pre = { 0 };
    char why[512], diff[1024];
    int fa, fb;

    xsd_start(&sb);
    ck_assert_msg(xsref_start(&ref, shim(), why, sizeof(why)) == 0, "%s", why);
    fa = xsd_connect(sb.sock);
    fb = xsd_connect(ref.sock);
    ck_assert_int_ge(fa, 0);
    ck_assert_int_ge(fb, 0);
    struct xsdiff_peer pa = xsdiff_fd_peer(&fa), pb = xsdiff_fd_peer(&fb);
    xsdiff_run(&pb, ref_prelude, sizeof(ref_prelude) / sizeof(ref_prelude[0]), &pre);
    xsdiff_run(&pa, seq, n, &a);
    xsdiff_run(&pb, seq, n, &b);
    dump(&a, &b);
    if (xsdiff_first_difference(&a, &b, diff, sizeof(diff)))
        ck_abort_msg("replies differ at %s", diff);
    close(fa);
    close(fb);
    xsdiff_log_free(&a);
    xsdiff_log_free(&b);
    xsdiff_log_free(&pre);
    xsref_stop(&ref);
    xsd_stop(&sb);
}

START_TEST(basic_rw)
{
    RUN(M(READ, "/\0"), M(WRITE, "/a\0x"), M(READ, "/a\0"), M(READ, "a\0"), M(DIRECTORY, "/\0"),
        M(MKDIR, "/a/b\0"), M(GET_PERMS, "/a/b\0"), M(RM, "/a\0"), M(READ, "/a/b\0"),
        M(DIRECTORY_PART, "/\0"
                          "0\0"),
        M(WRITE, "rel\0v"), M(READ, "/local/domain/0/rel\0"), M(DIRECTORY, "/local/domain/0\0"));
}
END_TEST

START_TEST(unknown_types)
{
    RUN({ 23, 0, "x\0", 2 }, { 30, 0, "", 0 }, { 0xffffffffu, 0, "", 0 }, M(WATCH_EVENT, "/\0t\0"),
        M(ERROR, "EINVAL\0"), { 20, 0, "", 0 }, M(READ, "/\0"));
}
END_TEST

START_TEST(rm_root_and_missing)
{
    RUN(M(RM, "/\0"), M(RM, "/tool\0"), M(READ, "/tool/xenstored\0"), M(RM, "/nothing\0"),
        M(RM, "/nothing/below\0"), M(RM, "\0"), M(RM, "/x/\0"),
        M(RM, "/\0"
              "x\0"));
}
END_TEST

START_TEST(path_chars)
{
    RUN(M(READ, "\0"), M(READ, "//\0"), M(READ, "/a//b\0"), M(READ, "/a/\0"), M(READ, "/a b\0"),
        M(READ, "/a.b\0"), M(READ, "/a:b\0"), M(READ, "@introduceDomain\0"), M(WRITE, "@x\0v"),
        M(WRITE, "/-_@AZaz09\0v"), M(READ, "/-_@AZaz09\0"), M(READ, "/\xc3\xa9\0"),
        M(MKDIR, "/a/\0"), M(DIRECTORY, "//\0"));
}
END_TEST

START_TEST(watches)
{
    RUN(M(WATCH, "/w\0t1\0"), M(WRITE, "/w\0x"), M(WRITE, "/w/c\0y"), M(WATCH, "/w\0t1\0"),
        M(WATCH, "/w\0t2\0"), M(RM, "/w\0"), M(UNWATCH, "/w\0t1\0"), M(UNWATCH, "/w\0t1\0"),
        M(WATCH, "rel\0t3\0"), M(WRITE, "rel/x\0v"), M(WATCH, "@introduceDomain\0i\0"),
        M(WATCH, "@releaseDomain\0r\0"), M(WATCH, "@other\0o\0"),
        M(INTRODUCE, "5\0"
                     "1\0"
                     "3\0"),
        M(RELEASE, "5\0"), M(WATCH, "/w\0"), M(WATCH, "/w\0t\0x\0"), M(WATCH, "/w//\0t\0"),
        M(UNWATCH, "/nothing\0t\0"), M(RESET_WATCHES, ""), M(WRITE, "/w\0z"));
}
END_TEST

static Suite *suite(bool available)
{
    Suite *s = suite_create("xs_diff");
    TCase *tc = tcase_create("reference");

    tcase_set_timeout(tc, 60);
    if (available) {
        tcase_add_test(tc, basic_rw);
        tcase_add_test(tc, unknown_types);
        tcase_add_test(tc, rm_root_and_missing);
        tcase_add_test(tc, path_chars);
        tcase_add_test(tc, watches);
    }
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    char why[512];
    bool available = xsref_available(shim(), why, sizeof(why));
    int rc;

    if (!available)
        printf("test_xs_diff: skipped: %s\n", why);
    xsd_suite_begin();
    rc = check_main(suite(available));
    xsd_suite_end();
    return rc;
}
