#ifndef SWIFT_CLIP_COPENBLAS_SHIM_H
#define SWIFT_CLIP_COPENBLAS_SHIM_H
// OpenBLAS's CBLAS interface (Debian: libopenblas-dev puts it under the openblas-pthread
// include directory, which pkg-config's openblas.pc adds to the search path) and LAPACKE
// (liblapacke-dev).
#include <cblas.h>
#include <lapacke.h>
#endif
