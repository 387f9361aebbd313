/*
 * qrexec-hostile MODE VM — dom0's side of a VM's qrexec control channel,
 * breaking the protocol after HELLO, to prove the agent names it in one
 * line, cuts the channel and serves a fresh one.
 *   cmdline   EXEC_CMDLINE whose command line has no terminator
 *   type      TRIGGER_SERVICE3, which only a VM sends
 *   refused   SERVICE_REFUSED without its request id
 *   long      a message of 70000 bytes on the control channel
 *   hello     a HELLO of version 1
 * Prints "cut" when the agent has closed the channel; exit 0 then, 1
 * after 30 s without it.
 */
#include "os.h"
#include "qrexec_proto.h"
#include "vchan.h"
#include "tests/integration/hostile_peer.h"

int app_main(struct os *os, int argc, char **argv)
{
    uint64_t vm;
    if (argc != 3 || os_parse_u64(argv[2], &vm) < 0)
        return 2;
    const char *mode = argv[1];
    char base[96];
    vchan_qubes_path(base, sizeof base, (domid_t)vm, 0, QREXEC_CONTROL_PORT);
    struct vchan *v;
    uint64_t deadline = os_now_ns(os) + 30000000000ull;
    if (vchan_client_open(os, (domid_t)vm, base, &v) < 0 ||
        vchan_wait_connected(v, deadline) != VCHAN_CONNECTED)
        return 1;
    uint8_t h[QREXEC_HDR_SIZE + 16];
    qrexec_put32(h, QREXEC_MSG_HELLO);
    qrexec_put32(h + 4, 4);
    qrexec_put32(h + 8, !os_strcmp(mode, "hello") ? 1 : 3);
    (void)vchan_send(v, h, 12);
    if (!os_strcmp(mode, "cmdline")) {
        qrexec_put32(h, QREXEC_MSG_EXEC_CMDLINE);
        qrexec_put32(h + 4, 12);
        qrexec_put32(h + 8, 0);
        qrexec_put32(h + 12, 513);
        os_memcpy(h + 16, "u:ab", 4); /* no NUL */
        (void)vchan_send(v, h, 20);
    } else if (!os_strcmp(mode, "type") || !os_strcmp(mode, "refused")) {
        qrexec_put32(h, mode[0] == 't' ? QREXEC_MSG_TRIGGER_SERVICE3 : QREXEC_MSG_SERVICE_REFUSED);
        qrexec_put32(h + 4, 0);
        (void)vchan_send(v, h, 8);
    } else if (!os_strcmp(mode, "long")) {
        qrexec_put32(h, QREXEC_MSG_EXEC_CMDLINE);
        qrexec_put32(h + 4, 70000);
        (void)vchan_send(v, h, 8);
    }
    return hp_wait_cut(os, v, deadline);
}
