import Foundation
import LikenessCore
import LikenessStore

/// A collection with its provenance (the `Collection` schema), and how many images and faces it
/// holds when listed; nested in an image it has no counts.
public struct CollectionResponse: Encodable, Sendable {
    public var id: CollectionID
    public var name: String
    @Nullable public var description: String?
    public var source: String
    public var lawfulBasis: String
    public var jurisdiction: String
    @Nullable public var retentionDays: Int?
    public var createdAt: String
    public var images: Int?
    public var faces: Int?

    public init(_ collection: CollectionRecord, images: Int? = nil, faces: Int? = nil) {
        id = collection.id
        name = collection.name
        description = collection.description
        source = collection.source
        lawfulBasis = collection.lawfulBasis
        jurisdiction = collection.jurisdiction
        retentionDays = collection.retentionDays
        createdAt = AuditEntry.timestamp(collection.createdAt)
        self.images = images
        self.faces = faces
    }

    public init(_ summary: CollectionSummary) {
        self.init(summary.collection, images: summary.images, faces: summary.faces)
    }
}

public struct CollectionsResponse: Encodable, Sendable {
    public var collections: [CollectionResponse]
    public init(_ summaries: [CollectionSummary]) { collections = summaries.map(CollectionResponse.init) }
}

/// An image shown by a search, with its faces and links to their crops within that search (the
/// `Image` schema).
public struct ImageResponse: Encodable, Sendable {
    public struct Face: Encodable, Sendable {
        public var faceID: FaceID
        public var box: [Int]
        public var cropURL: String
        /// For a video: the face's best frame's time.
        public var videoTime: Double?
    }

    public var id: ImageID
    public var collection: CollectionResponse
    public var location: String
    @Nullable public var sourceURL: String?
    @Nullable public var caption: String?
    @Nullable public var date: String?
    public var width: Int
    public var height: Int
    public var format: String
    public var ingestedAt: String
    @Nullable public var videoDuration: Double?
    public var faces: [Face]

    public init(_ image: ImageDetails, search: Int64) {
        id = image.id
        collection = CollectionResponse(image.collection)
        location = image.origin.location
        sourceURL = image.origin.sourceURL
        caption = image.origin.caption
        date = image.origin.date
        width = image.width
        height = image.height
        format = image.format
        ingestedAt = AuditEntry.timestamp(image.ingestedAt)
        videoDuration = image.videoDuration
        faces = image.faces.map { face in
            Face(faceID: face.id, box: face.box.array, cropURL: "/api/v1/searches/\(search)/faces/\(face.id)/crop",
                 videoTime: face.video?.time)
        }
    }
}

/// An upload into a collection, while it runs and once it has ended (the `UploadStatus` schema).
public struct UploadStatusResponse: Encodable, Sendable {
    public struct Failure: Encodable, Sendable {
        public var item: String
        public var reason: String
        public init(item: String, reason: String) {
            self.item = item
            self.reason = reason
        }
    }

    public var id: String
    public var collectionID: CollectionID
    public var state: String
    public var files: Int
    /// Items to ingest, once counted.
    @Nullable public var total: Int?
    public var settled: Int
    public var stored: Int
    public var duplicates: Int
    public var failed: Int
    public var faces: Int
    public var failures: [Failure]
    @Nullable public var error: String?

    public init(id: String, collectionID: CollectionID, state: String, files: Int, total: Int?, settled: Int, stored: Int,
                duplicates: Int, failed: Int, faces: Int, failures: [Failure], error: String?) {
        self.id = id
        self.collectionID = collectionID
        self.state = state
        self.files = files
        self.total = total
        self.settled = settled
        self.stored = stored
        self.duplicates = duplicates
        self.failed = failed
        self.faces = faces
        self.failures = failures
        self.error = error
    }
}
