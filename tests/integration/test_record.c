/*
 * The request recorder as a user runs it: real guests (tar-cat,
 * blk-verify, net-blast) under `splitbed run` with `--backend-opt
 * record=DIR` / `--netback-opt record=DIR` or $SPLITBED_RECORD, then the
 * recorded folders replayed through the fuzz targets built without an
 * engine (build/fuzz-replay/NAME -summary): every entry must be taken by
 * the target as one request answered okay (blkback) or one frame
 * delivered (netback), which is what the backend did with it.  Names are
 * the content's hash, so a second run of the same guest adds nothing;
 * record-max bounds the folder; a folder that cannot be made is one line
 * and exit 2.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/check_main.h"

#define TIMEOUT 120

static char dir[64];
static struct runproc r;

static const char *src(const char *rel)
{
    static char bufs[4][4096];
    static int slot;
    char *b = bufs[slot++ % 4];
    snprintf(b, sizeof bufs[0], "%s/%s", SPLITBED_SRCDIR_DEFAULT, rel);
    return b;
}

#define SB(env, ...) runproc_splitbed(&r, TIMEOUT, (env), (char *[]){ __VA_ARGS__, NULL })

static void sim_start(void)
{
    scratch_dir(dir, sizeof dir);
    SB(NULL, "hv", "start", "--dir", dir);
    ck_assert_msg(r.status == 0, "hv start: %d %s", r.status, r.err);
}

static void sim_stop(void)
{
    SB(NULL, "hv", "stop", "--dir", dir);
}

static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* build/fuzz-replay/TARGET -summary over folder; its two lines in r.out. */
static void replay(const char *target, const char *folder)
{
    char bin[256];
    snprintf(bin, sizeof bin, "fuzz-replay/%s", target);
    runproc(&r, NULL, 0, TIMEOUT, NULL,
            (char *[]){ (char *)build_path(bin), "-summary", (char *)folder, NULL });
    ck_assert_msg(r.status == 0, "%s -summary %s: status %d: %s", target, folder, r.status, r.err);
}

START_TEST(blk_requests_replay_as_served)
{
    char rec[128], opt[160], img[128], disk[256], folder[200];
    snprintf(rec, sizeof rec, "%s/rec", dir);
    snprintf(opt, sizeof opt, "record=%s", rec);
    snprintf(folder, sizeof folder, "%s/fuzz_blkback_req", rec);
    snprintf(img, sizeof img, "%s/rw.img", dir);
    int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 4 << 20), 0);
    close(fd);
    snprintf(disk, sizeof disk, "format=raw, vdev=xvda, access=rw, target=%s", img);

    SB(NULL, "run", "-q", "--dir", dir, "--disk", (char *)src("fixtures/tar/gnutar-gnu.tar"),
       "--backend-opt", opt, "--", "tar-cat", "./dir/binary.bin");
    ck_assert_msg(r.status == 0, "tar-cat: status %d: %s", r.status, r.err);
    int after_cat = count_entries(folder);
    ck_assert_msg(after_cat >= 1, "tar-cat recorded nothing in %s", folder);

    /* The same guest again: the same requests, the same names. */
    SB(NULL, "run", "-q", "--dir", dir, "--disk", (char *)src("fixtures/tar/gnutar-gnu.tar"),
       "--backend-opt", opt, "--", "tar-cat", "./dir/binary.bin");
    ck_assert_msg(r.status == 0, "tar-cat again: status %d: %s", r.status, r.err);
    ck_assert_int_eq(count_entries(folder), after_cat);

    SB(NULL, "run", "-q", "--dir", dir, "--disk", disk, "--backend-opt", opt, "--", "blk-verify");
    ck_assert_msg(r.status == 0, "blk-verify: status %d: %s", r.status, r.err);
    int n = count_entries(folder);
    /* Reads, writes, flushes, discards and indirect requests: shapes
     * tar-cat alone never sends. */
    ck_assert_msg(n >= after_cat + 5, "blk-verify added %d entries to %d", n - after_cat,
                  after_cat);
    ck_assert_int_le(n, 256);

    replay("fuzz_blkback_req", folder);
    char want[256];
    snprintf(want, sizeof want,
             "fuzz_blkback_req: %d inputs\nfuzz_blkback_req: %d requests taken, %d answered "
             "okay\n",
             n, n, n);
    ck_assert_str_eq(r.out, want);
}
END_TEST

