/*
 * fuzz_netfront_negotiate — netfront's xenbus handshake and its reading of
 * backend nodes, driven by a backend that writes anything in any order:
 * states, feature flags, queue counts, a MAC.  netfront must connect,
 * refuse with one log line, or turn broken; never crash, never run more
 * queues than it asked for or than it wrote in multi-queue-num-queues,
 * never become connected while the backend is not Connected.
 *
 * Input: records "K V..." separated by '\n': K (one byte) picks a backend
 * key, the rest of the line is its value; after each write netfront polls.
 * A record whose key byte is '!' sends a frame if netfront is connected:
 * the next bytes, when there are, pick its length, GSO type and size,
 * checksum flags, queue and an IPv6 ethertype; a send netfront refuses
 * must be refused with an error, not a crash.  A record whose key byte
 * is '?' starts closing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netfront.h"
#include "../unit/test_net_host.h"

static const char *const keys[] = {
    "state",
    "feature-rx-copy",
    "feature-sg",
    "feature-gso-tcpv4",
    "feature-gso-tcpv6",
    "feature-ipv6-csum-offload",
    "feature-no-csum-offload",
    "feature-rx-notify",
    "feature-split-event-channels",
    "multi-queue-max-queues",
    "mac",
    "hotplug-status",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct os *os = tnh_new();
    tnh_toolstack(os);
    struct netfront_opts o = { .max_queues = 4 };
    struct netfront *nf;
    if (netfront_open(os, "device/vif/0", &o, &nf) < 0) {
        tnh_free(os);
        return 0;
    }
    static uint8_t frame[70000] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const size_t lens[] = { 60, 0, 1514, 4097, 9000, 65536, 69999, 70000 };
    enum netfront_state was = netfront_state(nf);
    size_t i = 0;
    while (i < size) {
        size_t end = i;
        while (end < size && data[end] != '\n')
            end++;
        if (data[i] == '!') {
            const uint8_t *m = data + i + 1;
            size_t mn = end - i - 1;
            struct netfront_meta meta = {
                .gso_type = mn > 1 ? m[1] % 4 : 0,
                .gso_size = mn > 2 ? (uint16_t)(m[2] * 16) : 0,
                .csum_blank = mn > 3 && (m[3] & 1),
                .data_validated = mn > 3 && (m[3] & 2),
                .queue = mn > 3 ? m[3] >> 4 : 0,
            };
            size_t len = mn > 0 ? lens[m[0] % 8] : 60;
            frame[12] = mn > 3 && (m[3] & 4) ? 0x86 : 0x08;
            frame[13] = mn > 3 && (m[3] & 4) ? 0xdd : 0x00;
            if (netfront_state(nf) == NETFRONT_CONNECTED &&
                netfront_send(nf, frame, len, mn ? &meta : NULL) > 0) {
                fprintf(stderr, "fuzz_netfront_negotiate: a send returned more than 0\n");
                abort();
            }
        } else if (data[i] == '?') {
            (void)netfront_close(nf);
        } else {
            char val[64], path[160];
            size_t n = end - i - 1 < sizeof(val) - 1 ? end - i - 1 : sizeof(val) - 1;
            if (end == i)
                n = 0;
            else
                memcpy(val, data + i + 1, n);
            val[n] = '\0';
            snprintf(path, sizeof(path), TNH_BE "/%s",
                     keys[data[i] % (sizeof(keys) / sizeof(keys[0]))]);
            tnh_write(os, path, val);
        }
        int rc = netfront_poll(nf);
        enum netfront_state st = netfront_state(nf);
        if (st == NETFRONT_CONNECTED && was != NETFRONT_CONNECTED) {
            const char *bs = tnh_read(os, TNH_BE "/state");
            if (!bs || strtoul(bs, NULL, 10) != 4) {
                fprintf(stderr,
                        "fuzz_netfront_negotiate: connected while the backend is in "
                        "state %s\n",
                        bs ? bs : "(none)");
                abort();
            }
            uint8_t mac[6];
            struct netfront_stats nst;
            netfront_mac(nf, mac);
            netfront_stats(nf, &nst);
            (void)netfront_split_evtchn(nf);
            (void)netfront_sg(nf);
            (void)netfront_gso(nf);
            (void)netfront_csum_offload_ipv6(nf);
            const char *told = tnh_read(os, TNH_FE "/multi-queue-num-queues");
            unsigned nq = netfront_num_queues(nf);
            if (nq == 0 || nq > o.max_queues || (told ? strtoul(told, NULL, 10) != nq : nq != 1)) {
                fprintf(stderr,
                        "fuzz_netfront_negotiate: %u queues, %u allowed, the frontend wrote %s\n",
                        nq, o.max_queues, told ? told : "(none)");
                abort();
            }
        }
        if (rc < 0 && st != NETFRONT_BROKEN) {
            fprintf(stderr, "fuzz_netfront_negotiate: poll failed (%d) in state %s\n", rc,
                    netfront_state_name(st));
            abort();
        }
        if (rc < 0)
            break;
        was = st;
        i = end + 1;
    }
    netfront_free(nf);
    tnh_free(os);
    return 0;
}
