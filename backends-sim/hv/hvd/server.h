/*
 * server.h — splitbed-hvd: hosts the hypervisor core for processes.
 */
#ifndef SPLITBED_HVD_SERVER_H
#define SPLITBED_HVD_SERVER_H

/* Serves DIR/hv/dom* until SIGTERM/SIGINT.  Writes one line to ready_fd
 * (if >= 0) once it accepts connections.  Returns the exit status. */
int hvd_run(const char *dir, int ready_fd);

#endif
