#ifndef SWIFT_CLIP_CZLIB_SHIM_H
#define SWIFT_CLIP_CZLIB_SHIM_H
#include <zlib.h>
#endif
