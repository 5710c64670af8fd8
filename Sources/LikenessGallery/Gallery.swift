import Foundation
import LikenessCore
import LikenessIndex
import LikenessStore

/// The database and the vector index, kept in step. The database is the source of truth:
/// every face added or removed is written to its change log in the same transaction, and the
/// index replays that log, so it catches up after a crash, after another process's writes,
/// or from nothing (`reindex`).
public final class Gallery: Sendable {
    public let store: any DataStore
    public let index: any VectorIndex
    /// Why the index was rebuilt from the database on opening, if it was.
    public let indexRebuiltBecause: String?
    /// Seals the suppression list's templates; nil for a gallery that keeps none.
    public let suppressionKey: SuppressionKey?
    /// Where erasures are recorded for restores; nil for a gallery that keeps no log.
    public let erasureLog: ErasureLog?
    /// This machine's held copies of uploaded images, which erasure removes with their image.
    public let uploads: URL?
    private let syncs = SerialQueue()
    let finishing = SerialQueue()
    /// An index in this process's memory (the embedded default) learns of other processes'
    /// writes (a CLI ingest or erasure beside a running server) only from the change log, so
    /// searches catch up first. A shared index (Milvus) is kept current by whoever writes.
    private let catchesUpBeforeSearches: Bool

    public init(store: any DataStore, index: any VectorIndex, indexRebuiltBecause: String? = nil,
                suppressionKey: SuppressionKey? = nil, erasureLog: ErasureLog? = nil, uploads: URL? = nil) {
        self.store = store
        self.index = index
        self.indexRebuiltBecause = indexRebuiltBecause
        self.suppressionKey = suppressionKey
        self.erasureLog = erasureLog
        self.uploads = uploads
        catchesUpBeforeSearches = index is InProcessVectorIndex
    }

    /// A gallery keeping its keys, erasure log and held uploads in `layout`.
    convenience init(store: any DataStore, index: any VectorIndex, indexRebuiltBecause: String? = nil,
                     layout: DataDirectory) throws {
        self.init(store: store, index: index, indexRebuiltBecause: indexRebuiltBecause,
                  suppressionKey: try SuppressionKey.load(in: layout), erasureLog: try ErasureLog.load(in: layout),
                  uploads: layout.uploads)
    }

    /// A gallery whose index is the in-process one kept in `layout`, over `store` (which the
    /// composition root opens: SQLite in the same data directory for the embedded default). An
    /// index file that cannot be used (damaged, or written by another version) is set aside and
    /// rebuilt from the database's change log, which holds every face ever added or removed.
    public static func withInProcessIndex(store: any DataStore, in layout: DataDirectory) async throws -> Gallery {
        let index: InProcessVectorIndex
        var rebuiltBecause: String?
        do {
            index = try InProcessVectorIndex(file: layout.index)
        } catch let error as IndexFileError {
            rebuiltBecause = error.problem
            try FileManager.default.removeItem(at: layout.index)
            index = try InProcessVectorIndex(file: layout.index)
        }
        let gallery = try Gallery(store: store, index: index, indexRebuiltBecause: rebuiltBecause, layout: layout)
        try await gallery.syncIndex()
        if rebuiltBecause != nil { try await gallery.persistIndex() }
        try await gallery.finishErasures()
        return gallery
    }

    /// A gallery over a shared store and index (PostgreSQL and Milvus), whose local data
    /// directory keeps only this machine's keys (the same key files must be on every machine),
    /// its erasure log and its held uploads. The index catches up with the database's change
    /// log, and erasures a crash left unfinished are finished, before this returns.
    public static func shared(store: any DataStore, index: any VectorIndex, keysIn directory: DataDirectory) async throws -> Gallery {
        let gallery = try Gallery(store: store, index: index, layout: directory)
        try await gallery.syncIndex()
        try await gallery.finishErasures()
        return gallery
    }

    /// The organisation's suppressed templates, opened for ingest to drop matching faces.
    public func suppressedTemplates(of organization: OrganizationID) async throws -> [FaceTemplate] {
        let sealed = try await store.suppressions(of: organization)
        guard !sealed.isEmpty else { return [] }
        guard let suppressionKey else { throw StoreError.unavailable("the suppression list cannot be opened without its key") }
        return try sealed.map { try suppressionKey.open($0.sealedTemplate) }
    }

    /// Stores an image and its faces, then brings the index up to date.
    public func store(_ image: NewImage, faces: [NewFace], job: Int64, item: String, note: String? = nil) async throws -> StoredImage {
        let stored = try await store.storeImage(image, faces: faces, job: job, item: item, note: note)
        if !stored.faces.isEmpty { try await syncIndex() }
        return stored
    }

    /// Stores many images in one transaction (bulk loads), then brings the index up to date.
    public func storeImages(_ batch: [(image: NewImage, faces: [NewFace])]) async throws -> [StoredImage] {
        let stored = try await store.storeImages(batch)
        try await syncIndex()
        return stored
    }

    /// Applies the database's change log to the index, in order. Returns how many changes
    /// were applied. Runs one at a time, so the index's applied sequence only moves forward.
    @discardableResult
    public func syncIndex() async throws -> Int {
        try await syncs.run { [store, index] in try await store.holdingIndexSyncLock {
            var applied = 0
            while true {
                let changes = try await store.indexChanges(after: try await index.appliedSequence, limit: 10_000)
                guard !changes.isEmpty else { return applied }
                var start = changes.startIndex
                while start < changes.endIndex {
                    // Apply runs of the same kind together, keeping log order between runs.
                    var end = start
                    while end + 1 < changes.endIndex, changes[end + 1].kind == changes[start].kind { end += 1 }
                    let run = changes[start...end]
                    let through = run.last!.sequence
                    switch changes[start].kind {
                    case .added:
                        let templates = try await store.templates(of: run.map(\.face))
                        try await index.insert(templates, through: through)
                    case .removed:
                        try await index.remove(run.map(\.face), through: through)
                    }
                    start = end + 1
                }
                applied += changes.count
            }
        } }
    }

    /// Applies what other processes wrote to the change log since the index last caught up,
    /// before a search: one indexed read of the log's head when nothing is new.
    public func catchUpBeforeSearching() async throws {
        guard catchesUpBeforeSearches, try await store.latestIndexSequence() > (try await index.appliedSequence) else { return }
        try await syncIndex()
    }

    /// Rebuilds the index from the database alone. Returns the number of templates indexed.
    @discardableResult
    public func reindex() async throws -> Int {
        let total = try await syncs.run { [store, index] in try await store.holdingIndexSyncLock {
            // Everything up to `latest` is in the pages read below; later changes (made while
            // this runs) are replayed by the sync that follows.
            let latest = try await store.latestIndexSequence()
            try await index.removeAll()
            var after: FaceID = 0
            var total = 0
            while true {
                let page = try await store.templates(after: after, limit: 10_000)
                guard let last = page.last else { break }
                try await index.insert(page, through: 0)
                total += page.count
                after = last.id
            }
            try await index.insert([], through: latest)
            return total
        } }
        try await syncIndex()
        await finishIndexTraining()
        try await index.persist()
        return total
    }

    public func persistIndex() async throws {
        try await index.persist()
    }

    /// Waits for a training the embedded index runs in the background (it writes its own file
    /// when done). A one-shot command that added many templates calls this before it exits,
    /// which would otherwise end the training unfinished; a server need not.
    public func finishIndexTraining() async {
        await (index as? InProcessVectorIndex)?.trainingFinished()
    }
}
