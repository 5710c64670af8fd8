import Crypto
import Foundation
import LikenessStore

/// Signs checkpoints of the audit chain's head (Ed25519). The key is a file of its own in the
/// data directory (mode 0600), never in the database, so that whoever can rewrite the database
/// but cannot read this file cannot sign a checkpoint that agrees with what they wrote.
public struct AuditCheckpointKey: Sendable {
    private let bytes: Data
    private var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: bytes) }

    private init(bytes: Data) throws {
        // Refuses a file of the wrong size or content before anything is signed with it.
        _ = try Curve25519.Signing.PrivateKey(rawRepresentation: bytes)
        self.bytes = bytes
    }

    /// The data directory's key, made on first use.
    public static func load(in directory: DataDirectory) throws -> AuditCheckpointKey {
        let file = directory.auditCheckpointKey
        if let existing = try existing(file) { return existing }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        // Written whole under a name of its own, then linked into place: a server and a command
        // making the key at the same moment agree on one key (link refuses to replace a file),
        // and nobody reads a half-written one.
        let bytes = Curve25519.Signing.PrivateKey().rawRepresentation
        let draft = file.deletingLastPathComponent().appendingPathComponent(".audit-checkpoint.key.\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: draft.path, contents: bytes, attributes: [.posixPermissions: 0o600]) else {
            throw StoreError.unavailable("cannot write \(draft.path)")
        }
        defer { unlink(draft.path) }
        if link(draft.path, file.path) != 0 {
            guard errno == EEXIST, let made = try existing(file) else { throw StoreError.unavailable("cannot write \(file.path): \(String(cString: strerror(errno)))") }
            return made
        }
        return try AuditCheckpointKey(bytes: bytes)
    }

    /// The public half of the data directory's key, to check signatures with; nil when there is
    /// no key file. Makes none: checking needs the key that signed.
    public static func publicKey(in directory: DataDirectory) throws -> AuditPublicKey? {
        try existing(directory.auditCheckpointKey)?.publicKey
    }

    private static func existing(_ file: URL) throws -> AuditCheckpointKey? {
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        do {
            return try AuditCheckpointKey(bytes: data)
        } catch {
            throw StoreError.damaged("\(file.path) is not an Ed25519 private key")
        }
    }

    public var publicKey: AuditPublicKey { AuditPublicKey(key.publicKey) }

    /// The signature of `message`, hex.
    public func sign(_ message: Data) throws -> String {
        try key.signature(for: message).hexString
    }
}

/// The key that checks checkpoint signatures: the public half of a data directory's key, or
/// one published elsewhere (`audit verify --public-key`).
public struct AuditPublicKey: Sendable, Hashable, CustomStringConvertible {
    private let bytes: Data

    init(_ key: Curve25519.Signing.PublicKey) { bytes = key.rawRepresentation }

    /// From 64 hex digits, as a checkpoint prints it.
    public init?(hex: String) {
        guard let bytes = Data(hex: hex), (try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)) != nil else { return nil }
        self.bytes = bytes
    }

    public var description: String { bytes.hexString }

    /// Whether `signature` (hex) is this key's signature of `message`.
    public func isValidSignature(_ signature: String, for message: Data) -> Bool {
        guard let signature = Data(hex: signature), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else {
            return false
        }
        return key.isValidSignature(signature, for: message)
    }
}

extension Data {
    var hexString: String { map { String(format: "%02x", $0) }.joined() }

    /// The bytes of a string of hex digit pairs; nil for anything else.
    init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2), hex.allSatisfy(\.isHexDigit) else { return nil }
        var bytes = Data(capacity: digits.count / 2)
        for pair in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[pair...pair + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        self = bytes
    }
}
