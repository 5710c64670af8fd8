import Crypto
import Foundation
import HummingbirdBcrypt
import LikenessStore
import Synchronization

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

    /// bcrypt runs on its own threads: a quarter of a second on a request's task would hold one
    /// of the few threads that every request of the server shares.
    public func hash(_ password: String) async -> String {
        let cost = cost
        return await Self.offload { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, against hash: String) async -> Bool {
        await Self.offload { Bcrypt.verify(password, hash: hash) }
    }

    /// Spends a verification's time on a hash of no one's password at the same cost: an unknown
    /// username is answered in the time a known one is.
    public func verifyDecoy(_ password: String) async {
        let cost = cost
        let decoy = await Self.offload {
            Self.decoys.withLock { decoys in
                if let decoy = decoys[cost] { return decoy }
                let decoy = Bcrypt.hash(Secrets.token(), cost: cost)
                decoys[cost] = decoy
                return decoy
            }
        }
        _ = await verify(password, against: decoy)
    }

    /// Made on first use rather than at start-up, which every command would otherwise pay for.
    private static let decoys = Mutex<[UInt8: String]>([:])

    private static let queue = DispatchQueue(label: "likeness.bcrypt", qos: .userInitiated, attributes: .concurrent)

    private static func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: work()) }
        }
    }

    public static func check(_ password: String) throws(FieldErrors) {
        if password.count < 10 { throw FieldErrors("password", "at least 10 characters") }
        if password.utf8.count > 72 { throw FieldErrors("password", "at most 72 bytes (bcrypt's limit)") }
    }
}
