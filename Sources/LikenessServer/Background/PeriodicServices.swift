import LikenessGovernance
import Logging
import ServiceLifecycle

/// Enforces retention hourly while the server runs, through the erasure path, and expires the
/// privacy requests nobody verified in time, with their selfies. Runs first on starting.
public struct RetentionService: Service {
    let retention: Retention
    let requests: SubjectRequests
    let interval: Duration
    let logger: Logger

    public init(retention: Retention, requests: SubjectRequests, interval: Duration = .seconds(3600), logger: Logger) {
        self.retention = retention
        self.requests = requests
        self.interval = interval
        self.logger = logger
    }

    public func run() async {
        repeat {
            do { try await retention.sweep() } catch { logger.error("retention sweep failed: \(error)") }
            do { try await requests.expireUnverified() } catch { logger.error("expiring privacy requests failed: \(error)") }
        } while await sleptWithoutShutdown(interval)
    }
}

/// Signs the audit chain's head every `interval` while the server runs, when it moved since the
/// last checkpoint, so that removing or rewriting entries older than that shows.
public struct AuditCheckpointService: Service {
    let checkpoints: AuditCheckpoints
    let interval: Duration
    let logger: Logger

    public init(checkpoints: AuditCheckpoints, interval: Duration = .seconds(600), logger: Logger) {
        self.checkpoints = checkpoints
        self.interval = interval
        self.logger = logger
    }

    public func run() async {
        while await sleptWithoutShutdown(interval) {
            do { try await checkpoints.makeIfHeadMoved() } catch { logger.error("audit checkpoint failed: \(error)") }
        }
    }
}

/// Stops the searches of urgent cases whose 48 hours passed without the authority's decision,
/// every `interval` while the server runs, so that a case nobody searches again is stopped,
/// and its supervisors alerted, on time as well.
public struct CaseDeadlineService: Service {
    let cases: Cases
    let interval: Duration
    let logger: Logger

    public init(cases: Cases, interval: Duration = .seconds(300), logger: Logger) {
        self.cases = cases
        self.interval = interval
        self.logger = logger
    }

    public func run() async {
        repeat {
            do {
                let stopped = try await cases.enforceDeadlines()
                if stopped > 0 { logger.notice("stopped the searches of \(stopped) cases past their 48 hours without authorisation") }
            } catch { logger.error("enforcing case deadlines failed: \(error)") }
        } while await sleptWithoutShutdown(interval)
    }
}

/// Matches the faces ingested since each open watch last looked, every `interval` while the
/// server runs, and ends the watches expired or whose case closed. Ingest by the command line
/// or a worker while the server is down is matched when it starts: each watch keeps its place
/// in the index's change log.
public struct WatchService: Service {
    let matcher: WatchMatcher
    let interval: Duration
    let logger: Logger

    public init(matcher: WatchMatcher, interval: Duration = .seconds(10), logger: Logger) {
        self.matcher = matcher
        self.interval = interval
        self.logger = logger
    }

    public func run() async {
        repeat {
            do {
                let matches = try await matcher.matchNewFaces()
                if matches > 0 { logger.notice("watches matched \(matches) times in faces ingested since they last looked") }
            } catch { logger.error("matching watches failed: \(error)") }
        } while await sleptWithoutShutdown(interval)
    }
}

/// Sleeps for `interval`; false, at once, when the service group shuts down or the task is
/// cancelled.
func sleptWithoutShutdown(_ interval: Duration) async -> Bool {
    (try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }) != nil
}
