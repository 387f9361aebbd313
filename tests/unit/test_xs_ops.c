/* Unit tests of the xenstore core: every message type, its replies and
 * its errors, through the in-process client. */
#include "test_xs_fixture.h"

#include <errno.h>
#include <stdlib.h>

static struct xsc_reply r;

static int raw(struct xsc_client *cl, uint32_t type, uint32_t req, uint32_t tx, const void *body,
               size_t len)
{
    struct xsd_sockmsg h = { type, req, tx, (uint32_t)len };
    return xsc_client_raw(cl, &h, body, &r);
}

static void assert_err(const char *name)
{
    ck_assert_uint_eq(r.hdr.type, XS_ERROR);
    ck_assert_str_eq(r.body, name);
    ck_assert_uint_eq(r.hdr.len, strlen(name) + 1);
}

START_TEST(write_read_implicit_parents)
{
    char v[64];

    ck_assert_int_eq(xsc_client_write(dom0, 0, "/a/b/c", "hello"), 0);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/a/b/c", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "hello");
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/a/b", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "");
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/a/x", v, sizeof(v)), ENOENT);
    /* values are bytes: no NUL added, embedded NULs kept */
    ck_assert_int_eq(raw(dom0, XS_WRITE, 7, 0, "/bin\0a\0b", 8), 0);
    ck_assert_uint_eq(r.hdr.type, XS_WRITE);
    ck_assert_str_eq(r.body, "OK");
    ck_assert_int_eq(raw(dom0, XS_READ, 8, 0, "/bin", 5), 0);
    ck_assert_uint_eq(r.hdr.len, 3);
    ck_assert_int_eq(memcmp(r.body, "a\0b", 3), 0);
}
END_TEST

START_TEST(req_id_and_tx_id_echoed)
{
    uint32_t tx;

    ck_assert_int_eq(raw(dom0, XS_READ, 0xdeadbeef, 0, "/nope", 6), 0);
    ck_assert_uint_eq(r.hdr.req_id, 0xdeadbeef);
    assert_err("ENOENT");
    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_int_eq(raw(dom0, XS_READ, 42, tx, "/tool", 6), 0);
    ck_assert_uint_eq(r.hdr.req_id, 42);
    ck_assert_uint_eq(r.hdr.tx_id, tx);
    ck_assert_uint_eq(r.hdr.type, XS_READ);
}
END_TEST

START_TEST(mkdir_directory_rm)
{
    ck_assert_int_eq(xsc_client_strs(dom0, XS_MKDIR, 0, NULL, "/d/x", NULL), 0);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/d/y", "1"), 0);
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/d/x", "2"), 0);
    /* mkdir of an existing node changes nothing */
    ck_assert_int_eq(xsc_client_strs(dom0, XS_MKDIR, 0, NULL, "/d/x", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_READ, 0, &r, "/d/x", NULL), 0);
    ck_assert_str_eq(r.body, "2");
    ck_assert_int_eq(xsc_client_strs(dom0, XS_DIRECTORY, 0, &r, "/d", NULL), 0);
    ck_assert_uint_eq(r.hdr.len, 4);
    ck_assert_int_eq(memcmp(r.body, "x\0y\0", 4), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RM, 0, NULL, "/d", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_DIRECTORY, 0, &r, "/d", NULL), ENOENT);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/d/x", NULL, 0), ENOENT);
    /* gone node with an existing parent: fine; without: ENOENT */
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RM, 0, NULL, "/d", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RM, 0, NULL, "/d/x", NULL), ENOENT);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RM, 0, NULL, "/", NULL), EINVAL);
}
END_TEST

