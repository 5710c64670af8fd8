import Foundation
import Synchronization

/// A clock a test moves forward, for what reads time through an injected clock (a case's 48
/// hours, a training record's validity, a watch's expiry).
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }

    public var now: Date { current.withLock { $0 } }
    public func advance(hours: Double) { current.withLock { $0 = $0.addingTimeInterval(hours * 3600) } }
    public func advance(days: Double) { advance(hours: days * 24) }
}
