import Foundation
import LikenessStore
import GRDB
import LikenessCore

/// The ingest queue in the embedded database. Every write runs in an immediate transaction
/// (GRDB begins writes with `BEGIN IMMEDIATE`), which takes SQLite's write lock first: two
/// workers, in this process or another, never read the same waiting job and both claim it.
extension SQLiteGalleryStore: IngestQueue {
    public func enqueueIngest(collection: CollectionID, inputs: [String], requestedBy: String) async throws -> QueuedIngest {
        let inputsJSON = String(decoding: try JSONEncoder().encode(inputs), as: UTF8.self)
        return try await database.write { db in
            try db.execute(sql: """
                INSERT INTO ingest_queue (collection_id, inputs, requested_by, state, enqueued_at) VALUES (?, ?, ?, 'queued', ?)
                """, arguments: [collection, inputsJSON, requestedBy, Date()])
            return try Self.fetchQueuedIngest(db, id: db.lastInsertedRowID)!
        }
    }

    public func claimIngest(worker: String, lease: Duration) async throws -> QueuedIngest? {
        try await database.write { db in
            let now = Date()
            guard let id = try Int64.fetchOne(db, sql: """
                SELECT id FROM ingest_queue
                WHERE state = 'queued' OR (state = 'claimed' AND lease_until < ?)
                ORDER BY id LIMIT 1
                """, arguments: [now]) else { return nil }
            try db.execute(sql: """
                UPDATE ingest_queue SET state = 'claimed', worker = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ?
                """, arguments: [worker, now.addingTimeInterval(lease.timeInterval), id])
            return try Self.fetchQueuedIngest(db, id: id)
        }
    }

    public func renewIngestClaim(_ id: Int64, worker: String, lease: Duration) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "UPDATE ingest_queue SET lease_until = ? WHERE id = ? AND worker = ? AND state = 'claimed'",
                           arguments: [Date().addingTimeInterval(lease.timeInterval), id, worker])
            return db.changesCount > 0
        }
    }

    public func finishIngest(_ id: Int64, worker: String, state: QueuedIngest.State, summary: String?) async throws {
        guard state.isFinal else { throw StoreError.invalid("an ingest job ends finished or failed, not \(state.rawValue)") }
        try await database.write { db in
            try db.execute(sql: """
                UPDATE ingest_queue SET state = ?, summary = ?, finished_at = ?, lease_until = NULL
                WHERE id = ? AND worker = ? AND state = 'claimed'
                """, arguments: [state.rawValue, summary, Date(), id, worker])
        }
    }

    public func queuedIngest(_ id: Int64) async throws -> QueuedIngest? {
        try await database.read { db in try Self.fetchQueuedIngest(db, id: id) }
    }

    public func queuedIngests(limit: Int) async throws -> [QueuedIngest] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM ingest_queue ORDER BY id DESC LIMIT ?", arguments: [limit]).map(Self.queuedIngest)
        }
    }

    private static func fetchQueuedIngest(_ db: Database, id: Int64) throws -> QueuedIngest? {
        try Row.fetchOne(db, sql: "SELECT * FROM ingest_queue WHERE id = ?", arguments: [id]).map(queuedIngest)
    }

    private static func queuedIngest(_ row: Row) throws -> QueuedIngest {
        QueuedIngest(id: row["id"], collection: row["collection_id"],
                     inputs: try JSONDecoder().decode([String].self, from: Data((row["inputs"] as String).utf8)),
                     requestedBy: row["requested_by"], state: QueuedIngest.State(rawValue: row["state"]) ?? .failed,
                     worker: row["worker"], leaseUntil: row["lease_until"], attempts: row["attempts"],
                     enqueuedAt: row["enqueued_at"], finishedAt: row["finished_at"], summary: row["summary"])
    }
}
