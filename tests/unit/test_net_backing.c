/*
 * test_net_backing.c — netback's backings on real descriptors and files:
 * the stream framing over a pipe, two vifs linked by socket:PATH, a pcap
 * sink and a capture read back with libpcap, and spec errors.
 */
#include <check.h>

#include "tests/lib/check_main.h"
#include "tests/lib/scratch.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends-sim/netback/nb_backing.h"
#include "frontends/net_stream.h"

static char dir[64];

static int rm_entry(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st;
    (void)f;
    (void)w;
    remove(p);
    return 0;
}
static void setup(void)
{
    scratch_dir(dir, sizeof dir);
}
static void teardown(void)
{
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static const uint8_t guest[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x07 };

/* Waits (hang guard only) until fd is readable. */
static void readable(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    ck_assert_int_eq(poll(&p, 1, 10000), 1);
}

START_TEST(fd_stream_framing_both_ways)
{
    /* fd:N reads and writes one descriptor: a socketpair's end */
    int sp[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    char spec[32], err[200];
    snprintf(spec, sizeof spec, "fd:%d", sp[0]);
    struct nb_backing *b;
    ck_assert_int_eq(nb_backing_open(spec, &b, err, sizeof err), 0);
    nb_backing_set_guest_mac(b, guest);
    static uint8_t data[3000], frame[65536];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 13);
    ck_assert_int_eq(write(sp[1], data, sizeof data), (ssize_t)sizeof data);
    size_t got = 0;
    while (got < sizeof data) {
        readable(nb_backing_fd(b));
        long n = nb_backing_read(b, frame, sizeof frame);
        ck_assert_int_gt(n, 0);
        ck_assert_int_le(n, 1514);
        ck_assert(memcmp(frame, guest, 6) == 0);
        size_t plen;
        const uint8_t *p = net_stream_payload(frame, (size_t)n, &plen);
        ck_assert_ptr_nonnull(p);
        ck_assert(memcmp(p, data + got, plen) == 0);
        got += plen;
    }
    /* nothing more written yet: no frame, and no waiting for one */
    ck_assert_int_eq(nb_backing_read(b, frame, sizeof frame), 0);
    /* guest -> stream: only stream frames are written, payload only */
    size_t len = net_stream_frame(frame, guest, guest, 5);
    memcpy(frame + NET_STREAM_HDR, "abcde", 5);
    ck_assert_uint_eq(len, 60);
    ck_assert_int_eq(nb_backing_write(b, frame, len), 0);
    frame[13] = 0x00; /* another EtherType: not part of the stream */
    ck_assert_int_eq(nb_backing_write(b, frame, len), 0);
    char buf[16] = { 0 };
    readable(sp[1]);
    ck_assert_int_eq(read(sp[1], buf, sizeof buf), 5);
    ck_assert_str_eq(buf, "abcde");
    /* end of input */
    close(sp[1]);
    ck_assert_int_eq(nb_backing_read(b, frame, sizeof frame), -EPIPE);
    nb_backing_free(b);
    close(sp[0]);
}
END_TEST

START_TEST(fd_on_a_seqpacket_socket_carries_frames)
{
    int sp[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
    char spec[32], err[200];
    snprintf(spec, sizeof spec, "fd:%d", sp[0]);
    struct nb_backing *b;
    ck_assert_int_eq(nb_backing_open(spec, &b, err, sizeof err), 0);
    static uint8_t f[9000], g[65536];
    for (size_t i = 0; i < sizeof f; i++)
        f[i] = (uint8_t)(i * 5);
    ck_assert_int_eq(send(sp[1], f, 1514, 0), 1514);
    ck_assert_int_eq(send(sp[1], f, 9000, 0), 9000);
    readable(nb_backing_fd(b));
    ck_assert_int_eq(nb_backing_read(b, g, sizeof g), 1514);
    ck_assert(memcmp(f, g, 1514) == 0);
    ck_assert_int_eq(nb_backing_read(b, g, sizeof g), 9000);
    ck_assert(memcmp(f, g, 9000) == 0);
    ck_assert_int_eq(nb_backing_write(b, f, 60), 0); /* any EtherType, whole */
    ck_assert_int_eq(recv(sp[1], g, sizeof g, 0), 60);
    close(sp[1]);
    ck_assert_int_eq(nb_backing_read(b, g, sizeof g), -EPIPE);
    nb_backing_free(b);
    close(sp[0]);
}
END_TEST

START_TEST(socket_links_two_vifs)
{
    char spec[128], err[200];
    snprintf(spec, sizeof spec, "socket:%s/link", dir);
    struct nb_backing *a, *b;
    ck_assert_int_eq(nb_backing_open(spec, &a, err, sizeof err), 0); /* listens */
    ck_assert_int_eq(nb_backing_open(spec, &b, err, sizeof err), 0); /* connects */
    static uint8_t f[2000], g[65536];
    readable(nb_backing_fd(a));
    ck_assert_int_eq(nb_backing_read(a, g, sizeof g), 0); /* accepts */
    for (size_t i = 0; i < sizeof f; i++)
        f[i] = (uint8_t)i;
    ck_assert_int_eq(nb_backing_write(b, f, 1514), 0);
    readable(nb_backing_fd(a));
    ck_assert_int_eq(nb_backing_read(a, g, sizeof g), 1514);
    ck_assert(memcmp(f, g, 1514) == 0);
    ck_assert_int_eq(nb_backing_write(a, f, 60), 0);
    readable(nb_backing_fd(b));
    ck_assert_int_eq(nb_backing_read(b, g, sizeof g), 60);
    nb_backing_free(b); /* the peer leaving ends the link */
    readable(nb_backing_fd(a));
    ck_assert_int_eq(nb_backing_read(a, g, sizeof g), -EPIPE);
    nb_backing_free(a);
    /* A socket file nobody listens on is taken over. */
    ck_assert_int_eq(nb_backing_open(spec, &a, err, sizeof err), 0);
    nb_backing_free(a);
}
END_TEST

static int count_frames(const char *file, size_t *first_len)
{
    char e[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(file, e);
    ck_assert_msg(p != NULL, "%s", e);
    ck_assert_int_eq(pcap_datalink(p), DLT_EN10MB);
    struct pcap_pkthdr *h;
    const u_char *d;
    int n = 0;
    while (pcap_next_ex(p, &h, &d) == 1) {
        if (n == 0 && first_len)
            *first_len = h->caplen;
        n++;
    }
    pcap_close(p);
    return n;
}

START_TEST(pcap_sink_and_capture)
{
    char spec[160], file[128], cap[128], err[200];
    snprintf(file, sizeof file, "%s/sink.pcap", dir);
    snprintf(spec, sizeof spec, "pcap:%s", file);
    struct nb_backing *b;
    ck_assert_int_eq(nb_backing_open(spec, &b, err, sizeof err), 0);
    ck_assert_int_eq(nb_backing_fd(b), -1);
    static uint8_t f[1514];
    ck_assert_int_eq(nb_backing_write(b, f, 98), 0);
    ck_assert_int_eq(nb_backing_write(b, f, 1514), 0);
    nb_backing_free(b);
    size_t first = 0;
    ck_assert_int_eq(count_frames(file, &first), 2);
    ck_assert_uint_eq(first, 98);

    int sp[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    snprintf(cap, sizeof cap, "%s/cap.pcap", dir);
    snprintf(spec, sizeof spec, "fd:%d,capture=%s", sp[0], cap);
    ck_assert_int_eq(nb_backing_open(spec, &b, err, sizeof err), 0);
    ck_assert_int_eq(write(sp[1], "xy", 2), 2);
    static uint8_t g[65536];
    readable(sp[0]);
    ck_assert_int_eq(nb_backing_read(b, g, sizeof g), 60);
    ck_assert_int_eq(nb_backing_write(b, g, 60), 0);
    nb_backing_free(b);
    ck_assert_int_eq(count_frames(cap, NULL), 2); /* both directions */
    close(sp[0]);
    close(sp[1]);
}
END_TEST

START_TEST(spec_errors)
{
    static const struct {
        const char *spec;
        int err;
        const char *say;
    } c[] = {
        { "", -EINVAL, "unknown backing ''" },
        { "ethernet:eth0", -EINVAL, "unknown backing 'ethernet'" },
        { "tap", -EINVAL, "tap:NAME needs" },
        { "tap:averyveryverylongname", -EINVAL, "tap:NAME needs" },
        { "stdio:x", -EINVAL, "stdio takes no argument" },
        { "fd:-1", -EINVAL, "fd:N needs a descriptor number" },
        { "fd:12abc", -EINVAL, "fd:N needs a descriptor number" },
        { "pcap:", -EINVAL, "pcap:FILE needs" },
        { "socket:", -EINVAL, "socket:PATH needs" },
        { "stdio,capture=", -EINVAL, "is not capture=FILE" },
        { "stdio,mtu=9000", -EINVAL, "is not capture=FILE" },
        { "pcap:/nonexistent/dir/x.pcap", -EIO, "/nonexistent/dir/x.pcap" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct nb_backing *b = NULL;
        char err[200] = "";
        ck_assert_int_eq(nb_backing_open(c[i].spec, &b, err, sizeof err), c[i].err);
        ck_assert_msg(strstr(err, c[i].say), "%s: '%s' lacks '%s'", c[i].spec, err, c[i].say);
        ck_assert_ptr_null(strchr(err, '\n'));
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("net_backing");
    TCase *tc = tcase_create("core");
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fd_stream_framing_both_ways);
    tcase_add_test(tc, fd_on_a_seqpacket_socket_carries_frames);
    tcase_add_test(tc, socket_links_two_vifs);
    tcase_add_test(tc, pcap_sink_and_capture);
    tcase_add_test(tc, spec_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    scratch_prefix = "sbnbk";
    return check_main(suite());
}
