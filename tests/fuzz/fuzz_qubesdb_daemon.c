/*
 * fuzz_qubesdb_daemon — dom0's QubesDB (splitbed-qubesdb's side toward
 * the VM, qubesdb_vm.h) against a VM that sends anything on vchan port
 * 111, while dom0 changes the store.  The daemon must answer or cut the
 * VM off, never crash; its store must hold only entries QubesDB accepts,
 * in order; and every byte it sends must be a message a VM accepts from
 * dom0.
 *
 * Input: records of an op byte, a length byte and that many bytes.
 *   op % 4 == 0  the VM writes the bytes on its channel (so headers may
 *                lie about their lengths, paths and types)
 *            1   dom0 writes "PATH=VALUE" (the bytes) into the store
 *            2   dom0 removes PATH (the bytes)
 *            3   the VM hangs up and connects again
 * With op bit 2 set the VM does not read what dom0 sent this time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/qubes/qubesdb_vm.h"
#include "qubesdb_proto.h"
#include "qubesdb_store.h"
#include "tests/fuzz/vchan_fuzz_host.h"
#include "vchan.h"

#define VM 1

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_qubesdb_daemon: %s\n", what);
    abort();
}

/* The VM's view of dom0's byte stream: whole messages, each checked. */
struct reader {
    uint8_t buf[QDB_HDR_SIZE + QDB_VALUE_LIMIT];
    size_t len;
};

static void check_message(const uint8_t *m)
{
    struct qdb_hdr h;
    if (qdb_hdr_decode(m, true, &h))
        fail("dom0 sent a header a VM refuses");
    const uint8_t *value = m + QDB_HDR_SIZE;
    switch (h.type) {
    case QDB_CMD_WRITE:
    case QDB_RESP_MULTIREAD:
        if (h.path[0] && !qdb_path_ok(h.path, true))
            fail("dom0 sent an entry whose path is not a key");
        if (!qdb_value_ok(value, h.data_len))
            fail("dom0 sent an entry whose value QubesDB refuses");
        break;
    case QDB_CMD_RM:
    case QDB_RESP_OK:
    case QDB_RESP_ERROR: break;
    default: fail("dom0 sent a type dom0 does not send");
    }
}

static void drain(struct vchan *v, struct reader *r)
{
    for (;;) {
        size_t need = QDB_HDR_SIZE;
        if (r->len >= QDB_HDR_SIZE) {
            uint32_t dl = (uint32_t)r->buf[68] | (uint32_t)r->buf[69] << 8 |
                          (uint32_t)r->buf[70] << 16 | (uint32_t)r->buf[71] << 24;
            if (dl >= QDB_VALUE_LIMIT)
                fail("dom0 announced a value of 3072 bytes or more");
            need += dl;
        }
        if (r->len == need) {
            check_message(r->buf);
            r->len = 0;
            continue;
        }
        long n = vchan_read(v, r->buf + r->len, need - r->len);
        if (n <= 0)
            return;
        r->len += (size_t)n;
    }
}

static void check_store(const struct qdb_store *s)
{
    const char *prev = NULL;
    for (size_t i = 0; i < qdb_store_count(s); i++) {
        const char *p = qdb_store_path(s, i);
        size_t len;
        const char *v = qdb_store_value(s, i, &len);
        if (!qdb_path_ok(p, true))
            fail("the store holds a path that is not a key");
        if (!qdb_value_ok(v, len) || v[len])
            fail("the store holds a value QubesDB refuses");
        if (prev && strcmp(prev, p) >= 0)
            fail("the store is out of order");
        prev = p;
    }
}

/* dom0's own change, as splitbed-qubesdb's local socket makes it. */
static void dom0_change(struct qdb_store *s, struct qdb_vm *d, bool rm, const uint8_t *b, size_t n)
{
    char text[256 + 1];
    memcpy(text, b, n);
    text[n] = 0;
    if (rm) {
        if (text[0] && qdb_store_rm(s, text))
            (void)qdb_vm_changed(d, QDB_CMD_RM, text, NULL, 0);
        return;
    }
    char *eq = strchr(text, '=');
    if (!eq)
        return;
    *eq = 0;
    size_t vlen = n - (size_t)(eq + 1 - text);
    if (qdb_path_ok(text, true) && qdb_value_ok(eq + 1, vlen) &&
        qdb_store_write(s, text, eq + 1, vlen) == 0)
        (void)qdb_vm_changed(d, QDB_CMD_WRITE, text, eq + 1, vlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct os *os = vfh_new();
    struct qdb_store *store = qdb_store_new(NULL);
    struct qdb_vm *d = NULL;
    struct vchan *vm = NULL;
    static struct reader rd;
    rd.len = 0;
    if (!os || !store || qdb_store_write(store, "/name", "vm1", 3) < 0 ||
        qdb_store_write(store, "/qubes-ip", "10.137.0.3", 10) < 0 ||
        qdb_store_write(store, "/qubes-service/meminfo-writer", "1", 1) < 0)
        abort();
    if (qdb_vm_open(os, VM, store, &d) < 0 || vchan_client_open(os, 0, qdb_vm_base(d), &vm) < 0)
        goto out;
    qdb_vm_step(d);
    (void)vchan_poll(vm);
    for (size_t i = 0; i + 2 <= size;) {
        unsigned op = data[i];
        size_t n = data[i + 1];
        i += 2;
        if (n > size - i)
            n = size - i;
        const uint8_t *b = data + i;
        i += n;
        switch (op & 3) {
        case 0:
            for (size_t off = 0; off < n;) {
                long w = vchan_write(vm, b + off, n - off);
                if (w <= 0)
                    break;
                off += (size_t)w;
                qdb_vm_step(d);
                if (!(op & 4))
                    drain(vm, &rd);
            }
            break;
        case 1:
        case 2: dom0_change(store, d, (op & 3) == 2, b, n); break;
        case 3:
            vchan_close(vm);
            vm = NULL;
            break;
        }
        qdb_vm_step(d);
        check_store(store);
        if (vm && vchan_poll(vm) >= 0 && vchan_state(vm) != VCHAN_CLOSED) {
            if (!(op & 4))
                drain(vm, &rd);
            continue;
        }
        /* cut off or hung up: the VM connects again to the fresh channel */
        vchan_close(vm);
        vm = NULL;
        rd.len = 0;
        qdb_vm_step(d);
        if (!qdb_vm_serving(d) || vchan_client_open(os, 0, qdb_vm_base(d), &vm) < 0)
            break;
        qdb_vm_step(d);
        (void)vchan_poll(vm);
    }
out:
    vchan_close(vm);
    qdb_vm_close(d);
    qdb_store_free(store);
    vfh_free(os);
    return 0;
}
