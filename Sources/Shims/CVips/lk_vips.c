// libvips behind fixed-argument C functions (see lk_vips.h).
#include "lk_vips.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <vips/vips.h>

// The loaders of the formats Likeness documents (JPEG, PNG, WebP, TIFF, GIF, HEIF/AVIF), as
// vips_foreign_find_load_source names them. Uploads are untrusted: every other loader (PDF,
// SVG, FITS, OpenSlide, JPEG 2000, JPEG XL, ImageMagick, vips, PPM, …) is a parser nobody
// asked for, so its input is refused before it runs.
static const char *const admitted_loaders[] = {
    "VipsForeignLoadJpegSource", "VipsForeignLoadPngSource",   "VipsForeignLoadWebpSource",
    "VipsForeignLoadTiffSource", "VipsForeignLoadNsgifSource", "VipsForeignLoadHeifSource",
};

static void take_error(char *error, size_t capacity, const char *fallback) {
    const char *message = vips_error_buffer();
    if (!message || !*message) message = fallback;
    if (error && capacity > 0) {
        strncpy(error, message, capacity - 1);
        error[capacity - 1] = '\0';
        // vips's messages end with a newline; the caller adds its own context.
        size_t n = strlen(error);
        while (n > 0 && (error[n - 1] == '\n' || error[n - 1] == ' ')) error[--n] = '\0';
    }
    vips_error_clear();
}

static void set_error(char *error, size_t capacity, const char *message) {
    vips_error_clear();
    if (error && capacity > 0) {
        strncpy(error, message, capacity - 1);
        error[capacity - 1] = '\0';
    }
}

// libvips logs a warning per damaged tile; the error that follows says it once, in context.
static void drop_warning(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data) {
    (void)domain; (void)level; (void)message; (void)data;
}

int lk_vips_start(char *error, size_t error_capacity) {
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, drop_warning, NULL);
    if (VIPS_INIT("likeness")) {
        take_error(error, error_capacity, "libvips failed to start");
        return -1;
    }
    // Defence in depth beside the loader whitelist below: loaders libvips itself marks as unsafe
    // for untrusted input cannot run even if some path reaches them.
    vips_block_untrusted_set(TRUE);
    // Every image is decoded once; caching operations would only hold memory.
    vips_cache_set_max(0);
    // Ingest decodes one image per engine thread in parallel; more threads per image only contend.
    vips_concurrency_set(1);
    return 0;
}

// Turns a freshly opened (header-only) image into packed RGB8 pixels.
static int decode(VipsImage *in, long max_pixels, lk_vips_image *out, char *error,
                  size_t error_capacity) {
    const char *loader = NULL;
    if (vips_image_get_typeof(in, "vips-loader"))
        vips_image_get_string(in, "vips-loader", &loader);
    memset(out, 0, sizeof(*out));
    if (loader) {
        strncpy(out->format, loader, sizeof(out->format) - 1);
    }

    const long width = vips_image_get_width(in), height = vips_image_get_height(in);
    if (width <= 0 || height <= 0) {
        set_error(error, error_capacity, "image has no pixels");
        return -1;
    }
    if ((double)width * (double)height > (double)max_pixels) {
        char message[160];
        snprintf(message, sizeof message,
                 "image is %ld×%ld pixels, over the limit of %ld pixels", width, height, max_pixels);
        set_error(error, error_capacity, message);
        return -1;
    }

    VipsObject *scope = VIPS_OBJECT(vips_image_new());
    VipsImage **t = (VipsImage **)vips_object_local_array(scope, 5);
    VipsImage *current = in;
    int failed = 0;

    if (vips_autorot(current, &t[0], NULL)) failed = 1;
    else current = t[0];
    if (!failed && vips_image_hasalpha(current)) {
        VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
        if (vips_flatten(current, &t[1], "background", white, NULL)) failed = 1;
        else current = t[1];
        vips_area_unref(VIPS_AREA(white));
    }
    if (!failed && vips_colourspace(current, &t[2], VIPS_INTERPRETATION_sRGB, NULL)) failed = 1;
    else if (!failed) current = t[2];
    if (!failed && vips_cast(current, &t[3], VIPS_FORMAT_UCHAR, NULL)) failed = 1;
    else if (!failed) current = t[3];
    if (!failed && current->Bands > 3) {
        if (vips_extract_band(current, &t[4], 0, "n", 3, NULL)) failed = 1;
        else current = t[4];
    }
    if (!failed && current->Bands != 3) {
        set_error(error, error_capacity, "image does not convert to RGB");
        g_object_unref(scope);
        return -1;
    }
    size_t size = 0;
    if (!failed) {
        out->pixels = vips_image_write_to_memory(current, &size);
        if (!out->pixels) failed = 1;
    }
    if (failed) {
        take_error(error, error_capacity, "image cannot be decoded");
        g_object_unref(scope);
        return -1;
    }
    out->width = current->Xsize;
    out->height = current->Ysize;
    g_object_unref(scope);
    return 0;
}

