/*
 * The same request sequences to splitbed-xenstored and to Debian's C
 * xenstored 4.17 (tests/lib/xsref.h), replies compared byte for byte.
 * The deliberate differences are in docs/xenstore-differences.md; the
 * transcript normalises only DIRECTORY_PART's generation (xsdiff.h).
 */
#include "tests/integration/test_xenstored_daemon.h"
#include "tests/lib/check_main.h"
#include "tests/lib/runproc.h"
#include "tests/lib/skip.h"
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

/* Why the reference daemon cannot run here ("" when it can). */
static char missing[512];

/* Each test's first line: a test that cannot compare is skipped, with the
 * reason (tests/lib/skip.h), not passed. */
#define NEED_REFERENCE()        \
    do {                        \
        if (missing[0]) {       \
            test_skip(missing); \
            return;             \
        }                       \
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
    NEED_REFERENCE();
    RUN(M(READ, "/\0"), M(WRITE, "/a\0x"), M(READ, "/a\0"), M(READ, "a\0"), M(DIRECTORY, "/\0"),
        M(MKDIR, "/a/b\0"), M(GET_PERMS, "/a/b\0"), M(RM, "/a\0"), M(READ, "/a/b\0"),
        M(DIRECTORY_PART, "/\0"
                          "0\0"),
        M(WRITE, "rel\0v"), M(READ, "/local/domain/0/rel\0"), M(DIRECTORY, "/local/domain/0\0"));
}
END_TEST

START_TEST(unknown_types)
{
    NEED_REFERENCE();
    RUN({ 23, 0, "x\0", 2 }, { 30, 0, "", 0 }, { 0xffffffffu, 0, "", 0 }, M(WATCH_EVENT, "/\0t\0"),
        M(ERROR, "EINVAL\0"), { 20, 0, "", 0 }, M(READ, "/\0"));
}
END_TEST

START_TEST(rm_root_and_missing)
{
    NEED_REFERENCE();
    RUN(M(RM, "/\0"), M(RM, "/tool\0"), M(READ, "/tool/xenstored\0"), M(RM, "/nothing\0"),
        M(RM, "/nothing/below\0"), M(RM, "\0"), M(RM, "/x/\0"));
}
END_TEST

/* A payload that is not one path: C xenstored answers with the errno its
 * last failed lookup left, ENOENT after a miss (then MKDIR and RM say
 * ENOMEM); splitbed gives those answers always (docs/xenstore-differences.md). */
START_TEST(not_one_path)
{
    NEED_REFERENCE();
    RUN(M(READ, "/nothing\0"), M(RM, "/\0x\0"), M(READ, "/nothing\0"), M(MKDIR, "/a\0b\0"),
        M(READ, "/nothing\0"), M(READ, "/\0x\0"), M(READ, "/nothing\0"), M(DIRECTORY, "/"),
        M(READ, "/nothing\0"), M(GET_PERMS, ""));
}
END_TEST

START_TEST(path_chars)
{
    NEED_REFERENCE();
    RUN(M(READ, "\0"), M(READ, "//\0"), M(READ, "/a//b\0"), M(READ, "/a/\0"), M(READ, "/a b\0"),
        M(READ, "/a.b\0"), M(READ, "/a:b\0"), M(READ, "@introduceDomain\0"), M(WRITE, "@x\0v"),
        M(WRITE, "/-_@AZaz09\0v"), M(READ, "/-_@AZaz09\0"), M(READ, "/\xc3\xa9\0"),
        M(MKDIR, "/a/\0"), M(DIRECTORY, "//\0"));
}
END_TEST

/* A path of len bytes: prefix, then "a" and a "/" every 100 bytes. */
static void make_path(char *out, const char *prefix, size_t len)
{
    size_t i = strlen(prefix);

    memcpy(out, prefix, i);
    for (; i < len; i++)
        out[i] = (i % 100 == 0 && out[i - 1] != '/' && i + 1 < len) ? '/' : 'a';
    out[len] = '\0';
}

