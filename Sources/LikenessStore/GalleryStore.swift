import Foundation
import LikenessCore

/// The source of truth for everything Likeness holds: collections and their provenance,
/// images, faces and their templates, ingest jobs, and the change log the vector index
/// follows. The embedded implementation is SQLite (`SQLiteGalleryStore`).
public protocol GalleryStore: Sendable {
    // Collections
    func createCollection(_ collection: NewCollection) async throws -> CollectionRecord
    func collection(_ id: CollectionID) async throws -> CollectionRecord?
    func collection(named name: String, in organization: OrganizationID) async throws -> CollectionRecord?
    /// The organisation's collections, or every collection when `organization` is nil.
    func collections(in organization: OrganizationID?) async throws -> [CollectionSummary]

    // Ingest
    /// Starts a job, or resumes the unfinished one with the same key (same collection and
    /// inputs) so that a rerun after a crash finishes it instead of starting over.
    func beginJob(collection: CollectionID, key: String, inputs: [String]) async throws -> IngestJob
    func finishJob(_ job: Int64, status: IngestJob.Status) async throws
    /// The image with these bytes already in the collection, if any.
    func image(in collection: CollectionID, sha256: String) async throws -> ImageID?
    /// Stores an image, its faces and the job item's outcome in one transaction: after a
    /// crash either all of it is there or none of it. `note` says what was not read (the
    /// rest of a truncated video).
    func storeImage(_ image: NewImage, faces: [NewFace], job: Int64, item: String, note: String?) async throws -> StoredImage
    /// Stores many images and their faces in one transaction, outside any job: bulk loads
    /// such as benchmarks and migrations. Images already in their collection are skipped.
    func storeImages(_ batch: [(image: NewImage, faces: [NewFace])]) async throws -> [StoredImage]
    /// Records a job item that stored nothing (a duplicate, or a failure with its reason).
    func recordItem(job: Int64, item: String, outcome: IngestItemOutcome, reason: String?, image: ImageID?) async throws
    func jobItems(_ job: Int64) async throws -> [IngestItemRecord]
    func ingestJob(_ job: Int64) async throws -> IngestJobRecord?

    // Erasure
    /// Deletes faces (templates and crops), logs their removal for the index, and deletes the
    /// images they leave without any face when their collection's policy says so: one transaction.
    func eraseFaces(_ ids: [FaceID]) async throws -> ErasedFaces
    /// Deletes whole images and all their faces (retention), logging the removals for the index.
    func eraseImages(_ ids: [ImageID]) async throws -> ErasedFaces
    /// Images held longer than their collection's retention allows at `now`.
    func expiredImages(at now: Date) async throws -> [(image: ImageID, collection: CollectionID)]
    /// Folds the write-ahead log into the database file and truncates it, so that erased
    /// bytes are gone from every file, not only from the database's live pages.
    func checkpoint() async throws

    // Consent
    func recordConsent(_ consent: NewConsent) async throws
    /// The images a subject enrolled with consent in a collection, not yet withdrawn.
    func consentedImages(collection: CollectionID, subject: String) async throws -> [ImageID]
    func markConsentWithdrawn(collection: CollectionID, subject: String) async throws

    // Suppression: sealed templates of people who must not be ingested again
    func addSuppressions(_ sealedTemplates: [[UInt8]], organization: OrganizationID, reference: String) async throws
    func suppressions(of organization: OrganizationID) async throws -> [Suppression]

    // The index's change log
    /// Changes after `sequence`, oldest first.
    func indexChanges(after sequence: Int64, limit: Int) async throws -> [IndexChange]
    /// Templates of the faces that still exist among `ids`.
    func templates(of ids: [FaceID]) async throws -> [IndexEntry]
    /// All templates in face-ID order, a page at a time (for rebuilding the index).
    func templates(after id: FaceID, limit: Int) async throws -> [IndexEntry]
    func latestIndexSequence() async throws -> Int64
    /// Runs `body` while no other process applies the change log to the same index. A shared
    /// index (Milvus, fed by many servers and workers) stays right only if one process at a
    /// time replays the log: two interleaved replays could re-add a face the other removed.
    func holdingIndexSyncLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T

