/*
 * qubes_vm.h — what dom0 runs beside a Qubes VM on the simulator:
 * splitbed-qubesdb (QubesDB for the VM, port 111) and splitbed-qrexec
 * (dom0's qrexec daemon, port 512), with their dom0 sockets in the
 * state dir.  `splitbed run` starts it when the scenario is a
 * Qubes VM; `splitbed qubesdb DOM start` starts one by hand.
 */
#ifndef SPLITBED_QUBES_VM_H
#define SPLITBED_QUBES_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* DIR/qubesdb.DOMID.sock */
const char *qubes_vm_qubesdb_socket(char *buf, size_t size, const char *dir, unsigned domid);
/* Starts splitbed-qubesdb for domain domid as a dom0 process, its log in
 * DIR/qubesdb.DOMID.log, and waits until it serves.  entries: "/K=V".
 * Returns its pid or -1 after one line saying why. */
pid_t qubes_vm_start_qubesdb(const char *dir, unsigned domid, const char *name,
                             const char *const *entries, unsigned nentries, bool quiet,
                             bool detach);

/* DIR/qrexec.DOMID.sock */
const char *qubes_vm_qrexec_socket(char *buf, size_t size, const char *dir, unsigned domid);
/* Starts splitbed-qrexec (dom0's qrexec daemon) for domain domid, its log
 * in DIR/qrexec.DOMID.log; it connects to the VM's agent whenever the
 * agent serves.  The VM's own calls come from `name` (NULL: its xenstore
 * name) and go by `allow` ("SERVICE[+ARG]@TARGET"
 * entries, --allow) and dom0 runs their programs from `services` (NULL:
 * none).  Returns its pid or -1 after one line. */
pid_t qubes_vm_start_qrexec(const char *dir, unsigned domid, const char *name,
                            const char *const *allow, unsigned nallow, const char *services,
                            bool quiet, bool detach);
/* Starts splitbed-guid (a stand-in for dom0's GUI daemon) for domain
 * domid, its log in DIR/guid.DOMID.log. */
pid_t qubes_vm_start_guid(const char *dir, unsigned domid, bool quiet, bool detach);
/* Checks one splitbed_qubesdb item ("/KEY=VALUE") of config file; -1
 * after one line naming it and the fault. */
int qubes_vm_check_entry(const char *file, const char *item);
/* Stops every splitbed-qubesdb, -qrexec and -guid of dir (pid files). */
void qubes_vm_stop_all(const char *dir);

#endif
