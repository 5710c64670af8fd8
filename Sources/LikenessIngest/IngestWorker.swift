import Foundation
import LikenessGallery
import LikenessStore

/// Takes ingest jobs from the database's queue and runs them, one at a time, for as long as it
/// runs: `likeness worker`. Any number of workers, on any number of machines, share one queue.
///
/// A worker holds a lease on its job and renews it while it works. If the worker dies, the
/// lease runs out and another worker claims the job; because ingest settles every image in one
/// transaction and skips what its job already settled, the second worker finishes the job
/// without storing anything twice.
public final class IngestWorker: Sendable {
    public let name: String
    let gallery: Gallery
    let queue: any IngestQueue
    let ingester: Ingester
    let lease: Duration

    public init(name: String, gallery: Gallery, queue: any IngestQueue, ingester: Ingester, lease: Duration = .seconds(30)) {
        self.name = name
        self.gallery = gallery
        self.queue = queue
        self.ingester = ingester
        self.lease = lease
    }

    /// Works until cancelled, looking for a job every `idle` when there is none.
    public func run(idle: Duration = .seconds(1), onJob: @escaping @Sendable (QueuedIngest, Result<IngestSummary, any Error>) -> Void = { _, _ in }) async throws {
        while !Task.isCancelled {
            if let (job, result) = try await runNextJob() {
                onJob(job, result)
            } else {
                try? await Task.sleep(for: idle)
            }
        }
    }

    /// Claims and runs one job; nil when none is waiting. The job's own failure (a missing
    /// folder, say) is recorded on the job and returned, not thrown: the worker goes on.
    public func runNextJob() async throws -> (QueuedIngest, Result<IngestSummary, any Error>)? {
        guard let job = try await queue.claimIngest(worker: name, lease: lease) else { return nil }
        let result: Result<IngestSummary, any Error>
        do {
            result = .success(try await runHoldingLease(job))
        } catch let lost as LostClaim {
            // Another worker has the job now; it records the outcome.
            return (job, .failure(lost))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success(let summary):
            try await queue.finishIngest(job.id, worker: name, state: .finished, summary: try Self.json(summary))
        case .failure(let error):
            let reason = try Self.json(["error": "\(error)"])
            try await queue.finishIngest(job.id, worker: name, state: .failed, summary: reason)
        }
        return (job, result)
    }

    /// Runs the job while a second task renews the lease at a third of its length; if a renewal
    /// finds the claim gone, the ingest is cancelled.
    /// What the queue keeps of a job's end, as JSON.
    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private func runHoldingLease(_ job: QueuedIngest) async throws -> IngestSummary {
        guard let collection = try await gallery.store.collection(job.collection) else {
            throw IngestError("ingest job \(job.id): collection \(job.collection) no longer exists")
        }
        return try await withThrowingTaskGroup(of: IngestSummary?.self) { group in
            group.addTask { [ingester] in try await ingester.run(inputs: job.inputs, into: collection) }
            group.addTask { [queue, name, lease] in
                while true {
                    try await Task.sleep(for: lease / 3)
                    guard try await queue.renewIngestClaim(job.id, worker: name, lease: lease) else { throw LostClaim(job: job.id) }
                }
            }
            defer { group.cancelAll() }
            while let finished = try await group.next() {
                if let summary = finished { return summary }
            }
            throw LostClaim(job: job.id)
        }
    }
}

/// The worker's lease on a job ran out and another worker claimed it.
public struct LostClaim: Error, CustomStringConvertible {
    public var job: Int64
    public var description: String { "ingest job \(job) was claimed by another worker after this one's lease ran out" }
}
