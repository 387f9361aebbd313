/*
 * qubesdb-hostile — a QubesDB peer that breaks the protocol, to prove
 * the other end names it in one line, cuts it off and keeps going.
 *   qubesdb-hostile vm MODE         as a VM, against dom0's daemon
 *     type     sends RESP_WATCH, which has no place between domains
 *     len      announces a value of 5000 bytes
 *     twice    asks for the whole database twice
 *     deaf     writes a key over and over and never reads the answers
 *   qubesdb-hostile dom0 MODE VM    as dom0's daemon, against a VM
 *     type     answers the dump with CMD_READ
 *     path     sends an entry whose path has a space
 *     unasked  sends a second dump after the terminator
 * Prints "cut" once the other end has closed the channel; exit 0 then,
 * 1 after 30 s without it.
 */
#include "os.h"
#include "qubesdb_proto.h"
#include "vchan.h"
#include "tests/integration/hostile_peer.h"

static void send_raw(struct vchan *v, uint8_t type, const char *path, uint32_t len)
{
    uint8_t h[QDB_HDR_SIZE];
    qdb_hdr_encode(h, type, path, len);
    (void)vchan_send(v, h, sizeof h);
}

int app_main(struct os *os, int argc, char **argv)
{
    if (argc < 3)
        return 2;
    bool dom0 = !os_strcmp(argv[1], "dom0");
    const char *mode = argv[2];
    uint64_t vm = 0;
    if (dom0 && (argc != 4 || os_parse_u64(argv[3], &vm) < 0))
        return 2;
    char base[96];
    struct vchan *v;
    int r;
    if (dom0) {
        vchan_qubes_path(base, sizeof base, 0, (domid_t)vm, QDB_VCHAN_PORT);
        r = vchan_server_open(os, (domid_t)vm, base, 4096, 4096, &v);
    } else {
        vchan_qubes_path(base, sizeof base, 0, os_domid(os), QDB_VCHAN_PORT);
        r = vchan_client_open(os, 0, base, &v);
    }
    uint64_t deadline = os_now_ns(os) + 30000000000ull;
    if (r < 0 || vchan_wait_connected(v, deadline) != VCHAN_CONNECTED)
        return 1;
    hp_say(os, "connected\n");
    if (dom0) {
        uint8_t req[QDB_HDR_SIZE];
        size_t got = 0;
        while (got < sizeof req && os_now_ns(os) < deadline) {
            long n = vchan_read(v, req + got, sizeof req - got);
            if (n < 0)
                return 1;
            got += (size_t)n;
            if (got < sizeof req) {
                vchan_poll(v);
                os_wait(os, deadline);
            }
        }
        if (!os_strcmp(mode, "type")) {
            send_raw(v, QDB_CMD_READ, "/name", 0);
        } else if (!os_strcmp(mode, "path")) {
            send_raw(v, QDB_RESP_MULTIREAD, "/bad path", 0);
        } else {
            send_raw(v, QDB_RESP_MULTIREAD, "/name", 3);
            (void)vchan_send(v, "vm1", 3);
            send_raw(v, QDB_RESP_MULTIREAD, "", 0);
            send_raw(v, QDB_RESP_MULTIREAD, "/name", 3);
            (void)vchan_send(v, "vm1", 3);
        }
    } else {
        if (!os_strcmp(mode, "type")) {
            send_raw(v, QDB_RESP_WATCH, "/name", 0);
        } else if (!os_strcmp(mode, "len")) {
            uint8_t h[QDB_HDR_SIZE];
            qdb_hdr_encode(h, QDB_CMD_WRITE, "/x", 0);
            h[68] = 0x88, h[69] = 0x13; /* 5000 */
            (void)vchan_send(v, h, sizeof h);
        } else if (!os_strcmp(mode, "deaf")) {
            /* dom0's answers pile up on its side until it gives up */
            uint8_t m[QDB_HDR_SIZE + 1];
            qdb_hdr_encode(m, QDB_CMD_WRITE, "/deaf", 1);
            m[QDB_HDR_SIZE] = 'x';
            for (unsigned sent = 0; sent < 40000 && os_now_ns(os) < deadline;) {
                long n = vchan_send(v, m, sizeof m);
                if (n < 0)
                    break;
                if (n > 0) {
                    sent++;
                    continue;
                }
                vchan_poll(v);
                os_wait(os, deadline);
            }
        } else {
            send_raw(v, QDB_CMD_MULTIREAD, "", 0);
            send_raw(v, QDB_CMD_MULTIREAD, "", 0);
        }
    }
    return hp_wait_cut(os, v, deadline);
}
