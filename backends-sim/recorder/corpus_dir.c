/*
 * corpus_dir.c — a bounded folder of content-named corpus entries.
 */
#include "backends-sim/recorder/corpus_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct corpus_dir {
    char path[4096];
    unsigned max, count;
    bool stopped;
    unsigned long tmp_seq;
    /* Keys seen, open-addressed; 0 marks a free slot. */
    uint64_t *keys;
    size_t cap, nkeys;
};

uint64_t corpus_hash(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static int make_dir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return 0;
        snprintf(err, errlen, "record folder %s: not a folder", path);
        return -1;
    }
    snprintf(err, errlen, "record folder %s: %s", path, strerror(errno));
    return -1;
}

static unsigned count_entries(const char *path)
{
    unsigned n = 0;
    DIR *dir = opendir(path);
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL)
        n += e->d_name[0] != '.';
    if (dir)
        closedir(dir);
    return n;
}

struct corpus_dir *corpus_dir_open(const char *root, const char *name, unsigned max, char *err,
                                   size_t errlen)
{
    if (max == 0 || max > CORPUS_DIR_MAX_ENTRIES) {
        snprintf(err, errlen, "record limit %u: not 1..%u", max, CORPUS_DIR_MAX_ENTRIES);
        return NULL;
    }
    if (!root[0]) {
        snprintf(err, errlen, "record folder: empty name");
        return NULL;
    }
    struct corpus_dir *d = calloc(1, sizeof(*d));
    if (!d) {
        snprintf(err, errlen, "record folder %s: out of memory", root);
        return NULL;
    }
    if (snprintf(d->path, sizeof(d->path), "%s/%s", root, name) >= (int)sizeof(d->path)) {
        snprintf(err, errlen, "record folder %.64s...: name too long", root);
        free(d);
        return NULL;
    }
    if (make_dir(root, err, errlen) < 0 || make_dir(d->path, err, errlen) < 0) {
        free(d);
        return NULL;
    }
    d->max = max;
    d->count = count_entries(d->path);
    d->cap = 64;
    while (d->cap < 2 * (size_t)max)
        d->cap <<= 1;
    d->keys = calloc(d->cap, sizeof(*d->keys));
    if (!d->keys) {
        snprintf(err, errlen, "record folder %s: out of memory", d->path);
        free(d);
        return NULL;
    }
    return d;
}

void corpus_dir_close(struct corpus_dir *d)
{
    if (!d)
        return;
    free(d->keys);
    free(d);
}

static bool full(const struct corpus_dir *d)
{
    return d->stopped || d->count >= d->max;
}

bool corpus_dir_seen(struct corpus_dir *d, uint64_t key)
{
    if (full(d))
        return true;
    if (key == 0)
        key = 1;
    /* Never more than max keys are kept (each new one may become an
     * entry), so the table stays at most half full. */
    size_t i = (size_t)(key ^ key >> 29) & (d->cap - 1);
    while (d->keys[i]) {
        if (d->keys[i] == key)
            return true;
        i = (i + 1) & (d->cap - 1);
    }
    if (d->nkeys >= d->max)
        return true;
    d->keys[i] = key;
    d->nkeys++;
    return false;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int corpus_dir_add(struct corpus_dir *d, const void *data, size_t len, char *err, size_t errlen)
{
    if (full(d))
        return 0;
    char final[4200], tmp[4200];
    snprintf(final, sizeof(final), "%s/%016llx", d->path,
             (unsigned long long)corpus_hash(CORPUS_HASH_INIT, data, len));
    if (access(final, F_OK) == 0)
        return 0;
    snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld-%lu", d->path, (long)getpid(), d->tmp_seq++);
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        rc = -errno;
    else {
        rc = write_all(fd, data, len);
        if (close(fd) < 0 && rc == 0)
            rc = -errno;
        if (rc == 0 && rename(tmp, final) < 0)
            rc = -errno;
        if (rc < 0)
            unlink(tmp);
    }
    if (rc < 0) {
        d->stopped = true;
        snprintf(err, errlen, "recording into %s stopped: %s", d->path, strerror(-rc));
        return rc;
    }
    d->count++;
    return 1;
}

unsigned corpus_dir_count(const struct corpus_dir *d)
{
    return d->count;
}

const char *corpus_dir_path(const struct corpus_dir *d)
{
    return d->path;
}
