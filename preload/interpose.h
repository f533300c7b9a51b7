/* What every wrapper file includes: the real-function table, the gates
 * and waits of src/, and the attribute that exports a wrapper. preload/
 * is built without _FILE_OFFSET_BITS=64, so that `open` and `open64` are
 * two names here, as they are in the programs we interpose on. */
#ifndef GREEN_PRELOAD_INTERPOSE_H
#define GREEN_PRELOAD_INTERPOSE_H

#include "clock.h"
#include "common.h"
#include "fdtab.h"
#include "io.h"
#include "mux.h"
#include "real.h"

/* An exported libc name, unversioned (docs/design.md G2). */
#define GREEN__INTERPOSE __attribute__((visibility("default")))

/* glibc's fortify failure exit. */
extern void __chk_fail(void) __attribute__((noreturn));

#endif
