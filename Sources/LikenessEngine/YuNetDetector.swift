import COpenCVFace
import LikenessCore

/// A face YuNet found: its box, confidence and 5 landmarks (right eye, left eye, nose tip,
/// right and left mouth corner; the subject's right is the image's left), in image pixels.
public struct YuNetFace: Sendable, Hashable {
    public var box: FaceBox
    public var score: Float
    /// x, y pairs, 10 values: SFace aligns its crop on them.
    public var landmarks: [Float]

    public init(box: FaceBox, score: Float, landmarks: [Float]) {
        self.box = box
        self.score = score
        self.landmarks = landmarks
    }
}

extension YuNetFace {
    /// The box dlib's HOG detector would give this face: dlib's landmark model was trained on
    /// HOG's boxes, which are square and lower than YuNet's. Measured on 294 LFW photos of fold 3
    /// where both found the face: HOG's side is 1.14 × YuNet's width (coefficient of variation
    /// 8.6%), its centre 0.035 × width left of and 0.04 × height below YuNet's.
    public var dlibBox: FaceBox {
        let width = Double(box.width), height = Double(box.height)
        let side = 1.14 * width
        let centreX = Double(box.left) + width / 2 - 0.035 * width
        let centreY = Double(box.top) + height / 2 + 0.04 * height
        let left = Int((centreX - side / 2).rounded()), top = Int((centreY - side / 2).rounded())
        let length = Int(side.rounded())
        return FaceBox(left: left, top: top, right: left + length - 1, bottom: top + length - 1)
    }
}

/// The YuNet face detector (OpenCV Zoo, 2023mar) through OpenCV's dnn module. Holds the network
/// and its buffers; not thread-safe.
public final class YuNetDetector {
    /// The confidence a face needs. OpenCV's demo uses 0.9, at which 64 of the 6,118 photos of
    /// ../shared/lfw-dev (each of a person, by construction) have no face; at 0.85 none does.
    public static let defaultScoreThreshold: Float = 0.8
    private static let overlapThreshold: Float = 0.3
    private static let maxFaces = 1024

    private let detector: OpaquePointer

    public init(models: ONNXFaceModels) throws {
        var message = [CChar](repeating: 0, count: 1024)
        guard let detector = lk_yunet_create(models.yunet.path, &message, message.count)
        else { throw FaceEngineError(description: String(shimMessage: message)) }
        self.detector = detector
    }

    deinit { lk_yunet_destroy(detector) }

    /// The faces in `image`, largest first. The network scans the image shrunk so that its longer
    /// side is at most `longSide` (never enlarged: YuNet finds faces from about 10 px up), and
    /// the faces are given in the pixels of `image`.
    public func detectFaces(in image: RGBImage, longSide: Int, scoreThreshold: Float = defaultScoreThreshold) throws -> [YuNetFace] {
        var scanned = image
        let longer = max(image.width, image.height)
        if longer > longSide {
            scanned = try ImageCodec.resize(image, scale: Double(longSide) / Double(longer))
        }
        let scaleBack = Float(image.width) / Float(scanned.width)
        var faces = [lk_yunet_face](repeating: lk_yunet_face(), count: Self.maxFaces)
        var message = [CChar](repeating: 0, count: 512)
        let found = scanned.withPixels { pixels in
            lk_yunet_detect(detector, lk_cv_image(pixels: pixels, width: scanned.width, height: scanned.height, stride: scanned.width * 3),
                            scoreThreshold, Self.overlapThreshold, &faces, faces.count, &message, message.count)
        }
        guard found >= 0 else { throw FaceEngineError(description: String(shimMessage: message)) }
        return faces.prefix(min(found, Self.maxFaces)).map { face in
            var landmarks = withUnsafeBytes(of: face.landmarks) { Array($0.bindMemory(to: Float.self)) }
            landmarks = landmarks.map { $0 * scaleBack }
            let left = Int((face.x * scaleBack).rounded()), top = Int((face.y * scaleBack).rounded())
            let box = FaceBox(left: left, top: top,
                              right: left + Int((face.width * scaleBack).rounded()) - 1,
                              bottom: top + Int((face.height * scaleBack).rounded()) - 1)
            return YuNetFace(box: box, score: face.score, landmarks: landmarks)
        }.sorted { $0.box.area > $1.box.area }
    }
}
