#ifndef SWIFT_CLIP_CPNG_SHIM_H
#define SWIFT_CLIP_CPNG_SHIM_H
#include <png.h>
#endif
