import Foundation
import LikenessCore
import LikenessStore

/// Standing searches: a search's probe kept on watch for its case, so that a face ingested
/// later is matched against it. A watch lasts at most 90 days, renewable with a reason; it ends
/// earlier when someone ends it or its case is closed or stopped, and its probe (templates and
/// aligned face) is deleted as it ends. A match in the strong band is a search of the case
/// made on the owner's behalf, audited like theirs, then a `watch_matched` entry that alerts the
/// owner and the supervisors (`WatchMatcher`). Every opening, renewal and end is audited.
public struct Watches: Sendable {
    /// The longest a watch runs before it must be renewed (and a renewal runs from its day).
    public static let longestDays = 90

    public let store: any GovernanceStore
    let cases: Cases
    let training: Training
    let audit: AuditLog
    let now: @Sendable () -> Date

    /// `now` is the clock expiries are read by (injectable for tests).
    public init(store: any GovernanceStore, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        cases = Cases(store: store, now: now)
        training = Training(store: store, now: now)
        audit = AuditLog(store: store)
        self.now = now
    }

    /// How long a watch runs, checked: 1 to 90 days.
    public static func checkedDays(_ days: Int?, field: String) throws(FieldErrors) -> Int {
        guard let days, (1...longestDays).contains(days) else {
            throw FieldErrors(field, "a watch runs for 1 to \(longestDays) days")
        }
        return days
    }

    /// Keeps the probe of the caller's search `entry` on watch for `days`. Called by
    /// `AccountableSearch` once the search's entry is written.
    func open(after entry: AuditEntry, probe: WatchProbe, days: Int, investigation: InvestigationCase,
              caller: Accounts.Caller) async throws -> Watch {
        let opened = now()
        let watch = try await store.createWatch(NewWatch(
            organization: investigation.organization, caseID: investigation.id, owner: caller.account.id, searchEntry: entry.id,
            probeSHA256: entry.entry.probeSHA256, openedAt: opened, expiresAt: opened.addingTimeInterval(Double(days) * 86_400),
            probe: probe))
        try await record(.watchOpened, watch, investigation, actor: caller,
                         detail: "probe of search \(entry.id) on watch until \(AuditEntry.timestamp(watch.expiresAt))")
        return watch
    }

    /// The organisation's watches, newest first, of one case or all.
    public func list(caseID: CaseID? = nil, openOnly: Bool = false, caller: Accounts.Caller) async throws -> [Watch] {
        try caller.require(.readCases)
        return try await store.watches(in: caller.account.organization, openOnly: openOnly)
            .filter { caseID == nil || $0.caseID == caseID }
    }

    /// A watch of the caller's organisation.
    public func get(_ id: WatchID, caller: Accounts.Caller) async throws -> Watch {
        try caller.require(.readCases)
        guard let watch = try await store.watch(id), watch.organization == caller.account.organization else {
            throw GovernanceError.notFound("no watch \(id)")
        }
        return watch
    }

    /// Runs an open watch for `days` from now, for a stated reason: by its owner, while they
    /// may still search the case, or by a supervisor.
    public func renew(_ id: WatchID, days: Int?, reason: String?, caller: Accounts.Caller) async throws -> Watch {
        var errors = FieldErrors()
        var checkedDays = 0
        do { checkedDays = try Self.checkedDays(days, field: "days") } catch { errors.fields += error.fields }
        let reason = reason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if reason.isEmpty { errors.add("reason", "why the watch should go on is required") }
        if reason.count > 500 { errors.add("reason", "at most 500 characters") }
        guard errors.isEmpty else { throw GovernanceError.invalid(errors) }
        var watch = try await owned(id, caller: caller)
        let investigation = try await cases.get(watch.caseID, caller: caller)
        if caller.account.id == watch.owner && !caller.account.role.allows(.superviseCases) {
            _ = try await admitted(caller.account, investigation: investigation)
        }
        watch.expiresAt = now().addingTimeInterval(Double(checkedDays) * 86_400)
        guard try await store.renewWatch(id, until: watch.expiresAt) else { throw GovernanceError.conflict("watch \(id) has ended") }
        try await record(.watchRenewed, watch, investigation, actor: caller,
                         detail: "renewed until \(AuditEntry.timestamp(watch.expiresAt)): \(reason)")
        return watch
    }

    /// Ends an open watch and deletes its probe: by its owner, the case's lead or a supervisor.
    public func end(_ id: WatchID, caller: Accounts.Caller) async throws -> Watch {
        let watch = try await owned(id, caller: caller)
        let investigation = try await cases.get(watch.caseID, caller: caller)
        return try await end(watch, investigation, reason: "ended by \(caller.account.username)", actor: caller)
    }

    /// A watch the caller may renew or end: theirs, their case's, or any as a supervisor.
    private func owned(_ id: WatchID, caller: Accounts.Caller) async throws -> Watch {
        let watch = try await get(id, caller: caller)
        guard watch.isOpen else { throw GovernanceError.conflict("watch \(id) has ended") }
        if watch.owner == caller.account.id || caller.account.role.allows(.superviseCases) { return watch }
        let investigation = try await cases.get(watch.caseID, caller: caller)
        guard investigation.leadInvestigator == caller.account.id else {
            throw GovernanceError.forbidden("only the watch's owner, its case's lead investigator or a supervisor changes it")
        }
        return watch
    }

    /// Ends a watch, deleting its probe, and audits why; `actor` nil: Likeness itself (expiry,
    /// its case closed or stopped).
    func end(_ watch: Watch, _ investigation: InvestigationCase, reason: String, actor: Accounts.Caller?) async throws -> Watch {
        let at = now()
        guard try await store.endWatch(watch.id, at: at, reason: reason) else {
            throw GovernanceError.conflict("watch \(watch.id) has ended")
        }
        var ended = watch
        (ended.endedAt, ended.endReason) = (at, reason)
        try await record(.watchEnded, ended, investigation, actor: actor, detail: "ended (\(reason)); its probe is deleted")
        return ended
    }

    /// The case, if `account` may search it now: a watch searches on its owner's behalf.
    func admitted(_ account: Account, investigation: InvestigationCase) async throws -> InvestigationCase {
        try await admitSearch(by: account, caseNumber: investigation.number, training: training, cases: cases)
    }

    func record(_ action: AuditLog.Action, _ watch: Watch, _ investigation: InvestigationCase, actor: Accounts.Caller?,
                detail: String) async throws {
        try await audit.record(NewAuditEntry(organization: watch.organization, actorID: actor?.account.id,
                                             actor: actor?.account.username ?? "likeness", action: action.rawValue,
                                             caseNumber: investigation.number, offence: investigation.offence,
                                             clientAddress: actor?.address, detail: "watch \(watch.id): \(detail)"))
    }
}