START_TEST(directory_part_pages_big_dirs)
{
    char p[64], name[64];
    unsigned long off = 0;
    unsigned seen = 0;
    char *gen = NULL;

    for (unsigned i = 0; i < 300; i++) {
        snprintf(p, sizeof(p), "/big/child-with-a-longish-name-%04u", i);
        ck_assert_int_eq(xsc_client_strs(dom0, XS_MKDIR, 0, NULL, p, NULL), 0);
    }
    ck_assert_int_eq(xsc_client_strs(dom0, XS_DIRECTORY, 0, &r, "/big", NULL), E2BIG);
    for (;;) {
        char offs[32];
        size_t pos;
        snprintf(offs, sizeof(offs), "%lu", off);
        ck_assert_int_eq(xsc_client_strs(dom0, XS_DIRECTORY_PART, 0, &r, "/big", offs, NULL), 0);
        ck_assert_uint_le(r.hdr.len, XENSTORE_PAYLOAD_MAX);
        if (!gen)
            gen = strdup(r.body);
        ck_assert_str_eq(r.body, gen); /* unchanged directory */
        pos = strlen(r.body) + 1;
        while (pos < r.hdr.len && r.body[pos]) {
            snprintf(name, sizeof(name), "child-with-a-longish-name-%04u", seen);
            ck_assert_str_eq(r.body + pos, name);
            off += strlen(r.body + pos) + 1;
            pos += strlen(r.body + pos) + 1;
            seen++;
        }
        if (pos < r.hdr.len)
            break; /* the empty string: end of list */
    }
    ck_assert_uint_eq(seen, 300);
    /* a new child changes the directory's generation */
    ck_assert_int_eq(xsc_client_strs(dom0, XS_MKDIR, 0, NULL, "/big/new", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_DIRECTORY_PART, 0, &r, "/big", "0", NULL), 0);
    ck_assert_str_ne(r.body, gen);
    free(gen);
    /* an offset inside a name lists from that byte, as C xenstored does */
    ck_assert_int_eq(xsc_client_strs(dom0, XS_DIRECTORY_PART, 0, &r, "/big", "3", NULL), 0);
}
END_TEST

START_TEST(get_and_set_perms)
{
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/p", "v"), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_GET_PERMS, 0, &r, "/p", NULL), 0);
    ck_assert_uint_eq(r.hdr.len, 3);
    ck_assert_str_eq(r.body, "n0");
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "/p", "w3", "r5", "b7", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_GET_PERMS, 0, &r, "/p", NULL), 0);
    ck_assert_uint_eq(r.hdr.len, 9);
    ck_assert_int_eq(memcmp(r.body, "w3\0r5\0b7\0", 9), 0);
    /* children inherit; bad entries are refused */
    ck_assert_int_eq(xsc_client_write(dom0, 0, "/p/q", "v"), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_GET_PERMS, 0, &r, "/p/q", NULL), 0);
    ck_assert_int_eq(memcmp(r.body, "w3\0r5\0b7\0", 9), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "/p", "x3", NULL), EINVAL);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "/p", "r", NULL), EINVAL);
    /* an owner that is no domain; ids as strtol reads them */
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "/p", "r70000", NULL), ENOENT);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "/p", "r0x10", "r-1", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_GET_PERMS, 0, &r, "/p", NULL), 0);
    ck_assert_int_eq(memcmp(r.body, "r16\0r-1\0", 9), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "/nope", "r0", NULL), ENOENT);
    /* special nodes' permissions are set, never read back (C xenstored) */
    ck_assert_int_eq(xsc_client_strs(dom0, XS_GET_PERMS, 0, &r, "@releaseDomain", NULL), EINVAL);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_PERMS, 0, NULL, "@nothing", "n0", NULL), EINVAL);
}
END_TEST

START_TEST(domain_messages)
{
    struct xsc_client *g;

    ck_assert_int_eq(xsc_client_strs(dom0, XS_GET_DOMAIN_PATH, 0, &r, "7", NULL), 0);
    ck_assert_str_eq(r.body, "/local/domain/7");
    /* numbers as atoi() reads them, as C xenstored does */
    ck_assert_int_eq(xsc_client_strs(dom0, XS_GET_DOMAIN_PATH, 0, &r, "x", NULL), 0);
    ck_assert_str_eq(r.body, "/local/domain/0");
    ck_assert_int_eq(xsc_client_strs(dom0, XS_IS_DOMAIN_INTRODUCED, 0, &r, "3", NULL), 0);
    ck_assert_str_eq(r.body, "F");
    g = fx_domain(3);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_IS_DOMAIN_INTRODUCED, 0, &r, "3", NULL), 0);
    ck_assert_str_eq(r.body, "T");
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RESUME, 0, NULL, "3", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RESUME, 0, NULL, "4", NULL), ENOENT);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_SET_TARGET, 0, NULL, "3", "9", NULL), ENOENT);
    /* again, even with another gfn: C xenstored only rebinds the port */
    ck_assert_int_eq(xsc_client_strs(dom0, XS_INTRODUCE, 0, NULL, "0", "1", "2", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_INTRODUCE, 0, NULL, "3", "99", "2", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_INTRODUCE, 0, NULL, "4", "1", "0", NULL), EINVAL);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_INTRODUCE, 0, NULL, "32752", "1", "2", NULL), EINVAL);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_INTRODUCE, 0, NULL, "3", "1234", "5", NULL), 0);
    /* the guest may ask its path, not the privileged questions */
    ck_assert_int_eq(xsc_client_strs(g, XS_GET_DOMAIN_PATH, 0, &r, "3", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(g, XS_IS_DOMAIN_INTRODUCED, 0, &r, "3", NULL), EACCES);
    ck_assert_int_eq(xsc_client_strs(g, XS_INTRODUCE, 0, &r, "9", "1", "2", NULL), EACCES);
    ck_assert_int_eq(xsc_client_strs(g, XS_RELEASE, 0, &r, "3", NULL), EACCES);
    ck_assert_int_eq(xsc_client_strs(g, XS_CONTROL, 0, &r, "check", NULL), EACCES);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_CONTROL, 0, &r, "check", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_CONTROL, 0, &r, "quota", NULL), 0);
    ck_assert_ptr_nonnull(strstr(r.body, "nodes            :     1000 Nodes per domain\n"));
    ck_assert_int_eq(xsc_client_strs(dom0, XS_CONTROL, 0, &r, "quota", "set", "nodes", "7", NULL),
                     0);
    ck_assert_uint_eq(xsc_core_quota(core)->nodes, 7);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_CONTROL, 0, &r, "log", "on", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_CONTROL, 0, &r, "nonsense", NULL), EINVAL);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RELEASE, 0, NULL, "3", NULL), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RELEASE, 0, NULL, "3", NULL), ENOENT);
    ck_assert_int_eq(xsc_client_strs(g, XS_READ, 0, &r, "domid", NULL), EPIPE);
    xsc_client_close(g);
}
END_TEST

