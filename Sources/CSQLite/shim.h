#ifndef SWIFT_CLIP_CSQLITE_SHIM_H
#define SWIFT_CLIP_CSQLITE_SHIM_H
#include <sqlite3.h>
#endif
