/*
 * server.h — splitbed-hvd: hosts the hypervisor core for processes.
 */
#ifndef SPLITBED_HVD_SERVER_H
#define SPLITBED_HVD_SERVER_H

#define HVD_READY_FDS_MAX 4

/* Serves DIR/hv/dom* until SIGTERM/SIGINT.  Writes one line to each of
 * the nready descriptors in ready_fds once it accepts connections, and
 * closes them.  Returns the exit status. */
int hvd_run(const char *dir, const int *ready_fds, unsigned nready);

#endif
