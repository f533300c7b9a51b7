/* Regular files and block devices: GREEN_FILE_IO (issue 7: in progress). */
#include "interpose.h"