static void path_case(const char *prefix, size_t len)
{
    static char p[XENSTORE_PAYLOAD_MAX + 8], w[XENSTORE_PAYLOAD_MAX + 8];
    size_t n;

    make_path(p, prefix, len);
    n = strlen(p) + 1;
    memcpy(w, p, n);
    w[n] = 'v';
    struct xsdiff_msg seq[] = {
        { XS_WRITE, 0, w, n + 1 }, { XS_READ, 0, p, n }, { XS_MKDIR, 0, p, n },
        { XS_GET_PERMS, 0, p, n }, { XS_RM, 0, p, n },
    };
    compare(seq, sizeof(seq) / sizeof(seq[0]));
}

START_TEST(path_length_absolute)
{
    NEED_REFERENCE();
    static const size_t lens[] = { 2047, 2048, 2049, 3072, 3073, 4000 };
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
        path_case("/", lens[i]);
}
END_TEST

START_TEST(path_length_below_home)
{
    NEED_REFERENCE();
    static const size_t rel[] = { 2048, 2049 };
    for (size_t i = 0; i < 2; i++) {
        path_case("/local/domain/7/", 16 + rel[i]);
        path_case("/local/domain/12345/", 20 + rel[i]);
        path_case("/local/domain/123456/", 21 + rel[i]);
        path_case("/local/domain/0/", 16 + rel[i]);
    }
}
END_TEST

START_TEST(path_length_relative)
{
    NEED_REFERENCE();
    static const size_t rel[] = { 2047, 2048, 2049, 4000 };
    for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++)
        path_case("r", rel[i]);
}
END_TEST

START_TEST(set_perms_domid_spellings)
{
    NEED_REFERENCE();
    RUN(M(WRITE, "/p\0x"), M(SET_PERMS, "/p\0n0\0r5\0"), M(GET_PERMS, "/p\0"),
        M(SET_PERMS, "/p\0n0x5\0"), M(GET_PERMS, "/p\0"), M(SET_PERMS, "/p\0n+5\0"),
        M(GET_PERMS, "/p\0"), M(SET_PERMS, "/p\0n 5\0"), M(GET_PERMS, "/p\0"),
        M(SET_PERMS, "/p\0n05\0"), M(GET_PERMS, "/p\0"), M(SET_PERMS, "/p\0n010\0"),
        M(GET_PERMS, "/p\0"), M(SET_PERMS, "/p\0n\0"), M(SET_PERMS, "/p\0x5\0"),
        M(SET_PERMS, "/p\0"), M(SET_PERMS, "/p\0n5"), M(SET_PERMS, "/p\0n5abc\0"),
        M(SET_PERMS, "/p\0n0\0rr5\0"), M(SET_PERMS, "/p\0b0\0w1\0r2\0n3\0"), M(GET_PERMS, "/p\0"),
        M(SET_PERMS, "/p\0n4294967296\0"), M(GET_PERMS, "/p\0"), M(SET_PERMS, "/p\0n0\0r\0"),
        M(SET_PERMS, "/p\0n0\0\0"), M(SET_PERMS, "/p\0N0\0"), M(SET_PERMS, "/p\0n0\0r-1\0"),
        M(GET_PERMS, "/p\0"), M(SET_PERMS, "/p\0n0\0r70000\0"), M(GET_PERMS, "/p\0"));
}
END_TEST

START_TEST(set_perms_missing_domains)
{
    NEED_REFERENCE();
    RUN(M(WRITE, "/p\0x"), M(SET_PERMS, "/p\0n200\0"), M(GET_PERMS, "/p\0"),
        M(SET_PERMS, "/p\0n32752\0"), M(SET_PERMS, "/p\0n32751\0"), M(GET_PERMS, "/p\0"),
        M(SET_PERMS, "/p\0n65536\0"), M(SET_PERMS, "/p\0n-1\0"), M(SET_PERMS, "/p\0n0\0r32752\0"),
        M(GET_PERMS, "/p\0"), M(SET_PERMS, "/nothing\0n0\0"),
        M(SET_PERMS, "@releaseDomain\0n0\0r5\0"), M(GET_PERMS, "@releaseDomain\0"),
        M(SET_PERMS, "@other\0n0\0"), M(GET_PERMS, "@other\0"),
        M(SET_PERMS, "@releaseDomain\0n65536\0"));
}
END_TEST

