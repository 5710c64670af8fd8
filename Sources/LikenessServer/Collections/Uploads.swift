import Foundation
import LikenessEngine
import LikenessGallery
import LikenessGovernance
import LikenessIngest
import LikenessStore
import Synchronization

/// Images and archives uploaded into a collection through the web or the API: saved under the
/// data directory (the collection's copy of record), archives unpacked there into a file per
/// image or video (so that erasure and retention can delete each), then ingested in the
/// background while the uploader polls for progress. A duplicate's copy is not kept. Start and
/// end are audited.
public final class Uploads: Sendable {
    let ingester: Ingester
    public let directory: URL
    let audit: AuditLog
    private let jobs = Mutex<[String: UploadStatus]>([:])
    /// How long an ended upload's status is kept for its poller: the audit log keeps its
    /// outcome, and a server taking uploads for months would otherwise hold every one's status.
    static let endedLifetime: TimeInterval = 3600

    public init(gallery: Gallery, pool: EnginePool, fetcher: ImageFetcher, directory: URL, audit: AuditLog) {
        ingester = Ingester(gallery: gallery, pool: pool, fetcher: fetcher,
                            options: .init(concurrency: max(2, pool.size * 2), heldCopies: directory))
        self.directory = directory
        self.audit = audit
    }

    public struct UploadStatus: Sendable {
        public enum State: String, Sendable { case running, finished, failed }
        public var id: String
        public var collection: CollectionRecord
        public var account: AccountID
        public var files: Int
        public var state: State
        public var progress: IngestProgress
        public var error: String?
        public var ended: Date?

        var response: UploadStatusResponse {
            UploadStatusResponse(
                id: id, collectionID: collection.id, state: state.rawValue, files: files, total: progress.total,
                settled: progress.settled, stored: progress.stored, duplicates: progress.duplicates, failed: progress.failed,
                faces: progress.faces,
                failures: progress.failures.prefix(100).map {
                    UploadStatusResponse.Failure(item: FileName.lastComponent($0.item), reason: $0.reason)
                },
                error: error)
        }
    }

    /// Saves the files and starts ingesting them. Names that are neither images nor archives
    /// are refused before anything is saved.
    func start(_ files: [UploadedFile], into collection: CollectionRecord, caller: Accounts.Caller) async throws -> UploadStatus {
        guard !files.isEmpty else { throw GovernanceError.invalid(FieldErrors("files", "choose at least one image or archive")) }
        try await CollectionRules.checkIngestAllowed(into: collection, governance: audit.store)
        var errors = FieldErrors()
        for file in files where !Self.accepts(file.filename) {
            errors.add("files", "\(file.filename): not an image or a .zip/.tar archive")
        }
        guard errors.isEmpty else { throw GovernanceError.invalid(errors) }

        let id = Secrets.token().prefix(16).lowercased()
        let folder = directory.appendingPathComponent("\(collection.id)/\(id)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (number, file) in files.enumerated() {
            // The stored name keeps the original for reviewers, prefixed to keep names unique.
            let name = String(format: "%04d-", number) + UploadFolder.safeName(file.filename)
            let copy = try PrivateFile.create(atPath: folder.appendingPathComponent(name).path)
            defer { try? copy.close() }
            try file.content.withUnsafeReadableBytes { try copy.write(contentsOf: $0) }
        }
        let status = UploadStatus(id: String(id), collection: collection, account: caller.account.id, files: files.count,
                                  state: .running, progress: IngestProgress(total: nil))
        jobs.withLock { jobs in
            jobs = jobs.filter { $0.value.ended.map { Date().timeIntervalSince($0) < Self.endedLifetime } ?? true }
            jobs[status.id] = status
        }
        try await audit.record(NewAuditEntry(organization: collection.organization, actorID: caller.account.id,
                                             actor: caller.account.username, action: AuditLog.Action.ingest.rawValue,
                                             collections: [collection.id], clientAddress: caller.address,
                                             detail: "upload \(id): \(files.count) file(s) into \(collection.name) started"))
        Task.detached { [self] in await self.run(status.id, folder: folder, collection: collection, caller: caller) }
        return status
    }

    private func run(_ id: String, folder: URL, collection: CollectionRecord, caller: Accounts.Caller) async {
        var outcome = "ok"
        var detail: String
        do {
            let contents = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            do {
                for archive in contents where UploadFolder.isArchiveName(archive.lastPathComponent) {
                    try UploadFolder.unpack(archive)
                }
            } catch {
                // Nothing of the upload is ingested yet: none of it is kept, to be no one's record.
                try? FileManager.default.removeItem(at: folder)
                throw error
            }
            let summary = try await ingester.run(inputs: [folder.path], into: collection) { progress in
                self.jobs.withLock { $0[id]?.progress = progress }
            }
            jobs.withLock {
                $0[id]?.progress = summary.progress
                $0[id]?.state = .finished
                $0[id]?.ended = Date()
            }
            let p = summary.progress
            detail = "upload \(id) into \(collection.name) finished: \(p.stored) stored, \(p.duplicates) duplicates, \(p.failed) failed, \(p.faces) faces"
        } catch {
            jobs.withLock {
                $0[id]?.state = .failed
                $0[id]?.error = "\(error)"
                $0[id]?.ended = Date()
            }
            outcome = "failed"
            detail = "upload \(id) into \(collection.name) failed: \(error)"
        }
        _ = try? await audit.record(NewAuditEntry(organization: collection.organization, actorID: caller.account.id,
                                                  actor: caller.account.username, action: AuditLog.Action.ingest.rawValue,
                                                  outcome: outcome, collections: [collection.id],
                                                  clientAddress: caller.address, detail: detail))
    }

    /// An upload of the caller's organisation.
    func status(_ id: String, organization: OrganizationID) -> UploadStatus? {
        jobs.withLock { $0[id] }.flatMap { $0.collection.organization == organization ? $0 : nil }
    }

    /// Waits until an upload settles (tests and the CLI).
    public func waitUntilSettled(_ id: String) async throws {
        while jobs.withLock({ $0[id]?.state }) == .running { try await Task.sleep(for: .milliseconds(50)) }
    }

    static func accepts(_ filename: String) -> Bool {
        IngestInputs.imageExtensions.contains(FileName.lowercasedExtension(filename)) || UploadFolder.isArchiveName(filename.lowercased())
    }

}
