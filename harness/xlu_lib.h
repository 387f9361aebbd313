/*
 * xlu_lib.h — Debian's libxlutil (xl's parser of disk specs and xl.cfg
 * files) and the few libxenlight calls that go with it, loaded the first
 * time a run or a hot-plug has something to parse.
 *
 * libxlutil brings libxenlight and with it some twenty libraries
 * (libxenctrl, libxenguest, compression …).  Linked into `splitbed`,
 * the dynamic loader would map and relocate all of them before every
 * command, most of which parse nothing; loaded here, only a command
 * that parses pays, and `splitbed run` can do it while the simulator
 * starts.  The functions are the libraries' own, with their own types.
 */
#ifndef SPLITBED_XLU_LIB_H
#define SPLITBED_XLU_LIB_H

#include <libxl.h>
#include <libxlutil.h>

#define XLU_LIB_FUNCS(X)         \
    X(xlu_cfg_init)              \
    X(xlu_cfg_readfile)          \
    X(xlu_cfg_destroy)           \
    X(xlu_cfg_get_list)          \
    X(xlu_cfg_get_listitem)      \
    X(xlu_cfg_get_string)        \
    X(xlu_disk_parse)            \
    X(libxl_device_disk_init)    \
    X(libxl_device_disk_dispose) \
    X(libxl_disk_format_to_string)

struct xlu_lib {
#define XLU_LIB_MEMBER(f) __typeof__(f) *f;
    XLU_LIB_FUNCS(XLU_LIB_MEMBER)
#undef XLU_LIB_MEMBER
};

/* The library, loaded on the first call (thread-safe).  NULL, with one
 * line on stderr saying why, when it cannot be loaded. */
const struct xlu_lib *xlu_lib(void);

#endif
