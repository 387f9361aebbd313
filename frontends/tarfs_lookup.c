/*
 * tarfs_lookup.c — finding a member by name as tar extraction does: the
 * last member of that name wins, hard links are followed.
 */
#include "tarfs_impl.h"

/* Compares member names the way extraction matches them: trailing
 * slashes do not count. */
static bool same_name(const char *a, const char *b)
{
    size_t la = os_strlen(a), lb = os_strlen(b);
    while (la > 1 && a[la - 1] == '/')
        la--;
    while (lb > 1 && b[lb - 1] == '/')
        lb--;
    return la == lb && os_memcmp(a, b, la) == 0;
}

/* Scans members whose header lies before `limit`; the last one called
 * `path` wins.  Hard links are followed to earlier members. */
static int lookup_before(struct tarfs *t, const char *path, uint64_t limit, int depth,
                         struct tarfs_file **out)
{
    struct tarfs_entry e;
    struct tarfs_file *found = NULL;
    bool is_link = false, is_dir = false, is_other = false;
    uint64_t link_at = 0;
    struct sbuf target = { 0 };
    int rc;

    *out = NULL;
    tarfs_rewind(t);
    while ((rc = tarfs_next(t, &e)) == 1) {
        if (e.header_offset >= limit)
            break;
        if (!same_name(e.name, path))
            continue;
        tarfs_file_close(found);
        found = NULL;
        is_link = is_dir = is_other = false;
        if (e.type == TARFS_DIR) {
            is_dir = true;
        } else if (e.type == TARFS_HARDLINK && e.stored_size == 0) {
            is_link = true;
            link_at = e.header_offset;
            if (tarfs_sbuf_set(t->os, &target, e.linkname, os_strlen(e.linkname))) {
                rc = -OS_ENOMEM;
                break;
            }
        } else if (e.type == TARFS_FILE || e.type == TARFS_HARDLINK) {
            if ((rc = tarfs_file_from_entry(t, &e, &found)))
                break;
        } else {
            is_other = true;
        }
    }
    if (rc == 1)
        rc = 0;
    if (rc == 0 && is_link) {
        if (depth >= 16)
            rc = -OS_EINVAL; /* a chain of links this long is not an archive tar writes */
        else
            rc = lookup_before(t, target.p, link_at, depth + 1, &found);
    }
    tarfs_sbuf_free(t->os, &target);
    if (rc == 0 && !found)
        rc = is_dir ? -OS_EISDIR : is_other ? -OS_EINVAL : -OS_ENOENT;
    *out = found;
    return rc;
}

int tarfs_lookup(struct tarfs *t, const char *path, struct tarfs_file **out)
{
    return lookup_before(t, path, ~(uint64_t)0, 0, out);
}
