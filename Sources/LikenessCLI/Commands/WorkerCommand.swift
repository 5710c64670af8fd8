import ArgumentParser
import Foundation
import LikenessEngine
import LikenessIngest
import LikenessStore

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run queued ingest jobs (`likeness ingest --queue`, or the API) until stopped.",
        discussion: """
            Any number of workers can share one store: each job is claimed by one worker, which \
            renews its lease while it works. A worker that dies leaves its job to another, which \
            resumes it without storing any image twice. Prints one JSON line per finished job.
            """)

    @Option(help: "This worker's name in the queue (default: host and process id).") var name: String?
    @Option(help: "Face engines in parallel (default: one per core).") var workers: Int?
    @Option(help: "Seconds a claim lasts without renewal before another worker may take the job.") var lease = 30
    @OptionGroup var data: DataOptions

    func run() async throws {
        try await failingWithExitCode2 {
            guard lease >= 3 else { throw UsageFailure("--lease must be at least 3 seconds") }
            let gallery = try await data.openGallery()
            let queue = gallery.store
            let size = workers ?? ProcessInfo.processInfo.activeProcessorCount
            let pool = EnginePool(models: try FaceModels.locate(), onnx: try ONNXFaceModels.locate(), size: size)
            defer { pool.shutdown() }
            let fetcher = ImageFetcher()
            let ingester = Ingester(gallery: gallery, pool: pool, fetcher: fetcher, options: .init(concurrency: size + 2))
            let worker = IngestWorker(name: name ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())", gallery: gallery,
                                      queue: queue, ingester: ingester, lease: .seconds(lease))
            Output.error("worker \(worker.name) is waiting for ingest jobs")
            try await worker.run { job, result in
                var line = FinishedJobJSON(queuedJob: job.id, worker: worker.name)
                switch result {
                case .success(let summary): line.summary = summary
                case .failure(let error): line.error = "\(error)"
                }
                print(Output.json(line))
                fflush(nil)
            }
            try await fetcher.shutdown()
        }
    }
}

/// A job the worker finished: its summary, or why it failed.
struct FinishedJobJSON: Encodable {
    var queuedJob: Int64
    var worker: String
    var summary: IngestSummary?
    var error: String?
}
