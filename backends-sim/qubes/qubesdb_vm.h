/*
 * qubesdb_vm.h — dom0's QubesDB as one VM sees it: the channel served on
 * vchan port 111 (4096-byte rings, as Qubes' daemon) and everything the
 * VM sends on it, over any os.h.  splitbed-qubesdb drives it from its
 * poll loop; fuzz_qubesdb_daemon drives it on an in-memory host.
 *
 * The VM's first message is MULTIREAD: every entry under its prefix goes
 * out in descending order, then the terminator.  Its writes and
 * removals are applied to the store and answered RESP_OK or RESP_ERROR.
 * A VM that breaks the protocol (a header QubesDB would refuse, a type
 * that has no place between domains, a second dump, replies it does not
 * read) gets one line in the log and a fresh channel; a VM that closes
 * the channel is served again.
 */
#ifndef SPLITBED_QUBES_QUBESDB_VM_H
#define SPLITBED_QUBES_QUBESDB_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frontends/os.h"
#include "frontends/qubesdb_store.h"

struct qdb_vm;

/* Serves domain dom under /local/domain/SELF/data/vchan/DOM/111 with
 * store (not owned).  0 or a negative error, logged in one line. */
int qdb_vm_open(struct os *os, domid_t dom, struct qdb_store *store, struct qdb_vm **out);
/* Follows the channel: the VM's messages, the replies, a reconnect. */
void qdb_vm_step(struct qdb_vm *v);
/* dom0 changed the store (QDB_CMD_WRITE with the value, or QDB_CMD_RM):
 * the VM follows once it has the database.  true when something went
 * out, so the caller steps the channel soon. */
bool qdb_vm_changed(struct qdb_vm *v, uint8_t type, const char *path, const char *value,
                    size_t len);
/* false while no channel is served (the last attempt failed). */
bool qdb_vm_serving(const struct qdb_vm *v);
const char *qdb_vm_base(const struct qdb_vm *v);
void qdb_vm_close(struct qdb_vm *v);

#endif
