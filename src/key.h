/* Per-green-thread values (green_key_*, and pthread keys later). A key is
 * an index into a global registry whose sequence number is odd while the
 * key is live; a thread's slot is valid only while its recorded sequence
 * matches, so a deleted-and-recreated key reads NULL, as in glibc. */
#ifndef GREEN_SRC_KEY_H
#define GREEN_SRC_KEY_H

#include <stdint.h>

struct green_thread;

struct green__key_slot {
    uintptr_t seq;  /* the key's sequence when value was set */
    void *value;
};

/* The green_key_* functions, returning 0 or -errno (pthread keys too):
 * create -EAGAIN (all GREEN_KEYS_MAX in use), delete -EINVAL, set
 * -EINVAL or -ENOMEM. green_getspecific serves both as it is. */
int green__key_create(unsigned *key, void (*destructor)(void *));
int green__key_delete(unsigned key);
int green__setspecific(unsigned key, const void *value);

/* Runs t's key destructors and frees its values; called as a green thread
 * ends (an OS thread's own thread runs them at the OS thread's exit). */
void green__key_run_destructors(struct green_thread *t);

#endif
