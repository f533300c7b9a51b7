/* system and popen/pclose made green: commands run by /bin/sh.
 *
 * They spawn /bin/sh with posix_spawn as glibc does (its own waitpid,
 * inside libc, would block the OS thread: docs/design.md G3), and wait
 * for the shell with the waits of proc.h. All return -errno on failure. */
#ifndef GREEN_SRC_SHELL_H
#define GREEN_SRC_SHELL_H

#include <limits.h>
#include <stdio.h>

/* system(3) with glibc's rules (SIGINT and SIGQUIT ignored and SIGCHLD
 * blocked while it runs, counted across concurrent calls), waiting
 * green. Returns the wait status (W_EXITCODE(127, 0) if the shell could
 * not be spawned; then *spawn_err is that error, else 0), or -errno. A
 * NULL line asks whether a shell is available: 1 or 0. May yield. */
int green__shell_system(const char *line, int *spawn_err);

/* popen(3) as glibc's: modes "r" and "w", with 'e' for close-on-exec;
 * the streams of earlier popen calls are closed in the child. Returns 0
 * and the stream in *out, or -errno. */
int green__shell_popen(const char *command, const char *mode, FILE **out);

/* GREEN__SHELL_NOT_OURS: pclose of a stream that green__shell_popen did not
 * make (glibc's pclose is then fclose). */
#define GREEN__SHELL_NOT_OURS INT_MIN

/* pclose(3): closes a stream of green__shell_popen and waits for its
 * child. Returns the wait status, -errno (-ECHILD if another wait took
 * the child; the close's error if the stream failed to flush and the
 * child exited 0, as glibc), or GREEN__SHELL_NOT_OURS. May yield. */
int green__shell_pclose(FILE *fp);

#endif
