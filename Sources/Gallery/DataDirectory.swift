import Foundation

/// What lives where in a data directory (`--data`, `$LIKENESS_DATA`, `./likeness-data`).
public struct DataDirectory: Sendable {
    public let root: URL

    public init(_ root: URL) { self.root = root }

    /// The directory the CLI uses when `--data` is not given.
    public static func `default`() -> DataDirectory {
        let path = ProcessInfo.processInfo.environment["LIKENESS_DATA"] ?? "likeness-data"
        return DataDirectory(URL(fileURLWithPath: path))
    }

    /// The SQLite database: metadata, templates, jobs, the index change log.
    public var database: URL { root.appendingPathComponent("likeness.sqlite") }
    /// The in-process vector index, rebuildable from the database.
    public var index: URL { root.appendingPathComponent("index").appendingPathComponent("faces.ivf") }
    /// The Ed25519 key that signs checkpoints of the audit chain: outside the database.
    public var auditCheckpointKey: URL { root.appendingPathComponent("keys/audit-checkpoint.key") }
    /// Every checkpoint this machine signed, one JSON object a line, appended to and never
    /// rewritten: a second record, so that deleting rows of the database alone shows.
    public var auditCheckpoints: URL { root.appendingPathComponent("checkpoints.jsonl") }

    public func create() throws {
        try FileManager.default.createDirectory(at: index.deletingLastPathComponent(), withIntermediateDirectories: true)
    }
}
