import Foundation
import LikenessCore
import LikenessGallery
import LikenessStore

/// Consent-based collections: each image is enrolled with its subject's consent (who, which
/// consent text, when, recorded by whom), and withdrawing consent erases the subject's images
/// through the erasure path.
public struct Consent: Sendable {
    let gallery: Gallery
    let audit: AuditLog

    public init(gallery: Gallery, audit: AuditLog) {
        self.gallery = gallery
        self.audit = audit
    }

    public func recordEnrolment(images: [ImageID], collection: CollectionRecord, subject: String, textVersion: String,
                                recordedBy: String) async throws {
        guard collection.requiresConsent else {
            throw GovernanceError.conflict("\(collection.name) is not a consent collection")
        }
        let subject = subject.trimmingCharacters(in: .whitespaces)
        guard !subject.isEmpty, !textVersion.isEmpty else {
            throw GovernanceError.invalid(FieldErrors("subject", "who consented, and to which text version"))
        }
        for image in images {
            try await gallery.store.recordConsent(NewConsent(collection: collection.id, image: image, subject: subject,
                                                             textVersion: textVersion, recordedBy: recordedBy))
        }
        try await audit.record(NewAuditEntry(
            organization: collection.organization, actorID: nil, actor: recordedBy, action: AuditLog.Action.consent.rawValue,
            collections: [collection.id], detail: "\(subject) enrolled \(images.count) images with consent text \(textVersion)"))
    }

    /// Erases every image the subject enrolled in the collection, then records the withdrawal.
    @discardableResult
    public func withdraw(subject: String, collection: CollectionRecord, recordedBy: String) async throws -> Int {
        let images = try await gallery.store.consentedImages(collection: collection.id, subject: subject)
        guard !images.isEmpty else { throw GovernanceError.notFound("no consent of '\(subject)' in \(collection.name)") }
        let erased = try await gallery.erase(.images(images)) { erased in
            NewAuditEntry(
                organization: collection.organization, actorID: nil, actor: recordedBy, action: AuditLog.Action.erasure.rawValue,
                collections: [collection.id],
                detail: "consent withdrawn by \(subject): \(erased.deletedImages.count) images and \(erased.faces.count) faces erased")
        }.faces
        try await gallery.store.markConsentWithdrawn(collection: collection.id, subject: subject)
        return erased.faces.count
    }
}
