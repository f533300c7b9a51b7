/* What libev needs from libgreen when libev.a is linked into libgreen.so
 * (src/meson.build, option static_libev). objcopy renamed libev's one
 * reference to libc data, `stderr`, which it reads only to print that an
 * allocation failed before it aborts, to this pointer: a position-
 * dependent load of libc's own variable cannot be linked into a shared
 * object, a load of ours can. It names the stream stderr names at start
 * (glibc's _IO_2_1_stderr_), so a program that assigns stderr later does
 * not move that one message. Built into libgreen.so only. */
#include <stdio.h>

extern FILE _IO_2_1_stderr_;

__attribute__((visibility("hidden"))) FILE *green__ev_stderr = &_IO_2_1_stderr_;
