/* Processes. vfork is fork here: a vfork child runs in its parent's
 * memory, where a wrapper would use the parent's hub and loop, and glibc
 * gives no hook to tell such a child apart. POSIX lets a vfork child do
 * nothing but exec or _exit, and fork gives it that; what it cannot give
 * is the parent seeing the child's writes to memory, which POSIX leaves
 * undefined. */
#include "interpose.h"

GREEN__INTERPOSE pid_t vfork(void)
{
    return fork();
}
