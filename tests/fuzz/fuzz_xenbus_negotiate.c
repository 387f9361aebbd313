/*
 * fuzz_xenbus_negotiate — the xenbus handshake and blkfront's reading of
 * backend nodes, driven by a backend that writes anything in any order.
 *
 * Input: records "K V..." separated by '\n': K (one byte) picks a backend
 * key, the rest of the line is its value; after each write blkfront polls.
 * A record whose key byte is '!' lets the scripted backend take one step
 * (map the ring, answer a state change).
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "blkfront.h"
#include "../unit/test_blkfront_host.h"

static const char *const keys[] = {
    "state",
    "max-ring-page-order",
    "max-ring-pages",
    "sectors",
    "sector-size",
    "physical-sector-size",
    "info",
    "mode",
    "feature-flush-cache",
    "feature-barrier",
    "feature-persistent",
    "feature-discard",
    "discard-granularity",
    "discard-alignment",
    "discard-secure",
    "feature-max-indirect-segments",
    "hotplug-status",
};

static void closer(void *arg)
{
    th_write(arg, BE_DIR "/state", "6");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct os *os = th_new();
    struct fake_be be;
    th_toolstack(os);
    fake_be_init(&be, os, 64);
    be.max_order = 4;
    struct blkfront *bf;
    if (blkfront_open(os, "xvda", NULL, &bf) < 0)
        abort();
    size_t i = 0;
    while (i < size) {
        size_t end = i;
        while (end < size && data[end] != '\n')
            end++;
        if (data[i] == '!') {
            fake_be_step(&be);
        } else {
            char val[64], path[128];
            size_t n = end - i - 1 < sizeof(val) - 1 ? end - i - 1 : sizeof(val) - 1;
            if (end == i)
                n = 0;
            else
                memcpy(val, data + i + 1, n);
            val[n] = '\0';
            if (memchr(val, '\0', n))
                n = strlen(val);
            snprintf(path, sizeof(path), BE_DIR "/%s",
                     keys[data[i] % (sizeof(keys) / sizeof(keys[0]))]);
            th_write(os, path, val);
        }
        if (blkfront_poll(bf) < 0)
            break;
        i = end + 1;
    }
    th_on_wait(os, closer, os);
    blkfront_close(bf);
    fake_be_fini(&be);
    th_free(os);
    return 0;
}
