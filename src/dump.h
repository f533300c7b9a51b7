/* The dump: every hub and every green thread in words (state, what it
 * waits on and since when, a backtrace), as text or JSON (docs/dump.md),
 * for a program that hangs. green_dump() writes one on demand;
 * GREEN_DUMP_SIGNAL names a signal that asks for one on stderr. The
 * handler only pokes a hub; the hub's async callback writes the dump in
 * normal context, so a hub busy in a computing thread dumps once that
 * thread yields. */
#ifndef GREEN_SRC_DUMP_H
#define GREEN_SRC_DUMP_H

/* Installs the GREEN_DUMP_SIGNAL handler, once, unless the signal
 * already has a handler (then one warning names the variable). Called
 * when a hub is made. */
void green__dump_setup(void);

/* Writes the dump a signal asked for, if any, to stderr. Called from
 * the hubs' async callback; one load when none was asked for. */
void green__dump_poll(void);

#endif
