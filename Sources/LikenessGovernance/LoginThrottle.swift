import Foundation

/// Slows password guessing: after `limit` failures for one username, or five times as many
/// from one address, within `window`, sign-in is refused until the oldest failure ages out.
///
/// An attempt is reserved, counted as a failure, before its password is checked, and given
/// back if the password was right: checking first and counting after let parallel guesses
/// all pass the check while the hashes were being verified.
public actor LoginThrottle {
    let limit: Int
    let window: TimeInterval
    private var failures: [String: [Date]] = [:]

    public init(limit: Int = 5, window: TimeInterval = 15 * 60) {
        self.limit = limit
        self.window = window
    }

    /// A held attempt: kept as a failure unless released.
    public struct Reservation: Sendable {
        let username: String
        let address: String?
        let at: Date
    }

    /// Seconds to wait when sign-in may not be tried now; otherwise the attempt is counted (as
    /// a failure until `succeeded` releases it) and returned.
    public func reserve(username: String, address: String?, now: Date = Date()) -> Result<Reservation, Wait> {
        let keys = keys(username: username, address: address)
        let waits = keys.compactMap { key, limit -> TimeInterval? in
            let recent = prune(key, now: now)
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return oldest.addingTimeInterval(window).timeIntervalSince(now)
        }
        if let wait = waits.max() { return .failure(Wait(seconds: max(1, Int(wait.rounded(.up))))) }
        for (key, _) in keys { failures[key, default: []].append(now) }
        return .success(Reservation(username: username, address: address, at: now))
    }

    public struct Wait: Error, Sendable { public let seconds: Int }

    /// The password was right: the attempt is given back, and the username's failures are forgiven.
    public func succeeded(_ reservation: Reservation) {
        for (key, _) in keys(username: reservation.username, address: reservation.address) {
            guard var times = failures[key], let index = times.lastIndex(of: reservation.at) else { continue }
            times.remove(at: index)
            failures[key] = times.isEmpty ? nil : times
        }
        failures[userKey(reservation.username)] = nil
    }

    private func userKey(_ username: String) -> String { "user:" + username.lowercased() }

    private func keys(username: String, address: String?) -> [(String, Int)] {
        [(userKey(username), limit)] + (address.map { [("address:" + $0, limit * 5)] } ?? [])
    }

    private func prune(_ key: String, now: Date) -> [Date] {
        let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
        failures[key] = recent.isEmpty ? nil : recent
        return recent
    }
}
