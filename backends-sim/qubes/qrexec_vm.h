/*
 * qrexec_vm.h — dom0's qrexec toward one VM, over any os.h: the VM's
 * control channel (vchan port 512, the VM's agent serves it), the data
 * channels of dom0's calls into the VM, and the VM's own calls to dom0.
 * splitbed-qrexec drives it from its poll loop and its Unix socket;
 * fuzz_qrexec_daemon drives it on an in-memory host.
 *
 * The agent's HELLO is answered with its own number (protocol 2 or
 * later; data channels speak at most 3).  A call from dom0 gets the
 * first free port from 513, a data channel served there (65536-byte
 * rings) and EXEC_CMDLINE; then HELLO both ways, the caller's stdin as
 * DATA_STDIN chunks and EOF, the VM's stdout and stderr onto the
 * caller's, and the exit code back on the caller's socket (4 bytes).
 * The VM's own calls (TRIGGER_SERVICE3/4, as its HELLO said) go by the
 * allow list (qrexec_policy.h): refused with SERVICE_REFUSED and one
 * line, or answered with SERVICE_CONNECT and served by
 * qrexec_service.h.
 *
 * A VM that breaks the protocol gets one line: on the control channel it
 * is dropped and connected to afresh (open calls end with 125), on a
 * data channel that call ends with 125.
 */
#ifndef SPLITBED_QUBES_QREXEC_VM_H
#define SPLITBED_QUBES_QREXEC_VM_H

#include <poll.h>

#include "backends-sim/qubes/qrexec_policy.h"
#include "frontends/os.h"

#define QREXEC_VM_MAX_CALLS 8

struct qrexec_vm;

/* Follows domain dom's agent; its calls come from vm_name and are
 * checked against policy (not owned); dom0's service programs are in
 * services (NULL: none, every call to dom0 gets 127).  0 or a negative
 * error. */
int qrexec_vm_open(struct os *os, domid_t dom, const char *vm_name,
                   const struct qrexec_policy *policy, const char *services,
                   struct qrexec_vm **out);
/* dom0's call "USER:COMMAND": sock gets the exit code (or -1: nobody),
 * fds are the caller's stdin, stdout and stderr (each may be -1); all
 * four are the daemon's from then on.  -1 when QREXEC_VM_MAX_CALLS run
 * already (nothing taken). */
int qrexec_vm_call(struct qrexec_vm *d, int sock, const int fds[3], const char *cmdline);
/* What to wait on besides the os's descriptors (at most max): callers'
 * stdin while their call wants it, dom0's service programs. */
int qrexec_vm_poll_fds(const struct qrexec_vm *d, struct pollfd *p, int max);
/* The poll timeout in ms: 100 while the agent's channel is not there
 * yet (a client has no watch of its own), else -1. */
int qrexec_vm_timeout(const struct qrexec_vm *d);
/* Moves everything that can move now. */
void qrexec_vm_step(struct qrexec_vm *d);
/* Ends every open call with 125 and lets go of the VM. */
void qrexec_vm_close(struct qrexec_vm *d);

#endif
