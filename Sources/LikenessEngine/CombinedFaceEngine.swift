import LikenessCore

/// The default engine: YuNet finds the faces, dlib's landmark model, chip and ResNet give each
/// face the template the index holds, and SFace gives it a second, independently trained
/// template on YuNet's landmarks, with which the index's candidates are re-scored. HOG and MMOD
/// stay available by policy, and HOG takes over when YuNet finds nothing (such a face has no
/// SFace template). Holds one of each network; not thread-safe.
public final class CombinedFaceEngine: FaceEngine {
    /// The long side of the second, small scan for faces too large for the first.
    static let largeFaceScan = 480

    private let dlib: DlibFaceEngine
    private let yunet: YuNetDetector
    private let sface: SFaceRecognizer

    public init(models: FaceModels, onnx: ONNXFaceModels, loadDetectorCNN: Bool = false) throws {
        dlib = try DlibFaceEngine(models: models, loadDetectorCNN: loadDetectorCNN)
        yunet = try YuNetDetector(models: onnx)
        sface = try SFaceRecognizer(models: onnx)
    }

    public func detectFaces(in image: RGBImage, policy: DetectionPolicy) throws -> [DetectedFace] {
        guard policy.detector == .yunet else { return try dlib.detectFaces(in: image, policy: policy) }
        let longSide: Int
        switch policy.scale {
        case .fit(let target): longSide = target
        case .upsample: longSide = max(image.width, image.height)
        }
        var found = try yunet.detectFaces(in: image, longSide: longSide)
        // YuNet's coarsest stride sees faces up to roughly 300 px of the scanned image: a face
        // filling a large photo (a portrait, a selfie) is found only in a smaller copy.
        if !policy.firstLook, max(image.width, image.height) > Self.largeFaceScan, longSide > Self.largeFaceScan {
            let large = try yunet.detectFaces(in: image, longSide: Self.largeFaceScan)
            found += large.filter { face in !found.contains { $0.box.overlap(with: face.box) >= 0.3 } }
            found.sort { $0.box.area > $1.box.area }
        }
        guard !found.isEmpty || policy.firstLook else {
            return try dlib.detectFaces(in: image, policy: DetectionPolicy(detector: .hog, scale: .fit(longSide: 2000)))
        }
        return try found.map { face in
            var detected = try dlib.face(in: face.dlibBox, score: Double(face.score), of: image)
            detected.box = face.box
            detected.alignment = face.landmarks
            return detected
        }
    }

    public func templates(for faces: [DetectedFace], in image: RGBImage, policy: TemplatePolicy) throws -> [FaceTemplate] {
        try dlib.templates(for: faces, in: image, policy: policy)
    }

    public func sfaceTemplates(for faces: [DetectedFace], in image: RGBImage) throws -> [FaceTemplate?] {
        let aligned = faces.enumerated().compactMap { index, face in
            face.alignment.map { (index, YuNetFace(box: face.box, score: Float(face.detectorScore), landmarks: $0)) }
        }
        let templates = try sface.templates(for: aligned.map(\.1), in: image, mirrored: true)
        var result = [FaceTemplate?](repeating: nil, count: faces.count)
        for ((index, _), template) in zip(aligned, templates) { result[index] = template }
        return result
    }

    public func chip(for face: DetectedFace, in image: RGBImage) throws -> [UInt8] {
        try dlib.chip(for: face, in: image)
    }
}