START_TEST(get_domain_path_args)
{
    NEED_REFERENCE();
    RUN(M(GET_DOMAIN_PATH, "5\0"), M(GET_DOMAIN_PATH, "99999\0"), M(GET_DOMAIN_PATH, "abc\0"),
        M(GET_DOMAIN_PATH, "\0"), M(GET_DOMAIN_PATH, ""), M(GET_DOMAIN_PATH, "7"),
        M(GET_DOMAIN_PATH, "-1\0"), M(GET_DOMAIN_PATH, "4294967296\0"), M(GET_DOMAIN_PATH, " 5\0"),
        M(GET_DOMAIN_PATH, "0x10\0"), M(GET_DOMAIN_PATH, "5x\0"),
        M(GET_DOMAIN_PATH, "5\0"
                           "6\0"),
        M(GET_DOMAIN_PATH, "32752\0"));
}
END_TEST

START_TEST(is_domain_introduced_args)
{
    NEED_REFERENCE();
    RUN(M(IS_DOMAIN_INTRODUCED, "0\0"), M(IS_DOMAIN_INTRODUCED, "5\0"),
        M(IS_DOMAIN_INTRODUCED, "99999\0"), M(IS_DOMAIN_INTRODUCED, "x\0"),
        M(IS_DOMAIN_INTRODUCED, "\0"), M(IS_DOMAIN_INTRODUCED, ""), M(IS_DOMAIN_INTRODUCED, "5"),
        M(IS_DOMAIN_INTRODUCED, "-1\0"), M(IS_DOMAIN_INTRODUCED, "65536\0"),
        M(IS_DOMAIN_INTRODUCED, "5\0"
                                "6\0"),
        M(INTRODUCE, "5\0"
                     "1\0"
                     "3\0"),
        M(IS_DOMAIN_INTRODUCED, "5\0"), M(IS_DOMAIN_INTRODUCED, "5abc\0"),
        M(IS_DOMAIN_INTRODUCED, "65541\0"));
}
END_TEST

START_TEST(empty_payloads)
{
    NEED_REFERENCE();
    RUN(M(READ, ""), M(WRITE, ""), M(MKDIR, ""), M(RM, ""), M(DIRECTORY, ""), M(GET_PERMS, ""),
        M(SET_PERMS, ""), M(WATCH, ""), M(UNWATCH, ""), M(TRANSACTION_START, ""),
        M(TRANSACTION_END, ""), M(GET_DOMAIN_PATH, ""), M(RESET_WATCHES, ""), M(DIRECTORY_PART, ""),
        M(INTRODUCE, ""), M(RELEASE, ""), M(RESUME, ""), M(SET_TARGET, ""), M(CONTROL, ""),
        M(IS_DOMAIN_INTRODUCED, ""));
}
END_TEST

START_TEST(no_terminating_nul)
{
    NEED_REFERENCE();
    RUN(M(READ, "/"), M(WRITE, "/a"), M(MKDIR, "/a"), M(RM, "/a"), M(DIRECTORY, "/"),
        M(GET_PERMS, "/"), M(SET_PERMS, "/a"), M(WATCH, "/a\0t"), M(UNWATCH, "/a\0t"),
        M(TRANSACTION_START, "x"),
        M(DIRECTORY_PART, "/\0"
                          "0"),
        M(INTRODUCE, "5\0"
                     "1\0"
                     "3"),
        M(RELEASE, "5"), M(CONTROL, "check"), M(READ, "/\0x"), M(MKDIR, "/b\0x\0"));
}
END_TEST

