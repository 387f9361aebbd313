/*
 * qrexec_service.h — dom0 answering a VM's own qrexec call (QUBES-FACTS
 * §4.6 steps 4 and 5): dom0 connects to the data channel the VM serves,
 * reads its HELLO and answers, then runs the service program
 * DIR/SERVICE+ARG, or DIR/SERVICE with ARG as its argument (as
 * /etc/qubes-rpc is searched), with QREXEC_REMOTE_DOMAIN and
 * QREXEC_SERVICE_ARGUMENT set.  The VM's stdin chunks go to the program
 * as they come, its stdout and stderr back as DATA_STDOUT/DATA_STDERR,
 * then both EOFs and its exit code (127 when there is no such program).
 * No more of the program's output is read while the VM has not read
 * what went before, and no more stdin while the program has not taken it.
 */
#ifndef SPLITBED_QUBES_QREXEC_SERVICE_H
#define SPLITBED_QUBES_QREXEC_SERVICE_H

#include <poll.h>

#include "frontends/os.h"

struct qrexec_service;

/* Starts following the channel /local/domain/VM/data/vchan/0/PORT.
 * 0 or a negative error. */
int qrexec_service_start(struct os *os, domid_t vm, const char *vm_name, unsigned port,
                         const char *dir, const char *service, struct qrexec_service **out);
/* Descriptors to wait on besides the event channel (at most 4). */
int qrexec_service_poll_fds(const struct qrexec_service *s, struct pollfd *p, int max);
/* Moves what can move now: 1 while the call goes on, 0 once it is over
 * (the exit code sent, or the channel gone); then free it. */
int qrexec_service_step(struct qrexec_service *s);
void qrexec_service_free(struct qrexec_service *s);

#endif
