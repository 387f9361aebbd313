/* The CLI's parsers: vdev names, xl disk specs (through libxlutil), vif specs. */
#include "harness/disk_spec.h"
#include "harness/vdev.h"
#include "harness/vif_spec.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include "tests/lib/runproc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

START_TEST(vdev_names)
{
    unsigned d;
    ck_assert(vdev_to_devid("xvda", &d));
    ck_assert_uint_eq(d, 51712);
    ck_assert(vdev_to_devid("xvdb", &d));
    ck_assert_uint_eq(d, 51728);
    ck_assert(vdev_to_devid("xvda1", &d));
    ck_assert_uint_eq(d, 51713);
    ck_assert(vdev_to_devid("xvdq", &d)); /* 17th disk: extended */
    ck_assert_uint_eq(d, (1u << 28) | (16u << 8));
    ck_assert(vdev_to_devid("sda", &d));
    ck_assert_uint_eq(d, 2048);
    ck_assert(vdev_to_devid("hdc", &d));
    ck_assert_uint_eq(d, 22u << 8);
    ck_assert(vdev_to_devid("51712", &d));
    ck_assert_uint_eq(d, 51712);
    ck_assert(!vdev_to_devid("", &d));
    ck_assert(!vdev_to_devid("xvd", &d));
    ck_assert(!vdev_to_devid("xvdA", &d));
    ck_assert(!vdev_to_devid("xvda0", &d));
    ck_assert(!vdev_to_devid("eth0", &d));
    ck_assert(!vdev_to_devid("0", &d));
}
END_TEST

/* The images live in a folder the parent process makes and removes
 * (an unchecked fixture), so a failed case leaves nothing behind.  It is
 * under /tmp, not TMPDIR: a case that drops to nobody must still reach
 * its image, and make test's run folder is root's alone. */
static char dir[64];
static char image[128];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/splitbed-spec-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(chmod(dir, 0755), 0);
}

static void drop_dir(void)
{
    runproc_rmtree(dir);
}

static void make_image(void)
{
    snprintf(image, sizeof image, "%s/image-XXXXXX", dir);
    int fd = mkstemp(image);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
    close(fd);
}

static void drop_image(void)
{
    /* As root, a test may have dropped to nobody, keeping root saved. */
    if (getuid() != 0 && setresuid(0, 0, 0) != 0 && geteuid() == 0)
        ck_abort_msg("cannot return to root");
    unlink(image);
}

START_TEST(disk_bare_path_is_readonly_xvda)
{
    struct disk_spec d;
    ck_assert_int_eq(disk_spec_parse(image, 0, &d), 0);
    ck_assert_str_eq(d.vdev, "xvda");
    ck_assert_uint_eq(d.devid, 51712);
    ck_assert(!d.writable);
    ck_assert_str_eq(d.target, image);
    disk_spec_free(&d);
    ck_assert_int_eq(disk_spec_parse(image, 1, &d), 0);
    ck_assert_str_eq(d.vdev, "xvdb");
    disk_spec_free(&d);
}
END_TEST

/* access=rw needs a target the user may write; access=ro only one to
 * read.  Root may write any file, so as root the test runs as nobody. */
START_TEST(disk_rw_needs_a_writable_target)
{
    char spec[256];
    struct disk_spec d;
    ck_assert_int_eq(chmod(image, 0444), 0);
    if (geteuid() == 0)
        ck_assert_int_eq(setresuid(65534, 65534, 0), 0);
    snprintf(spec, sizeof spec, "format=raw, vdev=xvda, access=ro, target=%s", image);
    ck_assert_int_eq(disk_spec_parse(spec, 0, &d), 0);
    disk_spec_free(&d);
    snprintf(spec, sizeof spec, "format=raw, vdev=xvda, access=rw, target=%s", image);
    ck_assert_int_eq(disk_spec_parse(spec, 0, &d), -1);
}
END_TEST

START_TEST(disk_xl_spec)
{
    char spec[256];
    struct disk_spec d;
    snprintf(spec, sizeof spec, "format=raw, vdev=xvdc, access=rw, target=%s", image);
    ck_assert_int_eq(disk_spec_parse(spec, 0, &d), 0);
    ck_assert_str_eq(d.vdev, "xvdc");
    ck_assert(d.writable);
    disk_spec_free(&d);
    snprintf(spec, sizeof spec, "vdev=xvdd, access=ro, devtype=cdrom, target=%s", image);
    ck_assert_int_eq(disk_spec_parse(spec, 0, &d), 0);
    ck_assert(d.cdrom);
    ck_assert(!d.writable);
    disk_spec_free(&d);
}
END_TEST

