/*
 * PNG decoding through libpng, with errors turned into status codes.
 * See include/CImageCodecs.h for the contract.
 */
#include "CImageCodecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

struct sc_png_decoder {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t size;
    size_t offset;
    sc_codec_status status;       /* set before png_error when the cause is known */
    char message[SC_CODEC_MESSAGE_CAPACITY];
    int header_read;
    int decoded;
    uint32_t width;
    uint32_t height;
    int output_channels;
    png_bytep *volatile rows;     /* row pointers for png_read_image */
};

static void copy_message(char *destination, size_t capacity, const char *text) {
    if (destination == NULL || capacity == 0) return;
    snprintf(destination, capacity, "%s", text);
}

static void sc_png_error(png_structp png, png_const_charp text) {
    struct sc_png_decoder *decoder = (struct sc_png_decoder *)png_get_error_ptr(png);
    if (decoder->status == SC_CODEC_OK) {
        decoder->status = SC_CODEC_CORRUPT;
        copy_message(decoder->message, sizeof decoder->message, text ? text : "PNG error");
    }
    png_longjmp(png, 1);
}

/* Warnings (bad ancillary chunks, CRC errors in them, ...) are ignored, as Pillow does. */
static void sc_png_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void sc_png_read(png_structp png, png_bytep destination, size_t length) {
    struct sc_png_decoder *decoder = (struct sc_png_decoder *)png_get_io_ptr(png);
    if (length > decoder->size - decoder->offset) {
        decoder->status = SC_CODEC_TRUNCATED;
        copy_message(decoder->message, sizeof decoder->message, "premature end of PNG data");
        png_error(png, "premature end of PNG data");
    }
    memcpy(destination, decoder->data + decoder->offset, length);
    decoder->offset += length;
}

void sc_png_close(sc_png_decoder *decoder) {
    if (decoder == NULL) return;
    if (decoder->png != NULL) {
        png_destroy_read_struct(&decoder->png, decoder->info ? &decoder->info : NULL, NULL);
    }
    free((void *)decoder->rows);
    free(decoder);
}

static sc_codec_status fail(struct sc_png_decoder *decoder, char *message, size_t capacity) {
    sc_codec_status status = decoder->status == SC_CODEC_OK ? SC_CODEC_CORRUPT : decoder->status;
    copy_message(message, capacity, decoder->message[0] ? decoder->message : "PNG error");
    return status;
}

/* libpng 1.6.39 allocates some chunks before the first IDAT (eXIf) at their declared length,
 * before reading their data: a PNG of 200 bytes declaring a 1.2 GB eXIf chunk took 1.2 GB
 * (found by Fuzz/FuzzImage). No chunk can hold more bytes than the data has left, so the chunks
 * up to the first IDAT are checked here before libpng reads them (libpng reads nothing past
 * the image data: no png_read_end). Writes the message and returns 0 for a chunk that does not
 * fit; a truncated IDAT is left to libpng, which reads image data in pieces. */
static int chunks_fit_before_image_data(const uint8_t *data, size_t size, char *message, size_t capacity) {
    size_t offset = 8;
    while (size - offset >= 8) {
        const uint8_t *p = data + offset;
        uint32_t length = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
        int is_idat = p[4] == 'I' && p[5] == 'D' && p[6] == 'A' && p[7] == 'T';
        if (is_idat) return 1;
        size_t left = size - offset - 8;
        /* The chunk's data and its 4-byte CRC. */
        if ((uint64_t)length + 4 > (uint64_t)left) {
            char type[5];
            for (int i = 0; i < 4; i++) type[i] = (p[4 + i] >= 0x20 && p[4 + i] < 0x7f) ? (char)p[4 + i] : '?';
            type[4] = 0;
            snprintf(message, capacity, "PNG chunk %s at byte %zu declares %u bytes, more than the %zu left in the data",
                     type, offset, (unsigned)length, left >= 4 ? left - 4 : 0);
            return 0;
        }
        offset += 12 + (size_t)length;
    }
    return 1;
}

