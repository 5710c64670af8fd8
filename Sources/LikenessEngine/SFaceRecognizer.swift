import COpenCVFace
import LikenessCore

/// The SFace recognizer (OpenCV Zoo, 2021dec) through OpenCV's dnn module: a 128-d template of
/// unit length per face, from the 112×112 crop aligned on YuNet's landmarks. Two templates of
/// one person have a high cosine similarity. Holds the network; not thread-safe.
public final class SFaceRecognizer {
    public static let cropSide = Int(LK_SFACE_CROP)

    private let recognizer: OpaquePointer

    public init(models: ONNXFaceModels) throws {
        var message = [CChar](repeating: 0, count: 1024)
        guard let recognizer = lk_sface_create(models.sface.path, &message, message.count)
        else { throw FaceEngineError(description: String(shimMessage: message)) }
        self.recognizer = recognizer
    }

    deinit { lk_sface_destroy(recognizer) }

    /// One template per face, in one batch. `mirrored` adds the mirrored crop's features to each.
    public func templates(for faces: [YuNetFace], in image: RGBImage, mirrored: Bool) throws -> [FaceTemplate] {
        guard !faces.isEmpty else { return [] }
        let landmarks = faces.flatMap(\.landmarks)
        var output = [Float](repeating: 0, count: faces.count * FaceTemplate.dimension)
        var message = [CChar](repeating: 0, count: 512)
        let status = image.withPixels { pixels in
            lk_sface_features(recognizer, lk_cv_image(pixels: pixels, width: image.width, height: image.height, stride: image.width * 3),
                              landmarks, faces.count, mirrored ? 1 : 0, &output, &message, message.count)
        }
        guard status == 0 else { throw FaceEngineError(description: String(shimMessage: message)) }
        return (0..<faces.count).map { i in
            FaceTemplate(Array(output[(i * FaceTemplate.dimension)..<((i + 1) * FaceTemplate.dimension)]))
        }
    }

    /// The aligned 112×112 RGB8 crop a face's template is computed from.
    public static func crop(for face: YuNetFace, in image: RGBImage) throws -> [UInt8] {
        var crop = [UInt8](repeating: 0, count: cropSide * cropSide * 3)
        var message = [CChar](repeating: 0, count: 512)
        let status = image.withPixels { pixels in
            lk_sface_align(lk_cv_image(pixels: pixels, width: image.width, height: image.height, stride: image.width * 3),
                           face.landmarks, &crop, &message, message.count)
        }
        guard status == 0 else { throw FaceEngineError(description: String(shimMessage: message)) }
        return crop
    }
}
