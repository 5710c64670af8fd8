import Foundation

/// Limits sign-ups, which anyone may make and which each cost a bcrypt hash and a pending
/// account for an admin to review: so many an hour from one address and into one
/// organisation, and so many pending accounts in an organisation at once.
public actor SignUpThrottle {
    public struct Limits: Sendable {
        public var perAddress: Int
        public var perOrganization: Int
        public var window: TimeInterval
        /// Pending accounts an organisation may hold; more wait until an admin approves or disables some.
        public var pendingPerOrganization: Int

        public init(perAddress: Int = 5, perOrganization: Int = 30, window: TimeInterval = 3600, pendingPerOrganization: Int = 50) {
            self.perAddress = perAddress
            self.perOrganization = perOrganization
            self.window = window
            self.pendingPerOrganization = pendingPerOrganization
        }
    }

    public nonisolated let limits: Limits
    private var attempts: [String: [Date]] = [:]

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Counts a sign-up and returns nil, or returns the seconds to wait without counting it.
    /// One step, so parallel sign-ups cannot all pass a check made before any is counted.
    public func reserve(organization: Int64, address: String?, now: Date = Date()) -> Int? {
        var keys = [("organization:\(organization)", limits.perOrganization)]
        if let address { keys.append(("address:" + address, limits.perAddress)) }
        var wait: TimeInterval?
        for (key, limit) in keys {
            let recent = (attempts[key] ?? []).filter { now.timeIntervalSince($0) < limits.window }
            attempts[key] = recent.isEmpty ? nil : recent
            if recent.count >= limit, let oldest = recent.first {
                wait = max(wait ?? 0, oldest.addingTimeInterval(limits.window).timeIntervalSince(now))
            }
        }
        if let wait { return max(1, Int(wait.rounded(.up))) }
        for (key, _) in keys { attempts[key, default: []].append(now) }
        return nil
    }
}
