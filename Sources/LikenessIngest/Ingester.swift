import Crypto
import Foundation
import Synchronization
import LikenessCore
import LikenessEngine
import LikenessGallery
import LikenessStore

/// Ingest: the operator's inputs → images → faces → templates → gallery, in parallel, as a
/// resumable job. Every image is settled in one database transaction (stored with its faces,
/// a duplicate, or a failure with its reason), so a run killed at any moment leaves no
/// half-written image, and a rerun with the same inputs resumes the job where it stopped.
public final class Ingester: Sendable {
    public struct Options: Sendable {
        public var policy: DetectionPolicy
        public var templates: TemplatePolicy
        /// Images in flight at once: enough to keep every engine busy while others read files,
        /// fetch URLs or write to the database.
        public var concurrency: Int
        /// How often the index file is rewritten during a long ingest.
        public var persistInterval: Duration
        /// The folder of copies Likeness holds (uploads): a file in it that turns out to be a
        /// duplicate of an image already held, or that fails, is removed, as it is no image's record.
        public var heldCopies: URL?

        public init(policy: DetectionPolicy = .standard, templates: TemplatePolicy = .standard, concurrency: Int,
                    persistInterval: Duration = .seconds(60), heldCopies: URL? = nil) {
            self.policy = policy
            self.templates = templates
            self.concurrency = concurrency
            self.persistInterval = persistInterval
            self.heldCopies = heldCopies
        }
    }

    let gallery: Gallery
    let pool: EnginePool
    let fetcher: ImageFetcher
    let options: Options

    public init(gallery: Gallery, pool: EnginePool, fetcher: ImageFetcher, options: Options) {
        self.gallery = gallery
        self.pool = pool
        self.fetcher = fetcher
        self.options = options
    }

    enum Outcome: Sendable {
        /// `note`: what could not be read (the rest of a truncated video).
        case stored(faces: Int, timings: StageTimings, item: String, note: String?, videoSeconds: Double?, suppressed: Int)
        case duplicate
        case alreadyDone
        case failed(item: String, reason: String)
    }

    public func run(inputs: [String], into collection: CollectionRecord,
                    onProgress: @escaping @Sendable (IngestProgress) -> Void = { _ in }) async throws -> IngestSummary {
        let items = try IngestInputs(inputs)
        let absolute = inputs.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let key = SHA256.hash(data: Data((["collection \(collection.id)"] + absolute).joined(separator: "\n").utf8)).hexString
        let job = try await gallery.store.beginJob(collection: collection.id, key: key, inputs: absolute)
        let suppression = Suppression(templates: try await gallery.suppressedTemplates(of: collection.organization),
                                      threshold: (try await gallery.store.bandThresholds() ?? .standard).possible)

        let clock = ContinuousClock()
        let started = clock.now
        // Shared with the engines, so that a long video reports how far it has got.
        let live = LiveProgress(IngestProgress(total: items.remainingCount()), started: started, onProgress: onProgress)
        var lastPersist = started
        try await withThrowingTaskGroup(of: Outcome.self) { group in
            var inFlight = 0
            func settle(_ outcome: Outcome) {
                live.update { $0.record(outcome) }
            }
            for item in items {
                if job.settledItems.contains(item.key) {
                    item.removeTemporaryFile()
                    settle(.alreadyDone)
                    continue
                }
                if inFlight >= options.concurrency, let outcome = try await group.next() {
                    inFlight -= 1
                    settle(outcome)
                    if clock.now - lastPersist > options.persistInterval {
                        try await gallery.persistIndex()
                        lastPersist = clock.now
                    }
                }
                group.addTask { await self.process(item, job: job.id, collection: collection.id, suppression: suppression, live: live) }
                inFlight += 1
            }
            for try await outcome in group { settle(outcome) }
        }
        var progress = live.snapshot
        progress.ignored = items.ignored
        try await gallery.persistIndex()
        try await gallery.store.finishJob(job.id, status: .finished)
        return IngestSummary(job: job.id, collection: collection.name, resumed: job.resumed, progress: progress)
    }

