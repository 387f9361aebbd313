/*
 * fuzz_qrexec_daemon — dom0's qrexec (splitbed-qrexec's side toward the
 * VM, qrexec_vm.h) against a VM whose agent sends anything: on the
 * control channel (HELLO of any version, TRIGGER_SERVICE3/4 with lying
 * lengths and unterminated names, CONNECTION_TERMINATED, types only dom0
 * sends), and on data channels, both those dom0 serves for its own calls
 * and those the VM serves for its calls to dom0 (stdout, stderr, exit
 * code and EOF in any order), while dom0 starts calls.  The daemon must
 * answer or cut the VM off, never crash or leak (memory or descriptors),
 * and every message it sends must be one dom0 sends, well formed.
 *
 * Input: records of an op byte, a length byte and that many bytes.
 * op % 8:  0  the VM writes the bytes on the control channel
 *          1  the VM writes the bytes on data slot (op >> 3) % 4
 *          2  dom0 calls the VM with the bytes as "USER:COMMAND"; its
 *             stdin is empty, or none with op bit 3, or with op bit 4
 *             the same bytes again
 *          3  the VM connects to data port 513 + slot (dom0 serves it)
 *          4  the VM serves data port 513 + slot (for its own call)
 *          5  the VM closes data slot
 *          6  the VM's agent starts again (a fresh control channel)
 *          7  nothing: time passes
 * The daemon steps after each record, and the VM reads everything.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends-sim/qubes/qrexec_policy.h"
#include "backends-sim/qubes/qrexec_vm.h"
#include "qrexec_proto.h"
#include "tests/fuzz/vchan_fuzz_host.h"
#include "vchan.h"

#define VM 1
#define SLOTS 4
#define CTL_RING 4096 /* what Qubes' agent serves its control channel with */

static void fail(const char *what, uint32_t type)
{
    fprintf(stderr, "fuzz_qrexec_daemon: %s (type 0x%x)\n", what, type);
    abort();
}

/* One end of the VM's, and dom0's byte stream on it, checked message by
 * message. */
struct chan {
    struct vchan *v;
    bool control;
    uint8_t buf[QREXEC_HDR_SIZE + QREXEC_MAX_CMDLINE + 8 + 1];
    size_t len;
};

static void check_message(const struct chan *c, uint32_t type, const uint8_t *p, uint32_t len)
{
    if (c->control) {
        switch (type) {
        case QREXEC_MSG_HELLO:
            if (len != 4 || qrexec_get32(p) < QREXEC_MIN_VERSION)
                fail("dom0 said a HELLO of the wrong size or version", type);
            return;
        case QREXEC_MSG_EXEC_CMDLINE: {
            uint32_t port = len >= 8 ? qrexec_get32(p + 4) : 0;
            if (len <= 8 || p[len - 1] != 0 || port < QREXEC_FIRST_DATA_PORT ||
                port >= QREXEC_FIRST_DATA_PORT + QREXEC_DATA_PORTS)
                fail("dom0 sent an EXEC_CMDLINE with no command or no data port", type);
            return;
        }
        case QREXEC_MSG_SERVICE_CONNECT: {
            uint32_t port = len == 40 ? qrexec_get32(p + 4) : 0;
            if (port < QREXEC_FIRST_DATA_PORT ||
                port >= QREXEC_FIRST_DATA_PORT + QREXEC_DATA_PORTS || !memchr(p + 8, 0, 32))
                fail("dom0 sent a SERVICE_CONNECT with no data port or request id", type);
            return;
        }
        case QREXEC_MSG_SERVICE_REFUSED:
            if (len != 32 || !memchr(p, 0, 32))
                fail("dom0 sent a SERVICE_REFUSED with no request id", type);
            return;
        default: fail("dom0 sent a type it never sends on the control channel", type);
        }
    }
    switch (type) {
    case QREXEC_MSG_HELLO:
    case QREXEC_MSG_DATA_EXIT_CODE:
        if (len != 4)
            fail("dom0 sent a HELLO or an exit code that is not 4 bytes", type);
        return;
    case QREXEC_MSG_DATA_STDIN:
    case QREXEC_MSG_DATA_STDOUT:
    case QREXEC_MSG_DATA_STDERR:
        if (len > QREXEC_MAX_CHUNK)
            fail("dom0 sent a chunk over 64 KiB", type);
        return;
    default: fail("dom0 sent a type it never sends on a data channel", type);
    }
}

