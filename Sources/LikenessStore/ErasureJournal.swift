import Foundation
import LikenessCore

/// What an erasure writes in its own transaction besides deleting: the audit entry, the
/// suppression list's new entries, and a journal entry saying what is left to do outside the
/// database (the index, held files, the erasure log). A crash after the transaction leaves
/// the journal entry, and the next start finishes the erasure from it; a crash before leaves
/// nothing changed. So an erasure is never half done, and never done without its audit entry.
public struct ErasureOrder: Sendable {
    /// Given the faces about to be erased with their templates (read in the transaction): the
    /// journal's record of them (opaque to the store: keyed digests, never the templates) and
    /// the sealed templates to add to the suppression list, if the person asked for that.
    public var prepare: @Sendable (_ faces: [ErasedTemplate]) throws -> (record: [UInt8], suppressions: [[UInt8]])
    /// Whose suppression list takes the sealed templates, under which reference.
    public var suppressionOwner: (organization: OrganizationID, reference: String)?
    /// The audit entry, written from what was erased.
    public var audit: @Sendable (ErasedFaces) -> NewAuditEntry
    /// The privacy request the erasure answers, closed in the same transaction.
    public var closing: ClosingRequest?

    public init(prepare: @escaping @Sendable ([ErasedTemplate]) throws -> (record: [UInt8], suppressions: [[UInt8]]),
                suppressionOwner: (organization: OrganizationID, reference: String)? = nil,
                closing: ClosingRequest? = nil,
                audit: @escaping @Sendable (ErasedFaces) -> NewAuditEntry) {
        self.prepare = prepare
        self.suppressionOwner = suppressionOwner
        self.closing = closing
        self.audit = audit
    }
}

/// A verified privacy request that an erasure answers. It is closed in the erasure's own
/// transaction (its selfie and findings deleted, its audit entry written), so a crash can
/// leave neither an erased person whose request still waits with their selfie, nor a request
/// closed without its erasure. If the request has already ended (another admin closed it),
/// the erasure fails with `StoreError.conflict`, changing nothing.
public struct ClosingRequest: Sendable {
    public var id: Int64
    public var reference: String
    /// The decision recorded on the request, and the request's audit entry, from what was erased.
    public var outcome: @Sendable (ErasedFaces) -> (decision: String, audit: NewAuditEntry)

    public init(id: Int64, reference: String, outcome: @escaping @Sendable (ErasedFaces) -> (decision: String, audit: NewAuditEntry)) {
        self.id = id
        self.reference = reference
        self.outcome = outcome
    }
}

/// A face about to be erased, with its index template.
public struct ErasedTemplate: Sendable, Equatable {
    public var face: FaceID
    public var template: FaceTemplate

    public init(face: FaceID, template: FaceTemplate) {
        self.face = face
        self.template = template
    }
}

/// An erasure whose database transaction committed but whose work outside the database
/// (index, held files, erasure log) may not be done yet.
public struct UnfinishedErasure: Sendable {
    public var id: Int64
    /// The `ErasureOrder`'s record.
    public var record: [UInt8]
    /// Where the images deleted with the faces were: held copies among them are removed.
    public var deletedImageLocations: [String]

    public init(id: Int64, record: [UInt8], deletedImageLocations: [String]) {
        self.id = id
        self.record = record
        self.deletedImageLocations = deletedImageLocations
    }
}
