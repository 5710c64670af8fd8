// dlib behind a C interface. The detection, landmark and descriptor paths mirror dlib's own
// Python bindings (which the reference `face_recognition` package calls), so that the same
// image gives the same boxes, landmarks and descriptors.
#include "lk_dlib.h"

#include <dlib/dnn.h>
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <exception>
#include <future>
#include <memory>
#include <string>
#include <vector>

// OpenBLAS may start one thread per core for every matrix product; the engine runs one
// instance per worker thread instead. Weak, so a build against another BLAS still links.
extern "C" void openblas_set_num_threads(int) __attribute__((weak));

namespace lk {

// A read-only view of caller-owned RGB8 pixels, usable as a dlib image without copying.
struct rgb_view {
    const uint8_t *pixels;
    long width, height, stride;
};

inline long num_rows(const rgb_view &img) { return img.height; }
inline long num_columns(const rgb_view &img) { return img.width; }
inline long width_step(const rgb_view &img) { return img.stride; }
inline const void *image_data(const rgb_view &img) { return img.pixels; }
inline void *image_data(rgb_view &img) { return const_cast<uint8_t *>(img.pixels); }
// dlib's generic image interface requires these; a view is never resized.
inline void set_image_size(rgb_view &, long, long) { throw dlib::error("read-only image view"); }
inline void swap(rgb_view &a, rgb_view &b) { std::swap(a, b); }

}  // namespace lk

namespace dlib {
template <> struct image_traits<lk::rgb_view> { typedef rgb_pixel pixel_type; };
}  // namespace dlib

namespace {

using namespace dlib;

// The ResNet of dlib_face_recognition_resnet_model_v1.dat (dlib's dnn_face_recognition_ex).
template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual = add_prev1<block<N, BN, 1, tag1<SUBNET>>>;
template <template <int, template <typename> class, int, typename> class block, int N,
          template <typename> class BN, typename SUBNET>
using residual_down = add_prev2<avg_pool<2, 2, 2, 2, skip1<tag2<block<N, BN, 2, tag1<SUBNET>>>>>>;
template <int N, template <typename> class BN, int stride, typename SUBNET>
using block = BN<con<N, 3, 3, 1, 1, relu<BN<con<N, 3, 3, stride, stride, SUBNET>>>>>;
template <int N, typename SUBNET> using ares = relu<residual<block, N, affine, SUBNET>>;
template <int N, typename SUBNET> using ares_down = relu<residual_down<block, N, affine, SUBNET>>;
template <typename SUBNET> using alevel0 = ares_down<256, SUBNET>;
template <typename SUBNET> using alevel1 = ares<256, ares<256, ares_down<256, SUBNET>>>;
template <typename SUBNET> using alevel2 = ares<128, ares<128, ares_down<128, SUBNET>>>;
template <typename SUBNET> using alevel3 = ares<64, ares<64, ares<64, ares_down<64, SUBNET>>>>;
template <typename SUBNET> using alevel4 = ares<32, ares<32, ares<32, SUBNET>>>;
using recognition_net = loss_metric<fc_no_bias<128, avg_pool_everything<
    alevel0<alevel1<alevel2<alevel3<alevel4<
    max_pool<3, 3, 2, 2, relu<affine<con<32, 7, 7, 2, 2, input_rgb_image_sized<150>>>>>>>>>>>>>;

// The MMOD CNN of mmod_human_face_detector.dat (dlib's dnn_mmod_face_detection_ex).
template <long num_filters, typename SUBNET> using con5d = con<num_filters, 5, 5, 2, 2, SUBNET>;
template <long num_filters, typename SUBNET> using con5 = con<num_filters, 5, 5, 1, 1, SUBNET>;
template <typename SUBNET>
using downsampler = relu<affine<con5d<32, relu<affine<con5d<32, relu<affine<con5d<16, SUBNET>>>>>>>>>;
template <typename SUBNET> using rcon5 = relu<affine<con5<45, SUBNET>>>;
using mmod_net = loss_mmod<con<1, 9, 9, 1, 1, rcon5<rcon5<rcon5<downsampler<
    input_rgb_image_pyramid<pyramid_down<6>>>>>>>>;

constexpr double chip_padding = 0.25;
constexpr long descriptor_batch = 16;

void write_error(char *error, size_t capacity, const std::string &message) {
    if (error && capacity > 0) {
        std::strncpy(error, message.c_str(), capacity - 1);
        error[capacity - 1] = '\0';
    }
}

lk::rgb_view view_of(const lk_rgb_image &image) {
    return lk::rgb_view{image.pixels, image.width, image.height, image.stride};
}

rectangle rect_of(const lk_detection &d) { return rectangle(d.left, d.top, d.right, d.bottom); }

full_object_detection shape_of(const lk_detection &box, const lk_point *points) {
    std::vector<point> parts;
    for (int i = 0; i < LK_LANDMARK_COUNT; ++i) parts.emplace_back(points[i].x, points[i].y);
    return full_object_detection(rect_of(box), parts);
}

// The frontal face detector from the binary cache, else built (slowly) and cached for next time.
frontal_face_detector load_hog(const char *cache_path) {
    frontal_face_detector detector;
    if (cache_path) {
        try {
            deserialize(cache_path) >> detector;
            return detector;
        } catch (const std::exception &) {
            // Missing or unreadable cache: rebuild it below.
        }
    }
    detector = get_frontal_face_detector();
    if (cache_path) {
        // Another engine may be writing the same cache: write aside, then rename into place.
        const std::string temporary = std::string(cache_path) + ".tmp" + std::to_string(::getpid()) + "-" +
                                      std::to_string(reinterpret_cast<uintptr_t>(&detector));
        try {
            serialize(temporary) << detector;
            std::rename(temporary.c_str(), cache_path);
        } catch (const std::exception &) {
            std::remove(temporary.c_str());  // a cache we cannot write only costs time
        }
    }
    return detector;
}

}  // namespace

