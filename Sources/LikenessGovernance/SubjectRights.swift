import Crypto
import Foundation
import LikenessCore
import LikenessEngine
import LikenessGallery
import LikenessSearch
import LikenessStore

/// What a person can ask of an organisation about their own face: which of its images hold
/// it (access), and that every copy of it be removed (erasure). Both start from a selfie and
/// are handled by the organisation's admins, once they have checked who is asking.
///
/// Every look-up of a face against the gallery made here is a search like any other: it is
/// written to the audit log, with the probe's digest and thumbnail and the candidates,
/// before anyone sees what it found.
public struct SubjectRights: Sendable {
    let searcher: FaceSearcher
    public let gallery: Gallery
    let audit: AuditLog

    /// At most this many faces are considered one person's: far more than any real gallery
    /// holds of one person, few enough to review.
    public static let maximumMatches = 1000

    /// Faces this close to a probe are shown to the reviewer. Wider than the search bands:
    /// one person's photos often lie farther apart than a lead's 'possible' band allows, and
    /// an erasure that misses a photo fails the person (see `likeness bench erasure`).
    /// Lookalikes within it are shown for review, never erased unless ticked.
    public static let reviewDistance: Float = 0.62

    public init(searcher: FaceSearcher, gallery: Gallery, audit: AuditLog) {
        self.searcher = searcher
        self.gallery = gallery
        self.audit = audit
    }

    /// Looks the selfie's largest face up in the caller's organisation's collections (within
    /// its jurisdictions): one audited look-up. The thumbnail in the audit is redacted if the
    /// request ends in erasure.
    public func lookUp(selfie: [UInt8], reference: String, caller: Accounts.Caller) async throws -> [SubjectFinding] {
        try caller.require(.handleSubjectRequests)
        let image: RGBImage
        do {
            image = try ImageCodec.decode(data: selfie)
        } catch {
            throw GovernanceError.invalid(FieldErrors("selfie", "not a readable image: \(error)"))
        }
        let thumbnail = try? ImageCodec.jpeg(of: image, left: 0, top: 0, width: image.width, height: image.height,
                                             maxSide: 128, quality: 70)
        let collections = try await searchableCollections(for: caller, store: gallery.store, governance: audit.store)
        let lookup = LookUp(reference: reference, probeSHA256: SHA256.hash(data: selfie).hexString, thumbnail: thumbnail,
                            thumbnailShows: .privacyRequest(reference), collections: collections, foundBy: "selfie")
        let matches: [Match]
        do {
            matches = try await searcher.search(probe: image, name: "selfie", top: Self.maximumMatches,
                                                collections: Set(collections)).matches
        } catch let error as SearchError {
            try await record(lookup, matches: [], outcome: "failed", detail: error.description, caller: caller)
            throw GovernanceError.invalid(FieldErrors("selfie", error.description))
        }
        return try await findings(lookup, matches: matches, caller: caller)
    }

    /// Further look-ups from faces a reviewer confirmed are the person's: each face's
    /// template finds the photos of them that the selfie was too far from. One audited
    /// look-up per face.
    public func lookUp(fromFaces faces: [FaceID], reference: String, caller: Accounts.Caller) async throws -> [SubjectFinding] {
        try caller.require(.handleSubjectRequests)
        let collections = try await searchableCollections(for: caller, store: gallery.store, governance: audit.store)
        var found: [SubjectFinding] = []
        for face in faces {
            guard let crop = try await gallery.store.faceCrop(face), collections.contains(crop.collection),
                  let templates = try await searcher.storedTemplates(of: face) else {
                throw GovernanceError.notFound("no face \(face) in your organisation")
            }
            let lookup = LookUp(reference: reference, probeSHA256: nil, thumbnail: crop.crop, thumbnailShows: .face(face),
                                collections: collections, foundBy: "face \(face)")
            let matches = try await searcher.nearest(to: templates, top: Self.maximumMatches, collections: Set(collections))
            found += try await findings(lookup, matches: matches, caller: caller)
        }
        return found
    }

    struct LookUp {
        var reference: String
        var probeSHA256: String?
        var thumbnail: [UInt8]?
        var thumbnailShows: ThumbnailSubject
        var collections: [CollectionID]
        var foundBy: String
    }

    /// The matches within review distance, audited before they are returned. (Showing each
    /// look-up's ten nearest faces as well, however far, reached no more of anyone on LFW.)
    private func findings(_ lookup: LookUp, matches: [Match], caller: Accounts.Caller) async throws -> [SubjectFinding] {
        let kept = matches.filter { match in
            match.fusedDistance.map { $0 <= searcher.fusedReviewDistance! } ?? (match.distance <= Self.reviewDistance)
        }
        let entry = try await record(lookup, matches: kept, outcome: "ok",
                                     detail: "look-up from the \(lookup.foundBy): \(kept.count) faces within review distance"
                                         + (kept.isEmpty ? "" : "; scored by " + Match.modelsNamed(kept)),
                                     caller: caller)
        return kept.map { SubjectFinding(face: $0.face, distance: $0.distance, band: $0.band.rawValue, foundBy: lookup.foundBy,
                                         auditEntry: entry.id) }
    }

