import Foundation
import LikenessCore

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
}

extension MatchDetails {
    public var place: String { VideoAppearance.place(origin, video) }
}

public struct NewFace: Sendable {
    public var face: DetectedFace
    public var quality: Double
    /// dlib's template (`TemplateModel.dlibResNetV1`): the one the vector index holds.
    public var template: FaceTemplate
    /// SFace's template, when the face was found with the landmarks it aligns on.
    public var sfaceTemplate: FaceTemplate?
    /// JPEG of the aligned face chip, for reviewers.
    public var crop: [UInt8]
    /// For a face from a video: when it was seen.
    public var video: VideoAppearance?

    public init(face: DetectedFace, quality: Double, template: FaceTemplate, sfaceTemplate: FaceTemplate? = nil,
                crop: [UInt8], video: VideoAppearance? = nil) {
        self.face = face
        self.quality = quality
        self.template = template
        self.sfaceTemplate = sfaceTemplate
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
