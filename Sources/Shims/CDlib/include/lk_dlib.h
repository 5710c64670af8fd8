// C interface to dlib's face pipeline: HOG / MMOD detection, 5-point landmarks and the
// ResNet face descriptor. Swift cannot instantiate dlib's C++ templates, so this shim owns
// them; `DlibFaceEngine` in Sources/LikenessEngine is its only caller.
#ifndef LK_DLIB_H
#define LK_DLIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An RGB8 image the caller owns; rows are `stride` bytes apart.
typedef struct {
    const uint8_t *pixels;
    long width;
    long height;
    long stride;
} lk_rgb_image;

typedef struct {
    long left, top, right, bottom;   // dlib rectangle: inclusive corners
    double score;                    // detector confidence
} lk_detection;

typedef struct {
    long x, y;
} lk_point;

enum { LK_LANDMARK_COUNT = 5, LK_DESCRIPTOR_DIM = 128, LK_CHIP_SIZE = 150 };

/// One engine: detector, landmark model and recognition network, with their work buffers.
/// Not thread-safe: use one per thread.
typedef struct lk_engine lk_engine;

/// Loads the models. `mmod_path` may be NULL (no CNN detector). dlib builds its HOG detector
/// from compressed text (~0.7 s); `hog_cache_path`, if not NULL, keeps a binary copy that
/// loads in milliseconds (written on first use). On failure returns NULL and writes a message
/// into `error`.
lk_engine *lk_engine_create(const char *shape_predictor_path,
                            const char *recognition_model_path,
                            const char *mmod_path,
                            const char *hog_cache_path,
                            char *error, size_t error_capacity);
void lk_engine_destroy(lk_engine *engine);

/// Detects faces with HOG (`cnn` = 0) or MMOD (`cnn` = 1) after upsampling the image
/// `upsample` times, as dlib's Python bindings do. Writes at most `capacity` detections and
/// returns how many were found (which may exceed `capacity`), or -1 on error.
long lk_detect(lk_engine *engine, lk_rgb_image image, int upsample, int cnn,
               lk_detection *out, long capacity, char *error, size_t error_capacity);

/// The 5 landmarks for a detection rectangle.
int lk_landmarks(lk_engine *engine, lk_rgb_image image, lk_detection box,
                 lk_point out[LK_LANDMARK_COUNT], char *error, size_t error_capacity);

/// 128-d descriptors for `count` faces given by their rectangles and 5 landmarks each
/// (`landmarks` holds 5 × count points). With `jitters` > 1, each descriptor is the mean over
/// that many randomly jittered chips (dlib's own jitter, fixed seed). `flip` adds the mirrored
/// chip(s) to the mean. Returns 0, or -1 on error.
int lk_descriptors(lk_engine *engine, lk_rgb_image image, const lk_detection *boxes,
                   const lk_point *landmarks, long count, int jitters, int flip,
                   float *out, char *error, size_t error_capacity);

/// The aligned 150×150 RGB chip (padding 0.25) the descriptor is computed from;
/// `out` receives 150 × 150 × 3 bytes.
int lk_face_chip(lk_rgb_image image, lk_detection box, const lk_point landmarks[LK_LANDMARK_COUNT],
                 uint8_t *out, char *error, size_t error_capacity);

/// Where a face's own 5 landmarks fall on its chip (`lk_face_chip`'s), in chip pixels: the
/// alignment is a least-squares fit, so each lies near, not on, the template's point.
/// `out` receives 5 x, y pairs. Returns 0, or -1 on error.
int lk_chip_landmarks(lk_detection box, const lk_point landmarks[LK_LANDMARK_COUNT], double out[2 * LK_LANDMARK_COUNT],
                      char *error, size_t error_capacity);

#ifdef __cplusplus
}
#endif
#endif