    // Calibration
    /// The score bands `likeness calibrate` measured for this gallery, if any.
    func bandThresholds() async throws -> BandThresholds?
    func setBandThresholds(_ thresholds: BandThresholds) async throws

    // Search results
    func matchDetails(for ids: [FaceID]) async throws -> [FaceID: MatchDetails]
    /// An image, its collection and its faces, for a reviewer following up a match.
    func imageDetails(_ id: ImageID) async throws -> ImageDetails?
    /// The JPEG of a face's aligned chip and the collection it belongs to.
    func faceCrop(_ id: FaceID) async throws -> (crop: [UInt8], collection: CollectionID)?
    func counts() async throws -> GalleryCounts
}

/// What erasing a person's face does to an image that has no other face left.
public enum ErasurePolicy: String, Sendable, Codable, CaseIterable {
    /// The image has no purpose left in a face-search collection: it goes too.
    case deleteImage = "delete_image"
    /// The image stays (an archive's record), with the face removed.
    case keepImage = "keep_image"
}

public struct Suppression: Sendable {
    public var id: Int64
    /// AES-GCM sealed box of the template's stored form; only the suppression key opens it.
    public var sealedTemplate: [UInt8]
    public var reference: String
    public var createdAt: Date

    public init(id: Int64, sealedTemplate: [UInt8], reference: String, createdAt: Date) {
        self.id = id
        self.sealedTemplate = sealedTemplate
        self.reference = reference
        self.createdAt = createdAt
    }
}

public struct ErasedFaces: Sendable {
    public var faces: [FaceID]
    /// Images deleted because no face was left, with where they were (to remove held copies).
    public var deletedImages: [(id: ImageID, location: String)]
    /// Images kept without the erased faces.
    public var keptImages: Int

    public init(faces: [FaceID], deletedImages: [(id: ImageID, location: String)], keptImages: Int) {
        self.faces = faces
        self.deletedImages = deletedImages
        self.keptImages = keptImages
    }
}

public struct NewCollection: Sendable {
    public var organization: OrganizationID
    public var erasurePolicy: ErasurePolicy
    /// Only enrolment, which records each person's consent, adds images to it.
    public var requiresConsent: Bool
    public var name: String
    public var description: String?
    public var source: String
    public var lawfulBasis: String
    public var jurisdiction: String
    public var retentionDays: Int?

    public init(organization: OrganizationID, name: String, description: String? = nil, source: String,
                lawfulBasis: String, jurisdiction: String, retentionDays: Int?, erasurePolicy: ErasurePolicy = .deleteImage,
                requiresConsent: Bool = false) {
        self.organization = organization
        self.erasurePolicy = erasurePolicy
        self.requiresConsent = requiresConsent
        self.name = name
        self.description = description
        self.source = source
        self.lawfulBasis = lawfulBasis
        self.jurisdiction = jurisdiction
        self.retentionDays = retentionDays
    }
}

public struct CollectionRecord: Sendable, Codable, Hashable {
    public var id: CollectionID
    public var organization: OrganizationID
    public var erasurePolicy: ErasurePolicy
    public var requiresConsent: Bool
    public var name: String
    public var description: String?
    public var source: String
    public var lawfulBasis: String
    public var jurisdiction: String
    public var retentionDays: Int?
    public var createdAt: Date

    public init(id: CollectionID, organization: OrganizationID, erasurePolicy: ErasurePolicy, requiresConsent: Bool,
                name: String, description: String? = nil, source: String, lawfulBasis: String, jurisdiction: String,
                retentionDays: Int? = nil, createdAt: Date) {
        self.id = id
        self.organization = organization
        self.erasurePolicy = erasurePolicy
        self.requiresConsent = requiresConsent
        self.name = name
        self.description = description
        self.source = source
        self.lawfulBasis = lawfulBasis
        self.jurisdiction = jurisdiction
        self.retentionDays = retentionDays
        self.createdAt = createdAt
    }
}

public struct CollectionSummary: Sendable {
    public var collection: CollectionRecord
    public var images: Int
    public var faces: Int

