/*
 * Writes a YCCK (Adobe transform 2) JPEG, which Pillow cannot produce, for
 * Scripts/make_image_fixtures.py:  write_ycck_jpeg WIDTH HEIGHT < cmyk.raw > out.jpg
 * The input is interleaved 8-bit CMYK in Adobe's inverted convention (as libjpeg expects for
 * JCS_CMYK input and as Pillow's "CMYK;I" raw mode reads it back). Build:
 *   cc -O2 -o /tmp/write_ycck_jpeg Scripts/write_ycck_jpeg.c -ljpeg
 */
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s WIDTH HEIGHT < cmyk.raw > out.jpg\n", argv[0]); return 2; }
    int width = atoi(argv[1]), height = atoi(argv[2]);
    if (width <= 0 || height <= 0) return 2;
    size_t row_bytes = (size_t)width * 4;
    unsigned char *pixels = malloc(row_bytes * (size_t)height);
    if (!pixels || fread(pixels, row_bytes, (size_t)height, stdin) != (size_t)height) return 1;

    struct jpeg_compress_struct info;
    struct jpeg_error_mgr error;
    info.err = jpeg_std_error(&error);
    jpeg_create_compress(&info);
    jpeg_stdio_dest(&info, stdout);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = 4;
    info.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&info);
    jpeg_set_colorspace(&info, JCS_YCCK);   /* writes an Adobe marker with transform 2 */
    jpeg_set_quality(&info, 90, TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = pixels + info.next_scanline * row_bytes;
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    free(pixels);
    return 0;
}
