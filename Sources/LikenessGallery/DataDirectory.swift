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

    /// Makes the directory readable by its owner only (0700), an existing one included, and the
    /// database file 0600 before SQLite opens it: it holds templates, password hashes and the
    /// audit log, and SQLite gives its -wal and -shm files the database file's mode.
    public func create() throws {
        let files = FileManager.default
        let owner: [FileAttributeKey: Any] = [.posixPermissions: 0o700]
        try files.createDirectory(at: root, withIntermediateDirectories: true, attributes: owner)
        try files.setAttributes(owner, ofItemAtPath: root.path)
        try files.createDirectory(at: index.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: owner)
        if !files.fileExists(atPath: database.path) {
            guard files.createFile(atPath: database.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: database.path])
            }
        } else {
            try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: database.path)
        }
    }
}
