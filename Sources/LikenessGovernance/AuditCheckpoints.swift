import Foundation
import LikenessGallery
import LikenessStore

/// Signed checkpoints of the audit chain's head. The chain alone shows an entry changed or
/// removed in the middle, but not the newest entries removed, nor entries rewritten from some
/// point on with every hash recomputed: both leave a chain that holds. A checkpoint signs
/// "entry N had hash H" with a key kept outside the database, and is kept twice, in the
/// database (append-only) and in the data directory's `checkpoints.jsonl`; `audit verify`
/// holds the log to every checkpoint whose signature is good.
public struct AuditCheckpoints: Sendable {
    public let store: any GovernanceStore
    public let key: AuditCheckpointKey
    /// The file each new checkpoint is also appended to.
    public let file: URL

    public init(store: any GovernanceStore, key: AuditCheckpointKey, file: URL) {
        self.store = store
        self.key = key
        self.file = file
    }

    /// With the data directory's key (made on first use) and its `checkpoints.jsonl`.
    public init(store: any GovernanceStore, directory: DataDirectory) throws {
        self.init(store: store, key: try AuditCheckpointKey.load(in: directory), file: directory.auditCheckpoints)
    }

    /// Signs the chain's head as it is now, and records the checkpoint in the database, then
    /// in the file. Entries appended meanwhile are covered by the next one.
    @discardableResult
    public func make(now: Date = Date()) async throws -> AuditCheckpoint {
        let head = try await store.auditHead() ?? (0, AuditEntry.genesisHash)
        let at = AuditEntry.timestamp(now)
        let signature = try key.sign(NewAuditCheckpoint.signedMessage(entryID: head.id, entryHash: head.hash, at: at))
        let checkpoint = try await store.appendAuditCheckpoint(NewAuditCheckpoint(
            entryID: head.id, entryHash: head.hash, at: at, publicKey: key.publicKey.description, signature: signature))
        try AuditCheckpointFile.append(checkpoint, to: file)
        return checkpoint
    }

    /// A new checkpoint when entries were appended since the last one any process recorded;
    /// nil when there is nothing new to sign.
    @discardableResult
    public func makeIfHeadMoved() async throws -> AuditCheckpoint? {
        guard let head = try await store.auditHead() else { return nil }
        if let latest = try await store.latestAuditCheckpoint(), latest.entryID == head.id, latest.entryHash == head.hash {
            return nil
        }
        return try await make()
    }
}

extension AuditCheckpoint {
    /// One JSON object: a line of `checkpoints.jsonl`, what `audit checkpoint --json` prints,
    /// and the last line of a JSONL export.
    public var json: [String: Any] {
        ["checkpoint": number, "entry_id": entryID, "entry_hash": entryHash, "at": at, "public_key": checkpoint.publicKey,
         "signature": checkpoint.signature]
    }

    /// A checkpoint read back from `json`; nil for any other object (an exported entry, say).
    public init?(json: [String: Any]) {
        func integer(_ value: Any?) -> Int64? { (value as? Int).map(Int64.init) ?? (value as? NSNumber)?.int64Value }
        guard let number = integer(json["checkpoint"]), let entryID = integer(json["entry_id"]),
              let entryHash = json["entry_hash"] as? String, let at = json["at"] as? String,
              let publicKey = json["public_key"] as? String, let signature = json["signature"] as? String else { return nil }
        self.init(number: number, checkpoint: NewAuditCheckpoint(entryID: entryID, entryHash: entryHash, at: at,
                                                                  publicKey: publicKey, signature: signature))
    }

    public var jsonLine: String {
        let data = try! JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }
}

/// Files of checkpoints, one JSON object a line.
public enum AuditCheckpointFile {
    /// Appends one line in a single write to a file opened for appending, so that a server and
    /// a command appending at once never interleave, and flushes it to disk.
    public static func append(_ checkpoint: AuditCheckpoint, to file: URL) throws {
        let descriptor = open(file.path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard descriptor >= 0 else { throw StoreError.unavailable("cannot open \(file.path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let line = Array((checkpoint.jsonLine + "\n").utf8)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(descriptor) == 0 else {
            throw StoreError.unavailable("cannot append to \(file.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Every checkpoint in a file of JSON lines: the data directory's file, a copy published
    /// elsewhere, or a JSONL export. Other lines are passed over; a missing file holds none.
    public static func read(_ file: URL) throws -> [AuditCheckpoint] {
        guard let data = FileManager.default.contents(atPath: file.path) else {
            if FileManager.default.fileExists(atPath: file.path) { throw StoreError.unavailable("cannot read \(file.path)") }
            return []
        }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]).flatMap(AuditCheckpoint.init(json:))
        }
    }
}

/// The checkpoints `audit verify` holds the log to, from the database and from files.
public struct CheckpointEvidence: Sendable {
    /// Those whose signature the key confirms, each once, by the entry they cover.
    public var valid: [AuditCheckpoint]
    /// Those whose signature it does not: ignored for the chain, and reported.
    public var rejected: [AuditCheckpoint]
    /// Valid checkpoints a file holds but the database does not: its rows were removed.
    public var missingFromDatabase: [AuditCheckpoint]

    /// Reads the database's checkpoints and the files', and checks each signature with `key`
    /// (nil: no key to check with, so none is valid).
    public static func gather(store: any GovernanceStore, files: [URL], key: AuditPublicKey?) async throws -> CheckpointEvidence {
        var recorded: [AuditCheckpoint] = []
        while true {
            let page = try await store.auditCheckpoints(after: recorded.last?.number ?? 0, limit: 5000)
            guard !page.isEmpty else { break }
            recorded += page
        }
        let inDatabase = Set(recorded.map(\.checkpoint))
        var seen = Set<NewAuditCheckpoint>()
        var evidence = CheckpointEvidence(valid: [], rejected: [], missingFromDatabase: [])
        var fromFiles: [AuditCheckpoint] = []
        for file in files { fromFiles += try AuditCheckpointFile.read(file) }
        for checkpoint in recorded + fromFiles where seen.insert(checkpoint.checkpoint).inserted {
            guard let key, key.isValidSignature(checkpoint.checkpoint.signature, for: checkpoint.checkpoint.signedMessage) else {
                evidence.rejected.append(checkpoint)
                continue
            }
            evidence.valid.append(checkpoint)
            if !inDatabase.contains(checkpoint.checkpoint) { evidence.missingFromDatabase.append(checkpoint) }
        }
        evidence.valid.sort { ($0.entryID, $0.number) < ($1.entryID, $1.number) }
        return evidence
    }
}
