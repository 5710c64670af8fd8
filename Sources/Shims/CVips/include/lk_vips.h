// C interface to libvips for decoding and encoding. libvips's API is C varargs, which Swift
// cannot call; this shim exposes fixed-argument functions. `ImageCodec` in Sources/LikenessEngine is
// its only caller.
#ifndef LK_VIPS_H
#define LK_VIPS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Decoded pixels: tightly packed RGB8, owned by the struct until `lk_vips_free_image`.
typedef struct {
    uint8_t *pixels;
    long width;
    long height;
    char format[32];   // the loader's name, e.g. "jpegload_source"
} lk_vips_image;

/// Starts libvips once per process. Returns 0, or -1 with a message.
int lk_vips_start(char *error, size_t error_capacity);

/// Decodes a file (opened as a byte source, so `[...]` in its name is not parsed as options)
/// or a memory buffer: EXIF autorotation, sRGB, alpha flattened on white, 8 bits per channel.
/// Images larger than `max_pixels` are refused from their header, before any pixel is decoded.
/// Truncated or corrupt data is an error. Returns 0, or -1 with a message.
int lk_vips_decode_file(const char *path, long max_pixels, lk_vips_image *out,
                        char *error, size_t error_capacity);
/// From a buffer, `min_long_side` > 0 lets a JPEG decode shrunk by 2, 4 or 8 (while decoding,
/// far cheaper than a full decode) as far as its longer side stays at least `min_long_side`;
/// `*shrink` says by how much (1: full size). The pixel limit applies to the full size.
int lk_vips_decode_buffer(const void *data, size_t length, long max_pixels, long min_long_side,
                          int *shrink, lk_vips_image *out, char *error, size_t error_capacity);
void lk_vips_free_image(lk_vips_image *image);

/// Resizes RGB8 pixels by `scale` (< 1 shrinks) into a new image.
int lk_vips_resize(const uint8_t *pixels, long width, long height, double scale,
                   lk_vips_image *out, char *error, size_t error_capacity);

/// Encodes RGB8 pixels as JPEG: the region (left, top, width, height) scaled so its longer
/// side is at most `max_side`. `*jpeg` is freed with `lk_vips_free_buffer`.
int lk_vips_encode_jpeg(const uint8_t *pixels, long width, long height, long left, long top,
                        long region_width, long region_height, long max_side, int quality,
                        void **jpeg, size_t *jpeg_length, char *error, size_t error_capacity);
void lk_vips_free_buffer(void *buffer);

#ifdef __cplusplus
}
#endif
#endif
