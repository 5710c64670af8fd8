import ArgumentParser
import Foundation
import LikenessBench
import LikenessCore
import LikenessEngine
import LikenessGallery
import LikenessIngest
import LikenessStore

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure ingest and search speed on this machine.",
        subcommands: [IngestBench.self, SearchBench.self, HTTPBench.self, SoakBench.self, ErasureBench.self])
}

struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Ingest a folder into a scratch gallery and report images/s, faces/s and time per stage.")

    @Argument(help: "A folder (or any ingest input) of photos.") var inputs: [String]
    @Option(help: "Face engines in parallel (default: one per core).") var workers: Int?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await failingWithExitCode2 {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: scratch) }
            let gallery = try await Backends.embedded(in: DataDirectory(scratch))
            let organization = try await gallery.store.createOrganization(name: "bench")
            let collection = try await gallery.store.createCollection(NewCollection(
                organization: organization.id, name: "bench", source: "benchmark", lawfulBasis: "benchmark", jurisdiction: "GB", retentionDays: 1))
            let size = workers ?? ProcessInfo.processInfo.activeProcessorCount
            let pool = EnginePool(models: try FaceModels.locate(), onnx: try ONNXFaceModels.locate(), size: size)
            defer { pool.shutdown() }
            // Load the models before the clock starts: the benchmark measures ingest, not start-up.
            _ = try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<size { group.addTask { try await pool.run { _ in } } }
                try await group.waitForAll()
            }
            let fetcher = ImageFetcher()
            let summary = try await Ingester(gallery: gallery, pool: pool, fetcher: fetcher,
                                             options: .init(concurrency: size + 2)).run(inputs: inputs, into: collection)
            try await fetcher.shutdown()
            let p = summary.progress
            let images = p.stored + p.duplicates + p.failed
            let seconds = p.elapsed.seconds
            let perImage = p.timings.stages.map { ($0.name, p.stored > 0 ? $0.total.seconds * 1000 / Double(p.stored) : 0) }
            if json {
                print(Output.json(IngestBenchJSON(
                    images: images, faces: p.faces, failed: p.failed, engines: size,
                    seconds: (seconds * 1000).rounded() / 1000,
                    imagesPerSecond: (Double(images) / seconds * 1000).rounded() / 1000,
                    facesPerSecond: (Double(p.faces) / seconds * 1000).rounded() / 1000,
                    msPerImage: Dictionary(uniqueKeysWithValues: perImage.map { ($0.0, ($0.1 * 10).rounded() / 10) }),
                    videos: p.videos, videoSeconds: (p.videoSeconds * 10).rounded() / 10,
                    videoSecondsPerSecond: (p.videoSeconds / seconds * 100).rounded() / 100,
                    machine: Machine.current.summary)))
                return
            }
            print("Ingest benchmark: \(Machine.current.summary); \(size) engines")
            print(Output.table(["images", "faces", "failed", "seconds", "images/s", "faces/s"], [[
                "\(images)", "\(p.faces)", "\(p.failed)", String(format: "%.2f", seconds),
                String(format: "%.2f", Double(images) / seconds), String(format: "%.2f", Double(p.faces) / seconds),
            ]]))
            if p.videos > 0 {
                // A video is one item but many frames: its figure is seconds of video per second.
                print("")
                print(Output.table(["videos", "seconds of video", "video s per s", "default sampling"], [[
                    "\(p.videos)", String(format: "%.1f", p.videoSeconds), String(format: "%.2f", p.videoSeconds / seconds),
                    "1 frame / 0.5 s + scene changes",
                ]]))
            }
            print("")
            print("Time per stored image, summed over engines (they run in parallel):")
            print(Output.table(["stage", "ms/image"], perImage.map { [$0.0, String(format: "%.1f", $0.1)] }))
        }
    }
}

/// `bench ingest --json`: throughput, and where the time of an image goes.
struct IngestBenchJSON: Encodable {
    var images: Int
    var faces: Int
    var failed: Int
    var engines: Int
    var seconds: Double
    var imagesPerSecond: Double
    var facesPerSecond: Double
    /// Milliseconds per stored image, by stage.
    var msPerImage: [String: Double]
    var videos: Int
    var videoSeconds: Double
    var videoSecondsPerSecond: Double
    var machine: String
}

