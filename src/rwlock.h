/* Read-write locks in the bytes of glibc's pthread_rwlock_t. All return 0
 * or a negative errno and never set errno. */
#ifndef GREEN_SRC_RWLOCK_H
#define GREEN_SRC_RWLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* pref: glibc's kind, PTHREAD_RWLOCK_PREFER_READER_NP (0, as an all-zero
 * object), _PREFER_WRITER_NP (1, which glibc also treats as reader-
 * preferring) or _PREFER_WRITER_NONRECURSIVE_NP (2). Returns 0, -EINVAL. */
int green__rwlock_init(pthread_rwlock_t *l, int pref);

/* Wait until the deadline (absolute monotonic ns, GREEN_NEVER); flags:
 * GREEN__NOCANCEL (wait.h). Return 0, -ETIMEDOUT, -ECANCELED, -EDEADLK
 * (the caller holds the write lock), -EAGAIN (rdlock: too many readers),
 * -ENOMEM (no hub). */
int green__rwlock_rdlock(pthread_rwlock_t *l, int64_t deadline, int flags);
int green__rwlock_wrlock(pthread_rwlock_t *l, int64_t deadline, int flags);

/* Return 0, -EBUSY, -EAGAIN (tryrdlock: too many readers). */
int green__rwlock_tryrdlock(pthread_rwlock_t *l);
int green__rwlock_trywrlock(pthread_rwlock_t *l);

/* Releases the write lock if it is held, else one read lock. Returns 0,
 * or -EPERM (not locked at all). */
int green__rwlock_unlock(pthread_rwlock_t *l);

/* Returns 0, or -EBUSY (held). */
int green__rwlock_destroy(pthread_rwlock_t *l);

/* True for a process-shared rwlock (real glibc's). */
bool green__rwlock_is_foreign(const pthread_rwlock_t *l);

/* Readers one lock word can count; one more gives -EAGAIN. */
#define GREEN__RWLOCK_READERS_MAX 0x1fffffffu

#endif
