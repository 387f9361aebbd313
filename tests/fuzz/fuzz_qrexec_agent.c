/*
 * fuzz_qrexec_agent — the VM's qrexec agent against a dom0 that sends
 * anything, on the control channel (port 512) and on a data channel it
 * serves (port 513, which an EXEC_CMDLINE from the input may name).  The
 * agent must run, answer or cut dom0 off, never crash.
 *
 * Input: records of a selector byte (bit 0: which channel), a length
 * byte and that many bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "qrexec_agent.h"
#include "tests/fuzz/vchan_fuzz_host.h"
#include "vchan.h"

static int handler(void *ctx, struct qrexec_call *call)
{
    if (call->service && !strcmp(call->service, "splitbed.Echo")) {
        (void)qrexec_call_out(call, call->input, call->input_len);
        return 0;
    }
    return QREXEC_AGENT_UNKNOWN;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct os *os = vfh_new();
    struct qrexec_agent *a;
    struct vchan *ctl = NULL, *dat = NULL;
    if (vchan_server_open(os, 1, "/local/domain/0/data/vchan/1/513", 65536, 65536, &dat) == 0 &&
        qrexec_agent_open(os, handler, NULL, &a) == 0) {
        if (vchan_client_open(os, 1, "/local/domain/1/data/vchan/0/512", &ctl) == 0) {
            static uint8_t junk[1 << 16];
            (void)vchan_poll(ctl);
            for (size_t i = 0; i + 2 <= size;) {
                struct vchan *to = data[i] & 1 ? dat : ctl;
                size_t n = data[i + 1];
                i += 2;
                if (n > size - i)
                    n = size - i;
                (void)vchan_write(to, data + i, n);
                i += n;
                if (qrexec_agent_poll(a) < 0)
                    break;
                (void)vchan_poll(ctl);
                (void)vchan_poll(dat);
                while (vchan_read(ctl, junk, sizeof junk) > 0)
                    ;
                while (vchan_read(dat, junk, sizeof junk) > 0)
                    ;
            }
            vchan_close(ctl);
        }
        qrexec_agent_close(a);
    }
    vchan_close(dat);
    vfh_free(os);
    return 0;
}
