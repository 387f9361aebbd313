/*
 * `splitbed run --fault SPEC` as a user runs it, each fault with what the
 * frontend then does: a backend that crashes after N requests is started
 * again and the guest reconnects and completes with every acknowledged
 * write on the image; a slow backend only makes the guest wait; grant
 * maps that fail give the guest an I/O error, the same one for the same
 * --seed; a domain destroyed mid-I/O leaves the backend serving no one
 * and the simulator with nothing held; the negotiation deviations are
 * what blk-info then reports.  xenstore transaction conflicts are retried
 * by the frontend up to its limit, then named; netback's faults: a crash
 * the run recovers from with the stream intact, a slow netback, and grant
 * copies that fail, whose frames the frontend drops, the same ones for
 * the same --seed.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TIMEOUT 120

static char dir[64], img[96], disk[160], sim[96];
static struct runproc r;

static void sb(char *const args[])
{
    runproc_splitbed(&r, TIMEOUT, NULL, args);
}
#define SB(...) sb((char *[]){ __VA_ARGS__, NULL })

static void setup(void)
{
    scratch_dir(dir, sizeof dir);
    snprintf(img, sizeof img, "%s/disk.img", dir);
    snprintf(disk, sizeof disk, "vdev=xvda,access=rw,target=%s", img);
    snprintf(sim, sizeof sim, "%s/sim", dir);
    FILE *f = fopen(img, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(truncate(img, 16 << 20), 0);
}

static void teardown(void)
{
    runproc_sim_remove(sim, dir, TIMEOUT);
}

static void assert_has(const char *text, const char *needle)
{
    ck_assert_msg(strstr(text, needle), "want '%s' in:\n%.3000s", needle, text);
}

START_TEST(crash_fault_restarts_the_backend_and_the_guest_completes)
{
    SB("run", "--disk", disk, "--fault", "backend-crash:after=30", "--", "blk-verify", "--fill",
       "--seed", "3", "--bytes", "8388608");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    assert_has(r.err, "splitbed run: seed ");
    assert_has(r.err, "blkback: fault: crashing after ");
    assert_has(r.err, "splitbed run: fault: splitbed-blkback crashed as asked; starting it again");
    assert_has(r.err, "reconnecting");
    assert_has(r.out, "flushed: 8388608");
    /* Everything it wrote and was told was written is on the image. */
    SB("run", "-q", "--disk", disk, "--", "blk-verify", "--check", "--seed", "3", "--bytes",
       "8388608");
    ck_assert_msg(r.status == 0, "status %d: %s %s", r.status, r.out, r.err);
    /* restart=0: the run ends when the backend dies. */
    SB("run", "-q", "--disk", disk, "--fault", "backend-crash:after=20,restart=0", "--",
       "blk-verify");
    ck_assert_int_eq(r.status, 1);
    assert_has(r.err, "splitbed run: splitbed-blkback exited with status 137 while the app was "
                      "running");
}
END_TEST

START_TEST(slow_backend_only_makes_the_guest_wait)
{
    SB("run", "-q", "--disk", disk, "--fault", "backend-slow:delay-ms=1", "--", "blk-verify");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    assert_has(r.out, "35 cases passed");
    assert_has(r.err, "splitbed run: seed ");
}
END_TEST

START_TEST(grant_failures_are_io_errors_the_same_for_the_same_seed)
{
    static char first[sizeof r.err];
    char *args[] = { "run",
                     "-q",
                     "--disk",
                     disk,
                     "--backend-opt",
                     "persistent=0",
                     "--fault",
                     "grant-fail:rate=0.01",
                     "--seed",
                     "42",
                     "--",
                     "blk-verify",
                     NULL };
    sb(args);
    ck_assert_msg(r.status == 1, "status %d: %.2000s", r.status, r.err);
    assert_has(r.err, "splitbed run: seed 42 ");
    assert_has(r.err, "blkback: fault: map of ");
    assert_has(r.err, "blk-verify: xvda: ");
    assert_has(r.err, "failed: error 5");
    memcpy(first, r.err, sizeof first);
    sb(args);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strcmp(r.err, first) == 0, "a second run with --seed 42 said other things");
    /* Every grant copy failing: the first request already. */
    SB("run", "-q", "--disk", disk, "--backend-opt", "grant-copy=1", "--fault", "grant-fail:rate=1",
       "--", "blk-verify");
    ck_assert_int_eq(r.status, 1);
    assert_has(r.err, "blkback: fault: grant copy of dom1 ref ");
}
END_TEST

