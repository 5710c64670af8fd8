import Foundation
import LikenessStore

/// The organisation's cases: opened by those who search, given the authority's decision by a
/// supervisor, closed by their lead investigator or a supervisor. Every search is made for one
/// of them, and only while its authorisation allows (`admitSearch`). Every change is audited.
public struct Cases: Sendable {
    /// How long an urgent case may be searched for without the authority's decision, from its
    /// first search (EU AI Act Art. 26(10)).
    public static let urgentWindow: TimeInterval = 48 * 3600

    public let store: any GovernanceStore
    public let audit: AuditLog
    /// The clock, injectable so that tests can move past a deadline.
    let now: @Sendable () -> Date

    public init(store: any GovernanceStore, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        audit = AuditLog(store: store)
        self.now = now
    }

    /// What opening a case asks for, checked field by field.
    public struct Opening: Sendable {
        public var number: String
        public var title: String
        public var offence: String?
        /// nil: the caller leads it.
        public var leadInvestigator: AccountID?

        public init(number: String?, title: String?, offence: String?, leadInvestigator: AccountID?) throws(FieldErrors) {
            var errors = FieldErrors()
            let number = number?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if number.isEmpty { errors.add("number", "a case number is required") }
            if number.count > 64 { errors.add("number", "at most 64 characters") }
            let title = title?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if title.isEmpty { errors.add("title", "a title is required") }
            if title.count > 200 { errors.add("title", "at most 200 characters") }
            let offence = offence?.trimmingCharacters(in: .whitespacesAndNewlines)
            if (offence?.count ?? 0) > 200 { errors.add("offence", "at most 200 characters") }
            guard errors.isEmpty else { throw errors }
            self.number = number
            self.title = title
            self.offence = offence?.isEmpty == false ? offence : nil
            self.leadInvestigator = leadInvestigator
        }
    }

    public func open(_ opening: Opening, caller: Accounts.Caller) async throws -> InvestigationCase {
        try caller.require(.openCases)
        let organization = caller.account.organization
        let lead = opening.leadInvestigator ?? caller.account.id
        guard let account = try await store.account(lead), account.organization == organization, account.status == .active,
              account.role.allows(.openCases) else {
            throw GovernanceError.invalid(FieldErrors("lead_investigator",
                                                      "must be an active investigator or supervisor of the organisation"))
        }
        guard let opened = try await store.createCase(NewCase(organization: organization, number: opening.number, title: opening.title,
                                                              offence: opening.offence, leadInvestigator: lead,
                                                              openedBy: caller.account.id, openedAt: now())) else {
            throw GovernanceError.conflict("the organisation already has a case numbered '\(opening.number)'")
        }
        try await record(.caseOpened, opened, caller: caller, detail: "opened \"\(opened.title)\", led by \(account.username)")
        return opened
    }

    public func list(status: InvestigationCase.Status?, caller: Accounts.Caller) async throws -> [InvestigationCase] {
        try caller.require(.readCases)
        return try await store.cases(in: caller.account.organization, status: status)
    }

    /// A case of the caller's organisation (any other is not found).
    public func get(_ id: CaseID, caller: Accounts.Caller) async throws -> InvestigationCase {
        try caller.require(.readCases)
        guard let found = try await store.investigationCase(id), found.organization == caller.account.organization else {
            throw GovernanceError.notFound("no case \(id)")
        }
        return found
    }

    /// A case of the caller's organisation by its number, if there is one.
    public func get(number: String, caller: Accounts.Caller) async throws -> InvestigationCase? {
        try caller.require(.readCases)
        return try await store.investigationCase(number: number, in: caller.account.organization)
    }

    /// The authority's decision as a supervisor records it, checked field by field.
    public struct Decision: Sendable {
        public var decision: CaseAuthorisation.Decision
        public var reference: String
        public var authority: String
        public var decidedAt: Date

