/*
 * xs_path.h — the two questions the tests' scripted xenstores ask of a
 * path: is it at or below a directory (what a watch fires for and a
 * removal takes), and a cheap hash to compare before the whole string.
 */
#ifndef SPLITBED_TESTS_XS_PATH_H
#define SPLITBED_TESTS_XS_PATH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* path is dir itself or a node below it ("/a/b" is under "/a", "/ab" is
 * not). */
static inline bool xs_path_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* FNV-1a of the path's bytes. */
static inline uint32_t xs_path_hash(const char *path)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

#endif
