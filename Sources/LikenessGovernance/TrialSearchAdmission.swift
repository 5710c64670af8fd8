import Foundation
import LikenessStore
import Synchronization

/// Admits a trial account's searches against its quota so that parallel searches cannot all
/// pass a count of the audit log taken before any of them is recorded.
///
/// A search holds a place from before it reads the count until after its audit entry is
/// written. Each search counts the places held when it took its own (itself included) on top
/// of the searches recorded, read after that: every search admitted before it is then either
/// still holding its place, or released after recording, so in the count. In one process
/// the quota is never exceeded; a search that fails or is refused may briefly keep a parallel
/// one out. Places are per process: servers sharing one store each hold their own, so N
/// servers may together admit up to N − 1 searches more than the quota while they run at once.
final class TrialSearchAdmission: Sendable {
    private let held = Mutex<[AccountID: Int]>([:])

    /// A place held for one search: released when the search is over.
    struct Place: Sendable {
        let admission: TrialSearchAdmission
        let account: AccountID
        /// Places of the account held when this one was taken, itself included.
        let heldWhenTaken: Int

        func release() { admission.release(account) }
    }

    func take(_ account: AccountID) -> Place {
        let count = held.withLock { held in
            held[account, default: 0] += 1
            return held[account] ?? 1
        }
        return Place(admission: self, account: account, heldWhenTaken: count)
    }

    private func release(_ account: AccountID) {
        held.withLock { held in
            let left = (held[account] ?? 1) - 1
            held[account] = left > 0 ? left : nil
        }
    }
}
