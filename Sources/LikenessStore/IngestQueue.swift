import Foundation
import LikenessCore

/// Ingest work queued in the database and claimed by one worker at a time. A worker holds a
/// lease it renews while it works; a job whose lease ran out (its worker died) is claimed again
/// by another worker, which resumes it (ingest skips what is already stored).
public protocol IngestQueue: Sendable {
    func enqueueIngest(collection: CollectionID, inputs: [String], requestedBy: String) async throws -> QueuedIngest
    /// Claims the oldest job that is queued or whose lease ran out; nil when none is waiting.
    func claimIngest(worker: String, lease: Duration) async throws -> QueuedIngest?
    /// Extends the claim by `lease` from now; false when this worker no longer holds it.
    func renewIngestClaim(_ id: Int64, worker: String, lease: Duration) async throws -> Bool
    /// Ends the job as `finished` or `failed`; `summary` is what the worker reports (JSON text).
    /// Ignored if the worker lost the claim.
    func finishIngest(_ id: Int64, worker: String, state: QueuedIngest.State, summary: String?) async throws
    func queuedIngest(_ id: Int64) async throws -> QueuedIngest?
    /// The newest jobs first.
    func queuedIngests(limit: Int) async throws -> [QueuedIngest]
}

public struct QueuedIngest: Sendable, Codable, Hashable {
    public enum State: String, Sendable, Codable {
        /// Waiting for a worker.
        case queued
        /// A worker holds it until `leaseUntil`.
        case claimed
        case finished
        case failed

        /// Whether a job in this state is over.
        public var isFinal: Bool { self == .finished || self == .failed }
    }

    public var id: Int64
    public var collection: CollectionID
    /// What the operator named: files, folders, archives, manifests.
    public var inputs: [String]
    public var requestedBy: String
    public var state: State
    /// The worker that holds or last held the job.
    public var worker: String?
    public var leaseUntil: Date?
    /// How many times a worker claimed it: more than one means an earlier worker gave out.
    public var attempts: Int
    public var enqueuedAt: Date
    public var finishedAt: Date?
    public var summary: String?

    public init(id: Int64, collection: CollectionID, inputs: [String], requestedBy: String, state: State,
                worker: String? = nil, leaseUntil: Date? = nil, attempts: Int, enqueuedAt: Date,
                finishedAt: Date? = nil, summary: String? = nil) {
        self.id = id
        self.collection = collection
        self.inputs = inputs
        self.requestedBy = requestedBy
        self.state = state
        self.worker = worker
        self.leaseUntil = leaseUntil
        self.attempts = attempts
        self.enqueuedAt = enqueuedAt
        self.finishedAt = finishedAt
        self.summary = summary
    }
}

extension Duration {
    /// The duration in seconds, for lease arithmetic.
    public var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
