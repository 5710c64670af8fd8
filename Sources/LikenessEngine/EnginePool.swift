import Foundation

/// A fixed set of worker threads, each owning one face engine for its whole life: dlib's
/// networks keep per-instance buffers and are not thread-safe, and the work is CPU-bound, so
/// it belongs on threads of its own rather than on Swift's cooperative pool.
///
/// A video holds its engine for the whole video (minutes), so videos never get every engine:
/// engine 0 takes only the `.general` lane's work (searches, images), so however many videos
/// are decoding, a search waits at most for the image-length jobs queued before it, never for
/// a video. A pool of one engine starts a second, for videos alone.
public final class EnginePool: @unchecked Sendable {  // Sendable: all state is guarded by `condition`.
    /// A queued call; it gets the engine, or the error that kept the engines from loading.
    typealias Job = (Result<any FaceEngine, any Error>) -> Void

    public enum Lane: Sendable {
        /// Work of an image's length: searches, photos. Any engine takes it.
        case general
        /// Work that holds an engine for long (a whole video): never on engine 0.
        case video
    }

    /// The engines for general work (a pool of one has a second engine for videos).
    public let size: Int
    private let condition = NSCondition()
    private var general = JobQueue()
    private var video = JobQueue()
    private var startupError: (any Error)?
    private var closed = false

    /// Starts `size` threads (two if `size` is one); each makes its engine with `makeEngine`
    /// (models load in parallel).
    public init(size: Int, makeEngine: @escaping @Sendable () throws -> any FaceEngine) {
        precondition(size > 0)
        self.size = size
        for index in 0..<max(size, 2) {
            let takesVideos = index > 0
            let takesGeneral = index < size
            let thread = Thread { [self] in work(makeEngine: makeEngine, video: takesVideos, general: takesGeneral) }
            thread.name = "likeness-engine-\(index)"
            thread.stackSize = 8 << 20  // dlib's networks recurse through deep templates
            thread.start()
        }
    }

    /// Combined engines (YuNet, dlib and SFace), one per core by default: each runs
    /// single-threaded BLAS.
    public convenience init(models: FaceModels, onnx: ONNXFaceModels, size: Int = ProcessInfo.processInfo.activeProcessorCount,
                            loadDetectorCNN: Bool = false) {
        self.init(size: size) { try CombinedFaceEngine(models: models, onnx: onnx, loadDetectorCNN: loadDetectorCNN) }
    }

    deinit { shutdown() }

    /// Runs `body` on the next free engine that takes work of `lane`.
    public func run<T: Sendable>(lane: Lane = .general, _ body: @escaping @Sendable (any FaceEngine) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit(lane: lane) { engine in continuation.resume(with: Result { try body(engine.get()) }) }
        }
    }

    /// Queues `job` in `lane` (or fails it at once if the engines could not load).
    func submit(lane: Lane, _ job: @escaping Job) {
        condition.lock()
        if let startupError {
            condition.unlock()
            job(.failure(startupError))
            return
        }
        switch lane {
        case .general: general.append(job)
        case .video: video.append(job)
        }
        // Not every engine takes every lane: wake them all, the right one takes the job.
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the threads once the queued work is done.
    public func shutdown() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private func work(makeEngine: () throws -> any FaceEngine, video takesVideos: Bool, general takesGeneral: Bool) {
        let engine: any FaceEngine
        do {
            engine = try makeEngine()
        } catch {
            fail(with: error)
            return
        }
        while let job = takeJob(video: takesVideos, general: takesGeneral) { job(.success(engine)) }
    }

    /// The oldest job of the lanes this engine takes; an engine that takes both prefers general
    /// work, which is short and often someone waiting for a search.
    private func takeJob(video takesVideos: Bool, general takesGeneral: Bool) -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if takesGeneral, let job = general.take() { return job }
            if takesVideos, let job = video.take() { return job }
            if closed || startupError != nil { return nil }
            condition.wait()
        }
    }

    /// An engine that cannot load (missing or damaged models) fails every waiting and later job.
    private func fail(with error: any Error) {
        condition.lock()
        if startupError == nil { startupError = error }
        let waiting = general.takeAll() + video.takeAll()
        condition.broadcast()
        condition.unlock()
        for job in waiting { job(.failure(error)) }
    }
}

/// Jobs first in, first out, without shifting the array on every take.
private struct JobQueue {
    private var jobs: [EnginePool.Job?] = []
    private var next = 0

    mutating func append(_ job: @escaping EnginePool.Job) { jobs.append(job) }

    mutating func take() -> EnginePool.Job? {
        guard next < jobs.count else { return nil }
        // Cleared as it is taken: a job's closure holds what it captured (a search's decoded
        // probe, an ingested image: megabytes each) until released, and a consumed prefix of
        // up to 1,024 jobs held a server's memory growing by a probe per search (`bench soak`).
        let job = jobs[next].take()
        next += 1
        if next > 1024 {  // drop the consumed prefix now and then
            jobs.removeFirst(next)
            next = 0
        }
        return job
    }

    mutating func takeAll() -> [EnginePool.Job] {
        defer { jobs.removeAll(); next = 0 }
        return jobs[next...].compactMap { $0 }
    }
}
