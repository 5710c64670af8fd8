import Foundation
import LikenessCore
import LikenessEngine
import LikenessStore

/// A probe photo decoded for searching: shrunk while decoding when it is far larger than
/// detection needs (`ImageCodec.decode(data:keepingLongSideAtLeast:)`), with the way back to
/// its full size for a face too small in the shrunk copy.
public struct ProbePhoto: Sendable {
    public var image: RGBImage
    /// How many times smaller than the photo `image` is (1: full size).
    public var shrink: Int
    /// Decodes the photo at full size; nil when `image` is the full size already.
    public var fullSize: (@Sendable () throws -> RGBImage)?

    public init(image: RGBImage, shrink: Int = 1, fullSize: (@Sendable () throws -> RGBImage)? = nil) {
        self.image = image
        self.shrink = shrink
        self.fullSize = fullSize
    }

    /// A probe from encoded bytes: a JPEG far larger than detection needs is decoded shrunk.
    public static func decoding(_ photo: [UInt8]) throws -> ProbePhoto {
        let (image, shrink) = try ImageCodec.decode(data: photo, keepingLongSideAtLeast: ProbeAnalysis.probeLongSide)
        guard shrink > 1 else { return ProbePhoto(image: image) }
        let fullSize: @Sendable () throws -> RGBImage = { try ImageCodec.decode(data: photo) }
        return ProbePhoto(image: image, shrink: shrink, fullSize: fullSize)
    }
}

/// Probe photo → its faces → the chosen face's templates, as fast as a person waiting for
/// the answer needs: a quick look for a probe's usually large face before the full detection,
/// and the two models' templates on two engines at once. Ingest computes a gallery's templates
/// its own way (`ImageAnalysis`); `likeness eval --probe-path` measures that both ways rank alike.
public struct ProbeAnalysis: Sendable {
    let pool: EnginePool
    let policy: DetectionPolicy
    let templatePolicy: TemplatePolicy

    public init(pool: EnginePool, policy: DetectionPolicy = .standard, templates: TemplatePolicy = .standard) {
        self.pool = pool
        self.policy = policy
        templatePolicy = templates
    }

    /// The longest side a probe needs: what the standard detection scans (YuNet fits photos to
    /// 1,280 px). A 12-megapixel JPEG (4,032 px) decodes at half size, a quarter of the pixels.
    public static let probeLongSide = 1_280
    /// Below this width in the shrunk probe a face's templates are computed at full size: dlib's
    /// 150 px chip then keeps every pixel the photo has of it.
    static let fullSizeFaceWidth = 150

    public struct Analysed: Sendable {
        /// Where the faces were found, in the photo's pixels, largest first.
        public var faces: [FaceBox]
        /// The chosen face's templates.
        public var templates: FaceTemplates
        /// Why the probe is weak evidence, if it is (a small or blurred face).
        public var warning: String?
        /// The chosen face aligned as the gallery's crops are, for examiners to compare.
        public var face: ProbeFace
        public var timings: SearchTimings
    }

    /// The templates of one face of the probe: `face` (0-based, faces ordered largest first),
    /// else the largest. With no face found in a shrunk probe, or the chosen face too small in
    /// it, the photo is decoded at full size and looked at as it is.
    public func analyse(_ probe: ProbePhoto, name: String, face chosen: Int?) async throws -> Analysed {
        let (policy, templatePolicy) = (self.policy, self.templatePolicy)
        var timings = SearchTimings()
        let queued = ContinuousClock.now
        let index = chosen ?? 0
        let (image, shrink, faces, detectTimings) = try await pool.run {
            engine -> (RGBImage, Int, [DetectedFace], SearchTimings) in
            var timings = SearchTimings()
            timings.record("engine-wait", since: queued)
            func detect(_ image: RGBImage) throws -> [DetectedFace] {
                if policy == .standard {
                    let faces = try engine.detectFaces(in: image, policy: .quickProbe)
                    if faces.indices.contains(index) { return faces }
                }
                return try engine.detectFaces(in: image, policy: policy)
            }
            var (image, shrink) = (probe.image, probe.shrink)
            var faces = try timings.measure("detect") { try detect(image) }
            if let fullSize = probe.fullSize,
               !faces.indices.contains(index) || faces[index].box.width < Self.fullSizeFaceWidth {
                (image, shrink) = (try timings.measure("decode-full") { try fullSize() }, 1)
                faces = try timings.measure("detect-full") { try detect(image) }
            }
            return (image, shrink, faces, timings)
        }
        timings.append(detectTimings)
        guard !faces.isEmpty else { throw SearchError.noFace(probe: name) }
        guard faces.indices.contains(index) else {
            throw SearchError.noSuchFace(probe: name, requested: index, found: faces.count)
        }
        let face = faces[index]
        // The two models' templates are queued as two jobs: when another engine is idle (one
        // search at a time) they run at once, and the search waits for the longer (dlib's, with
        // its mirror) rather than for both; under load each takes the next free engine, and the
        // work is what it was. The quality check and the chip kept for examiners go with
        // SFace's, the shorter.
        let templatesStart = ContinuousClock.now
        async let sfaceAndChip = pool.run { engine -> (FaceTemplate?, String?, ProbeFace, SearchTimings) in
            let sface = try engine.sfaceTemplates(for: [face], in: image)[0]
            var timings = SearchTimings()
            let (warning, chip) = try timings.measure("chip") { () throws -> (String?, ProbeFace) in
                let chip = try engine.chip(for: face, in: image)
                let side = DlibFaceEngine.chipSide
                return (FaceQuality.probeWarning(face: face, chip: chip),
                        ProbeFace(jpeg: try ImageCodec.jpeg(rgb: chip, width: side, height: side),
                                  landmarks: try DlibFaceEngine.chipLandmarks(of: face)))
            }
            return (sface, warning, chip, timings)
        }
        let dlib = try await pool.run { engine in try engine.templates(for: [face], in: image, policy: templatePolicy)[0] }
        let (sface, warning, chip, chipTimings) = try await sfaceAndChip
        timings.record("templates", since: templatesStart)
        timings.append(chipTimings)
        // Boxes in the photo's own pixels, whatever size it was looked at.
        return Analysed(faces: faces.map { $0.box.scaled(by: shrink) }, templates: FaceTemplates(dlib: dlib, sface: sface),
                        warning: warning, face: chip, timings: timings)
    }
}

extension FaceBox {
    /// The box in an image `factor` times larger (the full-size photo of a shrunk decode).
    func scaled(by factor: Int) -> FaceBox {
        factor == 1 ? self : FaceBox(left: left * factor, top: top * factor, right: (right + 1) * factor - 1,
                                     bottom: (bottom + 1) * factor - 1)
    }
}
