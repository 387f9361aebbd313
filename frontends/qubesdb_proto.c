/* qubesdb_proto.c — QubesDB's framing (qubesdb_proto.h). */
#include "qubesdb_proto.h"

#include "os.h"

static bool path_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '/' || c == '.' || c == ':' || c == '@';
}

static bool has_nul(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!p[i])
            return true;
    return false;
}

bool qdb_path_ok(const char *path, bool for_write)
{
    size_t n = os_strlen(path);
    if (n >= QDB_PATH_SIZE || (n && path[0] == '-'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!path_char(path[i]))
            return false;
    if (for_write && (n < 2 || path[0] != '/' || path[n - 1] == '/'))
        return false;
    return true;
}

bool qdb_value_ok(const void *value, size_t len)
{
    const uint8_t *v = value;
    if (len >= QDB_VALUE_LIMIT)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!v[i])
            return false;
    return true;
}

void qdb_hdr_encode(uint8_t out[QDB_HDR_SIZE], uint8_t type, const char *path, uint32_t data_len)
{
    os_memset(out, 0, QDB_HDR_SIZE);
    out[0] = type;
    size_t n = os_strlen(path);
    if (n >= QDB_PATH_SIZE)
        n = QDB_PATH_SIZE - 1;
    os_memcpy(out + 1, path, n);
    out[68] = (uint8_t)data_len;
    out[69] = (uint8_t)(data_len >> 8);
    out[70] = (uint8_t)(data_len >> 16);
    out[71] = (uint8_t)(data_len >> 24);
}

const char *qdb_hdr_decode(const uint8_t in[QDB_HDR_SIZE], bool on_vchan, struct qdb_hdr *out)
{
    out->type = in[0];
    os_memcpy(out->path, in + 1, QDB_PATH_SIZE);
    out->data_len =
        (uint32_t)in[68] | (uint32_t)in[69] << 8 | (uint32_t)in[70] << 16 | (uint32_t)in[71] << 24;
    if (out->type > QDB_RESP_WATCH)
        return "has an unknown type";
    if (on_vchan && out->type != QDB_CMD_WRITE && out->type != QDB_CMD_MULTIREAD &&
        out->type != QDB_CMD_RM && out->type != QDB_RESP_OK && out->type != QDB_RESP_ERROR &&
        out->type != QDB_RESP_MULTIREAD)
        return "has a type not allowed between domains";
    if (!has_nul(out->path, QDB_PATH_SIZE))
        return "has a path with no terminator";
    if (!qdb_path_ok(out->path, false))
        return "has a path with characters QubesDB does not allow";
    if (out->data_len >= QDB_VALUE_LIMIT)
        return "announces a value of 3072 bytes or more";
    bool carries =
        out->type == QDB_CMD_WRITE || out->type == QDB_RESP_READ || out->type == QDB_RESP_MULTIREAD;
    if (!carries && out->data_len)
        return "carries a value where none belongs";
    if (out->type == QDB_CMD_WRITE && !qdb_path_ok(out->path, true))
        return "writes a path that is not a key";
    return NULL;
}

const char *qdb_type_name(unsigned type)
{
    static const char *const names[] = { "CMD_READ",    "CMD_WRITE", "CMD_MULTIREAD",
                                         "CMD_LIST",    "CMD_RM",    "CMD_WATCH",
                                         "CMD_UNWATCH", "RESP_OK",   "RESP_ERROR_NOENT",
                                         "RESP_ERROR",  "RESP_READ", "RESP_MULTIREAD",
                                         "RESP_LIST",   "RESP_WATCH" };
    return type < sizeof names / sizeof names[0] ? names[type] : "unknown";
}
