/*
 * test_net_host.h — one process holding both ends of a vif for netfront
 * and netback unit tests and fuzz targets: an in-memory os.h for the
 * guest (domain 1) and an nb_env for the backend (domain 0) over the same
 * xenstore, grant table and event channels.
 *
 * Both drivers are the real ones; the host is hand-written so that tests
 * can reach past either driver and play a hostile or odd peer through the
 * same tables (a frontend that lies about its rings, keys or slots, a
 * backend that sends bad responses or storms of events).
 */
#ifndef TEST_NET_HOST_H
#define TEST_NET_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"
#include "backends-sim/netback/nb_env.h"

#define TNH_FE "/local/domain/1/device/vif/0"
#define TNH_BE "/local/domain/0/backend/vif/1/0"
#define TNH_MAC "00:16:3e:00:00:01"

struct os *tnh_new(void);
void tnh_free(struct os *os);
const struct nb_env *tnh_env(struct os *os);

/* The nodes libxl writes for vif 0 of domain 1. */
void tnh_toolstack(struct os *os);

void tnh_write(struct os *os, const char *path, const char *val);
void tnh_rm(struct os *os, const char *path);
const char *tnh_read(struct os *os, const char *path); /* NULL if absent */

/* Page behind a grant, NULL if not granted. */
void *tnh_gref(struct os *os, grant_ref_t ref);
/* Makes copies with this ref fail (GNTST_bad_gntref). 0 = none. */
void tnh_poison_ref(struct os *os, grant_ref_t ref);
/* Number of maps the backend holds. */
unsigned tnh_maps(struct os *os);

/* Backend side: next fired watch token (1) or none (0); next pending
 * backend port (1) or none (0). */
int tnh_be_next_watch(struct os *os, char *token, size_t size);
int tnh_be_next_event(struct os *os, evtchn_port_t *port);

/* Everything logged by the guest, newline separated. */
const char *tnh_log(struct os *os);

/* For fuzz targets that keep one host between inputs: tnh_mark() notes
 * where the grant table, the ports, the queued watch events, the maps
 * and the log stand; tnh_rewind() forgets every grant made since, every
 * port's pending bit and binding change, the watch events queued since
 * and the log written since.  Xenstore is left as it is. */
void tnh_mark(struct os *os);
void tnh_rewind(struct os *os);

#endif
