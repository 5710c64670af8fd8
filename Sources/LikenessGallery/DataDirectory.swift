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
    /// Every erasure, kept apart from the database so that a restored backup forgets none
    /// (`ErasureLog`), and the key of its digests.
    public var erasureLog: URL { root.appendingPathComponent("erasures.jsonl") }
    public var erasureLogKey: URL { root.appendingPathComponent("keys/erasure-log.key") }
    /// Held copies of uploaded images, which erasure removes with their image.
    public var uploads: URL { root.appendingPathComponent("uploads") }
    /// Every checkpoint this machine signed, one JSON object a line, appended to and never
    /// rewritten: a second record, so that deleting rows of the database alone shows.
    public var auditCheckpoints: URL { root.appendingPathComponent("checkpoints.jsonl") }

    /// The first administrator's one-time password, written by the first `serve` (mode 0600)
    /// rather than to its output, which a service's journal keeps; removed by a later start
    /// once that password has been changed.
    public var initialAdminPassword: URL { root.appendingPathComponent("initial-admin-password") }

    /// Held by a server on the embedded store while it runs, so that `restore` cannot replace
    /// files under it.
    public var serverLock: URL { root.appendingPathComponent("serve.lock") }

    /// Takes the server lock, or says who to stop. Released when the process ends.
    public func lockForExclusiveUse(refusal: String) throws -> Int32 {
        let descriptor = open(serverLock.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: serverLock.path]) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw DataDirectoryInUse(description: "\(root.path) is in use by a running server: \(refusal)")
        }
        return descriptor
    }

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

public struct DataDirectoryInUse: Error, CustomStringConvertible {
    public let description: String
}
