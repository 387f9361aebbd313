/*
 * fuzz_net_backing.c — libFuzzer target for netback's host-side input:
 * the bytes a process feeds a vif through `fd:N`, read back as frames for
 * the guest until the input ends.
 *
 * Input: [0] mode (bit 0: a seqpacket socket, one frame per message;
 * otherwise a byte stream in a file); the rest is the stream, or, for
 * messages, records of a length byte and that many bytes.
 *
 * Every call must make progress: a frame, or the end (-EPIPE), or an
 * error.  A call that reports "no frame now" once the input has run out
 * is what makes netback's loop spin on a readable descriptor, so more
 * calls than the input has bytes, plus one for the end, is a failure.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends-sim/netback/nb_backing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The descriptor the backing reads: a file holding the stream, or one end
 * of a seqpacket pair whose other end sent the messages and closed. */
static int make_input(const uint8_t *data, size_t size, bool messages)
{
    if (!messages) {
        int fd = memfd_create("fuzz_net_backing", 0);
        if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) ||
            lseek(fd, 0, SEEK_SET) != 0)
            abort();
        return fd;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
        abort();
    for (size_t i = 0; i < size;) {
        size_t len = data[i++];
        if (len > size - i)
            len = size - i;
        /* An empty message reads as the peer's end: not sent. */
        if (len && send(sv[1], data + i, len, 0) != (ssize_t)len)
            abort();
        i += len;
    }
    close(sv[1]);
    return sv[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    bool messages = data[0] & 1;
    int fd = make_input(data + 1, size - 1, messages);
    char spec[32], err[256];
    snprintf(spec, sizeof spec, "fd:%d", fd);
    struct nb_backing *b;
    if (nb_backing_open(spec, &b, err, sizeof err) < 0) {
        fprintf(stderr, "fuzz_net_backing: %s\n", err);
        abort();
    }
    static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01 };
    nb_backing_set_guest_mac(b, mac);

    static uint8_t frame[65536];
    size_t calls = 0;
    for (;;) {
        long n = nb_backing_read(b, frame, sizeof frame);
        if (n == -EPIPE)
            break;
        if (n < 0) {
            fprintf(stderr, "fuzz_net_backing: read error %ld on %s\n", n, spec);
            abort();
        }
        if ((size_t)n > sizeof frame || (n > 0 && n < 14))
            abort(); /* not a whole Ethernet frame within the buffer */
        if (++calls > size + 1) {
            fprintf(stderr,
                    "fuzz_net_backing: %zu reads of %zu input bytes gave neither a frame "
                    "nor the end (spin at end of input)\n",
                    calls, size - 1);
            abort();
        }
    }
    nb_backing_free(b);
    close(fd);
    return 0;
}
