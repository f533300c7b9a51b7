/* Interruptions of green waits by signal handlers (issue 7: in progress). */
#include "common.h"