static void at_limit(uint32_t type, size_t len, bool with_value)
{
    static char b[XENSTORE_PAYLOAD_MAX + 8];
    size_t plen = with_value ? 100 : len - 1;

    make_path(b, "/", plen);
    if (with_value) {
        memset(b + plen + 1, 'v', len - plen - 1);
    } else {
        b[plen] = '\0';
    }
    struct xsdiff_msg seq[] = { { type, 0, b, len }, { XS_READ, 0, "/\0", 2 } };
    compare(seq, 2);
}

START_TEST(payload_at_limit)
{
    NEED_REFERENCE();
    at_limit(XS_WRITE, XENSTORE_PAYLOAD_MAX, true);
    at_limit(XS_WRITE, XENSTORE_PAYLOAD_MAX + 1, true);
    at_limit(XS_READ, XENSTORE_PAYLOAD_MAX, false);
    at_limit(XS_MKDIR, XENSTORE_PAYLOAD_MAX, false);
    at_limit(XS_READ, XENSTORE_PAYLOAD_MAX + 1, false);
}
END_TEST

START_TEST(txn_sees_node_created_outside)
{
    NEED_REFERENCE();
    RUN(M(TRANSACTION_START, "\0"), M(WRITE, "/out\0o"), MT(READ, "/out\0"), MT(DIRECTORY, "/\0"),
        MT(WRITE, "/in\0i"), MT(TRANSACTION_END, "T\0"), M(READ, "/in\0"));
}
END_TEST

START_TEST(txn_sees_node_changed_outside)
{
    NEED_REFERENCE();
    RUN(M(WRITE, "/c\0one"), M(TRANSACTION_START, "\0"), M(WRITE, "/c\0two"), MT(READ, "/c\0"),
        MT(TRANSACTION_END, "T\0"), M(TRANSACTION_START, "\0"), MT(READ, "/c\0"), M(RM, "/c\0"),
        MT(READ, "/c\0"), MT(TRANSACTION_END, "T\0"));
}
END_TEST

START_TEST(txn_args)
{
    NEED_REFERENCE();
    RUN(M(TRANSACTION_START, "\0"), MT(TRANSACTION_START, "\0"), MT(TRANSACTION_END, "x\0"),
        MT(TRANSACTION_END, "\0"), MT(TRANSACTION_END, "TT\0"), MT(TRANSACTION_END, "T"),
        MT(TRANSACTION_END, "F\0"), MT(TRANSACTION_END, "F\0"), MX(READ, 77, "/\0"),
        MX(TRANSACTION_END, 77, "T\0"), M(TRANSACTION_END, "T\0"), M(TRANSACTION_START, "x\0"),
        M(TRANSACTION_START, "\0"
                             "x\0"),
        MX(WATCH, 77, "/w\0t\0"), MX(RESET_WATCHES, 77, ""), MX(TRANSACTION_START, 77, "\0"));
}
END_TEST

START_TEST(control_commands)
{
    NEED_REFERENCE();
    RUN(M(CONTROL, "check\0"), M(CONTROL, "log\0on\0"), M(CONTROL, "log\0off\0"),
        M(CONTROL, "log\0"), M(CONTROL, "log\0x\0"), M(CONTROL, "help\0"), M(CONTROL, "quota\0"),
        M(CONTROL, "quota-soft\0"), M(CONTROL, "memreport\0"), M(CONTROL, "memreport\0a\0b\0"),
        M(CONTROL, "print\0hello\0"), M(CONTROL, "print\0"), M(CONTROL, "nothing\0"),
        M(CONTROL, "quota\0set\0nodes\0"
                   "2000\0"),
        M(CONTROL, "quota\0"),
        M(CONTROL, "quota\0set\0bogus\0"
                   "1\0"),
        M(CONTROL, "quota\0set\0nodes\0"
                   "0\0"),
        M(CONTROL, "quota\0set\0nodes\0"),
        M(CONTROL, "quota\0"
                   "5\0"),
        M(CONTROL, "quota\0"
                   "5\0"
                   "6\0"),
        M(CONTROL, "quota-soft\0set\0memory\0"
                   "5\0"),
        M(CONTROL, "quota-soft\0"), M(CONTROL, "quota-soft\0x\0"), M(CONTROL, "check\0x\0"),
        M(CONTROL, "help\0x\0"), M(CONTROL, "\0"), M(CONTROL, "check"),
        M(CONTROL, "live-update\0-a\0"), M(CONTROL, "live-update\0-c\0x\0"),
        M(CONTROL, "live-update\0-s\0-F\0-t\0"
                   "5\0"),
        M(CONTROL, "live-update\0-s\0-x\0"), M(CONTROL, "live-update\0"), M(CONTROL, "logfile\0"));
}
END_TEST

