import Foundation
import LikenessCore
import LikenessEngine
import LikenessGallery
import LikenessSearch
import LikenessStore

/// What a person can ask of an organisation about their own face: which of its images hold
/// it (access), and that every copy of it be removed (erasure). Both start from a selfie and
/// are handled by the organisation's admins.
public struct SubjectRights: Sendable {
    let searcher: FaceSearcher
    public let gallery: Gallery
    let audit: AuditLog
    /// Files the organisation uploaded are held here; erasing an image removes its copy.
    let uploads: URL?

    /// At most this many faces are considered one person's: far more than any real gallery
    /// holds of one person, few enough to review.
    public static let maximumMatches = 1000

    public init(searcher: FaceSearcher, gallery: Gallery, audit: AuditLog, uploads: URL?) {
        self.searcher = searcher
        self.gallery = gallery
        self.audit = audit
        self.uploads = uploads
    }

    /// Faces in the caller's organisation within the 'possible' band of the selfie's largest
    /// face: the faces a reviewer decides about (lookalikes can be left out).
    public func matches(selfie: [UInt8], caller: Accounts.Caller) async throws -> [Match] {
        try caller.require(.handleSubjectRequests)
        let image: RGBImage
        do {
            image = try ImageCodec.decode(data: selfie)
        } catch {
            throw GovernanceError.invalid(FieldErrors("selfie", "not a readable image: \(error)"))
        }
        let collections = try await gallery.store.collections(in: caller.account.organization).map(\.collection.id)
        do {
            let result = try await searcher.search(probe: image, name: "selfie", top: Self.maximumMatches, collections: Set(collections))
            return result.matches.filter { $0.band != .weak }
        } catch let error as SearchError {
            throw GovernanceError.invalid(FieldErrors("selfie", error.description))
        }
    }

    /// One image holding the person's face, as an access request reports it.
    public struct HeldImage: Sendable {
        public var match: Match
        public var collection: CollectionRecord
        public var ingestedAt: Date
        /// JPEG of their face with margin, every other face pixelated; from the original when it
        /// is a readable local file, else their stored face crop.
        public var crop: [UInt8]
    }

    /// Access: every image of the organisation with a face matching the selfie, with a crop
    /// that shows the person's own face and no one else's.
    public func access(selfie: [UInt8], caller: Accounts.Caller) async throws -> [HeldImage] {
        var held: [HeldImage] = []
        for match in try await matches(selfie: selfie, caller: caller) {
            guard let details = try await gallery.store.imageDetails(match.image) else { continue }
            var crop: [UInt8]?
            if match.video == nil, details.origin.location.hasPrefix("/"), !details.origin.location.contains("!/"),
               let original = try? ImageCodec.decode(file: details.origin.location) {
                crop = try? FaceRedaction.isolatedCrop(of: original, face: match.box,
                                                       others: details.faces.filter { $0.id != match.face }.map(\.box))
            }
            if crop == nil { crop = try await gallery.store.faceCrop(match.face)?.crop }
            held.append(HeldImage(match: match, collection: details.collection, ingestedAt: details.ingestedAt, crop: crop ?? []))
        }
        return held
    }

    /// An access request answered: the audit keeps its reference and how much was found.
    public func recordAccess(reference: String, found: Int, caller: Accounts.Caller) async throws {
        try await audit.record(NewAuditEntry(
            organization: caller.account.organization, actorID: caller.account.id, actor: caller.account.username,
            action: AuditLog.Action.subjectAccess.rawValue, caseNumber: reference, clientAddress: caller.address,
            detail: "\(found) matching faces reported"))
    }

    public struct Erasure: Sendable {
        public var faces: Int
        public var imagesDeleted: Int
        public var imagesKept: Int
        public var filesRemoved: Int
    }

    /// Erases the faces everywhere: their database rows (templates and crops, overwritten by
    /// secure_delete), the vector index (rewritten without them), the write-ahead log
    /// (checkpointed and truncated), and the held copies of images left with no face. The
    /// audit records the request's reference and the counts, not the biometric.
    /// With `suppress` (the person agreed), their templates go on the organisation's
    /// suppression list, sealed, before the faces are erased: later ingests drop their faces.
    public func erase(faces ids: [FaceID], reference: String, suppress: Bool = false, caller: Accounts.Caller) async throws -> Erasure {
        try caller.require(.handleSubjectRequests)
        let details = try await gallery.store.matchDetails(for: ids)
        var owned: [FaceID] = []
        for id in ids {
            guard let detail = details[id], let collection = try await gallery.store.collection(detail.collectionID),
                  collection.organization == caller.account.organization else {
                throw GovernanceError.notFound("no face \(id) in your organisation")
            }
            owned.append(id)
        }
        if suppress {
            let templates = try await gallery.store.templates(of: owned).map(\.template)
            try await gallery.suppress(templates, organization: caller.account.organization, reference: reference)
        }
        let erased = try await gallery.store.eraseFaces(owned)
        let filesRemoved = try await gallery.purge(erased, heldIn: uploads)
        let erasure = Erasure(faces: erased.faces.count, imagesDeleted: erased.deletedImages.count,
                              imagesKept: erased.keptImages, filesRemoved: filesRemoved)
        try await audit.record(NewAuditEntry(
            organization: caller.account.organization, actorID: caller.account.id, actor: caller.account.username,
            action: AuditLog.Action.erasure.rawValue, caseNumber: reference, clientAddress: caller.address,
            detail: "\(erasure.faces) faces erased; \(erasure.imagesDeleted) images deleted, \(erasure.imagesKept) kept without them; "
                + "\(erasure.filesRemoved) held files removed" + (suppress ? "; added to the suppression list" : "")))
        return erasure
    }
}
