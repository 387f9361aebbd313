/* Loading libxlutil on first use (xlu_lib.h). */
#include "xlu_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

/* The soname the linker would have recorded, found at build time. */
#ifndef XLU_SONAME
#define XLU_SONAME "libxlutil.so"
#endif

static struct xlu_lib lib;
static bool loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    void *h = dlopen(XLU_SONAME, RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "splitbed: cannot load xl's parser: %s\n", dlerror());
        return;
    }
    /* libxenlight's functions come through libxlutil's handle, which
     * searches the libraries it depends on. */
#define XLU_LIB_LOOKUP(f)                                                        \
    if (!(lib.f = (__typeof__(f) *)dlsym(h, #f))) {                              \
        fprintf(stderr, "splitbed: xl's parser %s has no %s\n", XLU_SONAME, #f); \
        return;                                                                  \
    }
    XLU_LIB_FUNCS(XLU_LIB_LOOKUP)
#undef XLU_LIB_LOOKUP
    loaded = true;
}

const struct xlu_lib *xlu_lib(void)
{
    pthread_once(&once, load);
    return loaded ? &lib : NULL;
}
