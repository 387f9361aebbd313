/*
 * test_xenstored_daemon.h — start and stop a real splitbed-xenstored in
 * a private state directory, and talk xs_wire to it over its sockets.
 */
#ifndef SPLITBED_TEST_XENSTORED_DAEMON_H
#define SPLITBED_TEST_XENSTORED_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <xen/io/xs_wire.h>

struct xsd {
    pid_t pid;
    char dir[256];   /* private state dir (mkdtemp); trace in dir/trace */
    char xsdir[300]; /* dir/xs: the daemon's --dir */
    char sock[320];  /* dom0's socket */
    char env0[400];  /* "XENSTORED_PATH=…" for dom0 */
};

/* Around srunner_run_all, in the suite's own process: a base dir for
 * every test's state dir, removed at the end even if a test failed. */
void xsd_suite_begin(void);
void xsd_suite_end(void);

/* Starts the daemon; returns when it is listening (ck_assert on error).
 * It dies with the test process however that ends. */
void xsd_start(struct xsd *d);
/* SIGTERM, wait for a clean exit, check the sockets are gone, remove
 * the state dir.  Safe to call twice. */
void xsd_stop(struct xsd *d);
/* Kills a daemon left behind by a failed test (atexit-safe). */
void xsd_kill(struct xsd *d);

/* Path of domain N's socket, and the XENSTORED_PATH= string for it. */
void xsd_dom_sock(const struct xsd *d, unsigned domid, char *out, size_t size);
void xsd_dom_env(const struct xsd *d, unsigned domid, char *out, size_t size);

/* A raw client connection; -1 on failure. */
int xsd_connect(const char *sock);
/* Sends one message; 0 or -1. */
int xsd_send(int fd, uint32_t type, uint32_t req, uint32_t tx, const void *body, size_t len);
/* Receives one message (hang guard: 10 s).  Returns 0, or -1 on EOF,
 * error or timeout. body gets len bytes and a NUL. */
int xsd_recv(int fd, struct xsd_sockmsg *hdr, char *body, size_t size);
/* Sends the strings given (NULL-terminated list) and returns the reply
 * type; reply body in out (size >= XENSTORE_PAYLOAD_MAX + 1) or NULL. */
int xsd_call(int fd, uint32_t type, char *out, ...) __attribute__((sentinel));

/* What libxl writes for domain N (as dom0), then INTRODUCE. */
void xsd_make_domain(int dom0fd, unsigned domid);

#endif
