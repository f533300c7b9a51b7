/* Waits for child processes (issue 7: in progress). */
#include "common.h"