START_TEST(directory_part_args)
{
    NEED_REFERENCE();
    RUN(M(WRITE, "/q/a\0x"), M(WRITE, "/q/bb\0x"),
        M(DIRECTORY_PART, "/q\0"
                          "0\0"),
        M(DIRECTORY_PART, "/q\0"
                          "2\0"),
        M(DIRECTORY_PART, "/q\0"
                          "1\0"),
        M(DIRECTORY_PART, "/q\0"
                          "x\0"),
        M(DIRECTORY_PART, "/q\0"),
        M(DIRECTORY_PART, "/q\0"
                          "\0"),
        M(DIRECTORY_PART, "/q\0"
                          "-1\0"),
        M(DIRECTORY_PART, "/q\0"
                          "99\0"),
        M(DIRECTORY_PART, "/q\0"
                          "0\0"
                          "1\0"),
        M(DIRECTORY_PART, "/q\0"
                          "5\0"),
        M(DIRECTORY_PART, "/q\0"
                          "3\0"),
        M(DIRECTORY_PART, "/none\0"
                          "0\0"),
        M(DIRECTORY_PART, "/q/a\0"
                          "0\0"),
        M(DIRECTORY_PART, "/q\0"
                          "4294967296\0"));
}
END_TEST

START_TEST(introduce_args)
{
    NEED_REFERENCE();
    RUN(M(INTRODUCE, "5\0"
                     "1\0"
                     "3\0"),
        M(INTRODUCE, "5\0"
                     "1\0"
                     "3\0"),
        M(INTRODUCE, "5\0"
                     "2\0"
                     "3\0"),
        M(INTRODUCE, "5\0"
                     "1\0"
                     "4\0"),
        M(INTRODUCE, "6\0"
                     "1\0"),
        M(INTRODUCE, "6\0"
                     "1\0"
                     "0\0"),
        M(INTRODUCE, "6\0"
                     "1\0"
                     "-1\0"),
        M(INTRODUCE, "6\0"
                     "x\0"
                     "3\0"),
        M(INTRODUCE, "x\0"
                     "1\0"
                     "3\0"),
        M(INTRODUCE, "0\0"
                     "1\0"
                     "3\0"),
        M(INTRODUCE, "40000\0"
                     "1\0"
                     "3\0"),
        M(INTRODUCE, "7\0"
                     "1\0"
                     "3\0"
                     "x\0"),
        M(INTRODUCE, "8\0"
                     "1\0"
                     "abc\0"),
        M(IS_DOMAIN_INTRODUCED, "0\0"), M(IS_DOMAIN_INTRODUCED, "7\0"),
        M(IS_DOMAIN_INTRODUCED, "6\0"),
        M(INTRODUCE, "65545\0"
                     "1\0"
                     "3\0"),
        M(IS_DOMAIN_INTRODUCED, "9\0"));
}
END_TEST

