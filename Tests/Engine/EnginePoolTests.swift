import Foundation
@testable import LikenessEngine
import Synchronization
import Testing
import TestSupport

@Suite struct EnginePoolTests {
    /// Videos hold their engine for minutes. However many are queued first, a search still
    /// gets an engine: every video job here holds its engine until the search has run (or gives
    /// up after 5 minutes, which fails the test rather than hanging it; loading the models on a
    /// loaded 2-core machine took over 30 s), so the search can only finish if videos could not
    /// take every engine.
    @Test(arguments: [1, 2, 3])
    func searchesGetAnEngineWhileVideosHoldTheirs(engines: Int) async throws {
        let pool = EnginePool(models: try FaceModels.locate(), onnx: try ONNXFaceModels.locate(), size: engines)
        defer { pool.shutdown() }
        let search = SearchDone()
        let videos = VideoJobs()
        for _ in 0..<(engines + 2) {
            pool.submit(lane: .video) { _ in videos.finished(sawSearch: search.wait(upTo: 300)) }
        }
        let faces = try await pool.run { engine in
            try engine.detectFaces(in: try ImageCodec.decode(file: Fixtures.face("img5.jpg")), policy: .standard).count
        }
        search.signal()
        #expect(faces == 1)
        let outcomes = await videos.all(engines + 2)
        #expect(outcomes.allSatisfy { $0 }, "video jobs that held their engine without a search getting through: \(outcomes)")
    }

    /// What a job captured (a search's decoded probe) is released once the job has run: the
    /// queue once kept its last 1,024 jobs, and a server grew by a probe per search.
    @Test func aJobsCapturesAreReleasedOnceItHasRun() async throws {
        let pool = EnginePool(size: 1) { FakeFaceEngine() }
        defer { pool.shutdown() }
        final class Probe: Sendable {}
        weak var released: Probe?
        do {
            let probe = Probe()
            released = probe
            try await pool.run { _ in _ = probe }
        }
        // The engine's thread drops the job just after resuming the search.
        for _ in 0..<100 where released != nil { try await Task.sleep(for: .milliseconds(10)) }
        #expect(released == nil)
    }
}

/// Set once the search has finished; video jobs wait for it.
final class SearchDone: Sendable {
    private let done = Mutex(false)

    func signal() { done.withLock { $0 = true } }

    /// Whether the search finished within `seconds`.
    func wait(upTo seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if done.withLock({ $0 }) { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }
}

/// What each video job saw, gathered as they finish.
final class VideoJobs: Sendable {
    private let outcomes = Mutex<[Bool]>([])

    func finished(sawSearch: Bool) { outcomes.withLock { $0.append(sawSearch) } }

    /// The outcomes once `count` jobs have finished.
    func all(_ count: Int) async -> [Bool] {
        while outcomes.withLock({ $0.count }) < count { try? await Task.sleep(for: .milliseconds(20)) }
        return outcomes.withLock { $0 }
    }
}
