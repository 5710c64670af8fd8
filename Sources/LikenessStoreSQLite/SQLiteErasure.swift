import Foundation
import GRDB
import LikenessCore
import LikenessStore

/// Erasure, consent and the suppression list: what the store does for the people in the images.
extension SQLiteGalleryStore {
    public func eraseFaces(_ ids: [FaceID], _ order: ErasureOrder) async throws -> ErasedFaces {
        guard !ids.isEmpty else { return ErasedFaces(faces: [], deletedImages: [], keptImages: 0) }
        return try await database.write { db in
            let list = Self.jsonArray(ids)
            let found = try Row.fetchAll(db, sql: "SELECT id, image_id, template FROM face WHERE id IN (SELECT value FROM json_each(?))",
                                         arguments: [list])
            let faces: [FaceID] = found.map { $0["id"] }
            let images = Set(found.map { $0["image_id"] as ImageID })
            let journal = try Self.prepare(order, templates: found, db)
            // Their face_template rows go by ON DELETE CASCADE (GRDB turns foreign keys on for every
            // connection); secure_delete overwrites the freed templates and crops in the database file.
            try db.execute(sql: "DELETE FROM face WHERE id IN (SELECT value FROM json_each(?))", arguments: [list])
            let emptied = try Row.fetchAll(db, sql: """
                SELECT i.id, i.location, c.erasure_policy FROM image i JOIN collection c ON c.id = i.collection_id
                WHERE i.id IN (SELECT value FROM json_each(?)) AND NOT EXISTS (SELECT 1 FROM face f WHERE f.image_id = i.id)
                """, arguments: [Self.jsonArray(Array(images))])
            let deleted = emptied.filter { $0["erasure_policy"] == ErasurePolicy.deleteImage.rawValue }
                .map { (id: $0["id"] as ImageID, location: $0["location"] as String) }
            try db.execute(sql: "DELETE FROM image WHERE id IN (SELECT value FROM json_each(?))",
                           arguments: [Self.jsonArray(deleted.map(\.id))])
            let erased = ErasedFaces(faces: faces, deletedImages: deleted, keptImages: images.count - deleted.count)
            try Self.record(erased, order, journal: journal, db)
            return erased
        }
    }

    public func eraseImages(_ ids: [ImageID], _ order: ErasureOrder) async throws -> ErasedFaces {
        guard !ids.isEmpty else { return ErasedFaces(faces: [], deletedImages: [], keptImages: 0) }
        return try await database.write { db in
            let list = Self.jsonArray(ids)
            let found = try Row.fetchAll(db, sql: "SELECT id, template FROM face WHERE image_id IN (SELECT value FROM json_each(?))",
                                         arguments: [list])
            let images = try Row.fetchAll(db, sql: "SELECT id, location FROM image WHERE id IN (SELECT value FROM json_each(?))",
                                          arguments: [list]).map { (id: $0["id"] as ImageID, location: $0["location"] as String) }
            let journal = try Self.prepare(order, templates: found, db)
            // With their face_template rows and overwritten, as in `eraseFaces`.
            try db.execute(sql: "DELETE FROM face WHERE image_id IN (SELECT value FROM json_each(?))", arguments: [list])
            try db.execute(sql: "DELETE FROM image WHERE id IN (SELECT value FROM json_each(?))", arguments: [list])
            let erased = ErasedFaces(faces: found.map { $0["id"] }, deletedImages: images, keptImages: 0)
            try Self.record(erased, order, journal: journal, db)
            return erased
        }
    }

    /// The order's journal record, with its suppressions added, from the templates about to go.
    private static func prepare(_ order: ErasureOrder, templates rows: [Row], _ db: Database) throws -> [UInt8] {
        let templates = try rows.map { row in
            guard let template = FaceTemplate(bytes: [UInt8](row["template"] as Data)) else {
                throw StoreError.damaged("face \(row["id"] as FaceID) has a template of the wrong size")
            }
            return ErasedTemplate(face: row["id"], template: template)
        }
        let prepared = try order.prepare(templates)
        if let owner = order.suppressionOwner {
            try insertSuppressions(prepared.suppressions, organization: owner.organization, reference: owner.reference, db)
        }
        return prepared.record
    }