        public init(decision: String?, reference: String?, authority: String?, decidedAt: Date?) throws(FieldErrors) {
            var errors = FieldErrors()
            let parsed = decision.flatMap(CaseAuthorisation.Decision.init(rawValue:))
            if parsed == nil { errors.add("decision", "must be granted or refused") }
            let reference = reference?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if reference.isEmpty { errors.add("reference", "the authority's reference is required") }
            if reference.count > 100 { errors.add("reference", "at most 100 characters") }
            let authority = authority?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if authority.isEmpty { errors.add("authority", "who decided is required") }
            if authority.count > 200 { errors.add("authority", "at most 200 characters") }
            if decidedAt == nil { errors.add("decided_at", "when the authority decided is required") }
            guard errors.isEmpty, let parsed, let decidedAt else { throw errors }
            self.decision = parsed
            self.reference = reference
            self.authority = authority
            self.decidedAt = decidedAt
        }
    }

    public func recordAuthorisation(of id: CaseID, _ decision: Decision, caller: Accounts.Caller) async throws -> InvestigationCase {
        try caller.require(.superviseCases)
        let found = try await get(id, caller: caller)
        // Five minutes' grace for the clocks of whoever typed it.
        guard decision.decidedAt <= now().addingTimeInterval(300) else {
            throw GovernanceError.invalid(FieldErrors("decided_at", "is in the future"))
        }
        guard found.status == .open else { throw GovernanceError.conflict("case \(found.number) is closed") }
        guard found.authorisation == nil else {
            throw GovernanceError.conflict("case \(found.number) already has the authority's decision")
        }
        let authorisation = CaseAuthorisation(decision: decision.decision, reference: decision.reference, authority: decision.authority,
                                              decidedAt: decision.decidedAt, recordedBy: caller.account.id, recordedAt: now())
        guard try await store.recordAuthorisation(authorisation, of: id) else {
            throw GovernanceError.conflict("case \(found.number) changed meanwhile: read it again")
        }
        var updated = found
        updated.authorisation = authorisation
        try await record(.caseAuthorisation, updated, caller: caller,
                         detail: "\(decision.decision.rawValue) by \(decision.authority), reference \(decision.reference)")
        if decision.decision == .refused {
            updated = try await block(updated, reason: "the authority refused its searches (\(decision.authority), reference \(decision.reference))")
        }
        return updated
    }

    /// The open case of `organization` numbered `number`, if its searches may go on:
    /// it is not blocked, and has the authority's grant, or (under the organisation's urgent
    /// policy) its 48 hours have not passed. A case found past them is blocked here.
    public func admitSearch(caseNumber number: String, of organization: Organization) async throws -> InvestigationCase {
        guard let found = try await store.investigationCase(number: number, in: organization.id) else {
            throw GovernanceError.invalid(FieldErrors("case_number", "no case numbered '\(number)' in your organisation: open it first"))
        }
        guard found.status == .open else { throw GovernanceError.invalid(FieldErrors("case_number", "case \(number) is closed")) }
        if let reason = found.blockedReason { throw GovernanceError.forbidden("case \(number)'s searches are stopped: \(reason)") }
        switch found.authorisation?.decision {
        case .granted: return found
        case .refused:  // blocked as the refusal was recorded; a crash between the two lands here
            let blocked = try await block(found, reason: "the authority refused its searches")
            throw GovernanceError.forbidden("case \(number)'s searches are stopped: \(blocked.blockedReason ?? "")")
        case nil: break
        }
        guard organization.caseAuthorisation == .urgent else {
            throw GovernanceError.forbidden("""
                case \(number) has no authorisation: your organisation requires the authority's decision before a case is \
                searched (a supervisor records it)
                """)
        }
        if let since = found.urgentSince, now() >= since.addingTimeInterval(Self.urgentWindow) {
            let blocked = try await block(found, reason: Self.overdueReason(since))
            throw GovernanceError.forbidden("case \(number)'s searches are stopped: \(blocked.blockedReason ?? "")")
        }
        return found
    }

