import CDlib
import LikenessCore

/// The dlib face engine: HOG or MMOD detection, 5-point landmarks, the ResNet descriptor.
/// Holds the loaded models and their work buffers; not thread-safe.
public final class DlibFaceEngine: FaceEngine {
    public static let chipSide = Int(LK_CHIP_SIZE)
    private static let maxFaces = 1024

    private let engine: OpaquePointer

    public init(models: FaceModels, loadDetectorCNN: Bool = true) throws {
        var message = [CChar](repeating: 0, count: 1024)
        guard let engine = lk_engine_create(models.landmarks, models.recognition,
                                            loadDetectorCNN ? models.mmodDetector : nil,
                                            models.hogDetectorCache, &message, message.count)
        else { throw FaceEngineError(description: String(shimMessage: message)) }
        self.engine = engine
    }

    deinit { lk_engine_destroy(engine) }

    public func detectFaces(in image: RGBImage, policy: DetectionPolicy) throws -> [DetectedFace] {
        guard policy.detector != .yunet else {
            throw FaceEngineError(description: "YuNet detection needs the combined engine (CombinedFaceEngine), not dlib's alone")
        }
        let longSide = max(image.width, image.height)
        var scanned = image
        var upsample = 0
        var scaleBack = 1.0
        switch policy.scale {
        case .upsample(let n):
            upsample = n
        case .fit(let target):
            if longSide * 2 <= target {
                upsample = 1
            } else if longSide > target {
                let scale = Double(target) / Double(longSide)
                scanned = try ImageCodec.resize(image, scale: scale)
                scaleBack = Double(image.width) / Double(scanned.width)
            }
        }
        var detections = [lk_detection](repeating: lk_detection(), count: Self.maxFaces)
        var message = [CChar](repeating: 0, count: 512)
        let found = scanned.withPixels { pixels in
            lk_detect(engine, view(scanned, pixels), Int32(upsample), policy.detector == .mmod ? 1 : 0,
                      &detections, detections.count, &message, message.count)
        }
        guard found >= 0 else { throw FaceEngineError(description: String(shimMessage: message)) }

        var faces: [DetectedFace] = []
        for detection in detections.prefix(min(found, Self.maxFaces)) {
            var box = detection
            if scaleBack != 1 {
                box.left = Int((Double(box.left) * scaleBack).rounded())
                box.top = Int((Double(box.top) * scaleBack).rounded())
                box.right = Int((Double(box.right) * scaleBack).rounded())
                box.bottom = Int((Double(box.bottom) * scaleBack).rounded())
            }
            var points = [lk_point](repeating: lk_point(), count: 5)
            let status = image.withPixels { pixels in
                lk_landmarks(engine, view(image, pixels), box, &points, &message, message.count)
            }
            guard status == 0 else { throw FaceEngineError(description: String(shimMessage: message)) }
            faces.append(DetectedFace(
                box: FaceBox(left: box.left, top: box.top, right: box.right, bottom: box.bottom),
                detectorScore: box.score,
                landmarks: points.map { PixelPoint(x: $0.x, y: $0.y) }))
        }
        return faces.sorted { $0.box.area > $1.box.area }
    }

    /// dlib's 5 landmarks for a face another detector found, in a box shaped as HOG's are
    /// (`YuNetFace.dlibBox`): the shape predictor starts from its mean shape in that box.
    public func face(in box: FaceBox, score: Double, of image: RGBImage) throws -> DetectedFace {
        var points = [lk_point](repeating: lk_point(), count: 5)
        var message = [CChar](repeating: 0, count: 512)
        let detection = lk_detection(left: box.left, top: box.top, right: box.right, bottom: box.bottom, score: score)
        let status = image.withPixels { pixels in
            lk_landmarks(engine, view(image, pixels), detection, &points, &message, message.count)
        }
        guard status == 0 else { throw FaceEngineError(description: String(shimMessage: message)) }
        return DetectedFace(box: box, detectorScore: score, landmarks: points.map { PixelPoint(x: $0.x, y: $0.y) })
    }

    public func templates(for faces: [DetectedFace], in image: RGBImage, policy: TemplatePolicy) throws -> [FaceTemplate] {
        guard !faces.isEmpty else { return [] }
        let boxes = faces.map(Self.detection)
        let points = faces.flatMap { $0.landmarks.map { lk_point(x: $0.x, y: $0.y) } }
        var output = [Float](repeating: 0, count: faces.count * FaceTemplate.dimension)
        var message = [CChar](repeating: 0, count: 512)
        let status = image.withPixels { pixels in
            lk_descriptors(engine, view(image, pixels), boxes, points, faces.count, Int32(policy.jitters),
                           policy.mirrored ? 1 : 0, &output, &message, message.count)
        }
        guard status == 0 else { throw FaceEngineError(description: String(shimMessage: message)) }
        return (0..<faces.count).map { i in
            FaceTemplate(Array(output[(i * FaceTemplate.dimension)..<((i + 1) * FaceTemplate.dimension)]))
        }
    }

    /// dlib alone has no second model.
    public func sfaceTemplates(for faces: [DetectedFace], in image: RGBImage) throws -> [FaceTemplate?] {
        [FaceTemplate?](repeating: nil, count: faces.count)
    }

    public func chip(for face: DetectedFace, in image: RGBImage) throws -> [UInt8] {
        var chip = [UInt8](repeating: 0, count: Self.chipSide * Self.chipSide * 3)
        var message = [CChar](repeating: 0, count: 512)
        let points = face.landmarks.map { lk_point(x: $0.x, y: $0.y) }
        let status = image.withPixels { pixels in
            lk_face_chip(view(image, pixels), Self.detection(face), points, &chip, &message, message.count)
        }
        guard status == 0 else { throw FaceEngineError(description: String(shimMessage: message)) }
        return chip
    }

    /// Where the face's 5 landmarks fall on its chip (`chip(for:in:)`'s), in chip pixels, as
    /// x, y pairs: a reviewer sees how far the alignment left each from where it put the others.
    public static func chipLandmarks(of face: DetectedFace) throws -> [Float] {
        guard face.landmarks.count == 5 else { throw FaceEngineError(description: "a face needs its 5 landmarks to be aligned") }
        var out = [Double](repeating: 0, count: 10)
        var message = [CChar](repeating: 0, count: 512)
        let points = face.landmarks.map { lk_point(x: $0.x, y: $0.y) }
        guard lk_chip_landmarks(detection(face), points, &out, &message, message.count) == 0 else {
            throw FaceEngineError(description: String(shimMessage: message))
        }
        return out.map(Float.init)
    }

    private static func detection(_ face: DetectedFace) -> lk_detection {
        lk_detection(left: face.box.left, top: face.box.top, right: face.box.right,
                     bottom: face.box.bottom, score: face.detectorScore)
    }

    private func view(_ image: RGBImage, _ pixels: UnsafePointer<UInt8>) -> lk_rgb_image {
        lk_rgb_image(pixels: pixels, width: image.width, height: image.height, stride: image.width * 3)
    }
}
