import Foundation
import LikenessCore
import LikenessEngine
import LikenessGallery
import LikenessIndex
import LikenessStore

/// Probe photo → its faces → the chosen face's template → nearest templates in the gallery →
/// candidates with their bands and provenance.
public final class FaceSearcher: Sendable {
    let gallery: Gallery
    let pool: EnginePool
    let bands: BandThresholds
    let fusedBands: FusedBands?
    let policy: DetectionPolicy
    let templatePolicy: TemplatePolicy

    /// `bands` score a candidate by dlib's distance alone; `fusedBands`, by both models when the
    /// probe and the candidate both have SFace's template (nil: dlib alone for every candidate).
    public init(gallery: Gallery, pool: EnginePool, bands: BandThresholds, fusedBands: FusedBands? = .standard,
                policy: DetectionPolicy = .standard, templates: TemplatePolicy = .standard) {
        self.gallery = gallery
        self.pool = pool
        self.bands = bands
        self.fusedBands = fusedBands
        self.policy = policy
        templatePolicy = templates
    }

    /// A probe photo decoded for searching: shrunk while decoding when it is far larger than
    /// detection needs (`ImageCodec.decode(data:keepingLongSideAtLeast:)`), with the way back to
    /// its full size for a face too small in the shrunk copy.
    public struct Probe: Sendable {
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
        public static func decoding(_ photo: [UInt8]) throws -> Probe {
            let (image, shrink) = try ImageCodec.decode(data: photo, keepingLongSideAtLeast: FaceSearcher.probeLongSide)
            guard shrink > 1 else { return Probe(image: image) }
            let fullSize: @Sendable () throws -> RGBImage = { try ImageCodec.decode(data: photo) }
            return Probe(image: image, shrink: shrink, fullSize: fullSize)
        }
    }

    /// The longest side a probe needs: what the standard detection scans (YuNet fits photos to
    /// 1,280 px). A 12-megapixel JPEG (4,032 px) decodes at half size, a quarter of the pixels.
    public static let probeLongSide = 1_280
    /// Below this width in the shrunk probe a face's templates are computed at full size: dlib's
    /// 150 px chip then keeps every pixel the photo has of it.
    static let fullSizeFaceWidth = 150

    /// Searches with one face of the probe: `face` (0-based, faces ordered largest first),
    /// else the largest. `collections` nil searches every collection.
    public func search(probe: RGBImage, name: String, face chosen: Int? = nil, top: Int,
                       collections: Set<CollectionID>? = nil) async throws -> ProbeResult {
        try await search(probe: Probe(image: probe), name: name, face: chosen, top: top, collections: collections)
    }

    /// Searches a probe decoded shrunk; with no face found in it, or the chosen face too small
    /// in it, the photo is decoded at full size and searched as it is.
    public func search(probe: Probe, name: String, face chosen: Int? = nil, top: Int,
                       collections: Set<CollectionID>? = nil) async throws -> ProbeResult {
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
        // work is what it was. The quality check goes with SFace's, the shorter.
        let templatesStart = ContinuousClock.now
        async let sfaceAndQuality = pool.run { engine -> (FaceTemplate?, String?, SearchTimings) in
            let sface = try engine.sfaceTemplates(for: [face], in: image)[0]
            var timings = SearchTimings()
            let warning = try timings.measure("quality") { FaceQuality.probeWarning(face: face, chip: try engine.chip(for: face, in: image)) }
            return (sface, warning, timings)
        }
        let dlib = try await pool.run { engine in try engine.templates(for: [face], in: image, policy: templatePolicy)[0] }
        let (sface, warning, qualityTimings) = try await sfaceAndQuality
        let templates = FaceTemplates(dlib: dlib, sface: sface)
        timings.record("templates", since: templatesStart)
        timings.append(qualityTimings)
        let matches = try await nearest(to: templates, top: top, collections: collections, timings: &timings)
        // Boxes in the photo's own pixels, whatever size it was searched at.
        return ProbeResult(probe: name, faces: faces.map { $0.box.scaled(by: shrink) }, face: chosen ?? 0, matches: matches,
                           warnings: warning.map { [$0] } ?? [], timings: timings)
    }

    /// A stored face's templates, to search with it (a pivot, or a face an erasure reviewer
    /// confirmed); nil when the face is no longer held.
    public func storedTemplates(of face: FaceID) async throws -> FaceTemplates? {
        guard let dlib = try await gallery.store.templates(of: [face], model: .dlibResNetV1)[face] else { return nil }
        return FaceTemplates(dlib: dlib, sface: try await gallery.store.templates(of: [face], model: .sface2021dec)[face])
    }

    /// How many of the index's nearest faces are re-scored with both models: the fused ranking
    /// can lift a face the index placed below `top`.
    static func candidatePool(top: Int) -> Int { max(4 * top, 200) }

    /// How far an erasure request's reviewer looks on the fused scale (nil without fusion).
    public var fusedReviewDistance: Float? { fusedBands?.reviewDistance }

    /// The gallery's nearest faces, ranked, with what a reviewer needs to follow them up. The
    /// index finds the candidates by dlib's template; when the probe has SFace's template too,
    /// each candidate that has one is scored on the fused distance and its bands, the others on
    /// dlib's alone (`Match.scoredBy` says which). Ranked by band, then by display similarity.
    public func nearest(to probe: FaceTemplates, top: Int, collections: Set<CollectionID>?) async throws -> [Match] {
        var timings = SearchTimings()
        return try await nearest(to: probe, top: top, collections: collections, timings: &timings)
    }