    private func process(_ item: IngestItem, job: Int64, collection: CollectionID, suppression: Suppression,
                         live: LiveProgress) async -> Outcome {
        switch item.payload {
        case .video(let path):
            return await processVideo(item, path: path, job: job, collection: collection, suppression: suppression, live: live)
        case .extractedVideo(let path):
            defer { item.removeTemporaryFile() }
            return await processVideo(item, path: path, job: job, collection: collection, suppression: suppression, live: live)
        default:
            return await processImage(item, job: job, collection: collection, suppression: suppression)
        }
    }

    /// A duplicate's held copy is removed: the image it repeats is the record, with its own file.
    private func duplicate(_ item: IngestItem) -> Outcome {
        dropHeldCopy(item)
        return .duplicate
    }

    /// A failed item's held copy is removed too: it may show people, and it is no image's record.
    private func fail(_ item: IngestItem, job: Int64, reason: String) async -> Outcome {
        dropHeldCopy(item)
        try? await gallery.store.recordItem(job: job, item: item.key, outcome: .failed, reason: reason, image: nil)
        return .failed(item: item.key, reason: reason)
    }

    private func dropHeldCopy(_ item: IngestItem) {
        guard let heldCopies = options.heldCopies else { return }
        switch item.payload {
        case .file(let path), .video(let path):
            if path.hasPrefix(heldCopies.standardizedFileURL.path + "/") { try? FileManager.default.removeItem(atPath: path) }
        default:
            break
        }
    }

    /// A video: its sampled frames' faces, tracked, one face per track.
    private func processVideo(_ item: IngestItem, path: String, job: Int64, collection: CollectionID,
                              suppression: Suppression, live: LiveProgress) async -> Outcome {
        do {
            let sha256 = try Self.sha256(ofFile: path)
            if let existing = try await gallery.store.image(in: collection, sha256: sha256) {
                try await gallery.store.recordItem(job: job, item: item.key, outcome: .duplicate, reason: nil, image: existing)
                return duplicate(item)
            }
            let templates = options.templates
            let clock = ContinuousClock()
            let started = clock.now
            let name = FileName.lastComponent(item.key)
            let analysis = try await pool.run(lane: .video) { engine in
                try VideoAnalysis.analyse(path: path, engine: engine, templates: templates) { time, duration in
                    live.update { $0.videosInProgress[name] = (time, duration) }
                }
            }
            live.update { $0.videosInProgress[name] = nil }
            var timings = StageTimings()
            timings.detect = clock.now - started
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            let image = NewImage(collection: collection, sha256: sha256, origin: item.origin, width: analysis.info.width,
                                 height: analysis.info.height, byteCount: size, format: analysis.info.container,
                                 videoDuration: analysis.info.duration ?? analysis.secondsRead)
            let (faces, suppressed) = suppression.filter(analysis.faces)
            let stored = try await gallery.store(image, faces: faces, job: job, item: item.key, note: analysis.problem)
            return stored.isDuplicate ? duplicate(item)
                : .stored(faces: stored.faces.count, timings: timings, item: item.key, note: analysis.problem,
                          videoSeconds: analysis.problem == nil ? analysis.info.duration ?? analysis.secondsRead : analysis.secondsRead,
                          suppressed: suppressed)
        } catch {
            return await fail(item, job: job, reason: "\(error)")
        }
    }

    static func sha256(ofFile path: String) throws -> String {
        guard let file = FileHandle(forReadingAtPath: path) else { throw IngestError("cannot be read") }
        defer { try? file.close() }
        var hasher = SHA256()
        while let chunk = try file.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().hexString
    }

