/*
 * The drop-in libraries export exactly what Debian's do: same defined
 * symbols with the same symbol versions (objdump -T), same sonames.
 */
#include "tests/integration/test_hv_harness.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REAL_DIR "/usr/lib/x86_64-linux-gnu"

/* "VERSION SYMBOL" lines of the defined dynamic symbols, sorted. */
static char *defined_symbols(const char *lib)
{
    char cmd[4200];
    snprintf(cmd, sizeof(cmd),
             "objdump -T '%s' | awk '$2 == \"g\" && $4 != \"*UND*\" { print $(NF-1), $NF }' | sort",
             lib);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    static char bufs[2][16384];
    static int slot;
    char *buf = bufs[slot++ % 2];
    size_t n = fread(buf, 1, sizeof(bufs[0]) - 1, f);
    buf[n] = 0;
    ck_assert_int_eq(pclose(f), 0);
    return buf;
}

static char *soname(const char *lib)
{
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "objdump -p '%s' | awk '$1 == \"SONAME\" { print $2 }'", lib);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    static char bufs[2][256];
    static int slot;
    char *buf = bufs[slot++ % 2];
    size_t n = fread(buf, 1, sizeof(bufs[0]) - 1, f);
    buf[n] = 0;
    pclose(f);
    return buf;
}

static void compare(const char *name)
{
    char real[256], ours[4200];
    snprintf(real, sizeof(real), REAL_DIR "/%s", name);
    snprintf(ours, sizeof(ours), "%s/%s", hvt_build("lib/splitbed"), name);
    const char *r = defined_symbols(real), *o = defined_symbols(ours);
    ck_assert_msg(strlen(r) > 50, "no symbols read from %s", real);
    ck_assert_str_eq(o, r);
    ck_assert_str_eq(soname(ours), soname(real));
}

START_TEST(gnttab_abi)
{
    compare("libxengnttab.so.1");
}
END_TEST

START_TEST(evtchn_abi)
{
    compare("libxenevtchn.so.1");
}
END_TEST

START_TEST(xencall_abi)
{
    compare("libxencall.so.1");
}
END_TEST

START_TEST(foreignmemory_abi)
{
    compare("libxenforeignmemory.so.1");
}
END_TEST

START_TEST(devicemodel_abi)
{
    compare("libxendevicemodel.so.1");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hv-proc-abi");
    TCase *tc = tcase_create("abi");
    tcase_add_test(tc, gnttab_abi);
    tcase_add_test(tc, evtchn_abi);
    tcase_add_test(tc, xencall_abi);
    tcase_add_test(tc, foreignmemory_abi);
    tcase_add_test(tc, devicemodel_abi);
    suite_add_tcase(s, tc);
    return check_main(s);
}