struct lk_engine {
    frontal_face_detector hog;
    shape_predictor landmarks;
    recognition_net recognition;
    std::unique_ptr<mmod_net> mmod;
};

extern "C" lk_engine *lk_engine_create(const char *shape_predictor_path,
                                       const char *recognition_model_path,
                                       const char *mmod_path, const char *hog_cache_path,
                                       char *error, size_t error_capacity) {
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    const char *loading = recognition_model_path;
    try {
        auto engine = std::make_unique<lk_engine>();
        // The two largest loads overlap: a search's start-up is mostly model loading.
        auto landmarks = std::async(std::launch::async, [&] {
            deserialize(shape_predictor_path) >> engine->landmarks;
        });
        engine->hog = load_hog(hog_cache_path);
        deserialize(recognition_model_path) >> engine->recognition;
        loading = shape_predictor_path;
        landmarks.get();
        if (mmod_path) {
            loading = mmod_path;
            engine->mmod = std::make_unique<mmod_net>();
            deserialize(mmod_path) >> *engine->mmod;
        }
        return engine.release();
    } catch (const std::exception &e) {
        write_error(error, error_capacity, std::string("cannot load ") + loading + ": " + e.what());
        return nullptr;
    }
}

extern "C" void lk_engine_destroy(lk_engine *engine) { delete engine; }

extern "C" long lk_detect(lk_engine *engine, lk_rgb_image image, int upsample, int cnn,
                          lk_detection *out, long capacity, char *error, size_t error_capacity) {
    try {
        if (cnn && !engine->mmod) throw dlib::error("the MMOD detector was not loaded");
        const lk::rgb_view view = view_of(image);
        pyramid_down<2> pyramid;
        matrix<rgb_pixel> upsampled;
        if (upsample > 0) {
            pyramid_up(view, upsampled, pyramid);
            for (int i = 1; i < upsample; ++i) pyramid_up(upsampled, pyramid);
        }
        std::vector<lk_detection> found;
        auto keep = [&](const rectangle &r, double score) {
            rectangle mapped = r;
            // As dlib's bindings do: the mapped drectangle converts back to integer corners.
            if (upsample > 0) mapped = pyramid.rect_down(r, upsample);
            found.push_back({mapped.left(), mapped.top(), mapped.right(), mapped.bottom(), score});
        };
        if (cnn) {
            // The CNN's input layer takes a matrix, not a generic image.
            if (upsample == 0) assign_image(upsampled, view);
            const std::vector<mmod_rect> dets = (*engine->mmod)(upsampled);
            for (const auto &d : dets) keep(d.rect, d.detection_confidence);
        } else {
            std::vector<rect_detection> dets;
            if (upsample > 0) engine->hog(upsampled, dets, 0.0);
            else engine->hog(view, dets, 0.0);
            for (const auto &d : dets) keep(d.rect, d.detection_confidence);
        }
        for (long i = 0; i < (long)found.size() && i < capacity; ++i) out[i] = found[i];
        return (long)found.size();
    } catch (const std::exception &e) {
        write_error(error, error_capacity, e.what());
        return -1;
    }
}