sc_codec_status sc_png_open(const uint8_t *data, size_t size, int keep_alpha,
                            sc_png_decoder **out_decoder, sc_png_header *header,
                            char *message, size_t message_capacity) {
    if (out_decoder == NULL || header == NULL) return SC_CODEC_INVALID_ARGUMENT;
    *out_decoder = NULL;
    memset(header, 0, sizeof *header);
    if (data == NULL || size < 8) {
        copy_message(message, message_capacity, "premature end of PNG data");
        return SC_CODEC_TRUNCATED;
    }
    if (png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        copy_message(message, message_capacity, "not a PNG signature");
        return SC_CODEC_CORRUPT;
    }
    if (!chunks_fit_before_image_data(data, size, message, message_capacity)) return SC_CODEC_TRUNCATED;

    struct sc_png_decoder *decoder = calloc(1, sizeof *decoder);
    if (decoder == NULL) {
        copy_message(message, message_capacity, "out of memory");
        return SC_CODEC_OUT_OF_MEMORY;
    }
    decoder->data = data;
    decoder->size = size;
    decoder->status = SC_CODEC_OK;

    decoder->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, decoder, sc_png_error, sc_png_warning);
    if (decoder->png == NULL) {
        free(decoder);
        copy_message(message, message_capacity, "out of memory");
        return SC_CODEC_OUT_OF_MEMORY;
    }
    decoder->info = png_create_info_struct(decoder->png);
    if (decoder->info == NULL) {
        sc_png_close(decoder);
        copy_message(message, message_capacity, "out of memory");
        return SC_CODEC_OUT_OF_MEMORY;
    }

    if (setjmp(png_jmpbuf(decoder->png))) {
        sc_codec_status status = fail(decoder, message, message_capacity);
        sc_png_close(decoder);
        memset(header, 0, sizeof *header);
        return status;
    }

    png_set_read_fn(decoder->png, decoder, sc_png_read);
    /* The caller enforces its own pixel limit from the header; let libpng report any size. */
    png_set_user_limits(decoder->png, 0x7fffffffU, 0x7fffffffU);
    png_read_info(decoder->png, decoder->info);

    png_uint_32 width = 0, height = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(decoder->png, decoder->info, &width, &height, &bit_depth, &color_type, &interlace,
                 NULL, NULL);
    int has_trns = png_get_valid(decoder->png, decoder->info, PNG_INFO_tRNS) ? 1 : 0;
    int has_alpha_channel = (color_type & PNG_COLOR_MASK_ALPHA) ? 1 : 0;

    header->width = width;
    header->height = height;
    header->bit_depth = bit_depth;
    header->color_type = color_type;
    header->interlaced = interlace == PNG_INTERLACE_ADAM7 ? 1 : 0;
    header->has_transparency = (has_trns || has_alpha_channel) ? 1 : 0;

    /* Transformations to 8-bit RGB or RGBA. */
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(decoder->png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(decoder->png);
    if (keep_alpha) {
        if (has_trns) png_set_tRNS_to_alpha(decoder->png);
    } else if (has_alpha_channel || has_trns) {
        /* Palette and low-bit-depth expansion also turn tRNS into alpha; drop it afterwards. */
        png_set_strip_alpha(decoder->png);
    }
    if (bit_depth == 16) png_set_scale_16(decoder->png);
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
        png_set_gray_to_rgb(decoder->png);
    }
    if (header->interlaced) png_set_interlace_handling(decoder->png);
    png_read_update_info(decoder->png, decoder->info);

    int channels = png_get_channels(decoder->png, decoder->info);
    int out_depth = png_get_bit_depth(decoder->png, decoder->info);
    if (out_depth != 8 || !(channels == 3 || channels == 4) || (!keep_alpha && channels != 3)) {
        snprintf(decoder->message, sizeof decoder->message,
                 "unexpected PNG output format (%d channels, %d bits)", channels, out_depth);
        decoder->status = SC_CODEC_UNSUPPORTED;
        sc_codec_status status = fail(decoder, message, message_capacity);
        sc_png_close(decoder);
        memset(header, 0, sizeof *header);
        return status;
    }
    header->output_channels = channels;

#ifdef PNG_eXIf_SUPPORTED
    {
        png_uint_32 exif_length = 0;
        png_bytep exif = NULL;
        if (png_get_eXIf_1(decoder->png, decoder->info, &exif_length, &exif) != 0 && exif != NULL) {
            header->exif = exif;
            header->exif_length = exif_length;
        }
    }
#endif

    decoder->width = width;
    decoder->height = height;
    decoder->output_channels = channels;
    decoder->header_read = 1;
    *out_decoder = decoder;
    return SC_CODEC_OK;
}

sc_codec_status sc_png_decode(sc_png_decoder *decoder, uint8_t *pixels, size_t capacity,
                              char *message, size_t message_capacity) {
    if (decoder == NULL || pixels == NULL || !decoder->header_read || decoder->decoded) {
        copy_message(message, message_capacity, "decoder used out of order");
        return SC_CODEC_INVALID_ARGUMENT;
    }
    size_t width = decoder->width, height = decoder->height;
    size_t row_bytes = width * (size_t)decoder->output_channels;
    if (width == 0 || height == 0 || capacity / row_bytes < height || capacity != row_bytes * height ||
        png_get_rowbytes(decoder->png, decoder->info) != row_bytes) {
        copy_message(message, message_capacity, "output buffer does not match the image size");
        return SC_CODEC_INVALID_ARGUMENT;
    }
    decoder->decoded = 1;

    decoder->rows = malloc(height * sizeof(png_bytep));
    if (decoder->rows == NULL) {
        copy_message(message, message_capacity, "out of memory");
        return SC_CODEC_OUT_OF_MEMORY;
    }
    for (size_t y = 0; y < height; y++) decoder->rows[y] = pixels + y * row_bytes;

    if (setjmp(png_jmpbuf(decoder->png))) {
        return fail(decoder, message, message_capacity);
    }
    /* Handles interlacing (all passes) as well. The end of the file (IEND) is not required,
       matching Pillow, which stops reading after the image data. */
    png_read_image(decoder->png, decoder->rows);
    return SC_CODEC_OK;
}
