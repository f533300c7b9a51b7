/* The library's identity, for programs and tests that look for it. */
#include "green.h"

#include "common.h"

const char *green_version(void)
{
    return GREEN_VERSION;
}
