/*
 * limits-hog — a guest program that takes everything its domain may
 * hold, through Debian's real libxengnttab, libxenevtchn and libxenstore
 * (run on splitbed's drop-ins): grants shared through gntalloc, event
 * channels, handles, xenstore connections, children of one xenstore
 * directory.  It stops each at the first refusal and prints one line
 *
 *   grants G ENAME ports P ENAME handles H ENAME xs-conns X children C ENAME
 *
 * (how many it got, then the refusal's errno name), then holds it all
 * until its stdin closes, and tries once more to share, bind and open
 * (so the daemons see a hog that keeps asking) before it exits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#define MAX_HANDLES 4096
#define MAX_XS 1024

static const char *ename(int e)
{
    switch (e) {
    case 0: return "none";
    case ENOSPC: return "ENOSPC";
    case EMFILE: return "EMFILE";
    case EPERM: return "EPERM";
    case ECONNRESET: return "ECONNRESET";
    case EPIPE: return "EPIPE";
    case ENOMEM: return "ENOMEM";
    case EIO: return "EIO";
    case E2BIG: return "E2BIG";
    }
    return "other";
}

static xenevtchn_handle *handles[MAX_HANDLES];
static struct xs_handle *xs[MAX_XS];

int main(int argc, char **argv)
{
    unsigned peer = argc > 1 ? (unsigned)atoi(argv[1]) : 0;

    /* grants, 16 pages at a time */
    xengntshr_handle *gs = xengntshr_open(NULL, 0);
    if (!gs) {
        perror("limits-hog: xengntshr_open");
        return 1;
    }
    unsigned grants = 0;
    int gerr = 0;
    for (;;) {
        uint32_t refs[16];
        if (!xengntshr_share_pages(gs, peer, 16, refs, 1)) {
            gerr = errno;
            break;
        }
        grants += 16;
    }

    /* event channels on one handle */
    xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
    if (!ev) {
        perror("limits-hog: xenevtchn_open");
        return 1;
    }
    unsigned ports = 0;
    int perr = 0;
    for (;;) {
        if (xenevtchn_bind_unbound_port(ev, peer) < 0) {
            perr = errno;
            break;
        }
        ports++;
    }

    /* handles: evtchn handles cost the daemon most */
    unsigned nh = 0;
    int herr = 0;
    while (nh < MAX_HANDLES) {
        handles[nh] = xenevtchn_open(NULL, 0);
        if (!handles[nh]) {
            herr = errno;
            break;
        }
        nh++;
    }

    /* xenstore connections: one that the daemon closed fails its first
     * request */
    unsigned nxs = 0;
    for (unsigned i = 0; i < MAX_XS; i++) {
        struct xs_handle *h = xs_open(0);
        unsigned len;
        char *v = h ? xs_read(h, XBT_NULL, "domid", &len) : NULL;
        if (!v) {
            if (h)
                xs_close(h);
            break;
        }
        free(v);
        xs[nxs++] = h;
    }

    /* children of data/ until its record is full */
    unsigned children = 0;
    int cerr = 0;
    for (;;) {
        char path[64];
        snprintf(path, sizeof path, "data/c%u", children);
        if (!xs_write(xs[0], XBT_NULL, path, "", 0)) {
            cerr = errno;
            break;
        }
        children++;
    }

    printf("grants %u %s ports %u %s handles %u %s xs-conns %u children %u %s\n", grants,
           ename(gerr), ports, ename(perr), nh, ename(herr), nxs, children, ename(cerr));
    fflush(stdout);

    char buf[64];
    while (read(0, buf, sizeof buf) > 0)
        ;
    uint32_t ref;
    int again = xengntshr_share_pages(gs, peer, 1, &ref, 1) == NULL &&
                xenevtchn_bind_unbound_port(ev, peer) < 0 && xenevtchn_open(NULL, 0) == NULL;
    printf("again refused %s\n", again ? "yes" : "no");
    return 0;
}