    public init(collection: CollectionRecord, images: Int, faces: Int) {
        self.collection = collection
        self.images = images
        self.faces = faces
    }
}

/// Where an image came from, as the operator gave it.
public struct ImageOrigin: Sendable, Hashable {
    /// The absolute path, `archive.zip!/entry.jpg`, or the URL.
    public var location: String
    /// The page the image was published on, if the manifest says.
    public var sourceURL: String?
    public var caption: String?
    public var date: String?

    public init(location: String, sourceURL: String? = nil, caption: String? = nil, date: String? = nil) {
        self.location = location
        self.sourceURL = sourceURL
        self.caption = caption
        self.date = date
    }
}

public struct NewImage: Sendable {
    public var collection: CollectionID
    public var sha256: String
    public var origin: ImageOrigin
    public var width: Int
    public var height: Int
    public var byteCount: Int
    public var format: String
    /// Seconds, when the "image" is a video.
    public var videoDuration: Double?

    public init(collection: CollectionID, sha256: String, origin: ImageOrigin, width: Int, height: Int,
                byteCount: Int, format: String, videoDuration: Double? = nil) {
        self.collection = collection
        self.sha256 = sha256
        self.origin = origin
        self.width = width
        self.height = height
        self.byteCount = byteCount
        self.format = format
        self.videoDuration = videoDuration
    }

    public var isVideo: Bool { videoDuration != nil }
}

/// Where a face from a video is: its best frame's time and the span of its track, in seconds.
public struct VideoAppearance: Sendable, Hashable, Codable {
    public var time: Double
    public var start: Double
    public var end: Double

    public init(time: Double, start: Double, end: Double) {
        self.time = time
        self.start = start
        self.end = end
    }

    /// 83.4 → "00:01:23.4".
    public static func clock(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10).rounded())
        return String(format: "%02d:%02d:%02d.%d", tenths / 36_000, tenths / 600 % 60, tenths / 10 % 60, tenths % 10)
    }

    /// Where to look: the image, or the video and the time (`clip.mp4 @ 00:01:23.4`).
    public static func place(_ origin: ImageOrigin, _ appearance: VideoAppearance?) -> String {
        appearance.map { "\(origin.location) @ \(clock($0.time))" } ?? origin.location
    }

    /// `video_time`, `track_start` and `track_end` in seconds.
    public var json: [String: Any] {
        ["video_time": (time * 100).rounded() / 100, "track_start": (start * 100).rounded() / 100, "track_end": (end * 100).rounded() / 100]
    }
}

extension MatchDetails {
    public var place: String { VideoAppearance.place(origin, video) }
}

public struct NewFace: Sendable {
    public var face: DetectedFace
    public var quality: Double
    public var template: FaceTemplate
    /// JPEG of the aligned face chip, for reviewers.
    public var crop: [UInt8]
    /// For a face from a video: when it was seen.
    public var video: VideoAppearance?

    public init(face: DetectedFace, quality: Double, template: FaceTemplate, crop: [UInt8], video: VideoAppearance? = nil) {
        self.face = face
        self.quality = quality
        self.template = template
        self.crop = crop
        self.video = video
    }
}

public struct StoredImage: Sendable {
    public var image: ImageID
    public var faces: [FaceID]
    /// The same bytes were already in the collection (stored by a concurrent worker).
    public var isDuplicate: Bool

    public init(image: ImageID, faces: [FaceID], isDuplicate: Bool) {
        self.image = image
        self.faces = faces
        self.isDuplicate = isDuplicate
    }
}

public struct IngestJob: Sendable {
    public enum Status: String, Sendable, Codable { case running, finished, failed }
    public var id: Int64
    public var collection: CollectionID
    public var resumed: Bool
    /// Items already settled by an earlier run of this job.
    public var settledItems: Set<String>

    public init(id: Int64, collection: CollectionID, resumed: Bool, settledItems: Set<String>) {
        self.id = id
        self.collection = collection
        self.resumed = resumed
        self.settledItems = settledItems
    }
}

