// YuNet detection and SFace features through OpenCV 4.6's dnn module. OpenCV 4.6's own
// FaceDetectorYN fails on the 2023mar YuNet (an assertion in its eltwise layer) while
// readNetFromONNX loads it, so its outputs are decoded here as later OpenCV versions do; SFace's
// alignment is FaceRecognizerSF::alignCrop's similarity transform, written out so that only the
// dnn and imgproc modules are needed.
#include "lk_opencv_face.h"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

struct lk_yunet { cv::dnn::Net net; };
struct lk_sface { cv::dnn::Net net; };

namespace {

void write_error(char *error, size_t capacity, const std::string &message) {
    if (error && capacity > 0) std::snprintf(error, capacity, "%s", message.c_str());
}

// The image as an OpenCV matrix, without copying.
cv::Mat wrap(lk_cv_image image) {
    return cv::Mat(int(image.height), int(image.width), CV_8UC3, const_cast<uint8_t *>(image.pixels), size_t(image.stride));
}

bool valid(lk_cv_image image) {
    return image.pixels && image.width > 0 && image.height > 0 && image.stride >= image.width * 3;
}

cv::dnn::Net load(const char *path) {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(path);
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
}

// SFace's reference positions of the 5 landmarks in its 112×112 crop, and their mean as
// FaceRecognizerSF rounds it.
const float sface_reference[5][2] = {
    {38.2946f, 51.6963f}, {73.5318f, 51.5014f}, {56.0252f, 71.7366f}, {41.5493f, 92.3655f}, {70.7299f, 92.2041f},
};
const float sface_reference_mean[2] = {56.0262f, 71.9008f};

// The least-squares similarity transform (Umeyama 1991) taking `src` onto SFace's reference
// points, as a 2×3 matrix. The arithmetic follows FaceRecognizerSF::alignCrop's step by step
// (means and offsets in float, sums in double), so that the crop is the same to the pixel.
bool similarity_to_reference(const float *src, cv::Mat &transform) {
    float src_mean[2];
    for (int k = 0; k < 2; ++k) src_mean[k] = (src[k] + src[2 + k] + src[4 + k] + src[6 + k] + src[8 + k]) / 5;
    float s[5][2], d[5][2];
    for (int i = 0; i < 5; ++i) {
        for (int k = 0; k < 2; ++k) {
            s[i][k] = src[2 * i + k] - src_mean[k];
            d[i][k] = sface_reference[i][k] - sface_reference_mean[k];
        }
    }
    double a[2][2] = {{0, 0}, {0, 0}};
    double src_variance = 0;
    for (int r = 0; r < 2; ++r) {
        for (int c = 0; c < 2; ++c) {
            for (int i = 0; i < 5; ++i) a[r][c] += d[i][r] * s[i][c];
            a[r][c] /= 5;
        }
        double variance = 0;
        for (int i = 0; i < 5; ++i) variance += s[i][r] * s[i][r];
        src_variance += variance / 5;
    }
    if (!(src_variance > 0)) return false;  // all landmarks on one point

    cv::Mat covariance = (cv::Mat_<double>(2, 2) << a[0][0], a[0][1], a[1][0], a[1][1]);
    cv::Mat w, u, vt;
    cv::SVD::compute(covariance, w, u, vt);
    double sign[2] = {1, 1};
    if (a[0][0] * a[1][1] - a[0][1] * a[1][0] < 0) sign[1] = -1;
    const double tolerance = std::max(w.at<double>(0), w.at<double>(1)) * 2 * FLT_MIN;
    int rank = (w.at<double>(0) > tolerance) + (w.at<double>(1) > tolerance);
    if (rank == 0) return false;
    cv::Mat rotation;
    if (rank == 1 && cv::determinant(u) * cv::determinant(vt) > 0) {
        rotation = u * vt;
    } else if (rank == 1) {
        // A degenerate covariance: the reflection that keeps a proper rotation.
        rotation = u * cv::Mat(cv::Matx22d(sign[0], 0, 0, -1)) * vt;
    } else {
        rotation = u * cv::Mat(cv::Matx22d(sign[0], 0, 0, sign[1])) * vt;
    }
    double scale = (w.at<double>(0) * sign[0] + w.at<double>(1) * sign[1]) / src_variance;
    transform = cv::Mat(2, 3, CV_64F);
    for (int r = 0; r < 2; ++r) {
        double moved = rotation.at<double>(r, 0) * src_mean[0] + rotation.at<double>(r, 1) * src_mean[1];
        transform.at<double>(r, 0) = scale * rotation.at<double>(r, 0);
        transform.at<double>(r, 1) = scale * rotation.at<double>(r, 1);
        transform.at<double>(r, 2) = sface_reference_mean[r] - scale * moved;
    }
    return true;
}

// Loads one network into a new `Holder`, or writes why not and returns NULL.
template <typename Holder>
Holder *create(const char *model_path, const char *name, char *error, size_t error_capacity) {
    try {
        auto *holder = new Holder{load(model_path)};
        if (!holder->net.empty()) return holder;
        delete holder;
        write_error(error, error_capacity, std::string("cannot load ") + name + " from " + model_path);
    } catch (const std::exception &e) {
        write_error(error, error_capacity, std::string("cannot load ") + name + " from " + model_path + ": " + e.what());
    }
    return nullptr;
}

bool align(const cv::Mat &rgb, const float *landmarks, cv::Mat &crop) {
    cv::Mat transform;
    if (!similarity_to_reference(landmarks, transform)) return false;
    cv::warpAffine(rgb, crop, transform, cv::Size(LK_SFACE_CROP, LK_SFACE_CROP), cv::INTER_LINEAR);
    return true;
}

}  // namespace

