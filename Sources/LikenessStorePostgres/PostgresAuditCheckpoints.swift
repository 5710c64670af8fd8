import Foundation
import LikenessStore
import PostgresNIO

/// Signed checkpoints of the audit chain's head, in the database beside the entries.
extension PostgresGalleryStore {
    public func auditHead() async throws -> (id: Int64, hash: String)? {
        try await rows("SELECT id, hash FROM audit_entry ORDER BY id DESC LIMIT 1").first.map {
            (try $0.value("id", as: Int64.self), try $0.value("hash", as: String.self))
        }
    }

    public func appendAuditCheckpoint(_ new: NewAuditCheckpoint) async throws -> AuditCheckpoint {
        let row = try await rows("""
            INSERT INTO audit_checkpoint (entry_id, entry_hash, at, public_key, signature)
            VALUES (\(new.entryID), \(new.entryHash), \(new.at), \(new.publicKey), \(new.signature))
            RETURNING *
            """)[0]
        return try Self.auditCheckpoint(row)
    }

    public func auditCheckpoints(after: Int64, limit: Int) async throws -> [AuditCheckpoint] {
        try await rows("SELECT * FROM audit_checkpoint WHERE id > \(after) ORDER BY id LIMIT \(limit)").map(Self.auditCheckpoint)
    }

    public func latestAuditCheckpoint() async throws -> AuditCheckpoint? {
        try await rows("SELECT * FROM audit_checkpoint ORDER BY id DESC LIMIT 1").first.map(Self.auditCheckpoint)
    }

    static func auditCheckpoint(_ row: PostgresRandomAccessRow) throws -> AuditCheckpoint {
        AuditCheckpoint(number: try row.value("id"), checkpoint: NewAuditCheckpoint(
            entryID: try row.value("entry_id"), entryHash: try row.value("entry_hash"), at: try row.value("at"),
            publicKey: try row.value("public_key"), signature: try row.value("signature")))
    }
}
