/* Per-green-thread values (green_key_*, and pthread keys later). A key is
 * an index into a global registry whose sequence number is odd while the
 * key is live; a thread's slot is valid only while its recorded sequence
 * matches, so a deleted-and-recreated key reads NULL, as in glibc. */
#ifndef GREEN_SRC_KEY_H
#define GREEN_SRC_KEY_H

#include <stdint.h>

struct green__key_slot {
    uintptr_t seq;  /* the key's sequence when value was set */
    void *value;
};

#endif
