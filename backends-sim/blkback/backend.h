/*
 * backend.h — every vbd under this domain's backend/vbd directory.
 *
 * bb_backend_rescan() lists <home>/backend/vbd/<frontid>/<devid>, creates
 * devices that appeared, frees those whose directory went away (the
 * toolstack removed them) and steps all of them.  Any watch event can
 * call it: the devices' state machines are level-triggered.  A backend
 * limited to some devices (bb_backend_limit) serves those only.
 */
#ifndef SPLITBED_BLKBACK_BACKEND_H
#define SPLITBED_BLKBACK_BACKEND_H

#include "backends-sim/blkback/vbd.h"

struct bb_backend;

/* home is this domain's xenstore home, e.g. /local/domain/0. */
struct bb_backend *bb_backend_new(const struct bb_env *env, const char *home);
/* Limits this process to device <home>/backend/vbd/FRONTID/DEVID (call
 * once per device, before bb_backend_watch): others are left to other
 * backends.  0 or -ENOMEM. */
int bb_backend_limit(struct bb_backend *b, uint32_t frontid, uint32_t devid);
/* Limits this process to every device of frontend FRONTID (its whole
 * <home>/backend/vbd/FRONTID directory, devices added later included).
 * 0 or -ENOMEM. */
int bb_backend_limit_frontend(struct bb_backend *b, uint32_t frontid);
/* Serves <home>/backend/KIND instead of backend/vbd: KIND is "vbd" or
 * "qdisk" (the directory libxl writes for `backendtype=qdisk` disks,
 * which QEMU serves otherwise).  Call before bb_backend_watch.  0, or
 * -EINVAL for another kind. */
int bb_backend_set_kind(struct bb_backend *b, const char *home, const char *kind);
/* The directory served, e.g. /local/domain/0/backend/vbd. */
const char *bb_backend_dir(const struct bb_backend *b);
/* Watches <home>/backend/vbd (or, when limited, each listed device's
 * directory) with the given token.  0 or -errno. */
int bb_backend_watch(struct bb_backend *b, const char *token);
void bb_backend_rescan(struct bb_backend *b);
/* Serves the device bound to local port `port` (after its event). */
void bb_backend_event(struct bb_backend *b, uint32_t port);
/* Gives every device with queued requests one more turn; returns true if
 * some device still has work (the caller should not sleep). */
bool bb_backend_serve_busy(struct bb_backend *b);
/* For env->poll_rings: marks every device whose ring holds unserved
 * requests for the next bb_backend_serve_busy, and says whether one
 * does.  Reads the rings only; asks no frontend for an event. */
bool bb_backend_has_requests(struct bb_backend *b);
/* For env->poll_rings, before sleeping: the final check of every ring
 * (ring.h bb_ring_arm).  Returns true, with those devices marked as by
 * bb_backend_has_requests, when requests arrived: do not sleep.  After
 * false, each frontend's next request comes with an event. */
bool bb_backend_arm(struct bb_backend *b);
void bb_backend_check_resize(struct bb_backend *b);
unsigned bb_backend_count(const struct bb_backend *b);
/* The value of <device>/key of the first device that has one: 0, or -1
 * when none has. */
int bb_backend_read_key(const struct bb_backend *b, const char *key, char *buf, size_t len);
/* Requests served by this process so far, every device counted. */
uint64_t bb_backend_served(const struct bb_backend *b);
struct bb_vbd *bb_backend_find(const struct bb_backend *b, uint32_t frontid, uint32_t devid);
/* Frees every device; with `closed` each is switched to Closed first. */
void bb_backend_free(struct bb_backend *b, bool closed);

#endif
