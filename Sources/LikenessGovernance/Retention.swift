import Foundation
import LikenessCore
import LikenessGallery
import LikenessStore

/// Enforces each collection's retention: images held longer than their collection allows are
/// erased, faces and all, through the same path as an erasure request (database, index,
/// write-ahead log, held files), and each collection's sweep is audited.
public struct Retention: Sendable {
    let gallery: Gallery
    let audit: AuditLog

    public init(gallery: Gallery, audit: AuditLog) {
        self.gallery = gallery
        self.audit = audit
    }

    public struct Swept: Sendable {
        public var collection: String
        public var images: Int
        public var faces: Int
    }

    @discardableResult
    public func sweep(now: Date = Date()) async throws -> [Swept] {
        let expired = try await gallery.store.expiredImages(at: now)
        guard !expired.isEmpty else { return [] }
        var swept: [Swept] = []
        for (collectionID, images) in Dictionary(grouping: expired, by: \.collection).sorted(by: { $0.key < $1.key }) {
            guard let collection = try await gallery.store.collection(collectionID) else { continue }
            let erased = try await gallery.erase(.images(images.map(\.image))) { erased in
                NewAuditEntry(
                    organization: collection.organization, actorID: nil, actor: "retention", action: AuditLog.Action.erasure.rawValue,
                    collections: [collection.id],
                    detail: "retention of \(collection.retentionDays ?? 0) days: \(erased.deletedImages.count) images and "
                        + "\(erased.faces.count) faces of \(collection.name) erased")
            }.faces
            swept.append(Swept(collection: collection.name, images: erased.deletedImages.count, faces: erased.faces.count))
        }
        return swept
    }
}
