// C interface to the ONNX face models Likeness runs through OpenCV's dnn module: the YuNet
// detector and the SFace recognizer (OpenCV Zoo). Swift cannot call OpenCV's C++ API, so this
// shim owns the networks; `YuNetDetector` and `SFaceRecognizer` in Sources/LikenessEngine are
// its only callers.
#ifndef LK_OPENCV_FACE_H
#define LK_OPENCV_FACE_H

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
} lk_cv_image;

enum { LK_YUNET_LANDMARKS = 5, LK_SFACE_DIM = 128, LK_SFACE_CROP = 112 };

/// A YuNet detection in the pixels of the image it was given.
typedef struct {
    float x, y, width, height;
    /// Right eye, left eye, nose tip, right and left mouth corner (the subject's right is the
    /// image's left), as x, y pairs.
    float landmarks[2 * LK_YUNET_LANDMARKS];
    float score;
} lk_yunet_face;

/// One loaded network with its work buffers. Not thread-safe: use one per thread.
typedef struct lk_yunet lk_yunet;
typedef struct lk_sface lk_sface;

/// Loads face_detection_yunet_2023mar.onnx. On failure returns NULL and writes a message into
/// `error`.
lk_yunet *lk_yunet_create(const char *model_path, char *error, size_t error_capacity);
void lk_yunet_destroy(lk_yunet *detector);

/// Runs YuNet on the whole image (padded to a multiple of 32, as OpenCV's FaceDetectorYN does)
/// and keeps faces scoring at least `score_threshold` after non-maximum suppression at IoU
/// `nms_threshold`, best first. Writes at most `capacity` faces and returns how many were found
/// (which may exceed `capacity`), or -1 on error.
long lk_yunet_detect(lk_yunet *detector, lk_cv_image image, float score_threshold, float nms_threshold,
                     lk_yunet_face *out, long capacity, char *error, size_t error_capacity);

/// Loads face_recognition_sface_2021dec.onnx.
lk_sface *lk_sface_create(const char *model_path, char *error, size_t error_capacity);
void lk_sface_destroy(lk_sface *recognizer);

/// The 112×112 RGB crop SFace reads: the image warped by the similarity transform that takes
/// the 5 YuNet landmarks (`landmarks`: x, y pairs) onto SFace's reference points, as OpenCV's
/// FaceRecognizerSF::alignCrop does. `out` receives 112 × 112 × 3 bytes.
int lk_sface_align(lk_cv_image image, const float landmarks[2 * LK_YUNET_LANDMARKS], uint8_t *out,
                   char *error, size_t error_capacity);

/// 128-d SFace features for `count` faces given by their 5 landmarks each (`landmarks` holds
/// 10 × count floats), in one batch, each scaled to unit length. With `mirrored`, each feature
/// is the normalised sum of the crop's and the mirrored crop's. Returns 0, or -1 on error.
int lk_sface_features(lk_sface *recognizer, lk_cv_image image, const float *landmarks, long count,
                      int mirrored, float *out, char *error, size_t error_capacity);

#ifdef __cplusplus
}
#endif
#endif