START_TEST(release_resume_args)
{
    NEED_REFERENCE();
    RUN(M(INTRODUCE, "5\0"
                     "1\0"
                     "3\0"),
        M(RESUME, "5\0"), M(RESUME, "6\0"), M(RESUME, "0\0"), M(RESUME, "x\0"), M(RESUME, "\0"),
        M(RESUME, "5\0"
                  "6\0"),
        M(RESUME, "-1\0"), M(RELEASE, "6\0"), M(RELEASE, "0\0"), M(RELEASE, "x\0"),
        M(RELEASE, "\0"),
        M(RELEASE, "5\0"
                   "6\0"),
        M(RELEASE, "5abc\0"), M(RELEASE, "5\0"), M(RELEASE, "5\0"), M(RESUME, "5\0"),
        M(IS_DOMAIN_INTRODUCED, "5\0"));
}
END_TEST

START_TEST(set_target_args)
{
    NEED_REFERENCE();
    RUN(M(INTRODUCE, "5\0"
                     "1\0"
                     "3\0"),
        M(INTRODUCE, "6\0"
                     "1\0"
                     "3\0"),
        M(SET_TARGET, "5\0"
                      "6\0"),
        M(SET_TARGET, "5\0"
                      "7\0"),
        M(SET_TARGET, "7\0"
                      "5\0"),
        M(SET_TARGET, "5\0"),
        M(SET_TARGET, "x\0"
                      "6\0"),
        M(SET_TARGET, "5\0"
                      "0\0"),
        M(SET_TARGET, "0\0"
                      "5\0"),
        M(SET_TARGET, "5\0"
                      "6\0"
                      "7\0"));
}
END_TEST

START_TEST(watches)
{
    NEED_REFERENCE();
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

START_TEST(write_mkdir_values)
{
    NEED_REFERENCE();
    RUN(M(WRITE, "/v\0"), M(READ, "/v\0"), M(WRITE, "/v\0a\0b"), M(READ, "/v\0"), M(MKDIR, "/v\0"),
        M(READ, "/v\0"), M(MKDIR, "/m/n/o\0"), M(DIRECTORY, "/m\0"), M(GET_PERMS, "/m/n\0"),
        M(WRITE, "/\0root"), M(READ, "/\0"), M(MKDIR, "/\0"), M(DIRECTORY, "/nothing\0"),
        M(GET_PERMS, "/nothing\0"), M(GET_PERMS, "@releaseDomain\0"),
        M(GET_PERMS, "@introduceDomain\0"), M(GET_PERMS, "@other\0"),
        M(DIRECTORY, "@releaseDomain\0"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("xs_diff");
    TCase *tc = tcase_create("reference");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, basic_rw);
    tcase_add_test(tc, unknown_types);
    tcase_add_test(tc, rm_root_and_missing);
    tcase_add_test(tc, not_one_path);
    tcase_add_test(tc, path_chars);
    tcase_add_test(tc, path_length_absolute);
    tcase_add_test(tc, path_length_below_home);
    tcase_add_test(tc, path_length_relative);
    tcase_add_test(tc, set_perms_domid_spellings);
    tcase_add_test(tc, set_perms_missing_domains);
    tcase_add_test(tc, get_domain_path_args);
    tcase_add_test(tc, is_domain_introduced_args);
    tcase_add_test(tc, empty_payloads);
    tcase_add_test(tc, no_terminating_nul);
    tcase_add_test(tc, payload_at_limit);
    tcase_add_test(tc, txn_sees_node_created_outside);
    tcase_add_test(tc, txn_sees_node_changed_outside);
    tcase_add_test(tc, txn_args);
    tcase_add_test(tc, control_commands);
    tcase_add_test(tc, directory_part_args);
    tcase_add_test(tc, introduce_args);
    tcase_add_test(tc, release_resume_args);
    tcase_add_test(tc, set_target_args);
    tcase_add_test(tc, watches);
    tcase_add_test(tc, write_mkdir_values);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int rc;

    if (xsref_available(shim(), missing, sizeof(missing)))
        missing[0] = '\0';
    xsd_suite_begin();
    rc = check_main(suite());
    xsd_suite_end();
    return rc;
}
