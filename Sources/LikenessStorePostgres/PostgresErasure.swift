import Foundation
import LikenessCore
import LikenessStore
import PostgresNIO

/// Erasure, consent and the suppression list: what the store does for the people in the images.
extension PostgresGalleryStore {
    // MARK: Erasure

    public func eraseFaces(_ ids: [FaceID], _ order: ErasureOrder) async throws -> ErasedFaces {
        guard !ids.isEmpty else { return ErasedFaces(faces: [], deletedImages: [], keptImages: 0) }
        return try await transaction { connection in
            let journal = try await Self.prepare(order, on: connection, templatesOf: "SELECT id, template FROM face WHERE id = ANY(\(ids)) FOR UPDATE")
            // Their face_template rows go in the same statement, by ON DELETE CASCADE.
            let erased = try await connection.rows("DELETE FROM face WHERE id = ANY(\(ids)) RETURNING id, image_id")
            let faces: [FaceID] = try erased.map { try $0.value("id") }.sorted()
            let images = Set(try erased.map { try $0.value("image_id", as: ImageID.self) })
            let deleted = try await connection.rows("""
                DELETE FROM image i USING collection c
                WHERE c.id = i.collection_id AND i.id = ANY(\(Array(images))) AND c.erasure_policy = 'delete_image'
                  AND NOT EXISTS (SELECT 1 FROM face f WHERE f.image_id = i.id)
                RETURNING i.id, i.location
                """).map { (id: try $0.value("id", as: ImageID.self), location: try $0.value("location", as: String.self)) }
                .sorted { $0.id < $1.id }
            let result = ErasedFaces(faces: faces, deletedImages: deleted, keptImages: images.count - deleted.count)
            try await Self.record(result, order, journal: journal, on: connection)
            return result
        }
    }

    public func eraseImages(_ ids: [ImageID], _ order: ErasureOrder) async throws -> ErasedFaces {
        guard !ids.isEmpty else { return ErasedFaces(faces: [], deletedImages: [], keptImages: 0) }
        return try await transaction { connection in
            let journal = try await Self.prepare(order, on: connection,
                                                 templatesOf: "SELECT id, template FROM face WHERE image_id = ANY(\(ids)) FOR UPDATE")
            // With their face_template rows, as in `eraseFaces`.
            let faces: [FaceID] = try await connection.rows("DELETE FROM face WHERE image_id = ANY(\(ids)) RETURNING id")
                .map { try $0.value("id") }.sorted()
            let images = try await connection.rows("DELETE FROM image WHERE id = ANY(\(ids)) RETURNING id, location")
                .map { (id: try $0.value("id", as: ImageID.self), location: try $0.value("location", as: String.self)) }
                .sorted { $0.id < $1.id }
            let result = ErasedFaces(faces: faces, deletedImages: images, keptImages: 0)
            try await Self.record(result, order, journal: journal, on: connection)
            return result
        }
    }

    /// The order's journal record, with its suppressions added, from the templates about to go
    /// (locked, so that they are the ones deleted).
    private static func prepare(_ order: ErasureOrder, on connection: PostgresConnection,
                                templatesOf query: PostgresQuery) async throws -> [UInt8] {
        let templates = try await connection.rows(query).map { row in
            let face = try row.value("id", as: FaceID.self)
            guard let template = FaceTemplate(bytes: try row.bytes("template")) else {
                throw StoreError.damaged("face \(face) has a template of the wrong size")
            }
            return ErasedTemplate(face: face, template: template)
        }
        let prepared = try order.prepare(templates)
        if let owner = order.suppressionOwner {
            try await insertSuppressions(prepared.suppressions, organization: owner.organization, reference: owner.reference,
                                         on: connection)
        }
        return prepared.record
    }

    /// What every erasure writes after deleting: the index's change log, the redaction of audit
    /// thumbnails showing the faces, the audit entry, the privacy request it closes, and the
    /// journal entry. The index log's lock
    /// is taken before the audit's, as ingest takes it alone.
    private static func record(_ erased: ErasedFaces, _ order: ErasureOrder, journal: [UInt8],
                               on connection: PostgresConnection) async throws {
        try await logIndexChanges(connection, faces: erased.faces, kind: .removed)
        try await redactAuditThumbnails(showing: erased.faces, on: connection)
        _ = try await appendAudit(order.audit(erased), on: connection)
        if let closing = order.closing {
            let outcome = closing.outcome(erased)
            guard try await endSubjectRequest(closing.id, status: .closed, decision: outcome.decision, on: connection) else {
                throw StoreError.conflict("request \(closing.reference) has already ended")
            }
            _ = try await appendAudit(outcome.audit, on: connection)
        }
        let locations = String(decoding: try JSONEncoder().encode(erased.deletedImages.map(\.location)), as: UTF8.self)
        try await connection.run("""
            INSERT INTO erasure_journal (record, deleted_image_locations) VALUES (\(ByteBuffer(bytes: journal)), \(locations)::jsonb)
            """)
    }

