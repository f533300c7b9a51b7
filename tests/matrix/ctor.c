/* A library whose constructor runs the snippet: under LD_PRELOAD it runs
 * before libgreen's own constructor (docs/design.md G5). */
#include "snippet.h"

__attribute__((constructor)) static void ctor(void)
{
    snippet("ctor");
}
