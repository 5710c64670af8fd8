import ArgumentParser
import Foundation
import LikenessEngine
import LikenessGallery
import LikenessGovernance
import LikenessIngest
import LikenessStore
import Synchronization

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Ingest images: files, folders (recursive), .zip/.tar(.gz) archives, CSV/JSONL manifests.",
        discussion: """
            Byte-identical images are stored once per collection. A file that fails is recorded \
            with its reason and ingest goes on. Rerunning the same command after an interruption \
            resumes the job. Exit status: 0 when every image was stored or was a duplicate, 1 when \
            some failed (the rest are stored), 2 on a usage or fatal error.
            """)

    @Argument(help: "Files, folders, archives and manifests to ingest.") var inputs: [String]
    @Option(help: "The collection to add the images to.") var collection: String
    @Flag(help: "Print a JSON summary (the default when standard error is not a terminal).") var json = false
    @Flag(help: "Detect with the MMOD CNN detector: finds harder faces, ~30× slower.") var accurate = false
    @Option(help: "Face engines to run in parallel (default: one per core).") var workers: Int?
    @Flag(help: "Queue the job for `likeness worker`s instead of running it here; prints the queued job's id.") var queue = false
    @OptionGroup var data: DataOptions

    /// Workers may run elsewhere: the inputs are queued as absolute paths, which the
    /// workers must be able to read.
    func enqueue() async throws {
        let queued = try await failingWithExitCode2 {
            let gallery = try await data.openGallery()
            let target = try await data.collection(named: collection, in: gallery)
            try await CollectionRules.checkIngestAllowed(into: target, governance: gallery.store)
            _ = try IngestInputs(inputs)  // Refuse now what no worker could read.
            let absolute = inputs.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            return try await gallery.store.enqueueIngest(
                collection: target.id, inputs: absolute, requestedBy: "cli:\(NSUserName())")
        }
        print(Output.json(QueuedJSON(queuedJob: queued.id, collection: collection, inputs: queued.inputs)))
    }

    func run() async throws {
        if queue { return try await enqueue() }
        let summary = try await failingWithExitCode2 {
            let gallery = try await data.openGallery()
            let target = try await data.collection(named: collection, in: gallery)
            try await CollectionRules.checkIngestAllowed(into: target, governance: gallery.store)
            // A missing input is refused before the engines start: a process that exits while
            // their threads still load the models may crash on the way out, and lose its exit status.
            _ = try IngestInputs(inputs)
            let models = try FaceModels.locate()
            let size = workers ?? ProcessInfo.processInfo.activeProcessorCount
            let pool = EnginePool(models: models, onnx: try ONNXFaceModels.locate(), size: size, loadDetectorCNN: accurate)
            defer { pool.shutdown() }
            let fetcher = ImageFetcher()
            let ingester = Ingester(gallery: gallery, pool: pool, fetcher: fetcher, options: .init(
                policy: accurate ? .accurate : .standard, concurrency: size + 2))
            let bar = Output.standardErrorIsTerminal && !json ? ProgressBar() : nil
            let result: IngestSummary
            do {
                result = try await ingester.run(inputs: inputs, into: target) { bar?.update($0) }
            } catch {
                try? await fetcher.shutdown()
                throw error
            }
            try await fetcher.shutdown()
            await gallery.finishIndexTraining()
            bar?.finish()
            return result
        }
        if json || !Output.standardErrorIsTerminal {
            print(Output.json(summary))
        } else {
            let p = summary.progress
            print("Job \(summary.job)\(summary.resumed ? " (resumed)" : "") into '\(summary.collection)': "
                  + "\(p.stored) stored, \(p.duplicates) duplicates, \(p.failed) failed, \(p.faces) faces"
                  + (p.alreadyDone > 0 ? ", \(p.alreadyDone) already done" : "")
                  + (p.ignored > 0 ? ", \(p.ignored) non-image names ignored" : "")
                  + String(format: " in %.1f s (%.2f images/s)", p.elapsed.seconds, p.imagesPerSecond))
            for failure in p.failures { print("  failed: \(failure.item): \(failure.reason)") }
        }
        if summary.progress.failed > 0 { throw ExitCode(1) }
    }
}

/// `ingest --queue`: the job a worker will run.
struct QueuedJSON: Encodable {
    var queuedJob: Int64
    var collection: String
    var inputs: [String]
}

/// A one-line progress display on standard error, redrawn at most a few times a second.
final class ProgressBar: Sendable {
    private let lastDraw = Mutex<ContinuousClock.Instant?>(nil)

    func update(_ progress: IngestProgress) {
        let now = ContinuousClock.now
        let due = lastDraw.withLock { last in
            if let previous = last, now - previous < .milliseconds(200) { return false }
            last = now
            return true
        }
        if due { draw(progress) }
    }

    func finish() { FileHandle.standardError.write(Data("\n".utf8)) }

    private func draw(_ p: IngestProgress) {
        var line = ""
        if let total = p.total, total > 0 {
            let width = 24
            let filled = min(width, p.settled * width / total)
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            line += "\(p.settled)/\(total)"
        } else {
            line += "\(p.settled)"
        }
        line += String(format: " images  %.1f img/s  %d faces  %d errors", p.imagesPerSecond, p.faces, p.failed)
        for (name, position) in p.videosInProgress.sorted(by: { $0.key < $1.key }) {
            line += "  \(name) " + VideoAppearance.clock(position.read) + (position.duration.map { "/" + VideoAppearance.clock($0) } ?? "")
        }
        if let remaining = p.secondsRemaining {
            line += String(format: "  ETA %d:%02d", Int(remaining) / 60, Int(remaining) % 60)
        }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }
}
