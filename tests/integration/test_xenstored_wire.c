/* splitbed-xenstored against misbehaving clients on its sockets: bad
 * messages get Xen's error or a closed connection, never a crash, and
 * everyone else keeps being served. */
#include "tests/integration/test_xenstored_daemon.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct xsd d;
static char out[XENSTORE_PAYLOAD_MAX + 1];

static void setup(void)
{
    xsd_start(&d);
}

static void teardown(void)
{
    xsd_stop(&d);
}

/* The daemon still answers a fresh dom0 client. */
static void still_serving(void)
{
    int fd = xsd_connect(d.sock);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(xsd_call(fd, XS_READ, out, "/local/domain/0/name", NULL), XS_READ);
    ck_assert_str_eq(out, "Domain-0");
    close(fd);
}

static void expect_closed(int fd)
{
    struct xsd_sockmsg h;
    ck_assert_int_eq(xsd_recv(fd, &h, out, sizeof(out)), -1);
}

START_TEST(oversized_payload_closes_connection)
{
    int bad = xsd_connect(d.sock), good = xsd_connect(d.sock);
    struct xsd_sockmsg h = { XS_WRITE, 1, 0, XENSTORE_PAYLOAD_MAX + 1 };

    ck_assert_int_eq(send(bad, &h, sizeof(h), MSG_NOSIGNAL), sizeof(h));
    expect_closed(bad);
    h.len = 0xffffffffu; /* XSA-420's kind of length */
    close(bad);
    bad = xsd_connect(d.sock);
    ck_assert_int_eq(send(bad, &h, sizeof(h), MSG_NOSIGNAL), sizeof(h));
    expect_closed(bad);
    ck_assert_int_eq(xsd_call(good, XS_READ, out, "/tool", NULL), XS_READ);
    close(bad);
    close(good);
    still_serving();
}
END_TEST

/* A payload of exactly XENSTORE_PAYLOAD_MAX bytes is a message, not an
 * oversized one: a write of a value that fills it is answered. */
START_TEST(payload_of_exactly_the_maximum_is_served)
{
    static char msg[XENSTORE_PAYLOAD_MAX];
    int fd = xsd_connect(d.sock);
    struct xsd_sockmsg h;

    memset(msg, 'v', sizeof(msg));
    memcpy(msg, "/big", 5); /* path, NUL, then the value to the end */
    ck_assert_int_eq(xsd_send(fd, XS_WRITE, 7, 0, msg, sizeof(msg)), 0);
    ck_assert_int_eq(xsd_recv(fd, &h, out, sizeof(out)), 0);
    ck_assert_uint_eq(h.req_id, 7);
    ck_assert_msg(h.type == XS_WRITE, "type %u: %s", h.type, out);
    close(fd);
    still_serving();
}
END_TEST

START_TEST(error_replies_carry_ids)
{
    int fd = xsd_connect(d.sock);
    struct xsd_sockmsg h;

    ck_assert_int_eq(xsd_send(fd, 99, 1234, 0, "/\0", 2), 0);
    ck_assert_int_eq(xsd_recv(fd, &h, out, sizeof(out)), 0);
    ck_assert_uint_eq(h.type, XS_ERROR);
    ck_assert_uint_eq(h.req_id, 1234);
    ck_assert_str_eq(out, "ENOSYS");
    ck_assert_int_eq(xsd_send(fd, XS_WRITE, 5, 0, "/tool", 5), 0);
    ck_assert_int_eq(xsd_recv(fd, &h, out, sizeof(out)), 0);
    ck_assert_uint_eq(h.req_id, 5);
    ck_assert_str_eq(out, "EINVAL");
    ck_assert_int_eq(xsd_send(fd, XS_READ, 6, 42, "/tool", 6), 0);
    ck_assert_int_eq(xsd_recv(fd, &h, out, sizeof(out)), 0);
    ck_assert_uint_eq(h.tx_id, 42);
    ck_assert_str_eq(out, "ENOENT");
    close(fd);
}
END_TEST

START_TEST(half_messages_leave_nothing_behind)
{
    /* half a header, a header without its body, one byte at a time */
    static const char msg[] = "/tool";
    struct xsd_sockmsg h = { XS_READ, 9, 0, sizeof(msg) };
    int fd;

    for (int i = 0; i < 50; i++) {
        fd = xsd_connect(d.sock);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(send(fd, &h, (size_t)(i % 16) + 1, MSG_NOSIGNAL), (i % 16) + 1);
        close(fd);
    }
    fd = xsd_connect(d.sock);
    for (size_t i = 0; i < sizeof(h); i++)
        ck_assert_int_eq(send(fd, (char *)&h + i, 1, MSG_NOSIGNAL), 1);
    for (size_t i = 0; i < sizeof(msg); i++)
        ck_assert_int_eq(send(fd, msg + i, 1, MSG_NOSIGNAL), 1);
    ck_assert_int_eq(xsd_recv(fd, &h, out, sizeof(out)), 0);
    ck_assert_uint_eq(h.type, XS_READ);
    ck_assert_uint_eq(h.req_id, 9);
    close(fd);
    still_serving();
}
END_TEST

