import Foundation
import LikenessGovernance
import LikenessStore
import Synchronization

/// Probe photos kept briefly in memory so that a user can search again with another face of
/// the same photo without uploading it again. Never written to disk; gone after ten minutes.
/// Bounded, since every search may add up to a probe's 20 MB: at most `maxBytes` in all and
/// `maxPerAccount` photos an account, the oldest making way.
final class ProbeCache: Sendable {
    private struct Entry {
        var account: AccountID
        var photo: [UInt8]
        var kept: Date
    }
    private let entries = Mutex<[String: Entry]>([:])
    static let lifetime: TimeInterval = 600
    let maxBytes: Int
    let maxPerAccount: Int

    init(maxBytes: Int = 256 << 20, maxPerAccount: Int = 4) {
        self.maxBytes = maxBytes
        self.maxPerAccount = maxPerAccount
    }

    /// Keeps a photo, or nothing when it alone is over the cap (nil: the user uploads it again to pick another face).
    func keep(_ photo: [UInt8], for account: AccountID, now: Date = Date()) -> String? {
        guard photo.count <= maxBytes else { return nil }
        let token = Secrets.token()
        entries.withLock { entries in
            entries = entries.filter { now.timeIntervalSince($0.value.kept) < Self.lifetime }
            let oldestFirst = entries.sorted { $0.value.kept < $1.value.kept }
            var accountCount = oldestFirst.filter { $0.value.account == account }.count
            var total = entries.values.reduce(0) { $0 + $1.photo.count }
            for (key, entry) in oldestFirst where entry.account == account && accountCount >= maxPerAccount {
                entries[key] = nil
                accountCount -= 1
                total -= entry.photo.count
            }
            for (key, entry) in oldestFirst where total + photo.count > maxBytes && entries[key] != nil {
                entries[key] = nil
                total -= entry.photo.count
            }
            entries[token] = Entry(account: account, photo: photo, kept: now)
        }
        return token
    }

    func photo(_ token: String, for account: AccountID, now: Date = Date()) -> [UInt8]? {
        entries.withLock { entries in
            guard let entry = entries[token], entry.account == account, now.timeIntervalSince(entry.kept) < Self.lifetime else {
                return nil
            }
            return entry.photo
        }
    }

    /// Photos held and their bytes.
    var usage: (photos: Int, bytes: Int) {
        entries.withLock { entries in (entries.count, entries.values.reduce(0) { $0 + $1.photo.count }) }
    }
}
