/* Placement: which hub a new pthread runs on, for life. See place.c. */
#ifndef GREEN_SRC_PLACE_H
#define GREEN_SRC_PLACE_H

#include <pthread.h>

struct green__hub;

/* The hub for a new thread that pthread_create makes with attr (may be
 * NULL), started if it was not yet; NULL if it must be the caller's own
 * (one hub, or a start failed). */
struct green__hub *green__place(const pthread_attr_t *attr);

#endif
