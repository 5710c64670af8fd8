import Foundation

/// The head of the audit chain at one moment, signed with a key kept outside the database
/// (Ed25519). A signed head says "entry `entryID` had the hash `entryHash`": removing entries
/// up to it, or rewriting any entry up to it and rehashing the rest, no longer agrees with it.
public struct NewAuditCheckpoint: Sendable, Hashable {
    /// The newest entry when the head was read; 0 with the genesis hash for an empty log.
    public var entryID: Int64
    public var entryHash: String
    /// When it was signed: ISO 8601 UTC with milliseconds, signed as this exact text.
    public var at: String
    /// The signer's Ed25519 public key (32 bytes, hex), to publish beside the checkpoint. It
    /// says who claims to have signed; verifying uses a key from elsewhere, never this one.
    public var publicKey: String
    /// The Ed25519 signature (64 bytes, hex) of `signedMessage`.
    public var signature: String

    public init(entryID: Int64, entryHash: String, at: String, publicKey: String, signature: String) {
        self.entryID = entryID
        self.entryHash = entryHash
        self.at = at
        self.publicKey = publicKey
        self.signature = signature
    }

    /// What the signature covers, in an unambiguous encoding (a JSON array of strings) that
    /// names what it is, so that a signature made for anything else never passes for one.
    public static func signedMessage(entryID: Int64, entryHash: String, at: String) -> Data {
        let fields = ["likeness audit checkpoint v1", String(entryID), entryHash, at]
        return try! JSONSerialization.data(withJSONObject: fields, options: [.withoutEscapingSlashes])
    }

    public var signedMessage: Data { Self.signedMessage(entryID: entryID, entryHash: entryHash, at: at) }
}

/// A checkpoint as the store keeps it: numbered in the order it was recorded. The number only
/// names it in messages and is not signed: what the checkpoint vouches for is.
public struct AuditCheckpoint: Sendable, Hashable {
    public var number: Int64
    public var checkpoint: NewAuditCheckpoint

    public init(number: Int64, checkpoint: NewAuditCheckpoint) {
        self.number = number
        self.checkpoint = checkpoint
    }

    public var entryID: Int64 { checkpoint.entryID }
    public var entryHash: String { checkpoint.entryHash }
    public var at: String { checkpoint.at }
}
