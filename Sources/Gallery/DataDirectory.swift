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

    public func create() throws {
        try FileManager.default.createDirectory(at: index.deletingLastPathComponent(), withIntermediateDirectories: true)
    }
}
