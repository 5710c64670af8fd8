import Foundation
import LikenessStore
import GRDB

/// Signed checkpoints of the audit chain's head, in the gallery's database beside the entries.
extension SQLiteGalleryStore {
    public func auditHead() async throws -> (id: Int64, hash: String)? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT id, hash FROM audit_entry ORDER BY id DESC LIMIT 1").map { row -> (id: Int64, hash: String) in
                (row["id"], row["hash"])
            }
        }
    }

    public func appendAuditCheckpoint(_ new: NewAuditCheckpoint) async throws -> AuditCheckpoint {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO audit_checkpoint (entry_id, entry_hash, at, public_key, signature) VALUES (?, ?, ?, ?, ?)
                """, arguments: [new.entryID, new.entryHash, new.at, new.publicKey, new.signature])
            return AuditCheckpoint(number: db.lastInsertedRowID, checkpoint: new)
        }
    }

    public func auditCheckpoints(after: Int64, limit: Int) async throws -> [AuditCheckpoint] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM audit_checkpoint WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, limit])
                .map(Self.auditCheckpoint)
        }
    }

    public func latestAuditCheckpoint() async throws -> AuditCheckpoint? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM audit_checkpoint ORDER BY id DESC LIMIT 1").map(Self.auditCheckpoint)
        }
    }

    static func auditCheckpoint(_ row: Row) -> AuditCheckpoint {
        AuditCheckpoint(number: row["id"], checkpoint: NewAuditCheckpoint(
            entryID: row["entry_id"], entryHash: row["entry_hash"], at: row["at"], publicKey: row["public_key"],
            signature: row["signature"]))
    }
}