    public func unfinishedErasures() async throws -> [UnfinishedErasure] {
        try await rows("SELECT id, record, deleted_image_locations::text AS locations FROM erasure_journal ORDER BY id").map { row in
            UnfinishedErasure(id: try row.value("id"), record: try row.bytes("record"),
                              deletedImageLocations: try JSONDecoder().decode([String].self, from: Data(try row.value("locations", as: String.self).utf8)))
        }
    }

    public func finishErasure(_ id: Int64) async throws {
        try await run("DELETE FROM erasure_journal WHERE id = \(id)")
    }

    public func expiredImages(at now: Date) async throws -> [(image: ImageID, collection: CollectionID)] {
        // Whole days of 86,400 s, as SQLite counts them: an interval of days would follow the
        // session's time zone across daylight-saving changes.
        try await rows("""
            SELECT i.id, i.collection_id FROM image i JOIN collection c ON c.id = i.collection_id
            WHERE c.retention_days IS NOT NULL AND i.ingested_at + c.retention_days * interval '86400 seconds' <= \(now)
            ORDER BY i.id
            """).map { (try $0.value("id"), try $0.value("collection_id")) }
    }

    /// Makes erased rows unreadable. A DELETE or UPDATE in PostgreSQL leaves the old row
    /// versions (templates, crops, selfies) in the table's pages until VACUUM removes them;
    /// this runs it on the tables erasure and closed requests touch, face_template included:
    /// deleting a face deletes its second templates by cascade.
    ///
    /// What it guarantees: the dead versions, and the index entries pointing to them, are
    /// removed and their space marked free, so nothing read through PostgreSQL (a query, a
    /// dump, a page-inspection function's row view) returns them again. What it does not:
    /// - the freed bytes are not overwritten (PostgreSQL has no `secure_delete`): they stay in
    ///   the page's free space until new rows reuse it, and in data files copied before;
    /// - the write-ahead log keeps them until its segments are recycled, and so do archived
    ///   WAL, base backups and replicas;
    /// - a version still visible to a transaction open elsewhere (a long report, a stuck
    ///   session) is kept; a later VACUUM removes it.
    /// VACUUM FULL would rewrite the tables but lock them against every read and write while it
    /// runs, and the old files' blocks would still be on the disk, so it is not used.
    public func checkpoint() async throws {
        // VACUUM cannot run inside a transaction block: a plain query on a pooled connection.
        try await run("VACUUM face, face_template, image, subject_request, consent")
    }

    // MARK: Consent

    public func recordConsent(_ consent: NewConsent) async throws {
        try await run("""
            INSERT INTO consent (collection_id, image_id, subject, text_version, recorded_by)
            VALUES (\(consent.collection), \(consent.image), \(consent.subject), \(consent.textVersion), \(consent.recordedBy))
            """)
    }

    public func consentedImages(collection: CollectionID, subject: String) async throws -> [ImageID] {
        try await rows("""
            SELECT image_id FROM consent
            WHERE collection_id = \(collection) AND subject = \(subject) AND withdrawn_at IS NULL AND image_id IS NOT NULL
            ORDER BY id
            """).map { try $0.value("image_id") }
    }

    public func markConsentWithdrawn(collection: CollectionID, subject: String) async throws {
        try await run("""
            UPDATE consent SET withdrawn_at = now(), image_id = NULL
            WHERE collection_id = \(collection) AND subject = \(subject) AND withdrawn_at IS NULL
            """)
    }

    // MARK: Suppression

    public func addSuppressions(_ sealedTemplates: [[UInt8]], organization: OrganizationID, reference: String) async throws {
        try await transaction { connection in
            try await Self.insertSuppressions(sealedTemplates, organization: organization, reference: reference, on: connection)
        }
    }

    private static func insertSuppressions(_ sealedTemplates: [[UInt8]], organization: OrganizationID, reference: String,
                                           on connection: PostgresConnection) async throws {
        for sealed in sealedTemplates {
            try await connection.run("""
                INSERT INTO suppression (organization_id, sealed_template, reference)
                VALUES (\(organization), \(ByteBuffer(bytes: sealed)), \(reference))
                """)
        }
    }

    public func suppressions(of organization: OrganizationID) async throws -> [Suppression] {
        try await rows("SELECT * FROM suppression WHERE organization_id = \(organization) ORDER BY id").map { row in
            Suppression(id: try row.value("id"), sealedTemplate: try row.bytes("sealed_template"), reference: try row.value("reference"),
                        createdAt: try row.value("created_at"))
        }
    }
}