public enum IngestItemOutcome: String, Sendable, Codable {
    case stored, duplicate, failed
}

public struct IngestItemRecord: Sendable {
    public var item: String
    public var outcome: IngestItemOutcome
    public var reason: String?
    public var image: ImageID?
    public var faces: Int

    public init(item: String, outcome: IngestItemOutcome, reason: String? = nil, image: ImageID? = nil, faces: Int) {
        self.item = item
        self.outcome = outcome
        self.reason = reason
        self.image = image
        self.faces = faces
    }
}

public struct IndexChange: Sendable, Hashable {
    public enum Kind: String, Sendable { case added, removed }
    public var sequence: Int64
    public var face: FaceID
    public var kind: Kind

    public init(sequence: Int64, face: FaceID, kind: Kind) {
        self.sequence = sequence
        self.face = face
        self.kind = kind
    }
}

public struct MatchDetails: Sendable {
    public var face: FaceID
    public var image: ImageID
    public var box: FaceBox
    public var collectionID: CollectionID
    public var collection: String
    public var origin: ImageOrigin
    public var video: VideoAppearance?

    public init(face: FaceID, image: ImageID, box: FaceBox, collectionID: CollectionID, collection: String,
                origin: ImageOrigin, video: VideoAppearance? = nil) {
        self.face = face
        self.image = image
        self.box = box
        self.collectionID = collectionID
        self.collection = collection
        self.origin = origin
        self.video = video
    }
}

public struct ImageDetails: Sendable {
    public var id: ImageID
    public var collection: CollectionRecord
    public var origin: ImageOrigin
    public var width: Int
    public var height: Int
    public var format: String
    public var ingestedAt: Date
    public var videoDuration: Double?
    public var faces: [(id: FaceID, box: FaceBox, video: VideoAppearance?)]

    public init(id: ImageID, collection: CollectionRecord, origin: ImageOrigin, width: Int, height: Int,
                format: String, ingestedAt: Date, videoDuration: Double? = nil,
                faces: [(id: FaceID, box: FaceBox, video: VideoAppearance?)]) {
        self.id = id
        self.collection = collection
        self.origin = origin
        self.width = width
        self.height = height
        self.format = format
        self.ingestedAt = ingestedAt
        self.videoDuration = videoDuration
        self.faces = faces
    }
}

public struct IngestJobRecord: Sendable {
    public var id: Int64
    public var collection: CollectionID
    public var status: IngestJob.Status
    public var startedAt: Date
    public var finishedAt: Date?

    public init(id: Int64, collection: CollectionID, status: IngestJob.Status, startedAt: Date,
                finishedAt: Date? = nil) {
        self.id = id
        self.collection = collection
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}

public struct GalleryCounts: Sendable, Equatable {
    public var collections: Int
    public var images: Int
    public var faces: Int

    public init(collections: Int, images: Int, faces: Int) {
        self.collections = collections
        self.images = images
        self.faces = faces
    }
}

/// Why the store, or a file kept beside it, could not do what was asked. Each case says what
/// the server answers with it.
public enum StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A name that must be unique is taken, or the target of a move already holds data: 409.
    case conflict(String)
    /// The call breaks the store's rules (a value out of range, a state change out of order,
    /// a malformed address): 422.
    case invalid(String)
    /// The database, or a file the store needs (a key), cannot be reached, opened or written
    /// now; trying again later may work: 503.
    case unavailable(String)
    /// What is stored is not what it should be: a damaged key file, a value of the wrong type
    /// or size, a schema from another version: 500.
    case damaged(String)

    public var description: String {
        switch self {
        case .conflict(let message), .invalid(let message), .unavailable(let message), .damaged(let message): message
        }
    }
}

public struct NewConsent: Sendable {
    public var collection: CollectionID
    public var image: ImageID
    public var subject: String
    public var textVersion: String
    public var recordedBy: String

    public init(collection: CollectionID, image: ImageID, subject: String, textVersion: String, recordedBy: String) {
        self.collection = collection
        self.image = image
        self.subject = subject
        self.textVersion = textVersion
        self.recordedBy = recordedBy
    }
}