struct SearchBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search speed over N synthetic face-like templates: the index alone, then `likeness search` end to end.",
        discussion: """
            The index figures (p50/p99, recall@10 against exact search) come from an index built \
            in a scratch file. The end-to-end figure runs the `likeness search` command on a probe \
            photo against a gallery of N synthetic templates in bench-data/search-N (built on the \
            first run and reused), timing the whole process: start, model load, decode, detection, \
            descriptor, index search and database look-ups.
            """)

    @Option(help: "Templates in the gallery.") var size = 100_000
    @Option(help: "Index queries to time.") var queries = 1_000
    @Option(help: "Runs of the `likeness search` command to time.") var runs = 5
    @Option(help: "The probe photo for the end-to-end runs.") var probe = "Tests/Fixtures/faces/img11.jpg"
    @Option(help: "Measure a Milvus server (milvus://HOST:PORT) beside the embedded index, in a collection of its own that is dropped after; no `likeness search` runs.")
    var vectors: String?
    @Option(parsing: .upToNextOption, help: "Lists probed per index search, one row each besides the index's own setting.")
    var probes: [Int] = []
    @Option(parsing: .upToNextOption, help: "Milvus's HNSW search breadths (ef), one row each.")
    var ef: [Int] = [256, 512, 1_024, 2_048]
    @Flag(help: "Measure the index alone: no gallery, no `likeness search` runs (a gallery of ten million takes hours to build).")
    var indexOnly = false

    func run() async throws {
        try await failingWithExitCode2 {
            guard probes.allSatisfy({ $0 > 0 }) else { throw UsageFailure("--probes takes positive list counts") }
            guard ef.allSatisfy({ $0 >= 10 }) else { throw UsageFailure("--ef takes breadths of at least 10 (k)") }
            let report = try await IndexBenchmark.run(size: size, queries: queries, probes: probes)
            print(report.table())
            if let vectors {
                // In the same run, so both are measured on the same machine under the same load.
                print("")
                print(try await MilvusBenchmark.run(url: vectors, size: size, queries: queries, breadths: ef).table())
                return
            }
            if indexOnly { return }
            print("")
            let data = URL(fileURLWithPath: "bench-data/search-\(size)")
            try await Self.buildGallery(at: data, size: size)
            _ = try await HTTPBench.benchKey(data: data, role: .investigator)  // makes the benchmark investigator
            var wall: [Double] = []
            for _ in 0..<runs {
                let started = ContinuousClock.now
                let process = Process()
                process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
                process.arguments = ["search", probe, "--top", "10", "--json", "--data", data.path, "--user", "bench-investigator",
                                     "--case", HTTPBench.benchCase, "--purpose", "other", "--purpose-text", "search benchmark"]
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                process.waitUntilExit()
                guard process.terminationStatus == 0 else { throw UsageFailure("likeness search failed on \(probe)") }
                wall.append((ContinuousClock.now - started).seconds * 1000)
            }
            let sorted = wall.sorted()
            print("`likeness search \(probe) --top 10` against \(size) templates, \(runs) runs (\(Machine.current.summary)):")
            print(Output.table(["first run ms", "median ms", "fastest ms", "slowest ms"], [[
                String(format: "%.0f", wall[0]), String(format: "%.0f", sorted[sorted.count / 2]),
                String(format: "%.0f", sorted.first!), String(format: "%.0f", sorted.last!),
            ]]))
        }
    }

    /// A gallery of `size` synthetic templates, one face per image, built once and reused.
    static func buildGallery(at data: URL, size: Int) async throws {
        let gallery = try await Backends.embedded(in: DataDirectory(data))
        // Only the synthetic collection is counted: `bench soak` uploads photos into one of its own.
        if try await gallery.store.collections(in: nil).first(where: { $0.collection.name == "synthetic" })?.faces == size { return }
        guard try await gallery.store.counts().faces == 0 else {
            throw UsageFailure("\(data.path) holds another gallery; remove it to rebuild")
        }
        print("Building a gallery of \(size) synthetic templates in \(data.path) (once)...")
        let organization = try await gallery.store.createOrganization(name: "bench")
        let collection = try await gallery.store.createCollection(NewCollection(
            organization: organization.id, name: "synthetic", source: "likeness bench search", lawfulBasis: "benchmark", jurisdiction: "GB",
            retentionDays: nil))
        let templates = SyntheticTemplates(count: size, seed: 1)
        let landmarks = (0..<5).map { PixelPoint(x: $0, y: $0) }
        var row = 0
        while row < size {
            let batch = (row..<min(size, row + 10_000)).map { i in
                (image: NewImage(collection: collection.id, sha256: "synthetic-\(i)",
                                 origin: ImageOrigin(location: "synthetic://\(i)"), width: 150, height: 150,
                                 byteCount: 0, format: "synthetic"),
                 faces: [NewFace(face: DetectedFace(box: FaceBox(left: 0, top: 0, right: 149, bottom: 149),
                                                    detectorScore: 1, landmarks: landmarks),
                                 quality: 1, template: templates.template(i), crop: [])])
            }
            _ = try await gallery.storeImages(batch)
            row += batch.count
        }
        await gallery.finishIndexTraining()
        try await gallery.persistIndex()
    }
}

extension Machine {
    var summary: String { "\(cpuModel), \(cores) cores" }
}
