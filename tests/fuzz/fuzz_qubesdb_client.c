/*
 * fuzz_qubesdb_client — the VM's QubesDB client against a dom0 that
 * sends anything: the input is written as dom0's byte stream on vchan
 * port 111, in chunks, while the client polls, reads and lists.  The
 * client must apply, answer, or cut dom0 off — never crash, never keep
 * an entry QubesDB would refuse.
 *
 * Input: 1-byte chunk lengths, each followed by that many bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "qubesdb.h"
#include "qubesdb_proto.h"
#include "tests/fuzz/vchan_fuzz_host.h"
#include "vchan.h"

static void check(void *ctx, const char *path, const char *value)
{
    if (!qdb_path_ok(path, true) || !qdb_value_ok(value, strlen(value)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct os *os = vfh_new();
    struct vchan *dom0;
    struct qubesdb *db;
    if (vchan_server_open(os, 1, "/local/domain/0/data/vchan/1/111", 4096, 4096, &dom0) == 0 &&
        qubesdb_open(os, 0, &db) == 0) {
        (void)qubesdb_poll(db);
        (void)vchan_poll(dom0);
        static uint8_t junk[8192];
        size_t i = 0;
        while (i < size) {
            size_t n = data[i++];
            if (n > size - i)
                n = size - i;
            for (size_t off = 0; off < n;) {
                long w = vchan_write(dom0, data + i + off, n - off);
                if (w <= 0)
                    break;
                off += (size_t)w;
                if (qubesdb_poll(db) < 0)
                    break;
                while (vchan_read(dom0, junk, sizeof junk) > 0)
                    ;
            }
            i += n;
            if (qubesdb_poll(db) < 0)
                break;
            while (vchan_read(dom0, junk, sizeof junk) > 0)
                ;
        }
        (void)qubesdb_read(db, "/name");
        qubesdb_multiread(db, "", check, NULL);
        qubesdb_close(db);
        vchan_close(dom0);
    }
    vfh_free(os);
    return 0;
}
