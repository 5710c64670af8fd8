import Foundation
import LikenessCore
import LikenessSearch
import LikenessStore

/// A candidate: an investigative lead, not an identification. One shape for both readers, which
/// differ in one key and the links: the CLI names the image's path `image` (as the README
/// documents), the API names it `location` (as its `Image` schema does) and links the crop and
/// the image as shown by the search.
public struct MatchResponse: Encodable, Sendable {
    public enum Reader: Sendable {
        case commandLine
        /// The API, within the search whose audit entry is given.
        case api(search: Int64)
    }

    public var match: Match
    public var reader: Reader

    public init(_ match: Match, for reader: Reader) {
        self.match = match
        self.reader = reader
    }

    enum CodingKeys: String, CodingKey {
        case rank, faceID = "face_id", imageID = "image_id", distance, fusedDistance = "fused_distance", similarity, band
        case scoredBy = "scored_by", collection, image, location
        case sourceURL = "source_url", box, cropURL = "crop_url", imageURL = "image_url"
        case videoTime = "video_time", trackStart = "track_start", trackEnd = "track_end"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(match.rank, forKey: .rank)
        try container.encode(match.face, forKey: .faceID)
        try container.encode(match.image, forKey: .imageID)
        try container.encode(rounded(Double(match.distance), places: 4), forKey: .distance)
        try container.encode(match.fusedDistance.map { rounded(Double($0), places: 4) }, forKey: .fusedDistance)
        try container.encode(rounded(match.similarity, places: 4), forKey: .similarity)
        try container.encode(match.band.rawValue, forKey: .band)
        try container.encode(match.scoredBy.map(\.rawValue), forKey: .scoredBy)
        try container.encode(match.collection, forKey: .collection)
        try container.encode(match.origin.sourceURL, forKey: .sourceURL)
        try container.encode(match.box.array, forKey: .box)
        switch reader {
        case .commandLine:
            try container.encode(match.origin.location, forKey: .image)
        case .api(let search):
            try container.encode(match.origin.location, forKey: .location)
            try container.encode("/api/v1/searches/\(search)/faces/\(match.face)/crop", forKey: .cropURL)
            try container.encode("/api/v1/searches/\(search)/images/\(match.image)", forKey: .imageURL)
        }
        // A face from a video: its best frame's time and its track's span, in seconds.
        if let video = match.video {
            try container.encode(rounded(video.time, places: 2), forKey: .videoTime)
            try container.encode(rounded(video.start, places: 2), forKey: .trackStart)
            try container.encode(rounded(video.end, places: 2), forKey: .trackEnd)
        }
    }
}

/// A search made through the API (the `SearchResult` schema).
public struct SearchResponse: Encodable, Sendable {
    public struct Probe: Encodable, Sendable {
        /// Null for a pivot from a gallery face.
        @Nullable public var sha256: String?
        public var faces: [ProbeFace]
    }

    public struct ProbeFace: Encodable, Sendable {
        public var index: Int
        public var box: [Int]
    }

    public static let notice = "Candidates are investigative leads, not identifications: a trained person must review them before any action"

    public var auditEntry: Int64
    public var caseNumber: String
    public var purpose: String
    public var probe: Probe
    public var face: Int
    public var matches: [MatchResponse]
    public var notice = Self.notice
    public var warnings: [String]
    /// The watch the probe was kept on, when the search asked for one (`watch_days`).
    @Nullable public var watch: WatchResponse?

    public init(_ outcome: AccountableSearch.Outcome) {
        auditEntry = outcome.auditEntry
        caseNumber = outcome.justification.caseNumber
        purpose = outcome.justification.purpose.rawValue
        probe = Probe(sha256: outcome.probeSHA256,
                      faces: outcome.result.faces.enumerated().map { ProbeFace(index: $0.offset, box: $0.element.array) })
        face = outcome.result.face
        matches = outcome.result.matches.map { MatchResponse($0, for: .api(search: outcome.auditEntry)) }
        warnings = outcome.result.warnings
        watch = outcome.watch.map(WatchResponse.init)
    }
}

/// A probe searched from the command line, one line per probe, as the README documents it.
public struct ProbeSearchResponse: Encodable, Sendable {
    public struct ProbeFace: Encodable, Sendable {
        public var box: [Int]
    }

    public var probe: String
    public var faces: [ProbeFace]
    public var face: Int
    public var matches: [MatchResponse]
    public var warnings: [String]
    public var auditEntry: Int64
    /// Present when the search kept its probe on watch (`--watch-days`).
    public var watch: WatchResponse?

    public init(_ outcome: AccountableSearch.Outcome) {
        probe = outcome.result.probe
        faces = outcome.result.faces.map { ProbeFace(box: $0.array) }
        face = outcome.result.face
        matches = outcome.result.matches.map { MatchResponse($0, for: .commandLine) }
        warnings = outcome.result.warnings
        auditEntry = outcome.auditEntry
        watch = outcome.watch.map(WatchResponse.init)
    }
}