    @discardableResult
    private func record(_ lookup: LookUp, matches: [Match], outcome: String, detail: String,
                        caller: Accounts.Caller) async throws -> AuditEntry {
        try await audit.record(NewAuditEntry(
            organization: caller.account.organization, actorID: caller.account.id, actor: caller.account.username,
            action: AuditLog.Action.subjectLookup.rawValue, outcome: outcome, caseNumber: lookup.reference,
            purpose: "privacy_request", probeSHA256: lookup.probeSHA256, probeThumbnail: lookup.thumbnail,
            collections: lookup.collections,
            candidates: matches.map { AuditCandidate(face: $0.face, distance: $0.distance, band: $0.band.rawValue) },
            clientAddress: caller.address, detail: detail, thumbnailShows: lookup.thumbnailShows))
    }

    /// One image holding the person's face, as an access request reports it.
    public struct HeldImage: Sendable {
        public var finding: SubjectFinding
        public var details: MatchDetails
        public var ingestedAt: Date
        /// JPEG of their face with margin, every other face pixelated; from the original when it
        /// is a readable local file, else their stored face crop.
        public var crop: [UInt8]
    }

    /// What was found, for the reviewer and the access answer: read from the stored findings,
    /// never looked up again. Faces erased since are left out.
    public func held(_ findings: [SubjectFinding], caller: Accounts.Caller) async throws -> [HeldImage] {
        try caller.require(.handleSubjectRequests)
        let details = try await gallery.store.matchDetails(for: findings.map(\.face))
        var held: [HeldImage] = []
        for finding in findings {
            guard let detail = details[finding.face], let image = try await gallery.store.imageDetails(detail.image),
                  image.collection.organization == caller.account.organization else { continue }
            var crop: [UInt8]?
            if detail.video == nil, image.origin.location.hasPrefix("/"), !image.origin.location.contains("!/"),
               let original = try? ImageCodec.decode(file: image.origin.location) {
                crop = try? FaceRedaction.isolatedCrop(of: original, face: detail.box,
                                                       others: image.faces.filter { $0.id != finding.face }.map(\.box))
            }
            if crop == nil { crop = try await gallery.store.faceCrop(finding.face)?.crop }
            held.append(HeldImage(finding: finding, details: detail, ingestedAt: image.ingestedAt, crop: crop ?? []))
        }
        return held
    }

    /// An access request answered: the audit keeps its reference, how much was found and
    /// where the answer went.
    public func recordAccess(reference: String, found: Int, answeredTo: String, caller: Accounts.Caller) async throws {
        try await audit.record(NewAuditEntry(
            organization: caller.account.organization, actorID: caller.account.id, actor: caller.account.username,
            action: AuditLog.Action.subjectAccess.rawValue, caseNumber: reference, clientAddress: caller.address,
            detail: "\(found) matching faces reported to \(answeredTo)"))
    }

    public struct Erasure: Sendable {
        public var faces: Int
        public var imagesDeleted: Int
        public var imagesKept: Int
        public var filesRemoved: Int
    }

    /// Erases the faces everywhere: their database rows (templates and crops, overwritten by
    /// secure_delete), audit thumbnails that show them, the vector index (rewritten without
    /// them), the write-ahead log (checkpointed and truncated), and the held copies of images
    /// left with no face. The request's own look-up thumbnails (its selfie) are redacted too.
    /// The audit records the request's reference and the counts, not the biometric.
    /// With `suppress` (the person agreed), their templates go on the organisation's
    /// suppression list, sealed, in the erasure's transaction: later ingests drop their faces.
    /// With `closing`, the privacy request the erasure answers is closed in that transaction too.
    public func erase(faces ids: [FaceID], reference: String, suppress: Bool = false, closing: ClosingRequest? = nil,
                      caller: Accounts.Caller) async throws -> Erasure {
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
        try await audit.store.redactAuditThumbnails(of: .privacyRequest(reference))
        let account = caller.account, address = caller.address, heldUploads = gallery.uploads
        let done = try await gallery.erase(
            .faces(owned), request: reference, suppressFor: suppress ? (account.organization, reference) : nil, closing: closing
        ) { erased in
            // Held copies are removed after the transaction; the journal sees to it that they are.
            let held = heldUploads.map { uploads in erased.deletedImages.filter { $0.location.hasPrefix(uploads.path + "/") }.count } ?? 0
            return NewAuditEntry(
                organization: account.organization, actorID: account.id, actor: account.username,
                action: AuditLog.Action.erasure.rawValue, caseNumber: reference, clientAddress: address,
                detail: "\(erased.faces.count) faces erased; \(erased.deletedImages.count) images deleted, \(erased.keptImages) kept without them; "
                    + "\(held) held files removed" + (suppress ? "; added to the suppression list" : ""))
        }
        let erasure = Erasure(faces: done.faces.faces.count, imagesDeleted: done.faces.deletedImages.count,
                              imagesKept: done.faces.keptImages, filesRemoved: done.filesRemoved)
        return erasure
    }
}

/// The collections a caller's searches and look-ups reach: their organisation's, within its
/// jurisdictions. Read without counts: counting a collection's faces costs a search time that
/// grows with the gallery (about 0.5 s at a million faces).
func searchableCollections(for caller: Accounts.Caller, store: any GalleryStore,
                           governance: any GovernanceStore) async throws -> [CollectionID] {
    let organization = try await governance.organization(caller.account.organization)
    return try await store.collectionRecords(in: caller.account.organization)
        .filter { organization?.allows(jurisdiction: $0.jurisdiction) ?? false }
        .map(\.id)
}
