/* The offload pool (issue 7: in progress). */
#include "common.h"