START_TEST(disk_bad_specs)
{
    char spec[256];
    struct disk_spec d;
    ck_assert_int_eq(disk_spec_parse("", 0, &d), -1);
    ck_assert_int_eq(disk_spec_parse("/nonexistent/disk.img", 0, &d), -1);
    ck_assert_int_eq(disk_spec_parse("/tmp", 0, &d), -1); /* a directory */
    snprintf(spec, sizeof spec, "format=qcow2, vdev=xvda, target=%s", image);
    ck_assert_int_eq(disk_spec_parse(spec, 0, &d), -1);
    snprintf(spec, sizeof spec, "format=raw, vdev=eth0, target=%s", image);
    ck_assert_int_eq(disk_spec_parse(spec, 0, &d), -1);
    snprintf(spec, sizeof spec, "format=raw, access=rw, target=%s", image); /* no vdev */
    ck_assert_int_eq(disk_spec_parse(spec, 0, &d), -1);
    ck_assert_int_eq(disk_spec_parse("format=raw, vdev=xvda, bogus=1, target=x", 0, &d), -1);
}
END_TEST

START_TEST(vif_specs)
{
    struct vif_spec v;
    ck_assert_int_eq(vif_spec_parse("stdio", 0, &v), 0);
    ck_assert(v.uses_stdio);
    ck_assert_str_eq(v.backing, "stdio");
    ck_assert_str_eq(v.mac, "00:16:3e:00:00:00");
    ck_assert_int_eq(vif_spec_parse("mac=00:16:3e:5e:6c:01, bridge=xenbr0, backing=tap:sb0", 2, &v),
                     0);
    ck_assert_str_eq(v.mac, "00:16:3e:5e:6c:01");
    ck_assert_str_eq(v.backing, "tap:sb0");
    ck_assert_uint_eq(v.handle, 2);
    ck_assert(!v.uses_stdio);
    ck_assert_int_eq(vif_spec_parse("backing=pcap:/tmp/x.pcap,devid=3", 0, &v), 0);
    ck_assert_uint_eq(v.handle, 3);

    /* the form the netback README shows, split by xl at its comma */
    ck_assert_int_eq(vif_spec_parse("backing=tap:sb0,capture=/tmp/c.pcap", 0, &v), 0);
    ck_assert_str_eq(v.backing, "tap:sb0,capture=/tmp/c.pcap");
    ck_assert_int_eq(vif_spec_parse("capture=/tmp/c.pcap, mac=00:16:3e:00:00:07", 0, &v), 0);
    ck_assert_str_eq(v.backing, "stdio,capture=/tmp/c.pcap");
    ck_assert(v.uses_stdio);
    ck_assert_int_eq(vif_spec_parse("backing=stdio,capture=", 0, &v), -1);
    ck_assert_int_eq(vif_spec_parse("mac=01:16:3e:00:00:01", 0, &v), -1); /* multicast */
    ck_assert_int_eq(vif_spec_parse("mac=00:16:3e:00:00", 0, &v), -1);
    ck_assert_int_eq(vif_spec_parse("backing=tap:", 0, &v), -1);
    ck_assert_int_eq(vif_spec_parse("backing=floppy", 0, &v), -1);
    ck_assert_int_eq(vif_spec_parse("colour=blue", 0, &v), -1);
    ck_assert_int_eq(vif_spec_parse("devid=999", 0, &v), -1);
    /* The bounds themselves. */
    ck_assert_int_eq(vif_spec_parse("devid=255", 0, &v), 0);
    ck_assert_uint_eq(v.handle, 255);
    ck_assert_int_eq(vif_spec_parse("devid=256", 0, &v), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("harness-specs");
    TCase *tc = tcase_create("parse");
    tcase_add_unchecked_fixture(tc, make_dir, drop_dir);
    tcase_add_checked_fixture(tc, make_image, drop_image);
    tcase_add_test(tc, vdev_names);
    tcase_add_test(tc, disk_bare_path_is_readonly_xvda);
    tcase_add_test(tc, disk_rw_needs_a_writable_target);
    tcase_add_test(tc, disk_xl_spec);
    tcase_add_test(tc, disk_bad_specs);
    tcase_add_test(tc, vif_specs);
    suite_add_tcase(s, tc);
    return check_main(s);
}
