/* DNS and NSS lookups, on the offload pool (issue 7: in progress). */
#include "interpose.h"
