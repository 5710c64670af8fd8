import Crypto
import Foundation
import LikenessStore

/// A backup of an embedded data directory: a folder holding a copy of the database, the
/// index, the keys, the audit checkpoints, the erasure log and the held uploads, with a
/// manifest giving the size and SHA-256 of each file. Backups hold biometric data: they are
/// made 0700/0600 like the data directory, and pruned past their own retention.
public struct Backup: Sendable {
    public struct Manifest: Codable, Sendable {
        public struct File: Codable, Sendable {
            public var path: String
            public var bytes: Int
            public var sha256: String
        }
        /// When the copy began: erasures from then on are replayed on restoring it.
        public var takenAt: Date
        public var files: [File]
    }

    public let folder: URL
    public let manifest: Manifest

    static let manifestName = "manifest.json"
    static let folderPrefix = "likeness-backup-"

    /// Copies `layout` into a new folder under `destination`. The index is copied before the
    /// database, so it is never ahead of it: the database's change log brings it up to date
    /// on restoring. `copyDatabase` writes the database's online backup to the path it is given.
    public static func make(of layout: DataDirectory, into destination: URL, at takenAt: Date = Date(),
                            copyDatabase: (URL) throws -> Void) throws -> Backup {
        let files = FileManager.default
        try files.createDirectory(at: destination, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let folder = destination.appendingPathComponent(folderPrefix + stamp(takenAt))
        let partial = destination.appendingPathComponent(".partial-" + folder.lastPathComponent)
        try? files.removeItem(at: partial)
        try files.createDirectory(at: partial, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let copy = DataDirectory(partial)
        for (from, to) in [(layout.index, copy.index), (layout.erasureLog, copy.erasureLog),
                           (layout.auditCheckpoints, copy.auditCheckpoints)] where files.fileExists(atPath: from.path) {
            try copyFile(from, to)
        }
        for directory in ["keys", "uploads"] {
            try copyTree(layout.root.appendingPathComponent(directory), to: partial.appendingPathComponent(directory))
        }
        try copyDatabase(copy.database)
        let manifest = Manifest(takenAt: takenAt, files: try inventory(of: partial))
        try write(manifest, to: partial.appendingPathComponent(manifestName))
        // Complete or absent: a crash mid-copy leaves only the hidden partial folder.
        try files.moveItem(at: partial, to: folder)
        return Backup(folder: folder, manifest: manifest)
    }

    /// Opens a backup folder, checking every file against the manifest.
    public static func open(_ folder: URL) throws -> Backup {
        let manifestFile = folder.appendingPathComponent(manifestName)
        guard let data = FileManager.default.contents(atPath: manifestFile.path) else {
            throw StoreError.damaged("\(folder.path) is not a Likeness backup: it has no \(manifestName)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let manifest = try decoder.decode(Manifest.self, from: data)
        let listed = Set(manifest.files.map(\.path))
        for file in manifest.files {
            let url = folder.appendingPathComponent(file.path)
            guard let bytes = FileManager.default.contents(atPath: url.path) else {
                throw StoreError.damaged("the backup lacks \(file.path), which its manifest lists")
            }
            guard bytes.count == file.bytes, SHA256.hash(data: bytes).hexString == file.sha256 else {
                throw StoreError.damaged("\(file.path) in the backup does not match its manifest's SHA-256: the backup is damaged")
            }
        }
        if let extra = try inventory(of: folder, hashing: false).first(where: { !listed.contains($0.path) }) {
            throw StoreError.damaged("the backup holds \(extra.path), which its manifest does not list")
        }
        return Backup(folder: folder, manifest: manifest)
    }

    /// Puts this backup's files in place of `layout`'s. The data directory's own erasure log
    /// and its key are kept when it has them (they record erasures made after the backup; the
    /// gallery replays them next), as are its audit checkpoints, set aside under a dated name:
    /// they cover entries the restored database no longer has. The server must be stopped.
    public func restore(into layout: DataDirectory) throws {
        let files = FileManager.default
        try layout.create()
        let source = DataDirectory(folder)
        // A write-ahead log left beside the database would be applied to the restored file.
        for suffix in ["", "-wal", "-shm"] { try? files.removeItem(atPath: layout.database.path + suffix) }
        try Self.copyFile(source.database, layout.database)
        try? files.removeItem(at: layout.index)
        if files.fileExists(atPath: source.index.path) { try Self.copyFile(source.index, layout.index) }
        if files.fileExists(atPath: layout.auditCheckpoints.path) {
            try files.moveItem(at: layout.auditCheckpoints, to: layout.root.appendingPathComponent(
                "checkpoints.before-restore-\(Self.stamp(Date())).jsonl"))
        }
        if files.fileExists(atPath: source.auditCheckpoints.path) { try Self.copyFile(source.auditCheckpoints, layout.auditCheckpoints) }
        let keepLog = files.fileExists(atPath: layout.erasureLog.path) && files.fileExists(atPath: layout.erasureLogKey.path)
        let keys = source.root.appendingPathComponent("keys")
        for key in (try? files.contentsOfDirectory(atPath: keys.path)) ?? [] {
            let target = layout.root.appendingPathComponent("keys").appendingPathComponent(key)
            if keepLog, target == layout.erasureLogKey { continue }
            try? files.removeItem(at: target)
            try Self.copyFile(keys.appendingPathComponent(key), target)
        }
        if !keepLog, files.fileExists(atPath: source.erasureLog.path) {
            try? files.removeItem(at: layout.erasureLog)
            try Self.copyFile(source.erasureLog, layout.erasureLog)
        }
        // Held copies of images the restored database does not have must not outlive it.
        try? files.removeItem(at: layout.uploads)
        try Self.copyTree(source.uploads, to: layout.uploads)
    }

    /// Removes backups under `destination` taken more than `days` before `now`; returns them.
    public static func prune(_ destination: URL, olderThanDays days: Int, now: Date = Date()) throws -> [URL] {
        let cutoff = now.addingTimeInterval(-Double(days) * 86_400)
        let names = try FileManager.default.contentsOfDirectory(atPath: destination.path).filter { $0.hasPrefix(folderPrefix) }
        var removed: [URL] = []
        for name in names.sorted() {
            let folder = destination.appendingPathComponent(name)
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(manifestName).path),
                  let manifest = try? decoder.decode(Manifest.self, from: data), manifest.takenAt < cutoff else { continue }
            try FileManager.default.removeItem(at: folder)
            removed.append(folder)
        }
        return removed
    }

    // MARK: Files

    private static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }

    private static func copyFile(_ from: URL, _ to: URL) throws {
        let files = FileManager.default
        try files.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true,
                                  attributes: [.posixPermissions: 0o700])
        try files.copyItem(at: from, to: to)
        try files.setAttributes([.posixPermissions: 0o600], ofItemAtPath: to.path)
    }

    private static func copyTree(_ from: URL, to: URL) throws {
        guard let walker = FileManager.default.enumerator(at: from, includingPropertiesForKeys: [.isRegularFileKey]) else { return }
        for case let file as URL in walker where (try file.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            try copyFile(file, to.appendingPathComponent(relativePath(of: file, in: from)))
        }
    }

    private static func inventory(of folder: URL, hashing: Bool = true) throws -> [Manifest.File] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var listed: [Manifest.File] = []
        for case let file as URL in walker where (try file.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            let path = relativePath(of: file, in: folder)
            guard path != manifestName else { continue }
            let bytes = hashing ? (FileManager.default.contents(atPath: file.path) ?? Data()) : Data()
            listed.append(Manifest.File(path: path, bytes: bytes.count, sha256: hashing ? SHA256.hash(data: bytes).hexString : ""))
        }
        return listed.sorted { $0.path < $1.path }
    }

    private static func relativePath(of file: URL, in folder: URL) -> String {
        String(file.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1))
    }

    private static func write(_ manifest: Manifest, to file: URL) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard FileManager.default.createFile(atPath: file.path, contents: try encoder.encode(manifest),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw StoreError.unavailable("cannot write \(file.path)")
        }
    }
}