    func nearest(to probe: FaceTemplates, top: Int, collections: Set<CollectionID>?,
                 timings: inout SearchTimings) async throws -> [Match] {
        let fusion = probe.sface != nil ? fusedBands : nil
        var start = ContinuousClock.now
        try await gallery.catchUpBeforeSearching()
        let neighbors = try await gallery.index.nearest(to: probe.dlib, k: fusion == nil ? top : Self.candidatePool(top: top),
                                                        in: collections)
        timings.record("index", since: start)
        start = ContinuousClock.now
        defer { timings.record("candidates", since: start) }
        let second = fusion == nil ? [:] : try await gallery.store.templates(of: neighbors.map(\.id), model: .sface2021dec)
        let scored = neighbors.map { neighbor -> ScoredNeighbor in
            if let fusion, let probeSFace = probe.sface, let candidate = second[neighbor.id] {
                let fused = fusion.fusedDistance(dlibDistance: neighbor.distance, sfaceSimilarity: candidate.cosineSimilarity(to: probeSFace))
                return ScoredNeighbor(id: neighbor.id, distance: neighbor.distance, fusedDistance: fused,
                                      band: fusion.band(forFusedDistance: fused), similarity: fusion.similarity(forFusedDistance: fused))
            }
            return ScoredNeighbor(id: neighbor.id, distance: neighbor.distance, fusedDistance: nil,
                                  band: bands.band(forDistance: neighbor.distance), similarity: bands.similarity(forDistance: neighbor.distance))
        }.sorted { ($0.band.rank, -$0.similarity, $0.id) < ($1.band.rank, -$1.similarity, $1.id) }
        let ranked = Array(scored.prefix(top))
        let details = try await gallery.store.matchDetails(for: ranked.map { $0.id })
        // A face erased since the index was last synced has no details: it is not shown.
        return ranked.compactMap { neighbor in details[neighbor.id].map { (neighbor, $0) } }
            .enumerated().map { rank, pair in
                let (neighbor, detail) = pair
                return Match(rank: rank + 1, face: neighbor.id, image: detail.image, distance: neighbor.distance,
                             fusedDistance: neighbor.fusedDistance, similarity: neighbor.similarity, band: neighbor.band,
                             collection: detail.collection, origin: detail.origin, box: detail.box, video: detail.video)
            }
    }

    private struct ScoredNeighbor {
        var id: FaceID
        var distance: Float
        var fusedDistance: Float?
        var band: ScoreBand
        var similarity: Double
    }
}

public enum SearchError: Error, CustomStringConvertible, Sendable {
    case noFace(probe: String)
    case noSuchFace(probe: String, requested: Int, found: Int)
    case unknownCollection(String)

    public var description: String {
        switch self {
        case .noFace(let probe): "\(probe): no face found in the probe photo"
        case .noSuchFace(let probe, let requested, let found):
            "\(probe): face \(requested) requested, but the photo has \(found) face\(found == 1 ? "" : "s") (0…\(found - 1))"
        case .unknownCollection(let name): "no collection named '\(name)'"
        }
    }
}

public struct Match: Sendable {
    public var rank: Int
    public var face: FaceID
    public var image: ImageID
    /// dlib's Euclidean distance, by which the index found the face.
    public var distance: Float
    /// The fused distance of both models (`FusedBands`), when the probe and the face both have
    /// SFace's template; the band and similarity then come from it.
    public var fusedDistance: Float?
    public var similarity: Double
    public var band: ScoreBand
    public var collection: String
    public var origin: ImageOrigin
    public var box: FaceBox
    /// For a face from a video: its best frame's time and its track's span.
    public var video: VideoAppearance?

    /// Where to look: the image, or the video and the time (`clip.mp4 @ 00:01:23.4`).
    public var place: String { VideoAppearance.place(origin, video) }

    /// The models whose templates scored this candidate.
    public var scoredBy: [TemplateModel] { fusedDistance == nil ? [.dlibResNetV1] : [.dlibResNetV1, .sface2021dec] }

    /// The models that scored `matches`, for the audit: "dlib-resnet-v1+sface-2021dec", and
    /// "(some by dlib-resnet-v1 alone)" when not every candidate had both templates.
    public static func modelsNamed(_ matches: [Match]) -> String {
        let fused = matches.filter { $0.fusedDistance != nil }.count
        if fused == 0 { return TemplateModel.dlibResNetV1.rawValue }
        let both = TemplateModel.dlibResNetV1.rawValue + "+" + TemplateModel.sface2021dec.rawValue
        return fused == matches.count ? both : both + " (\(matches.count - fused) by \(TemplateModel.dlibResNetV1.rawValue) alone)"
    }
}

public struct ProbeResult: Sendable {
    public var probe: String
    /// Where the faces were found, in the photo's pixels.
    public var faces: [FaceBox]
    public var face: Int
    public var matches: [Match]
    /// Why the probe is weak evidence, if it is (a small or blurred face).
    public var warnings: [String]
    /// Where the search's time went: waiting for an engine, detection, templates, index, candidates.
    public var timings: SearchTimings

    public init(probe: String, faces: [FaceBox], face: Int, matches: [Match], warnings: [String] = [],
                timings: SearchTimings = SearchTimings()) {
        self.probe = probe
        self.faces = faces
        self.face = face
        self.matches = matches
        self.warnings = warnings
        self.timings = timings
    }
}

extension FaceBox {
    /// The box in an image `factor` times larger (the full-size photo of a shrunk decode).
    func scaled(by factor: Int) -> FaceBox {
        factor == 1 ? self : FaceBox(left: left * factor, top: top * factor, right: (right + 1) * factor - 1,
                                     bottom: (bottom + 1) * factor - 1)
    }
}