START_TEST(net_frames_replay_as_delivered)
{
    char rec[128], opt[160], vif[200], folder[200];
    snprintf(rec, sizeof rec, "%s/rec", dir);
    snprintf(opt, sizeof opt, "record=%s", rec);
    snprintf(folder, sizeof folder, "%s/fuzz_netback_tx", rec);
    snprintf(vif, sizeof vif, "backing=pcap:%s/out.pcap", dir);
    /* Small frames with blank UDP checksums, then frames of several
     * slots (scatter-gather). */
    SB(NULL, "run", "-q", "--dir", dir, "--vif", vif, "--netback-opt", opt, "--", "net-blast",
       "--frames", "20", "--size", "300", "--udp");
    ck_assert_msg(r.status == 0, "net-blast --udp: status %d: %s", r.status, r.err);
    SB(NULL, "run", "-q", "--dir", dir, "--vif", vif, "--netback-opt", opt, "--", "net-blast",
       "--frames", "20", "--size", "9000");
    ck_assert_msg(r.status == 0, "net-blast: status %d: %s", r.status, r.err);
    int n = count_entries(folder);
    ck_assert_msg(n >= 2, "%d entries in %s", n, folder);

    replay("fuzz_netback_tx", folder);
    char want[256];
    snprintf(want, sizeof want,
             "fuzz_netback_tx: %d inputs\nfuzz_netback_tx: %d frames delivered, 0 dropped, 0 "
             "errors, 0 queues broken\n",
             n, n);
    ck_assert_str_eq(r.out, want);
}
END_TEST

/* $SPLITBED_RECORD asks the backends a toolstack starts; record-max
 * bounds the folder. */
START_TEST(env_asks_and_record_max_bounds)
{
    char rec[128], env[160], img[128], disk[256], folder[200];
    snprintf(rec, sizeof rec, "%s/env-rec", dir);
    snprintf(env, sizeof env, "SPLITBED_RECORD=%s", rec);
    snprintf(folder, sizeof folder, "%s/fuzz_blkback_req", rec);
    snprintf(img, sizeof img, "%s/rw2.img", dir);
    int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 4 << 20), 0);
    close(fd);
    snprintf(disk, sizeof disk, "format=raw, vdev=xvda, access=rw, target=%s", img);
    SB(((char *[]){ env, NULL }), "run", "-q", "--dir", dir, "--disk", disk, "--backend-opt",
       "record-max=3", "--", "blk-verify");
    ck_assert_msg(r.status == 0, "blk-verify: status %d: %s", r.status, r.err);
    ck_assert_int_eq(count_entries(folder), 3);
    replay("fuzz_blkback_req", folder);
    ck_assert_str_eq(r.out, "fuzz_blkback_req: 3 inputs\n"
                            "fuzz_blkback_req: 3 requests taken, 3 answered okay\n");
}
END_TEST

/* A folder that cannot be made: one line naming it, exit 2, before
 * anything is served; a bad limit is refused by --check. */
START_TEST(bad_folder_is_one_line_and_exit_2)
{
    char file[128], opt[200];
    scratch_dir(dir, sizeof dir);
    snprintf(file, sizeof file, "%s/plain-file", dir);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    close(fd);
    snprintf(opt, sizeof opt, "record=%s", file);

    runproc(
        &r, NULL, 0, TIMEOUT, NULL,
        (char *[]){ (char *)build_path("libexec/splitbed/splitbed-blkback"), "--opt", opt, NULL });
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(runproc_lines(r.err), 1);
    ck_assert_msg(strstr(r.err, file) && strstr(r.err, "not a folder"), "%s", r.err);

    runproc(&r, NULL, 0, TIMEOUT, NULL,
            (char *[]){ (char *)build_path("libexec/splitbed/splitbed-netback"), "--vif",
                        "1/0=stdio", "--opt", opt, NULL });
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(runproc_lines(r.err), 1);
    ck_assert_msg(strstr(r.err, file) && strstr(r.err, "not a folder"), "%s", r.err);

    runproc(&r, NULL, 0, TIMEOUT, NULL,
            (char *[]){ (char *)build_path("libexec/splitbed/splitbed-blkback"), "--check", "--opt",
                        "record-max=0", NULL });
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "record-max=0"), "%s", r.err);
    runproc(&r, NULL, 0, TIMEOUT, NULL,
            (char *[]){ (char *)build_path("libexec/splitbed/splitbed-netback"), "--check", "--opt",
                        "record-max=0", NULL });
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "record-max"), "%s", r.err);
}
END_TEST

int main(void)
{
    scratch_prefix = "sbrec";
    Suite *s = suite_create("record");
    TCase *tc = tcase_create("guests");
    tcase_set_timeout(tc, 4 * TIMEOUT);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tc, sim_start, sim_stop);
    tcase_add_test(tc, blk_requests_replay_as_served);
    tcase_add_test(tc, net_frames_replay_as_delivered);
    tcase_add_test(tc, env_asks_and_record_max_bounds);
    suite_add_tcase(s, tc);
    TCase *bad = tcase_create("bad input");
    tcase_add_unchecked_fixture(bad, scratch_setup, scratch_teardown);
    tcase_add_test(bad, bad_folder_is_one_line_and_exit_2);
    suite_add_tcase(s, bad);
    return check_main(s);
}