// `min_long_side` > 0: a JPEG is decoded shrunk by 2, 4 or 8 (libjpeg scales while it decodes,
// at a fraction of the full decode's cost) as far as its longer side stays at least that; the
// pixel limit still applies to the full size. `*shrink` is the factor used (1: full size).
static int decode_source(VipsSource *source, long max_pixels, long min_long_side, int *shrink,
                         lk_vips_image *out, char *error, size_t error_capacity) {
    *shrink = 1;
    const char *loader = vips_foreign_find_load_source(source);
    if (!loader) {
        vips_error_clear();
        set_error(error, error_capacity, "not an image in a format libvips can read");
        return -1;
    }
    int admitted = 0;
    for (size_t i = 0; i < sizeof admitted_loaders / sizeof *admitted_loaders; i++)
        if (strcmp(loader, admitted_loaders[i]) == 0) admitted = 1;
    if (!admitted) {
        // "VipsForeignLoadSvgSource" → "SVG": the format's name, for the uploader to read.
        char format[32] = "";
        const char *name = strncmp(loader, "VipsForeignLoad", 15) == 0 ? loader + 15 : loader;
        size_t n = 0;
        while (name[n] && n < sizeof format - 1 && strcmp(name + n, "Source") != 0) {
            format[n] = (char)toupper((unsigned char)name[n]);
            n++;
        }
        format[n] = '\0';
        char message[200];
        snprintf(message, sizeof message,
                 "%s files are not accepted: Likeness reads JPEG, PNG, WebP, TIFF, GIF and HEIF/AVIF images",
                 format);
        set_error(error, error_capacity, message);
        return -1;
    }
    VipsImage *image = vips_image_new_from_source(source, "", "fail_on", VIPS_FAIL_ON_TRUNCATED,
                                                  NULL);
    if (!image) {
        take_error(error, error_capacity, "image header cannot be read");
        return -1;
    }
    if (min_long_side > 0 && strcmp(loader, "VipsForeignLoadJpegSource") == 0) {
        const long width = vips_image_get_width(image), height = vips_image_get_height(image);
        const long longer = width > height ? width : height;
        // An image over the limit stays unshrunk, so that decode() refuses it naming its full size.
        const int within_limit = (double)width * (double)height <= (double)max_pixels;
        for (int factor = 8; within_limit && factor > 1; factor /= 2) {
            if (longer / factor >= min_long_side) {
                *shrink = factor;
                break;
            }
        }
        if (*shrink > 1) {
            g_object_unref(image);
            image = vips_image_new_from_source(source, "", "fail_on", VIPS_FAIL_ON_TRUNCATED, "shrink",
                                               *shrink, NULL);
            if (!image) {
                take_error(error, error_capacity, "image header cannot be read");
                return -1;
            }
        }
    }
    const int result = decode(image, max_pixels, out, error, error_capacity);
    g_object_unref(image);
    return result;
}

