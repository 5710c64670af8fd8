import Foundation
import LikenessStore

/// A training record as the API shows it (the `TrainingRecord` schema).
public struct TrainingRecordResponse: Encodable, Sendable {
    public var id: Int64
    public var accountID: AccountID
    public var course: String
    public var completedOn: String
    /// When it stops letting the account search, by the organisation's current limit.
    public var validUntil: String
    @Nullable public var recordedBy: AccountID?
    public var recordedAt: String

    public init(_ record: TrainingRecord, validityMonths: Int) {
        id = record.id
        accountID = record.account
        course = record.course
        completedOn = String(AuditEntry.timestamp(record.completedOn).prefix(10))
        validUntil = String(AuditEntry.timestamp(Training.expiry(of: record, months: validityMonths)).prefix(10))
        recordedBy = record.recordedBy
        recordedAt = AuditEntry.timestamp(record.recordedAt)
    }
}

public struct TrainingRecordsResponse: Encodable, Sendable {
    public var trainingValidityMonths: Int
    public var records: [TrainingRecordResponse]

    public init(_ records: [TrainingRecord], validityMonths: Int) {
        trainingValidityMonths = validityMonths
        self.records = records.map { TrainingRecordResponse($0, validityMonths: validityMonths) }
    }
}