extern "C" {

lk_yunet *lk_yunet_create(const char *model_path, char *error, size_t error_capacity) {
    return create<lk_yunet>(model_path, "YuNet", error, error_capacity);
}

void lk_yunet_destroy(lk_yunet *detector) { delete detector; }

long lk_yunet_detect(lk_yunet *detector, lk_cv_image image, float score_threshold, float nms_threshold,
                     lk_yunet_face *out, long capacity, char *error, size_t error_capacity) {
    if (!valid(image)) {
        write_error(error, error_capacity, "invalid image");
        return -1;
    }
    try {
        // YuNet was trained on OpenCV's BGR images, padded at the right and bottom to a
        // multiple of its largest stride.
        const int divisor = 32;
        int padded_width = int((image.width + divisor - 1) / divisor * divisor);
        int padded_height = int((image.height + divisor - 1) / divisor * divisor);
        cv::Mat bgr;
        cv::cvtColor(wrap(image), bgr, cv::COLOR_RGB2BGR);
        cv::copyMakeBorder(bgr, bgr, 0, padded_height - int(image.height), 0, padded_width - int(image.width),
                           cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
        detector->net.setInput(cv::dnn::blobFromImage(bgr));
        static const std::vector<std::string> names = {
            "cls_8", "cls_16", "cls_32", "obj_8", "obj_16", "obj_32",
            "bbox_8", "bbox_16", "bbox_32", "kps_8", "kps_16", "kps_32"};
        std::vector<cv::Mat> outputs;
        detector->net.forward(outputs, names);

        std::vector<lk_yunet_face> faces;
        std::vector<cv::Rect2d> boxes;
        std::vector<float> scores;
        const int strides[3] = {8, 16, 32};
        for (int s = 0; s < 3; ++s) {
            const int stride = strides[s];
            const int columns = padded_width / stride, rows = padded_height / stride;
            const float *cls = outputs[s].ptr<float>();
            const float *obj = outputs[s + 3].ptr<float>();
            const float *bbox = outputs[s + 6].ptr<float>();
            const float *kps = outputs[s + 9].ptr<float>();
            if (outputs[s].total() < size_t(rows * columns)) {
                write_error(error, error_capacity, "YuNet gave fewer outputs than anchors");
                return -1;
            }
            for (int r = 0; r < rows; ++r) {
                for (int c = 0; c < columns; ++c) {
                    const size_t i = size_t(r) * columns + c;
                    float score = std::sqrt(std::clamp(cls[i], 0.f, 1.f) * std::clamp(obj[i], 0.f, 1.f));
                    if (score < score_threshold) continue;
                    lk_yunet_face face{};
                    float cx = (c + bbox[i * 4 + 0]) * stride, cy = (r + bbox[i * 4 + 1]) * stride;
                    face.width = std::exp(bbox[i * 4 + 2]) * stride;
                    face.height = std::exp(bbox[i * 4 + 3]) * stride;
                    face.x = cx - face.width / 2;
                    face.y = cy - face.height / 2;
                    for (int n = 0; n < LK_YUNET_LANDMARKS; ++n) {
                        face.landmarks[2 * n] = (kps[i * 10 + 2 * n] + c) * stride;
                        face.landmarks[2 * n + 1] = (kps[i * 10 + 2 * n + 1] + r) * stride;
                    }
                    face.score = score;
                    faces.push_back(face);
                    boxes.emplace_back(face.x, face.y, face.width, face.height);
                    scores.push_back(score);
                }
            }
        }
        std::vector<int> kept;
        cv::dnn::NMSBoxes(boxes, scores, score_threshold, nms_threshold, kept);
        long written = 0;
        for (int index : kept) {
            if (written < capacity) out[written] = faces[size_t(index)];
            ++written;
        }
        return long(kept.size());
    } catch (const std::exception &e) {
        write_error(error, error_capacity, std::string("YuNet: ") + e.what());
        return -1;
    }
}

lk_sface *lk_sface_create(const char *model_path, char *error, size_t error_capacity) {
    return create<lk_sface>(model_path, "SFace", error, error_capacity);
}

void lk_sface_destroy(lk_sface *recognizer) { delete recognizer; }

int lk_sface_align(lk_cv_image image, const float landmarks[2 * LK_YUNET_LANDMARKS], uint8_t *out,
                   char *error, size_t error_capacity) {
    if (!valid(image)) {
        write_error(error, error_capacity, "invalid image");
        return -1;
    }
    try {
        cv::Mat crop;
        if (!align(wrap(image), landmarks, crop)) {
            write_error(error, error_capacity, "the landmarks do not span a face");
            return -1;
        }
        for (int row = 0; row < LK_SFACE_CROP; ++row)
            std::copy_n(crop.ptr<uint8_t>(row), LK_SFACE_CROP * 3, out + size_t(row) * LK_SFACE_CROP * 3);
        return 0;
    } catch (const std::exception &e) {
        write_error(error, error_capacity, std::string("SFace alignment: ") + e.what());
        return -1;
    }
}

int lk_sface_features(lk_sface *recognizer, lk_cv_image image, const float *landmarks, long count,
                      int mirrored, float *out, char *error, size_t error_capacity) {
    if (!valid(image)) {
        write_error(error, error_capacity, "invalid image");
        return -1;
    }
    if (count <= 0) return 0;
    try {
        const cv::Mat rgb = wrap(image);
        std::vector<cv::Mat> crops;
        for (long f = 0; f < count; ++f) {
            cv::Mat crop;
            if (!align(rgb, landmarks + 10 * f, crop)) {
                write_error(error, error_capacity, "the landmarks of face " + std::to_string(f + 1) + " do not span a face");
                return -1;
            }
            crops.push_back(crop);
            if (mirrored) {
                cv::Mat flipped;
                cv::flip(crop, flipped, 1);
                crops.push_back(flipped);
            }
        }
        // SFace reads RGB in 0…255 (FaceRecognizerSF swaps OpenCV's BGR to get it).
        recognizer->net.setInput(cv::dnn::blobFromImages(crops));
        cv::Mat features = recognizer->net.forward();
        const int per_face = mirrored ? 2 : 1;
        if (features.rows != int(crops.size()) || features.cols != LK_SFACE_DIM) {
            write_error(error, error_capacity, "SFace gave an unexpected output shape");
            return -1;
        }
        for (long f = 0; f < count; ++f) {
            float *target = out + f * LK_SFACE_DIM;
            double norm = 0;
            for (int k = 0; k < LK_SFACE_DIM; ++k) {
                float sum = 0;
                for (int m = 0; m < per_face; ++m) sum += features.at<float>(int(f * per_face + m), k);
                target[k] = sum;
                norm += double(sum) * sum;
            }
            norm = std::sqrt(norm);
            if (!(norm > 0)) {
                write_error(error, error_capacity, "SFace gave a zero feature");
                return -1;
            }
            for (int k = 0; k < LK_SFACE_DIM; ++k) target[k] = float(target[k] / norm);
        }
        return 0;
    } catch (const std::exception &e) {
        write_error(error, error_capacity, std::string("SFace: ") + e.what());
        return -1;
    }
}

}  // extern "C"