int lk_vips_decode_file(const char *path, long max_pixels, lk_vips_image *out, char *error,
                        size_t error_capacity) {
    VipsSource *source = vips_source_new_from_file(path);
    if (!source) {
        take_error(error, error_capacity, "file cannot be opened");
        return -1;
    }
    int shrink = 1;
    const int result = decode_source(source, max_pixels, 0, &shrink, out, error, error_capacity);
    g_object_unref(source);
    return result;
}

int lk_vips_decode_buffer(const void *data, size_t length, long max_pixels, long min_long_side,
                          int *shrink, lk_vips_image *out, char *error, size_t error_capacity) {
    VipsSource *source = vips_source_new_from_memory(data, length);
    if (!source) {
        take_error(error, error_capacity, "buffer cannot be read");
        return -1;
    }
    const int result = decode_source(source, max_pixels, min_long_side, shrink, out, error, error_capacity);
    g_object_unref(source);
    return result;
}

void lk_vips_free_image(lk_vips_image *image) {
    if (image && image->pixels) {
        g_free(image->pixels);
        image->pixels = NULL;
    }
}

int lk_vips_resize(const uint8_t *pixels, long width, long height, double scale,
                   lk_vips_image *out, char *error, size_t error_capacity) {
    memset(out, 0, sizeof(*out));
    VipsImage *in = vips_image_new_from_memory(pixels, (size_t)width * height * 3, (int)width,
                                               (int)height, 3, VIPS_FORMAT_UCHAR);
    VipsImage *resized = NULL;
    if (!in || vips_resize(in, &resized, scale, NULL)) {
        if (in) g_object_unref(in);
        take_error(error, error_capacity, "resize failed");
        return -1;
    }
    size_t size = 0;
    out->pixels = vips_image_write_to_memory(resized, &size);
    out->width = resized->Xsize;
    out->height = resized->Ysize;
    g_object_unref(resized);
    g_object_unref(in);
    if (!out->pixels) {
        take_error(error, error_capacity, "resize failed");
        return -1;
    }
    return 0;
}

int lk_vips_encode_jpeg(const uint8_t *pixels, long width, long height, long left, long top,
                        long region_width, long region_height, long max_side, int quality,
                        void **jpeg, size_t *jpeg_length, char *error, size_t error_capacity) {
    *jpeg = NULL;
    *jpeg_length = 0;
    if (left < 0) { region_width += left; left = 0; }
    if (top < 0) { region_height += top; top = 0; }
    if (left + region_width > width) region_width = width - left;
    if (top + region_height > height) region_height = height - top;
    if (region_width <= 0 || region_height <= 0) {
        set_error(error, error_capacity, "crop lies outside the image");
        return -1;
    }
    VipsImage *in = vips_image_new_from_memory(pixels, (size_t)width * height * 3, (int)width,
                                               (int)height, 3, VIPS_FORMAT_UCHAR);
    if (!in) {
        take_error(error, error_capacity, "cannot wrap pixels");
        return -1;
    }
    VipsObject *scope = VIPS_OBJECT(vips_image_new());
    VipsImage **t = (VipsImage **)vips_object_local_array(scope, 2);
    int failed = vips_extract_area(in, &t[0], (int)left, (int)top, (int)region_width,
                                   (int)region_height, NULL);
    VipsImage *current = failed ? NULL : t[0];
    const long longer = region_width > region_height ? region_width : region_height;
    if (!failed && longer > max_side) {
        failed = vips_resize(current, &t[1], (double)max_side / (double)longer, NULL);
        if (!failed) current = t[1];
    }
    if (!failed)
        failed = vips_jpegsave_buffer(current, jpeg, jpeg_length, "Q", quality, "strip", TRUE,
                                      NULL);
    if (failed) take_error(error, error_capacity, "JPEG encoding failed");
    g_object_unref(scope);
    g_object_unref(in);
    return failed ? -1 : 0;
}

void lk_vips_free_buffer(void *buffer) { g_free(buffer); }