    private func processImage(_ item: IngestItem, job: Int64, collection: CollectionID, suppression: Suppression) async -> Outcome {
        let clock = ContinuousClock()
        do {
            let started = clock.now
            let bytes = try await load(item)
            let sha256 = SHA256.hash(data: bytes).hexString
            let read = clock.now - started
            if let existing = try await gallery.store.image(in: collection, sha256: sha256) {
                try await gallery.store.recordItem(job: job, item: item.key, outcome: .duplicate, reason: nil, image: existing)
                return duplicate(item)
            }
            let (detection, templates) = (options.policy, options.templates)
            let analysis = try await pool.run { engine in
                try ImageAnalysis.analyse(bytes, engine: engine, detection: detection, templates: templates)
            }
            let image = NewImage(collection: collection, sha256: sha256, origin: item.origin, width: analysis.width,
                                 height: analysis.height, byteCount: bytes.count, format: analysis.format)
            let storing = clock.now
            let (faces, suppressed) = suppression.filter(analysis.faces)
            let stored = try await gallery.store(image, faces: faces, job: job, item: item.key)
            var timings = analysis.timings
            timings.read = read
            timings.store = clock.now - storing
            return stored.isDuplicate ? duplicate(item) : .stored(faces: stored.faces.count, timings: timings, item: item.key, note: nil,
                                                                     videoSeconds: nil, suppressed: suppressed)
        } catch {
            return await fail(item, job: job, reason: "\(error)")
        }
    }

    private func load(_ item: IngestItem) async throws -> [UInt8] {
        switch item.payload {
        case .bytes(let bytes):
            return bytes
        case .unreadable(let reason):
            throw IngestError(reason)
        case .video, .extractedVideo:
            throw IngestError("a video is not an image")
        case .url(let url):
            return try await fetcher.fetch(url)
        case .file(let path):
            let attributes: [FileAttributeKey: Any]
            do {
                attributes = try FileManager.default.attributesOfItem(atPath: path)
            } catch {
                throw IngestError("no such file")
            }
            let size = (attributes[.size] as? Int) ?? 0
            guard size <= IngestInputs.maxImageBytes else {
                throw IngestError("\(size >> 20) MB, over the \(IngestInputs.maxImageBytes >> 20) MB limit for one image")
            }
            // Told from the size, before reading: FileManager.contents(atPath:) leaks 4 KB for every
            // empty file on Linux (see Manifest.rows), and an upload can hold thousands.
            guard size > 0 else { throw IngestError("empty file") }
            guard let data = FileManager.default.contents(atPath: path) else { throw IngestError("cannot be read") }
            return [UInt8](data)
        }
    }
}

/// An ingest's counts, updated as items settle and as videos advance, each change reported.
final class LiveProgress: Sendable {
    private let state: Mutex<IngestProgress>
    private let started: ContinuousClock.Instant
    private let onProgress: @Sendable (IngestProgress) -> Void

    init(_ progress: IngestProgress, started: ContinuousClock.Instant, onProgress: @escaping @Sendable (IngestProgress) -> Void) {
        state = Mutex(progress)
        self.started = started
        self.onProgress = onProgress
    }

    func update(_ change: (inout IngestProgress) -> Void) {
        let snapshot = state.withLock { progress in
            change(&progress)
            progress.elapsed = ContinuousClock.now - started
            return progress
        }
        onProgress(snapshot)
    }

    var snapshot: IngestProgress { state.withLock { $0 } }
}

/// The organisation's suppression list during one ingest: faces within the 'possible' band of
/// a suppressed person's template are dropped before anything is stored, and counted.
struct Suppression: Sendable {
    var templates: [FaceTemplate]
    var threshold: Float

    func filter(_ faces: [NewFace]) -> (kept: [NewFace], dropped: Int) {
        guard !templates.isEmpty else { return (faces, 0) }
        let kept = faces.filter { face in !templates.contains { $0.distance(to: face.template) <= threshold } }
        return (kept, faces.count - kept.count)
    }
}
