import ArgumentParser
import Foundation
import LikenessGallery
import LikenessGovernance
import LikenessStore
import LikenessStoreSQLite

/// `likeness backup DEST`: a verified copy of the embedded data directory, taken while the
/// server runs, and the pruning of copies past their retention.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the embedded data directory into a new folder under DEST, while the server runs.",
        discussion: """
            The copy holds the database (SQLite's online backup), the vector index, the keys, the \
            audit checkpoints, the erasure log and the held uploads, with a manifest of each file's \
            SHA-256. Backups older than --keep-days are removed from DEST: until then they still \
            hold anyone erased after they were taken. `likeness restore` erases those people again. \
            The scale-out store is backed up with pg_dump and Milvus's own tools (see the README).
            """)

    @Argument(help: "The folder that keeps the backups.") var destination: String
    @Option(help: "Remove backups in the destination taken more than this many days ago.") var keepDays = 30
    @OptionGroup var data: DataOptions

    func validate() throws {
        guard keepDays >= 1 else { throw ValidationError("--keep-days must be at least 1") }
    }

    func run() async throws {
        try await failingWithExitCode2 {
            guard data.store == nil, ProcessInfo.processInfo.environment["LIKENESS_STORE"] == nil else {
                throw UsageFailure("backup copies the embedded store; back up PostgreSQL with pg_dump (see the README)")
            }
            let layout = data.directory
            guard FileManager.default.fileExists(atPath: layout.database.path) else {
                throw UsageFailure("\(layout.root.path) holds no Likeness database")
            }
            let store = try SQLiteGalleryStore(path: layout.database.path)
            let destination = URL(fileURLWithPath: self.destination)
            let backup = try Backup.make(of: layout, into: destination) { try store.backup(to: $0.path) }
            let bytes = backup.manifest.files.reduce(0) { $0 + $1.bytes }
            try await AuditLog(store: store).record(NewAuditEntry(
                organization: nil, actorID: nil, actor: "cli", action: AuditLog.Action.backup.rawValue,
                detail: "backup \(backup.folder.lastPathComponent): \(backup.manifest.files.count) files, \(bytes) bytes"))
            print("Backed up \(backup.manifest.files.count) files (\(bytes) bytes) into \(backup.folder.path)")
            for removed in try Backup.prune(destination, olderThanDays: keepDays) {
                print("Removed \(removed.lastPathComponent), older than \(keepDays) days")
            }
        }
    }
}

/// `likeness restore SRC`: the embedded data directory as the backup had it, less everyone
/// erased since, who is erased again from the erasure log.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace the embedded data directory with a backup, then erase again whoever was erased since it was taken.",
        discussion: """
            Stop the server first. Every file is checked against the backup's manifest before \
            anything is replaced. The data directory's own erasure log is kept and replayed: faces \
            erased after the backup was taken are erased again, their suppression list entries \
            return, and the audit records the restore and the replay.
            """)

    @Argument(help: "The backup folder (likeness-backup-…).") var source: String
    @OptionGroup var data: DataOptions

    func run() async throws {
        try await failingWithExitCode2 {
            guard data.store == nil, ProcessInfo.processInfo.environment["LIKENESS_STORE"] == nil else {
                throw UsageFailure("restore replaces the embedded store; restore PostgreSQL with pg_restore (see the README)")
            }
            let backup = try Backup.open(URL(fileURLWithPath: source))
            let layout = data.directory
            guard let lock = try data.lockEmbeddedDirectory(refusal: "stop the server before restoring") else { return }
            defer { close(lock) }
            let previousHead = try await Self.auditHead(of: layout)
            try backup.restore(into: layout)
            let gallery = try await Backends.embedded(in: layout)
            let name = backup.folder.lastPathComponent
            let replayed = try await gallery.replayErasures(since: backup.manifest.takenAt, restored: "backup \(name)")
            let lost = previousHead.map { " The log before it ended at entry \($0.id) (hash \($0.hash))." } ?? ""
            try await AuditLog(store: gallery.store).record(NewAuditEntry(
                organization: nil, actorID: nil, actor: "cli", action: AuditLog.Action.restore.rawValue,
                detail: "backup \(name) (taken \(AuditEntry.timestamp(backup.manifest.takenAt))) restored; "
                    + "\(replayed) faces erased since were erased again.\(lost)"))
            print("Restored \(name); \(replayed) faces erased after it was taken were erased again.")
        }
    }

    /// The audit log's head before the restore replaces it, for the record.
    private static func auditHead(of layout: DataDirectory) async throws -> (id: Int64, hash: String)? {
        guard FileManager.default.fileExists(atPath: layout.database.path) else { return nil }
        return try await SQLiteGalleryStore(path: layout.database.path).auditHead()
    }
}

/// `likeness replay-erasures --since TIME`: after PostgreSQL was restored from a dump taken at
/// TIME, erases again whoever this machine erased since. Each machine keeps the erasure log of
/// the erasures it made, so it is run on each.
struct ReplayErasuresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay-erasures",
        abstract: "Erase again, from this machine's erasure log, whoever was erased after a restored database dump was taken.",
        discussion: """
            For the scale-out store, after pg_restore of a dump taken at --since (and `likeness \
            reindex`, which rebuilds Milvus): faces this machine erased since are erased again, \
            their suppression list entries return, and the audit records the replay. Run it on \
            every machine that made erasures (each keeps its own erasure log). `likeness restore` \
            does this itself for the embedded store.
            """)

    @Option(help: "When the restored dump was taken (ISO 8601, e.g. 2026-11-30T09:00:00Z).") var since: String
    @OptionGroup var data: DataOptions

    func run() async throws {
        try await failingWithExitCode2 {
            guard let taken = ISO8601DateFormatter().date(from: since) else {
                throw UsageFailure("--since must be an ISO 8601 time such as 2026-11-30T09:00:00Z, not '\(since)'")
            }
            let gallery = try await data.openGallery()
            let dump = "dump taken \(AuditEntry.timestamp(taken))"
            let replayed = try await gallery.replayErasures(since: taken, restored: dump)
            try await AuditLog(store: gallery.store).record(NewAuditEntry(
                organization: nil, actorID: nil, actor: "cli", action: AuditLog.Action.restore.rawValue,
                detail: "\(dump) restored; \(replayed) faces erased since were erased again from this machine's erasure log"))
            print("\(replayed) faces erased after \(AuditEntry.timestamp(taken)) were erased again.")
        }
    }
}