static void drain(struct chan *c)
{
    if (!c->v)
        return;
    (void)vchan_poll(c->v);
    for (;;) {
        size_t need = QREXEC_HDR_SIZE;
        uint32_t type = 0, len = 0;
        if (c->len >= QREXEC_HDR_SIZE) {
            type = qrexec_get32(c->buf);
            len = qrexec_get32(c->buf + 4);
            if (len > sizeof c->buf - QREXEC_HDR_SIZE)
                fail("dom0 announced a message over 64 KiB", type);
            need += len;
        }
        if (c->len == need) {
            check_message(c, type, c->buf + QREXEC_HDR_SIZE, len);
            c->len = 0;
            continue;
        }
        long n = vchan_read(c->v, c->buf + c->len, need - c->len);
        if (n <= 0)
            return;
        c->len += (size_t)n;
    }
}

static void chan_close(struct chan *c)
{
    vchan_close(c->v);
    c->v = NULL;
    c->len = 0;
}

static void vm_write(struct qrexec_vm *d, struct chan *c, const uint8_t *b, size_t n)
{
    for (size_t off = 0; c->v && off < n;) {
        long w = vchan_write(c->v, b + off, n - off);
        if (w <= 0)
            return;
        off += (size_t)w;
        qrexec_vm_step(d);
        drain(c);
    }
}

static char *port_path(char *buf, size_t size, unsigned port)
{
    vchan_qubes_path(buf, size, VM, VM, port);
    return buf;
}

/* The lowest free descriptor: the same before and after an input, or
 * one leaked. */
static int lowest_fd(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
        close(fd);
    return fd;
}

static struct qrexec_policy policy;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!policy.n && (qrexec_policy_add(&policy, "splitbed.Echo@dom0") ||
                      qrexec_policy_add(&policy, "qubes.Filecopy+only@dom0") ||
                      qrexec_policy_add(&policy, "splitbed.Echo@work")))
        abort();
    int fd_before = lowest_fd();
    static struct chan ctl, slot[SLOTS];
    char path[96];
    struct os *os = vfh_new();
    struct qrexec_vm *d = NULL;
    ctl.control = true;
    if (!os ||
        vchan_server_open(os, 0, port_path(path, sizeof path, QREXEC_CONTROL_PORT), CTL_RING,
                          CTL_RING, &ctl.v) < 0 ||
        qrexec_vm_open(os, VM, "vm1", &policy, NULL, &d) < 0)
        goto out;
    qrexec_vm_step(d);
    drain(&ctl);
    for (size_t i = 0; i + 2 <= size;) {
        unsigned op = data[i];
        size_t n = data[i + 1];
        i += 2;
        if (n > size - i)
            n = size - i;
        const uint8_t *b = data + i;
        i += n;
        struct chan *s = &slot[(op >> 3) % SLOTS];
        unsigned port = QREXEC_FIRST_DATA_PORT + (unsigned)(s - slot);
        switch (op % 8) {
        case 0: vm_write(d, &ctl, b, n); break;
        case 1: vm_write(d, s, b, n); break;
        case 2: {
            char cmd[256 + 1];
            memcpy(cmd, b, n);
            cmd[n] = 0;
            int fds[3] = { -1, -1, -1 };
            if (op & 16) {
                /* a caller whose stdin is the command again, then EOF */
                int pp[2];
                if (pipe2(pp, O_CLOEXEC) < 0)
                    abort();
                (void)!write(pp[1], cmd, n);
                close(pp[1]);
                fds[0] = pp[0];
            } else if (!(op & 8)) {
                fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
            }
            if (qrexec_vm_call(d, -1, fds, cmd) < 0 && fds[0] >= 0)
                close(fds[0]);
            break;
        }
        case 3:
            chan_close(s);
            (void)vchan_client_open(os, 0, port_path(path, sizeof path, port), &s->v);
            break;
        case 4:
            chan_close(s);
            (void)vchan_server_open(os, 0, port_path(path, sizeof path, port), 65536, 65536, &s->v);
            break;
        case 5: chan_close(s); break;
        case 6:
            chan_close(&ctl);
            (void)vchan_server_open(os, 0, port_path(path, sizeof path, QREXEC_CONTROL_PORT),
                                    CTL_RING, CTL_RING, &ctl.v);
            break;
        case 7: break;
        }
        qrexec_vm_step(d);
        drain(&ctl);
        for (int k = 0; k < SLOTS; k++)
            drain(&slot[k]);
        if (ctl.v && vchan_state(ctl.v) == VCHAN_CLOSED) {
            /* dom0 cut the agent off: it serves again, as it would */
            chan_close(&ctl);
            (void)vchan_server_open(os, 0, port_path(path, sizeof path, QREXEC_CONTROL_PORT),
                                    CTL_RING, CTL_RING, &ctl.v);
            qrexec_vm_step(d);
            drain(&ctl);
        }
    }
out:
    qrexec_vm_close(d);
    chan_close(&ctl);
    for (int k = 0; k < SLOTS; k++)
        chan_close(&slot[k]);
    vfh_free(os);
    if (lowest_fd() != fd_before)
        fail("a descriptor leaked", 0);
    return 0;
}