START_TEST(guest_cannot_use_privileged_messages)
{
    int fd0 = xsd_connect(d.sock), g;
    char sock[400];

    xsd_make_domain(fd0, 3);
    xsd_dom_sock(&d, 3, sock, sizeof(sock));
    g = xsd_connect(sock);
    ck_assert_int_ge(g, 0);
    ck_assert_int_eq(xsd_call(g, XS_INTRODUCE, out, "4", "1", "1", NULL), XS_ERROR);
    ck_assert_str_eq(out, "EACCES");
    ck_assert_int_eq(xsd_call(g, XS_RELEASE, out, "3", NULL), XS_ERROR);
    ck_assert_str_eq(out, "EACCES");
    ck_assert_int_eq(xsd_call(g, XS_WRITE, out, "/local/domain/0/x", NULL), XS_ERROR);
    ck_assert_str_eq(out, "EACCES");
    ck_assert_int_eq(xsd_call(g, XS_READ, out, "domid", NULL), XS_READ);
    ck_assert_str_eq(out, "3");
    close(g);
    close(fd0);
    /* each refusal is one line of the trace, naming domain and rule */
    {
        char path[300], text[4096];
        FILE *f;
        size_t n;
        snprintf(path, sizeof(path), "%s/trace", d.dir);
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        n = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
        text[n] = '\0';
        ck_assert_ptr_nonnull(strstr(text, "dom3: privileged message type 8 "
                                           "refused\n"));
        ck_assert_ptr_nonnull(strstr(text, "dom3: creating /local/domain/0/x "
                                           "denied"));
    }
}
END_TEST

START_TEST(pipelined_requests_answered_in_order)
{
    /* 300 requests in one write: the daemon reads ahead, serves them
	 * in bursts, and answers each in order */
    static char buf[300 * 32];
    size_t len = 0;
    int fd = xsd_connect(d.sock);

    for (uint32_t i = 0; i < 300; i++) {
        struct xsd_sockmsg h = { XS_READ, i, 0, 6 };
        memcpy(buf + len, &h, sizeof(h));
        memcpy(buf + len + sizeof(h), "/tool", 6);
        len += sizeof(h) + 6;
    }
    ck_assert_int_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
    for (uint32_t i = 0; i < 300; i++) {
        struct xsd_sockmsg h;
        ck_assert_int_eq(xsd_recv(fd, &h, out, sizeof(out)), 0);
        ck_assert_uint_eq(h.type, XS_READ);
        ck_assert_uint_eq(h.req_id, i);
    }
    close(fd);
}
END_TEST

START_TEST(client_that_never_reads_is_cut_off)
{
    /* XSA-326: watch events pile up for a guest that reads nothing;
	 * past the bound it is disconnected, dom0 carries on */
    static char token[3000];
    int fd0 = xsd_connect(d.sock), g, i;
    char sock[400], path[64];
    struct pollfd pf;
    size_t got = 0;
    char buf[65536];
    ssize_t n;

    xsd_make_domain(fd0, 4);
    xsd_dom_sock(&d, 4, sock, sizeof(sock));
    g = xsd_connect(sock);
    memset(token, 'k', sizeof(token) - 1);
    ck_assert_int_eq(xsd_send(g, XS_WATCH, 1, 0, "data\0", 5), 0);
    ck_assert_int_eq(xsd_send(g, XS_WATCH, 2, 0, NULL, 0), 0); /* EINVAL */
    {
        char body[3100];
        memcpy(body, "data", 5);
        memcpy(body + 5, token, sizeof(token));
        ck_assert_int_eq(xsd_send(g, XS_WATCH, 3, 0, body, 5 + sizeof(token)), 0);
    }
    /* 600 events of ~3 KiB: well past the 1 MiB bound */
    for (i = 0; i < 600; i++) {
        snprintf(path, sizeof(path), "/local/domain/4/data/n%d", i % 20);
        ck_assert_int_eq(xsd_call(fd0, XS_WRITE, out, path, NULL), XS_WRITE);
    }
    for (;;) {
        pf = (struct pollfd){ g, POLLIN, 0 };
        ck_assert_int_eq(poll(&pf, 1, 10000), 1); /* hang guard */
        n = read(g, buf, sizeof(buf));
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    ck_assert_uint_lt(got, 600 * 3000);
    still_serving();
    close(g);
    close(fd0);
}
END_TEST

START_TEST(many_clients_at_once)
{
    int fds[100];

    for (int i = 0; i < 100; i++) {
        fds[i] = xsd_connect(d.sock);
        ck_assert_int_ge(fds[i], 0);
        ck_assert_int_eq(xsd_send(fds[i], XS_READ, (uint32_t)i, 0, "/tool\0", 6), 0);
    }
    for (int i = 99; i >= 0; i--) {
        struct xsd_sockmsg h;
        ck_assert_int_eq(xsd_recv(fds[i], &h, out, sizeof(out)), 0);
        ck_assert_uint_eq(h.req_id, (uint32_t)i);
        close(fds[i]);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xenstored_wire");
    TCase *tc = tcase_create("wire");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, oversized_payload_closes_connection);
    tcase_add_test(tc, payload_of_exactly_the_maximum_is_served);
    tcase_add_test(tc, error_replies_carry_ids);
    tcase_add_test(tc, half_messages_leave_nothing_behind);
    tcase_add_test(tc, guest_cannot_use_privileged_messages);
    tcase_add_test(tc, client_that_never_reads_is_cut_off);
    tcase_add_test(tc, many_clients_at_once);
    tcase_add_test(tc, pipelined_requests_answered_in_order);
    suite_add_tcase(s, tc);
    xsd_suite_begin();
    int rc = check_main(s);
    xsd_suite_end();
    return rc;
}