START_TEST(relative_paths_resolve_under_home)
{
    struct xsc_client *g = fx_domain(5);
    char v[32];

    ck_assert_int_eq(xsc_client_read(g, 0, "domid", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "5");
    ck_assert_int_eq(xsc_client_write(g, 0, "data/k", "v"), 0);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/local/domain/5/data/k", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "v");
    /* dom0's relative paths are under /local/domain/0 */
    ck_assert_int_eq(xsc_client_read(dom0, 0, "name", v, sizeof(v)), 0);
    ck_assert_str_eq(v, "Domain-0");
    xsc_client_close(g);
}
END_TEST

START_TEST(bad_input_gets_xen_errors)
{
    static char big[XENSTORE_PAYLOAD_MAX + 1];
    char path[2200];
    struct xsc_client *g = fx_domain(2);

    /* missing NUL, extra strings: C xenstored's answers (READ reports
     * ENOENT, as its lookup of the absent argument does) */
    ck_assert_int_eq(raw(dom0, XS_READ, 1, 0, "/tool", 5), 0);
    assert_err("ENOENT");
    ck_assert_int_eq(raw(dom0, XS_READ, 1, 0, "/tool\0/x", 9), 0);
    assert_err("ENOENT");
    ck_assert_int_eq(raw(dom0, XS_WRITE, 1, 0, "/tool", 5), 0);
    assert_err("EINVAL");
    ck_assert_int_eq(raw(dom0, XS_WATCH, 1, 0, "/tool", 6), 0);
    assert_err("EINVAL");
    ck_assert_int_eq(raw(dom0, XS_READ, 1, 0, "", 0), 0);
    assert_err("ENOENT");
    ck_assert_int_eq(raw(dom0, XS_MKDIR, 1, 0, "", 0), 0);
    assert_err("ENOMEM");
    /* unknown and server-only types */
    ck_assert_int_eq(raw(dom0, 20, 1, 0, "/\0", 2), 0);
    assert_err("ENOSYS");
    ck_assert_int_eq(raw(dom0, XS_TYPE_COUNT, 1, 0, "/\0", 2), 0);
    assert_err("ENOSYS");
    ck_assert_int_eq(raw(dom0, XS_WATCH_EVENT, 1, 0, "/\0t\0", 4), 0);
    assert_err("ENOSYS");
    ck_assert_int_eq(raw(dom0, 0xffff, 1, 0, "/\0", 2), 0);
    assert_err("ENOSYS");
    /* bad paths */
    static const char *const bad[] = {
        "", "//a", "/a/", "/a//b", "/a b", "/a\x80", "/local/domain/", "a/", "@foo"
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(xsc_client_write(dom0, 0, bad[i], "v") == EINVAL, "path \"%s\" accepted",
                      bad[i]);
    /* a guest's path may be 2048 bytes below its home, no more */
    strcpy(path, "data");
    while (strlen(path) + 8 <= 2040)
        strcat(path, "/abcdefg");
    strcat(path, "/");
    while (strlen(path) < 2048)
        strcat(path, "x");
    ck_assert_int_eq(xsc_client_write(g, 0, path, "v"), 0);
    strcat(path, "y");
    ck_assert_int_eq(xsc_client_write(g, 0, path, "v"), EINVAL);
    /* over XENSTORE_PAYLOAD_MAX: the connection is closed */
    memset(big, 'a', sizeof(big));
    ck_assert_int_eq(raw(g, XS_WRITE, 1, 0, big, sizeof(big)), -1);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/tool", NULL, 0), 0);
    xsc_client_close(g);
}
END_TEST

START_TEST(unknown_tx_and_nested_start)
{
    uint32_t tx;

    ck_assert_int_eq(xsc_client_strs(dom0, XS_READ, 999, &r, "/tool", NULL), ENOENT);
    ck_assert_int_eq(xsc_client_tx_end(dom0, 999, true), ENOENT);
    ck_assert_int_eq(xsc_client_tx_start(dom0, &tx), 0);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_TRANSACTION_START, tx, &r, "", NULL), EBUSY);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_TRANSACTION_END, tx, &r, "X", NULL), EINVAL);
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, false), 0);
    ck_assert_int_eq(xsc_client_tx_end(dom0, tx, false), ENOENT);
}
END_TEST

