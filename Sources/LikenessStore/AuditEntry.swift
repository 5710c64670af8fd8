import Crypto
import Foundation
import LikenessCore

/// What happened, to be appended to the audit log.
public struct NewAuditEntry: Sendable {
    public var organization: OrganizationID?
    public var actorID: AccountID?
    /// The username, or a description of who acted when nobody was signed in.
    public var actor: String
    public var action: String
    /// `ok`, `denied` or `failed`.
    public var outcome: String
    public var caseNumber: String?
    public var purpose: String?
    public var offence: String?
    public var probeSHA256: String?
    /// A small JPEG of the probe, so a supervisor can see what was searched. Kept apart from
    /// the entry (`AuditThumbnail`), so that it can be redacted when its face is erased;
    /// entries read back from the log carry only its digest.
    public var probeThumbnail: [UInt8]?
    /// Whose face the thumbnail shows, when erasing that face must redact it.
    public var thumbnailShows: ThumbnailSubject?
    public var collections: [CollectionID]
    public var candidates: [AuditCandidate]
    public var clientAddress: String?
    public var detail: String?
    /// The searched face, aligned as the gallery's crops are, for examiners to compare with
    /// its candidates. Kept apart from the entry, outside the chain, and deleted with the
    /// entry's thumbnail; entries read back from the log do not carry it.
    public var probeFace: ProbeFace?

    public init(organization: OrganizationID?, actorID: AccountID?, actor: String, action: String, outcome: String = "ok",
                caseNumber: String? = nil, purpose: String? = nil, offence: String? = nil, probeSHA256: String? = nil,
                probeThumbnail: [UInt8]? = nil, collections: [CollectionID] = [], candidates: [AuditCandidate] = [],
                clientAddress: String? = nil, detail: String? = nil, thumbnailShows: ThumbnailSubject? = nil,
                probeFace: ProbeFace? = nil) {
        self.organization = organization
        self.actorID = actorID
        self.actor = actor
        self.action = action
        self.outcome = outcome
        self.caseNumber = caseNumber
        self.purpose = purpose
        self.offence = offence
        self.probeSHA256 = probeSHA256
        self.probeThumbnail = probeThumbnail
        self.collections = collections
        self.candidates = candidates
        self.clientAddress = clientAddress
        self.detail = detail
        self.thumbnailShows = thumbnailShows
        self.probeFace = probeFace
    }
}

/// A search's probe face: the aligned chip (JPEG, the geometry of the gallery's face crops, so
/// that the two line up eye to eye) and where its detected landmarks fall on it.
public struct ProbeFace: Sendable, Hashable {
    public var jpeg: [UInt8]
    /// 5 x, y pairs, in chip pixels.
    public var landmarks: [Float]

    public init(jpeg: [UInt8], landmarks: [Float]) {
        self.jpeg = jpeg
        self.landmarks = landmarks
    }

    /// The landmarks as stored: "x,y x,y …", to a tenth of a pixel.
    public var storedLandmarks: String {
        stride(from: 0, to: landmarks.count - 1, by: 2).map { String(format: "%.1f,%.1f", landmarks[$0], landmarks[$0 + 1]) }
            .joined(separator: " ")
    }

    public static func landmarks(stored text: String) -> [Float] {
        text.split(separator: " ").flatMap { $0.split(separator: ",").compactMap { Float($0) } }
    }
}

/// A face an audit thumbnail shows that may later be erased.
public enum ThumbnailSubject: Sendable, Hashable {
    /// A gallery face, the probe of a pivot search.
    case face(FaceID)
    /// The selfie of a privacy request, by its reference.
    case privacyRequest(String)
}

/// An entry's probe thumbnail: its digest is part of the chain for ever; its bytes go when the
/// face it shows is erased.
public struct AuditThumbnail: Sendable {
    public var sha256: String
    /// Nil once redacted.
    public var jpeg: [UInt8]?
    public var redactedAt: Date?

    public init(sha256: String, jpeg: [UInt8]?, redactedAt: Date?) {
        self.sha256 = sha256
        self.jpeg = jpeg
        self.redactedAt = redactedAt
    }
}

public struct AuditCandidate: Sendable, Codable, Hashable {
    public var face: FaceID
    public var distance: Float
    public var band: String

    public init(face: FaceID, distance: Float, band: String) {
        self.face = face
        self.distance = distance
        self.band = band
    }
}

