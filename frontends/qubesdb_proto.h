/*
 * qubesdb_proto.h — QubesDB's messages (Qubes' include/qubesdb.h, as
 * QUBES-FACTS §3 describes them), encoded and checked.
 *
 * Every message is a 72-byte header — type (u8), path (64 bytes, NUL
 * terminated), 3 bytes of padding, data_len (u32 little-endian) — and
 * data_len bytes of value with no terminator.  The same framing runs on
 * the vchan between dom0 and a VM (port 111) and on a daemon's local
 * socket; the vchan accepts fewer types.
 */
#ifndef SPLITBED_QUBESDB_PROTO_H
#define SPLITBED_QUBESDB_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QDB_HDR_SIZE 72u
#define QDB_PATH_SIZE 64u     /* with its NUL: at most 63 characters */
#define QDB_VALUE_LIMIT 3072u /* data_len must stay below this */
#define QDB_VCHAN_PORT 111u

enum qdb_type {
    QDB_CMD_READ = 0x00,
    QDB_CMD_WRITE = 0x01,
    QDB_CMD_MULTIREAD = 0x02,
    QDB_CMD_LIST = 0x03,
    QDB_CMD_RM = 0x04,
    QDB_CMD_WATCH = 0x05,
    QDB_CMD_UNWATCH = 0x06,
    QDB_RESP_OK = 0x07,
    QDB_RESP_ERROR_NOENT = 0x08,
    QDB_RESP_ERROR = 0x09,
    QDB_RESP_READ = 0x0a,
    QDB_RESP_MULTIREAD = 0x0b,
    QDB_RESP_LIST = 0x0c,
    QDB_RESP_WATCH = 0x0d,
};

struct qdb_hdr {
    uint8_t type;
    char path[QDB_PATH_SIZE];
    uint32_t data_len;
};

/* Writes the 72 bytes of a header (padding zeroed); path must be valid
 * for the type (qdb_path_ok). */
void qdb_hdr_encode(uint8_t out[QDB_HDR_SIZE], uint8_t type, const char *path, uint32_t data_len);
/* Reads and checks a header: NULL if it is one a peer may send on this
 * link (vchan: only WRITE, MULTIREAD, RM, OK, ERROR, MULTIREAD replies),
 * otherwise a short phrase naming the fault ("has an unknown type" …). */
const char *qdb_hdr_decode(const uint8_t in[QDB_HDR_SIZE], bool on_vchan, struct qdb_hdr *out);
/* A path QubesDB stores: < 64 characters of A-Z a-z 0-9 - _ / . : @,
 * not starting with '-'; for a write also starting with '/' and not
 * ending with '/'.  "" is a valid path for MULTIREAD/LIST/terminators. */
bool qdb_path_ok(const char *path, bool for_write);
/* A value QubesDB stores: fewer than 3072 bytes, no NUL. */
bool qdb_value_ok(const void *value, size_t len);
const char *qdb_type_name(unsigned type);

#endif
