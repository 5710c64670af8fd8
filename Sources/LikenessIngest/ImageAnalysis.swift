import LikenessCore
import LikenessEngine
import LikenessStore

/// Photo → faces → templates for one image: decode, detect, align, describe, and keep a
/// JPEG of each aligned face chip for reviewers. Runs on an engine thread.
public struct ImageAnalysis: Sendable {
    public var width: Int
    public var height: Int
    public var format: String
    /// Largest first, as the detector orders them.
    public var faces: [NewFace]
    public var timings: StageTimings

    public static func analyse(_ bytes: [UInt8], engine: any FaceEngine, detection: DetectionPolicy,
                        templates templatePolicy: TemplatePolicy) throws -> ImageAnalysis {
        var timings = StageTimings()
        let image: RGBImage
        do {
            image = try timings.measure(\.decode) { try ImageCodec.decode(data: bytes) }
        } catch {
            throw IngestError("cannot decode: \(error)")
        }
        let detected = try timings.measure(\.detect) { try engine.detectFaces(in: image, policy: detection) }
        let templates = try timings.measure(\.describe) { try engine.templates(for: detected, in: image, policy: templatePolicy) }
        let sfaceTemplates = try timings.measure(\.describeSecond) { try engine.sfaceTemplates(for: detected, in: image) }
        let faces = try timings.measure(\.crop) {
            try detected.indices.map { i in
                let chip = try engine.chip(for: detected[i], in: image)
                let side = DlibFaceEngine.chipSide
                return NewFace(face: detected[i], quality: FaceQuality.score(face: detected[i], chip: chip), template: templates[i],
                               sfaceTemplate: sfaceTemplates[i], crop: try ImageCodec.jpeg(rgb: chip, width: side, height: side))
            }
        }
        return ImageAnalysis(width: image.width, height: image.height,
                             format: image.format.replacingOccurrences(of: "_source", with: ""), faces: faces,
                             timings: timings)
    }
}

/// Time spent in each stage of the data path, summed over images.
public struct StageTimings: Sendable {
    public var read: Duration = .zero      // file read, archive entry or download, and hashing
    public var decode: Duration = .zero    // libvips: bytes → upright RGB8
    public var detect: Duration = .zero    // detector and 5-point landmarks
    public var describe: Duration = .zero  // dlib: aligned chips and 128-d descriptors
    public var describeSecond: Duration = .zero  // SFace: aligned crops and 128-d features
    public var crop: Duration = .zero      // reviewer crops (JPEG) and quality scores
    public var store: Duration = .zero     // database transaction and index update

    public init() {}

    mutating func measure<T>(_ stage: WritableKeyPath<StageTimings, Duration>, _ body: () throws -> T) rethrows -> T {
        let clock = ContinuousClock()
        let start = clock.now
        defer { self[keyPath: stage] += clock.now - start }
        return try body()
    }

    mutating func add(_ other: StageTimings) {
        read += other.read
        decode += other.decode
        detect += other.detect
        describe += other.describe
        describeSecond += other.describeSecond
        crop += other.crop
        store += other.store
    }

    public var stages: [(name: String, total: Duration)] {
        [("read", read), ("decode", decode), ("detect", detect), ("describe (dlib)", describe),
         ("describe (SFace)", describeSecond), ("crop", crop), ("store", store)]
    }
}
