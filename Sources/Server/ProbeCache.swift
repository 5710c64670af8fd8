import Foundation
import LikenessGovernance
import LikenessStore
import Synchronization

/// Probe photos kept briefly in memory so that a user can search again with another face of
/// the same photo without uploading it again. Never written to disk; gone after ten minutes.
final class ProbeCache: Sendable {
    private struct Entry {
        var account: AccountID
        var photo: [UInt8]
        var expires: Date
    }
    private let entries = Mutex<[String: Entry]>([:])
    static let lifetime: TimeInterval = 600

    func keep(_ photo: [UInt8], for account: AccountID) -> String {
        let token = Secrets.token()
        let now = Date()
        entries.withLock { entries in
            entries = entries.filter { $0.value.expires > now }
            entries[token] = Entry(account: account, photo: photo, expires: now.addingTimeInterval(Self.lifetime))
        }
        return token
    }

    func photo(_ token: String, for account: AccountID) -> [UInt8]? {
        entries.withLock { entries in
            guard let entry = entries[token], entry.account == account, entry.expires > Date() else { return nil }
            return entry.photo
        }
    }
}
