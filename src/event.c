/* Placeholder while this file is written. */
#include "common.h"
