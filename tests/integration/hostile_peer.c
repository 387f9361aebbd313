/* hostile_peer.c — see hostile_peer.h. */
#include "tests/integration/hostile_peer.h"

void hp_say(struct os *os, const char *s)
{
    (void)os_console_write(os, s, os_strlen(s));
}

int hp_wait_cut(struct os *os, struct vchan *v, uint64_t deadline)
{
    while (os_now_ns(os) < deadline) {
        char junk[4096];
        long n;
        while ((n = vchan_read(v, junk, sizeof junk)) > 0)
            ;
        if (n == -OS_ESHUTDOWN || vchan_poll(v) == VCHAN_CLOSED) {
            hp_say(os, "cut\n");
            vchan_close(v);
            return 0;
        }
        os_wait(os, deadline);
    }
    return 1;
}
