import Crypto
import Foundation
import LikenessCore
import LikenessStore

/// Every erasure, kept outside the database, so that restoring a backup taken before it
/// erases the person again instead of bringing them back. A line per erasure, appended and
/// never rewritten. Faces are named by a keyed digest of their ID and template (HMAC-SHA256
/// under a key of the data directory's), so the log holds no template and cannot be matched
/// against a face without that key. The ID is in it because the log names stored rows: a
/// backup's copy of an erased face has both, while the same photo ingested again later (which
/// only the suppression list may refuse) is a new face. The suppression list's additions are
/// kept as sealed in the database.
public struct ErasureLog: Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        /// Unique per erasure: the journal may hand the same erasure over twice after a crash.
        public var id: String
        public var at: Date
        /// Keyed digests of the erased faces' templates.
        public var faces: [String]
        /// The privacy request whose look-up thumbnails were redacted with it, if any.
        public var request: String?
        /// The suppression list's additions, as sealed in the database.
        public var suppressions: [SealedSuppression]

        public init(id: String, at: Date, faces: [String], request: String?, suppressions: [SealedSuppression]) {
            self.id = id
            self.at = at
            self.faces = faces
            self.request = request
            self.suppressions = suppressions
        }
    }

    public struct SealedSuppression: Codable, Sendable, Equatable {
        public var organization: OrganizationID
        public var reference: String
        public var sealed: [UInt8]
    }

    private let file: URL
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// The data directory's log and key, the key made on first use.
    public static func load(in directory: DataDirectory) throws -> ErasureLog {
        ErasureLog(file: directory.erasureLog, keyBytes: try KeyFile.load(directory.erasureLogKey))
    }

    /// The keyed digest naming a stored face in the log.
    public func digest(face: FaceID, template: FaceTemplate) -> String {
        var message = withUnsafeBytes(of: face.bigEndian) { Array($0) }
        message += template.bytes
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: key)).hexString
    }

    /// Appends an entry and flushes it to disk before returning.
    public func append(_ entry: Entry) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        var line = try encoder.encode(entry)
        line.append(0x0A)
        let descriptor = open(file.path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreError.unavailable("cannot open \(file.path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        // A line cut short by a crash is ended first, so that this entry starts a line of its own.
        var last: UInt8 = 0x0A
        let size = lseek(descriptor, 0, SEEK_END)
        if size > 0, pread(descriptor, &last, 1, size - 1) == 1, last != 0x0A { line.insert(0x0A, at: 0) }
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == line.count, fsync(descriptor) == 0 else {
            throw StoreError.unavailable("cannot write \(file.path): \(String(cString: strerror(errno)))")
        }
    }

    /// Every entry, once each, in the order written. A line cut short by a crash is skipped:
    /// the erasure's journal entry was still in the database, and the next start wrote the
    /// entry again in full.
    public func entries() throws -> [Entry] {
        guard let data = FileManager.default.contents(atPath: file.path) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var seen = Set<String>()
        return data.split(separator: 0x0A).compactMap { line in
            guard let entry = try? decoder.decode(Entry.self, from: Data(line)), seen.insert(entry.id).inserted else { return nil }
            return entry
        }
    }
}

/// A 256-bit key in a file of its own (mode 0600, in a 0700 directory), made on first use.
enum KeyFile {
    static func load(_ file: URL) throws -> Data {
        if let data = FileManager.default.contents(atPath: file.path) {
            guard data.count == 32 else { throw StoreError.damaged("\(file.path) is not a 256-bit key") }
            return data
        }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: file.path, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw StoreError.unavailable("cannot write \(file.path)")
        }
        return bytes
    }
}
