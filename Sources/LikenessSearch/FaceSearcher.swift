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
    let policy: DetectionPolicy
    let templatePolicy: TemplatePolicy

    public init(gallery: Gallery, pool: EnginePool, bands: BandThresholds, policy: DetectionPolicy = .standard,
                templates: TemplatePolicy = .standard) {
        self.gallery = gallery
        self.pool = pool
        self.bands = bands
        self.policy = policy
        templatePolicy = templates
    }

    /// Searches with one face of the probe: `face` (0-based, faces ordered largest first),
    /// else the largest. `collections` nil searches every collection.
    public func search(probe: RGBImage, name: String, face chosen: Int? = nil, top: Int,
                       collections: Set<CollectionID>? = nil) async throws -> ProbeResult {
        let (policy, templatePolicy) = (self.policy, self.templatePolicy)
        let (faces, template, warning) = try await pool.run { engine -> ([DetectedFace], FaceTemplate?, String?) in
            var faces: [DetectedFace] = []
            if policy == .standard {
                faces = try engine.detectFaces(in: probe, policy: .quickProbe)
            }
            if faces.isEmpty || chosen.map({ $0 >= faces.count }) == true {
                faces = try engine.detectFaces(in: probe, policy: policy)
            }
            let index = chosen ?? 0
            guard faces.indices.contains(index) else { return (faces, nil, nil) }
            let face = faces[index]
            return (faces, try engine.templates(for: [face], in: probe, policy: templatePolicy)[0],
                    FaceQuality.probeWarning(face: face, chip: try engine.chip(for: face, in: probe)))
        }
        guard !faces.isEmpty else { throw SearchError.noFace(probe: name) }
        guard let template else {
            throw SearchError.noSuchFace(probe: name, requested: chosen ?? 0, found: faces.count)
        }
        let matches = try await nearest(to: template, top: top, collections: collections)
        return ProbeResult(probe: name, faces: faces.map(\.box), face: chosen ?? 0, matches: matches,
                           warnings: warning.map { [$0] } ?? [])
    }

    /// The gallery's nearest templates, ranked, with what a reviewer needs to follow them up.
    public func nearest(to template: FaceTemplate, top: Int, collections: Set<CollectionID>?) async throws -> [Match] {
        let neighbors = try await gallery.index.nearest(to: template, k: top, in: collections)
        let details = try await gallery.store.matchDetails(for: neighbors.map(\.id))
        // A face erased since the index was last synced has no details: it is not shown.
        return neighbors.compactMap { neighbor in details[neighbor.id].map { (neighbor, $0) } }
            .enumerated().map { rank, pair in
                let (neighbor, detail) = pair
                return Match(rank: rank + 1, face: neighbor.id, image: detail.image, distance: neighbor.distance,
                             similarity: bands.similarity(forDistance: neighbor.distance),
                             band: bands.band(forDistance: neighbor.distance), collection: detail.collection,
                             origin: detail.origin, box: detail.box, video: detail.video)
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
    public var distance: Float
    public var similarity: Double
    public var band: ScoreBand
    public var collection: String
    public var origin: ImageOrigin
    public var box: FaceBox
    /// For a face from a video: its best frame's time and its track's span.
    public var video: VideoAppearance?

    /// Where to look: the image, or the video and the time (`clip.mp4 @ 00:01:23.4`).
    public var place: String { VideoAppearance.place(origin, video) }
}

public struct ProbeResult: Sendable {
    public var probe: String
    public var faces: [FaceBox]
    public var face: Int
    public var matches: [Match]
    /// Why the probe is weak evidence, if it is (a small or blurred face).
    public var warnings: [String]

    public init(probe: String, faces: [FaceBox], face: Int, matches: [Match], warnings: [String] = []) {
        self.probe = probe
        self.faces = faces
        self.face = face
        self.matches = matches
        self.warnings = warnings
    }
}
