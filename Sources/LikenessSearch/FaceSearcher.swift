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
    let analysis: ProbeAnalysis
    let bands: BandThresholds
    public let fusedBands: FusedBands?

    /// `bands` score a candidate by dlib's distance alone; `fusedBands`, by both models when the
    /// probe and the candidate both have SFace's template (nil: dlib alone for every candidate).
    public init(gallery: Gallery, pool: EnginePool, bands: BandThresholds, fusedBands: FusedBands? = .standard,
                policy: DetectionPolicy = .standard, templates: TemplatePolicy = .standard) {
        self.gallery = gallery
        analysis = ProbeAnalysis(pool: pool, policy: policy, templates: templates)
        self.bands = bands
        self.fusedBands = fusedBands
    }

    /// Searches with one face of the probe: `face` (0-based, faces ordered largest first),
    /// else the largest. `collections` nil searches every collection.
    public func search(probe: RGBImage, name: String, face chosen: Int? = nil, top: Int,
                       collections: Set<CollectionID>? = nil) async throws -> ProbeResult {
        try await search(probe: ProbePhoto(image: probe), name: name, face: chosen, top: top, collections: collections)
    }

    /// Searches a probe decoded shrunk (`ProbeAnalysis.analyse` says how it is looked at).
    public func search(probe: ProbePhoto, name: String, face chosen: Int? = nil, top: Int,
                       collections: Set<CollectionID>? = nil) async throws -> ProbeResult {
        let analysed = try await analysis.analyse(probe, name: name, face: chosen)
        var timings = analysed.timings
        let matches = try await nearest(to: analysed.templates, top: top, collections: collections, timings: &timings)
        return ProbeResult(probe: name, faces: analysed.faces, face: chosen ?? 0, matches: matches,
                           warnings: analysed.warning.map { [$0] } ?? [], probeFace: analysed.face,
                           probeTemplates: analysed.templates, timings: timings)
    }

    /// A stored face's templates, to search with it (a pivot, or a face an erasure reviewer
    /// confirmed); nil when the face is no longer held.
    public func storedTemplates(of face: FaceID) async throws -> FaceTemplates? {
        guard let dlib = try await gallery.store.templates(of: [face], model: .dlibResNetV1)[face] else { return nil }
        return FaceTemplates(dlib: dlib, sface: try await gallery.store.templates(of: [face], model: .sface2021dec)[face])
    }

    /// How many of the index's nearest faces are re-scored with both models: the fused ranking
    /// can lift a face the index placed below `top`.
    public static func candidatePool(top: Int) -> Int { max(4 * top, 200) }

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
        return try await ranked(neighbors.map { (id: $0.id, distance: $0.distance) }, probe: probe, top: top, fusion: fusion)
    }

    /// Scores chosen faces as `nearest` scores the index's candidates, keeping those in
    /// `collections`, each face a candidate (the faces ingested since a watch last looked).
    public func matches(of probe: FaceTemplates, amongFaces ids: [FaceID], collections: Set<CollectionID>) async throws -> [Match] {
        let faces = try await gallery.store.templates(of: ids).filter { collections.contains($0.collection) }
        let scored = faces.map { (id: $0.id, distance: probe.dlib.distance(to: $0.template)) }
        return try await ranked(scored, probe: probe, top: scored.count, fusion: probe.sface != nil ? fusedBands : nil)
    }

    /// The candidates scored (`CandidateScore`), ranked by band then similarity, the first `top`
    /// with their details.
    private func ranked(_ neighbors: [(id: FaceID, distance: Float)], probe: FaceTemplates, top: Int,
                        fusion: FusedBands?) async throws -> [Match] {
        let second = fusion == nil ? [:] : try await gallery.store.templates(of: neighbors.map(\.id), model: .sface2021dec)
        let scored = neighbors.map { neighbor in
            (id: neighbor.id, score: CandidateScore(dlibDistance: neighbor.distance, probeSFace: probe.sface,
                                                    candidateSFace: second[neighbor.id], bands: bands, fusedBands: fusion))
        }.sorted { $0.score.ranksAhead(of: $1.score) || (!$1.score.ranksAhead(of: $0.score) && $0.id < $1.id) }
        let ranked = Array(scored.prefix(top))
        let details = try await gallery.store.matchDetails(for: ranked.map { $0.id })
        // A face erased since the index was last synced has no details: it is not shown.
        return ranked.compactMap { neighbor in details[neighbor.id].map { (neighbor, $0) } }
            .enumerated().map { rank, pair in
                let ((id, score), detail) = pair
                return Match(rank: rank + 1, face: id, image: detail.image, distance: score.distance,
                             fusedDistance: score.fusedDistance, similarity: score.similarity, band: score.band,
                             collection: detail.collection, origin: detail.origin, box: detail.box, video: detail.video)
            }
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
    /// The searched face, aligned for comparison; nil for a search from a stored face.
    public var probeFace: ProbeFace?
    /// The searched face's templates, for a watch to keep; nil for a search from a stored face.
    public var probeTemplates: FaceTemplates?
    /// Where the search's time went: waiting for an engine, detection, templates, index, candidates.
    public var timings: SearchTimings

    public init(probe: String, faces: [FaceBox], face: Int, matches: [Match], warnings: [String] = [],
                probeFace: ProbeFace? = nil, probeTemplates: FaceTemplates? = nil, timings: SearchTimings = SearchTimings()) {
        self.probe = probe
        self.faces = faces
        self.face = face
        self.matches = matches
        self.warnings = warnings
        self.probeFace = probeFace
        self.probeTemplates = probeTemplates
        self.timings = timings
    }
}
