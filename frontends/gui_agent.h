/*
 * gui_agent.h — the VM's half of Qubes' GUI handshake, enough that dom0's
 * GUI daemon (guid) accepts the VM and the connection stays up.
 *
 * The VM serves vchan port 6000 to the GUI domain (dom0 unless
 * /qubes-gui-domain-xid says otherwise), sends its protocol version
 * (1.1: guid then sends no version back), reads guid's 16-byte screen
 * configuration (width, height, depth, memory), and from then on reads
 * and discards what guid sends, so guid never blocks.  It sends no
 * window of its own.
 *
 * Event-driven: gui_agent_poll() never blocks.  A guid that breaks the
 * handshake (closes before the configuration) is reported in one line;
 * the agent serves afresh.
 */
#ifndef SPLITBED_GUI_AGENT_H
#define SPLITBED_GUI_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "os.h"

#define GUI_VCHAN_PORT 6000u
#define GUI_VERSION 0x00010001u /* major << 16 | minor */

struct gui_agent;

struct gui_screen {
    uint32_t width, height, depth, mem; /* as guid sent them */
};

int gui_agent_open(struct os *os, domid_t gui_domain, struct gui_agent **out);
/* >= 0: 1 once the handshake is done, 0 before; negative on a failure
 * it cannot recover from. */
int gui_agent_poll(struct gui_agent *g);
bool gui_agent_connected(const struct gui_agent *g);
const struct gui_screen *gui_agent_screen(const struct gui_agent *g);
void gui_agent_close(struct gui_agent *g);

#endif
