#ifndef SWIFT_CLIP_CIMAGECODECS_H
#define SWIFT_CLIP_CIMAGECODECS_H

/*
 * Thin, setjmp-protected wrappers around libjpeg(-turbo) and libpng.
 *
 * Both libraries report fatal errors by calling an error handler that must not return; the only
 * portable way out is longjmp, which Swift cannot do. Every function here establishes its own
 * setjmp point, turns errors into a status code plus a message, and never lets a longjmp cross
 * into Swift. Decoding is split in two steps so that the caller can check the image dimensions
 * from the header (against a pixel limit) before allocating the output buffer.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result of a codec call.
typedef enum {
    SC_CODEC_OK = 0,
    /// The library rejected the data (message says why).
    SC_CODEC_CORRUPT = 1,
    /// The data ended before the image did.
    SC_CODEC_TRUNCATED = 2,
    /// A memory allocation failed.
    SC_CODEC_OUT_OF_MEMORY = 3,
    /// The file is valid but uses a feature this wrapper does not decode (e.g. a colour space).
    SC_CODEC_UNSUPPORTED = 4,
    /// A progressive JPEG with more scans than the limit (a known denial-of-service pattern).
    SC_CODEC_TOO_MANY_SCANS = 5,
    /// The caller passed a buffer of the wrong size or called functions out of order.
    SC_CODEC_INVALID_ARGUMENT = 6
} sc_codec_status;

/// Size of the message buffers the functions fill.
#define SC_CODEC_MESSAGE_CAPACITY 256

/* ------------------------------------------------------------------------------------------ */
/* JPEG                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/// The JPEG colour space as stored in the file.
typedef enum {
    SC_JPEG_GRAY = 1,
    SC_JPEG_RGB = 2,     /* YCbCr or RGB components, decoded to RGB by libjpeg */
    SC_JPEG_CMYK = 3,    /* CMYK or YCCK, decoded to CMYK by libjpeg and converted here */
} sc_jpeg_color;

typedef struct {
    uint32_t width;
    uint32_t height;
    int components;          /* number of components in the file */
    sc_jpeg_color color;
    int progressive;         /* 1 for a progressive (multi-scan) JPEG */
    const uint8_t *exif;     /* first APP1 "Exif\0\0" payload (after the 6-byte prefix), or NULL */
    size_t exif_length;      /* valid until sc_jpeg_close */
} sc_jpeg_header;

typedef struct sc_jpeg_decoder sc_jpeg_decoder;

/// Reads the JPEG header (markers up to the first scan). `data` must stay valid until
/// `sc_jpeg_close`. On failure `*decoder` is NULL and `message` says why.
sc_codec_status sc_jpeg_open(const uint8_t *data, size_t size, int max_scans,
                             sc_jpeg_decoder **decoder, sc_jpeg_header *header,
                             char *message, size_t message_capacity);

/// Decodes the whole image as interleaved 8-bit RGB into `pixels`, which must hold exactly
/// width * height * 3 bytes. Grayscale is replicated; CMYK/YCCK is converted the way Pillow does
/// (Adobe-inverted CMYK, then `convert("RGB")`).
sc_codec_status sc_jpeg_decode_rgb(sc_jpeg_decoder *decoder, uint8_t *pixels, size_t capacity,
                                   char *message, size_t message_capacity);

/// Releases the decoder (NULL is allowed).
void sc_jpeg_close(sc_jpeg_decoder *decoder);

/* ------------------------------------------------------------------------------------------ */
/* PNG                                                                                         */
/* ------------------------------------------------------------------------------------------ */

typedef struct {
    uint32_t width;
    uint32_t height;
    int bit_depth;           /* as stored: 1, 2, 4, 8 or 16 */
    int color_type;          /* PNG colour type as stored (0, 2, 3, 4, 6) */
    int interlaced;          /* 1 for Adam7 */
    int has_transparency;    /* alpha channel or tRNS chunk */
    int output_channels;     /* 3 (RGB) or 4 (RGBA) after the transformations below */
    const uint8_t *exif;     /* eXIf chunk payload (TIFF header first) when before IDAT, or NULL */
    size_t exif_length;      /* valid until sc_png_close */
} sc_png_header;

typedef struct sc_png_decoder sc_png_decoder;

/// Reads the PNG header (chunks up to the first IDAT) and sets up the transformations:
/// palette expanded, gray replicated to RGB, low bit depths expanded to 8 bits, 16-bit samples
/// scaled to 8 bits with rounding (v / 257). With `keep_alpha` 0 the alpha channel and tRNS are
/// dropped (output RGB); with 1, any transparency becomes an alpha channel (output RGBA).
/// `data` must stay valid until `sc_png_close`.
sc_codec_status sc_png_open(const uint8_t *data, size_t size, int keep_alpha,
                            sc_png_decoder **decoder, sc_png_header *header,
                            char *message, size_t message_capacity);

/// Decodes the whole image into `pixels` (width * height * output_channels bytes, rows packed).
sc_codec_status sc_png_decode(sc_png_decoder *decoder, uint8_t *pixels, size_t capacity,
                              char *message, size_t message_capacity);

/// Releases the decoder (NULL is allowed).
void sc_png_close(sc_png_decoder *decoder);

#ifdef __cplusplus
}
#endif

#endif
