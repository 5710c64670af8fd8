import Foundation
import LikenessStore
import LikenessCore
import PostgresNIO

/// The ingest queue in PostgreSQL. Claims take the waiting row `FOR UPDATE SKIP LOCKED`: a
/// worker passes over a job another worker is claiming at that moment instead of waiting for
/// it, so concurrent claims each get a different job. Leases are reckoned by the database's
/// clock (`now()`), never a worker's, so workers whose clocks disagree still agree on expiry.
extension PostgresGalleryStore: IngestQueue {
    public func enqueueIngest(collection: CollectionID, inputs: [String], requestedBy: String) async throws -> QueuedIngest {
        let inputsJSON = String(decoding: try JSONEncoder().encode(inputs), as: UTF8.self)
        return try Self.queuedIngest(try await rows("""
            INSERT INTO ingest_queue (collection_id, inputs, requested_by, state) VALUES (\(collection), \(inputsJSON), \(requestedBy), 'queued')
            RETURNING *
            """)[0])
    }

    public func claimIngest(worker: String, lease: Duration) async throws -> QueuedIngest? {
        try await rows("""
            UPDATE ingest_queue SET state = 'claimed', worker = \(worker), attempts = attempts + 1,
                                    lease_until = now() + make_interval(secs => \(lease.timeInterval))
            WHERE id = (SELECT id FROM ingest_queue
                        WHERE state = 'queued' OR (state = 'claimed' AND lease_until < now())
                        ORDER BY id LIMIT 1
                        FOR UPDATE SKIP LOCKED)
            RETURNING *
            """).first.map(Self.queuedIngest)
    }

    public func renewIngestClaim(_ id: Int64, worker: String, lease: Duration) async throws -> Bool {
        !(try await rows("""
            UPDATE ingest_queue SET lease_until = now() + make_interval(secs => \(lease.timeInterval))
            WHERE id = \(id) AND worker = \(worker) AND state = 'claimed'
            RETURNING id
            """).isEmpty)
    }

    public func finishIngest(_ id: Int64, worker: String, state: QueuedIngest.State, summary: String?) async throws {
        guard state.isFinal else { throw StoreError.invalid("an ingest job ends finished or failed, not \(state.rawValue)") }
        try await run("""
            UPDATE ingest_queue SET state = \(state.rawValue), summary = \(summary), finished_at = now(), lease_until = NULL
            WHERE id = \(id) AND worker = \(worker) AND state = 'claimed'
            """)
    }

    public func queuedIngest(_ id: Int64) async throws -> QueuedIngest? {
        try await rows("SELECT * FROM ingest_queue WHERE id = \(id)").first.map(Self.queuedIngest)
    }

    public func queuedIngests(limit: Int) async throws -> [QueuedIngest] {
        try await rows("SELECT * FROM ingest_queue ORDER BY id DESC LIMIT \(limit)").map(Self.queuedIngest)
    }

    private static func queuedIngest(_ row: PostgresRandomAccessRow) throws -> QueuedIngest {
        QueuedIngest(id: try row.value("id"), collection: try row.value("collection_id"),
                     inputs: try JSONDecoder().decode([String].self, from: Data(try row.value("inputs", as: String.self).utf8)),
                     requestedBy: try row.value("requested_by"),
                     state: QueuedIngest.State(rawValue: try row.value("state")) ?? .failed, worker: try row.value("worker"),
                     leaseUntil: try row.value("lease_until"), attempts: try row.value("attempts"),
                     enqueuedAt: try row.value("enqueued_at"), finishedAt: try row.value("finished_at"), summary: try row.value("summary"))
    }
}