/// One entry of the append-only log, with its place in the hash chain.
public struct AuditEntry: Sendable {
    public var id: Int64
    /// ISO 8601 UTC with milliseconds, stored and hashed as this exact text.
    public var at: String
    /// As appended; read back from the log, without the thumbnail's bytes.
    public var entry: NewAuditEntry
    /// The SHA-256 of the probe thumbnail, if the entry has one (also once it is redacted).
    public var thumbnailSHA256: String?
    /// The SHA-256 of the candidate list (`candidatesDigest`), when the list is kept apart from
    /// the entry: the chain hashes this digest, so that the list can be deleted (a stopped case's
    /// results) and the chain still hold. Entries appended before lists were kept apart hash
    /// their candidates themselves, and have none.
    public var candidatesSHA256: String?
    /// When the candidate list kept apart was deleted; `entry.candidates` is empty since.
    public var candidatesDeletedAt: Date?
    public var previousHash: String
    public var hash: String

    /// The hash of the first entry's predecessor.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// SHA-256 over every field and the previous hash, in a fixed order and an unambiguous
    /// encoding (a JSON array of strings), so that changing any field changes the hash.
    /// `candidatesSHA256`: the candidate list's digest, hashed in the list's place when the list
    /// is kept apart; nil hashes the list itself.
    public static func chainHash(id: Int64, at: String, entry e: NewAuditEntry, thumbnailSHA256: String?,
                                 candidatesSHA256: String? = nil, previousHash: String) -> String {
        let candidates = candidatesSHA256.map { "sha256:" + $0 } ?? candidateList(e.candidates)
        let fields: [String] = [
            String(id), at, e.organization.map(String.init) ?? "", e.actorID.map(String.init) ?? "", e.actor,
            e.action, e.outcome, e.caseNumber ?? "", e.purpose ?? "", e.offence ?? "", e.probeSHA256 ?? "",
            thumbnailSHA256 ?? "",
            e.collections.map(String.init).joined(separator: ","), candidates, e.clientAddress ?? "", e.detail ?? "",
            previousHash,
        ]
        let encoded = try! JSONSerialization.data(withJSONObject: fields, options: [.withoutEscapingSlashes])
        return SHA256.hash(data: encoded).hexString
    }

    /// The candidates as the chain hashes them: `face:distance:band`, comma-separated.
    static func candidateList(_ candidates: [AuditCandidate]) -> String {
        candidates.map { "\($0.face):\($0.distance):\($0.band)" }.joined(separator: ",")
    }

    /// The digest of a candidate list kept apart from its entry.
    public static func candidatesDigest(_ candidates: [AuditCandidate]) -> String {
        SHA256.hash(data: Data(candidateList(candidates).utf8)).hexString
    }

    public init(id: Int64, at: String, entry: NewAuditEntry, thumbnailSHA256: String?, candidatesSHA256: String? = nil,
                candidatesDeletedAt: Date? = nil, previousHash: String, hash: String) {
        self.id = id
        self.at = at
        self.entry = entry
        self.thumbnailSHA256 = thumbnailSHA256
        self.candidatesSHA256 = candidatesSHA256
        self.candidatesDeletedAt = candidatesDeletedAt
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The hash the entry's contents give (a candidate list kept apart, by its digest).
    public var computedHash: String {
        Self.chainHash(id: id, at: at, entry: entry, thumbnailSHA256: thumbnailSHA256, candidatesSHA256: candidatesSHA256,
                       previousHash: previousHash)
    }

    /// Whether a candidate list kept apart is still the one its digest was taken of: a changed
    /// list shows while it is there; once deleted, the digest stands for it.
    public var candidatesMatchTheirDigest: Bool {
        guard let candidatesSHA256, candidatesDeletedAt == nil else { return true }
        return Self.candidatesDigest(entry.candidates) == candidatesSHA256
    }

    /// Whether its candidate list was deleted (a stopped case's search): the log keeps its digest.
    public var candidatesDeleted: Bool { candidatesDeletedAt != nil }

    public var hasThumbnail: Bool { thumbnailSHA256 != nil }

    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    public var date: Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: at) ?? .distantPast
    }
}

extension Digest {
    public var hexString: String { map { String(format: "%02x", $0) }.joined() }
}

extension ThumbnailSubject {
    /// The `audit_thumbnail` columns that name it.
    public var columns: (face: FaceID?, request: String?) {
        switch self {
        case .face(let id): (id, nil)
        case .privacyRequest(let reference): (nil, reference)
        }
    }
}

extension Optional<ThumbnailSubject> {
    public var columns: (face: FaceID?, request: String?) { self?.columns ?? (nil, nil) }
}
