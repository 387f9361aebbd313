/*
 * Read-only grants, end to end, on the real daemons: what made writes
 * through Linux blkback fail on a real Xen with persistent grants, and
 * what the simulator needs in order to catch it.
 *
 *  - A read-only grant made through the Linux OS layer is read-only for
 *    the peer: splitbed-hvd refuses dom0's writable map of it (EINVAL and
 *    a trace line) and a grant copy into it, while a read-only map sees
 *    the page.  The OS layer never widens a grant to the writable one of
 *    the page it shares.
 *  - blkfront's zero-copy writes reach the image through splitbed-blkback
 *    with its defaults (persistent grants, every page mapped writable as
 *    Linux blkback maps them), with persistent-map=op, without persistent
 *    grants and with grant copy; no rule is broken on the way.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT 60
#define DISK_BYTES (1024u * 1024u)

static char dir[64], sim[128], img[128], spec[256];
static struct runproc r;
static pid_t guest = -1;

static void cleanup(void)
{
    if (guest > 0) {
        kill(-guest, SIGKILL);
        waitpid(guest, NULL, 0);
        guest = -1;
    }
    if (sim[0]) {
        char *argv[] = { (char *)build_path("bin/splitbed"), "hv", "stop", "--dir", sim, NULL };
        runproc(&r, NULL, 0, TIMEOUT, NULL, argv);
        sim[0] = '\0';
    }
    if (dir[0])
        runproc_rmtree(dir);
    dir[0] = '\0';
}

static void setup(void)
{
    atexit(cleanup);
    scratch_dir(dir, sizeof dir);
    snprintf(img, sizeof img, "%s/disk.img", dir);
    int fd = open(img, O_CREAT | O_RDWR | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, DISK_BYTES), 0);
    close(fd);
    snprintf(spec, sizeof spec, "format=raw, vdev=xvda, access=rw, target=%s", img);
}

static void teardown(void)
{
    cleanup();
}

/* splitbed ARGS... ; the list ends with NULL. */
static void sb(char *const args[])
{
    char *argv[32] = { (char *)build_path("bin/splitbed") };
    int n = 1;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    runproc(&r, NULL, 0, TIMEOUT, NULL, argv);
}
#define SB(...) sb((char *[]){ __VA_ARGS__, NULL })

/* ---- the Linux OS layer's read-only grants ----------------------------- */

/* hv-peer in dom0 (Debian's real libxengnttab API on our drop-in), fed
 * `script`; its answers, one per line, land in r.out. */
static void dom0_peer(const char *script)
{
    char *argv[] = {
        (char *)build_path("bin/splitbed"),  "exec", "--dir", sim, "--domain", "0", "--",
        (char *)build_path("tests/hv-peer"), NULL
    };
    runproc(&r, script, strlen(script), TIMEOUT, NULL, argv);
    ck_assert_msg(r.status == 0, "hv-peer: %d\n%s%s", r.status, r.out, r.err);
}

/* The next line of fd (hang guard TIMEOUT), without its newline. */
static void read_line(int fd, char *line, size_t size)
{
    size_t len = 0;
    while (len + 1 < size) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ck_assert_msg(poll(&p, 1, TIMEOUT * 1000) == 1, "no line from the guest");
        ssize_t k = read(fd, line + len, 1);
        if (k <= 0 || line[len] == '\n')
            break;
        len++;
    }
    line[len] = '\0';
}

