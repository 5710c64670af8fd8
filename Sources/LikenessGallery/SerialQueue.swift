import Synchronization

/// Runs async jobs strictly one after another, in the order they were submitted.
final class SerialQueue: Sendable {
    private let tail = Mutex<Task<Void, Never>?>(nil)

    func run<T: Sendable>(_ job: @escaping @Sendable () async throws -> T) async throws -> T {
        let task: Task<T, any Error> = tail.withLock { tail in
            let previous = tail
            let task = Task {
                await previous?.value
                return try await job()
            }
            tail = Task { _ = try? await task.value }
            return task
        }
        return try await task.value
    }
}