    /// After a search of a case without the authority's decision: its 48 hours start with the
    /// first such search.
    public func searched(_ investigation: InvestigationCase, entry: Int64) async throws {
        guard investigation.authorisation == nil, investigation.urgentSince == nil else { return }
        try await store.markUrgentSearch(of: investigation.id, at: now(), entry: entry)
    }

    /// Stops the searches of every case whose 48 hours have passed without a decision; returns
    /// how many it stopped. Run now and then by the server, so that a case nobody searches again
    /// is stopped (and its supervisor alerted) on time too.
    @discardableResult
    public func enforceDeadlines() async throws -> Int {
        let overdue = try await store.overdueCases(urgentBefore: now().addingTimeInterval(-Self.urgentWindow))
        for investigation in overdue {
            _ = try await block(investigation, reason: Self.overdueReason(investigation.urgentSince ?? investigation.openedAt))
        }
        return overdue.count
    }

    static func overdueReason(_ since: Date) -> String {
        "no authorisation was recorded within 48 hours of its first urgent search (\(AuditEntry.timestamp(since)))"
    }

    /// Stops a case's searches and deletes what they left to be seen: their probe thumbnails and
    /// faces, and their candidate lists (the log keeps the digests of both); their results no
    /// longer open (`ShownResult`).
    /// Its watches end, their probes deleted.
    /// Audited as `case_blocked`: the entry that raises the supervisors' alert.
    private func block(_ investigation: InvestigationCase, reason: String) async throws -> InvestigationCase {
        let at = now()
        var blocked = investigation
        if try await store.blockCase(investigation.id, at: at, reason: reason) {
            (blocked.blockedAt, blocked.blockedReason) = (at, reason)
            let deleted = try await store.deleteSearchResults(ofCase: investigation.number, in: investigation.organization)
            let watches = try await store.endWatches(ofCase: investigation.id, at: at, reason: "its case was stopped")
            try await audit.record(NewAuditEntry(organization: investigation.organization, actorID: nil, actor: "likeness",
                                                 action: AuditLog.Action.caseBlocked.rawValue, caseNumber: investigation.number,
                                                 offence: investigation.offence,
                                                 detail: "case \(investigation.id): searches stopped: \(reason); "
                                                     + "\(deleted.thumbnails) probe thumbnails and \(deleted.candidateLists) "
                                                     + "candidate lists deleted"
                                                     + Self.ended(watches)))
        } else if let current = try await store.investigationCase(investigation.id) {
            blocked = current
        }
        return blocked
    }

    public func close(_ id: CaseID, caller: Accounts.Caller) async throws -> InvestigationCase {
        try caller.require(.openCases)
        let found = try await get(id, caller: caller)
        guard found.leadInvestigator == caller.account.id || caller.account.role.allows(.superviseCases) else {
            throw GovernanceError.forbidden("only the case's lead investigator or a supervisor closes it")
        }
        let at = now()
        guard found.status == .open, try await store.closeCase(id, at: at) else {
            throw GovernanceError.conflict("case \(found.number) is closed")
        }
        let watches = try await store.endWatches(ofCase: id, at: at, reason: "its case closed")
        var closed = found
        closed.status = .closed
        closed.closedAt = at
        try await record(.caseClosed, closed, caller: caller, detail: "closed" + Self.ended(watches))
        return closed
    }

    /// What ending a case's watches adds to its entry: which ended, their probes deleted.
    private static func ended(_ watches: [WatchID]) -> String {
        watches.isEmpty ? "" : "; watches \(watches.map(String.init).joined(separator: ", ")) ended, their probes deleted"
    }

    private func record(_ action: AuditLog.Action, _ investigation: InvestigationCase, caller: Accounts.Caller, detail: String) async throws {
        try await audit.record(NewAuditEntry(organization: investigation.organization, actorID: caller.account.id,
                                             actor: caller.account.username, action: action.rawValue,
                                             caseNumber: investigation.number, offence: investigation.offence,
                                             clientAddress: caller.address, detail: "case \(investigation.id): \(detail)"))
    }
}
