import Foundation
import LikenessStore

/// Who is trained to search: an account may search only with a training record no older than
/// its organisation's limit (12 months by default). Administrators record training; each
/// record is audited. (GAO-24-107302 found tens of thousands of searches by untrained staff.)
public struct Training: Sendable {
    public let store: any GovernanceStore
    public let audit: AuditLog
    let now: @Sendable () -> Date

    public init(store: any GovernanceStore, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        audit = AuditLog(store: store)
        self.now = now
    }

    /// A record of `account`'s completed course, by an administrator of its organisation (or,
    /// with `caller` nil, from the command line of the server's machine).
    public func record(course: String, completedOn: Date, for account: Account, caller: Accounts.Caller?) async throws -> TrainingRecord {
        if let caller {
            try caller.require(.manageAccounts)
            guard account.organization == caller.account.organization else { throw GovernanceError.notFound("no account \(account.id)") }
        }
        var errors = FieldErrors()
        let course = course.trimmingCharacters(in: .whitespacesAndNewlines)
        if course.isEmpty { errors.add("course", "the course is required") }
        if course.count > 200 { errors.add("course", "at most 200 characters") }
        if completedOn > now().addingTimeInterval(86_400) { errors.add("completed_on", "is in the future") }
        guard errors.isEmpty else { throw GovernanceError.invalid(errors) }
        let record = try await store.addTrainingRecord(account: account.id, course: course, completedOn: completedOn,
                                                       recordedBy: caller?.account.id, recordedAt: now())
        try await audit.record(NewAuditEntry(organization: account.organization, actorID: caller?.account.id,
                                             actor: caller?.account.username ?? "cli", action: AuditLog.Action.trainingRecorded.rawValue,
                                             clientAddress: caller?.address,
                                             detail: "\(account.username) completed \(course) on \(Self.day(completedOn))"))
        return record
    }

    /// Why `account` of `organization` may not search (or do `activity`, "reviewing") now: no
    /// record, or the newest too old; nil if it may.
    public func refusal(for account: Account, of organization: Organization, doing activity: String = "searching") async throws -> String? {
        let months = organization.trainingValidityMonths
        let rule = "\(activity) needs a course completed within \(months) months, recorded by an administrator"
        guard let newest = try await store.trainingRecords(of: account.id).first else {
            return "no training is recorded for \(account.username): " + rule
        }
        let expires = Self.expiry(of: newest, months: months)
        guard now() < expires else {
            return "\(account.username)'s training (\(newest.course), completed \(Self.day(newest.completedOn))) expired on "
                + "\(Self.day(expires)): " + rule
        }
        return nil
    }

    /// When a record stops letting its account search.
    public static func expiry(of record: TrainingRecord, months: Int) -> Date {
        Calendar.utc.date(byAdding: .month, value: months, to: record.completedOn) ?? record.completedOn
    }

    /// How many months a record lets its account search, set by an administrator.
    public func setValidity(months: Int, caller: Accounts.Caller) async throws {
        try caller.require(.manageSettings)
        guard (1...60).contains(months) else { throw GovernanceError.invalid(FieldErrors("training_validity_months", "1 to 60")) }
        try await store.setTrainingValidity(months: months, for: caller.account.organization)
        try await audit.record(NewAuditEntry(organization: caller.account.organization, actorID: caller.account.id,
                                             actor: caller.account.username, action: AuditLog.Action.settingsChange.rawValue,
                                             clientAddress: caller.address, detail: "training valid for \(months) months"))
    }

    static func day(_ date: Date) -> String { String(AuditEntry.timestamp(date).prefix(10)) }
}
