/*
 * vchan-hostile MODE CLIENT PATH — a vchan server that breaks the ring
 * protocol, to prove a client cuts it off.  Built on os.h directly (not
 * on frontends/vchan.c): it writes the shared page by hand.
 *   order   a ring order of 30
 *   grants  a 1 KiB ring in the page and a 1 MiB one: its 256 grants
 *           would run into the small ring
 *   prod    once the client is in, a producer index far past the ring
 *   live    once the client is in, a live byte of 9
 * Prints "ready" once published, then "cut" when the client has closed
 * its end (cli_live 0); exits 0 then, 1 after 30 s without it.
 */
#include <xen/io/libxenvchan.h>

#include "os.h"

static void say(struct os *os, const char *s)
{
    (void)os_console_write(os, s, os_strlen(s));
}

int app_main(struct os *os, int argc, char **argv)
{
    uint64_t peer;
    if (argc != 4 || os_parse_u64(argv[2], &peer) < 0)
        return 2;
    const char *mode = argv[1], *base = argv[3];
    evtchn_port_t port;
    void *page;
    grant_ref_t ref;
    if (os_evtchn_alloc_unbound(os, (domid_t)peer, &port) < 0 ||
        os_share_pages(os, (domid_t)peer, 1, true, &page, &ref) < 0)
        return 1;
    struct vchan_interface *s = page;
    s->left_order = 10;
    s->right_order = 11;
    if (!os_strcmp(mode, "order"))
        s->left_order = 30;
    if (!os_strcmp(mode, "grants"))
        s->right_order = 20; /* 256 grants run into the ring at 1024 */
    s->cli_live = 2;
    s->srv_live = 1;
    s->cli_notify = VCHAN_NOTIFY_WRITE;
    char path[256], val[16];
    os_snprintf(path, sizeof path, "%s/ring-ref", base);
    os_snprintf(val, sizeof val, "%u", (unsigned)ref);
    if (os_xs_write(os, 0, path, val) < 0 || os_xs_allow_read(os, 0, path, (domid_t)peer) < 0)
        return 1;
    os_snprintf(path, sizeof path, "%s/event-channel", base);
    os_snprintf(val, sizeof val, "%u", (unsigned)port);
    if (os_xs_write(os, 0, path, val) < 0 || os_xs_allow_read(os, 0, path, (domid_t)peer) < 0)
        return 1;
    say(os, "ready\n");
    uint64_t deadline = os_now_ns(os) + 30000000000ull;
    bool struck = false;
    while (os_now_ns(os) < deadline) {
        evtchn_port_t p;
        while (os_evtchn_next_pending(os, &p) > 0)
            ;
        uint8_t cli = __atomic_load_n(&s->cli_live, __ATOMIC_ACQUIRE);
        if (cli == 0) {
            say(os, "cut\n");
            return 0;
        }
        if (cli == 1 && !struck) {
            if (!os_strcmp(mode, "prod"))
                __atomic_store_n(&s->right.prod, 0x7fffffffu, __ATOMIC_RELEASE);
            if (!os_strcmp(mode, "live"))
                __atomic_store_n(&s->srv_live, 9, __ATOMIC_RELEASE);
            struck = true;
            (void)os_evtchn_notify(os, port);
        }
        (void)os_wait(os, deadline);
    }
    return 1;
}
