/*
 * JPEG decoding through libjpeg(-turbo), with errors turned into status codes.
 * See include/CImageCodecs.h for the contract.
 */
#include "CImageCodecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

struct sc_jpeg_error_manager {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    sc_codec_status status;          /* what to report after the jump */
    char message[JMSG_LENGTH_MAX];
};

struct sc_jpeg_decoder {
    struct jpeg_decompress_struct info;
    struct sc_jpeg_error_manager error;
    struct jpeg_progress_mgr progress;
    int max_scans;
    int header_read;
    int decoded;
};

static void copy_message(char *destination, size_t capacity, const char *text) {
    if (destination == NULL || capacity == 0) return;
    snprintf(destination, capacity, "%s", text);
}

/* Fatal errors: remember the library's message and leave through the jump buffer. */
static void sc_jpeg_error_exit(j_common_ptr info) {
    struct sc_jpeg_error_manager *error = (struct sc_jpeg_error_manager *)info->err;
    if (error->status == SC_CODEC_OK) {
        error->status = (error->base.msg_code == JERR_OUT_OF_MEMORY) ? SC_CODEC_OUT_OF_MEMORY
                                                                     : SC_CODEC_CORRUPT;
        (*info->err->format_message)(info, error->message);
    }
    longjmp(error->jump, 1);
}

/*
 * Warnings (level -1) and trace messages. libjpeg recovers from most corrupt-data warnings the
 * way Pillow does (it keeps decoding), but running out of data is reported only as a warning
 * after which libjpeg pads the image with gray; Pillow refuses such files ("image file is
 * truncated"), and so do we.
 */
static void sc_jpeg_emit_message(j_common_ptr info, int level) {
    struct sc_jpeg_error_manager *error = (struct sc_jpeg_error_manager *)info->err;
    if (level < 0) {
        error->base.num_warnings++;
        if (error->base.msg_code == JWRN_JPEG_EOF) {
            error->status = SC_CODEC_TRUNCATED;
            copy_message(error->message, sizeof error->message, "premature end of JPEG data");
            longjmp(error->jump, 1);
        }
    }
}

/* Stops pathological progressive files whose scan count makes decoding take minutes. */
static void sc_jpeg_progress(j_common_ptr info) {
    struct sc_jpeg_decoder *decoder = (struct sc_jpeg_decoder *)((char *)info - offsetof(struct sc_jpeg_decoder, info));
    if (info->is_decompressor) {
        j_decompress_ptr d = (j_decompress_ptr)info;
        if (decoder->max_scans > 0 && d->input_scan_number > decoder->max_scans) {
            decoder->error.status = SC_CODEC_TOO_MANY_SCANS;
            snprintf(decoder->error.message, sizeof decoder->error.message,
                     "progressive JPEG has more than %d scans", decoder->max_scans);
            longjmp(decoder->error.jump, 1);
        }
    }
}

void sc_jpeg_close(sc_jpeg_decoder *decoder) {
    if (decoder == NULL) return;
    jpeg_destroy_decompress(&decoder->info);
    free(decoder);
}

sc_codec_status sc_jpeg_open(const uint8_t *data, size_t size, int max_scans,
                             sc_jpeg_decoder **out_decoder, sc_jpeg_header *header,
                             char *message, size_t message_capacity) {
    if (out_decoder == NULL || header == NULL) return SC_CODEC_INVALID_ARGUMENT;
    *out_decoder = NULL;
    memset(header, 0, sizeof *header);
    if (data == NULL || size == 0) {
        copy_message(message, message_capacity, "empty input");
        return SC_CODEC_TRUNCATED;
    }
    if ((unsigned long)size != size) {
        copy_message(message, message_capacity, "input too large");
        return SC_CODEC_INVALID_ARGUMENT;
    }

    struct sc_jpeg_decoder *decoder = calloc(1, sizeof *decoder);
    if (decoder == NULL) {
        copy_message(message, message_capacity, "out of memory");
        return SC_CODEC_OUT_OF_MEMORY;
    }
    decoder->max_scans = max_scans;
    decoder->info.err = jpeg_std_error(&decoder->error.base);
    decoder->error.base.error_exit = sc_jpeg_error_exit;
    decoder->error.base.emit_message = sc_jpeg_emit_message;
    decoder->error.status = SC_CODEC_OK;

    if (setjmp(decoder->error.jump)) {
        sc_codec_status status = decoder->error.status == SC_CODEC_OK ? SC_CODEC_CORRUPT : decoder->error.status;
        copy_message(message, message_capacity, decoder->error.message);
        sc_jpeg_close(decoder);
        memset(header, 0, sizeof *header);
        return status;
    }

    jpeg_create_decompress(&decoder->info);
    decoder->progress.progress_monitor = sc_jpeg_progress;
    decoder->info.progress = &decoder->progress;
    jpeg_mem_src(&decoder->info, data, (unsigned long)size);
    /* Keep APP1 markers for the EXIF orientation. */
    jpeg_save_markers(&decoder->info, JPEG_APP0 + 1, 0xFFFF);

    if (jpeg_read_header(&decoder->info, TRUE) != JPEG_HEADER_OK) {
        copy_message(message, message_capacity, "no image in JPEG data");
        sc_jpeg_close(decoder);
        return SC_CODEC_CORRUPT;
    }
    decoder->header_read = 1;

    header->width = decoder->info.image_width;
    header->height = decoder->info.image_height;
    header->components = decoder->info.num_components;
    header->progressive = decoder->info.progressive_mode ? 1 : 0;

    switch (decoder->info.jpeg_color_space) {
    case JCS_GRAYSCALE:
        header->color = SC_JPEG_GRAY;
        decoder->info.out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        header->color = SC_JPEG_RGB;
        decoder->info.out_color_space = JCS_RGB;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        header->color = SC_JPEG_CMYK;
        decoder->info.out_color_space = JCS_CMYK;
        break;
    default:
        snprintf(message, message_capacity, "unsupported JPEG colour space (%d components)",
                 decoder->info.num_components);
        sc_jpeg_close(decoder);
        memset(header, 0, sizeof *header);
        return SC_CODEC_UNSUPPORTED;
    }
    /* Pillow's defaults: accurate integer IDCT and fancy (smooth) chroma upsampling. */
    decoder->info.dct_method = JDCT_ISLOW;
    decoder->info.do_fancy_upsampling = TRUE;

    for (jpeg_saved_marker_ptr marker = decoder->info.marker_list; marker != NULL; marker = marker->next) {
        if (marker->marker == JPEG_APP0 + 1 && marker->data_length >= 6 &&
            memcmp(marker->data, "Exif\0\0", 6) == 0) {
            header->exif = marker->data + 6;
            header->exif_length = marker->data_length - 6;
            break;
        }
    }

    *out_decoder = decoder;
    return SC_CODEC_OK;
}

