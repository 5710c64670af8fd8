import Foundation
import LikenessCore
import LikenessStore
import Testing
import TestSupport

/// What every `IngestQueue` does, tested on each backend.
@Suite struct IngestQueueContractTests {
    typealias Samples = StoreSamples

    @Test(arguments: StoreBackend.allCases)
    func enqueuedJobsWaitAndAreListedNewestFirst(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let collection = try await Samples.collection(store)
            let start = Date()
            let first = try await store.enqueueIngest(collection: collection.id, inputs: ["/archive/2019", "photos.zip"], requestedBy: "admin")
            #expect(first.collection == collection.id && first.inputs == ["/archive/2019", "photos.zip"] && first.requestedBy == "admin")
            #expect(first.state == .queued && first.worker == nil && first.leaseUntil == nil && first.attempts == 0)
            #expect(first.finishedAt == nil && first.summary == nil && Samples.isStamped(first.enqueuedAt, since: start))
            let second = try await store.enqueueIngest(collection: collection.id, inputs: ["b"], requestedBy: "admin")
            let third = try await store.enqueueIngest(collection: collection.id, inputs: ["c"], requestedBy: "admin")

            #expect(try await store.queuedIngest(first.id) == first)
            #expect(try await store.queuedIngest(999_999) == nil)
            #expect(try await store.queuedIngests(limit: 2).map(\.id) == [third.id, second.id])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aWorkerClaimsTheOldestJobAndOnlyItFinishesIt(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let collection = try await Samples.collection(store)
            let first = try await store.enqueueIngest(collection: collection.id, inputs: ["a"], requestedBy: "admin")
            let second = try await store.enqueueIngest(collection: collection.id, inputs: ["b"], requestedBy: "admin")

            let claimed = try #require(try await store.claimIngest(worker: "w1", lease: .seconds(60)))
            #expect(claimed.id == first.id && claimed.state == .claimed && claimed.worker == "w1" && claimed.attempts == 1)
            let lease = try #require(claimed.leaseUntil)
            #expect(lease > Date().addingTimeInterval(30) && lease < Date().addingTimeInterval(90))
            #expect(try await store.claimIngest(worker: "w2", lease: .seconds(60))?.id == second.id)
            #expect(try await store.claimIngest(worker: "w3", lease: .seconds(60)) == nil)

            #expect(try await store.renewIngestClaim(first.id, worker: "w1", lease: .seconds(120)))
            #expect(try await store.queuedIngest(first.id)?.leaseUntil.map { $0 > lease } == true)
            #expect(try await !store.renewIngestClaim(first.id, worker: "w2", lease: .seconds(120)))

            try await store.finishIngest(first.id, worker: "w2", state: .failed, summary: "{}")
            #expect(try await store.queuedIngest(first.id)?.state == .claimed)
            try await store.finishIngest(first.id, worker: "w1", state: .finished, summary: #"{"stored":12}"#)
            let finished = try #require(try await store.queuedIngest(first.id))
            #expect(finished.state == .finished && finished.summary == #"{"stored":12}"# && finished.finishedAt != nil)
            #expect(finished.leaseUntil == nil && finished.worker == "w1")
            #expect(try await !store.renewIngestClaim(first.id, worker: "w1", lease: .seconds(60)))
            // A finished job is never claimed again.
            #expect(try await store.claimIngest(worker: "w3", lease: .seconds(60)) == nil)

            let refusal = await #expect(throws: StoreError.self) {
                try await store.finishIngest(second.id, worker: "w2", state: .queued, summary: nil)
            }
            #expect(refusal == .invalid("an ingest job ends finished or failed, not queued"))
        }
    }

    /// Many workers, in separate stores on one database, claiming at once: each job goes to
    /// exactly one of them.
    @Test(arguments: StoreBackend.allCases)
    func concurrentClaimersNeverGetTheSameJob(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let stores: [any DataStore] = [try await database.open(), try await database.open()]
            let collection = try await Samples.collection(stores[0])
            var jobs: Set<Int64> = []
            for n in 0..<12 {
                jobs.insert(try await stores[0].enqueueIngest(collection: collection.id, inputs: ["\(n)"], requestedBy: "admin").id)
            }
            let claims = try await withThrowingTaskGroup(of: QueuedIngest?.self) { group in
                for worker in 0..<30 {
                    group.addTask { try await stores[worker % stores.count].claimIngest(worker: "w\(worker)", lease: .seconds(60)) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }.compactMap { $0 }
            #expect(claims.count == jobs.count && Set(claims.map(\.id)) == jobs)
            #expect(claims.allSatisfy { $0.attempts == 1 && $0.state == .claimed })
            for claim in claims {
                #expect(try await stores[1].queuedIngest(claim.id)?.worker == claim.worker)
            }
        }
    }

    /// A worker that died (stopped renewing) loses its job to the next worker, which resumes
    /// it; if the first worker comes back it can neither renew nor finish the job.
    @Test(arguments: StoreBackend.allCases)
    func anExpiredLeaseIsClaimedByAnotherWorker(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let collection = try await Samples.collection(store)
            let job = try await store.enqueueIngest(collection: collection.id, inputs: ["a"], requestedBy: "admin")
            _ = try #require(try await store.claimIngest(worker: "dead", lease: .seconds(60)))
            #expect(try await store.claimIngest(worker: "next", lease: .seconds(60)) == nil)
            // Its last renewal, just before it died, was for a moment only.
            #expect(try await store.renewIngestClaim(job.id, worker: "dead", lease: .milliseconds(1)))

            try await Task.sleep(for: .milliseconds(100))
            let reclaimed = try #require(try await store.claimIngest(worker: "next", lease: .seconds(60)))
            #expect(reclaimed.id == job.id && reclaimed.worker == "next" && reclaimed.attempts == 2)

            #expect(try await !store.renewIngestClaim(job.id, worker: "dead", lease: .seconds(60)))
            try await store.finishIngest(job.id, worker: "dead", state: .failed, summary: #"{"error":"late"}"#)
            #expect(try await store.queuedIngest(job.id)?.state == .claimed)
            try await store.finishIngest(job.id, worker: "next", state: .finished, summary: #"{"stored":3}"#)
            let finished = try #require(try await store.queuedIngest(job.id))
            #expect(finished.state == .finished && finished.worker == "next" && finished.summary == #"{"stored":3}"#)
        }
    }
}
