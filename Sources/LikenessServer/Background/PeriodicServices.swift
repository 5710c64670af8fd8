import LikenessGovernance
import Logging
import ServiceLifecycle

/// Work the server does every `interval` while it runs, in its service group: it stops at once
/// when the group shuts down, rather than after the interval it would otherwise sleep. Each
/// kind is made by one of the functions below; a failed round is logged, and the next one runs.
public struct PeriodicService: Service {
    let interval: Duration
    /// The first round waits one interval (the work was done before serving).
    let waitsFirst: Bool
    let round: @Sendable () async -> Void

    public func run() async {
        if waitsFirst, await !sleptWithoutShutdown(interval) { return }
        repeat { await round() } while await sleptWithoutShutdown(interval)
    }

    /// Sleeps for `interval`; false, at once, when the service group shuts down or the task is
    /// cancelled.
    private func sleptWithoutShutdown(_ interval: Duration) async -> Bool {
        (try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }) != nil
    }
}

extension PeriodicService {
    /// Enforces retention hourly, through the erasure path, and expires the privacy requests
    /// nobody verified in time, with their selfies. Runs first on starting.
    public static func retention(_ retention: Retention, requests: SubjectRequests, interval: Duration = .seconds(3600),
                                 logger: Logger) -> PeriodicService {
        PeriodicService(interval: interval, waitsFirst: false) {
            do { try await retention.sweep() } catch { logger.error("retention sweep failed: \(error)") }
            do { try await requests.expireUnverified() } catch { logger.error("expiring privacy requests failed: \(error)") }
        }
    }

    /// Signs the audit chain's head every 10 minutes when it moved since the last checkpoint, so
    /// that removing or rewriting entries older than that shows. The server signs it before
    /// serving, so the first round waits.
    public static func auditCheckpoints(_ checkpoints: AuditCheckpoints, interval: Duration = .seconds(600),
                                        logger: Logger) -> PeriodicService {
        PeriodicService(interval: interval, waitsFirst: true) {
            do { try await checkpoints.makeIfHeadMoved() } catch { logger.error("audit checkpoint failed: \(error)") }
        }
    }

    /// Stops the searches of urgent cases whose 48 hours passed without the authority's
    /// decision, so that a case nobody searches again is stopped, and its supervisors alerted,
    /// on time as well.
    public static func caseDeadlines(_ cases: Cases, interval: Duration = .seconds(300), logger: Logger) -> PeriodicService {
        PeriodicService(interval: interval, waitsFirst: false) {
            do {
                let stopped = try await cases.enforceDeadlines()
                if stopped > 0 { logger.notice("stopped the searches of \(stopped) cases past their 48 hours without authorisation") }
            } catch { logger.error("enforcing case deadlines failed: \(error)") }
        }
    }

    /// Matches the faces ingested since each open watch last looked, and ends the watches
    /// expired or whose case closed. Ingest by the command line or a worker while the server is
    /// down is matched when it starts: each watch keeps its place in the index's change log.
    public static func watches(_ matcher: WatchMatcher, interval: Duration = .seconds(10), logger: Logger) -> PeriodicService {
        PeriodicService(interval: interval, waitsFirst: false) {
            do {
                let matches = try await matcher.matchNewFaces()
                if matches > 0 { logger.notice("watches matched \(matches) times in faces ingested since they last looked") }
            } catch { logger.error("matching watches failed: \(error)") }
        }
    }
}
