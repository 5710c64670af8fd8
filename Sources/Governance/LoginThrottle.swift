import Foundation

/// Slows password guessing: after `limit` failures for one username, or five times as many
/// from one address, within `window`, sign-in is refused until the oldest failure ages out.
public actor LoginThrottle {
    let limit: Int
    let window: TimeInterval
    private var failures: [String: [Date]] = [:]

    public init(limit: Int = 5, window: TimeInterval = 15 * 60) {
        self.limit = limit
        self.window = window
    }

    /// Seconds to wait, or nil when sign-in may be tried now.
    public func retryAfter(username: String, address: String?, now: Date = Date()) -> Int? {
        let waits = keys(username: username, address: address).compactMap { key, limit -> TimeInterval? in
            let recent = prune(key, now: now)
            guard recent.count >= limit, let oldest = recent.first else { return nil }
            return oldest.addingTimeInterval(window).timeIntervalSince(now)
        }
        return waits.max().map { max(1, Int($0.rounded(.up))) }
    }

    public func recordFailure(username: String, address: String?, now: Date = Date()) {
        for (key, _) in keys(username: username, address: address) {
            failures[key, default: []].append(now)
        }
    }

    public func recordSuccess(username: String) {
        failures["user:" + username.lowercased()] = nil
    }

    private func keys(username: String, address: String?) -> [(String, Int)] {
        [("user:" + username.lowercased(), limit)] + (address.map { [("address:" + $0, limit * 5)] } ?? [])
    }

    private func prune(_ key: String, now: Date) -> [Date] {
        let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
        failures[key] = recent.isEmpty ? nil : recent
        return recent
    }
}
