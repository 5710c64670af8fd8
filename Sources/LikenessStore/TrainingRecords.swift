import Foundation

/// A course an account completed: what lets it search (and, with cases, review) while it is no
/// older than its organisation's limit (`Organization.trainingValidityMonths`).
public struct TrainingRecord: Sendable, Codable, Hashable {
    public var id: Int64
    public var account: AccountID
    public var course: String
    public var completedOn: Date
    /// The administrator who recorded it; nil when recorded from the command line.
    public var recordedBy: AccountID?
    public var recordedAt: Date

    public init(id: Int64, account: AccountID, course: String, completedOn: Date, recordedBy: AccountID?, recordedAt: Date) {
        self.id = id
        self.account = account
        self.course = course
        self.completedOn = completedOn
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
    }
}

/// Where training records are kept: part of every governance store.
public protocol TrainingStore: Sendable {
    func addTrainingRecord(account: AccountID, course: String, completedOn: Date, recordedBy: AccountID?,
                           recordedAt: Date) async throws -> TrainingRecord
    /// The account's records, the most recently completed first.
    func trainingRecords(of account: AccountID) async throws -> [TrainingRecord]
    func setTrainingValidity(months: Int, for organization: OrganizationID) async throws
}