START_TEST(linux_os_readonly_grant_cannot_be_mapped_writable)
{
    snprintf(sim, sizeof sim, "%s/sim", dir);
    SB("hv", "start", "--dir", sim);
    ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
    SB("exec", "--dir", sim, "--domain", "1", "--", "true");
    ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);

    int in[2], out[2];
    ck_assert_int_eq(pipe(in), 0);
    ck_assert_int_eq(pipe(out), 0);
    guest = fork();
    ck_assert_int_ge(guest, 0);
    if (guest == 0) {
        setpgid(0, 0);
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execl(build_path("bin/splitbed"), "splitbed", "exec", "--dir", sim, "--domain", "1", "--",
              build_path("tests/os-grant-guest"), (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    char line[256];
    read_line(out[0], line, sizeof line);
    unsigned ro, page0, page1, shared;
    ck_assert_msg(sscanf(line, "refs %u %u %u %u", &ro, &page0, &page1, &shared) == 4,
                  "guest: '%s'", line);
    /* The read-only grant of page 0 is not page 0's writable grant. */
    ck_assert_uint_ne(ro, page0);

    char script[1024];
    snprintf(script, sizeof script,
             "map 1 1 %u\n"        /* writable map of the read-only grant */
             "copyw 1 %u 0 16 1\n" /* grant copy into it */
             "map 1 0 %u\ncheck 0 90\nunmap\n"
             "copyr 1 %u 100 16\n"             /* grant copy out of it */
             "map 1 1 %u\ncheck 0 90\nunmap\n" /* page 0 itself stays writable */
             "map 1 1 %u\ncheck 0 165\nunmap\n"
             "map 1 1 %u\n" /* a page shared read-only */
             "map 1 0 %u\ncheck 0 60\nunmap\n",
             ro, ro, ro, ro, page0, page1, shared, shared);
    dom0_peer(script);
    char want[1024];
    snprintf(want, sizeof want,
             "err 22\nok -1\nok\nok\nok\nok 0 90\nok\nok\nok\nok\nok\nok\nerr 22\nok\nok\nok\n");
    ck_assert_str_eq(r.out, want);
    char needle[160];
    snprintf(needle, sizeof needle,
             "d0: map of gref %u from d1 refused: grant is read-only, writable mapping requested",
             ro);
    ck_assert_msg(runproc_trace_has(sim, needle), "no '%s' in the trace", needle);
    snprintf(needle, sizeof needle,
             "d0: map of gref %u from d1 refused: grant is read-only, writable mapping requested",
             shared);
    ck_assert_msg(runproc_trace_has(sim, needle), "no '%s' in the trace", needle);
    ck_assert(runproc_trace_has(sim, "grant is read-only, writable access requested"));

    /* The guest ends every sharing, its read-only copies included. */
    close(in[1]);
    read_line(out[0], line, sizeof line);
    ck_assert_str_eq(line, "unshared");
    close(out[0]);
    int st = runproc_wait(guest, TIMEOUT * 1000);
    guest = -1;
    ck_assert_int_eq(st, 0);
    SB("hv", "status", "--dir", sim);
    ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
    /* dom0's one port is xenstored's VIRQ_DOM_EXC */
    ck_assert_msg(strstr(r.out, "total grants 0 mappings 0 ports 1\n"), "%s", r.out);
}
END_TEST

/* ---- zero-copy writes through splitbed-blkback ------------------------- */

static uint8_t pattern(uint64_t pos, uint64_t seed)
{
    return (uint8_t)(pos * 31 + (pos >> 9) * 7 + seed);
}

/* Offset of the first byte of [pos, pos+len) on the image that is not
 * the pattern, or -1. */
static long image_mismatch(uint64_t pos, uint64_t len, uint64_t seed)
{
    static uint8_t buf[DISK_BYTES];
    int fd = open(img, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, buf, len, (off_t)pos), (ssize_t)len);
    close(fd);
    for (uint64_t i = 0; i < len; i++)
        if (buf[i] != pattern(pos + i, seed))
            return (long)(pos + i);
    return -1;
}

static const struct variant {
    const char *opt, *fe_opt, *connected;
    int persistent;
} variants[] = {
    { NULL, NULL, "persistent grants on (mapped writable)", 1 }, /* Linux */
    { "persistent-map=op", NULL, "persistent grants on (mapped by operation)", 1 },
    { NULL, "--no-persistent", "persistent grants off", 0 },
    { "grant-copy=1", NULL, "persistent grants off", 0 },
};

START_TEST(zero_copy_writes_reach_the_image)
{
    const struct variant *v = &variants[_i];
    char seed[16], *argv[16];
    snprintf(seed, sizeof seed, "%d", 11 + _i);
    int n = 0;
    argv[n++] = "run";
    argv[n++] = "--disk";
    argv[n++] = spec;
    if (v->opt) {
        argv[n++] = "--backend-opt";
        argv[n++] = (char *)v->opt;
    }
    argv[n++] = "--";
    argv[n++] = (char *)build_path("tests/blk-write-guest");
    argv[n++] = seed;
    if (v->fe_opt)
        argv[n++] = (char *)v->fe_opt;
    argv[n] = NULL;
    sb(argv);
    ck_assert_msg(r.status == 0, "%s %s: %d\n%s%s", v->opt ? v->opt : "",
                  v->fe_opt ? v->fe_opt : "", r.status, r.out, r.err);
    char want[64];
    snprintf(want, sizeof want, "persistent %d: wrote ", v->persistent);
    ck_assert_msg(strstr(r.out, want), "%s", r.out);
    ck_assert_msg(strstr(r.err, v->connected), "want '%s' in:\n%s", v->connected, r.err);
    /* No rule broken: no refusal from the hypervisor, none from blkback. */
    ck_assert_msg(!strstr(r.err, "refused") && !strstr(r.err, "failed"), "%s", r.err);
    unsigned long big = strtoul(strstr(r.out, "wrote ") + 6, NULL, 10) - 4 * 4096;
    uint64_t s = (uint64_t)(11 + _i);
    ck_assert_int_eq(image_mismatch(8 * 512, 4096, s), -1);
    ck_assert_int_eq(image_mismatch(64 * 512, big, s), -1);
    ck_assert_int_eq(image_mismatch(1024 * 512, 3 * 4096, s), -1);
}
END_TEST

START_TEST(bad_persistent_map_knob)
{
    SB("run", "--disk", spec, "--backend-opt", "persistent-map=ro", "--", "blk-info");
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(
        strstr(r.err, "splitbed run: --backend-opt persistent-map=ro: 'ro' is not rw or op"), "%s",
        r.err);
    ck_assert_int_eq(runproc_lines(r.err), 1);
}
END_TEST

int main(void)
{
    scratch_prefix = "sbpers";
    Suite *s = suite_create("persistent-grants");
    TCase *t = tcase_create("readonly");
    tcase_add_unchecked_fixture(t, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, linux_os_readonly_grant_cannot_be_mapped_writable);
    tcase_add_loop_test(t, zero_copy_writes_reach_the_image, 0,
                        (int)(sizeof(variants) / sizeof(variants[0])));
    tcase_add_test(t, bad_persistent_map_knob);
    suite_add_tcase(s, t);
    return check_main(s);
}
