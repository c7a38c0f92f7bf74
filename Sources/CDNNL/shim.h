// oneDNN's C API (Debian: libdnnl-dev, oneDNN 2.6). The argument-index macros are re-declared as
// constants because Swift does not import macros defined in terms of other macros.
#include <oneapi/dnnl/dnnl.h>

static const int clip_dnnl_arg_src = DNNL_ARG_SRC;
static const int clip_dnnl_arg_weights = DNNL_ARG_WEIGHTS;
static const int clip_dnnl_arg_bias = DNNL_ARG_BIAS;
static const int clip_dnnl_arg_dst = DNNL_ARG_DST;
static const int clip_dnnl_arg_from = DNNL_ARG_FROM;
static const int clip_dnnl_arg_to = DNNL_ARG_TO;
static const int clip_dnnl_arg_scratchpad = DNNL_ARG_SCRATCHPAD;
