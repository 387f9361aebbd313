/*
 * Many guests on one simulator, as a user starts them: one `splitbed hv
 * start`, then concurrent `splitbed run --dir D --domain k` with a disk
 * and a vif each.  Every guest writes and reads back patterns on its disk
 * (blk-verify) and then prints the stream its vif carries (pvcat); all
 * run at once.  Some guests, picked from a seed the test prints, are
 * destroyed with `xl destroy` while their stream is half through and then
 * created again and run to the end.  Afterwards no survivor saw an error, nothing was
 * traced and `hv status` totals are back to zero.
 *
 * SPLITBED_STRESS_DOMAINS sets the number of guests (default 64).
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_GUESTS 256
#define PAYLOAD 65536
#define WAIT_MS 120000

static char dir[64], sim[96];
static struct runproc r;
static char payload[PAYLOAD];

static const char *path_in(char *buf, size_t len, const char *fmt, unsigned k)
{
    char name[64];
    snprintf(name, sizeof name, fmt, k);
    snprintf(buf, len, "%s/%s", dir, name);
    return buf;
}

static void sb(char *const args[])
{
    char *argv[32] = { (char *)build_path("bin/splitbed") };
    int i = 0;
    for (; args[i] && i < 30; i++)
        argv[i + 1] = args[i];
    argv[i + 1] = NULL;
    runproc(&r, NULL, 0, 60, NULL, argv);
}
#define SB(...) sb((char *[]){ __VA_ARGS__, NULL })

static void setup(void)
{
    scratch_dir(dir, sizeof dir);
    snprintf(sim, sizeof sim, "%s/sim", dir);
    SB("hv", "start", "--dir", sim);
    ck_assert_msg(r.status == 0, "hv start: %s", r.err);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < sizeof payload; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        payload[i] = (char)x;
    }
}

static void teardown(void)
{
    SB("hv", "stop", "--dir", sim);
    runproc_rmtree(dir);
}

static unsigned guests(void)
{
    const char *s = getenv("SPLITBED_STRESS_DOMAINS");
    long n = s ? strtol(s, NULL, 10) : 64;
    return n < 2 ? 2 : n > MAX_GUESTS ? MAX_GUESTS : (unsigned)n;
}

/* The guest: the disk's pattern matrix (summary to stderr), then the
 * vif's stream to stdout.  Every guest's I/O waits behind all the
 * others' on the same cores; blkfront's default 30 s without progress
 * is not enough when other work loads them too, so it gets the same
 * limit as the test's own wait for a guest. */
static void guest_command(char *buf, size_t len)
{
    snprintf(buf, len, "%s -q --timeout %d >&2 && exec %s -q",
             build_path("libexec/splitbed/blk-verify"), WAIT_MS / 1000,
             build_path("libexec/splitbed/pvcat"));
}

