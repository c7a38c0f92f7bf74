// The declaration in include/CFuzzing.h is all this target provides; this file gives SwiftPM a
// source to build the module from.
#include "CFuzzing.h"
