import Foundation

/// A fixed set of worker threads, each owning one face engine for its whole life: dlib's
/// networks keep per-instance buffers and are not thread-safe, and the work is CPU-bound, so
/// it belongs on threads of its own rather than on Swift's cooperative pool.
public final class EnginePool: @unchecked Sendable {  // Sendable: all state is guarded by `condition`.
    /// A queued call; it gets the engine, or the error that kept the engines from loading.
    typealias Job = (Result<any FaceEngine, any Error>) -> Void

    public let size: Int
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var nextJob = 0
    private var startupError: (any Error)?
    private var closed = false

    /// Starts `size` threads; each makes its engine with `makeEngine` (models load in parallel).
    public init(size: Int, makeEngine: @escaping @Sendable () throws -> any FaceEngine) {
        precondition(size > 0)
        self.size = size
        for index in 0..<size {
            let thread = Thread { [self] in work(makeEngine: makeEngine) }
            thread.name = "likeness-engine-\(index)"
            thread.stackSize = 8 << 20  // dlib's networks recurse through deep templates
            thread.start()
        }
    }

    /// One engine per core by default: each runs single-threaded BLAS.
    public convenience init(models: FaceModels, size: Int = ProcessInfo.processInfo.activeProcessorCount,
                            loadDetectorCNN: Bool = false) {
        self.init(size: size) { try DlibFaceEngine(models: models, loadDetectorCNN: loadDetectorCNN) }
    }

    deinit { shutdown() }

    /// Runs `body` on the next free engine.
    public func run<T: Sendable>(_ body: @escaping @Sendable (any FaceEngine) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            if let startupError {
                continuation.resume(throwing: startupError)
                return
            }
            jobs.append { engine in continuation.resume(with: Result { try body(engine.get()) }) }
            condition.signal()
        }
    }

    /// Stops the threads once the queued work is done.
    public func shutdown() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private func work(makeEngine: () throws -> any FaceEngine) {
        let engine: any FaceEngine
        do {
            engine = try makeEngine()
        } catch {
            fail(with: error)
            return
        }
        while let job = takeJob() { job(.success(engine)) }
    }

    private func takeJob() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while nextJob == jobs.count {
            if closed || startupError != nil { return nil }
            condition.wait()
        }
        let job = jobs[nextJob]
        nextJob += 1
        if nextJob > 1024 {  // drop the consumed prefix now and then
            jobs.removeFirst(nextJob)
            nextJob = 0
        }
        return job
    }

    /// An engine that cannot load (missing or damaged models) fails every waiting and later job.
    private func fail(with error: any Error) {
        condition.lock()
        if startupError == nil { startupError = error }
        let waiting = jobs[nextJob...]
        jobs.removeAll()
        nextJob = 0
        condition.broadcast()
        condition.unlock()
        for job in waiting { job(.failure(error)) }
    }
}