START_TEST(domain_destroyed_mid_io_leaves_nothing_held)
{
    SB("hv", "start", "--dir", sim);
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("run", "--dir", sim, "--domain", "4", "--disk", disk, "--fault", "domain-destroy:after=40",
       "--", "blk-verify");
    ck_assert_int_eq(r.status, 1);
    assert_has(r.err, "splitbed run: fault: destroying domain 4 (blkback served ");
    ck_assert_msg(!strstr(r.err, "35 cases passed"), "%s", r.err);
    SB("hv", "status", "--dir", sim);
    ck_assert_int_eq(r.status, 0);
    /* dom0's one port: xenstored's VIRQ_DOM_EXC. */
    assert_has(r.out, "total grants 0 mappings 0 ports 1\n");
    ck_assert_msg(!strstr(r.out, "/local/domain/4"), "%s", r.out);
    char trace[128];
    snprintf(trace, sizeof trace, "%s/trace", sim);
    char traced[2048] = "";
    FILE *tf = fopen(trace, "r");
    if (tf) {
        traced[fread(traced, 1, sizeof traced - 1, tf)] = '\0';
        fclose(tf);
    }
    ck_assert_msg(!*traced, "something was traced:\n%s", traced);
    /* The domain can be created again and used. */
    SB("run", "-q", "--dir", sim, "--domain", "4", "--disk", disk, "--", "blk-info");
    ck_assert_msg(r.status == 0, "%s", r.err);
}
END_TEST

/* Paused mid-I/O (xl pause, as dom0 does it), then unpaused: the guest
 * only waits, and completes. */
START_TEST(domain_paused_mid_io_then_completes)
{
    /* The slow backend keeps the guest busy well past the pause. */
    SB("run", "-q", "--disk", disk, "--fault", "backend-slow:delay-ms=2", "--fault",
       "domain-pause:after=40,for-ms=200", "--", "blk-verify");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    assert_has(r.out, "35 cases passed");
    const char *paused = strstr(r.err, "splitbed run: fault: pausing domain 1 for 200 ms (blkback "
                                       "served ");
    ck_assert_msg(paused, "%s", r.err);
    ck_assert_msg(strstr(paused, "splitbed run: fault: unpausing domain 1\n"), "%s", r.err);
}
END_TEST