/* Starts `splitbed run` for domain k with stdin/stdout on the given fds. */
static pid_t start_guest(unsigned k, int in_fd, int out_fd)
{
    char img[128], disk[192], err[128], domain[16], cmd[512];
    path_in(img, sizeof img, "disk%u.img", k);
    int fd = open(img, O_RDWR | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 4 << 20), 0);
    close(fd);
    snprintf(disk, sizeof disk, "vdev=xvda,access=rw,target=%s", img);
    snprintf(domain, sizeof domain, "%u", k);
    path_in(err, sizeof err, "err%u", k);
    guest_command(cmd, sizeof cmd);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int efd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(in_fd, 0);
        dup2(out_fd, 1);
        dup2(efd, 2);
        execl(build_path("bin/splitbed"), "splitbed", "run", "--dir", sim, "--domain", domain,
              "--disk", disk, "--vif", "stdio", "--", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void read_file(const char *path, char *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    *len = 0;
    if (!f)
        return;
    *len = fread(buf, 1, cap, f);
    fclose(f);
}

static const char *err_of(unsigned k)
{
    static char text[4096];
    char path[128];
    size_t n;
    read_file(path_in(path, sizeof path, "err%u", k), text, sizeof text - 1, &n);
    text[n] = '\0';
    return text;
}

static void assert_clean_trace(void)
{
    char path[128], line[512] = "";
    snprintf(path, sizeof path, "%s/trace", sim);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    ck_assert_msg(got == NULL, "trace: %s", line);
}

static void assert_status_zero(void)
{
    SB("hv", "status", "--dir", sim);
    ck_assert_msg(r.status == 0, "hv status: %s", r.err);
    /* dom0's one port is xenstored's VIRQ_DOM_EXC */
    ck_assert_msg(strstr(r.out, "total grants 0 mappings 0 ports 1\n"), "hv status: %s", r.out);
    ck_assert_msg(!strstr(r.out, "/local/domain/1 "), "a guest left in xenstore: %s", r.out);
}

/* A guest fed through a pipe, destroyed once half its stream came out. */
struct victim {
    unsigned k;
    pid_t pid;
    int to_guest, from_guest;
};

static void start_victim(struct victim *v)
{
    int in[2], out[2];
    ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    v->pid = start_guest(v->k, in[0], out[1]);
    close(in[0]);
    close(out[1]);
    v->to_guest = in[1];
    v->from_guest = out[0];
    /* Half the stream: then it is mid-I/O until it gets the rest. */
    ck_assert_int_eq(write(v->to_guest, payload, PAYLOAD / 2), PAYLOAD / 2);
}

/* Waits until the first half came back out of the guest, then destroys
 * its domain with Debian's xl as dom0: its processes are killed (the
 * run reports its app killed by SIGKILL), its nodes and devices go. */
static void destroy_victim(struct victim *v)
{
    static char got[PAYLOAD / 2];
    size_t have = 0;
    while (have < sizeof got) {
        ssize_t n = read(v->from_guest, got + have, sizeof got - have);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    ck_assert_msg(have == sizeof got, "dom%u: %zu bytes before the destroy; %s", v->k, have,
                  err_of(v->k));
    ck_assert_int_eq(memcmp(got, payload, sizeof got), 0);
    char domain[16];
    snprintf(domain, sizeof domain, "%u", v->k);
    SB("exec", "--dir", sim, "--domain", "0", "--", "xl", "destroy", domain);
    ck_assert_msg(r.status == 0, "xl destroy %u: %s", v->k, r.err);
    int status = runproc_wait(v->pid, WAIT_MS);
    ck_assert_msg(status == 128 + SIGKILL, "dom%u: run exited %d after xl destroy: %s", v->k,
                  status, err_of(v->k));
    ck_assert_msg(strstr(err_of(v->k), "splitbed run: app killed by signal 9"), "dom%u: %s", v->k,
                  err_of(v->k));
    close(v->to_guest);
    close(v->from_guest);
}

START_TEST(many_guests_with_disk_and_vif_at_once)
{
    unsigned n = guests();
    unsigned seed = (unsigned)time(NULL);
    const char *s = getenv("SPLITBED_STRESS_SEED");
    if (s)
        seed = (unsigned)strtoul(s, NULL, 10);
    printf("many guests: %u domains, seed %u (SPLITBED_STRESS_SEED)\n", n, seed);
    fflush(stdout);
    srand(seed);

    char in_path[128];
    snprintf(in_path, sizeof in_path, "%s/payload", dir);
    FILE *f = fopen(in_path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(payload, 1, sizeof payload, f), sizeof payload);
    fclose(f);

    /* One guest in eight is a victim. */
    static bool victim[MAX_GUESTS + 1];
    static struct victim v[MAX_GUESTS];
    unsigned nv = 0;
    for (unsigned k = 1; k <= n; k++)
        victim[k] = false;
    while (nv < n / 8) {
        unsigned k = 1 + (unsigned)rand() % n;
        if (!victim[k]) {
            victim[k] = true;
            v[nv++].k = k;
        }
    }

    static pid_t pid[MAX_GUESTS + 1];
    unsigned next_victim = 0;
    for (unsigned k = 1; k <= n; k++) {
        if (victim[k]) {
            start_victim(&v[next_victim++]);
            continue;
        }
        char out[128];
        int in_fd = open(in_path, O_RDONLY);
        int out_fd = open(path_in(out, sizeof out, "out%u", k), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ck_assert_int_ge(in_fd, 0);
        ck_assert_int_ge(out_fd, 0);
        pid[k] = start_guest(k, in_fd, out_fd);
        close(in_fd);
        close(out_fd);
    }
    /* While the others run: destroy each victim mid-stream, then create
     * it again and run it whole. */
    for (unsigned i = 0; i < nv; i++) {
        destroy_victim(&v[i]);
        char out[128];
        int in_fd = open(in_path, O_RDONLY);
        int out_fd =
            open(path_in(out, sizeof out, "out%u", v[i].k), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        pid[v[i].k] = start_guest(v[i].k, in_fd, out_fd);
        close(in_fd);
        close(out_fd);
    }
    static char got[PAYLOAD + 1];
    for (unsigned k = 1; k <= n; k++) {
        int status = runproc_wait(pid[k], WAIT_MS);
        ck_assert_msg(status == 0, "dom%u%s: run exited %d: %s", k,
                      victim[k] ? " (created again)" : "", status, err_of(k));
        char out[128];
        size_t len;
        read_file(path_in(out, sizeof out, "out%u", k), got, sizeof got, &len);
        ck_assert_msg(len == PAYLOAD && memcmp(got, payload, PAYLOAD) == 0,
                      "dom%u: %zu bytes of %d came through the vif", k, len, PAYLOAD);
        ck_assert_msg(strstr(err_of(k), "blk-verify: xvda: 35 cases passed"), "dom%u: %s", k,
                      err_of(k));
    }
    assert_clean_trace();
    assert_status_zero();
}
END_TEST

/* A second run on a device that has a backend is refused, and the first
 * run's guest is untouched. */
START_TEST(one_backend_per_device)
{
    int in[2], out[2];
    ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    pid_t first = start_guest(5, in[0], out[1]);
    close(in[0]);
    close(out[1]);
    ck_assert_int_eq(write(in[1], payload, 100), 100);
    char got[100];
    size_t have = 0;
    while (have < sizeof got) {
        ssize_t n = read(out[0], got + have, sizeof got - have);
        ck_assert_int_gt(n, 0);
        have += (size_t)n;
    }
    char img[128], disk[192];
    path_in(img, sizeof img, "disk%u.img", 5);
    snprintf(disk, sizeof disk, "vdev=xvda,access=rw,target=%s", img);
    SB("run", "--dir", sim, "--domain", "5", "--disk", disk, "--", "blk-verify");
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "splitbed: domain 5 already has vbd 51712"), "%s", r.err);
    ck_assert_int_eq(write(in[1], payload + 100, 100), 100);
    close(in[1]);
    have = 0;
    for (ssize_t n; (n = read(out[0], got + have, sizeof got - have)) > 0;)
        have += (size_t)n;
    ck_assert_uint_eq(have, 100);
    ck_assert_int_eq(memcmp(got, payload + 100, 100), 0);
    close(out[0]);
    ck_assert_int_eq(runproc_wait(first, WAIT_MS), 0);
    assert_clean_trace();
    assert_status_zero();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("many_guests");
    TCase *tc = tcase_create("many_guests");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, many_guests_with_disk_and_vif_at_once);
    tcase_add_test(tc, one_backend_per_device);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    scratch_prefix = "sbmany";
    return check_main(suite());
}
