/* gui_agent.c — the VM's half of the GUI handshake (gui_agent.h). */
#include "gui_agent.h"

#include "vchan.h"

static const char tag[] = "[qubes.gui]";

struct gui_agent {
    struct os *os;
    domid_t peer;
    char base[96];
    struct vchan *v;
    bool sent, done;
    uint8_t conf[16];
    unsigned got;
    struct gui_screen screen;
};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int serve(struct gui_agent *g)
{
    g->sent = g->done = false;
    g->got = 0;
    int r = vchan_server_open(g->os, g->peer, g->base, 1024, 1024, &g->v);
    if (r == 0)
        os_log(g->os, OS_LOG_INFO, "%s waiting for client...", tag);
    return r;
}

int gui_agent_open(struct os *os, domid_t gui_domain, struct gui_agent **out)
{
    struct gui_agent *g = os_calloc(os, 1, sizeof *g);
    if (!g)
        return -OS_ENOMEM;
    g->os = os;
    g->peer = gui_domain;
    vchan_qubes_path(g->base, sizeof g->base, os_domid(os), gui_domain, GUI_VCHAN_PORT);
    int r = serve(g);
    if (r < 0) {
        os_free(os, g);
        return r;
    }
    *out = g;
    return 0;
}

int gui_agent_poll(struct gui_agent *g)
{
    if (!g->v) {
        int r = serve(g);
        if (r < 0)
            return r;
    }
    int st = vchan_poll(g->v);
    if (st == VCHAN_CONNECTED && !g->sent) {
        uint8_t v[4] = { (uint8_t)GUI_VERSION, (uint8_t)(GUI_VERSION >> 8),
                         (uint8_t)(GUI_VERSION >> 16), (uint8_t)(GUI_VERSION >> 24) };
        if (vchan_send(g->v, v, 4) == 4)
            g->sent = true;
    }
    long n = 1;
    while (g->sent && !g->done && n > 0) {
        n = vchan_read(g->v, g->conf + g->got, sizeof g->conf - g->got);
        if (n > 0 && (g->got += (unsigned)n) == sizeof g->conf) {
            g->screen = (struct gui_screen){ le32(g->conf), le32(g->conf + 4), le32(g->conf + 8),
                                             le32(g->conf + 12) };
            g->done = true;
            os_log(g->os, OS_LOG_INFO,
                   "%s client connected (screen size: %ux%u depth: %u mem: %ux)", tag,
                   g->screen.width, g->screen.height, g->screen.depth, g->screen.mem);
        }
    }
    /* after the handshake: read and drop, so guid never blocks */
    uint8_t junk[512];
    while (g->done && (n = vchan_read(g->v, junk, sizeof junk)) > 0)
        ;
    if (st < 0 || n < 0 || vchan_state(g->v) == VCHAN_CLOSED) {
        if (!g->done && g->sent)
            os_log(g->os, OS_LOG_WARN, "%s the GUI daemon left before the screen configuration",
                   tag);
        else if (g->done)
            os_log(g->os, OS_LOG_INFO, "%s the GUI daemon closed the connection", tag);
        vchan_close(g->v);
        g->v = NULL;
        return serve(g) < 0 ? -OS_EIO : 0;
    }
    return g->done ? 1 : 0;
}

bool gui_agent_connected(const struct gui_agent *g)
{
    return g->done;
}

const struct gui_screen *gui_agent_screen(const struct gui_agent *g)
{
    return &g->screen;
}

void gui_agent_close(struct gui_agent *g)
{
    if (!g)
        return;
    vchan_close(g->v);
    os_free(g->os, g);
}
