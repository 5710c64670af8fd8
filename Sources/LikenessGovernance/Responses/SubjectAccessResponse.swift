import Foundation
import LikenessCore
import LikenessStore

/// `subject access --json`: what is held about the person, for the answer to their request.
public struct SubjectAccessResponse: Encodable, Sendable {
    public struct HeldFace: Encodable, Sendable {
        public var faceID: FaceID
        public var imageID: ImageID
        public var distance: Double
        public var band: String
        public var foundBy: String
        public var collection: String
        /// The image's path, `archive!/entry` or URL as ingested.
        public var image: String
        @Nullable public var sourceURL: String?
        public var box: [Int]
        public var ingestedAt: String
        @Nullable public var date: String?
        /// Where the crop was written, with `--crops`.
        @Nullable public var crop: String?
        public var videoTime: Double?
        public var trackStart: Double?
        public var trackEnd: Double?

        public init(_ held: SubjectRights.HeldImage, cropFile: String?) {
            faceID = held.finding.face
            imageID = held.details.image
            distance = rounded(Double(held.finding.distance), places: 4)
            band = held.finding.band
            foundBy = held.finding.foundBy
            collection = held.details.collection
            image = held.details.origin.location
            sourceURL = held.details.origin.sourceURL
            box = held.details.box.array
            ingestedAt = AuditEntry.timestamp(held.ingestedAt)
            date = held.details.origin.date
            crop = cropFile
            videoTime = held.details.video.map { rounded($0.time, places: 2) }
            trackStart = held.details.video.map { rounded($0.start, places: 2) }
            trackEnd = held.details.video.map { rounded($0.end, places: 2) }
        }
    }

    public var reference: String
    public var matches: [HeldFace]

    public init(reference: String, matches: [HeldFace]) {
        self.reference = reference
        self.matches = matches
    }
}
