import LikenessCore

public enum FaceDetectorKind: String, Sendable, CaseIterable, Codable {
    /// OpenCV Zoo's YuNet: faces from ~10 px up, with the landmarks SFace aligns on.
    case yunet
    /// dlib's HOG detector: fast, frontal faces of 80 px and up at the scanned scale.
    case hog
    /// dlib's MMOD CNN: slower (~0.9 s per 640×480 image on one core), finds harder faces.
    case mmod
}

/// Where and how to look for faces in an image.
public struct DetectionPolicy: Sendable, Hashable {
    public enum Scale: Sendable, Hashable {
        /// Scan the full-resolution image after doubling it `n` times (dlib's "upsample").
        case upsample(Int)
        /// Scan at the resolution that brings the longer side closest to `longSide` pixels:
        /// small photos are doubled (as the reference does), large ones shrunk, so the cost
        /// stays bounded while faces down to 4% of the image side are found.
        case fit(longSide: Int)
    }

    public var detector: FaceDetectorKind
    public var scale: Scale
    /// A first look at a probe: one YuNet scan at `scale`, nothing more (no second scan for
    /// large faces, no HOG when it finds none): the searcher looks again with `standard`.
    public var firstLook: Bool

    public init(detector: FaceDetectorKind, scale: Scale, firstLook: Bool = false) {
        self.detector = detector
        self.scale = scale
        self.firstLook = firstLook
    }

    /// Exactly what the reference `face_recognition` does: HOG on the image doubled once.
    public static let reference = DetectionPolicy(detector: .hog, scale: .upsample(1))
    /// The default for ingest and search: YuNet on the photo shrunk to at most 1,280 px (faces
    /// from ~10 px of that up; HOG at 2,000 px needed 80), plus a 480 px scan for faces too large
    /// for it, and HOG at 2,000 px when YuNet finds nothing.
    public static let standard = DetectionPolicy(detector: .yunet, scale: .fit(longSide: 1280))
    /// A first, quick look at a probe photo: probes are portraits and selfies whose faces are
    /// large, so one scan at up to 640 px finds them in a fraction of the standard time.
    /// Searches fall back to `standard` when it finds nothing.
    public static let quickProbe = DetectionPolicy(detector: .yunet, scale: .fit(longSide: 640), firstLook: true)
    /// Sampled video frames (at most 1,280 px from the decoder): scanned as they are.
    public static let video = DetectionPolicy(detector: .yunet, scale: .fit(longSide: 1280))
    /// The opt-in slow mode.
    public static let accurate = DetectionPolicy(detector: .mmod, scale: .fit(longSide: 2000))
}

/// How a face's template is computed from its aligned chip.
public struct TemplatePolicy: Sendable, Hashable {
    /// Averages the descriptors of this many randomly jittered chips (dlib's jitter); 1 = none.
    public var jitters: Int
    /// Averages in the mirrored chip's descriptor as well.
    public var mirrored: Bool

    public init(jitters: Int, mirrored: Bool) {
        self.jitters = jitters
        self.mirrored = mirrored
    }

    /// Exactly what the reference `face_recognition` computes (num_jitters=1).
    public static let reference = TemplatePolicy(jitters: 1, mirrored: false)
    /// The default: the mean of the chip's and its mirror image's descriptors. On the 1,891
    /// pairs of shared/faces it lowered the equal error rate from 0.40% to 0.34% and raised
    /// TAR at FAR 1e-3 from 95.9% to 96.6%, for one more forward pass (~17 ms) per face.
    public static let standard = TemplatePolicy(jitters: 1, mirrored: true)
}

/// Turns photos into faces and faces into templates. One instance is used by one thread at
/// a time; `EnginePool` hands instances to workers.
public protocol FaceEngine: AnyObject {
    /// Every face in the image, with its landmarks, largest first.
    func detectFaces(in image: RGBImage, policy: DetectionPolicy) throws -> [DetectedFace]

    /// One template per face (dlib's, `TemplateModel.dlibResNetV1`), computed in batches.
    func templates(for faces: [DetectedFace], in image: RGBImage, policy: TemplatePolicy) throws -> [FaceTemplate]

    /// SFace's template (`TemplateModel.sface2021dec`, mirrored) per face, nil for a face without
    /// YuNet's landmarks (`DetectedFace.alignment`) or from an engine without SFace.
    func sfaceTemplates(for faces: [DetectedFace], in image: RGBImage) throws -> [FaceTemplate?]

    /// The aligned 150×150 RGB8 face chip the template is computed from.
    func chip(for face: DetectedFace, in image: RGBImage) throws -> [UInt8]
}

public struct FaceEngineError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

extension String {
    /// The NUL-terminated message a shim wrote into `buffer`.
    init(shimMessage buffer: [CChar]) {
        self = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
