/*
 * xenbus_input.h — how the xenbus fuzz targets (fuzz_blkback_xenbus,
 * fuzz_netback_xenbus) read their input: lines, one step each, and in
 * them KEY=VALUE (write KEY) or KEY (remove it) for a node under a
 * directory.
 */
#ifndef SPLITBED_FUZZ_XENBUS_INPUT_H
#define SPLITBED_FUZZ_XENBUS_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The line of data starting at *at, cut to size - 1 bytes, into line;
 * *at moves past its newline.  False when it holds a NUL: not a line. */
static inline bool xi_line(const uint8_t *data, size_t len, size_t *at, char *line, size_t size)
{
    size_t end = *at;
    while (end < len && data[end] != '\n')
        end++;
    size_t n = end - *at < size - 1 ? end - *at : size - 1;
    memcpy(line, data + *at, n);
    line[n] = '\0';
    *at = end + 1;
    return strlen(line) == n;
}

/* KEY must stay inside the directory it names a node of. */
static inline bool xi_key_ok(const char *k)
{
    if (!*k || strlen(k) > 48 || k[0] == '/' || strstr(k, "//"))
        return false;
    for (const char *c = k; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
              *c == '/'))
            return false;
    return k[strlen(k) - 1] != '/';
}

/* "KEY=VALUE" or "KEY" as the path DIR/KEY, in path (cut to size), and
 * *value: what follows '=', or NULL for a removal.  False when KEY is
 * not a node name that stays inside DIR. */
static inline bool xi_key(const char *dir, const char *kv, char *path, size_t size,
                          const char **value)
{
    char key[64];
    const char *eq = strchr(kv, '=');
    size_t n = eq ? (size_t)(eq - kv) : strlen(kv);
    if (n >= sizeof key)
        return false;
    memcpy(key, kv, n);
    key[n] = '\0';
    if (!xi_key_ok(key))
        return false;
    snprintf(path, size, "%s/%s", dir, key);
    *value = eq ? eq + 1 : NULL;
    return true;
}

#endif