    /// What every erasure writes after deleting: the index's change log, the redaction of audit
    /// thumbnails showing the faces, the audit entry, the privacy request it closes, and the
    /// journal entry.
    private static func record(_ erased: ErasedFaces, _ order: ErasureOrder, journal: [UInt8], _ db: Database) throws {
        for face in erased.faces {
            try db.execute(sql: "INSERT INTO index_log (face_id, change) VALUES (?, 'removed')", arguments: [face])
        }
        try redactAuditThumbnails(showing: erased.faces, db)
        _ = try appendAudit(order.audit(erased), db)
        if let closing = order.closing {
            let outcome = closing.outcome(erased)
            guard try endSubjectRequest(closing.id, status: .closed, decision: outcome.decision, db) else {
                throw StoreError.conflict("request \(closing.reference) has already ended")
            }
            _ = try appendAudit(outcome.audit, db)
        }
        let locations = String(decoding: try JSONEncoder().encode(erased.deletedImages.map(\.location)), as: UTF8.self)
        try db.execute(sql: "INSERT INTO erasure_journal (record, deleted_image_locations) VALUES (?, ?)",
                       arguments: [Data(journal), locations])
    }

    public func unfinishedErasures() async throws -> [UnfinishedErasure] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM erasure_journal ORDER BY id").map { row in
                UnfinishedErasure(id: row["id"], record: [UInt8](row["record"] as Data),
                                  deletedImageLocations: try JSONDecoder().decode([String].self, from: Data((row["deleted_image_locations"] as String).utf8)))
            }
        }
    }

    public func finishErasure(_ id: Int64) async throws {
        try await database.write { db in try db.execute(sql: "DELETE FROM erasure_journal WHERE id = ?", arguments: [id]) }
    }

    public func recordConsent(_ consent: NewConsent) async throws {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO consent (collection_id, image_id, subject, text_version, given_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [consent.collection, consent.image, consent.subject, consent.textVersion, Date(), consent.recordedBy])
        }
    }

    public func consentedImages(collection: CollectionID, subject: String) async throws -> [ImageID] {
        try await database.read { db in
            try ImageID.fetchAll(db, sql: """
                SELECT image_id FROM consent WHERE collection_id = ? AND subject = ? AND withdrawn_at IS NULL AND image_id IS NOT NULL
                """, arguments: [collection, subject])
        }
    }

    public func markConsentWithdrawn(collection: CollectionID, subject: String) async throws {
        try await database.write { db in
            try db.execute(sql: """
                UPDATE consent SET withdrawn_at = ?, image_id = NULL WHERE collection_id = ? AND subject = ? AND withdrawn_at IS NULL
                """, arguments: [Date(), collection, subject])
        }
    }

    public func addSuppressions(_ sealedTemplates: [[UInt8]], organization: OrganizationID, reference: String) async throws {
        try await database.write { db in
            try Self.insertSuppressions(sealedTemplates, organization: organization, reference: reference, db)
        }
    }

    private static func insertSuppressions(_ sealedTemplates: [[UInt8]], organization: OrganizationID, reference: String,
                                           _ db: Database) throws {
        for sealed in sealedTemplates {
            try db.execute(sql: """
                INSERT INTO suppression (organization_id, sealed_template, reference, created_at) VALUES (?, ?, ?, ?)
                """, arguments: [organization, Data(sealed), reference, Date()])
        }
    }

    public func suppressions(of organization: OrganizationID) async throws -> [Suppression] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM suppression WHERE organization_id = ? ORDER BY id", arguments: [organization]).map { row in
                Suppression(id: row["id"], sealedTemplate: [UInt8](row["sealed_template"] as Data), reference: row["reference"],
                            createdAt: row["created_at"])
            }
        }
    }

    public func expiredImages(at now: Date) async throws -> [(image: ImageID, collection: CollectionID)] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT i.id, i.collection_id, i.ingested_at, c.retention_days FROM image i JOIN collection c ON c.id = i.collection_id
                WHERE c.retention_days IS NOT NULL ORDER BY i.id
                """).compactMap { row in
                let ingested: Date = row["ingested_at"]
                let days: Int = row["retention_days"]
                return ingested.addingTimeInterval(Double(days) * 86_400) <= now ? (row["id"], row["collection_id"]) : nil
            }
        }
    }

    public func checkpoint() async throws {
        try await database.writeWithoutTransaction { db in
            _ = try db.checkpoint(.truncate)
        }
    }
}