START_TEST(deep_paths_are_no_problem)
{
    /* XSA-418: a path 1000 components deep (as long as a path may be),
     * created and removed */
    static char path[3100];
    size_t len = 0;
    unsigned before = xsc_core_nodes(core);

    for (int i = 0; i < 1000; i++) {
        path[len++] = '/';
        path[len++] = 'a';
    }
    path[len] = '\0';
    ck_assert_int_eq(xsc_client_write(dom0, 0, path, "deep"), 0);
    ck_assert_uint_eq(xsc_core_nodes(core), before + 1000);
    ck_assert_int_eq(xsc_client_strs(dom0, XS_RM, 0, NULL, "/a", NULL), 0);
    ck_assert_uint_eq(xsc_core_nodes(core), before);
}
END_TEST

/* A fork starts as its core stands and goes its own way: what one does
 * the other does not see, and a core with a connection open is not
 * forked. */
START_TEST(a_fork_is_a_copy_that_goes_its_own_way)
{
    char buf[64];
    struct xsc_client *g = fx_domain(3);
    ck_assert_ptr_null(xsc_core_fork(core));
    xsc_client_close(g);
    xsc_client_close(dom0);
    unsigned nodes = xsc_core_nodes(core);
    struct xsc_core *f = xsc_core_fork(core);
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(xsc_core_nodes(f), nodes);
    ck_assert_uint_eq(xsc_core_nodes_owned(f, 3), xsc_core_nodes_owned(core, 3));
    ck_assert(xsc_core_is_introduced(f, 3));

    /* The guest's permissions came along: it writes under its home in
     * the fork, and the core does not see it. */
    struct xsc_client *fg = xsc_client_open(f, 3);
    ck_assert_ptr_nonnull(fg);
    ck_assert_int_eq(xsc_client_write(fg, 0, "/local/domain/3/data/x", "fork"), 0);
    ck_assert_int_eq(xsc_client_write(fg, 0, "/local/domain/0/x", "no"), EACCES);
    ck_assert_int_eq(xsc_client_read(fg, 0, "/local/domain/3/data/x", buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "fork");
    ck_assert_uint_eq(xsc_core_nodes(f), nodes + 1);
    ck_assert_uint_eq(xsc_core_nodes(core), nodes);
    xsc_client_close(fg);
    xsc_core_free(f);

    dom0 = peers.dom0 = xsc_client_open(core, 0);
    ck_assert_int_eq(xsc_client_read(dom0, 0, "/local/domain/3/data/x", buf, sizeof(buf)), ENOENT);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xsc_ops");
    TCase *tc = tcase_create("ops");

    tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_test(tc, write_read_implicit_parents);
    tcase_add_test(tc, req_id_and_tx_id_echoed);
    tcase_add_test(tc, mkdir_directory_rm);
    tcase_add_test(tc, directory_part_pages_big_dirs);
    tcase_add_test(tc, get_and_set_perms);
    tcase_add_test(tc, domain_messages);
    tcase_add_test(tc, relative_paths_resolve_under_home);
    tcase_add_test(tc, bad_input_gets_xen_errors);
    tcase_add_test(tc, unknown_tx_and_nested_start);
    tcase_add_test(tc, deep_paths_are_no_problem);
    tcase_add_test(tc, a_fork_is_a_copy_that_goes_its_own_way);
    suite_add_tcase(s, tc);
    return fx_run(s);
}