extern "C" int lk_landmarks(lk_engine *engine, lk_rgb_image image, lk_detection box,
                            lk_point out[LK_LANDMARK_COUNT], char *error, size_t error_capacity) {
    try {
        const full_object_detection shape = engine->landmarks(view_of(image), rect_of(box));
        if (shape.num_parts() != LK_LANDMARK_COUNT)
            throw dlib::error("the landmark model is not the 5-point model");
        for (unsigned long i = 0; i < shape.num_parts(); ++i)
            out[i] = lk_point{shape.part(i).x(), shape.part(i).y()};
        return 0;
    } catch (const std::exception &e) {
        write_error(error, error_capacity, e.what());
        return -1;
    }
}

extern "C" int lk_descriptors(lk_engine *engine, lk_rgb_image image, const lk_detection *boxes,
                              const lk_point *landmarks, long count, int jitters, int flip,
                              float *out, char *error, size_t error_capacity) {
    try {
        const lk::rgb_view view = view_of(image);
        std::vector<chip_details> details;
        for (long i = 0; i < count; ++i)
            details.push_back(get_face_chip_details(
                shape_of(boxes[i], landmarks + i * LK_LANDMARK_COUNT), LK_CHIP_SIZE, chip_padding));
        dlib::array<matrix<rgb_pixel>> chips;
        extract_image_chips(view, details, chips);

        if (jitters <= 1 && !flip) {
            // The reference path: one forward pass per chip, batched as dlib's bindings do.
            std::vector<matrix<rgb_pixel>> batch(chips.begin(), chips.end());
            const std::vector<matrix<float, 0, 1>> descriptors =
                engine->recognition(batch, descriptor_batch);
            for (long i = 0; i < count; ++i)
                std::memcpy(out + i * LK_DESCRIPTOR_DIM, &descriptors[i](0),
                            sizeof(float) * LK_DESCRIPTOR_DIM);
            return 0;
        }
        // Averaged descriptors: dlib's own jitter with a fixed seed, plus the mirrored chip.
        dlib::rand rnd;
        for (long i = 0; i < count; ++i) {
            std::vector<matrix<rgb_pixel>> variants;
            if (jitters <= 1) variants.push_back(chips[i]);
            else for (int j = 0; j < jitters; ++j) variants.push_back(jitter_image(chips[i], rnd));
            if (flip) {
                const size_t n = variants.size();
                for (size_t j = 0; j < n; ++j) variants.push_back(fliplr(variants[j]));
            }
            const std::vector<matrix<float, 0, 1>> descriptors =
                engine->recognition(variants, descriptor_batch);
            matrix<float, 0, 1> mean = zeros_matrix<float>(LK_DESCRIPTOR_DIM, 1);
            for (const auto &d : descriptors) mean += d;
            mean /= (float)descriptors.size();
            std::memcpy(out + i * LK_DESCRIPTOR_DIM, &mean(0), sizeof(float) * LK_DESCRIPTOR_DIM);
        }
        return 0;
    } catch (const std::exception &e) {
        write_error(error, error_capacity, e.what());
        return -1;
    }
}

extern "C" int lk_face_chip(lk_rgb_image image, lk_detection box,
                            const lk_point landmarks[LK_LANDMARK_COUNT], uint8_t *out,
                            char *error, size_t error_capacity) {
    try {
        matrix<rgb_pixel> chip;
        extract_image_chip(view_of(image),
                           get_face_chip_details(shape_of(box, landmarks), LK_CHIP_SIZE, chip_padding),
                           chip);
        std::memcpy(out, &chip(0, 0), sizeof(rgb_pixel) * LK_CHIP_SIZE * LK_CHIP_SIZE);
        return 0;
    } catch (const std::exception &e) {
        write_error(error, error_capacity, e.what());
        return -1;
    }
}

extern "C" int lk_chip_landmarks(lk_detection box, const lk_point landmarks[LK_LANDMARK_COUNT],
                                 double out[2 * LK_LANDMARK_COUNT], char *error, size_t error_capacity) {
    try {
        const point_transform_affine to_chip =
            get_mapping_to_chip(get_face_chip_details(shape_of(box, landmarks), LK_CHIP_SIZE, chip_padding));
        for (int i = 0; i < LK_LANDMARK_COUNT; i++) {
            const dpoint on_chip = to_chip(dpoint(landmarks[i].x, landmarks[i].y));
            out[2 * i] = on_chip.x();
            out[2 * i + 1] = on_chip.y();
        }
        return 0;
    } catch (const std::exception &e) {
        write_error(error, error_capacity, e.what());
        return -1;
    }
}
