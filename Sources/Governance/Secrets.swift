import Crypto
import Foundation
import HummingbirdBcrypt
import LikenessStore

/// Random tokens and their stored digests. Session tokens and API keys are long random strings,
/// so a SHA-256 digest is enough to store them; passwords are low-entropy and get bcrypt.
public enum Secrets {
    /// 32 random bytes as URL-safe base64 without padding, with an optional prefix.
    public static func token(prefix: String = "") -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static func digest(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }
}

public struct PasswordHasher: Sendable {
    /// bcrypt's work factor: 12 in service (~0.25 s a hash here); tests lower it.
    public var cost: UInt8

    public init(cost: UInt8 = 12) { self.cost = cost }

    public func hash(_ password: String) -> String { Bcrypt.hash(password, cost: cost) }
    public func verify(_ password: String, against hash: String) -> Bool { Bcrypt.verify(password, hash: hash) }

    public static func check(_ password: String) throws(FieldErrors) {
        if password.count < 10 { throw FieldErrors("password", "at least 10 characters") }
        if password.utf8.count > 72 { throw FieldErrors("password", "at most 72 bytes (bcrypt's limit)") }
    }
}
