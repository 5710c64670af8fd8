import Foundation
import GRDB
import LikenessStore

/// Training records.
extension SQLiteGalleryStore {
    public func addTrainingRecord(account: AccountID, course: String, completedOn: Date, recordedBy: AccountID?,
                                  recordedAt: Date) async throws -> TrainingRecord {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO training_record (account_id, course, completed_on, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [account, course, completedOn, recordedBy, recordedAt])
            return TrainingRecord(id: db.lastInsertedRowID, account: account, course: course, completedOn: completedOn,
                                  recordedBy: recordedBy, recordedAt: recordedAt)
        }
    }

    public func trainingRecords(of account: AccountID) async throws -> [TrainingRecord] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM training_record WHERE account_id = ? ORDER BY completed_on DESC, id DESC
                """, arguments: [account]).map { row in
                TrainingRecord(id: row["id"], account: row["account_id"], course: row["course"], completedOn: row["completed_on"],
                               recordedBy: row["recorded_by"], recordedAt: row["recorded_at"])
            }
        }
    }

    public func setTrainingValidity(months: Int, for organization: OrganizationID) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE organization SET training_validity_months = ? WHERE id = ?", arguments: [months, organization])
        }
    }
}
