import LikenessEngine
import Synchronization

/// One engine for the whole test process, lent to one test at a time: loading the models
/// takes a fraction of a second, and an engine is not thread-safe while tests run in parallel.
enum TestEngine {
    private static let engine = Mutex<CombinedFaceEngine?>(nil)

    static func use<T: Sendable>(_ body: (CombinedFaceEngine) throws -> T) throws -> T {
        try engine.withLock { engine in
            if engine == nil { engine = try CombinedFaceEngine(models: FaceModels.locate(), onnx: ONNXFaceModels.locate()) }
            return try body(engine!)
        }
    }
}
