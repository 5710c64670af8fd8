import Foundation
import LikenessStore

/// Where a search's time went, stage by stage in the order they ran: for its
/// `Server-Timing` header and `bench http`'s breakdown. (Ingest sums fixed stages over many
/// images instead: `StageTimings`.)
public struct SearchTimings: Sendable {
    public struct Stage: Sendable, Equatable {
        public var name: String
        public var milliseconds: Double

        public init(name: String, milliseconds: Double) {
            self.name = name
            self.milliseconds = milliseconds
        }
    }

    public private(set) var stages: [Stage] = []

    public init() {}

    /// Runs `body`, and records its time under `name`.
    public mutating func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let start = ContinuousClock.now
        defer { record(name, since: start) }
        return try body()
    }

    /// Runs `body`, and records its time under `name`.
    public mutating func measure<T>(_ name: String, _ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer { record(name, since: start) }
        return try await body()
    }

    public mutating func record(_ name: String, since start: ContinuousClock.Instant) {
        stages.append(Stage(name: name, milliseconds: (ContinuousClock.now - start).timeInterval * 1_000))
    }

    public mutating func append(_ other: SearchTimings) {
        stages += other.stages
    }

    /// The W3C `Server-Timing` header's value: `decode;dur=12.3, detect;dur=40.1`.
    public var serverTiming: String {
        stages.map { "\($0.name);dur=" + String(format: "%.1f", $0.milliseconds) }.joined(separator: ", ")
    }

    /// Parses a `Server-Timing` value into stages; entries without a duration are left out.
    public init(serverTiming: String) {
        for entry in serverTiming.split(separator: ",") {
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first, !name.isEmpty,
                  let duration = parts.dropFirst().first(where: { $0.hasPrefix("dur=") }).flatMap({ Double($0.dropFirst(4)) })
            else { continue }
            stages.append(Stage(name: name, milliseconds: duration))
        }
    }
}
