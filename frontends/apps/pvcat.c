/*
 * pvcat — the host's byte stream, carried to the guest over its network
 * device, printed on the guest's standard output.  With netback's stdio
 * backing, `printf hello | splitbed run --vif stdio -- pvcat` prints
 * hello.  Framing: frontends/net_stream.h.  The stream ends when the
 * backend closes the device; pvcat then exits 0.
 */
#include "net_app.h"
#include "net_stream.h"

static const char prog[] = "pvcat";

int app_main(struct os *os, int argc, char **argv)
{
    struct net_app_opts o;
    net_app_opts_init(&o);
    for (int i = 1; i < argc; i++) {
        int r = net_app_parse(os, prog, argc, argv, &i, &o);
        if (r < 0)
            return 2;
        if (r == 0) {
            net_app_error(os, prog, "unknown argument '%s'; usage: pvcat %s", argv[i],
                          NET_APP_USAGE);
            return 2;
        }
    }
    struct netfront *nf;
    if (net_app_connect(os, prog, &o, &nf))
        return 1;
    static uint8_t frame[NETFRONT_MAX_FRAME];
    int status = 0;
    for (;;) {
        int p = netfront_poll(nf);
        long n;
        while ((n = netfront_recv(nf, frame, sizeof frame, NULL)) != 0) {
            if (n == -OS_EPROTO)
                break;
            if (n < 0)
                continue; /* a dropped frame: counted by netfront */
            size_t plen;
            const uint8_t *pl = net_stream_payload(frame, (size_t)n, &plen);
            if (pl && !net_app_write_all(os, pl, plen)) {
                net_app_error(os, prog, "cannot write the standard output");
                status = 1;
                goto out;
            }
        }
        enum netfront_state st = netfront_state(nf);
        if (st == NETFRONT_BROKEN || p < 0) {
            net_app_error(os, prog, "%s: the backend broke the protocol; see above", o.device);
            status = 1;
            break;
        }
        if (st == NETFRONT_CLOSING)
            break; /* end of the stream, everything received */
        if (p == 0)
            os_wait(os, 0);
    }
out:
    net_app_close(os, nf);
    return status;
}
