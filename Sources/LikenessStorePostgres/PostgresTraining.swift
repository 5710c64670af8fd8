import Foundation
import LikenessStore
import PostgresNIO

/// Training records.
extension PostgresGalleryStore {
    public func addTrainingRecord(account: AccountID, course: String, completedOn: Date, recordedBy: AccountID?,
                                  recordedAt: Date) async throws -> TrainingRecord {
        try Self.trainingRecord(try await rows("""
            INSERT INTO training_record (account_id, course, completed_on, recorded_by, recorded_at)
            VALUES (\(account), \(course), \(completedOn), \(recordedBy), \(recordedAt))
            RETURNING *
            """)[0])
    }

    public func trainingRecords(of account: AccountID) async throws -> [TrainingRecord] {
        try await rows("SELECT * FROM training_record WHERE account_id = \(account) ORDER BY completed_on DESC, id DESC")
            .map(Self.trainingRecord)
    }

    public func setTrainingValidity(months: Int, for organization: OrganizationID) async throws {
        try await run("UPDATE organization SET training_validity_months = \(months) WHERE id = \(organization)")
    }

    static func trainingRecord(_ row: PostgresRandomAccessRow) throws -> TrainingRecord {
        TrainingRecord(id: try row.value("id"), account: try row.value("account_id"), course: try row.value("course"),
                       completedOn: try row.value("completed_on"), recordedBy: try row.value("recorded_by"),
                       recordedAt: try row.value("recorded_at"))
    }
}