START_TEST(negotiation_deviations_as_faults)
{
    static const struct {
        const char *name, *want;
    } c[] = {
        { "mirage", "backend-max-ring-order: 0\n" },
        { "single-page", "ring-order: 0\n" },
        { "no-indirect", "backend-max-indirect-segments: 0\n" },
        { "no-persistent", "persistent: 0\n" },
        { "grant-copy", "persistent: 0\n" },
        { "probe", "sectors: 32768\n" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char spec[64];
        snprintf(spec, sizeof spec, "negotiation:%s", c[i].name);
        SB("run", "-q", "--disk", disk, "--fault", spec, "--", "blk-info");
        ck_assert_msg(r.status == 0, "%s: %s", spec, r.err);
        ck_assert_msg(strstr(r.out, c[i].want), "%s: want %s in\n%s", spec, c[i].want, r.out);
    }
}
END_TEST

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void read_trace(char *buf, size_t size)
{
    char path[160];
    snprintf(path, sizeof path, "%s/trace", sim);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
}

static const char *hello_tar(void)
{
    static char path[4096];
    const char *src = getenv("SPLITBED_SRC");
    snprintf(path, sizeof path, "%s/fixtures/tar/hello.tar", src && *src ? src : ".");
    return path;
}

/* A conflict makes the frontend run its transaction again; the same seed
 * gives the same conflicts.  Conflicts every time: the frontend gives up
 * after its retries with one line naming the transaction, no hang. */
START_TEST(xs_conflicts_are_retried_the_same_for_the_same_seed)
{
    static char trace[65536];
    SB("hv", "start", "--dir", sim);
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("run", "--dir", sim, "--domain", "2", "--disk", (char *)hello_tar(), "--fault",
       "xs-conflict:rate=0.5", "--seed", "1", "--", "tar-cat", "hello.txt");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_str_eq(r.out, "hello world!\n");
    read_trace(trace, sizeof trace);
    int first = count(trace, "xenstored: fault: d2's transaction made to conflict (EAGAIN)");
    ck_assert_msg(first > 0, "%s", trace);
    SB("run", "--dir", sim, "--domain", "3", "--disk", (char *)hello_tar(), "--fault",
       "xs-conflict:rate=0.5", "--seed", "1", "--", "tar-cat", "hello.txt");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    read_trace(trace, sizeof trace);
    ck_assert_int_eq(count(trace, "d3's transaction made to conflict"), first);

    SB("run", "--dir", sim, "--domain", "4", "--disk", (char *)hello_tar(), "--fault",
       "xs-conflict:rate=1", "--", "tar-cat", "hello.txt");
    ck_assert_int_eq(r.status, 1);
    assert_has(r.err, "[blkfront] xvda: cannot write the transport to "
                      "/local/domain/4/device/vbd/51712 (error 11)");
    /* The run took its fault back with its domain. */
    SB("run", "--dir", sim, "--domain", "4", "--disk", (char *)hello_tar(), "--", "tar-cat",
       "hello.txt");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
}
END_TEST

static void run_net(const char *input, size_t len, char *const args[])
{
    char *argv[24] = { (char *)build_path("bin/splitbed") };
    int i = 0;
    for (; args[i] && i < 22; i++)
        argv[i + 1] = args[i];
    argv[i + 1] = NULL;
    runproc(&r, input, len, TIMEOUT, NULL, argv);
}
#define NET(input, len, ...) run_net((input), (len), (char *[]){ __VA_ARGS__, NULL })

static char *text(size_t len)
{
    char *t = malloc(len);
    ck_assert_ptr_nonnull(t);
    for (size_t i = 0; i < len; i++)
        t[i] = (i + 1) % 61 == 0 ? '\n' : (char)('a' + (i * 7 + i / 61) % 26);
    return t;
}

/* A slow netback only makes the guest wait: the stream arrives whole. */
START_TEST(slow_netback_only_makes_the_guest_wait)
{
    size_t len = 20000;
    char *in = text(len);
    NET(in, len, "run", "-q", "--vif", "stdio", "--fault", "netback-slow:delay-ms=1", "--",
        "pvcat");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_int_eq(r.out_len, len);
    ck_assert(memcmp(r.out, in, len) == 0);
    free(in);
}
END_TEST

/* A grant copy towards the guest that fails is answered as an error;
 * netfront drops that frame and takes the next, so the stream has holes,
 * the same ones for the same seed. */
START_TEST(netback_grant_failures_drop_frames_the_same_for_the_same_seed)
{
    static char first[sizeof r.out], first_err[sizeof r.err];
    size_t len = 40000;
    char *in = text(len);
    NET(in, len, "run", "--vif", "stdio", "--fault", "netback-grant-fail:rate=0.3", "--seed", "9",
        "--", "pvcat");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    int failed = count(r.err, "splitbed-netback: fault: grant copy to dom1 ref ");
    ck_assert_msg(failed > 0, "%s", r.err);
    ck_assert_msg(r.out_len < len, "%zu bytes of %zu", r.out_len, len);
    /* netfront counts each frame it dropped; pvcat says so at its end
     * (a frame takes one slot here: at most one per failed copy). */
    const char *lost = strstr(r.err, "[netfront] frames lost: ");
    ck_assert_msg(lost, "%s", r.err);
    long dropped = strtol(lost + strlen("[netfront] frames lost: "), NULL, 10);
    ck_assert_msg(dropped >= 1 && dropped <= failed, "%ld of %d: %s", dropped, failed, r.err);
    size_t got = r.out_len;
    memcpy(first, r.out, got);
    memcpy(first_err, r.err, sizeof first_err);
    NET(in, len, "run", "--vif", "stdio", "--fault", "netback-grant-fail:rate=0.3", "--seed", "9",
        "--", "pvcat");
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(r.out_len, got);
    ck_assert(memcmp(r.out, first, got) == 0);
    ck_assert_int_eq(count(r.err, "splitbed-netback: fault: grant copy to dom1 ref "), failed);
    free(in);
}
END_TEST

/* netback dies mid-stream and the run starts it again: the new one takes
 * the frontend's rings over and the stream arrives whole.  With
 * restart=0 the run ends, naming the backend. */
START_TEST(netback_crash_is_restarted_and_the_stream_completes)
{
    char in[160], out[160], cmd[1024];
    snprintf(in, sizeof in, "%s/in", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    FILE *f = fopen(in, "w");
    ck_assert_ptr_nonnull(f);
    size_t len = 1 << 20;
    char *t = text(len);
    ck_assert_int_eq(fwrite(t, 1, len, f), len);
    fclose(f);
    free(t);
    snprintf(cmd, sizeof cmd,
             "'%s' run --vif stdio --fault netback-crash:after=100 -- pvcat < '%s' > '%s' && "
             "cmp '%s' '%s'",
             build_path("bin/splitbed"), in, out, in, out);
    runproc(&r, NULL, 0, TIMEOUT, NULL, (char *[]){ "sh", "-c", cmd, NULL });
    ck_assert_msg(r.status == 0, "status %d: %s %s", r.status, r.out, r.err);
    assert_has(r.err, "splitbed-netback: fault: crashing after ");
    assert_has(r.err, "splitbed run: fault: splitbed-netback crashed as asked; starting it again");

    snprintf(cmd, sizeof cmd,
             "'%s' run --vif stdio --fault netback-crash:after=100,restart=0 -- pvcat < '%s' "
             "> /dev/null",
             build_path("bin/splitbed"), in);
    runproc(&r, NULL, 0, TIMEOUT, NULL, (char *[]){ "sh", "-c", cmd, NULL });
    ck_assert_int_eq(r.status, 1);
    assert_has(r.err, "splitbed run: splitbed-netback exited with status 137 while the app was "
                      "running");
}
END_TEST

START_TEST(bad_fault_specs_are_one_line_and_exit_2)
{
    static const struct {
        const char *spec, *want;
    } c[] = {
        { "meteor", "--fault meteor: unknown fault" },
        { "backend-crash", "--fault backend-crash: backend-crash needs after=" },
        { "backend-crash:after=0", "after is a number of requests" },
        { "backend-crash:after=5,restart=2", "restart is 0 or 1" },
        { "backend-slow:delay-ms=x", "delay-ms is 0..10000" },
        { "grant-fail:rate=2", "rate is a share 0..1" },
        { "grant-fail:rate=0.1,colour=red", "grant-fail takes no key 'colour'" },
        { "negotiation:linux-3", "negotiation is one of" },
        { "domain-pause:after=5,for-ms=x", "for-ms is 0..600000" },
        { "netback-crash:after=0", "after is a number of frames" },
        { "netback-grant-fail:rate=-1", "rate is a share 0..1" },
        { "xs-conflict", "xs-conflict needs rate=" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        SB("run", "--disk", disk, "--fault", (char *)c[i].spec, "--", "blk-info");
        ck_assert_msg(r.status == 2, "%s: %d %s", c[i].spec, r.status, r.err);
        ck_assert_msg(runproc_lines(r.err) == 1, "%s: %s", c[i].spec, r.err);
        assert_has(r.err, c[i].want);
    }
    SB("run", "--fault", "backend-slow:delay-ms=1", "--", "true");
    ck_assert_int_eq(r.status, 2);
    assert_has(r.err, "--fault backend-slow:delay-ms=1: no --disk");
    SB("run", "--disk", disk, "--fault", "netback-slow:delay-ms=1", "--", "true");
    ck_assert_int_eq(r.status, 2);
    assert_has(r.err, "--fault netback-slow:delay-ms=1: no --vif");
    SB("run", "--disk", disk, "--fault", "domain-pause:after=5", "--fault",
       "domain-destroy:after=9", "--", "blk-info");
    ck_assert_int_eq(r.status, 2);
    assert_has(r.err, "one domain-destroy or domain-pause per run");
    SB("run", "--seed", "x", "--", "true");
    ck_assert_int_eq(r.status, 2);
    assert_has(r.err, "--seed x: expected a number");
}
END_TEST

int main(void)
{
    scratch_prefix = "sbfault";
    Suite *s = suite_create("run_faults");
    TCase *tc = tcase_create("run_faults");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, crash_fault_restarts_the_backend_and_the_guest_completes);
    tcase_add_test(tc, slow_backend_only_makes_the_guest_wait);
    tcase_add_test(tc, grant_failures_are_io_errors_the_same_for_the_same_seed);
    tcase_add_test(tc, domain_destroyed_mid_io_leaves_nothing_held);
    tcase_add_test(tc, domain_paused_mid_io_then_completes);
    tcase_add_test(tc, negotiation_deviations_as_faults);
    tcase_add_test(tc, bad_fault_specs_are_one_line_and_exit_2);
    tcase_add_test(tc, xs_conflicts_are_retried_the_same_for_the_same_seed);
    tcase_add_test(tc, slow_netback_only_makes_the_guest_wait);
    tcase_add_test(tc, netback_grant_failures_drop_frames_the_same_for_the_same_seed);
    tcase_add_test(tc, netback_crash_is_restarted_and_the_stream_completes);
    suite_add_tcase(s, tc);
    return check_main(s);
}
