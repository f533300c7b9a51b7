/* Signal dispositions and the waits for signals (issue 7: in progress). */
#include "interpose.h"