/* Pillow's CMYK->RGB after its "CMYK;I" unpacking (every sample inverted, Adobe style). */
static inline uint8_t muldiv255(int a, int b) {
    int t = a * b + 128;
    return (uint8_t)(((t >> 8) + t) >> 8);
}

static void cmyk_row_to_rgb(const uint8_t *cmyk, uint8_t *rgb, JDIMENSION width) {
    for (JDIMENSION x = 0; x < width; x++) {
        int c = 255 - cmyk[0], m = 255 - cmyk[1], y = 255 - cmyk[2];
        int nk = cmyk[3];                 /* 255 - (255 - stored k) */
        int r = nk - muldiv255(c, nk);
        int g = nk - muldiv255(m, nk);
        int b = nk - muldiv255(y, nk);
        rgb[0] = (uint8_t)(r < 0 ? 0 : r);
        rgb[1] = (uint8_t)(g < 0 ? 0 : g);
        rgb[2] = (uint8_t)(b < 0 ? 0 : b);
        cmyk += 4;
        rgb += 3;
    }
}

static void gray_row_to_rgb(const uint8_t *gray, uint8_t *rgb, JDIMENSION width) {
    for (JDIMENSION x = 0; x < width; x++) {
        uint8_t v = gray[x];
        rgb[0] = v;
        rgb[1] = v;
        rgb[2] = v;
        rgb += 3;
    }
}

sc_codec_status sc_jpeg_decode_rgb(sc_jpeg_decoder *decoder, uint8_t *pixels, size_t capacity,
                                   char *message, size_t message_capacity) {
    if (decoder == NULL || pixels == NULL || !decoder->header_read || decoder->decoded) {
        copy_message(message, message_capacity, "decoder used out of order");
        return SC_CODEC_INVALID_ARGUMENT;
    }
    size_t width = decoder->info.image_width;
    size_t height = decoder->info.image_height;
    if (width == 0 || height == 0 || capacity / 3 / width < height || capacity != width * height * 3) {
        copy_message(message, message_capacity, "output buffer does not match the image size");
        return SC_CODEC_INVALID_ARGUMENT;
    }
    decoder->decoded = 1;

    /* Row buffer for colour spaces that need conversion; volatile so it survives the longjmp. */
    uint8_t *volatile row = NULL;

    if (setjmp(decoder->error.jump)) {
        free(row);
        copy_message(message, message_capacity, decoder->error.message);
        return decoder->error.status == SC_CODEC_OK ? SC_CODEC_CORRUPT : decoder->error.status;
    }

    jpeg_start_decompress(&decoder->info);
    int channels = decoder->info.output_components;
    if (decoder->info.output_width != width || decoder->info.output_height != height ||
        !(channels == 1 || channels == 3 || channels == 4)) {
        copy_message(message, message_capacity, "unexpected JPEG output geometry");
        jpeg_abort_decompress(&decoder->info);
        return SC_CODEC_UNSUPPORTED;
    }
    if (channels != 3) {
        row = malloc(width * (size_t)channels);
        if (row == NULL) {
            copy_message(message, message_capacity, "out of memory");
            jpeg_abort_decompress(&decoder->info);
            return SC_CODEC_OUT_OF_MEMORY;
        }
    }

    while (decoder->info.output_scanline < decoder->info.output_height) {
        size_t y = decoder->info.output_scanline;
        uint8_t *destination = pixels + y * width * 3;
        JSAMPROW target = (channels == 3) ? destination : row;
        if (jpeg_read_scanlines(&decoder->info, &target, 1) != 1) {
            free(row);
            copy_message(message, message_capacity, "premature end of JPEG data");
            jpeg_abort_decompress(&decoder->info);
            return SC_CODEC_TRUNCATED;
        }
        if (channels == 1) {
            gray_row_to_rgb(row, destination, (JDIMENSION)width);
        } else if (channels == 4) {
            cmyk_row_to_rgb(row, destination, (JDIMENSION)width);
        }
    }
    free(row);
    row = NULL;
    /* Like Pillow, data after the last scan (or a missing EOI) is not an error. */
    jpeg_abort_decompress(&decoder->info);
    return SC_CODEC_OK;
}
